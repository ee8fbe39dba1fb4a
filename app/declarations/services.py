"""Self-declaration, then verification.

A rubric marks the criteria (or whole units) the municipality declares itself (``declared:
true``). While the cycle is open, the evaluation is a draft and the cycle's deadline has not
passed (app.access.may_declare), the municipality's account fills those values, with an
explanation and documents, on its own page. The inspector's form shows each declared value
beside the field: one tap confirms it (the declared value becomes the inspector's answer), or
the inspector enters the verified value and records why it differs. Scores use the
inspector's (verified) answers only, never a declaration.

A declaration's verdict — confirmed (the verified answer is the declared one) or corrected —
is read live from the answers while the evaluation can change, and settled on the declaration
row when it is submitted (:func:`settle`), so reports and the dashboard's accuracy across
cycles read one stored verdict. Values are compared as their criterion type stores them
(``kind.to_storage``): the same reading as the answers themselves.

Each function changes the session and flushes; the caller (a view inside ``writing()``)
commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import bindparam, case, func, select

from app import access, audit, workflow
from app.errors import ServiceError
from app.evaluations.services import answer_values, profile_of, rubric_for, save_answers
from app.extensions import db
from app.i18n import _, current_lang, format_number, normalise_text
from app.models import Answer, Declaration, Evaluation, EvaluationCycle, Municipality
from app.models._types import utcnow
from app.rubric import AnswerError, AnswerValue, coerce_answer
from app.rubric.formula import profile_values

CONFIRMED, CORRECTED, PENDING, MISSING = "confirmed", "corrected", "pending", "missing"
NOTE_MAX = 2000
REASON_MAX = 1000


# --- reading ---------------------------------------------------------------------------------

def declared_criteria(evaluation: Evaluation) -> list:
    """The criteria of the evaluation that the municipality declares."""
    return rubric_for(evaluation).declared(evaluation.tier_id)


def declarations_of(evaluation: Evaluation) -> dict[str, Declaration]:
    return {d.criterion_id: d for d in db.session.scalars(
        select(Declaration).where(Declaration.evaluation_id == evaluation.id))}


def declared_answer(criterion, declaration: Declaration) -> AnswerValue:
    """A declaration as an answer of its criterion's type."""
    return AnswerValue(**criterion.kind.from_storage(criterion, declaration.value,
                                                     declaration.data))


def _same(criterion, declaration: Declaration, answer: Answer | None) -> bool:
    return (answer is not None and not answer.na and answer.value == declaration.value
            and (answer.data or None) == (declaration.data or None))


def verdict_of(criterion, declaration: Declaration | None, answer: Answer | None) -> str:
    """missing (nothing declared), pending (not verified: no answer yet), confirmed or
    corrected — live, from the answer as it stands."""
    if declaration is None:
        return MISSING
    if answer is None or (answer.value is None and not answer.data and not answer.na):
        return PENDING
    return CONFIRMED if _same(criterion, declaration, answer) else CORRECTED


@dataclass
class Row:
    """One declared criterion of an evaluation, as the pages and the report show it."""

    criterion: object
    declaration: Declaration | None
    answer: Answer | None
    verdict: str
    declared_text: str
    verified_text: str


def _counted(criterion, answer: AnswerValue, text: str, lang: str) -> str:
    """`text` (the answer's value in words) with what was counted for it, when computed."""
    counted = criterion.kind.inputs_text(criterion, answer, lang)
    return f"{text} ({counted})" if counted else text


