"""The dashboard's SQL: every figure is aggregated from the scores stored on ``Evaluation`` and
``UnitResult`` (written by ``evaluations.services.rescore`` whenever answers change), so a page
view never re-scores anything.

A few queries per page whatever the province's size: the page of rows (sorted and cut in SQL),
its count, and for the rows on the page only, their inspectors and unit scores. The peer
ranking reads the scores of every ranked evaluation of the cycle once (province, tier, score,
raw score: at most one row per municipality) and makes the peer groups' counts, averages and
ranks from them, a rank being 1 + the peers that scored higher (what ``RANK()`` gives): window
functions over every evaluation of a national cycle measured several times slower on SQLite,
and a correlated count per shown row read the peers fifty times over. Results are plain dicts
and tuples, never ORM objects.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from operator import neg
from typing import NamedTuple

from flask import current_app
from sqlalchemy import (
    Float,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from app import access, workflow
from app.authoring.services import rubric_of
from app.dashboard.filters import PER_PAGE, Filters
from app.extensions import db
from app.models import (
    Answer,
    Assignment,
    Evaluation,
    EvaluationCycle,
    Municipality,
    Province,
    Recommendation,
    RubricVersion,
    UnitResult,
    User,
)
from app.reports import charts
from app.rounding import round_half_up
from app.rubric import Rubric

#: at most this many ids in one IN (…) list
CHUNK = 500


# --- who sees what (app.access decides) ------------------------------------------------------

def province_scope(user) -> tuple[int, ...] | None:
    """The provinces whose rows `user` sees on the dashboard (None: every province)."""
    return access.dashboard_provinces(user)


def in_scope(scope: tuple[int, ...] | None, province_id: int) -> bool:
    return scope is None or province_id in scope


def viewable(user, evaluation_ids: Iterable[int]) -> set[int]:
    """The evaluations among `evaluation_ids` whose page (and PDF) `user` may open."""
    return access.visible_ids(user, evaluation_ids)


def _chunks(ids: Iterable[int], size: int = CHUNK) -> Iterator[list[int]]:
    ids = list(dict.fromkeys(ids))
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


# --- choices for the filter form -------------------------------------------------------------

def cycles() -> list[tuple[int, int]]:
    """(id, Jalali year) of every cycle, newest first."""
    return [tuple(row) for row in db.session.execute(
        select(EvaluationCycle.id, EvaluationCycle.year).order_by(EvaluationCycle.year.desc()))]


def provinces(scope: tuple[int, ...] | None) -> list[tuple[int, str]]:
    query = select(Province.id, Province.name).order_by(Province.name)
    if scope is not None:
        query = query.where(Province.id.in_(scope))
    return [tuple(row) for row in db.session.execute(query)]


def counties(province_ids: tuple[int, ...] | None) -> list[str]:
    query = select(Municipality.county).distinct().where(Municipality.county != "")
    if province_ids is not None:
        query = query.where(Municipality.province_id.in_(province_ids))
    return sorted(db.session.scalars(query))


@dataclass(frozen=True)
class Choices:
    """What the filter form offers a user: :func:`cycles`, :func:`provinces` and, by
    province, the counties (read in one statement by :func:`choices`)."""

    cycles: list[tuple[int, int]]
    provinces: list[tuple[int, str]]
    #: (province id, county) of every municipality in the scope that has a county
    county_pairs: frozenset[tuple[int, str]]
    #: (cycle id, rubric version id, its digest): the newest rubric version the evaluations
    #: of the cycle asked for use (the year asked for, else the newest cycle), if it has any
    newest_version: tuple[int, int, str] | None = None

    def legend(self, cycle_id: int | None) -> Legend:
        """As :func:`legend`, without a statement for the cycle read with the choices."""
        if self.newest_version is not None and self.newest_version[0] == cycle_id:
            return _legend_of(self.newest_version[1], self.newest_version[2])
        return legend(cycle_id)

    def counties(self, province_ids: tuple[int, ...] | None) -> list[str]:
        """As :func:`counties` of `province_ids` (None: every province in the scope)."""
        return sorted({county for province_id, county in self.county_pairs
                       if province_ids is None or province_id in province_ids})


@lru_cache(maxsize=2)
def _choices_statement(scoped: bool):
    """The statement of :func:`choices`, made once (for every province, or for the
    provinces bound as ``scope``)."""
    number, text = cast(null(), Integer), cast(null(), String)
    provinces_part = select(literal_column("1"), Province.id, number, Province.name)
    counties_part = (select(literal_column("2"), Municipality.province_id, number,
                            Municipality.county)
                     .distinct().where(Municipality.county != ""))
    if scoped:
        provinces_part = provinces_part.where(
            Province.id.in_(bindparam("scope", expanding=True)))
        counties_part = counties_part.where(
            Municipality.province_id.in_(bindparam("scope", expanding=True)))
    # the cycle shown: the year asked for, else the newest (as filters.parse picks it), and
    # the newest rubric version its evaluations use (as legend() reads it)
    shown = func.coalesce(
        select(EvaluationCycle.id).where(EvaluationCycle.year == bindparam("year"))
        .scalar_subquery(),
        select(EvaluationCycle.id).order_by(EvaluationCycle.year.desc()).limit(1)
        .scalar_subquery())
    newest = (select(func.max(Evaluation.rubric_version_id))
              .where(Evaluation.cycle_id == shown).scalar_subquery())
    version_part = select(literal_column("3"), shown, RubricVersion.id,
                          RubricVersion.sha256).where(RubricVersion.id == newest)
    both = union_all(
        select(literal_column("0").label("kind"), EvaluationCycle.id.label("id"),
               EvaluationCycle.year.label("number"), text.label("text")),
        provinces_part, counties_part, version_part).subquery()
    # cycles newest first, provinces by name as the database orders names (as provinces())
    return select(both).order_by(both.c.kind, both.c.number.desc(), both.c.text)


def choices(scope: tuple[int, ...] | None, year: int | None = None) -> Choices:
    """The cycles, the provinces of `scope`, their counties and the rubric version of the
    cycle of `year` (else of the newest cycle) in one statement (each statement is a round
    trip; every dashboard page asks for all of them)."""
    found: tuple[list, list, list, list] = ([], [], [], [])
    parameters: dict = {"year": year}
    if scope is not None:
        parameters["scope"] = list(scope)
    # on the session's connection: the ORM's execution path cost more CPU than the rows
    for kind, key, number, name in db.session.connection().execute(
            _choices_statement(scope is not None), parameters).all():
        found[kind].append((key, number) if kind == 0 else (key, number, name) if kind == 3
                           else (key, name))
    return Choices(found[0], found[1], frozenset(found[2]),
                   found[3][0] if found[3] else None)


# --- the rubric a cycle is read with ---------------------------------------------------------

@dataclass(frozen=True)
class Legend:
    """What a cycle's rubric says about tiers, bands and units, for labels and colours.

    Taken from the newest rubric version any evaluation of the cycle uses (as the comparison
    report does), else the newest published version of the default rubric.
    """

    rubric: Rubric | None = None
    #: (id, title) in the rubric's order
    tiers: tuple[tuple[str, str], ...] = ()
    #: (min, label), best first
    bands: tuple[str, ...] = ()
    band_mins: dict[str, float] = field(default_factory=dict)
    #: (id, title) in the rubric's order
    units: tuple[tuple[str, str], ...] = ()
    colours: dict[str, str] = field(default_factory=dict)

    @property
    def tier_ids(self) -> tuple[str, ...]:
        return tuple(tier_id for tier_id, _title in self.tiers)

    def tier_title(self, tier_id: str | None) -> str:
        if not tier_id:
            return ""
        return dict(self.tiers).get(tier_id) or tier_id

    def colour(self, band: str | None) -> str:
        return self.colours.get(band or "", charts.NONE_COLOUR)

    def band_for(self, score: float | None) -> str | None:
        return self.rubric.band_for(score) if self.rubric is not None else None


_legends: dict[str, Legend] = {}
_legends_lock = threading.Lock()


def _legend_of(version_id: int | None, sha: str | None = None) -> Legend:
    if version_id is None:
        return Legend()
    if sha is None:
        sha = db.session.scalar(select(RubricVersion.sha256)
                                .where(RubricVersion.id == version_id))
    if sha is None:
        return Legend()
    with _legends_lock:
        legend = _legends.get(sha)
    if legend is not None:
        return legend
    rubric = rubric_of(db.session.get(RubricVersion, version_id))
    legend = Legend(
        rubric=rubric,
        tiers=tuple((tier.id, tier.title or tier.id) for tier in rubric.tiers),
        bands=tuple(band.label for band in rubric.bands),
        band_mins={band.label: band.min for band in rubric.bands},
        units=tuple((unit.id, unit.title) for unit in rubric.units),
        colours=charts.band_colours((band.min, band.label) for band in rubric.bands))
    with _legends_lock:
        _legends[sha] = legend
    return legend


def legend(cycle_id: int | None) -> Legend:
    """The legend of the cycle `cycle_id` (see :class:`Legend`)."""
    if cycle_id is not None:
        # the version and its digest in one statement (each statement is a round trip)
        newest = (select(func.max(Evaluation.rubric_version_id))
                  .where(Evaluation.cycle_id == cycle_id).scalar_subquery())
        found = db.session.execute(select(RubricVersion.id, RubricVersion.sha256)
                                   .where(RubricVersion.id == newest)).first()
        if found is not None:
            return _legend_of(found.id, found.sha256)
    version_id = db.session.scalar(
        select(RubricVersion.id).where(
            RubricVersion.rubric_id == current_app.config["DEFAULT_RUBRIC"])
        .order_by(RubricVersion.published_at.desc(), RubricVersion.id.desc()).limit(1))
    return _legend_of(version_id)


# --- statements made once per shape ----------------------------------------------------------
#
# Building a page's statement (SQLAlchemy's objects, then its cache key) cost more CPU than
# running it on the database. The pages' statements are therefore made once per process for
# each shape (which filters are set, the sort, the cycle's rubric, the user's access
# condition: what decides their SQL), every value of the filters a bound parameter
# (:func:`_parameters`), and kept.

#: statements made by :func:`_made_once`, least recently used first
_made: OrderedDict = OrderedDict()
_made_lock = threading.Lock()
#: at most this many kept (a few per sort and filter set, times the access conditions)
MADE_MAX = 256


def _made_once(key, build: Callable):
    """The statement `build()` makes, made once for `key` (what decides its SQL and its
    values that are not parameters) and kept (None: made afresh)."""
    if key is None:
        return build()
    with _made_lock:
        statement = _made.get(key)
        if statement is not None:
            _made.move_to_end(key)
            return statement
    statement = build()
    with _made_lock:
        _made[key] = statement
        while len(_made) > MADE_MAX:
            _made.popitem(last=False)
    return statement


def _frozen(value):
    return tuple(_frozen(v) for v in value) if isinstance(value, (list, tuple)) else value


def _condition_key(condition) -> tuple | None:
    """What makes `condition` the condition it is: its SQL's structure and the values it
    carries (the same key, the same condition); None when SQLAlchemy cannot tell."""
    found = condition._generate_cache_key()
    if found is None:
        return None
    return found.key, tuple(_frozen(p.effective_value) for p in found.bindparams)


def _shape(f: Filters) -> tuple:
    """Which of `f`'s filters are set, and the status and the pending switch (they decide
    the SQL; the values are parameters)."""
    return (f.provinces is not None, bool(f.county), bool(f.key), bool(f.tier),
            bool(f.band), f.status, f.pending)


#: the LIKE escape character of the search (as SQLAlchemy's ``autoescape`` uses it)
_ESCAPE = "/"


def _like_text(text: str) -> str:
    """`text` matched literally inside LIKE: the escape character, % and _ escaped."""
    return (text.replace(_ESCAPE, _ESCAPE * 2).replace("%", _ESCAPE + "%")
            .replace("_", _ESCAPE + "_"))


def _parameters(f: Filters, **more) -> dict:
    """The bound parameters of a statement made with ``bound=True`` from `f`."""
    values = {"cycle_id": f.cycle_id, "county": f.county, "tier": f.tier, "band": f.band,
              "key": _like_text(f.key), "q": _like_text(f.q), **more}
    if f.provinces is not None:
        values["provinces"] = list(f.provinces)
    return values


def _value(f: Filters, name: str, bound: bool):
    """`f`'s value `name` in SQL: the value itself, or (`bound`) its bound parameter."""
    return bindparam(name) if bound else getattr(f, name)


