"""Use cases of an evaluation: create, answer, score, submit, return, approve.

Each function changes the session and flushes; the caller (a view inside ``app.db.writing()``,
or a command) commits. Scores are computed here when answers change and stored on the
evaluation, so pages and reports read stored figures instead of re-scoring.
"""

from __future__ import annotations

import hashlib
import json

from flask import current_app
from sqlalchemy import select

from app import audit
from app.authoring.services import rubric_of
from app.evaluations import access
from app.extensions import db
from app.i18n import _, current_lang, format_number, local_today, normalise_text
from app.models import (
    Answer,
    Assignment,
    Evaluation,
    EvaluationStatus,
    Recommendation,
    SaveReceipt,
    UnitResult,
)
from app.models._types import utcnow
from app.rubric import AnswerError, AnswerValue, Rubric, coerce_answer
from app.rubric.formula import profile_values
from app.rubric.values import REASON_MAX_CHARS, VALUE_MAX_CHARS
from app.scoring import ScoreCard, score


class ServiceError(Exception):
    """A use case refused; `message` is translated for the user, `status` the HTTP code."""

    def __init__(self, message: str, status: int = 400, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.details = details or {}


# --- reading ---------------------------------------------------------------------------------

def rubric_for(evaluation: Evaluation) -> Rubric:
    return rubric_of(evaluation.rubric_version)


def answer_values(evaluation: Evaluation) -> dict[str, AnswerValue]:
    """The stored answers as the scoring engine takes them (each type reads its own)."""
    rubric = rubric_for(evaluation)
    return {answer.criterion_id: stored_answer(rubric.criterion(answer.criterion_id), answer)
            for answer in evaluation.answers}


def stored_answer(criterion, answer: Answer) -> AnswerValue:
    """One stored answer row as an :class:`AnswerValue` (by its criterion's type)."""
    common = dict(na=bool(answer.na), na_reason=answer.na_reason or "",
                  note=answer.note or "")
    if criterion is None or answer.na:
        return AnswerValue(**common)
    return AnswerValue(**common, **criterion.kind.from_storage(criterion, answer.value,
                                                              answer.data))


def profile_of(evaluation: Evaluation) -> dict:
    """The municipality's profile as pinned when the evaluation was planned (or re-tiered):
    computed criteria read it, so later edits of the municipality change nothing here."""
    return dict(evaluation.tier_basis or {})


def scorecard(evaluation: Evaluation) -> ScoreCard:
    return score(rubric_for(evaluation), evaluation.tier_id, answer_values(evaluation),
                 profile_of(evaluation))


# --- creating --------------------------------------------------------------------------------

def create_evaluation(municipality, cycle, rubric_version, *, user=None, inspectors=(),
                      reviewer=None, due_date=None) -> Evaluation:
    """A new draft evaluation pinned to `rubric_version`, with the municipality's tier
    snapshotted as it is today."""
    rubric = rubric_of(rubric_version)
    tier = rubric.tier_for(municipality.grade, municipality.population)
    if tier is None:
        raise ServiceError(_("No tier of the rubric matches %(name)s (grade %(grade)s).",
                             name=municipality.name, grade=municipality.grade))
    evaluation = Evaluation(municipality=municipality, cycle=cycle, rubric_version=rubric_version,
                            tier_id=tier.id, tier_basis=municipality.tier_basis(),
                            due_date=due_date)
    db.session.add(evaluation)
    for inspector in inspectors:
        evaluation.assignments.append(Assignment(user_id=inspector.id, role="inspector"))
    if reviewer is not None:
        evaluation.assignments.append(Assignment(user_id=reviewer.id, role="reviewer"))
    db.session.flush()
    rescore(evaluation)
    audit.record("evaluation.create", "evaluation", evaluation.id, user=user,
                 evaluation=evaluation, tier=tier.id, rubric_version=rubric_version.sha256)
    return evaluation


# --- scoring ---------------------------------------------------------------------------------

def rescore(evaluation: Evaluation) -> ScoreCard:
    """Score the evaluation and store the overall and unit results on it."""
    card = scorecard(evaluation)
    evaluation.score, evaluation.raw_score = card.score, card.raw
    evaluation.band, evaluation.raw_band = card.band, card.raw_band
    evaluation.ungated_score, evaluation.raw_ungated_score = card.ungated, card.raw_ungated
    gates = [{"id": g.id, "met": g.met, "raw_met": g.raw_met} for g in card.gates]
    if gates != (evaluation.gates or []):
        evaluation.gates = gates or None
    evaluation.complete = card.complete
    evaluation.answered_count, evaluation.applicable_count = card.answered, card.applicable
    existing = {r.unit_id: r for r in evaluation.unit_results}
    for unit in card.units:
        row = existing.pop(unit.id, None)
        if row is None:
            row = UnitResult(unit_id=unit.id)
            evaluation.unit_results.append(row)
        row.score, row.raw_score, row.band = unit.score, unit.raw, unit.band
        row.evaluated, row.weight = unit.evaluated, unit.weight
    for stale in existing.values():
        evaluation.unit_results.remove(stale)
    return card


# --- answering -------------------------------------------------------------------------------

def _payload_digest(changes: dict) -> str:
    return hashlib.sha256(json.dumps(changes, sort_keys=True, ensure_ascii=False)
                          .encode()).hexdigest()


def save_answers(evaluation: Evaluation, changes: dict[str, dict], *, user,
                 base_version: int | None = None, key: str | None = None,
                 device: str | None = None) -> dict:
    """Apply a batch of answer changes from the form; return what the client needs.

    `changes` maps criterion id → {"value", "na", "na_reason", "note"} (any subset). The batch
    is all-or-nothing: one bad field refuses the whole batch and names every bad field.
    `base_version` is the evaluation version the client last saw: a different current version
    means someone else saved meanwhile; the criteria another device or user changed since
    are refused with both values (409) unless the client's values equal the stored ones.
    `device` is the key the browser made for itself: a device never conflicts with itself.
    `key` makes the save idempotent: a replay returns the first response.
    """
    digest = _payload_digest({"changes": changes, "base": base_version})
    if key:
        receipt = db.session.scalar(select(SaveReceipt).where(SaveReceipt.key == key))
        if receipt is not None:
            if receipt.payload_sha256 != digest or receipt.evaluation_id != evaluation.id:
                raise ServiceError(_("This save key was already used for different changes."),
                                   status=409)
            return {**receipt.response, "replayed": True}
    # checked again here, inside the writing transaction: a save racing a submit or an
    # approval sees the state that transaction holds, never the one a view read earlier
    if evaluation.is_locked:
        raise ServiceError(_("This evaluation is approved and can no longer be changed."),
                           status=409)
    if not evaluation.cycle.is_open:
        raise ServiceError(_("The evaluation cycle is closed; no answers can be changed."),
                           status=409)
    if evaluation.status not in (EvaluationStatus.DRAFT, EvaluationStatus.RETURNED):
        raise ServiceError(_("This evaluation was submitted; it can be changed again only "
                             "if the reviewer returns it."), status=409)
    if not access.can_edit_answers(user, evaluation):
        raise ServiceError(_("You cannot change this evaluation now."), status=403)

    rubric = rubric_for(evaluation)
    stored = {a.criterion_id: a for a in evaluation.answers}
    errors: dict[str, str] = {}
    parsed: dict[str, tuple[AnswerValue, str]] = {}
    for criterion_id, change in changes.items():
        criterion = rubric.criterion(str(criterion_id))
        if criterion is None or not criterion.applies(evaluation.tier_id):
            errors[str(criterion_id)] = _("This criterion is not part of this evaluation.")
            continue
        try:
            parsed[criterion.id] = _parse_change(criterion, change, stored.get(criterion.id),
                                                 rubric)
        except ServiceError as error:
            errors[criterion.id] = error.message
    if errors:
        raise ServiceError(_("Some answers could not be saved; see the marked fields."),
                           status=422, details={"errors": errors})

    conflicts = {}
    if base_version is not None and base_version != evaluation.version:
        profile = profile_values(profile_of(evaluation))
        for criterion_id, (value, note) in parsed.items():
            current = stored.get(criterion_id)
            changed_elsewhere = (current is not None and (current.revision or 0) > base_version
                                 and (device is None or current.device_id != device
                                      or current.updated_by_id != user.id))
            yours = _value_dict(value, note, rubric.criterion(criterion_id), profile)
            if changed_elsewhere and _as_dict(current) != yours:
                conflicts[criterion_id] = {"theirs": _as_dict(current), "yours": yours}
    if conflicts:
        raise ServiceError(
            _("Someone else changed these answers meanwhile. Compare and choose."),
            status=409, details={"conflicts": conflicts, "version": evaluation.version})

    now = utcnow()
    next_version = evaluation.version + 1  # what the flush below makes it
    profile = profile_values(profile_of(evaluation))
    for criterion_id, (value, note) in parsed.items():
        answer = stored.get(criterion_id)
        old = _as_dict(answer) if answer is not None else None
        if answer is None:
            answer = Answer(criterion_id=criterion_id)
            evaluation.answers.append(answer)
        criterion = rubric.criterion(criterion_id)
        stored_value, data = (None, None) if value.na else criterion.kind.to_storage(
            criterion, value, profile)
        answer.value = stored_value
        if data != answer.data:
            answer.data = data
        answer.na, answer.na_reason, answer.note = value.na, value.na_reason, note
        new = _as_dict(answer)
        if old != new:
            answer.updated_by_id, answer.updated_at = user.id, now
            answer.revision, answer.device_id = next_version, device
            audit.record("answer.change", "answer", criterion_id, user=user,
                         evaluation=evaluation, old=old, new=new)
    evaluation.updated_at = now
    card = rescore(evaluation)
    db.session.flush()  # bumps evaluation.version
    response = {"ok": True, "version": evaluation.version, "score": summary(card, rubric)}
    if key:
        db.session.add(SaveReceipt(key=key, evaluation_id=evaluation.id, payload_sha256=digest,
                                   response=response))
        db.session.flush()
    return response


#: what a change from the form may hold, and the JSON types each part may have
_CHANGE_TYPES = {"value": (str, int, float, bool, list, type(None)),
                 "na": (bool,), "na_reason": (str,), "note": (str,),
                 "inputs": (dict, type(None)), "samples": (list, type(None))}
_TEXT_LIMITS = {"na_reason": REASON_MAX_CHARS}


def _parse_change(criterion, change: dict, current: Answer | None, rubric: Rubric
                  ) -> tuple[AnswerValue, str]:
    """One criterion's change from the form as an answer. Parts left out keep their stored
    value; every part must have its JSON type (``"na": "false"`` is refused, not N/A)."""
    if not isinstance(change, dict) or set(change) - set(_CHANGE_TYPES):
        raise ServiceError(_("The answer could not be read."))
    for part, value in change.items():
        if not isinstance(value, _CHANGE_TYPES[part]) or (
                part == "value" and isinstance(value, float) and value != value):
            raise ServiceError(_("The answer could not be read."))
    note_limit = current_app.config["NOTE_MAX_CHARS"]
    note = normalise_text(change.get("note", current.note if current else ""))
    if len(note) > note_limit:
        raise ServiceError(_("The note is too long (at most %(n)s characters).",
                             n=format_number(note_limit, 0, current_lang())))
    if change.get("na"):
        reason = normalise_text(change.get("na_reason", ""))
        if len(reason) > _TEXT_LIMITS["na_reason"]:
            raise ServiceError(_("The reason is too long (at most %(n)s characters).",
                                 n=format_number(_TEXT_LIMITS["na_reason"], 0, current_lang())))
        if not criterion.allow_na:
            raise ServiceError(_("This criterion cannot be marked not applicable."))
        if not reason:
            raise ServiceError(_("Write why this criterion does not apply."))
        return AnswerValue(na=True, na_reason=reason, note=note), note
    parts = {key: change[key] for key in ("value", "inputs", "samples") if key in change}
    if not parts and current is not None and not current.na:
        kept = stored_answer(criterion, current)
        return AnswerValue(value=kept.value, inputs=kept.inputs, items=kept.items,
                           samples=kept.samples, note=note), note
    if isinstance(parts.get("value"), str) and len(parts["value"]) > VALUE_MAX_CHARS:
        raise ServiceError(_("Enter a number."))
    try:
        value = coerce_answer(criterion, parts)
    except AnswerError as error:
        raise ServiceError(error.problem().advice(current_lang())) from None
    return AnswerValue(value=value.value, inputs=value.inputs, items=value.items,
                       samples=value.samples, note=note), note


def _as_dict(answer: Answer) -> dict:
    return {"value": answer.value, "data": answer.data, "na": bool(answer.na),
            "na_reason": answer.na_reason or "", "note": answer.note or ""}


def _value_dict(value: AnswerValue, note: str, criterion, profile) -> dict:
    stored, data = (None, None) if value.na else criterion.kind.to_storage(criterion, value,
                                                                           profile)
    return {"value": stored, "data": data, "na": value.na, "na_reason": value.na_reason,
            "note": note}


def summary(card: ScoreCard, rubric: Rubric) -> dict:
    """The live figures the form shows: overall and per unit, adjusted and raw."""
    return {
        "score": card.score, "raw": card.raw, "band": card.band, "complete": card.complete,
        "answered": card.answered, "applicable": card.applicable,
        "units": {u.id: {"score": u.score, "raw": u.raw, "band": u.band,
                         "evaluated": u.evaluated, "answered": u.answered,
                         "applicable": u.applicable_criteria} for u in card.units},
        "note_required": [c.id for c in card.criteria if c.note_required],
        "ungated": card.ungated, "raw_ungated": card.raw_ungated,
        "gates": [{"id": g.id, "title": g.title, "met": g.met, "raw_met": g.raw_met}
                  for g in card.gates],
        "values": {c.id: c.value for c in card.criteria
                   if c.answered and isinstance(c.value, int | float)
                   and not isinstance(c.value, bool)},
    }


# --- workflow --------------------------------------------------------------------------------

def submission_problems(evaluation: Evaluation) -> dict[str, str]:
    """What stops the evaluation from being submitted, by criterion id (empty: nothing)."""
    card = scorecard(evaluation)
    values = answer_values(evaluation)
    problems = {cid: _("Not answered yet.") for cid in card.missing}
    for crit in card.criteria:
        answer = values.get(crit.id)
        if crit.note_required and not (answer and answer.note):
            problems[crit.id] = _("This answer scores low: write a note explaining it.")
    return problems


def submit(evaluation: Evaluation, *, user) -> None:
    if evaluation.status not in (EvaluationStatus.DRAFT, EvaluationStatus.RETURNED):
        raise ServiceError(_("Only a draft or returned evaluation can be submitted."), 409)
    if not access.can_edit_answers(user, evaluation):
        raise ServiceError(_("You cannot change this evaluation now."), status=403)
    problems = submission_problems(evaluation)
    if problems:
        raise ServiceError(_("The evaluation is not complete yet."), 422,
                           details={"problems": problems})
    old = evaluation.status
    evaluation.status = EvaluationStatus.SUBMITTED
    evaluation.submitted_at = utcnow()
    audit.record("evaluation.submit", "evaluation", evaluation.id, user=user,
                 evaluation=evaluation, old=old, new=evaluation.status)
    db.session.flush()


def return_for_changes(evaluation: Evaluation, *, user, comments: dict[str, str],
                       message: str = "") -> None:
    """Send a submitted evaluation back to its inspectors with per-criterion comments."""
    if evaluation.status != EvaluationStatus.SUBMITTED:
        raise ServiceError(_("Only a submitted evaluation can be returned."), 409)
    comments = {cid: normalise_text(text) for cid, text in comments.items()
                if normalise_text(text)}
    if not comments and not normalise_text(message):
        raise ServiceError(_("Write at least one comment saying what should change."), 422)
    rubric = rubric_for(evaluation)
    stored = {a.criterion_id: a for a in evaluation.answers}
    for answer in stored.values():
        answer.review_comment = ""
    for cid, text in comments.items():
        if rubric.criterion(cid) is None:
            raise ServiceError(_("This criterion is not part of this evaluation."), 422)
        answer = stored.get(cid)
        if answer is None:
            answer = Answer(criterion_id=cid)
            evaluation.answers.append(answer)
        answer.review_comment = text
    evaluation.status = EvaluationStatus.RETURNED
    evaluation.review_message = normalise_text(message)
    audit.record("evaluation.return", "evaluation", evaluation.id, user=user,
                 evaluation=evaluation, old=EvaluationStatus.SUBMITTED,
                 new=EvaluationStatus.RETURNED, comments=comments,
                 message=normalise_text(message))
    db.session.flush()


#: the longest overall message a reviewer may send with a returned evaluation, and the
#: longest comment on one criterion
REVIEW_MESSAGE_MAX = 4000
REVIEW_COMMENT_MAX = 4000


def returned_notes(evaluation: Evaluation, rubric: Rubric) -> dict | None:
    """What the reviewer said when returning the evaluation, for the top of the inspectors'
    form: the overall message and the criteria with a comment, in the rubric's order; None
    when the evaluation is not returned."""
    if evaluation.status != EvaluationStatus.RETURNED:
        return None
    comments = {a.criterion_id: a.review_comment for a in evaluation.answers
                if a.review_comment}
    criteria = [{"id": c.id, "title": c.title, "comment": comments[c.id]}
                for c in rubric.criteria() if c.id in comments]
    return {"message": evaluation.review_message or "", "criteria": criteria}


def set_visit_date(evaluation: Evaluation, *, user, visit_date) -> None:
    """Record the day of the site visit (a date; None clears it) while the inspectors may
    still change the evaluation; the report prints it."""
    if not access.can_edit_answers(user, evaluation):
        raise ServiceError(_("You cannot change this evaluation now."), status=403)
    if visit_date is not None and visit_date > local_today():
        raise ServiceError(_("The visit date cannot be later than today."), status=422)
    old = evaluation.visit_date
    if old == visit_date:
        return
    evaluation.visit_date = visit_date
    evaluation.updated_at = utcnow()
    audit.record("evaluation.visit_date", "evaluation", evaluation.id, user=user,
                 evaluation=evaluation, old=old.isoformat() if old else None,
                 new=visit_date.isoformat() if visit_date else None)
    db.session.flush()


def set_report_texts(evaluation: Evaluation, *, user, strengths: str, improvements: str,
                     recommendations: list[dict]) -> None:
    """The reviewer's own texts for the report, written before approving: strengths, areas
    for improvement and the recommendations (text, responsible party, deadline)."""
    if evaluation.status != EvaluationStatus.SUBMITTED:
        raise ServiceError(_("The report texts can be written while the evaluation waits for "
                             "review."), 409)
    old = {"strengths": evaluation.strengths_text, "improvements": evaluation.improvements_text,
           "recommendations": [r.text for r in evaluation.recommendations]}
    evaluation.strengths_text = normalise_text(strengths)
    evaluation.improvements_text = normalise_text(improvements)
    evaluation.recommendations.clear()
    db.session.flush()
    for position, row in enumerate(recommendations, 1):
        evaluation.recommendations.append(Recommendation(
            text=normalise_text(row["text"]), responsible=normalise_text(row["responsible"]),
            deadline=row["deadline"], position=position))
    audit.record("evaluation.report_texts", "evaluation", evaluation.id, user=user,
                 evaluation=evaluation, old=old,
                 new={"strengths": evaluation.strengths_text,
                      "improvements": evaluation.improvements_text,
                      "recommendations": [r["text"] for r in recommendations]})
    db.session.flush()


def approve(evaluation: Evaluation, *, user, at=None) -> None:
    """Approve a submitted evaluation; it is locked for good from here on (the database
    refuses any later change). `at` backdates the approval (the demo data only)."""
    if evaluation.status != EvaluationStatus.SUBMITTED:
        raise ServiceError(_("Only a submitted evaluation can be approved."), 409)
    rescore(evaluation)
    # read everything first: once the status says approved, the database refuses any change
    reviewer_id = user.id
    number = evaluation.report_number or f"{evaluation.cycle.year}/{evaluation.id:04d}"
    with db.session.no_autoflush:
        evaluation.approved_at = at or utcnow()
        evaluation.approved_by_id = reviewer_id
        evaluation.report_number = number
        evaluation.status = EvaluationStatus.APPROVED
        audit.record("evaluation.approve", "evaluation", evaluation.id, user=user,
                     evaluation=evaluation, old=EvaluationStatus.SUBMITTED,
                     new=EvaluationStatus.APPROVED, score=evaluation.score, band=evaluation.band)
    db.session.flush()
    from app.reports.services import issue_final  # the final report, frozen from here on

    issue_final(evaluation, user=user)
