"""Publishing rubric files as immutable versions, and turning a version back into a Rubric;
the look-ups of the authors' pages (versions, the evaluations pinned to them)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import audit, workflow
from app.extensions import db
from app.models import Evaluation, EvaluationCycle, RubricVersion, User
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
    rubric = load_rubric(text, filename=filename)
    digest = sha256_of(text)
    existing, refusal = publish_obstacle(rubric, digest)
    if existing is not None:
        return existing, False
    if refusal is not None:
        raise PublishRefused(refusal)
    version = RubricVersion(rubric_id=rubric.id, version_label=rubric.version, sha256=digest,
                            title=rubric.title, yaml_text=text,
                            published_by_id=getattr(user, "id", None))
    db.session.add(version)
    db.session.flush()
    audit.record("rubric.publish", "rubric_version", version.id, user=user,
                 rubric_id=rubric.id, version=rubric.version, sha256=digest)
    return version, True


def publish_obstacle(rubric: Rubric, digest: str) -> tuple[RubricVersion | None, str | None]:
    """What publishing `rubric` (whose text has `digest`) would meet, without publishing:
    (the version already holding this very text, or None; the refusal message, or None)."""
    from app.i18n import _

    existing = db.session.scalar(select(RubricVersion).where(RubricVersion.sha256 == digest))
    if existing is not None:
        return existing, None
    clash = db.session.scalar(select(RubricVersion).where(
        RubricVersion.rubric_id == rubric.id, RubricVersion.version_label == rubric.version))
    if clash is not None:
        return None, _(
            "Rubric %(id)s version %(version)s is already published with different content. "
            "Change the version label in the file (for example to %(next)s) and publish again.",
            id=rubric.id, version=rubric.version, next=_next_label(rubric.version))
    return None, None


def publish_file(path: Path, user=None) -> tuple[RubricVersion, bool]:
    text = path.read_bytes().decode("utf-8-sig")
    return publish_rubric(text, filename=str(path), user=user)


def latest_version(rubric_id: str) -> RubricVersion | None:
    return db.session.scalar(select(RubricVersion).where(RubricVersion.rubric_id == rubric_id)
                             .order_by(RubricVersion.published_at.desc(),
                                       RubricVersion.id.desc()).limit(1))


def rubric_of(version: RubricVersion) -> Rubric:
    """The parsed Rubric of a published version (parsed once per process, keyed by sha256;
    its text is read only the first time)."""
    parsed = _parsed.get(version.sha256)
    if parsed is None:
        parsed = _parse(version.sha256, version.yaml_text)
        with _parsed_lock:
            while len(_parsed) >= _PARSED_MAX:
                _parsed.pop(next(iter(_parsed)))
            _parsed[version.sha256] = parsed
    return parsed


#: sha256 → parsed rubric, of published versions (immutable: the database refuses changes)
_parsed: dict[str, Rubric] = {}
_parsed_lock = threading.Lock()
_PARSED_MAX = 64


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


# --- the authors' pages ----------------------------------------------------------------------

def _open():
    """Evaluations whose content can still change (app.workflow: not locked)."""
    return workflow.in_states([s.id for s in workflow.STATES.values() if not s.locked], Evaluation)


@dataclass(frozen=True)
class VersionRow:
    """A published version as the authors' list shows it."""

    version: RubricVersion
    publisher: str
    #: evaluations pinned to it that are not approved yet, and all of them
    open_count: int
    total_count: int


@dataclass(frozen=True)
class RubricListing:
    rubric_id: str
    title: str
    #: newest first
    versions: tuple[VersionRow, ...]


def rubric_listing() -> list[RubricListing]:
    """Every rubric with its published versions, newest first, and who published them."""
    versions = db.session.scalars(select(RubricVersion).order_by(
        RubricVersion.rubric_id, RubricVersion.published_at.desc(),
        RubricVersion.id.desc())).all()
    users = {user.id: user.display_name for user in db.session.scalars(select(User).where(
        User.id.in_({v.published_by_id for v in versions if v.published_by_id})))}
    counts: dict[int, dict[bool, int]] = {}
    state = workflow.state_column(Evaluation)
    for version_id, status, count in db.session.execute(
            select(Evaluation.rubric_version_id, state, func.count())
            .group_by(Evaluation.rubric_version_id, state)):
        slot = counts.setdefault(version_id, {True: 0, False: 0})
        slot[not workflow.is_locked_state(status)] += count
    listing: dict[str, list[VersionRow]] = {}
    for version in versions:
        slot = counts.get(version.id, {True: 0, False: 0})
        listing.setdefault(version.rubric_id, []).append(VersionRow(
            version, users.get(version.published_by_id, ""), slot[True],
            slot[True] + slot[False]))
    return [RubricListing(rubric_id, rows[0].version.title, tuple(rows))
            for rubric_id, rows in listing.items()]


def previous_version(version: RubricVersion) -> RubricVersion | None:
    """The version of the same rubric published just before `version`."""
    return db.session.scalar(select(RubricVersion).where(
        RubricVersion.rubric_id == version.rubric_id,
        (RubricVersion.published_at < version.published_at)
        | ((RubricVersion.published_at == version.published_at)
           & (RubricVersion.id < version.id)))
        .order_by(RubricVersion.published_at.desc(), RubricVersion.id.desc()).limit(1))


def version_by_sha(digest: str) -> RubricVersion | None:
    return db.session.scalar(select(RubricVersion).where(RubricVersion.sha256 == digest))


def open_evaluations(version_ids: Iterable[int]) -> list[Evaluation]:
    """The evaluations pinned to these versions that are not approved yet: they keep their
    version, so the changes of a newer one never reach them."""
    ids = list(version_ids)
    if not ids:
        return []
    return list(db.session.scalars(
        select(Evaluation).join(EvaluationCycle)
        .where(Evaluation.rubric_version_id.in_(ids), _open())
        .options(selectinload(Evaluation.municipality), selectinload(Evaluation.cycle),
                 selectinload(Evaluation.rubric_version))
        .order_by(EvaluationCycle.year.desc(), Evaluation.id)))


def versions_of(rubric_id: str) -> list[RubricVersion]:
    return list(db.session.scalars(select(RubricVersion).where(
        RubricVersion.rubric_id == rubric_id).order_by(RubricVersion.published_at.desc(),
                                                       RubricVersion.id.desc())))
