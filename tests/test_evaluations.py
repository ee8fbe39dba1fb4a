"""The evaluation use cases on a real (SQLite) database, starting from the Qom demo data."""

import pytest
from sqlalchemy import select

from app import access, workflow
from app.db import writing
from app.demo import DEMO_USERS
from app.evaluations import moves, services
from app.evaluations.services import ServiceError
from app.extensions import db
from app.models import (
    Answer,
    AuditEvent,
    Evaluation,
    EvaluationCycle,
    EvaluationStatus,
    Municipality,
    SaveReceipt,
    User,
)


def _evaluation(town: str, year: int) -> Evaluation:
    return db.session.scalar(
        select(Evaluation).join(Municipality).join(EvaluationCycle)
        .where(Municipality.name == town, EvaluationCycle.year == year))


def _user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def test_demo_dastjerd_1404_is_approved_and_appropriate(demo_ctx):
    evaluation = _evaluation("دستجرد", 1404)
    assert evaluation.status == EvaluationStatus.APPROVED
    assert evaluation.tier_id == "S" and evaluation.tier_basis["grade"] == 2
    assert evaluation.band == "مناسب" and 60 <= evaluation.score < 70
    assert evaluation.complete and evaluation.report_number
    # the stored figures are what the engine gives for the stored answers
    card = services.scorecard(evaluation)
    assert (card.score, card.raw, card.band) == (evaluation.score, evaluation.raw_score,
                                                 evaluation.band)


def test_demo_is_idempotent(demo_ctx):
    from app.demo import create_demo

    before = db.session.scalar(select(db.func.count(Evaluation.id)))
    create_demo()
    assert db.session.scalar(select(db.func.count(Evaluation.id))) == before
    assert db.session.scalar(select(db.func.count(User.id))) == len(DEMO_USERS)


def test_demo_has_evaluations_in_several_states(demo_ctx):
    states = set(db.session.scalars(select(Evaluation.status)))
    assert {"draft", "submitted", "returned", "approved"} <= states


def _first(evaluation, type_):
    """The first criterion of `type_` that applies to the evaluation's tier."""
    rubric = services.rubric_for(evaluation)
    return next(c for c in rubric.criteria() if c.type == type_ and c.applies(evaluation.tier_id))


def test_save_answers_stores_scores_and_audits_old_and_new(demo_ctx):
    evaluation = _evaluation("جعفریه", 1404)
    inspector = _user("inspector")
    percent, yesno = _first(evaluation, "percent").id, _first(evaluation, "yesno").id
    with writing():
        result = services.save_answers(evaluation, {percent: {"value": "۸۱"},
                                                    yesno: {"value": "بله"}}, user=inspector)
    assert result["ok"] and result["version"] == evaluation.version
    stored = {a.criterion_id: a.value for a in evaluation.answers}
    assert stored == {percent: 81.0, yesno: 1.0}
    assert evaluation.answered_count == 2 and evaluation.score is not None
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.evaluation_id == evaluation.id, AuditEvent.action == "answer.change")).all()
    assert {e.object_id for e in events} == {percent, yesno}
    assert events[0].details["old"] is None and events[0].user_id == inspector.id


def test_a_bad_field_refuses_the_whole_batch(demo_ctx):
    evaluation = _evaluation("جعفریه", 1404)
    with pytest.raises(ServiceError) as caught, writing():
        services.save_answers(evaluation, {"1.1": {"value": "81"}, "1.2": {"value": "زیاد"},
                                           "99.9": {"value": 1}}, user=_user("inspector"))
    assert caught.value.status == 422
    assert set(caught.value.details["errors"]) == {"1.2", "99.9"}
    db.session.expire_all()
    assert _evaluation("جعفریه", 1404).answers == []


def test_percent_over_100_is_refused(demo_ctx):
    evaluation = _evaluation("جعفریه", 1404)
    with pytest.raises(ServiceError) as caught, writing():
        services.save_answers(evaluation, {"1.1": {"value": "۱۲۰"}}, user=_user("inspector"))
    assert "1.1" in caught.value.details["errors"]


def test_replayed_save_is_stored_once_and_a_reused_key_with_other_changes_is_refused(demo_ctx):
    evaluation = _evaluation("جعفریه", 1404)
    inspector = _user("inspector")
    changes = {"1.1": {"value": "90"}}
    with writing():
        first = services.save_answers(evaluation, changes, user=inspector, key="k" * 20)
    with writing():
        again = services.save_answers(evaluation, changes, user=inspector, key="k" * 20)
    assert again["replayed"] and again["version"] == first["version"]
    assert db.session.scalar(select(db.func.count(SaveReceipt.id))) == 1
    with pytest.raises(ServiceError) as caught, writing():
        services.save_answers(evaluation, {"1.1": {"value": "10"}}, user=inspector,
                              key="k" * 20)
    assert caught.value.status == 409