def _provinces(f: Filters, bound: bool):
    return bindparam("provinces", expanding=True) if bound else f.provinces


# --- shared pieces of SQL --------------------------------------------------------------------

def _band_rank(column, legend: Legend):
    """A band as its lower bound, so that sorting by band sorts from worst to best."""
    if not legend.band_mins:
        return literal(0)
    return case(legend.band_mins, value=column, else_=None)


def _tier_rank(column, legend: Legend):
    if not legend.tiers:
        return column
    return case({tier_id: index for index, tier_id in enumerate(legend.tier_ids)},
                value=column, else_=len(legend.tiers))


def _inspector_name():
    """The first inspector's name (alphabetically) of the joined evaluation, for sorting."""
    name = func.coalesce(func.nullif(User.full_name, ""), User.username)
    return (select(func.min(name)).join(Assignment, Assignment.user_id == User.id)
            .where(Assignment.evaluation_id == Evaluation.id, Assignment.role == "inspector")
            .correlate(Evaluation).scalar_subquery())


def _search(name_key_column, name_column, f: Filters, bound: bool = False):
    """Names containing the search text, Arabic ي/ك and Persian ی/ک alike (both sides are
    folded with ``search_key``; a municipality stored without its key is matched by name).
    The text is matched literally (% and _ escaped)."""
    key, q = ((bindparam("key"), bindparam("q")) if bound
              else (_like_text(f.key), _like_text(f.q)))
    return or_(name_key_column.contains(key, escape=_ESCAPE),
               and_(name_key_column == "", name_column.contains(q, escape=_ESCAPE)))


