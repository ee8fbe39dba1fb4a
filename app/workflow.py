"""The evaluation's workflow, in one place: its states and their titles, who moves it from
which state to which, and what each state allows.

Services, views, templates, exports and reports read it; nothing else names a state, words a
state's title or decides a move (a test greps for it).

::

    draft ──submit──▶ submitted ──approve──▶ approved ──sign──▶ signed (final)
      ▲                  │   ▲
      │               return │ submit
      │                  ▼   │
      └─(the inspector)─ returned

- *draft*: the inspector enters answers and photos; the municipality declares its own figures
  (self-declaration, until the cycle's deadline); the inspector verifies them.
- *submitted*: the reviewer reads, comments, writes the report texts, returns or approves.
- *returned*: back with the inspector, with the reviewer's comments.
- *approved*: the reviewer approved the content; everything is locked (the database refuses
  any change); it waits for the province's director-general to sign it off.
- *signed*: signed off by the director-general; only now is the final report issued
  (numbered, frozen, signed by both). The municipality sees it and answers its
  recommendations.

How a state is stored: the ``status`` column holds draft, submitted, returned or approved; a
sign-off adds ``signed_at`` (and ``signed_by_id``) to an approved evaluation, which makes it
*signed*. Only :func:`state_of`, :func:`state_column` and :func:`in_states` read that
mapping, and only :func:`move` writes it. This module imports no model: the SQL helpers take
the entity their query reads, and the use cases that move an evaluation audit the move.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, false, or_

from app.errors import ServiceError
from app.i18n import N_, _, translator

DRAFT = "draft"
SUBMITTED = "submitted"
RETURNED = "returned"
APPROVED = "approved"
SIGNED = "signed"
#: not a state: a municipality with no evaluation in the cycle (dashboard rows)
NOT_PLANNED = "none"

# what may be done with an evaluation, by state (the access module adds who)
ANSWER = "answer"      # answers, photos, verifying declarations, following up recommendations
DECLARE = "declare"    # the municipality's self-declaration
REVIEW = "review"      # the reviewer's comments and report texts
RESPOND = "respond"    # the municipality answers the final report's recommendations
READ_FINAL = "read_final"  # the final report exists and may be read by the municipality


@dataclass(frozen=True)
class State:
    id: str
    #: the one title of the state (an English message id, translated when shown)
    title: str
    #: what the state allows (ANSWER, DECLARE, …)
    allows: frozenset[str]
    #: the state's place in the workflow, for sorting
    order: int
    #: answers, photos, declarations and report texts are locked for good
    locked: bool = False
    #: the final report is issued
    final: bool = False


STATES: dict[str, State] = {state.id: state for state in (
    State(DRAFT, N_("Draft"), frozenset({ANSWER, DECLARE}), 1),
    State(RETURNED, N_("Returned for changes"), frozenset({ANSWER}), 2),
    State(SUBMITTED, N_("Waiting for review"), frozenset({REVIEW}), 3),
    State(APPROVED, N_("Approved, waiting for sign-off"), frozenset(), 4, locked=True),
    State(SIGNED, N_("Signed off (final)"), frozenset({RESPOND, READ_FINAL}), 5, locked=True,
          final=True),
)}
NOT_PLANNED_TITLE = N_("Not planned")
#: the states as stored in the status column (signed is approved + signed_at)
STORED = (DRAFT, SUBMITTED, RETURNED, APPROVED)


@dataclass(frozen=True)
class Transition:
    """A move of the workflow: from `sources` to `target`, made by `actor` (a relation to the
    evaluation that :mod:`app.access` checks: "inspector", "reviewer", "manager")."""

    name: str
    sources: tuple[str, ...]
    target: str
    actor: str
    #: the button that makes it
    title: str
    #: the refusal when the evaluation is in no source state
    refusal: str
    #: irreversible: the page asks for confirmation first, showing what will be locked
    irreversible: bool = False


TRANSITIONS: dict[str, Transition] = {t.name: t for t in (
    Transition("submit", (DRAFT, RETURNED), SUBMITTED, "inspector", N_("Submit for review"),
               N_("Only a draft or returned evaluation can be submitted.")),
    Transition("return", (SUBMITTED,), RETURNED, "reviewer", N_("Return with comments"),
               N_("Only a submitted evaluation can be returned.")),
    Transition("approve", (SUBMITTED,), APPROVED, "reviewer", N_("Approve"),
               N_("Only a submitted evaluation can be approved."), irreversible=True),
    Transition("sign", (APPROVED,), SIGNED, "manager", N_("Sign off"),
               N_("Only an approved evaluation can be signed off."), irreversible=True),
)}

#: why an activity is refused in a state (the first that applies is said)
_REFUSALS = {
    ANSWER: ((lambda s: s.locked, N_("This evaluation is approved and can no longer be "
                                     "changed.")),
             (lambda s: True, N_("This evaluation was submitted; it can be changed again "
                                 "only if the reviewer returns it."))),
    DECLARE: ((lambda s: True, N_("The inspectors have finished this evaluation; the "
                                  "declaration can no longer be changed.")),),
    REVIEW: ((lambda s: True, N_("The report texts can be written while the evaluation "
                                 "waits for review.")),),
    RESPOND: ((lambda s: True, N_("The recommendations can be answered once the final report "
                                  "is issued.")),),
    READ_FINAL: ((lambda s: True, N_("The final report is not issued yet.")),),
}
CYCLE_CLOSED = N_("The evaluation cycle is closed; no answers can be changed.")


# --- reading a state ---------------------------------------------------------------------------

def state_of(evaluation) -> str:
    """The evaluation's state (one of :data:`STATES`)."""
    if evaluation.status == APPROVED and evaluation.signed_at is not None:
        return SIGNED
    return evaluation.status