def test_second_device_with_a_stale_version_gets_both_values(demo_ctx):
    evaluation = _evaluation("جعفریه", 1404)
    inspector = _user("inspector")
    with writing():
        services.save_answers(evaluation, {"1.1": {"value": "50"}}, user=inspector)
    seen = evaluation.version
    with writing():  # device A
        services.save_answers(evaluation, {"1.1": {"value": "60"}}, user=inspector,
                              base_version=seen)
    other = _first(evaluation, "yesno").id
    with pytest.raises(ServiceError) as caught, writing():  # device B, still at `seen`
        services.save_answers(evaluation, {"1.1": {"value": "70"}, other: {"value": "yes"}},
                              user=inspector, base_version=seen)
    conflict = caught.value.details["conflicts"]["1.1"]
    assert conflict["theirs"]["value"] == 60.0 and conflict["yours"]["value"] == 70.0
    db.session.expire_all()
    assert {a.criterion_id: a.value for a in _evaluation("جعفریه", 1404).answers} == {"1.1": 60.0}
    # B saving an answer nobody else touched, against the stale version, is fine
    with writing():
        services.save_answers(evaluation, {other: {"value": "yes"}}, user=inspector,
                              base_version=seen)


def test_na_needs_permission_and_a_reason(demo_ctx):
    evaluation = _evaluation("جعفریه", 1404)
    rubric = services.rubric_for(evaluation)
    allowed = next(c for c in rubric.criteria() if c.allow_na and c.applies("S"))
    refused = next(c for c in rubric.criteria() if not c.allow_na and c.applies("S"))
    inspector = _user("inspector")
    with pytest.raises(ServiceError) as caught, writing():
        services.save_answers(evaluation, {allowed.id: {"na": True, "na_reason": " "},
                                           refused.id: {"na": True, "na_reason": "x"}},
                              user=inspector)
    assert set(caught.value.details["errors"]) == {allowed.id, refused.id}
    with writing():
        services.save_answers(evaluation, {allowed.id: {"na": True, "na_reason": "ندارد"}},
                              user=inspector)
    answer = db.session.scalar(select(Answer).where(Answer.criterion_id == allowed.id,
                                                    Answer.evaluation_id == evaluation.id))
    assert answer.na and answer.value is None and answer.na_reason == "ندارد"


def test_submit_lists_what_is_missing_then_workflow_to_approval(demo_ctx):
    evaluation = _evaluation("کهک", 1404)
    inspector, reviewer = _user("inspector"), _user("reviewer")
    with pytest.raises(ServiceError) as caught, writing():
        moves.submit(evaluation, user=inspector)
    missing = caught.value.details["problems"]
    assert set(services.scorecard(evaluation).missing) <= set(missing)
    from app.demo import demo_answers

    answers = demo_answers(services.rubric_for(evaluation), "S", 0.8,
                           profile=services.profile_of(evaluation))
    for cid in list(answers):
        answers[cid]["note"] = "یادداشت"
    with writing():
        services.save_answers(evaluation, answers, user=inspector)
        moves.submit(evaluation, user=inspector)
    assert evaluation.status == "submitted"
    assert not access.may_answer(inspector, evaluation)
    with writing():
        moves.return_for_changes(evaluation, user=reviewer,
                                    comments={"1.1": "عدد را با صورتجلسه تطبیق دهید"})
    assert evaluation.status == "returned"
    assert {a.criterion_id: a.review_comment for a in evaluation.answers}["1.1"]
    with writing():
        moves.submit(evaluation, user=inspector)
        moves.approve(evaluation, user=reviewer)
    assert evaluation.status == "approved" and workflow.is_locked(evaluation)
    with pytest.raises(ServiceError) as caught, writing():
        services.save_answers(evaluation, {"1.1": {"value": "1"}}, user=inspector)
    assert caught.value.status == 409
    actions = list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.evaluation_id == evaluation.id, AuditEvent.action.like("evaluation.%"))))
    assert actions[-4:] == ["evaluation.submit", "evaluation.return", "evaluation.submit",
                            "evaluation.approve"]


def test_returning_needs_a_comment(demo_ctx):
    evaluation = _evaluation("قنوات", 1404)
    with pytest.raises(ServiceError), writing():
        moves.return_for_changes(evaluation, user=_user("reviewer"), comments={"1.1": " "})


def test_closed_cycle_accepts_no_answers(demo_ctx):
    evaluation = _evaluation("جعفریه", 1404)
    with writing():
        evaluation.cycle.is_open = False
    with pytest.raises(ServiceError) as caught, writing():
        services.save_answers(evaluation, {"1.1": {"value": "1"}}, user=_user("inspector"))
    assert caught.value.status == 409