def _place_filters(f: Filters, bound: bool = False) -> list:
    """The province, county and search filters (`bound`: their values bound parameters,
    see :func:`_parameters`)."""
    conditions = []
    if f.provinces is not None:
        conditions.append(Municipality.province_id.in_(_provinces(f, bound)))
    if f.county:
        conditions.append(Municipality.county == _value(f, "county", bound))
    if f.key:
        conditions.append(_search(Municipality.name_key, Municipality.name, f, bound))
    return conditions


def _evaluation_filters(f: Filters, bound: bool = False) -> list:
    conditions = []
    if f.tier:
        conditions.append(Evaluation.tier_id == _value(f, "tier", bound))
    if f.band:
        conditions.append(Evaluation.band == _value(f, "band", bound))
    if f.status == workflow.NOT_PLANNED:
        conditions.append(Evaluation.id.is_(None))
    elif f.status:
        conditions.append(workflow.in_states([f.status], Evaluation))
    return conditions


@dataclass
class Page:
    """One page of rows and where it sits among all of them."""

    rows: list[dict]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per_page)


def _page_number(f: Filters, total: int, per_page: int) -> int:
    return max(1, min(f.page, math.ceil(total / per_page) if total else 1))


# --- the overview ----------------------------------------------------------------------------

OVERVIEW_COLUMNS = (
    Municipality.id.label("municipality_id"), Municipality.name, Municipality.county,
    Municipality.grade, Municipality.population, Municipality.province_id,
    Province.name.label("province"), Evaluation.id.label("evaluation_id"),
    workflow.state_column(Evaluation).label("status"), Evaluation.score, Evaluation.raw_score,
    Evaluation.band, Evaluation.tier_id,
    Evaluation.updated_at, Evaluation.answered_count, Evaluation.applicable_count,
    Evaluation.report_number, Evaluation.ungated_score, Evaluation.raw_ungated_score,
)


#: what the overview's cut reads of each row's municipality (with the province's name): its
#: page's rows take them from the cut, and the rest from their evaluation
_OVERVIEW_PLACE = tuple(column for column in OVERVIEW_COLUMNS
                        if column.key in ("municipality_id", "name", "county", "grade",
                                          "population", "province_id", "province"))


def _overview_base(f: Filters, columns, bound: bool = False):
    """Every municipality in the scope with its evaluation of the cycle, if any."""
    statement = (select(*columns).select_from(Municipality)
                 .join(Province, Province.id == Municipality.province_id)
                 .outerjoin(Evaluation, and_(Evaluation.municipality_id == Municipality.id,
                                             Evaluation.cycle_id == _value(f, "cycle_id",
                                                                           bound))))
    return statement.where(*_place_filters(f, bound), *_evaluation_filters(f, bound))


def _sort_columns(f: Filters, legend: Legend) -> list:
    """The overview's whitelisted sort column(s) for `f.sort`, without their direction (only
    the one asked for is built: building every one took longer than running the query)."""
    return {
        "name": lambda: [Municipality.name], "county": lambda: [Municipality.county],
        "province": lambda: [Province.name], "grade": lambda: [Municipality.grade],
        "population": lambda: [Municipality.population],
        "status": lambda: [workflow.order_column(Evaluation)],
        "score": lambda: [Evaluation.score], "raw": lambda: [Evaluation.raw_score],
        "band": lambda: [_band_rank(Evaluation.band, legend), Evaluation.score],
        "tier": lambda: [_tier_rank(Evaluation.tier_id, legend)],
        "inspectors": lambda: [_inspector_name()], "updated": lambda: [Evaluation.updated_at],
    }[f.sort]()


def _ordered(f: Filters, columns, name, key) -> list:
    """`columns` in the direction `f` asks for, empty values last in either direction, then
    the name and the id (a stable order for pagination)."""
    ordered = [(column.desc() if f.descending else column.asc()).nulls_last()
               for column in columns]
    return [*ordered, name.asc(), key.asc()]


