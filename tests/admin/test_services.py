"""The administration use cases on the real (SQLite) database, from the Qom demo data."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app import access
from app.admin.audit import services as audit_trail
from app.admin.audit.services import AuditFilter
from app.admin.cycles import services as cycles
from app.admin.places import services as places
from app.admin.planning import services as planning
from app.admin.users import services as users
from app.db import writing
from app.demo import DEMO_USERS
from app.errors import ServiceError
from app.evaluations import services as evaluation_services
from app.extensions import db
from app.i18n import local_time, parse_jalali_date
from app.models import AuditEvent, EvaluationStatus, Province, User
from tests.admin.conftest import cycle, evaluation, town, user


@pytest.fixture(autouse=True)
def english(demo_ctx):
    """Messages in English, so the tests can match them."""
    with force_locale("en"):
        yield


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


# --- users ---------------------------------------------------------------------------------

def test_create_user_with_a_temporary_password(demo_ctx):
    admin = user("admin")
    with writing():
        created, password = users.create_user(
            username=" Sara.K ", full_name="سارا كريمي", roles=["inspector", "reviewer"],
            province_id=None, actor=admin)
    fresh = user("sara.k")
    assert fresh.full_name == "سارا کریمی"
    assert fresh.role_set == {"inspector", "reviewer"}
    assert fresh.must_change_password and fresh.check_password(password)
    assert len(password) >= 10
    [event] = _events("user.create")
    assert event.user_id == admin.id and event.object_id == str(fresh.id)
    assert password not in str(event.details)


@pytest.mark.parametrize("username, roles, message", [
    ("inspector", ["inspector"], "already taken"),
    ("مریم", ["inspector"], "Latin letters"),
    ("a b", ["inspector"], "Latin letters"),
    ("newbie", [], "at least one role"),
    ("newbie", ["boss"], "Unknown role"),
])
def test_create_user_refusals(demo_ctx, username, roles, message):
    with pytest.raises(ServiceError, match=message), writing():
        users.create_user(username=username, full_name="x", roles=roles)
    assert db.session.scalar(select(func.count(User.id))) == len(DEMO_USERS)


def test_update_user_audits_old_and_new(demo_ctx):
    admin, inspector = user("admin"), user("inspector")
    province = db.session.scalar(select(Province))
    with writing():
        changes = users.update_user(inspector, full_name="مریم بختیاری",
                                       roles=["inspector", "reviewer"],
                                       province_id=province.id, active=True, actor=admin)
    assert changes == {"roles": [["inspector"], ["inspector", "reviewer"]],
                       "province_id": [None, province.id]}
    [event] = _events("user.update")
    assert event.details["old"] == {"roles": ["inspector"], "province_id": None}
    assert event.details["new"]["province_id"] == province.id
    with writing():
        assert users.update_user(user("inspector"), full_name="مریم بختیاری",
                                    roles=["inspector", "reviewer"], province_id=province.id,
                                    active=True, actor=admin) == {}
    assert len(_events("user.update")) == 1


def test_deactivate_never_deletes_and_blocks_login(demo_ctx):
    with writing():
        assert users.deactivate_user(user("reviewer"), actor=user("admin"))
    reviewer = user("reviewer")
    assert reviewer is not None and not reviewer.active and not reviewer.is_active
    with writing():
        assert not users.deactivate_user(user("reviewer"), actor=user("admin"))
    assert len(_events("user.deactivate")) == 1


def test_admin_cannot_lock_themselves_or_everyone_out(demo_ctx):
    admin = user("admin")
    with pytest.raises(ServiceError, match="your own"), writing():
        users.deactivate_user(user("admin"), actor=admin)
    with pytest.raises(ServiceError, match="your own"), writing():
        users.update_user(user("admin"), full_name="x", roles=["reviewer"],
                             province_id=None, active=True, actor=admin)
    with pytest.raises(ServiceError, match="last active administrator"), writing():
        users.deactivate_user(user("admin"), actor=None)  # the command line
    assert user("admin").active and user("admin").has_role("admin")


def test_reset_password(demo_ctx):
    with writing():
        password = users.reset_password(user("inspector"), actor=user("admin"))
    inspector = user("inspector")
    assert inspector.check_password(password) and not inspector.check_password("arzyab-demo")
    assert inspector.must_change_password
    [event] = _events("user.password_reset")
    assert password not in str(event.details)


# --- municipalities ------------------------------------------------------------------------

def test_search_with_persian_normalisation(demo_ctx):
    def names(query):
        return [m.name for m in places.find_municipalities(query)]

    assert names("كهك") == ["کهک"]                 # Arabic kaf
    assert set(names("قم")) == {"قم", "قنوات", "سلفچگان"}   # by name or county
    assert names("خلجستان") == ["دستجرد"]           # by county
    assert names("") == [m.name for m in places.find_municipalities()]
    assert names("تهران") == []


def test_update_municipality_is_audited_with_old_and_new(demo_ctx):
    admin = user("admin")
    dastjerd = town("دستجرد")
    with writing():
        changes = places.update_municipality(
            dastjerd, {"grade": "۳", "population": "۱٬۷۰۰", "county": "خلجستان",
                       "census_year": 1395, "area_hectares": "۲۵۰"}, actor=admin)
    assert changes == {"grade": [2, 3], "population": [1600, 1700], "area_hectares": [120, 250]}
    dastjerd = town("دستجرد")
    assert (dastjerd.grade, dastjerd.population, dastjerd.area_hectares) == (3, 1700, 250)
    [event] = _events("municipality.update")
    assert event.municipality_id == dastjerd.id and event.user_id == admin.id
    assert event.details["old"] == {"grade": 2, "population": 1600, "area_hectares": 120}
    # a planned evaluation keeps its snapshot tier
    assert evaluation("دستجرد", 1404).tier_basis["grade"] == 2


@pytest.mark.parametrize("values", [{"grade": 13}, {"grade": None}, {"population": "many"},
                                    {"census_year": 2016}, {"name": "x"}])
def test_update_municipality_refuses_bad_values(demo_ctx, values):
    with pytest.raises(ServiceError), writing():
        places.update_municipality(town("کهک"), values)
    assert town("کهک").grade == 3


# --- cycles --------------------------------------------------------------------------------

def test_create_cycle_open_and_close(demo_ctx):
    admin = user("admin")
    start, end = parse_jalali_date("۱۴۰۵/۰۷/۰۱"), parse_jalali_date("۱۴۰۵/۰۹/۳۰")
    with writing():
        created = cycles.create_cycle(year=1405, title="ارزیابی ۱۴۰۵", visit_start=start,
                                        visit_end=end, actor=admin)
    assert created.is_open and created.visit_start == dt.date(2026, 9, 23)
    with writing():
        assert cycles.set_cycle_open(cycle(1405), False, actor=admin)
        assert not cycles.set_cycle_open(cycle(1405), False, actor=admin)
    assert not cycle(1405).is_open
    assert [e.action for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "cycle"))] == ["cycle.create",
                                                                           "cycle.close"]


@pytest.mark.parametrize("year, start, end, message", [
    (1404, None, None, "already exists"),
    (2026, None, None, "Jalali year"),
    (1405, "1405/09/30", "1405/07/01", "ends before it starts"),
])
def test_create_cycle_refusals(demo_ctx, year, start, end, message):
    with pytest.raises(ServiceError, match=message), writing():
        cycles.create_cycle(year=year, title="x", visit_start=parse_jalali_date(start),
                              visit_end=parse_jalali_date(end))


def test_closed_cycle_accepts_no_answers(demo_ctx):
    with writing():
        cycles.set_cycle_open(cycle(1404), False)
    draft = evaluation("کهک", 1404)
    with pytest.raises(evaluation_services.ServiceError, match="closed"), writing():
        evaluation_services.save_answers(draft, {"1.1": {"value": "50"}},
                                         user=user("inspector"))
    assert not access.may_answer(user("inspector"), evaluation("کهک", 1404))


# --- planning ------------------------------------------------------------------------------

def _new_cycle(year=1405):
    with writing():
        return cycles.create_cycle(year=year, title=f"ارزیابی {year}",
                                     visit_start=parse_jalali_date(f"{year}/07/01"),
                                     visit_end=parse_jalali_date(f"{year}/09/30")).id


def test_plan_all_evaluations_pinned_and_snapshotted(demo_ctx):
    cycle_id = _new_cycle()
    province = db.session.scalar(select(Province))
    with writing():
        town_ = town("دستجرد")
        town_.grade = 5  # changed before planning: the snapshot takes it
    with writing():
        created, skipped = planning.plan_evaluations(
            db.session.get(type(cycle(1405)), cycle_id), province, "municipal-units",
            actor=user("admin"))
    assert (len(created), skipped) == (6, 0)
    planned = evaluation("دستجرد", 1405)
    assert planned.tier_id == "M" and planned.tier_basis["grade"] == 5
    assert planned.status == EvaluationStatus.DRAFT
    assert planned.due_date == parse_jalali_date("1405/09/30")
    assert planned.rubric_version.rubric_id == "municipal-units"
    assert evaluation("قم", 1405).tier_id == "L"
    # again: nothing new
    with writing():
        created, skipped = planning.plan_evaluations(cycle(1405), province, "municipal-units")
    assert (created, skipped) == ([], 6)
    assert len(_events("cycle.plan")) == 1
    assert len(_events("evaluation.create")) == 9 + 6


def test_plan_skips_existing_and_refuses_closed_cycles_and_unknown_rubrics(demo_ctx):
    province = db.session.scalar(select(Province))
    with writing():
        created, skipped = planning.plan_evaluations(cycle(1404), province, "municipal-units")
    assert (created, skipped) == ([], 6)
    with pytest.raises(ServiceError, match="closed"), writing():
        planning.plan_evaluations(cycle(1403), province, "municipal-units")
    _new_cycle()
    with pytest.raises(ServiceError, match="no published version"), writing():
        planning.plan_evaluations(cycle(1405), province, "no-such-rubric")


def test_bulk_assign_replaces_inspectors_and_sets_due_dates(demo_ctx):
    _new_cycle()
    province = db.session.scalar(select(Province))
    with writing():
        planning.plan_evaluations(cycle(1405), province, "municipal-units")
        colleague, _password = users.create_user(username="hamid", full_name="حمید",
                                                    roles=["inspector"])
    due = parse_jalali_date("1405/08/15")
    with writing():
        chosen = [evaluation("کهک", 1405), evaluation("دستجرد", 1405)]
        changed = planning.assign(chosen, inspectors=[user("inspector"), user("hamid")],
                                  reviewer=user("reviewer"), due_date=due, actor=user("admin"))
    assert changed == 2
    kahak = evaluation("کهک", 1405)
    assert {u.username for u in kahak.users_in_role("inspector")} == {"inspector", "hamid"}
    assert [u.username for u in kahak.users_in_role("reviewer")] == ["reviewer"]
    assert kahak.due_date == due
    assert evaluation("قم", 1405).assignments == []
    # the inspector now sees them
    visible = db.session.scalars(access.visible_evaluations(user("inspector"))).all()
    assert kahak in visible and evaluation("قم", 1405) not in visible
    # replacing leaves only the chosen, and keeps the rest as it is
    with writing():
        planning.assign([evaluation("کهک", 1405)], inspectors=[user("hamid")])
    kahak = evaluation("کهک", 1405)
    assert [u.username for u in kahak.users_in_role("inspector")] == ["hamid"]
    assert [u.username for u in kahak.users_in_role("reviewer")] == ["reviewer"]
    assert kahak.due_date == due
    event = _events("evaluation.assign")[-1]
    assert event.details["old"]["inspectors"] == ["hamid", "inspector"]
    assert event.details["new"]["inspectors"] == ["hamid"]


def test_assign_refusals(demo_ctx):
    approved = evaluation("دستجرد", 1404)
    with pytest.raises(ServiceError, match="Approved evaluations"), writing():
        planning.assign([approved], due_date=dt.date(2026, 1, 1))
    with pytest.raises(ServiceError, match="role"), writing():
        planning.assign([evaluation("کهک", 1404)], inspectors=[user("author")])
    with pytest.raises(ServiceError, match="Select at least one"), writing():
        planning.assign([], due_date=dt.date(2026, 1, 1))
    with writing():
        users.deactivate_user(user("reviewer"))
    with pytest.raises(ServiceError, match="active user"), writing():
        planning.assign([evaluation("کهک", 1404)], reviewer=user("reviewer"))


def test_retier_needs_a_reason_and_is_audited(demo_ctx):
    draft = evaluation("کهک", 1404)
    assert draft.tier_id == "S"
    with writing():
        town("کهک").grade = 6
    with pytest.raises(ServiceError, match="reason"), writing():
        planning.retier(evaluation("کهک", 1404), "M", "  ")
    with writing():
        planning.retier(evaluation("کهک", 1404), "M", "درجه شهرداری به ۶ ارتقا یافت",
                        actor=user("admin"))
    draft = evaluation("کهک", 1404)
    assert draft.tier_id == "M" and draft.tier_basis["grade"] == 6
    [event] = _events("evaluation.retier")
    assert event.details["old"]["tier"] == "S" and event.details["new"]["tier"] == "M"
    assert event.details["reason"] == "درجه شهرداری به ۶ ارتقا یافت"
    assert event.evaluation_id == draft.id
    with pytest.raises(ServiceError, match="approved"), writing():
        planning.retier(evaluation("دستجرد", 1404), "M", "x")
    with pytest.raises(ServiceError, match="Unknown tier"), writing():
        planning.retier(evaluation("جعفریه", 1404), "XL", "x")


def test_plan_table_rows(demo_ctx):
    table = planning.plan_table(cycle(1404))
    assert [row["municipality"] for row in table["rows"]] == sorted(
        row["municipality"] for row in table["rows"])
    kahak = next(r for r in table["rows"] if r["municipality"] == "کهک")
    assert kahak["tier_id"] == "S" and kahak["inspectors"] == ["مریم بختیاری"]
    assert kahak["reviewer"] == "علیرضا جواهر" and kahak["status"] == "draft"
    assert not kahak["profile_changed"] and table["unplanned"] == []


# --- the audit trail -----------------------------------------------------------------------

def _page(*args, **kwargs):
    """(events, total) of one page of the audit trail (Flask-SQLAlchemy's Pagination)."""
    page = audit_trail.audit_page(*args, **kwargs)
    return page.items, page.total


def test_audit_filters(demo_ctx):
    admin = user("admin")
    with writing():
        places.update_municipality(town("کهک"), {"population": 3000}, actor=admin)
        users.reset_password(user("inspector"), actor=admin)
    kahak = town("کهک")
    events, total = _page(AuditFilter(municipality_id=kahak.id,
                                                    action="municipality.update"))
    assert total == 1 and events[0].details["new"] == {"population": 3000}
    _events_, total = _page(AuditFilter(user_id=admin.id))
    assert total == 2
    draft = evaluation("کهک", 1404)
    events, total = _page(AuditFilter(evaluation_id=draft.id))
    assert total > 0 and all(e.evaluation_id == draft.id for e in events)
    today = local_time(db.session.scalar(select(func.max(AuditEvent.at)))).date()
    _e, today_total = _page(AuditFilter(date_from=today, date_to=today))
    _e, all_total = _page(AuditFilter())
    assert today_total == all_total  # the demo was made today
    _e, none = _page(AuditFilter(date_to=today - dt.timedelta(days=1)))
    assert none == 0
    page2, _t = _page(AuditFilter(), page=2, per_page=5)
    assert len(page2) == 5


def test_audit_days_are_office_local(demo_ctx):
    # 21:00 UTC on 22 Sept 2026 is already 23 Sept (1405/07/01) in Tehran
    with writing():
        db.session.add(AuditEvent(at=dt.datetime(2026, 9, 22, 21, 0), action="test.event",
                                  object_type="x", object_id="1", details={}))
    day = parse_jalali_date("1405/07/01")
    _e, total = _page(AuditFilter(action="test.event", date_from=day,
                                                date_to=day))
    assert total == 1


def test_audit_csv_has_bom_and_defuses_formulas(demo_ctx):
    with writing():
        places.update_municipality(town("کهک"), {"county": "=HYPERLINK(\"x\")"},
                                     actor=user("admin"))
    text = audit_trail.audit_csv(AuditFilter(action="municipality.update"))
    assert text.startswith("\ufeffid,")
    lines = text.strip().split("\r\n")
    assert len(lines) == 2
    assert "کهک" in lines[1] and "admin" in lines[1]
    assert ",'=HYPERLINK" not in lines[1]  # the details cell is JSON, starting with «{»
    assert audit_trail._safe_cell("=1+1") == "'=1+1" and audit_trail._safe_cell("-2") == "'-2"
