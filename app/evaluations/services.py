"""Use cases of an evaluation: create, answer, score, submit, return, approve.

Each function changes the session and flushes; the caller (a view inside ``app.db.writing()``,
or a command) commits. Scores are computed here when answers change and stored on the
evaluation, so pages and reports read stored figures instead of re-scoring.
"""

from __future__ import annotations

import hashlib
import json
from typing import NamedTuple

from flask import current_app
from sqlalchemy import (
    Float,
    Integer,
    Text,
    bindparam,
    cast,
    delete,
    insert,
    inspect,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app import access, audit, workflow
from app.authoring.services import rubric_of
from app.errors import ServiceError
from app.evaluations import scorecards
from app.extensions import db
from app.i18n import _, current_lang, format_number, local_today, normalise_text
from app.models import (
    Answer,
    Assignment,
    Evaluation,
    EvaluationCycle,
    Municipality,
    Recommendation,
    RubricVersion,
    SaveReceipt,
    UnitResult,
)
from app.models._types import utcnow
from app.rubric import AnswerError, AnswerValue, Rubric, coerce_answer
from app.rubric.formula import profile_values
from app.rubric.values import REASON_MAX_CHARS, VALUE_MAX_CHARS
from app.scoring import ScoreCard

# --- reading ---------------------------------------------------------------------------------

def rubric_for(evaluation: Evaluation) -> Rubric:
    return rubric_of(evaluation.rubric_version)


#: the columns of a stored answer that scoring, conflicts and the audit read
ANSWER_COLUMNS = (Answer.id, Answer.criterion_id, Answer.value, Answer.data, Answer.na,
                  Answer.na_reason, Answer.note, Answer.revision, Answer.device_id,
                  Answer.updated_by_id)


#: the same, the structured data as its stored JSON text (see :class:`AnswerRow`)
_ANSWERS_OF = select(*(cast(Answer.data, Text).label("data_text") if column is Answer.data
                       else column for column in ANSWER_COLUMNS)).where(
    Answer.evaluation_id == bindparam("evaluation"))


class AnswerRow(NamedTuple):
    """A stored answer as :func:`stored_rows` reads it: the columns of
    :data:`ANSWER_COLUMNS`, the structured data kept as its JSON text and decoded when read
    (a save decodes the few answers it changes; the score card keys the others by the text,
    :func:`app.evaluations.scorecards.answer_key`)."""

    id: int
    criterion_id: str
    value: float | None
    data_text: str | None
    na: bool
    na_reason: str | None
    note: str | None
    revision: int | None
    device_id: str | None
    updated_by_id: int | None

    @property
    def data(self):
        return None if self.data_text is None else json.loads(self.data_text)


def stored_rows(evaluation: Evaluation, connection=None) -> list:
    """The evaluation's stored answers as plain rows (the columns above), read in the
    current transaction: cheaper than loading them as objects, and never stale.
    `connection`: the transaction's, when the caller holds it (:func:`_connection`)."""
    return [AnswerRow(*row) for row in (connection or _connection()).execute(
        _ANSWERS_OF, {"evaluation": evaluation.id})]


class UnitRow(NamedTuple):
    """A stored unit result as a save compares it with the new card (see
    :func:`_store_unit_results`)."""

    id: int
    unit_id: str
    score: float | None
    raw_score: float | None
    band: str | None
    evaluated: bool
    weight: float | None


_NO_FLOAT, _NO_TEXT, _NO_INT = cast(null(), Float), cast(null(), Text), cast(null(), Integer)
#: a save's one read of what it may change: the evaluation's stored answers (the columns of
#: :data:`_ANSWERS_OF`, kind 0) and its unit results (kind 1: id, unit, score, evaluated and
#: band in the answers' columns of the same types, raw score and weight in the last two)
_ANSWERS_AND_UNITS_OF = union_all(
    select(literal_column("0", Integer).label("kind"), *_ANSWERS_OF.selected_columns,
           _NO_FLOAT.label("raw_score"), _NO_FLOAT.label("weight"))
    .where(Answer.evaluation_id == bindparam("evaluation")),
    select(literal_column("1", Integer), UnitResult.id, UnitResult.unit_id, UnitResult.score,
           _NO_TEXT, UnitResult.evaluated, UnitResult.band, _NO_TEXT, _NO_INT, _NO_TEXT,
           _NO_INT, UnitResult.raw_score, UnitResult.weight)
    .where(UnitResult.evaluation_id == bindparam("evaluation")))


def rows_for_save(evaluation, connection) -> tuple[list[AnswerRow], dict[str, UnitRow]]:
    """The evaluation's stored answers (as :func:`stored_rows` reads them) and its unit
    results by unit id, in one statement of the current transaction (`connection`)."""
    answers, units = [], {}
    for row in connection.execute(_ANSWERS_AND_UNITS_OF, {"evaluation": evaluation.id}):
        if row[0] == 0:
            answers.append(AnswerRow(*row[1:11]))
        else:
            units[row[2]] = UnitRow(row[1], row[2], row[3], row[11], row[6], bool(row[5]),
                                    row[12])
    return answers, units


#: what the form page reads of each stored answer: the columns above and the reviewer's
#: comment on it
_SHOWN_OF = select(*_ANSWERS_OF.selected_columns, Answer.review_comment).where(
    Answer.evaluation_id == bindparam("evaluation"))


#: a stored answer as the form page reads it (:func:`shown_answers`): an :class:`AnswerRow`'s
#: columns (named once, there), the reviewer's comment, and the structured data decoded once
#: (``data``) beside its stored text (``data_text``, which the score card keys by)
ShownAnswer = NamedTuple("ShownAnswer", [*AnswerRow.__annotations__.items(),
                                         ("review_comment", "str | None"), ("data", object)])


def shown_answers(evaluation: Evaluation) -> list[ShownAnswer]:
    """The evaluation's stored answers for its page, as plain rows read in the current
    transaction (one statement; loading them as objects cost the page several times more)."""
    return [ShownAnswer(*row, None if row.data_text is None else json.loads(row.data_text))
            for row in _connection().execute(_SHOWN_OF, {"evaluation": evaluation.id})]


def _connection():
    """The transaction's connection, for the plain statements of scoring and saving (cheaper
    than the session's own execute), once the session has flushed what it holds."""
    session = db.session()
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection()


def transaction_connection():
    """The current transaction's connection (begun if need be), for a save's statements."""
    return _connection()


def answer_values(evaluation: Evaluation, answers=None) -> dict[str, AnswerValue]:
    """The stored answers as the scoring engine takes them (each type reads its own).
    `answers`: the evaluation's (objects or rows: :func:`shown_answers`), when the caller
    has them already."""
    rubric = rubric_for(evaluation)
    return {answer.criterion_id: stored_answer(rubric.criterion(answer.criterion_id), answer)
            for answer in (evaluation.answers if answers is None else answers)}


def stored_answer(criterion, answer) -> AnswerValue:
    """One stored answer (an :class:`Answer` or a row of its columns) as an
    :class:`AnswerValue` (by its criterion's type)."""
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


def scorecard(evaluation: Evaluation, rows: list | None = None) -> ScoreCard:
    """The evaluation's score card from its stored answers (`rows`: as
    :func:`stored_rows` reads them, when the caller has them already)."""
    version = evaluation.rubric_version
    return scorecards.card_from_rows(
        rubric_of(version), version.sha256, evaluation.tier_id, profile_of(evaluation),
        stored_rows(evaluation) if rows is None else rows, stored_answer)


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

def rescore(evaluation: Evaluation, rows: list | None = None) -> ScoreCard:
    """Score the evaluation and store the overall and unit results on it (`rows`: its
    stored answers, when the caller has just read or written them)."""
    card = scorecard(evaluation, rows)
    for name, value in _figures(evaluation, card).items():
        setattr(evaluation, name, value)
    _store_unit_results(evaluation, card)
    return card


def _figures(evaluation: Evaluation, card: ScoreCard) -> dict:
    """The columns of ``evaluations`` that hold the card's figures, as they should be now
    (the gates only when they changed: an equal JSON value is not written again)."""
    figures = {"score": card.score, "raw_score": card.raw, "band": card.band,
               "raw_band": card.raw_band, "ungated_score": card.ungated,
               "raw_ungated_score": card.raw_ungated, "complete": card.complete,
               "answered_count": card.answered, "applicable_count": card.applicable}
    gates = [{"id": g.id, "met": g.met, "raw_met": g.raw_met} for g in card.gates]
    if gates != (evaluation.gates or []):
        figures["gates"] = gates or None
    return figures


_UPDATE_EVALUATION = Evaluation.__table__.update().where(
    Evaluation.__table__.c.id == bindparam("evaluation"),
    Evaluation.__table__.c.version == bindparam("seen"))


def _unit_result_writes(evaluation_id: int, card: ScoreCard, existing: dict) -> list:
    """The statements that make ``unit_results`` hold the card's figures, as ``(statement,
    rows)`` pairs (rows None: a statement without parameters): only the rows whose figures
    changed are written, the updates in one statement. `existing`: the stored rows by unit
    id (not changed here)."""
    existing = dict(existing)
    inserts, updates = [], []
    for unit in card.units:
        figures = {"score": unit.score, "raw_score": unit.raw, "band": unit.band,
                   "evaluated": unit.evaluated, "weight": unit.weight}
        row = existing.pop(unit.id, None)
        if row is None:
            inserts.append({"evaluation_id": evaluation_id, "unit_id": unit.id, **figures})
        elif (row.score, row.raw_score, row.band, bool(row.evaluated), row.weight) != tuple(
                figures.values()):
            updates.append({"row_id": row.id, **figures})
    writes = []
    if inserts:
        writes.append((_INSERTS[UnitResult], inserts))
    if updates:
        writes.append((_UPDATES[UnitResult], updates))
    if existing:
        writes.append((delete(UnitResult).where(
            UnitResult.id.in_([row.id for row in existing.values()]))
            .execution_options(synchronize_session=False), None))
    return writes


_UNIT_RESULTS_OF = select(UnitResult.id, UnitResult.unit_id, UnitResult.score,
                          UnitResult.raw_score, UnitResult.band, UnitResult.evaluated,
                          UnitResult.weight).where(
    UnitResult.evaluation_id == bindparam("evaluation"))


def _store_unit_results(evaluation: Evaluation, card: ScoreCard) -> None:
    """The card's unit results in ``unit_results`` (see :func:`_unit_result_writes`), the
    stored ones read in this transaction."""
    connection = _connection()
    existing = {row.unit_id: row for row in connection.execute(
        _UNIT_RESULTS_OF, {"evaluation": evaluation.id})}
    writes = _unit_result_writes(evaluation.id, card, existing)
    _execute(writes, connection)
    if writes:
        _forget_loaded(evaluation, "unit_results", UnitResult)


def _execute(writes: list, connection) -> None:
    for statement, rows in writes:
        if rows is None:
            connection.execute(statement)
        else:
            connection.execute(statement, rows)


#: the plain statements of a save, built once
_INSERTS = {model: insert(model.__table__) for model in (Answer, UnitResult, SaveReceipt)}
_UPDATES = {model: update(model.__table__).where(model.__table__.c.id == bindparam("row_id"))
            for model in (Answer, UnitResult)}


def _forget_loaded(evaluation, relationship: str | None, model) -> None:
    """After rows of `model` were written with plain statements: objects of them this
    session may hold for `evaluation` (and the loaded relationship) are read again when
    next used. `evaluation` an :class:`EvaluationRow`: an :class:`Evaluation` object of it
    the session holds is read again whole (`relationship` None: only that)."""
    session = db.session()
    mapped = isinstance(evaluation, Evaluation)
    if mapped and relationship not in inspect(evaluation).unloaded:
        session.expire(evaluation, [relationship])
    for obj in list(session.identity_map.values()):
        if (model is not None and isinstance(obj, model)
                and obj.evaluation_id == evaluation.id) or (
                not mapped and isinstance(obj, Evaluation) and obj.id == evaluation.id):
            session.expire(obj)


# --- answering -------------------------------------------------------------------------------

#: an evaluation as a save reads it: with its cycle, rubric version and assignments, in one
#: statement built once, and its row locked (PostgreSQL) until the save commits, so saves of
#: one evaluation queue
class Receipt(NamedTuple):
    """A stored save receipt as :func:`save_answers` checks it (the response read only for
    a replay)."""

    payload_sha256: str
    evaluation_id: int


#: "no receipt read yet": :func:`save_answers` reads it itself
UNREAD = object()


class PinnedVersion:
    """The rubric version an :class:`EvaluationRow` is pinned to, as ``rubric_of`` reads it:
    its sha256, and its text read only if this process has not parsed that version yet."""

    __slots__ = ("id", "sha256", "_connection")

    def __init__(self, version_id: int, sha256: str, connection):
        self.id, self.sha256, self._connection = version_id, sha256, connection

    def __eq__(self, other) -> bool:  # the same version, whichever connection read it
        return isinstance(other, PinnedVersion) and (self.id, self.sha256) == (other.id,
                                                                                other.sha256)

    def __hash__(self) -> int:
        return hash((self.id, self.sha256))

    @property
    def yaml_text(self) -> str:
        return self._connection.execute(select(RubricVersion.yaml_text).where(
            RubricVersion.id == self.id)).scalar_one()


class Assigned(NamedTuple):
    """One assignment of an :class:`EvaluationRow` (what the access rules read of it)."""

    user_id: int
    role: str


class CycleRow(NamedTuple):
    is_open: bool


class MunicipalityRow(NamedTuple):
    province_id: int


class EvaluationRow(NamedTuple):
    """An evaluation as the autosave reads it: the columns the access and workflow rules
    (app.access, app.workflow), the save and the audit read, under the same names as on an
    :class:`Evaluation`, so the same rule functions decide for both; read as plain columns
    in one statement (:func:`evaluation_row_for_save`), no ORM object built. Two reads are
    equal when nothing the rules and the save read of the evaluation differs."""

    id: int
    version: int
    status: str
    signed_at: object
    tier_id: str
    tier_basis: dict | None
    gates: list | None
    municipality_id: int
    approved_by_id: int | None
    cycle: CycleRow
    municipality: MunicipalityRow
    rubric_version: PinnedVersion
    assignments: tuple[Assigned, ...]


_E, _C, _M = Evaluation.__table__.c, EvaluationCycle.__table__.c, Municipality.__table__.c
_A, _R = Assignment.__table__.c, SaveReceipt.__table__.c
#: the evaluation, its cycle's and municipality's columns the rules read, its rubric
#: version's sha256, its assignments (one row each) and the receipt of a save key (its digest
#: and evaluation, when there is one): one statement, the evaluation's row locked
#: (PostgreSQL) until the save commits
_ROW_FOR_SAVE = (
    select(_E.id, _E.version, _E.status, _E.signed_at, _E.tier_id, _E.tier_basis, _E.gates,
           _E.municipality_id, _E.approved_by_id, _C.is_open, _M.province_id,
           _E.rubric_version_id, RubricVersion.__table__.c.sha256, _A.user_id, _A.role,
           _R.payload_sha256, _R.evaluation_id.label("receipt_evaluation_id"))
    .select_from(Evaluation.__table__
                 .join(EvaluationCycle.__table__, _C.id == _E.cycle_id)
                 .join(Municipality.__table__, _M.id == _E.municipality_id)
                 .join(RubricVersion.__table__,
                       RubricVersion.__table__.c.id == _E.rubric_version_id)
                 .outerjoin(Assignment.__table__, _A.evaluation_id == _E.id)
                 .outerjoin(SaveReceipt.__table__, _R.key == bindparam("key")))
    .where(_E.id == bindparam("evaluation"))
    .order_by(_A.id)
    .with_for_update(of=Evaluation.__table__))


def evaluation_row_for_save(evaluation_id: int, key: str | None, connection):
    """``(evaluation, receipt)`` for an autosave, first thing in its writing transaction on
    its `connection`: the evaluation as an :class:`EvaluationRow` (None if there is none)
    and the receipt stored under `key` (None if there is none or no key), in one statement.
    :func:`save_answers` takes the row as it takes an :class:`Evaluation`."""
    found = connection.execute(_ROW_FOR_SAVE, {"evaluation": evaluation_id,
                                                "key": key}).all()
    if not found:
        return None, None
    first = found[0]
    evaluation = EvaluationRow(
        *first[:9], CycleRow(bool(first.is_open)), MunicipalityRow(first.province_id),
        PinnedVersion(first.rubric_version_id, first.sha256, connection),
        tuple(Assigned(row.user_id, row.role) for row in found if row.user_id is not None))
    receipt = (None if first.payload_sha256 is None
               else Receipt(first.payload_sha256, first.receipt_evaluation_id))
    return evaluation, receipt


_RECEIPT = select(SaveReceipt.payload_sha256, SaveReceipt.evaluation_id).where(
    SaveReceipt.key == bindparam("key"))
_RECEIPT_RESPONSE = select(SaveReceipt.response).where(SaveReceipt.key == bindparam("key"))


def _payload_digest(changes: dict) -> str:
    return hashlib.sha256(json.dumps(changes, sort_keys=True, ensure_ascii=False)
                          .encode()).hexdigest()


def save_answers(evaluation: Evaluation, changes: dict[str, dict], *, user,
                 base_version: int | None = None, key: str | None = None,
                 device: str | None = None, receipt=UNREAD) -> dict:
    """Apply a batch of answer changes from the form; return what the client needs.

    `changes` maps criterion id → {"value", "na", "na_reason", "note"} (any subset). The batch
    is all-or-nothing: one bad field refuses the whole batch and names every bad field.
    `base_version` is the evaluation version the client last saw: a different current version
    means someone else saved meanwhile; the criteria another device or user changed since
    are refused with both values (409) unless the client's values equal the stored ones.
    `device` is the key the browser made for itself: a device never conflicts with itself.
    `key` makes the save idempotent: a replay returns the first response. `receipt`: the
    receipt of `key` as :func:`evaluation_row_for_save`
    read it in this transaction (None: there is none), else it is read here. `evaluation`:
    an :class:`Evaluation` or an :class:`EvaluationRow`.

    The save is worked out (:func:`plan_save`) and written (:func:`write_plan`) in the
    current transaction.
    """
    planned = plan_save(evaluation, changes, user=user, base_version=base_version, key=key,
                        device=device, receipt=receipt)
    return planned if isinstance(planned, dict) else write_plan(planned, _connection())


class SavePlan(NamedTuple):
    """A save worked out from what it read (:func:`plan_save`), not yet written: the
    statements as ``(statement, rows)`` pairs, the evaluation's new figures (written by one
    UPDATE that checks the version read), and the reply once written."""

    evaluation: object
    writes: list
    figures: dict
    answers_written: bool
    response: dict


def plan_save(evaluation, changes: dict[str, dict], *, user, base_version: int | None = None,
              key: str | None = None, device: str | None = None,
              receipt=UNREAD) -> SavePlan | dict:
    """What :func:`save_answers` would write, read and worked out in the current transaction
    without writing anything: a :class:`SavePlan`, or the first response when `key` was
    used already (a replay: nothing to write). Refusals raise :class:`ServiceError` as
    :func:`save_answers` says. Every change of an evaluation's answers or unit results
    bumps its version (a save's UPDATE, a move's flush: the version is the evaluation's
    optimistic lock), so a plan stands as long as the evaluation's version is the one it
    read: :func:`write_plan` checks that."""
    digest = _payload_digest({"changes": changes, "base": base_version})
    connection = _connection()
    if key:
        if receipt is UNREAD:
            receipt = connection.execute(_RECEIPT, {"key": key}).first()
        if receipt is not None:
            if receipt.payload_sha256 != digest or receipt.evaluation_id != evaluation.id:
                raise ServiceError(_("This save key was already used for different changes."),
                                   status=409)
            response = connection.execute(_RECEIPT_RESPONSE, {"key": key}).scalar_one()
            return {**response, "replayed": True}
    # checked again here, on what this transaction read, never on what a view read earlier:
    # a plan made before a submit or an approval no longer stands once it is written (the
    # version moved), and worked out again it is refused
    refused = workflow.refusal(evaluation, workflow.ANSWER)
    if refused:
        raise ServiceError(refused, status=409)
    if not access.may_answer(user, evaluation):
        raise ServiceError(_("You cannot change this evaluation now."), status=403)

    rubric = rubric_for(evaluation)
    rows, units = rows_for_save(evaluation, connection)
    stored = {row.criterion_id: row for row in rows}
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

    profile = profile_values(profile_of(evaluation))
    conflicts = {}
    if base_version is not None and base_version != evaluation.version:
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
    next_version = evaluation.version + 1  # what write_plan makes it
    inserts, updates, events = [], [], []
    for criterion_id, (value, note) in parsed.items():
        current = stored.get(criterion_id)
        new = _value_dict(value, note, rubric.criterion(criterion_id), profile)
        old = _as_dict(current) if current is not None else None
        if old == new:
            continue
        fields = {**new, "updated_by_id": user.id, "updated_at": now,
                  "revision": next_version, "device_id": device}
        if current is None:
            inserts.append({"evaluation_id": evaluation.id, "criterion_id": criterion_id,
                            "review_comment": "", **fields})
            stored[criterion_id] = StoredAnswer(None, criterion_id, **fields)
        else:
            updates.append({"row_id": current.id, **fields})
            stored[criterion_id] = StoredAnswer(current.id, criterion_id, **fields)
        events.append(audit.event("answer.change", "answer", criterion_id, user=user,
                                  evaluation=evaluation, old=old, new=new))
    writes = []
    if inserts:
        writes.append((_INSERTS[Answer], inserts))
    if updates:
        writes.append((_UPDATES[Answer], updates))
    if events:
        writes.append((audit.INSERT, events))
    card = scorecard(evaluation, list(stored.values()))
    writes += _unit_result_writes(evaluation.id, card, units)
    response = {"ok": True, "version": next_version, "score": summary(card, rubric)}
    if key:
        writes.append((_INSERTS[SaveReceipt], [{
            "key": key, "evaluation_id": evaluation.id, "payload_sha256": digest,
            "response": response}]))
    figures = {**_figures(evaluation, card), "updated_at": now, "version": next_version}
    return SavePlan(evaluation, writes, figures, bool(inserts or updates), response)


_UPDATE_EVALUATION = Evaluation.__table__.update().where(
    Evaluation.__table__.c.id == bindparam("evaluation"),
    Evaluation.__table__.c.version == bindparam("seen"))


def write_plan(plan: SavePlan, connection) -> dict:
    """Write `plan` in the current transaction (`connection`: its connection) and return the
    reply. First the evaluation row, in one UPDATE that bumps its version only if it is
    still the version the plan read (else :class:`StaleDataError`, as a flush would raise,
    and nothing is written); then the answers, the audit, the unit results and the receipt.
    The loaded objects follow: an :class:`Evaluation` gets the new values, what the session
    holds of an :class:`EvaluationRow` or of the rows written is read again when next used."""
    evaluation = plan.evaluation
    result = connection.execute(_UPDATE_EVALUATION, {
        **plan.figures, "evaluation": evaluation.id, "seen": plan.figures["version"] - 1})
    if result.rowcount != 1:
        raise StaleDataError(f"evaluation {evaluation.id} changed meanwhile")
    _execute(plan.writes, connection)
    if isinstance(evaluation, Evaluation):  # an EvaluationRow is this request's alone
        for name, value in plan.figures.items():
            set_committed_value(evaluation, name, value)
    else:
        _forget_loaded(evaluation, None, None)
    if plan.answers_written:
        _forget_loaded(evaluation, "answers", Answer)
    if any(statement.table is UnitResult.__table__ for statement, _rows in plan.writes):
        _forget_loaded(evaluation, "unit_results", UnitResult)
    return plan.response


class StoredAnswer(NamedTuple):
    """An answer as just written, in the shape of a row of :data:`ANSWER_COLUMNS`."""

    id: int | None
    criterion_id: str
    value: float | None
    data: dict | None
    na: bool
    na_reason: str
    note: str
    updated_by_id: int | None = None
    updated_at: object = None
    revision: int = 0
    device_id: str | None = None


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


def _as_dict(answer) -> dict:
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


# --- between the moves: the reviewer's notes and texts, the visit date --------------------------
# The moves themselves (submit, return, approve, sign off) are app.evaluations.moves'.

#: the longest overall message a reviewer may send with a returned evaluation, and the
#: longest comment on one criterion
REVIEW_MESSAGE_MAX = 4000
REVIEW_COMMENT_MAX = 4000


def returned_notes(evaluation: Evaluation, rubric: Rubric, answers=None) -> dict | None:
    """What the reviewer said when returning the evaluation, for the top of the inspectors'
    form: the overall message and the criteria with a comment, in the rubric's order; None
    when the evaluation is not returned. `answers`: as for :func:`answer_values`."""
    if workflow.state_of(evaluation) != workflow.RETURNED:
        return None
    comments = {a.criterion_id: a.review_comment
                for a in (evaluation.answers if answers is None else answers)
                if a.review_comment}
    criteria = [{"id": c.id, "title": c.title, "comment": comments[c.id]}
                for c in rubric.criteria() if c.id in comments]
    return {"message": evaluation.review_message or "", "criteria": criteria}


def set_visit_date(evaluation: Evaluation, *, user, visit_date) -> None:
    """Record the day of the site visit (a date; None clears it) while the inspectors may
    still change the evaluation; the report prints it."""
    if not access.may_answer(user, evaluation):
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
    for improvement and the recommendations (unit, text, responsible party, deadline)."""
    refused = workflow.refusal(evaluation, workflow.REVIEW)
    if refused:
        raise ServiceError(refused, 409)
    rubric = rubric_for(evaluation)
    old = {"strengths": evaluation.strengths_text, "improvements": evaluation.improvements_text,
           "recommendations": [r.text for r in evaluation.recommendations]}
    evaluation.strengths_text = normalise_text(strengths)
    evaluation.improvements_text = normalise_text(improvements)
    evaluation.recommendations.clear()
    db.session.flush()
    for position, row in enumerate(recommendations, 1):
        unit_id = row.get("unit_id") or ""
        if unit_id and rubric.unit(unit_id) is None:
            raise ServiceError(_("Unknown unit. Choose one of the rubric's units."), 422)
        evaluation.recommendations.append(Recommendation(
            unit_id=unit_id, text=normalise_text(row["text"]),
            responsible=normalise_text(row["responsible"]), deadline=row["deadline"],
            position=position))
    audit.record("evaluation.report_texts", "evaluation", evaluation.id, user=user,
                 evaluation=evaluation, old=old,
                 new={"strengths": evaluation.strengths_text,
                      "improvements": evaluation.improvements_text,
                      "recommendations": [r["text"] for r in recommendations]})
    db.session.flush()