def sort_key(f: Filters, legend: Legend) -> list:
    """ORDER BY for the overview: the whitelisted column, empty values last in either
    direction, then the name (a stable order for pagination)."""
    return _ordered(f, _sort_columns(f, legend), Municipality.name, Municipality.id)


#: the keys of an overview row as read (:data:`OVERVIEW_COLUMNS`)
OVERVIEW_KEYS = tuple(column.key for column in OVERVIEW_COLUMNS)


def overview(f: Filters, legend: Legend, *, per_page: int = PER_PAGE, user=None) -> Page:
    """One page of the overview: municipality, status, scores, band, tier, inspectors, last
    change, in the order `f.sort` asks for. Given `user`, each row says whether they may
    open its evaluation (``row["viewable"]``, app.access's rule).

    The page's rows, their count, their inspectors and what `user` may open are one
    statement (each statement is a round trip): the page is cut in a subquery that also
    counts every row (an uncorrelated subquery, run once), and only its rows are joined to
    their inspectors.
    Past the last page, the last page is shown (its number needs the count first)."""
    if f.cycle_id is None:
        return Page([], 0, 1, per_page)
    page = max(1, f.page)
    rows, total = _overview_page(f, legend, per_page, page, user)
    if not rows and page > 1:
        total = db.session.scalar(select(func.count()).select_from(
            _overview_base(f, [Municipality.id]).subquery()))
        page = _page_number(f, total, per_page)
        if total:
            rows, total = _overview_page(f, legend, per_page, page, user)
    return Page(rows, total, page, per_page)


def _legend_key(legend: Legend) -> tuple:
    """What of `legend` the statements' SQL holds (the band and tier sorts)."""
    return tuple(legend.band_mins.items()), legend.tier_ids


def _overview_statement(f: Filters, legend: Legend, user):
    """The statement of :func:`_overview_page`, made once per shape (the values bound:
    :func:`_parameters` with ``limit`` and ``offset``).

    The page is cut from what its order and filters need of each row (the municipality's id
    and name, its evaluation's id, the sort keys), and only the page's rows read the rest of
    their municipality and evaluation, what the user may open of them and their inspectors:
    cutting the page from every column made PostgreSQL read each evaluation of the cycle from
    the table (its rows lie among the other cycles'), and compute the access condition for
    each; the cut's columns are held by ``ix_evaluations_cycle_towns`` (migration 0014)."""
    condition = access.evaluations_condition(user) if user is not None else None
    key = (_shape(f), f.sort, f.descending, _legend_key(legend),
           None if condition is None else _condition_key(condition))
    if condition is not None and key[-1] is None:
        key = None

    def build():
        keys = [column.label(f"sort_{index}")
                for index, column in enumerate(_sort_columns(f, legend))]
        # every row counted by an uncorrelated subquery, which the database runs once: a
        # window's count(*) OVER () made SQLite keep all 1,500 rows of a national cycle
        # for the sort instead of the page's 50 (measured 3–10 times slower)
        count = (select(func.count())
                 .select_from(_overview_base(f, [Municipality.id], True).subquery())
                 .scalar_subquery())
        cut = (_overview_base(f, [*_OVERVIEW_PLACE, Evaluation.id.label("evaluation_id"), *keys,
                                  count.label("total")], True)
               .order_by(*_ordered(f, keys, Municipality.name, Municipality.id))
               .limit(bindparam("limit", type_=Integer))
               .offset(bindparam("offset", type_=Integer)).subquery("page"))
        sort = [cut.c[k.name] for k in keys]
        # the municipality's columns from the cut, the evaluation's from its row (by id)
        columns = [cut.c[key] if key in cut.c else column
                   for key, column in zip(OVERVIEW_KEYS, OVERVIEW_COLUMNS, strict=True)]
        columns += [*sort, cut.c.total]
        if condition is not None:
            columns.append(case((condition, True), else_=False).label("viewable"))
        name = func.coalesce(func.nullif(User.full_name, ""), User.username)
        return (
            select(*columns, name.label("inspector")).select_from(cut)
            .outerjoin(Evaluation, Evaluation.id == cut.c.evaluation_id)
            .outerjoin(Assignment, and_(Assignment.evaluation_id == cut.c.evaluation_id,
                                        Assignment.role == "inspector"))
            .outerjoin(User, User.id == Assignment.user_id)
            .order_by(*_ordered(f, sort, cut.c.name, cut.c.municipality_id), name))

    return _made_once(key, build)


def _overview_page(f: Filters, legend: Legend, per_page: int, page: int,
                   user) -> tuple[list[dict], int]:
    """The rows of page `page` with their inspectors, and how many rows there are in all
    (0 when the page is empty)."""
    statement = _overview_statement(f, legend, user)
    rows: list[dict] = []
    total = 0
    # every row fetched at once, on the session's connection (the ORM's execution path cost
    # more CPU than the rows); their first columns are OVERVIEW_COLUMNS, in their order
    for row in db.session.connection().execute(statement, _parameters(
            f, limit=per_page, offset=(page - 1) * per_page)).all():
        if not rows or rows[-1]["municipality_id"] != row.municipality_id:
            data = _overview_row(row, legend, dict(zip(OVERVIEW_KEYS, row, strict=False)))
            if user is not None:
                data["viewable"] = bool(row.viewable) and row.evaluation_id is not None
            rows.append(data)
            total = row.total
        if row.inspector is not None:
            rows[-1]["inspectors"].append(row.inspector)
    return rows, total


def overview_all(f: Filters, legend: Legend) -> list[dict]:
    """Every row of the overview (no pages), in the same order: for the exports."""
    if f.cycle_id is None:
        return []
    statement = _overview_base(f, OVERVIEW_COLUMNS).order_by(*sort_key(f, legend))
    rows = [_overview_row(row, legend) for row in db.session.execute(statement)]
    _add_inspectors(rows)
    return rows


def _overview_row(row, legend: Legend, data: dict | None = None) -> dict:
    data = dict(row._mapping) if data is None else data
    data["tier_title"] = legend.tier_title(row.tier_id)
    data["colour"] = legend.colour(row.band)
    data["inspectors"] = []
    data["gated"] = row.ungated_score is not None and row.ungated_score != row.score
    return data