def state(evaluation) -> State:
    return STATES[state_of(evaluation)]


def title(state_id: str | None, lang: str | None = None) -> str:
    """The title of a state («پیش‌نویس»), or of :data:`NOT_PLANNED`; in `lang` when given,
    else in the request's language."""
    message = (STATES[state_id].title if state_id in STATES
               else NOT_PLANNED_TITLE if state_id in (None, NOT_PLANNED) else str(state_id))
    return translator(lang).gettext(message) if lang else _(message)


def titles(lang: str | None = None) -> dict[str, str]:
    """Every state's title and the not-planned one, keyed by state id."""
    found = {state_id: title(state_id, lang) for state_id in STATES}
    found[NOT_PLANNED] = title(NOT_PLANNED, lang)
    return found


def ordered() -> list[str]:
    """The states in workflow order."""
    return sorted(STATES, key=lambda state_id: STATES[state_id].order)


def allows(evaluation, activity: str) -> bool:
    """Whether the evaluation's state allows `activity`; answering and declaring also need an
    open cycle."""
    return refusal(evaluation, activity) is None


def refusal(evaluation, activity: str) -> str | None:
    """Why the evaluation's state refuses `activity` (translated), or None when it allows it."""
    current = state(evaluation)
    if activity in current.allows:
        if activity in (ANSWER, DECLARE) and not evaluation.cycle.is_open:
            return _(CYCLE_CLOSED)
        return None
    for applies, message in _REFUSALS[activity]:
        if applies(current):
            return _(message)
    return None  # pragma: no cover - every list ends with a catch-all


def is_locked(evaluation) -> bool:
    """Answers, photos, declarations, texts and the tier can no longer change."""
    return state(evaluation).locked


def is_final(evaluation) -> bool:
    """The final report is issued (signed off)."""
    return state(evaluation).final


def is_locked_state(state_id: str | None) -> bool:
    """Whether `state_id` (as a query row carries it) is a locked state."""
    return state_id in STATES and STATES[state_id].locked


def is_final_state(state_id: str | None) -> bool:
    """Whether `state_id` (as a query row carries it) is a state with an issued final."""
    return state_id in STATES and STATES[state_id].final


def transition(name: str) -> Transition:
    return TRANSITIONS[name]


def can_move(evaluation, name: str) -> bool:
    """Whether the state lets `name` happen now (who may make it is the access module's)."""
    return state_of(evaluation) in TRANSITIONS[name].sources


def transitions_from(evaluation) -> list[Transition]:
    current = state_of(evaluation)
    return [t for t in TRANSITIONS.values() if current in t.sources]


# --- moving ------------------------------------------------------------------------------------

def move(evaluation, name: str, *, user_id: int, at) -> str:
    """Make the transition `name` at the moment `at`, by the user `user_id`: write the state's
    columns and return the state it left (refused with a translated ServiceError 409 from any
    state it does not start from). The caller has checked who may make it (``app.access``)
    and what it needs (answers complete, texts written …), and audits it (the use cases of
    ``app.evaluations.services``)."""
    step = TRANSITIONS[name]
    old = state_of(evaluation)
    if old not in step.sources:
        raise ServiceError(_(step.refusal), 409)
    if step.target == SIGNED:
        evaluation.signed_at = at
        evaluation.signed_by_id = user_id
    else:
        evaluation.status = step.target
        if step.target == SUBMITTED:
            evaluation.submitted_at = at
        elif step.target == APPROVED:
            evaluation.approved_at = at
            evaluation.approved_by_id = user_id
    return old


# --- in SQL ------------------------------------------------------------------------------------
# Each takes the Evaluation entity, or an alias of it, that the query reads.

def state_column(evaluation):
    """The state as an SQL expression over `evaluation`."""
    return case((and_(evaluation.status == APPROVED, evaluation.signed_at.is_not(None)),
                 SIGNED), else_=evaluation.status)


def in_states(states, evaluation):
    """An SQL condition: `evaluation` is in one of `states`."""
    conditions = []
    for state_id in set(states):
        if state_id == SIGNED:
            conditions.append(and_(evaluation.status == APPROVED,
                                   evaluation.signed_at.is_not(None)))
        elif state_id == APPROVED:
            conditions.append(and_(evaluation.status == APPROVED,
                                   evaluation.signed_at.is_(None)))
        elif state_id in STATES:
            conditions.append(evaluation.status == state_id)
    return or_(*conditions) if conditions else false()


def final_condition(evaluation):
    """An SQL condition: the final report of `evaluation` is issued."""
    return in_states([s.id for s in STATES.values() if s.final], evaluation)


def order_column(evaluation):
    """The workflow order of `evaluation` as an SQL expression (for sorting)."""
    return case({state_id: STATES[state_id].order for state_id in STATES},
                value=state_column(evaluation), else_=0)
