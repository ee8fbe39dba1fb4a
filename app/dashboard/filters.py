"""The dashboard's GET query, read against whitelists.

Every value a page accepts is checked here: a year that is not a cycle, a tier or band the
cycle's rubric does not know, a sort column that is not in :data:`SORTS`, a page number that is
not a number — each falls back to its default, so a junk or outdated link shows the default
page instead of an error. Nothing from the query reaches SQL except as a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app import workflow
from app.i18n import normalise_text, search_key
from app.params import ID_MAX, to_int

#: the states a manager can filter by (app.workflow's), and a municipality not yet planned
STATUSES = (workflow.NOT_PLANNED, *workflow.ordered())
#: the overview's sortable columns (the whitelist; see ``queries.sort_key``)
SORTS = ("name", "county", "province", "grade", "population", "status", "score", "raw",
         "band", "tier", "inspectors", "updated")
DEFAULT_SORT = "name"
#: longest search text and county name accepted (longer is cut)
MAX_TEXT = 100
#: rows per page
PER_PAGE = 50
MAX_PAGE = 1_000_000
#: larger numbers are no id, year or page of ours
MAX_NUMBER = ID_MAX


@dataclass(frozen=True)
class Filters:
    """What a dashboard page shows, already checked."""

    #: the cycle shown (None only when there is no cycle at all)
    cycle_id: int | None = None
    year: int | None = None
    #: the provinces the user may see (None: every province)
    scope: tuple[int, ...] | None = None
    #: the one province chosen in the filter (None: the whole scope)
    province_id: int | None = None
    tier: str = ""
    status: str = ""
    band: str = ""
    county: str = ""
    #: the search text as typed (normalised) and its folded key for matching
    q: str = ""
    key: str = ""
    sort: str = DEFAULT_SORT
    descending: bool = False
    page: int = 1
    #: the ranking: include evaluations not approved yet (default: approved only)
    pending: bool = False

    @property
    def provinces(self) -> tuple[int, ...] | None:
        """The provinces the rows come from: the chosen one, else the whole scope."""
        if self.province_id is not None:
            return (self.province_id,)
        return self.scope

    def args(self, **changes) -> dict:
        """The query arguments that reproduce these filters (defaults left out), with
        `changes` applied; for links (sorting, pages, exports)."""
        f = replace(self, **changes) if changes else self
        out: dict[str, object] = {}
        if f.year is not None:
            out["year"] = f.year
        if f.province_id is not None:
            out["province"] = f.province_id
        for name in ("tier", "status", "band", "county", "q"):
            if getattr(f, name):
                out[name] = getattr(f, name)
        if f.sort != DEFAULT_SORT:
            out["sort"] = f.sort
        if f.descending:
            out["dir"] = "desc"
        if f.page > 1:
            out["page"] = f.page
        if f.pending:
            out["pending"] = 1
        return out


def _int(text: object) -> int | None:
    """A whole number as app.params reads every number of a request (None when it is not)."""
    return to_int(text, 0, MAX_NUMBER)


def _text(text: object) -> str:
    return normalise_text(str(text or ""))[:MAX_TEXT]


def requested_year(args) -> int | None:
    """The year the query asks for, as a number (not checked against the cycles yet)."""
    return _int(args.get("year"))


def parse(args, *, scope: tuple[int, ...] | None, cycles: list[tuple[int, int]],
          provinces: list[int], legend_for) -> Filters:
    """Filters from request `args` (a MultiDict or dict).

    `cycles` are (id, year) pairs, newest first; `provinces` the ids the user may choose from;
    `legend_for(cycle_id)` gives the tiers and bands a cycle's rubric knows.
    """
    by_year = {year: cycle_id for cycle_id, year in cycles}
    year = requested_year(args)
    if year not in by_year:
        year = cycles[0][1] if cycles else None
    cycle_id = by_year.get(year) if year is not None else None

    province_id = _int(args.get("province"))
    if province_id not in provinces:
        province_id = None

    legend = legend_for(cycle_id)
    tier = _text(args.get("tier"))
    if tier not in legend.tier_ids:
        tier = ""
    band = _text(args.get("band"))
    if band not in legend.bands:
        band = ""
    status = _text(args.get("status"))
    if status not in STATUSES:
        status = ""

    q = _text(args.get("q"))
    sort = str(args.get("sort") or "")
    if sort not in SORTS:
        sort = DEFAULT_SORT
    page = _int(args.get("page")) or 1
    return Filters(
        cycle_id=cycle_id, year=year, scope=scope, province_id=province_id, tier=tier,
        status=status, band=band, county=_text(args.get("county")), q=q, key=search_key(q),
        sort=sort, descending=str(args.get("dir") or "") == "desc",
        page=max(1, min(page, MAX_PAGE)), pending=str(args.get("pending") or "") in ("1", "on"))