def _add_inspectors(rows: list[dict]) -> None:
    names = inspectors_of(r["evaluation_id"] for r in rows if r["evaluation_id"])
    for row in rows:
        row["inspectors"] = names.get(row["evaluation_id"], [])


def inspectors_of(evaluation_ids: Iterable[int]) -> dict[int, list[str]]:
    """Evaluation id → its inspectors' names, alphabetically."""
    found: dict[int, list[str]] = {}
    name = func.coalesce(func.nullif(User.full_name, ""), User.username)
    for chunk in _chunks(evaluation_ids):
        for evaluation_id, person in db.session.execute(
                select(Assignment.evaluation_id, name).join(User, User.id == Assignment.user_id)
                .where(Assignment.evaluation_id.in_(chunk), Assignment.role == "inspector")
                .order_by(name)):
            found.setdefault(evaluation_id, []).append(person)
    return found


def _status_counts_statements(f: Filters):
    """The statements of :func:`status_counts` (the counts by state with the filtered
    municipalities' count, and that count alone), made once per shape."""

    def build():
        state = workflow.state_column(Evaluation)
        places = _place_filters(f, True)
        statement = select(state, func.count()).select_from(Evaluation)
        if places:
            statement = statement.join(Municipality,
                                       Municipality.id == Evaluation.municipality_id)
        statement = (statement.where(Evaluation.cycle_id == bindparam("cycle_id"), *places,
                                     *_evaluation_filters(f, True))
                     .group_by(state))
        # the filtered municipalities counted in the same statement (one round trip)
        towns = (select(func.count()).select_from(Municipality).where(*places)
                 .correlate(None).scalar_subquery())
        return statement.add_columns(towns), select(towns)

    return _made_once(("status counts", _shape(f)), build)


def status_counts(f: Filters) -> dict[str, int]:
    """How many municipalities of the filtered set are at each status ("none": not planned);
    the status filter itself is left out so that every status is counted.

    The cycle's evaluations are counted by state (from the index alone when no place filter
    asks for the municipality's row), and the municipalities without one are the filtered
    municipalities less those: the same figures as grouping every municipality outer-joined
    to its evaluation, which read each evaluation's row from the table."""
    if f.cycle_id is None:
        return {}
    unfiltered = replace(f, status="")
    statement, towns = _status_counts_statements(unfiltered)
    parameters = _parameters(unfiltered)
    rows = db.session.connection().execute(statement, parameters).all()
    counts = {status: count for status, count, _towns in rows}
    if not (f.tier or f.band):  # a tier or band asked for: only evaluated rows match
        # no evaluation at all in the cycle: no row to read the count from
        towns_count = rows[0][2] if rows else db.session.scalar(towns, parameters)
        if towns_count > sum(counts.values()):
            counts[workflow.NOT_PLANNED] = towns_count - sum(counts.values())
    return counts


# --- the peer ranking ------------------------------------------------------------------------

def previous_cycle(f: Filters, cycles: list[tuple[int, int]] | None = None
                   ) -> tuple[int, int] | None:
    """(id, year) of the cycle before the one shown; from `cycles` (:func:`cycles`, newest
    first) when the page has read them already."""
    if f.year is None:
        return None
    if cycles is not None:
        return next(((cycle_id, year) for cycle_id, year in cycles if year < f.year), None)
    row = db.session.execute(
        select(EvaluationCycle.id, EvaluationCycle.year).where(EvaluationCycle.year < f.year)
        .order_by(EvaluationCycle.year.desc()).limit(1)).first()
    return tuple(row) if row else None


def _ranked(f: Filters, evaluation=Evaluation) -> list:
    """Finals (signed off) are ranked; with `f.pending`, every evaluation (no condition:
    one such as ``id IS NOT NULL``, always true, kept PostgreSQL from reading the cycle's
    figures from the index alone, ix_evaluations_cycle_figures, and made it read the
    table's rows of the cycle, scattered among the other cycles')."""
    if f.pending:
        return []
    return [workflow.final_condition(evaluation)]


def _ranked_conditions(f: Filters, evaluation=Evaluation, town=Municipality,
                       bound: bool = False) -> list:
    """Which evaluations are ranked: scored, in the cycle, final (or any state with
    `f.pending`), in the provinces and tier asked for (`bound`: the values bound
    parameters, see :func:`_parameters`)."""
    conditions = [evaluation.cycle_id == _value(f, "cycle_id", bound),
                  evaluation.score.is_not(None), *_ranked(f, evaluation)]
    if f.provinces is not None:
        conditions.append(town.province_id.in_(_provinces(f, bound)))
    if f.tier:
        conditions.append(evaluation.tier_id == _value(f, "tier", bound))
    return conditions


@dataclass
class PeerStatistics:
    """Counts and averages of the ranked evaluations by peer group (province × tier), per
    province and per tier over the whole scope, and each group's scores for its ranks."""

    #: (province id, tier id) → {"peers", "average", "raw_average"}
    groups: dict[tuple[int, str], dict]
    #: province id → average adjusted score
    provinces: dict[int, float | None]
    #: tier id → {"count", "average", "raw_average"}, over every province in the scope
    tiers: dict[str, dict]
    #: (province id, tier id) → (adjusted scores, raw scores) of its peers, each sorted
    #: highest first (so that a bisection of the negated scores counts the peers that scored
    #: higher)
    scores: dict[tuple[int, str], tuple[list[float], list[float]]] = field(
        default_factory=dict)

    def ranks(self, province_id: int, tier_id: str | None, score: float,
              raw: float | None) -> tuple[int, int]:
        """(rank by adjusted score, rank by raw score) among the peers: 1 + how many peers
        scored higher, so that ties share a rank as ``RANK()`` gives (a raw score that is
        missing is outranked by nobody and outranks nobody)."""
        adjusted, raws = self.scores.get((province_id, tier_id), ((), ()))
        raw_rank = 1 + bisect.bisect_left(raws, -raw, key=neg) if raw is not None else 1
        return 1 + bisect.bisect_left(adjusted, -score, key=neg), raw_rank


