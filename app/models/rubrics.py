"""Published rubric versions: immutable copies of a rubric file."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models._types import UTCDateTime, utcnow


class RubricVersion(db.Model):
    """A rubric file as published. Never changed once written: evaluations pin to it."""

    __tablename__ = "rubric_versions"
    __table_args__ = (UniqueConstraint("rubric_id", "version_label", name="rubric_label"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the rubric's stable slug (`id:` in the file), the same across versions
    rubric_id: Mapped[str] = mapped_column(String(100), index=True)
    #: the author's label (`version:` in the file), e.g. "1404.1"
    version_label: Mapped[str] = mapped_column(String(50))
    #: sha256 of the file's bytes: what identifies the version
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    #: the rubric's title, copied for listings
    title: Mapped[str] = mapped_column(String(300))
    #: the YAML text exactly as published (read when asked for: the parsed rubric is kept
    #: per process, by sha256, so loading a version for an evaluation need not carry it)
    yaml_text: Mapped[str] = mapped_column(Text, deferred=True)
    #: when it was published (UTC)
    published_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    #: who published it (None for the command line and the demo)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