def rows(evaluation: Evaluation, lang: str | None = None, answers: dict | None = None,
         values: dict | None = None) -> list[Row]:
    """Every declared criterion with its declared value, the verified answer and the
    verdict (settled when the evaluation was submitted, else live). `answers` (criterion id
    → Answer) and `values` (:func:`app.evaluations.services.answer_values`'): the
    evaluation's, when the caller has them already."""
    lang = lang or current_lang()
    found = declarations_of(evaluation)
    if answers is None:
        answers = {a.criterion_id: a for a in evaluation.answers}
    if values is None:
        values = answer_values(evaluation)
    out = []
    for criterion in declared_criteria(evaluation):
        declaration = found.get(criterion.id)
        answer = answers.get(criterion.id)
        verdict = declaration.verdict if declaration is not None and declaration.verdict \
            and workflow.is_locked(evaluation) else verdict_of(criterion, declaration, answer)
        declared = declared_answer(criterion, declaration) if declaration is not None else None
        declared_text = criterion.kind.value_text(criterion, declared, lang) if declared else ""
        verified = values.get(criterion.id)
        if verified is not None and verified.na:
            verified = None
        verified_text = criterion.kind.value_text(criterion, verified, lang) if verified else ""
        if verdict == CORRECTED and declared and verified and declared_text == verified_text:
            # other counts giving the same (capped or rounded) value: say what was counted
            declared_text = _counted(criterion, declared, declared_text, lang)
            verified_text = _counted(criterion, verified, verified_text, lang)
        out.append(Row(criterion, declaration, answer, verdict, declared_text, verified_text))
    return out


def summary(evaluation: Evaluation) -> dict:
    """How many criteria are declared, verified, confirmed and corrected, and the share
    confirmed of those verified (None when none is)."""
    found = rows(evaluation)
    verified = [r for r in found if r.verdict in (CONFIRMED, CORRECTED)]
    confirmed = sum(1 for r in verified if r.verdict == CONFIRMED)
    return {"criteria": len(found),
            "declared": sum(1 for r in found if r.declaration is not None),
            "verified": len(verified), "confirmed": confirmed,
            "corrected": len(verified) - confirmed,
            "share": round(100 * confirmed / len(verified), 1) if verified else None}


def verification_problems(evaluation: Evaluation) -> dict[str, str]:
    """Declared values the inspector corrected without writing why (submission needs it)."""
    found = declarations_of(evaluation)
    if not found:
        return {}
    answers = {a.criterion_id: a for a in evaluation.answers}
    problems = {}
    for criterion in declared_criteria(evaluation):
        declaration = found.get(criterion.id)
        if verdict_of(criterion, declaration, answers.get(criterion.id)) == CORRECTED \
                and not (declaration.correction_reason or "").strip():
            problems[criterion.id] = _("The verified value differs from the municipality's "
                                       "declaration: write why.")
    return problems


# --- the municipality declares ---------------------------------------------------------------

def save_declaration(evaluation: Evaluation, changes: dict[str, dict], *, user,
                     today=None, at=None) -> int:
    """The municipality's declared values: criterion id → {"raw": as the criterion's type
    reads it, "note": where the figure comes from}. All or nothing: one bad value refuses
    the batch and names every bad field. Returns how many declarations changed. (`today`
    and `at` date the declaration back: the demo data only.)"""
    if not access.may_declare(user, evaluation, today=today):
        refused = workflow.refusal(evaluation, workflow.DECLARE)
        raise ServiceError(refused or _("The declaration deadline has passed; the declared "
                                        "values can no longer be changed."), 409)
    rubric = rubric_for(evaluation)
    declared = {c.id: c for c in declared_criteria(evaluation)}
    profile = profile_values(profile_of(evaluation))
    errors, parsed = {}, {}
    for criterion_id, change in changes.items():
        criterion = declared.get(str(criterion_id))
        if criterion is None:
            errors[str(criterion_id)] = _("The municipality does not declare this criterion.")
            continue
        note = normalise_text(str(change.get("note") or ""))
        if len(note) > NOTE_MAX:
            errors[criterion.id] = _("The explanation is too long (at most %(n)s characters).",
                                     n=format_number(NOTE_MAX, 0, current_lang()))
            continue
        raw = change.get("raw")
        if raw is None:
            parsed[criterion.id] = (None, None, note)
            continue
        try:
            value = coerce_answer(criterion, raw if isinstance(raw, dict) else {"value": raw})
        except AnswerError as error:
            errors[criterion.id] = error.problem().message(current_lang())
            continue
        stored, data = criterion.kind.to_storage(criterion, value, profile)
        parsed[criterion.id] = (stored, data, note)
    if errors:
        raise ServiceError(_("Some declared values could not be saved; see the marked "
                             "fields."), 422, details={"errors": errors})
    existing = declarations_of(evaluation)
    changed = 0
    now = at or utcnow()
    for criterion_id, (stored, data, note) in parsed.items():
        row = existing.get(criterion_id)
        old = None if row is None else {"value": row.value, "data": row.data, "note": row.note}
        new = {"value": stored, "data": data, "note": note}
        if old == new or (row is None and stored is None and data is None and not note):
            continue
        if row is None:
            row = Declaration(evaluation_id=evaluation.id, criterion_id=criterion_id)
            db.session.add(row)
        row.value, row.data, row.note = stored, data, note
        row.declared_at, row.declared_by_id = now, user.id
        changed += 1
        audit.record("declaration.change", "declaration", criterion_id, user=user,
                     evaluation=evaluation, old=old, new=new,
                     criterion=rubric.criterion(criterion_id).id)
    db.session.flush()
    return changed