@lru_cache(maxsize=4096)
def _mean(total: float | None, count: int) -> float | None:
    """The average of `count` values summing to `total`, to one decimal (remembered: a
    national ranking makes some 200 of them per page, the same ones page after page, and a
    decimal rounding costs)."""
    # rounded to 6 places first: a sum of floats must not tip a half (60.35) down
    return _one_decimal(round(total / count, 6)) if count and total is not None else None


def peer_statistics(f: Filters) -> PeerStatistics:
    """The ranked evaluations' counts, averages and ranks by peer group, province and tier.

    One statement reads the (province, tier, score, raw score) of every ranked evaluation of
    the cycle (at most one per municipality in the scope); the counts, sums and ranks are
    made from them here. (A GROUP BY for the averages and a correlated count per shown row
    for its ranks read the same rows many times over: at ten cycles they took most of the
    page's database time.)"""
    if f.cycle_id is None:
        return PeerStatistics({}, {}, {})
    statement = _made_once(("peers", _shape(f)), lambda: (
        select(Municipality.province_id, Evaluation.tier_id, Evaluation.score,
               Evaluation.raw_score)
        .join(Municipality, Municipality.id == Evaluation.municipality_id)
        .where(*_ranked_conditions(f, bound=True))))
    found: dict[tuple[int, str], tuple[list[float], list[float]]] = {}
    # every row fetched at once (iterating a result fetches them one by one: at 1,500 rows
    # a millisecond more)
    for province_id, tier_id, score, raw in db.session.connection().execute(
            statement, _parameters(f)).all():
        lists = found.get((province_id, tier_id))
        if lists is None:
            lists = found[(province_id, tier_id)] = ([], [])
        lists[0].append(score)
        if raw is not None:
            lists[1].append(raw)
    groups, provinces, tiers, scores = {}, {}, {}, {}
    for (province_id, tier_id), (adjusted, raws) in found.items():
        count, total = len(adjusted), math.fsum(adjusted)
        raw_total = math.fsum(raws) if raws else None  # SUM() of nothing but NULLs
        groups[(province_id, tier_id)] = {"peers": count, "average": _mean(total, count),
                                          "raw_average": _mean(raw_total, count)}
        adjusted.sort(reverse=True)
        raws.sort(reverse=True)
        scores[(province_id, tier_id)] = (adjusted, raws)
        for key, table in ((province_id, provinces), (tier_id, tiers)):
            sums = table.setdefault(key, [0, 0.0, 0.0])
            sums[0] += count
            sums[1] += total
            sums[2] += raw_total or 0.0
    return PeerStatistics(
        groups=groups,
        provinces={pid: _mean(total, count) for pid, (count, total, _raw) in provinces.items()},
        tiers={tier_id: {"count": count, "average": _mean(total, count),
                         "raw_average": _mean(raw, count)}
               for tier_id, (count, total, raw) in tiers.items()},
        scores=scores)


def _ranking_filters(f: Filters, bound: bool = False) -> list:
    """The filters that pick which ranked rows are shown (never who is ranked)."""
    conditions = []
    if f.county:
        conditions.append(Municipality.county == _value(f, "county", bound))
    if f.key:
        conditions.append(_search(Municipality.name_key, Municipality.name, f, bound))
    if f.band:
        conditions.append(Evaluation.band == _value(f, "band", bound))
    return conditions


def ranking(f: Filters, legend: Legend, *, per_page: int = PER_PAGE,
            statistics: PeerStatistics | None = None,
            cycles: list[tuple[int, int]] | None = None) -> Page:
    """One page of the peer ranking: each scored evaluation of the cycle with its rank among
    the province's municipalities of the same tier (adjusted and raw), the tier's and the
    province's averages, and the previous cycle's score.

    Ranks and averages are computed over every peer before the county, band and search
    filters pick the rows shown (a filter never changes anyone's rank). Only finals (signed
    off) are ranked unless `f.pending`.

    The rows are ordered by province, tier and score (the rank order) and cut to the page in
    SQL; the averages and ranks come from the peers' scores read once
    (:func:`peer_statistics`). The page's rows, their count (a subquery run once) and their
    previous cycle's scores are one statement: the page is cut in a subquery and only its
    rows are joined to the previous cycle. (The unit scores joined as well made 650 rows
    of the page's columns: slower on SQLite than a second statement. Window functions
    ranking every evaluation of a national cycle measured several times slower on SQLite.)
    Past the last page, the last page is shown (its number needs the count first).
    """
    if f.cycle_id is None:
        return Page([], 0, 1, per_page)
    if statistics is None:
        statistics = peer_statistics(f)
    previous = previous_cycle(f, cycles)
    page = max(1, f.page)
    rows, total = _ranking_page(f, legend, per_page, page, previous)
    if not rows and page > 1:
        total = db.session.scalar(
            select(func.count()).select_from(Evaluation)
            .join(Municipality, Municipality.id == Evaluation.municipality_id)
            .where(*_ranked_conditions(f), *_ranking_filters(f)))
        page = _page_number(f, total, per_page)
        if total:
            rows, total = _ranking_page(f, legend, per_page, page, previous)
    for data in rows:
        _add_peer_figures(data, statistics)
        data["province_average"] = statistics.provinces.get(data["province_id"])
        data["tier_title"] = legend.tier_title(data["tier_id"])
        data["colour"] = legend.colour(data["band"])
        data["previous_year"] = previous[1] if previous else None
        data["change"] = (None if data["previous_score"] is None
                          else round(data["score"] - data["previous_score"], 1))
    return Page(rows, total, page, per_page)


#: what a row of the ranking reads of its municipality and evaluation
RANKING_COLUMNS = (
    Municipality.id.label("municipality_id"), Municipality.name, Municipality.county,
    Municipality.province_id, Province.name.label("province"),
    Evaluation.id.label("evaluation_id"), workflow.state_column(Evaluation).label("status"),
    Evaluation.tier_id, Evaluation.score, Evaluation.raw_score, Evaluation.band,
    Evaluation.report_number,
    Evaluation.ungated_score, Evaluation.complete, Evaluation.answered_count,
    Evaluation.applicable_count,
)
RANKING_KEYS = tuple(column.key for column in RANKING_COLUMNS)


