"""Recommendations followed up.

A final report's recommendations (written by the reviewer, each on a unit, with who is
responsible and a deadline) are answered by the municipality: what was done, how far it got
(0–100 %), its evidence and the date — appended, never changed, the latest counting. One
whose deadline has passed without being carried out is *overdue*, flagged for the
director-general and the municipality. The next cycle's inspector meets the previous final's
recommendations on their unit and judges each: done, done in part or not done, with a note;
the report prints that as «پیگیری توصیه‌های دوره پیشین», the dashboard counts them per
municipality.

Each function that writes changes the session and flushes; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from app import access, audit, workflow
from app.errors import ServiceError
from app.extensions import db
from app.i18n import N_, _, current_lang, format_number, local_time, normalise_text
from app.models import (
    Evaluation,
    EvaluationCycle,
    FollowUp,
    Municipality,
    Recommendation,
    RecommendationResponse,
)
from app.models._types import utcnow

OUTCOMES = {"done": N_("Done"), "partly": N_("Done in part"), "not_done": N_("Not done")}
TEXT_MAX = 2000


def today() -> dt.date:
    """Today in Iran (deadlines are Iranian dates)."""
    return local_time(dt.datetime.now(dt.UTC)).date()


def outcome_title(outcome: str | None) -> str:
    return _(OUTCOMES[outcome]) if outcome in OUTCOMES else ""


# --- the earlier final of an evaluation ------------------------------------------------------

#: the id of a municipality's latest final before a year: built once (asked on every visit
#: of the form page, where usually there is none, and the ORM's statement for the object cost
#: several times the lookup)
_PREVIOUS_FINAL = (
    select(Evaluation.id).join(EvaluationCycle, EvaluationCycle.id == Evaluation.cycle_id)
    .where(Evaluation.municipality_id == bindparam("municipality"),
           EvaluationCycle.year < bindparam("year"), workflow.final_condition(Evaluation))
    .order_by(EvaluationCycle.year.desc()).limit(1))


def previous_final(evaluation: Evaluation) -> Evaluation | None:
    """The same municipality's latest final of an earlier cycle."""
    found = db.session.execute(_PREVIOUS_FINAL, {"municipality": evaluation.municipality_id,
                                                 "year": evaluation.cycle.year}).scalar()
    # with its cycle, whose year the form and the report show beside its recommendations
    return None if found is None else db.session.get(Evaluation, found,
                                                     options=[joinedload(Evaluation.cycle)])


def latest_responses(recommendation_ids) -> dict[int, RecommendationResponse]:
    """Recommendation id → its latest response."""
    ids = list(recommendation_ids)
    found: dict[int, RecommendationResponse] = {}
    if not ids:
        return found
    for response in db.session.scalars(
            select(RecommendationResponse)
            .where(RecommendationResponse.recommendation_id.in_(ids))
            .order_by(RecommendationResponse.created_at, RecommendationResponse.id)):
        found[response.recommendation_id] = response
    return found


def responses_of(recommendation: Recommendation) -> list[RecommendationResponse]:
    return list(db.session.scalars(
        select(RecommendationResponse)
        .where(RecommendationResponse.recommendation_id == recommendation.id)
        .order_by(RecommendationResponse.created_at.desc(), RecommendationResponse.id.desc())))


def follow_ups_of(evaluation: Evaluation) -> dict[int, FollowUp]:
    """Recommendation id → this evaluation's inspector's finding on it."""
    return {f.recommendation_id: f for f in db.session.scalars(
        select(FollowUp).where(FollowUp.evaluation_id == evaluation.id))}


def _latest_outcomes(recommendation_ids) -> dict[int, FollowUp]:
    """Recommendation id → the latest finding on it, by any later evaluation."""
    ids = list(recommendation_ids)
    found: dict[int, FollowUp] = {}
    if not ids:
        return found
    for follow_up in db.session.scalars(
            select(FollowUp).join(Evaluation, Evaluation.id == FollowUp.evaluation_id)
            .join(EvaluationCycle, EvaluationCycle.id == Evaluation.cycle_id)
            .where(FollowUp.recommendation_id.in_(ids))
            .order_by(EvaluationCycle.year, FollowUp.id)):
        found[follow_up.recommendation_id] = follow_up
    return found


class _Latest(NamedTuple):
    """What :func:`is_overdue` reads of a recommendation, a response and a finding."""

    deadline: dt.date | None = None
    progress: int = 0
    outcome: str = ""


