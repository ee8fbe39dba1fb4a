"""Evaluation cycles, evaluations, who is assigned to them, answers and stored results."""

from __future__ import annotations

import enum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models._types import UTCDateTime, utcnow


class EvaluationStatus(enum.StrEnum):
    """What the status column stores (the workflow's states and rules: app/workflow.py)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"


class EvaluationCycle(db.Model):
    """A round of evaluations, one per Jalali year."""

    __tablename__ = "evaluation_cycles"
    __table_args__ = (CheckConstraint("year BETWEEN 1300 AND 1500", name="year_range"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the Jalali year evaluated, e.g. 1404
    year: Mapped[int] = mapped_column(Integer, unique=True)
    #: Persian title, e.g. «ارزیابی عملکرد سال ۱۴۰۴»
    title: Mapped[str] = mapped_column(String(200), default="")
    #: first and last day of the visit window (Gregorian dates, shown in Jalali)
    visit_start: Mapped[object | None] = mapped_column(Date)
    visit_end: Mapped[object | None] = mapped_column(Date)
    #: a closed cycle accepts no new answers
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    #: the last day municipalities may declare their own figures (None: until the visit)
    declaration_deadline: Mapped[object | None] = mapped_column(Date)


class Evaluation(db.Model):
    """One municipality evaluated in one cycle against one pinned rubric version."""

    __tablename__ = "evaluations"
    __table_args__ = (
        UniqueConstraint("municipality_id", "cycle_id", name="municipality_cycle"),
        CheckConstraint("status IN ('draft', 'submitted', 'returned', 'approved')",
                        name="status_known"),
        # what the dashboard's cycle-wide queries (peer groups, counts, the cycle's rubric)
        # read, so that they scan one cycle's entries of the index and never the table,
        # whose rows of one cycle lie scattered among the other cycles' (migration 0010)
        Index("ix_evaluations_cycle_figures", "cycle_id", "status", "tier_id", "score",
              "raw_score", "municipality_id", "rubric_version_id"),
        # the same for the finals of a cycle (approved and signed off), which the ranking,
        # its count and its peer groups read: with signed_at in the index they never read
        # the table either (migration 0013)
        Index("ix_evaluations_cycle_finals", "cycle_id", "status", "signed_at", "tier_id",
              "score", "raw_score", "municipality_id"),
        # a cycle's evaluations with their municipality and id, which the overview's page is
        # cut from (joined to the municipalities, and to the inspectors for their sort)
        # without reading the table; it replaced the index on cycle_id alone, which it
        # serves as well (migration 0014)
        Index("ix_evaluations_cycle_towns", "cycle_id", "municipality_id", "id"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the municipality evaluated
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    #: the cycle (Jalali year)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("evaluation_cycles.id"))
    #: the rubric version pinned at creation; never changes afterwards
    rubric_version_id: Mapped[int] = mapped_column(ForeignKey("rubric_versions.id"))
    #: the tier snapshotted at creation (re-tiering is an audited admin act)
    tier_id: Mapped[str] = mapped_column(String(20))
    #: the municipality attributes the tier was derived from (grade, population, …)
    tier_basis: Mapped[dict] = mapped_column(JSON, default=dict)
    #: draft → submitted → returned → submitted … → approved (+ signed_at: signed); the
    #: workflow (app/workflow.py) is the one reader of this column and signed_at
    status: Mapped[str] = mapped_column(String(20), default=EvaluationStatus.DRAFT, index=True)
    #: optimistic lock: bumped on every change; a writer holding an older number gets a conflict
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: stored results, recomputed whenever answers change (not per page view)
    score: Mapped[float | None] = mapped_column(Float)
    raw_score: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(50))
    raw_band: Mapped[str | None] = mapped_column(String(50))
    #: the overall scores before any verdict rule (gate); equal to score/raw when none bit
    ungated_score: Mapped[float | None] = mapped_column(Float)
    raw_ungated_score: Mapped[float | None] = mapped_column(Float)
    #: the rubric's gates as judged: [{"id", "met", "raw_met"}, …]
    gates: Mapped[list | None] = mapped_column(JSON)
    #: all applicable criteria answered (or N/A)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_count: Mapped[int] = mapped_column(Integer, default=0)
    applicable_count: Mapped[int] = mapped_column(Integer, default=0)
    #: the day the evaluation is due (set when planning)
    due_date: Mapped[object | None] = mapped_column(Date)
    #: the dates of the site visit(s), free Jalali text for the report (before visit_date)
    visit_dates: Mapped[str] = mapped_column(String(200), default="")
    #: the day of the site visit, entered by the inspector in the Jalali calendar
    visit_date: Mapped[object | None] = mapped_column(Date)
    #: the reviewer's overall message when the evaluation was last returned ("" otherwise)
    review_message: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: the reviewer's own texts for the report
    strengths_text: Mapped[str] = mapped_column(Text, default="")
    improvements_text: Mapped[str] = mapped_column(Text, default="")
    #: official report number (شماره), given when the final is issued (at the sign-off)
    report_number: Mapped[str | None] = mapped_column(String(50))
    #: timestamps (UTC)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[object | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[object | None] = mapped_column(UTCDateTime)
    #: the reviewer who approved its content
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: when and by whom (the province's director-general) it was signed off: the final
    signed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    municipality = relationship("Municipality")
    cycle = relationship("EvaluationCycle")
    rubric_version = relationship("RubricVersion")
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    signed_by = relationship("User", foreign_keys=[signed_by_id])
    answers: Mapped[list[Answer]] = relationship(back_populates="evaluation",
                                                 cascade="all, delete-orphan")
    assignments: Mapped[list[Assignment]] = relationship(back_populates="evaluation",
                                                         cascade="all, delete-orphan")
    unit_results: Mapped[list[UnitResult]] = relationship(back_populates="evaluation",
                                                          cascade="all, delete-orphan")
    recommendations: Mapped[list[Recommendation]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan",
        order_by="Recommendation.position")

    __mapper_args__ = {"version_id_col": version}

    @property
    def gated(self) -> bool:
        """True when an unmet gate lowered the adjusted score."""
        return self.ungated_score is not None and self.ungated_score != self.score

    @property
    def state(self) -> str:
        """The workflow state (app/workflow.py decides it)."""
        from app.workflow import state_of

        return state_of(self)

    def is_overdue(self, today) -> bool:
        """Due before `today` and still with the inspectors (draft or returned)."""
        from app import workflow

        return (self.due_date is not None and self.due_date < today
                and workflow.ANSWER in workflow.state(self).allows)

    def users_in_role(self, role: str) -> list:
        return [a.user for a in self.assignments if a.role == role]


class Assignment(db.Model):
    """Who inspects or reviews an evaluation."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "user_id", "role", name="evaluation_user_role"),
        CheckConstraint("role IN ('inspector', 'reviewer')", name="role_known"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: "inspector" or "reviewer"
    role: Mapped[str] = mapped_column(String(20))

    evaluation: Mapped[Evaluation] = relationship(back_populates="assignments")
    user = relationship("User")


class Answer(db.Model):
    """An inspector's answer to one criterion of one evaluation."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "criterion_id", name="evaluation_criterion"),
        CheckConstraint("NOT (na AND value IS NOT NULL)", name="na_has_no_value"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    #: the criterion's id in the pinned rubric version, e.g. "1.3"
    criterion_id: Mapped[str] = mapped_column(String(50))
    #: the answer as a number: a typed number or percent, a scale level, 1/0 for yes/no, a
    #: computed criterion's value, a checklist's ticked points; None if unanswered or sampled
    value: Mapped[float | None] = mapped_column(Float)
    #: the structured rest of the answer, as its criterion type keeps it (app.rubric.types):
    #: {"inputs": {...}} of a computed value, {"items": [...]} ticked, {"samples": [...]}
    data: Mapped[dict | None] = mapped_column(JSON)
    #: marked not applicable (only where the rubric allows), with a reason
    na: Mapped[bool] = mapped_column(Boolean, default=False)
    na_reason: Mapped[str] = mapped_column(Text, default="")
    #: the inspector's note (ملاحظات)
    note: Mapped[str] = mapped_column(Text, default="")
    #: the evaluation version this answer was last changed in (for conflict detection)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    #: the device (a key the browser made) that last changed it; a device never conflicts
    #: with itself, only with another device or user that changed the answer meanwhile
    device_id: Mapped[str | None] = mapped_column(String(64))
    #: the reviewer's comment when returning the evaluation
    review_comment: Mapped[str] = mapped_column(Text, default="")
    #: last change (UTC) and by whom
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    evaluation: Mapped[Evaluation] = relationship(back_populates="answers")


class UnitResult(db.Model):
    """A unit's stored score in an evaluation, for fast province-wide tables."""

    __tablename__ = "unit_results"
    __table_args__ = (UniqueConstraint("evaluation_id", "unit_id", name="evaluation_unit"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    #: the unit's id in the rubric, e.g. "waste"
    unit_id: Mapped[str] = mapped_column(String(100))
    #: adjusted and raw unit scores (0–100, one decimal); None when not evaluated
    score: Mapped[float | None] = mapped_column(Float)
    raw_score: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(50))
    #: False when not applicable, unanswered or over the N/A limit
    evaluated: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the unit's weight in the evaluation's tier
    weight: Mapped[float | None] = mapped_column(Float)

    evaluation: Mapped[Evaluation] = relationship(back_populates="unit_results")


class Evidence(db.Model):
    """A photo taken as evidence for a criterion, re-encoded and stored on disk."""

    __tablename__ = "evidence"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    #: the criterion the photo documents
    criterion_id: Mapped[str] = mapped_column(String(50))
    #: the file name on the tablet, shown to people (never used as a path)
    original_name: Mapped[str] = mapped_column(String(255), default="")
    #: our own file name under DATA_DIR/evidence (a random token + .jpg)
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    #: who brought it: "inspection" (the inspector) or "declaration" (the municipality, as
    #: a document of its self-declaration)
    source: Mapped[str] = mapped_column(String(20), default="inspection")
    #: sha256 of the stored (re-encoded) JPEG
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    #: the key the tablet generated for this upload (replays store nothing twice)
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: when it was uploaded (UTC) and by whom
    uploaded_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: what the upload's EXIF said, read before it was stripped (app.paradata.photos); kept
    #: privately with the photo: never served, never in a report. Capture time as the camera
    #: wrote it (naive local time), its GPS position, and a perceptual hash of the pixels
    taken_at: Mapped[object | None] = mapped_column(UTCDateTime)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    phash: Mapped[str | None] = mapped_column(String(32), index=True)


class Recommendation(db.Model):
    """A recommendation of the report, with who is responsible and by when."""

    __tablename__ = "recommendations"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    #: the unit it concerns (optional)
    unit_id: Mapped[str] = mapped_column(String(100), default="")
    #: what should be done
    text: Mapped[str] = mapped_column(Text)
    #: who is responsible (مسئول اجرا)
    responsible: Mapped[str] = mapped_column(String(200), default="")
    #: the deadline (Gregorian, shown in Jalali)
    deadline: Mapped[object | None] = mapped_column(Date)
    #: order on the report
    position: Mapped[int] = mapped_column(Integer, default=0)

    evaluation: Mapped[Evaluation] = relationship(back_populates="recommendations")


class RecommendationResponse(db.Model):
    """The municipality's answer to a recommendation of a final report: what it did, how far
    it got, its evidence. Appended, never changed: the latest is the current one."""

    __tablename__ = "recommendation_responses"
    __table_args__ = (CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id"),
                                                   index=True)
    #: what was done (اقدام انجام‌شده)
    action_taken: Mapped[str] = mapped_column(Text)
    #: how far it got, in percent (0–100; 100: carried out)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    #: the evidence: documents, letters, minutes (their numbers and dates, as text)
    evidence: Mapped[str] = mapped_column(Text, default="")
    #: the day the action was taken (Gregorian, shown in Jalali)
    acted_on: Mapped[object | None] = mapped_column(Date)
    #: when and by whom it was written
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    recommendation = relationship("Recommendation")
    created_by = relationship("User")


class FollowUp(db.Model):
    """The next cycle's inspector's finding on a recommendation of the previous final:
    done, done in part, or not done, with a note. A child of the new evaluation (locked with
    it)."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "recommendation_id", name="evaluation_recommendation"),
        CheckConstraint("outcome IN ('done', 'partly', 'not_done')", name="outcome_known"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the evaluation (of the later cycle) whose inspector judged it
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    #: the recommendation of the earlier final
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id"),
                                                   index=True)
    #: "done", "partly" or "not_done"
    outcome: Mapped[str] = mapped_column(String(20))
    #: the inspector's note
    note: Mapped[str] = mapped_column(Text, default="")
    #: last change (UTC) and by whom
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    recommendation = relationship("Recommendation")


class Declaration(db.Model):
    """A value the municipality declared itself (خوداظهاری) for a criterion the rubric marks
    ``declared``, before the visit; the inspector verifies it (راستی‌آزمایی). Scores use the
    inspector's (verified) answer, never this. A child of the evaluation (locked with it)."""

    __tablename__ = "declarations"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "criterion_id", name="evaluation_criterion"),
        CheckConstraint("verdict IS NULL OR verdict IN ('confirmed', 'corrected')",
                        name="verdict_known"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    #: the criterion's id in the pinned rubric version
    criterion_id: Mapped[str] = mapped_column(String(50))
    #: the declared answer as its criterion type stores it (as Answer.value and Answer.data)
    value: Mapped[float | None] = mapped_column(Float)
    data: Mapped[dict | None] = mapped_column(JSON)
    #: the municipality's explanation (where the figure comes from)
    note: Mapped[str] = mapped_column(Text, default="")
    #: the inspector's reason when the verified value differs from the declared one
    correction_reason: Mapped[str] = mapped_column(Text, default="")
    #: "confirmed" (the verified answer is the declared one) or "corrected", settled when the
    #: evaluation is submitted (app.declarations.services.settle); None before
    verdict: Mapped[str | None] = mapped_column(String(20))
    #: last change by the municipality (UTC) and by whom
    declared_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: when the inspector confirmed or corrected it, and who
    verified_at: Mapped[object | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SaveReceipt(db.Model):
    """One accepted batch of changes, keyed by the client's idempotency key.

    A replay of the same key with the same payload gets the stored response; the same key with
    another payload is refused (409).
    """

    __tablename__ = "save_receipts"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the key the client generated for the batch
    key: Mapped[str] = mapped_column(String(64), unique=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    #: sha256 of the canonical JSON of the payload
    payload_sha256: Mapped[str] = mapped_column(String(64))
    #: the response that was sent
    response: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