#: the previous cycle's evaluation of a ranked row, and the evaluation of a row of the page
#: (made once: an alias of a table of 47 columns costs milliseconds to make)
_BEFORE = aliased(Evaluation, name="before")
_SHOWN = aliased(Evaluation, name="shown")


def _ranking_statement(f: Filters, legend: Legend, with_previous: bool):
    """The statement of :func:`_ranking_page`, made once per shape (the values bound:
    :func:`_parameters` with ``limit``, ``offset`` and, `with_previous`, ``previous``).

    The page is cut from what the cycle's index holds of each evaluation (its municipality,
    tier, score and state) with the municipalities' and provinces' names, and only the rows
    of the page read the rest of their evaluation (one per municipality and cycle): sorting
    every ranked row of a national cycle with all its columns made PostgreSQL read each of
    them from the table."""

    def build():
        tier_rank = _tier_rank(Evaluation.tier_id, legend).label("tier_rank")
        conditions = [*_ranked_conditions(f, bound=True), *_ranking_filters(f, True)]
        count = (select(func.count()).select_from(Evaluation)
                 .join(Municipality, Municipality.id == Evaluation.municipality_id)
                 .where(*conditions).scalar_subquery())
        cut = (select(Municipality.id.label("municipality_id"), Municipality.name,
                      Municipality.county, Municipality.province_id,
                      Province.name.label("province"), Evaluation.score, tier_rank,
                      count.label("total"))
               .select_from(Evaluation)
               .join(Municipality, Municipality.id == Evaluation.municipality_id)
               .join(Province, Province.id == Municipality.province_id)
               .where(*conditions)
               .order_by(Province.name, tier_rank, Evaluation.score.desc(), Municipality.name,
                         Municipality.id)
               .limit(bindparam("limit", type_=Integer))
               .offset(bindparam("offset", type_=Integer)).subquery("page"))
        shown = _SHOWN
        columns = {"evaluation_id": shown.id.label("evaluation_id"),
                   "status": workflow.state_column(shown).label("status"),
                   **{key: cut.c[key] for key in ("municipality_id", "name", "county",
                                                  "province_id", "province", "score")}}
        statement = (
            select(*(columns.get(key) if key in columns else getattr(shown, key)
                     for key in RANKING_KEYS), cut.c.tier_rank, cut.c.total)
            .select_from(cut)
            .join(shown, and_(shown.municipality_id == cut.c.municipality_id,
                              shown.cycle_id == bindparam("cycle_id"))))
        if with_previous:
            # the previous cycle's score when that evaluation is ranked there too (final, or
            # any state with `f.pending`) and scored; one per municipality and cycle
            before = _BEFORE
            statement = statement.add_columns(before.score.label("previous_score")).outerjoin(
                before, and_(before.municipality_id == cut.c.municipality_id,
                             before.cycle_id == bindparam("previous"), *_ranked(f, before),
                             before.score.is_not(None)))
        else:
            statement = statement.add_columns(cast(null(), Float).label("previous_score"))
        return statement.order_by(cut.c.province, cut.c.tier_rank, cut.c.score.desc(),
                                  cut.c.name, cut.c.municipality_id)

    return _made_once(("ranking", _shape(f), legend.tier_ids, with_previous), build)


def _ranking_page(f: Filters, legend: Legend, per_page: int, page: int,
                  previous: tuple[int, int] | None) -> tuple[list[dict], int]:
    """The rows of page `page` of the ranking with their previous score, and how many rows
    there are in all (0 when the page is empty)."""
    statement = _ranking_statement(f, legend, previous is not None)
    parameters = _parameters(f, limit=per_page, offset=(page - 1) * per_page,
                             previous=previous[0] if previous is not None else None)
    rows: list[dict] = []
    total = 0
    # every row fetched at once; its first columns are RANKING_COLUMNS, in their order
    for row in db.session.execute(statement, parameters).all():
        data = dict(zip(RANKING_KEYS, row, strict=False))
        data["previous_score"] = row.previous_score
        rows.append(data)
        total = row.total
    return rows, total


def ranked_by_id(f: Filters, after_id: int, size: int) -> list[dict]:
    """The ranked evaluations of the cycle (as :func:`ranking` ranks them, with the same
    peers, ranks and averages) with an id above `after_id`, in id order, at most `size`: the
    read API pages the ranking by id, so rows signed off meanwhile come on a later page."""
    if f.cycle_id is None:
        return []
    statement = (
        select(Municipality.id.label("municipality_id"), Municipality.name,
               Municipality.province_id, Province.name.label("province"),
               Evaluation.id.label("evaluation_id"), Evaluation.tier_id, Evaluation.score,
               Evaluation.raw_score, Evaluation.band)
        .select_from(Evaluation)
        .join(Municipality, Municipality.id == Evaluation.municipality_id)
        .join(Province, Province.id == Municipality.province_id)
        .where(*_ranked_conditions(f), Evaluation.id > after_id)
        .order_by(Evaluation.id).limit(size))
    rows = [dict(row._mapping) for row in db.session.execute(statement)]
    if not rows:
        return rows
    statistics = peer_statistics(f)
    for data in rows:
        _add_peer_figures(data, statistics)
    return rows


def _add_peer_figures(data: dict, statistics: PeerStatistics) -> None:
    """A ranked row's ranks, peer count and its peer group's averages."""
    group = statistics.groups.get((data["province_id"], data["tier_id"]), {})
    data["rank"], data["raw_rank"] = statistics.ranks(
        data["province_id"], data["tier_id"], data["score"], data["raw_score"])
    data["peers"] = group.get("peers", 0)
    data["tier_average"] = group.get("average")
    data["tier_raw_average"] = group.get("raw_average")


def _one_decimal(value: float | None) -> float | None:
    return round_half_up(value, 1) if value is not None else None


