"""The workflow's moves of an evaluation as use cases: submit, return for changes, approve,
sign off, with what each needs and what it sets off.

The states and the moves between them are app.workflow's; who may make each move is
app.access's. Each use case here checks what its move needs (answers complete, declarations
verified, a comment written …), makes the move and audits it. They sit above the answering
and scoring use cases (app.evaluations.services), the declarations and the reports that they
call on, so none of those needs to know about them.
"""

from __future__ import annotations

from sqlalchemy import func, select

from app import access, audit, workflow
from app.declarations.services import settle, verification_problems
from app.errors import ServiceError
from app.evaluations.services import answer_values, rescore, rubric_for, scorecard
from app.extensions import db
from app.i18n import _, normalise_text
from app.models import Answer, Declaration, Evaluation, Evidence
from app.models._types import utcnow
from app.reports import services as reports


def _move(evaluation: Evaluation, name: str, *, user, at=None, **details) -> None:
    """Make the workflow transition `name` (``app.workflow.move``), audited with the state it
    left and the one it reached."""
    old = workflow.move(evaluation, name, user_id=user.id, at=at or utcnow())
    audit.record(f"evaluation.{name}", "evaluation", evaluation.id, user=user,
                 evaluation=evaluation, old=old, new=workflow.transition(name).target,
                 **details)


def submission_problems(evaluation: Evaluation) -> dict[str, str]:
    """What stops the evaluation from being submitted, by criterion id (empty: nothing)."""
    card = scorecard(evaluation)
    values = answer_values(evaluation)
    problems = {cid: _("Not answered yet.") for cid in card.missing}
    for crit in card.criteria:
        answer = values.get(crit.id)
        if crit.note_required and not (answer and answer.note):
            problems[crit.id] = _("This answer scores low: write a note explaining it.")
    for cid, message in verification_problems(evaluation).items():
        problems.setdefault(cid, message)
    return problems


def submit(evaluation: Evaluation, *, user) -> None:
    """The inspector sends a complete evaluation to the reviewer."""
    if not workflow.can_move(evaluation, "submit"):
        raise ServiceError(_(workflow.transition("submit").refusal), 409)
    if not access.may_move(user, evaluation, "submit"):
        raise ServiceError(_("You cannot change this evaluation now."), status=403)
    problems = submission_problems(evaluation)
    if problems:
        raise ServiceError(_("The evaluation is not complete yet."), 422,
                           details={"problems": problems})
    settle(evaluation)  # the declarations' verdicts, as the answers now stand
    _move(evaluation, "submit", user=user)
    db.session.flush()


def return_for_changes(evaluation: Evaluation, *, user, comments: dict[str, str],
                       message: str = "") -> None:
    """Send a submitted evaluation back to its inspectors with per-criterion comments."""
    if not workflow.can_move(evaluation, "return"):
        raise ServiceError(_(workflow.transition("return").refusal), 409)
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
    evaluation.review_message = normalise_text(message)
    _move(evaluation, "return", user=user, comments=comments,
          message=normalise_text(message))
    db.session.flush()


def approve(evaluation: Evaluation, *, user, at=None) -> None:
    """The reviewer approves the content of a submitted evaluation: it is locked for good
    from here on (the database refuses any later change of its content) and waits for the
    director-general's sign-off (:func:`sign_off`), which issues the final. `at` backdates
    the approval (the demo data only)."""
    if not workflow.can_move(evaluation, "approve"):
        raise ServiceError(_(workflow.transition("approve").refusal), 409)
    rescore(evaluation)
    # read everything first: once the state says approved, the database refuses changes
    with db.session.no_autoflush:
        _move(evaluation, "approve", user=user, at=at, score=evaluation.score,
              band=evaluation.band)
    db.session.flush()


def report_number(evaluation: Evaluation) -> str:
    """The official number of a final: «year/id»."""
    return evaluation.report_number or f"{evaluation.cycle.year}/{evaluation.id:04d}"


def sign_off(evaluation: Evaluation, *, user, at=None) -> None:
    """The province's director-general signs an approved evaluation off: only now is the
    final report issued — numbered, frozen and signed by the reviewer and the
    director-general (``app.reports.services.issue_final``). `at` backdates it (demo data)."""
    if not workflow.can_move(evaluation, "sign"):
        raise ServiceError(_(workflow.transition("sign").refusal), 409)
    if not access.may_sign(user, evaluation):
        raise ServiceError(_("Only the province's director-general, who did not approve it "
                             "himself, can sign this evaluation off."), 403)
    number = report_number(evaluation)
    with db.session.no_autoflush:
        evaluation.report_number = number
        _move(evaluation, "sign", user=user, at=at, number=number)
    db.session.flush()
    reports.issue_final(evaluation, user=user)  # the final report, frozen from here on


def what_locks(evaluation: Evaluation) -> dict:
    """What an irreversible step (approve, sign) locks or issues, for its confirmation page:
    the counts of what becomes unchangeable and the report texts that are still empty."""
    def count(model) -> int:
        return db.session.scalar(select(func.count(model.id)).where(
            model.evaluation_id == evaluation.id)) or 0

    empty = []
    if not (evaluation.strengths_text or "").strip():
        empty.append(_("Strengths"))
    if not (evaluation.improvements_text or "").strip():
        empty.append(_("Areas for improvement"))
    if not evaluation.recommendations:
        empty.append(_("Recommendations"))
    return {"answers": evaluation.answered_count, "applicable": evaluation.applicable_count,
            "photos": count(Evidence), "declarations": count(Declaration),
            "recommendations": len(evaluation.recommendations),
            "score": evaluation.score, "band": evaluation.band, "empty_texts": empty,
            "number": report_number(evaluation)}