# --- the inspector verifies ------------------------------------------------------------------

def _declaration_for(evaluation: Evaluation, criterion_id: str, user):
    if not access.may_answer(user, evaluation):
        refused = workflow.refusal(evaluation, workflow.ANSWER)
        raise ServiceError(refused or _("You cannot change this evaluation now."),
                           409 if refused else 403)
    criterion = next((c for c in declared_criteria(evaluation) if c.id == criterion_id), None)
    declaration = declarations_of(evaluation).get(criterion_id) if criterion else None
    if criterion is None or declaration is None:
        raise ServiceError(_("The municipality declared nothing for this criterion."), 404)
    return criterion, declaration


def confirm(evaluation: Evaluation, criterion_id: str, *, user, device=None) -> dict:
    """One tap: the declared value becomes the inspector's answer (saved like any answer,
    through ``save_answers``), and the declaration is marked verified."""
    criterion, declaration = _declaration_for(evaluation, criterion_id, user)
    kind = criterion.kind
    fields = kind.form_data(criterion, declared_answer(criterion, declaration), "en")
    raw = kind.raw_from_form(criterion, fields)
    change = dict(raw) if isinstance(raw, dict) else {"value": raw}
    change["na"] = False
    result = save_answers(evaluation, {criterion.id: change}, user=user, device=device)
    declaration.correction_reason = ""
    declaration.verified_at, declaration.verified_by_id = utcnow(), user.id
    audit.record("declaration.verify", "declaration", criterion.id, user=user,
                 evaluation=evaluation, verdict=CONFIRMED)
    db.session.flush()
    return result


def record_correction(evaluation: Evaluation, criterion_id: str, reason: str, *, user) -> None:
    """The inspector's reason for a verified value that differs from the declared one (the
    value itself is the answer, entered in its field as always)."""
    criterion, declaration = _declaration_for(evaluation, criterion_id, user)
    reason = normalise_text(reason)
    if not reason:
        raise ServiceError(_("Write why the verified value differs from the declared one."),
                           422)
    if len(reason) > REASON_MAX:
        raise ServiceError(_("The reason is too long (at most %(n)s characters).",
                             n=format_number(REASON_MAX, 0, current_lang())), 422)
    old = declaration.correction_reason
    declaration.correction_reason = reason
    declaration.verified_at, declaration.verified_by_id = utcnow(), user.id
    audit.record("declaration.verify", "declaration", criterion.id, user=user,
                 evaluation=evaluation, verdict=CORRECTED, old={"reason": old},
                 new={"reason": reason})
    db.session.flush()