def test_audit_events_are_append_only_in_the_database(demo_ctx):
    from sqlalchemy.exc import DatabaseError

    with pytest.raises(DatabaseError, match="append-only"), writing():
        db.session.execute(db.update(AuditEvent).values(action="tampered"))
    with pytest.raises(DatabaseError, match="append-only"), writing():
        db.session.execute(db.delete(AuditEvent))


def test_access_rules(demo_ctx):
    evaluation = _evaluation("دستجرد", 1404)
    with writing():
        stranger = User(username="other", full_name="x")
        stranger.set_password("x" * 12)
        stranger.set_roles(["inspector", "reviewer"])
        db.session.add(stranger)
    assert access.may_view(_user("inspector"), evaluation)
    assert access.may_view(_user("reviewer"), evaluation)
    assert access.may_view(_user("admin"), evaluation)
    assert not access.may_view(_user("author"), evaluation)
    assert not access.may_view(stranger, evaluation)
    visible = db.session.scalars(access.visible_evaluations(stranger)).all()
    assert visible == []


@pytest.mark.parametrize("statement", [
    "UPDATE answers SET value = 0 WHERE evaluation_id = :eid",
    "DELETE FROM answers WHERE evaluation_id = :eid",
    "INSERT INTO answers (evaluation_id, criterion_id, na, na_reason, note, review_comment, "
    "revision, updated_at) VALUES (:eid, 'x', false, '', '', '', 0, CURRENT_TIMESTAMP)",
    "UPDATE unit_results SET score = 100 WHERE evaluation_id = :eid",
    "UPDATE evaluations SET score = 100 WHERE id = :eid",
    "UPDATE evaluations SET status = 'draft' WHERE id = :eid",
    "DELETE FROM recommendations WHERE evaluation_id = :eid",
    "UPDATE rubric_versions SET title = 'x'",
    "DELETE FROM rubric_versions",
])
def test_the_database_refuses_changes_to_approved_and_published_records(demo_ctx, statement):
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    eid = _evaluation("دستجرد", 1404).id
    with pytest.raises(DatabaseError, match="locked|cannot change"), writing():
        db.session.execute(text(statement), {"eid": eid})
    db.session.rollback()
    assert _evaluation("دستجرد", 1404).status == "approved"


def test_a_device_never_conflicts_with_itself_but_another_device_does(demo_ctx):
    evaluation = _evaluation("جعفریه", 1404)
    inspector = _user("inspector")
    with writing():
        services.save_answers(evaluation, {"1.1": {"value": "50"}}, user=inspector)
    seen = evaluation.version
    tablet, phone = "tablet-0123456789", "phone-0123456789"
    with writing():  # two batches from the same tablet, both based on what it saw
        services.save_answers(evaluation, {"1.1": {"value": "60"}}, user=inspector,
                              base_version=seen, device=tablet)
        services.save_answers(evaluation, {"1.1": {"value": "61"}}, user=inspector,
                              base_version=seen, device=tablet)
    with pytest.raises(ServiceError) as caught, writing():
        services.save_answers(evaluation, {"1.1": {"value": "70"}}, user=inspector,
                              base_version=seen, device=phone)
    assert caught.value.details["conflicts"]["1.1"]["theirs"]["value"] == 61.0


def test_a_save_that_races_a_submit_is_refused_inside_its_own_transaction(demo_ctx):
    """The view's check ran before the submit; the service checks again where it writes."""
    evaluation = _evaluation("قنوات", 1404)
    assert evaluation.status == EvaluationStatus.SUBMITTED
    criterion = next(iter(services.rubric_for(evaluation).criteria()))
    before = {a.criterion_id: (a.value, a.note) for a in evaluation.answers}
    with pytest.raises(ServiceError) as info, writing():
        services.save_answers(db.session.get(Evaluation, evaluation.id),
                              {criterion.id: {"note": "پس از ارسال"}}, user=_user("inspector"))
    assert info.value.status == 409
    evaluation = _evaluation("قنوات", 1404)
    assert {a.criterion_id: (a.value, a.note) for a in evaluation.answers} == before


def test_a_user_not_assigned_cannot_save_through_the_service(demo_ctx):
    evaluation = _evaluation("جعفریه", 1404)
    criterion = next(iter(services.rubric_for(evaluation).criteria()))
    with pytest.raises(ServiceError) as info, writing():
        services.save_answers(db.session.get(Evaluation, evaluation.id),
                              {criterion.id: {"note": "x"}}, user=_user("reviewer"))
    assert info.value.status == 403