def is_overdue(recommendation: Recommendation, response: RecommendationResponse | None,
               finding: FollowUp | None, on: dt.date | None = None) -> bool:
    """Past its deadline and not carried out (neither by the municipality's word, 100 %,
    nor by an inspector's finding «done»)."""
    if recommendation.deadline is None or recommendation.deadline >= (on or today()):
        return False
    if finding is not None and finding.outcome == "done":
        return False
    return not (response is not None and response.progress >= 100)


def _item(recommendation, rubric, response, finding, on) -> dict:
    unit = rubric.unit(recommendation.unit_id) if recommendation.unit_id else None
    return {"recommendation": recommendation, "id": recommendation.id,
            "unit_id": recommendation.unit_id or "", "unit": unit.title if unit else "",
            "response": response, "finding": finding,
            "outcome": finding.outcome if finding else None,
            "outcome_title": outcome_title(finding.outcome) if finding else "",
            "overdue": is_overdue(recommendation, response, finding, on)}


def carried_over(evaluation: Evaluation, on: dt.date | None = None) -> dict:
    """The previous final's recommendations, as the later evaluation's form and report show
    them: by unit ("" for the whole municipality), each with the municipality's latest
    answer and this evaluation's finding. Empty when there is no earlier final."""
    from app.evaluations.services import rubric_for

    before = previous_final(evaluation)
    if before is None:
        return {"previous": None, "items": [], "by_unit": {}}
    rubric = rubric_for(before)
    recommendations = list(before.recommendations)
    responses = latest_responses(r.id for r in recommendations)
    findings = follow_ups_of(evaluation)
    items = [_item(r, rubric, responses.get(r.id), findings.get(r.id), on)
             for r in recommendations]
    by_unit: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        by_unit[item["unit_id"]].append(item)
    return {"previous": before, "items": items, "by_unit": dict(by_unit)}


# --- the municipality answers ----------------------------------------------------------------

def respond(recommendation: Recommendation, *, user, action_taken: str, progress: int,
            evidence: str = "", acted_on: dt.date | None = None) -> RecommendationResponse:
    """The municipality's answer to a recommendation of its own issued final."""
    if not access.may_respond(user, recommendation):
        raise ServiceError(_("Only the municipality's own account answers the "
                             "recommendations of its final reports."), 403)
    action_taken, evidence = normalise_text(action_taken), normalise_text(evidence)
    if not action_taken:
        raise ServiceError(_("Write what was done."), 422)
    if len(action_taken) > TEXT_MAX or len(evidence) > TEXT_MAX:
        raise ServiceError(_("The text is too long (at most %(n)s characters).",
                             n=format_number(TEXT_MAX, 0, current_lang())), 422)
    if not isinstance(progress, int) or not 0 <= progress <= 100:
        raise ServiceError(_("Give the progress as a whole percentage from 0 to 100."), 422)
    if acted_on is not None and acted_on > today():
        raise ServiceError(_("The date of the action cannot be in the future."), 422)
    response = RecommendationResponse(
        recommendation_id=recommendation.id, action_taken=action_taken, progress=progress,
        evidence=evidence, acted_on=acted_on, created_at=utcnow(), created_by_id=user.id)
    db.session.add(response)
    db.session.flush()
    audit.record("recommendation.respond", "recommendation", recommendation.id, user=user,
                 evaluation=recommendation.evaluation, progress=progress,
                 action_taken=action_taken, evidence=evidence, acted_on=acted_on)
    return response


# --- the next cycle's inspector judges -------------------------------------------------------

def set_follow_up(evaluation: Evaluation, recommendation_id: int, *, user, outcome: str,
                  note: str = "") -> FollowUp:
    """The inspector's finding on a recommendation of the previous final: done, done in
    part or not done, with a note (required unless done)."""
    if not access.may_follow_up(user, evaluation):
        refused = workflow.refusal(evaluation, workflow.ANSWER)
        raise ServiceError(refused or _("You cannot change this evaluation now."),
                           409 if refused else 403)
    before = previous_final(evaluation)
    recommendation = db.session.get(Recommendation, recommendation_id)
    if before is None or recommendation is None or recommendation.evaluation_id != before.id:
        raise ServiceError(_("This recommendation is not one of the previous final report's."),
                           404)
    if outcome not in OUTCOMES:
        raise ServiceError(_("Choose done, done in part or not done."), 422)
    note = normalise_text(note)
    if len(note) > TEXT_MAX:
        raise ServiceError(_("The note is too long (at most %(n)s characters).",
                             n=format_number(TEXT_MAX, 0, current_lang())), 422)
    if outcome != "done" and not note:
        raise ServiceError(_("Write what is still missing."), 422)
    finding = follow_ups_of(evaluation).get(recommendation.id)
    old = None if finding is None else {"outcome": finding.outcome, "note": finding.note}
    if finding is None:
        finding = FollowUp(evaluation_id=evaluation.id, recommendation_id=recommendation.id)
        db.session.add(finding)
    finding.outcome, finding.note = outcome, note
    finding.updated_at, finding.updated_by_id = utcnow(), user.id
    db.session.flush()
    audit.record("follow_up.change", "recommendation", recommendation.id, user=user,
                 evaluation=evaluation, old=old, new={"outcome": outcome, "note": note})
    return finding