def tier_averages(statistics: PeerStatistics, legend: Legend) -> list[dict]:
    """Per tier over the whole scope (or the chosen province): how many evaluations are
    ranked and their average adjusted and raw scores, tiers in the rubric's order."""
    order = {tier_id: index for index, tier_id in enumerate(legend.tier_ids)}
    rows = [{"tier_id": tier_id, "title": legend.tier_title(tier_id), **figures,
             "band": legend.band_for(figures["average"])}
            for tier_id, figures in statistics.tiers.items()]
    rows.sort(key=lambda r: (order.get(r["tier_id"], len(order)), r["tier_id"]))
    return rows


class UnitFigures(NamedTuple):
    """A unit's stored result in one evaluation (only units that were evaluated)."""

    score: float
    raw: float | None
    band: str


@lru_cache(maxsize=1)
def _unit_scores_statement():
    """The statement of :func:`unit_scores` (the ids bound as ``ids``), made once."""
    return (select(UnitResult.evaluation_id, UnitResult.unit_id, UnitResult.score,
                   UnitResult.raw_score, UnitResult.band)
            .where(UnitResult.evaluation_id.in_(bindparam("ids", expanding=True)),
                   UnitResult.evaluated.is_(True), UnitResult.score.is_not(None)))


def unit_scores(evaluation_ids: Iterable[int]) -> dict[int, dict[str, UnitFigures]]:
    """Evaluation id → unit id → its stored score, raw score and band; a unit that was not
    evaluated (not applicable, unanswered, too much N/A) is left out."""
    found: dict[int, dict[str, UnitFigures]] = {}
    connection = db.session.connection()
    for chunk in _chunks(evaluation_ids):
        for eid, unit_id, score, raw, band in connection.execute(
                _unit_scores_statement(), {"ids": chunk}).all():
            units = found.get(eid)
            if units is None:
                units = found[eid] = {}
            units[unit_id] = UnitFigures(score, raw, band or "")
    return found


# --- one municipality ------------------------------------------------------------------------

def history(municipality_id: int) -> list[dict]:
    """Every evaluation of the municipality, oldest cycle first."""
    statement = (
        select(Evaluation.id.label("evaluation_id"), EvaluationCycle.year,
               Evaluation.cycle_id, workflow.state_column(Evaluation).label("status"),
               Evaluation.score, Evaluation.raw_score,
               Evaluation.band, Evaluation.tier_id, Evaluation.rubric_version_id,
               Evaluation.report_number, Evaluation.approved_at, Evaluation.updated_at,
               Evaluation.answered_count, Evaluation.applicable_count)
        .join(EvaluationCycle, EvaluationCycle.id == Evaluation.cycle_id)
        .where(Evaluation.municipality_id == municipality_id)
        .order_by(EvaluationCycle.year))
    return [dict(row._mapping) for row in db.session.execute(statement)]


def recommendations(evaluation_id: int) -> list[dict]:
    statement = (select(Recommendation.id, Recommendation.unit_id, Recommendation.text,
                        Recommendation.responsible, Recommendation.deadline)
                 .where(Recommendation.evaluation_id == evaluation_id)
                 .order_by(Recommendation.position, Recommendation.id))
    return [dict(row._mapping) for row in db.session.execute(statement)]


# --- the answers export ----------------------------------------------------------------------

#: evaluations whose answers are read in one statement while an export streams
ANSWER_CHUNK = 50


def answer_evaluations(f: Filters, user) -> list:
    """The evaluations of the cycle that pass the filters, have answers and that `user` may
    open (app.access: an unassigned reviewer gets none of them), in the order the answers
    export lists them: by province, municipality and evaluation (sorted here, as the export
    always has, so that every database orders names the same way)."""
    if f.cycle_id is None or f.status == workflow.NOT_PLANNED:
        return []
    has_answers = select(Answer.id).where(Answer.evaluation_id == Evaluation.id).exists()
    statement = (
        select(Province.name.label("province"), Municipality.name, Municipality.county,
               Evaluation.id.label("evaluation_id"), Evaluation.rubric_version_id,
               Evaluation.tier_id, workflow.state_column(Evaluation).label("status"))
        .select_from(Evaluation)
        .join(Municipality, Municipality.id == Evaluation.municipality_id)
        .join(Province, Province.id == Municipality.province_id)
        .where(Evaluation.cycle_id == f.cycle_id, has_answers, *_place_filters(f),
               *_evaluation_filters(f), access.export_condition(user, "answers")))
    return sorted(db.session.execute(statement),
                  key=lambda row: (row.province, row.name, row.evaluation_id))


def answers_of(evaluation_ids: list[int]) -> dict[int, list]:
    """Evaluation id → its stored answers (criterion, value, data, N/A, reason, note, last
    change), for a chunk of evaluations."""
    found: dict[int, list] = {}
    statement = (select(Answer.evaluation_id, Answer.criterion_id, Answer.value, Answer.data,
                        Answer.na, Answer.na_reason, Answer.note, Answer.updated_at)
                 .where(Answer.evaluation_id.in_(evaluation_ids)))
    for row in db.session.execute(statement):
        found.setdefault(row.evaluation_id, []).append(row)
    return found


def rubrics_of(version_ids: Iterable[int]) -> dict[int, Rubric]:
    found = {}
    for version_id in set(version_ids):
        version = db.session.get(RubricVersion, version_id)
        if version is not None:
            found[version_id] = rubric_of(version)
    return found


def final_evaluations(f: Filters, user) -> list[Evaluation]:
    """The finals of the cycle that pass the filters and that `user` may open (for the ZIP
    of reports; app.access decides)."""
    if f.cycle_id is None or (f.status and not workflow.is_final_state(f.status)):
        return []
    statement = (select(Evaluation).join(Municipality, Municipality.id ==
                                         Evaluation.municipality_id)
                 .join(Province, Province.id == Municipality.province_id)
                 .where(Evaluation.cycle_id == f.cycle_id,
                        access.export_condition(user, "finals"),
                        *_place_filters(f), *_evaluation_filters(f))
                 .order_by(Province.name, Municipality.name))
    return list(db.session.scalars(statement))
