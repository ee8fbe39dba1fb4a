"""Publishing rubric files as immutable versions, and turning a version back into a Rubric."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select

from app import audit
from app.extensions import db
from app.models import RubricVersion
from app.rubric import Rubric, RubricError, load_rubric


class PublishRefused(Exception):
    """A publish that would break the versioning rules; the message is translated."""


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def publish_rubric(text: str, *, filename: str = "rubric.yaml", user=None
                   ) -> tuple[RubricVersion, bool]:
    """Publish `text` as a rubric version. Returns (version, created).

    The same content already published is a no-op (created False). New content under a
    version label that is already taken is refused: the author must change `version:`.
    Raises RubricError when the file is not a valid rubric.
    """
    from app.i18n import _

    rubric = load_rubric(text, filename=filename)
    digest = sha256_of(text)
    existing = db.session.scalar(select(RubricVersion).where(RubricVersion.sha256 == digest))
    if existing is not None:
        return existing, False
    clash = db.session.scalar(select(RubricVersion).where(
        RubricVersion.rubric_id == rubric.id, RubricVersion.version_label == rubric.version))
    if clash is not None:
        raise PublishRefused(_(
            "Rubric %(id)s version %(version)s is already published with different content. "
            "Change the version label in the file (for example to %(next)s) and publish again.",
            id=rubric.id, version=rubric.version, next=_next_label(rubric.version)))
    version = RubricVersion(rubric_id=rubric.id, version_label=rubric.version, sha256=digest,
                            title=rubric.title, yaml_text=text,
                            published_by_id=getattr(user, "id", None))
    db.session.add(version)
    db.session.flush()
    audit.record("rubric.publish", "rubric_version", version.id, user=user,
                 rubric_id=rubric.id, version=rubric.version, sha256=digest)
    return version, True


def publish_file(path: Path, user=None) -> tuple[RubricVersion, bool]:
    text = path.read_bytes().decode("utf-8-sig")
    return publish_rubric(text, filename=str(path), user=user)


def latest_version(rubric_id: str) -> RubricVersion | None:
    return db.session.scalar(select(RubricVersion).where(RubricVersion.rubric_id == rubric_id)
                             .order_by(RubricVersion.published_at.desc(),
                                       RubricVersion.id.desc()).limit(1))


def rubric_of(version: RubricVersion) -> Rubric:
    """The parsed Rubric of a published version (parsed once per process, keyed by sha256)."""
    return _parse(version.sha256, version.yaml_text)


@lru_cache(maxsize=64)
def _parse(sha256: str, text: str) -> Rubric:
    try:
        return load_rubric(text, filename=f"rubric-{sha256[:8]}.yaml")
    except RubricError as error:  # pragma: no cover - published versions were validated
        raise RuntimeError(f"published rubric {sha256} no longer loads: {error}") from error


def _next_label(label: str) -> str:
    head, _, tail = label.rpartition(".")
    if tail.isdigit():
        return f"{head}.{int(tail) + 1}" if head else str(int(tail) + 1)
    return label + ".1"
