"""The dashboard's rewritten queries against a reference written the plain way, on a data set
made for it: two provinces, three tiers, many ties (adjusted and raw), every state, two cycles,
towns not planned. The ranking reads the peers' scores once and ranks them in Python (the
reference: SQL's ``RANK()`` and a count of the peers that scored higher); the status counts
count the cycle's evaluations (the reference: every municipality outer-joined to its
evaluation and grouped)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

import pytest
from sqlalchemy import and_, func, select, text

from app import workflow
from app.dashboard import queries
from app.db import writing
from app.extensions import db
from app.models import Evaluation, EvaluationCycle, Municipality, Province, User
from app.rounding import round_half_up

#: scores drawn from few values so that peers tie often
SCORES = [41.5, 55.0, 55.0, 62.3, 70.0, 70.0, 70.0, 88.8]
STATES = ["draft", "submitted", "returned", "approved", "signed", "signed", "signed"]


@pytest.fixture
def peers(demo_app):
    """Thirty towns in تهران and eighteen more in قم, evaluated in ۱۴۰۳ and ۱۴۰۴ with tied
    scores in every state, and a manager of تهران."""
    rng = random.Random(17)
    with demo_app.app_context(), writing():
        tehran = Province(name="تهران")
        db.session.add(tehran)
        db.session.flush()
        ids = {"tehran": tehran.id}
        qom = ids["qom"] = db.session.scalar(select(Province.id).where(Province.name == "قم"))
        cycles = dict(db.session.execute(select(EvaluationCycle.year, EvaluationCycle.id)).all())
        version = db.session.scalar(select(func.max(Evaluation.rubric_version_id)))
        bands = queries.legend(cycles[1404]).bands[:2]
        signer = db.session.scalar(select(User.id).where(User.username == "manager"))
        now = dt.datetime(2025, 11, 1, 8, 0)
        for index in range(48):
            province = ids["tehran"] if index < 30 else qom
            name = f"شهرک {index}"
            town = Municipality(province_id=province, name=name, name_key=name,
                                county=f"بخش {index % 3}", grade=index % 5 + 1)
            db.session.add(town)
            db.session.flush()
            for year in (1403, 1404):
                if year == 1404 and index % 9 == 4:
                    continue  # not planned in ۱۴۰۴
                state = rng.choice(STATES)
                score = rng.choice(SCORES) if rng.random() < 0.9 else None
                raw = None if score is None else rng.choice([score, score + 2.5, 60.0])
                db.session.add(Evaluation(
                    municipality_id=town.id, cycle_id=cycles[year], rubric_version_id=version,
                    tier_id=rng.choice(["S", "M", "L"]), tier_basis={},
                    status="approved" if state == "signed" else state, score=score,
                    raw_score=raw, band=rng.choice(bands) if score is not None else None,
                    complete=True, answered_count=5, applicable_count=5,
                    signed_at=now if state == "signed" else None,
                    signed_by_id=signer if state == "signed" else None,
                    submitted_at=None if state == "draft" else now,
                    created_at=now, updated_at=now))
        manager = User(username="tehran-manager", full_name="مدیر تهران",
                       province_id=ids["tehran"])
        manager.set_password("arzyab-demo")
        manager.set_roles(["reviewer"])
        db.session.add(manager)
    return ids


def _reference(f) -> dict[int, dict]:
    """Evaluation id → rank, raw rank, peers, tier average and previous score, the plain way:
    RANK() over the ranked evaluations, a count of the peers with a higher raw score, an
    average per peer group, the previous cycle's ranked evaluation of the same town."""
    ranked = " AND ".join(str(c.compile(db.engine, compile_kwargs={"literal_binds": True}))
                          for c in queries._ranked_conditions(f))
    rows = db.session.execute(text(
        "SELECT evaluations.id, municipalities.id, municipalities.province_id, "
        "evaluations.tier_id, evaluations.score, evaluations.raw_score, "
        "RANK() OVER (PARTITION BY municipalities.province_id, evaluations.tier_id "
        "ORDER BY evaluations.score DESC) "
        "FROM evaluations JOIN municipalities "
        f"ON municipalities.id = evaluations.municipality_id WHERE {ranked}")).all()
    out = {}
    for eid, town_id, province, tier, _score, raw, rank in rows:
        group = [r for r in rows if (r[2], r[3]) == (province, tier)]
        higher_raw = sum(1 for r in group if raw is not None and r[5] is not None and r[5] > raw)
        average = round_half_up(round(sum(r[4] for r in group) / len(group), 6), 1)
        out[eid] = {"municipality_id": town_id, "rank": rank, "raw_rank": 1 + higher_raw,
                    "peers": len(group), "tier_average": average}
    previous = queries.previous_cycle(f)
    for row in out.values():
        before = db.session.execute(
            select(Evaluation.score).where(
                Evaluation.cycle_id == (previous[0] if previous else -1),
                Evaluation.municipality_id == row["municipality_id"],
                Evaluation.score.is_not(None),
                Evaluation.id.is_not(None) if f.pending else workflow.final_condition(Evaluation)))
        row["previous_score"] = before.scalar()
    return out