# --- lists across cycles ---------------------------------------------------------------------

def of_municipality(municipality_id: int, on: dt.date | None = None) -> list[dict]:
    """Every recommendation of the municipality's finals, newest cycle first, each with its
    latest answer, its latest finding and whether it is overdue."""
    from app.evaluations.services import rubric_for

    finals = list(db.session.scalars(
        select(Evaluation).join(EvaluationCycle)
        .where(Evaluation.municipality_id == municipality_id, workflow.final_condition(Evaluation))
        .order_by(EvaluationCycle.year.desc())))
    recommendations = [(e, r) for e in finals for r in e.recommendations]
    responses = latest_responses(r.id for _e, r in recommendations)
    findings = _latest_outcomes(r.id for _e, r in recommendations)
    items = []
    for evaluation, recommendation in recommendations:
        item = _item(recommendation, rubric_for(evaluation), responses.get(recommendation.id),
                     findings.get(recommendation.id), on)
        item["evaluation"] = evaluation
        item["year"] = evaluation.cycle.year
        items.append(item)
    return items


@lru_cache(maxsize=2)
def _counts_statement(scoped: bool):
    """The statement of :func:`counts`, made once per process (the provinces bound as
    ``provinces``): building it took far longer than running it."""
    progress = (select(RecommendationResponse.progress)
                .where(RecommendationResponse.recommendation_id == Recommendation.id)
                .order_by(RecommendationResponse.created_at.desc(),
                          RecommendationResponse.id.desc())
                .limit(1).correlate(Recommendation).scalar_subquery())
    outcome = (select(FollowUp.outcome)
               .join(Evaluation, Evaluation.id == FollowUp.evaluation_id)
               .join(EvaluationCycle, EvaluationCycle.id == Evaluation.cycle_id)
               .where(FollowUp.recommendation_id == Recommendation.id)
               .order_by(EvaluationCycle.year.desc(), FollowUp.id.desc())
               .limit(1).correlate(Recommendation).scalar_subquery())
    statement = (select(Recommendation.deadline, Municipality.id, Municipality.name,
                        progress.label("progress"), outcome.label("outcome"))
                 .select_from(Recommendation)
                 .join(Evaluation, Evaluation.id == Recommendation.evaluation_id)
                 .join(Municipality, Municipality.id == Evaluation.municipality_id)
                 .where(workflow.final_condition(Evaluation))
                 .order_by(Municipality.name))
    if scoped:
        statement = statement.where(
            Municipality.province_id.in_(bindparam("provinces", expanding=True)))
    return statement


def counts(province_ids=None, on: dt.date | None = None) -> list[dict]:
    """Per municipality, the recommendations of its finals: how many, answered by the
    municipality, judged done / in part / not done by a later inspector, still open (no
    finding «done»), and overdue.

    One statement (the dashboard's overview shows these on every view): each
    recommendation with its latest response's progress and its latest finding's outcome,
    as :func:`latest_responses` and :func:`_latest_outcomes` pick them."""
    parameters = {} if province_ids is None else {"provinces": list(province_ids)}
    table: dict[int, dict] = {}
    for deadline, town_id, name, latest_progress, latest_outcome in db.session.execute(
            _counts_statement(province_ids is not None), parameters):
        row = table.setdefault(town_id, {"municipality_id": town_id, "name": name, "total": 0,
                                         "answered": 0, "done": 0, "partly": 0,
                                         "not_done": 0, "open": 0, "overdue": 0})
        # a progress and an outcome are never empty: None means no response, no finding
        response = None if latest_progress is None else _Latest(progress=latest_progress)
        finding = None if latest_outcome is None else _Latest(outcome=latest_outcome)
        row["total"] += 1
        row["answered"] += response is not None
        if finding is not None:
            row[finding.outcome] += 1
        if finding is None or finding.outcome != "done":
            row["open"] += 1
        row["overdue"] += is_overdue(_Latest(deadline=deadline), response, finding, on)
    return list(table.values())
