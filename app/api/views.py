"""The read API's endpoints under ``/api/v1/``. Thin: check the parameters (``paging``), ask
``app.access`` what the token's user may see (the same functions as the pages), fetch one page
by key, serialise (``resources``), answer with an ETag.

No cookie works here and no page accepts a token (see ``app.api.tokens``); every request is
counted by the ``api`` rate limit per token and audited.
"""

from __future__ import annotations

from flask import Blueprint, abort, request
from flask_login import current_user
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import selectinload

from app import access, errors, limits, params, workflow
from app.api import openapi as description
from app.api import paging, resources, tokens
from app.dashboard import queries
from app.dashboard.filters import Filters
from app.extensions import db
from app.i18n import current_lang
from app.models import (
    Answer,
    Evaluation,
    EvaluationCycle,
    FollowUp,
    Municipality,
    Recommendation,
    RecommendationResponse,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
#: what is reachable without a token (the description of the API itself)
OPEN = frozenset({"api.openapi"})


@bp.before_request
def _authenticate():
    """Every endpoint but the description needs a token that opens something."""
    if request.endpoint in OPEN:
        return None
    refused = tokens.refusal()
    if refused is not None:
        body, status = errors.respond(refused.status, refused.message)
        headers = {"WWW-Authenticate": 'Bearer realm="arzyab"'} if status == 401 else {}
        if refused.retry_after:
            headers["Retry-After"] = str(refused.retry_after)
        return body, status, headers
    return None


def _api(view):
    """An endpoint of the API: its access rule, its rate limit (per token)."""
    return access.route("api")(limits.limit("api", key=tokens.limit_key)(view))


def _user():
    return current_user._get_current_object()


def _one_page(kind: str, filters: dict, statement, id_column, updated_column=None):
    """(the rows of this page, the next page's cursor): `statement`'s rows after the cursor in
    `id_column` order, one more fetched than the page holds to tell whether another follows;
    only those changed since ``updated_since`` when `updated_column` is given."""
    size = paging.limit()
    statement = statement.where(id_column > paging.after(kind, filters))
    if updated_column is not None and filters["updated_since"] is not None:
        statement = statement.where(updated_column >= filters["updated_since"])
    rows = list(db.session.scalars(statement.order_by(id_column).limit(size + 1)))
    return paging.page(kind, filters, rows, size)


def _province():
    return params.query_int("province", kind=params.ID)


def _cycle_year():
    return params.query_int("cycle", kind=params.YEAR)


# --- the description ---------------------------------------------------------------------------

@bp.route("/openapi.json")
@access.route("public")
def openapi():
    """The OpenAPI 3 description of this API (no token needed: it holds no data)."""
    return paging.conditional(description.spec())


# --- cycles ------------------------------------------------------------------------------------

@bp.route("/cycles")
@_api
def cycles():
    """Every evaluation cycle (national objects; any token may list them), newest first."""
    rows = db.session.scalars(select(EvaluationCycle).order_by(EvaluationCycle.year.desc()))
    return paging.conditional({"data": [resources.cycle(c) for c in rows], "next": None})


# --- municipalities ----------------------------------------------------------------------------

def _tiers(user, municipality_ids: list[int]) -> dict[int, list[dict]]:
    """Municipality id → its tier in each cycle, from the evaluations the API lists for
    `user`."""
    found: dict[int, list[dict]] = {}
    if not municipality_ids:
        return found
    statement = (select(Evaluation.municipality_id, EvaluationCycle.year, Evaluation.tier_id,
                        Evaluation.id)
                 .join(EvaluationCycle, EvaluationCycle.id == Evaluation.cycle_id)
                 .where(Evaluation.municipality_id.in_(municipality_ids),
                        access.api_evaluations_condition(user))
                 .order_by(EvaluationCycle.year))
    for town, year, tier, evaluation_id in db.session.execute(statement):
        found.setdefault(town, []).append({"cycle": year, "tier": tier,
                                           "evaluation_id": evaluation_id})
    return found


def _municipality_items(user, rows):
    tiers = _tiers(user, [m.id for m in rows])
    return [resources.municipality(m, tiers.get(m.id, [])) for m in rows]


@bp.route("/municipalities")
@_api
def municipalities():
    user = _user()
    filters = {"province": _province(), "updated_since": paging.updated_since()}
    statement = select(Municipality).where(access.visible_municipalities_condition(user))
    if filters["province"] is not None:
        statement = statement.where(Municipality.province_id == filters["province"])
    rows, next_cursor = _one_page("municipalities", filters, statement, Municipality.id,
                                  Municipality.updated_at)
    return paging.conditional({"data": _municipality_items(user, rows), "next": next_cursor})


@bp.route("/municipalities/<int:municipality_id>")
@_api
def municipality(municipality_id: int):
    user = _user()
    row = db.session.scalar(select(Municipality).where(
        Municipality.id == municipality_id, access.visible_municipalities_condition(user)))
    if row is None:
        abort(404)
    return paging.conditional(_municipality_items(user, [row])[0])


# --- evaluations -------------------------------------------------------------------------------

def _evaluation_filters() -> dict:
    return {"province": _province(), "cycle": _cycle_year(),
            "municipality": params.query_int("municipality", kind=params.ID),
            "tier": paging.text("tier"),
            "status": paging.text("status", workflow.ordered()),
            "updated_since": paging.updated_since()}


def _in_province_and_cycle(statement, filters: dict):
    """`statement` (over evaluations) kept to the filters' province and cycle, when given."""
    if filters["province"] is not None:
        statement = statement.where(Evaluation.municipality_id.in_(
            select(Municipality.id).where(Municipality.province_id == filters["province"])))
    if filters["cycle"] is not None:
        statement = statement.where(Evaluation.cycle_id.in_(
            select(EvaluationCycle.id).where(EvaluationCycle.year == filters["cycle"])))
    return statement


def _filtered(statement, filters: dict):
    statement = _in_province_and_cycle(statement, filters)
    if filters["municipality"] is not None:
        statement = statement.where(Evaluation.municipality_id == filters["municipality"])
    if filters["tier"]:
        statement = statement.where(Evaluation.tier_id == filters["tier"])
    if filters["status"]:
        statement = statement.where(workflow.in_states([filters["status"]], Evaluation))
    if filters["updated_since"] is not None:
        statement = statement.where(Evaluation.updated_at >= filters["updated_since"])
    return statement


def _evaluation_items(rows: list[Evaluation]) -> list[dict]:
    rubrics = resources.Rubrics()
    units = resources.units_of([e.id for e in rows])
    return [resources.evaluation(e, rubrics, units.get(e.id, [])) for e in rows]


def _listed_evaluation(evaluation_id: int) -> Evaluation:
    """The evaluation, when the API lists it for the token's user, else 404."""
    evaluation = db.session.scalar(select(Evaluation).where(
        Evaluation.id == evaluation_id, access.api_evaluations_condition(_user())))
    if evaluation is None:
        abort(404)
    return evaluation


def _openable_evaluation(evaluation_id: int) -> Evaluation:
    """The evaluation, when the token's user may open it (``access.may_view``), else 404."""
    evaluation = db.session.get(Evaluation, evaluation_id)
    if evaluation is None or not access.may_view(_user(), evaluation):
        abort(404)
    return evaluation


@bp.route("/evaluations")
@_api
def evaluations():
    """The evaluations the API lists for the token's user (``access``: the dashboard's rows
    and those they may open), in id order, one page."""
    filters = _evaluation_filters()
    statement = _filtered(select(Evaluation).where(access.api_evaluations_condition(_user())),
                          filters).options(
        selectinload(Evaluation.municipality).selectinload(Municipality.province),
        selectinload(Evaluation.cycle))
    rows, next_cursor = _one_page("evaluations", filters, statement, Evaluation.id)
    return paging.conditional({"data": _evaluation_items(rows), "next": next_cursor})


@bp.route("/evaluations/<int:evaluation_id>")
@_api
def evaluation(evaluation_id: int):
    return paging.conditional(_evaluation_items([_listed_evaluation(evaluation_id)])[0])


@bp.route("/evaluations/<int:evaluation_id>/answers")
@_api
def answers(evaluation_id: int):
    """The stored answers of one evaluation (whoever may open it), in id order, one page."""
    e = _openable_evaluation(evaluation_id)
    filters = {"evaluation": e.id, "updated_since": paging.updated_since()}
    rows, next_cursor = _one_page("answers", filters,
                                  select(Answer).where(Answer.evaluation_id == e.id), Answer.id,
                                  Answer.updated_at)
    rubric = resources.Rubrics().rubric(e.rubric_version_id)
    lang = current_lang()
    return paging.conditional({"data": [resources.answer(row, rubric, lang) for row in rows],
                               "next": next_cursor})


# --- recommendations ---------------------------------------------------------------------------

@bp.route("/recommendations")
@_api
def recommendations():
    """The recommendations of the evaluations the token's user may view, with the
    municipality's answers and the later inspectors' findings, in id order."""
    user = _user()
    filters = {"province": _province(), "cycle": _cycle_year(),
               "evaluation": params.query_int("evaluation", kind=params.ID),
               "updated_since": paging.updated_since()}
    statement = _in_province_and_cycle(
        select(Recommendation).join(Evaluation, Evaluation.id == Recommendation.evaluation_id)
        .where(access.recommendations_condition(user)), filters)
    if filters["evaluation"] is not None:
        statement = statement.where(Recommendation.evaluation_id == filters["evaluation"])
    since = filters["updated_since"]
    if since is not None:
        statement = statement.where(or_(
            Evaluation.updated_at >= since,
            exists().where(RecommendationResponse.recommendation_id == Recommendation.id,
                           RecommendationResponse.created_at >= since),
            exists().where(and_(FollowUp.recommendation_id == Recommendation.id,
                                FollowUp.updated_at >= since))))
    rows, next_cursor = _one_page("recommendations", filters, statement, Recommendation.id)
    ids = [r.id for r in rows]
    responses: dict[int, list] = {}
    follow_ups: dict[int, list] = {}
    if ids:
        for x in db.session.scalars(select(RecommendationResponse).where(
                RecommendationResponse.recommendation_id.in_(ids))
                .order_by(RecommendationResponse.created_at, RecommendationResponse.id)):
            responses.setdefault(x.recommendation_id, []).append(x)
        found = list(db.session.scalars(select(FollowUp).where(
            FollowUp.recommendation_id.in_(ids)).order_by(FollowUp.id)))
        # a finding belongs to the later evaluation: shown to whoever may view that one
        seen = access.visible_ids(user, [f.evaluation_id for f in found])
        for f in found:
            if f.evaluation_id in seen:
                follow_ups.setdefault(f.recommendation_id, []).append(f)
    return paging.conditional({
        "data": [resources.recommendation(r, responses.get(r.id, []), follow_ups.get(r.id, []))
                 for r in rows],
        "next": next_cursor})


# --- rankings ----------------------------------------------------------------------------------

@bp.route("/rankings")
@_api
def rankings():
    """The ranking within tier of one cycle's finals (the dashboard's): rank among the
    province's municipalities of the same tier, adjusted and raw, for those who see the
    dashboard, in the provinces whose dashboard they see."""
    user = _user()
    if not access.may_see_dashboard(user):
        abort(403)
    filters = {"cycle": _cycle_year(), "province": _province(), "tier": paging.text("tier")}
    cycle = (db.session.scalar(select(EvaluationCycle).where(
        EvaluationCycle.year == filters["cycle"])) if filters["cycle"] is not None
        else db.session.scalar(select(EvaluationCycle).order_by(EvaluationCycle.year.desc())))
    if cycle is None:
        if filters["cycle"] is not None:
            abort(404)
        return paging.conditional({"data": [], "next": None})
    filters["cycle"] = cycle.year
    scope = access.dashboard_provinces(user)
    province = filters["province"]
    if province is not None and scope is not None and province not in scope:
        return paging.conditional({"data": [], "next": None})
    size = paging.limit()
    after = paging.after("rankings", filters)
    f = Filters(cycle_id=cycle.id, year=cycle.year, scope=scope, province_id=province,
                tier=filters["tier"])
    rows, next_cursor = paging.page("rankings", filters, queries.ranked_by_id(f, after, size + 1),
                                    size, key=lambda row: row["evaluation_id"])
    legend = queries.legend(cycle.id)
    return paging.conditional({
        "data": [resources.ranking_row(row, cycle.year, legend.tier_title(row["tier_id"]))
                 for row in rows],
        "next": next_cursor})