def settle(evaluation: Evaluation) -> None:
    """Store each declaration's verdict as the answers now stand (the submit step calls it:
    answers change again only after a return, and the next submit settles anew)."""
    answers = {a.criterion_id: a for a in evaluation.answers}
    found = declarations_of(evaluation)
    for criterion in declared_criteria(evaluation):
        declaration = found.get(criterion.id)
        if declaration is None:
            continue
        verdict = verdict_of(criterion, declaration, answers.get(criterion.id))
        declaration.verdict = verdict if verdict in (CONFIRMED, CORRECTED) else None
    db.session.flush()


# --- across cycles ---------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _accuracy_statement(scoped: bool, one_town: bool):
    """The statement of :func:`accuracy`, made once per process (the provinces bound as
    ``provinces``, the municipality as ``town``): building it took a hundred times longer
    than running it."""
    confirmed = func.sum(case((Declaration.verdict == CONFIRMED, 1), else_=0))
    corrected = func.sum(case((Declaration.verdict == CORRECTED, 1), else_=0))
    statement = (
        select(Municipality.id, Municipality.name, EvaluationCycle.year,
               func.count(Declaration.id), confirmed, corrected)
        .select_from(Declaration)
        .join(Evaluation, Evaluation.id == Declaration.evaluation_id)
        .join(Municipality, Municipality.id == Evaluation.municipality_id)
        .join(EvaluationCycle, EvaluationCycle.id == Evaluation.cycle_id)
        .where(workflow.final_condition(Evaluation))
        .group_by(Municipality.id, Municipality.name, EvaluationCycle.year)
        .order_by(Municipality.name, EvaluationCycle.year))
    if scoped:
        statement = statement.where(
            Municipality.province_id.in_(bindparam("provinces", expanding=True)))
    if one_town:
        statement = statement.where(Municipality.id == bindparam("town"))
    return statement


def accuracy(province_ids=None, municipality_id: int | None = None) -> list[dict]:
    """Each municipality's declarations by cycle, from the settled verdicts of finals:
    declared, confirmed, corrected and the share confirmed — a municipality whose declarations
    are often corrected is a known warning sign. Rows of (municipality, year), by name and
    year."""
    statement = _accuracy_statement(province_ids is not None, municipality_id is not None)
    parameters: dict = {}
    if province_ids is not None:
        parameters["provinces"] = list(province_ids)
    if municipality_id is not None:
        parameters["town"] = municipality_id
    out = []
    for town_id, name, year, declared, ok, wrong in db.session.execute(statement,
                                                                       parameters):
        verified = (ok or 0) + (wrong or 0)
        out.append({"municipality_id": town_id, "name": name, "year": year,
                    "declared": declared, "confirmed": ok or 0, "corrected": wrong or 0,
                    "share": round(100 * (ok or 0) / verified, 1) if verified else None})
    return out


# --- beside the inspector's field ------------------------------------------------------------

def form_boxes(evaluation: Evaluation, field_key, lang: str | None = None,
               answers: dict | None = None, values: dict | None = None) -> dict[str, dict]:
    """Criterion id → what the inspector's form shows beside a declared criterion's field:
    the row (declared and verified values, verdict), the municipality's explanation, and the
    field data that puts the declared value in the card's own fields (``fill``: field name →
    data, the criterion type's ``form_data`` — one tap confirms by filling them).
    `answers` and `values`: as for :func:`rows`."""
    lang = lang or current_lang()
    boxes = {}
    for row in rows(evaluation, lang, answers, values):
        if row.declaration is None:
            continue
        criterion = row.criterion
        key = field_key(criterion.id)
        parts = criterion.kind.form_data(criterion, declared_answer(criterion, row.declaration),
                                         lang)
        boxes[criterion.id] = {"row": row, "note": row.declaration.note or "",
                               "reason": row.declaration.correction_reason or "",
                               "fill": {key + suffix: value for suffix, value in parts.items()}}
    return boxes
