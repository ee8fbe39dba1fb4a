"""The dashboard's SQL on the Qom demo data: rankings within tiers, averages, filters, search
with Arabic and Persian letters, sorting, pages, and who sees which province."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.dashboard import filters, queries
from app.db import writing
from app.extensions import db
from app.models import Evaluation, EvaluationCycle, Municipality, Province, User
from app.scoring.engine import round_half_up
from tests.dashboard.conftest import town


def _names(page_or_rows) -> list[str]:
    rows = page_or_rows.rows if hasattr(page_or_rows, "rows") else page_or_rows
    return [row["name"] for row in rows]


def _scores(year: int, statuses=("approved",)) -> dict[str, tuple[float, float, str]]:
    """name → (score, raw, tier) straight from the stored evaluations."""
    rows = db.session.execute(
        select(Municipality.name, Evaluation.score, Evaluation.raw_score, Evaluation.tier_id)
        .join(Evaluation, Evaluation.municipality_id == Municipality.id)
        .join(EvaluationCycle, EvaluationCycle.id == Evaluation.cycle_id)
        .where(EvaluationCycle.year == year, Evaluation.status.in_(statuses),
               Evaluation.score.is_not(None)))
    return {name: (score, raw, tier) for name, score, raw, tier in rows}


# --- the ranking ------------------------------------------------------------------------------

def test_ranking_within_tier_with_tier_and_province_averages(read):
    f, legend = read({"year": "۱۴۰۳"})  # Persian digits in the query are fine
    assert f.year == 1403
    stored = _scores(1403)
    page = queries.ranking(f, legend)
    rows = {row["name"]: row for row in page.rows}
    assert set(rows) == set(stored) == {"دستجرد", "قنوات", "قم"}

    # دستجرد and قنوات are both small towns (tier S): ranked against each other only
    assert stored["قنوات"][2] == stored["دستجرد"][2] == "S" and stored["قم"][2] == "L"
    assert stored["قنوات"][0] > stored["دستجرد"][0]
    assert (rows["قنوات"]["rank"], rows["دستجرد"]["rank"], rows["قم"]["rank"]) == (1, 2, 1)
    assert (rows["قنوات"]["peers"], rows["قم"]["peers"]) == (2, 1)

    small = [stored["قنوات"][0], stored["دستجرد"][0]]
    every = [score for score, _raw, _tier in stored.values()]
    assert rows["دستجرد"]["tier_average"] == round_half_up(sum(small) / 2, 1)
    assert rows["قم"]["tier_average"] == stored["قم"][0]
    for row in rows.values():
        assert row["province_average"] == round_half_up(sum(every) / 3, 1)
    # the raw score has its own rank among the same peers
    assert rows["دستجرد"]["raw_rank"] == (1 if stored["دستجرد"][1] > stored["قنوات"][1] else 2)
    # the tiers in the rubric's order (S before L), by rank inside each
    assert _names(page) == ["قنوات", "دستجرد", "قم"]
    assert [row["tier_id"] for row in page.rows] == ["S", "S", "L"]


def test_ranking_includes_pending_evaluations_only_when_asked(read):
    f, legend = read({"year": "1404"})
    assert set(_names(queries.ranking(f, legend))) == {"دستجرد", "قم"}  # approved only

    f, legend = read({"year": "1404", "pending": "1"})
    rows = queries.ranking(f, legend).rows
    stored = _scores(1404, ("draft", "submitted", "returned", "approved"))
    small = sorted((v[0], name) for name, v in stored.items() if v[2] == "S")[::-1]
    assert [row["name"] for row in rows if row["tier_id"] == "S"] == [n for _s, n in small]
    assert [row["rank"] for row in rows if row["tier_id"] == "S"] == [1, 2, 3, 4]
    assert "جعفریه" not in _names(rows)  # nothing answered: no score, not ranked


def test_tied_scores_share_a_rank(read, demo_app):
    """As SQL's RANK(): two peers on the same score share a place, and the next place is
    skipped (1, 1, 3, 4)."""
    with demo_app.app_context(), writing():
        leader = db.session.scalar(select(Evaluation.score).join(Municipality).join(
            EvaluationCycle).where(Municipality.name == "قنوات", EvaluationCycle.year == 1404))
        kahak = db.session.scalar(select(Evaluation).join(Municipality).join(
            EvaluationCycle).where(Municipality.name == "کهک", EvaluationCycle.year == 1404))
        kahak.score = leader  # a draft: not locked
    f, legend = read({"year": "1404", "pending": "1", "tier": "S"})
    ranks = {row["name"]: row["rank"] for row in queries.ranking(f, legend).rows}
    assert ranks == {"قنوات": 1, "کهک": 1, "دستجرد": 3, "سلفچگان": 4}


def test_ranking_shows_change_since_the_previous_cycle(read):
    f, legend = read({"year": "1404"})
    rows = {row["name"]: row for row in queries.ranking(f, legend).rows}
    before, now = _scores(1403), _scores(1404)
    assert rows["دستجرد"]["previous_score"] == before["دستجرد"][0]
    assert rows["دستجرد"]["change"] == round(now["دستجرد"][0] - before["دستجرد"][0], 1)
    assert rows["دستجرد"]["previous_year"] == 1403


def test_filters_pick_rows_without_changing_anyones_rank(read):
    f, legend = read({"year": "1404", "pending": "1", "q": "كهك"})  # Arabic ك
    rows = queries.ranking(f, legend).rows
    assert _names(rows) == ["کهک"]
    assert rows[0]["rank"] == 3 and rows[0]["peers"] == 4


def test_tier_averages(read):
    f, legend = read({"year": "1403"})
    averages = {row["tier_id"]: row
                for row in queries.tier_averages(queries.peer_statistics(f), legend)}
    stored = _scores(1403)
    assert list(averages) == ["S", "L"]
    assert averages["S"]["count"] == 2
    assert averages["S"]["average"] == round_half_up(
        (stored["قنوات"][0] + stored["دستجرد"][0]) / 2, 1)
    assert averages["S"]["band"] == legend.band_for(averages["S"]["average"])


# --- the overview -----------------------------------------------------------------------------

def test_overview_lists_every_municipality_with_its_evaluation(read):
    f, legend = read()
    assert f.year == 1404  # the newest cycle by default
    page = queries.overview(f, legend)
    assert page.total == 6
    rows = {row["name"]: row for row in page.rows}
    assert rows["دستجرد"]["status"] == "signed" and rows["دستجرد"]["tier_id"] == "S"
    assert rows["دستجرد"]["tier_title"] == legend.tier_title("S") != "S"
    assert rows["دستجرد"]["inspectors"] == ["مریم بختیاری"]
    assert rows["جعفریه"]["score"] is None

    f, legend = read({"year": "1403"})
    rows = {row["name"]: row for row in queries.overview(f, legend).rows}
    assert len(rows) == 6 and rows["کهک"]["evaluation_id"] is None  # not planned in 1403


@pytest.mark.parametrize("args, expected", [
    ({"status": "draft"}, {"کهک", "جعفریه"}),
    ({"status": "signed"}, {"دستجرد", "قم"}),
    ({"status": "approved"}, set()),  # approved, waiting for the sign-off: none in the demo
    ({"status": "none", "year": "1403"}, {"کهک", "جعفریه", "سلفچگان"}),
    ({"tier": "L"}, {"قم"}),
    ({"county": "قم"}, {"قم", "قنوات", "سلفچگان"}),
    ({"band": "مناسب"}, {"دستجرد"}),  # کهک is «متوسط» on rubric 1405.1
    ({"q": "كهك"}, {"کهک"}),  # Arabic ك and Persian ک alike
    ({"q": "جعفريه"}, {"جعفریه"}),  # Arabic ي
    ({"q": "  دستجرد\u200f "}, {"دستجرد"}),  # stray spaces and direction marks
    ({"q": "50%_"}, set()),  # LIKE wildcards are plain characters
    ({"tier": "S", "county": "قم"}, {"قنوات", "سلفچگان"}),
])
def test_overview_filters(read, args, expected):
    f, legend = read(args)
    assert set(_names(queries.overview(f, legend))) == expected


def test_search_uses_the_stored_name_key(read):
    f, legend = read({"q": "كهك"})
    assert f.key == "کهک"
    assert town("کهک").name_key == "کهک"


@pytest.mark.parametrize("sort, descending, expected", [
    ("score", True, ["قم", "قنوات", "دستجرد", "کهک", "سلفچگان", "جعفریه"]),
    ("score", False, ["سلفچگان", "کهک", "دستجرد", "قنوات", "قم", "جعفریه"]),  # empty last
    ("band", True, ["قم", "قنوات", "دستجرد", "کهک", "سلفچگان", "جعفریه"]),
    ("name", False, ["جعفریه", "دستجرد", "سلفچگان", "قم", "قنوات", "کهک"]),
])
def test_overview_sorts(read, sort, descending, expected):
    f, legend = read({"sort": sort, "dir": "desc" if descending else "asc"})
    assert _names(queries.overview(f, legend)) == expected


@pytest.mark.parametrize("sort", filters.SORTS)
def test_every_whitelisted_sort_runs_both_ways(read, sort):
    for direction in ("asc", "desc"):
        f, legend = read({"sort": sort, "dir": direction})
        assert f.sort == sort
        assert len(queries.overview(f, legend).rows) == 6


def test_status_sort_follows_the_workflow(read):
    f, legend = read({"sort": "status"})
    statuses = [row["status"] for row in queries.overview(f, legend).rows]
    assert statuses == ["draft", "draft", "returned", "submitted", "signed", "signed"]


@pytest.mark.parametrize("args", [
    {"sort": "name; DROP TABLE evaluations", "dir": "sideways"},
    {"sort": "municipalities.name", "page": "-3"},
    {"sort": "__class__", "year": "9999", "tier": "<script>", "band": "nope",
     "status": "deleted", "province": "abc", "page": "۹۹۹۹۹۹۹۹۹۹۹۹"},
])
def test_junk_falls_back_to_the_defaults(read, args):
    f, legend = read(args)
    assert f.sort == filters.DEFAULT_SORT
    assert (f.tier, f.band, f.status, f.province_id) == ("", "", "", None)
    assert f.year == 1404 and f.page >= 1
    assert queries.overview(f, legend).total == 6


def test_pages(read):
    f, legend = read({"sort": "name", "page": "2"})
    page = queries.overview(f, legend, per_page=4)
    assert (page.page, page.pages, page.first, page.last) == (2, 2, 5, 6)
    assert _names(page) == ["قنوات", "کهک"]
    f, legend = read({"page": "40"})  # past the end: the last page
    page = queries.overview(f, legend, per_page=4)
    assert page.page == 2 and len(page.rows) == 2


def test_status_counts_count_every_status(read):
    f, _legend = read({"status": "draft"})
    assert queries.status_counts(f) == {"signed": 2, "submitted": 1, "returned": 1,
                                        "draft": 2}


# --- scope ------------------------------------------------------------------------------------

@pytest.fixture
def other_province(demo_app):
    """A second province with one town, and a manager who belongs to it."""
    with demo_app.app_context(), writing():
        tehran = Province(name="تهران")
        db.session.add(tehran)
        db.session.flush()
        db.session.add(Municipality(province_id=tehran.id, name="دماوند", name_key="دماوند",
                                    county="دماوند", grade=6))
        manager = User(username="tehran-manager", full_name="مدیر تهران",
                       province_id=tehran.id)
        manager.set_password("arzyab-demo")
        manager.set_roles(["reviewer"])
        db.session.add(manager)
    return "tehran-manager"


def test_a_manager_sees_only_their_province(read, other_province):
    f, legend = read(user=other_province)
    assert f.scope is not None and len(f.scope) == 1
    assert _names(queries.overview(f, legend)) == ["دماوند"]
    assert queries.ranking(f, legend).total == 0
    # asking for another province is ignored
    qom = db.session.scalar(select(Province.id).where(Province.name == "قم"))
    f, legend = read({"province": str(qom)}, user=other_province)
    assert f.province_id is None and _names(queries.overview(f, legend)) == ["دماوند"]

    f, legend = read(user="admin")  # an admin sees every province, and may pick one
    assert f.scope is None and queries.overview(f, legend).total == 7
    f, legend = read({"province": str(qom)}, user="admin")
    assert queries.overview(f, legend).total == 6