def _every_page(f, legend, per_page=7) -> list[dict]:
    rows, page = [], 1
    while True:
        found = queries.ranking(replace(f, page=page), legend, per_page=per_page)
        rows += found.rows
        if page >= found.pages:
            assert len(rows) == found.total
            return rows
        page += 1


@pytest.mark.parametrize("args", [
    {"year": "1404"},
    {"year": "1404", "pending": "1"},
    {"year": "1403", "pending": "1"},
    {"year": "1404", "pending": "1", "tier": "M"},
    {"year": "1404", "pending": "1", "province": "tehran"},
])
def test_ranks_averages_and_previous_scores_match_the_reference(read, peers, args):
    args = {k: str(peers[v]) if k == "province" else v for k, v in args.items()}
    f, legend = read(args, user="admin")
    reference = _reference(f)
    assert len(reference) >= 5
    # enough ties for the test to mean something: some rank is shared
    assert len({(r["peers"], r["rank"]) for r in reference.values()}) < len(reference)
    rows = _every_page(f, legend)
    assert sorted(r["evaluation_id"] for r in rows) == sorted(reference)
    for row in rows:
        expected = reference[row["evaluation_id"]]
        for key in ("rank", "raw_rank", "peers", "tier_average", "previous_score"):
            assert row[key] == expected[key], (key, row, expected)
    # the read API pages the same ranking by id: the same figures
    by_id = queries.ranked_by_id(f, 0, 1000)
    assert {r["evaluation_id"]: (r["rank"], r["raw_rank"], r["peers"]) for r in by_id} == {
        eid: (r["rank"], r["raw_rank"], r["peers"]) for eid, r in reference.items()}


@pytest.mark.parametrize("args", [{"q": "شهرک 1"}, {"county": "بخش 2"}, {"band": 0}])
def test_filters_pick_rows_and_keep_every_rank(read, peers, args):
    f_all, legend = read({"year": "1404", "pending": "1"}, user="admin")
    if "band" in args:
        args = {"band": legend.bands[args["band"]]}
    everyone = {r["evaluation_id"]: r for r in _every_page(f_all, legend)}
    f, legend = read({"year": "1404", "pending": "1", **args}, user="admin")
    rows = _every_page(f, legend)
    assert 0 < len(rows) < len(everyone)
    for row in rows:
        assert (row["rank"], row["raw_rank"], row["peers"], row["tier_average"]) == tuple(
            everyone[row["evaluation_id"]][k]
            for k in ("rank", "raw_rank", "peers", "tier_average"))


def test_a_manager_ranks_their_province_only(read, peers):
    f, legend = read({"year": "1404", "pending": "1"}, user="tehran-manager")
    rows = _every_page(f, legend)
    assert rows and {r["province_id"] for r in rows} == {peers["tehran"]}
    f_admin, legend = read({"year": "1404", "pending": "1", "province": str(peers["tehran"])},
                           user="admin")
    assert [(r["evaluation_id"], r["rank"], r["raw_rank"], r["tier_average"]) for r in rows] == [
        (r["evaluation_id"], r["rank"], r["raw_rank"], r["tier_average"])
        for r in _every_page(f_admin, legend)]
    # the province's average is over its own ranked evaluations only
    statistics = queries.peer_statistics(f)
    assert set(statistics.provinces) == {peers["tehran"]}


def _status_reference(f) -> dict[str, int]:
    status = func.coalesce(workflow.state_column(Evaluation), workflow.NOT_PLANNED)
    statement = (select(status, func.count()).select_from(Municipality)
                 .join(Province, Province.id == Municipality.province_id)
                 .outerjoin(Evaluation, and_(Evaluation.municipality_id == Municipality.id,
                                             Evaluation.cycle_id == f.cycle_id))
                 .where(*queries._place_filters(f),
                        *queries._evaluation_filters(replace(f, status="")))
                 .group_by(status))
    return dict(db.session.execute(statement).all())


@pytest.mark.parametrize("args", [
    {}, {"year": "1403"}, {"status": "signed"}, {"status": "none"}, {"tier": "M"},
    {"band": 0}, {"q": "شهرک 1"}, {"county": "بخش 1"}, {"province": "tehran"},
    {"province": "qom", "tier": "S", "county": "بخش 0"},
])
@pytest.mark.parametrize("user", ["admin", "tehran-manager"])
def test_status_counts_match_the_reference(read, peers, args, user):
    f, legend = read({}, user=user)
    args = {k: (str(peers[v]) if k == "province" else legend.bands[v] if k == "band" else v)
            for k, v in args.items()}
    f, legend = read({"year": "1404", **args}, user=user)
    expected = _status_reference(f)
    assert queries.status_counts(f) == expected
    if not (f.tier or f.band) and user == "admin" and f.province_id is None:
        assert expected.get(workflow.NOT_PLANNED, 0) > 0  # towns not planned are counted


def test_status_counts_of_a_cycle_without_evaluations(read, peers, demo_app):
    with demo_app.app_context(), writing():
        db.session.add(EvaluationCycle(year=1405, title="ارزیابی ۱۴۰۵", is_open=True))
    for user in ("admin", "tehran-manager"):
        f, _legend = read({"year": "1405"}, user=user)
        assert f.year == 1405
        expected = _status_reference(f)
        assert list(expected) == [workflow.NOT_PLANNED]
        assert queries.status_counts(f) == expected
