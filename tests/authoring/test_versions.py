"""Rubric versions: publishing is immutable, pinned and audited; evaluations keep scoring
against the version they started with; the command line publishes and compares."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import func, select

from app.authoring import services
from app.authoring.services import PublishRefused, latest_version, publish_rubric, sha256_of
from app.cli import main
from app.db import writing
from app.evaluations import services as evaluations
from app.extensions import db
from app.models import AuditEvent, EvaluationCycle, Province, RubricVersion, User
from app.scoring import score

from .conftest import (
    DEMO_LABEL,
    DEMO_V2_CHANGE_EN,
    DEMO_V2_CHANGE_FA,
    DEMO_V2_LABEL,
    ROOT,
    TINY_V1,
    TINY_V2,
    demo_text,
    demo_v2,
    evaluation,
)


def _versions() -> int:
    return db.session.scalar(select(func.count(RubricVersion.id)))


def _publish_events() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "rubric.publish").order_by(AuditEvent.id)))


def _author() -> User:
    return db.session.scalar(select(User).where(User.username == "author"))


def test_a_second_version_leaves_started_evaluations_on_the_first(demo_ctx):
    first = latest_version("municipal-units")
    open_one, approved = evaluation("کهک"), evaluation("دستجرد")
    assert open_one.rubric_version_id == approved.rubric_version_id == first.id
    before = {e.id: (e.score, e.raw_score, e.band) for e in (open_one, approved)}
    assert open_one.answers, "the demo's draft has answers to score"

    with writing():
        second, created = publish_rubric(demo_v2(), filename="municipal-units.yaml",
                                         user=_author())
    assert created and second.version_label == DEMO_V2_LABEL
    assert latest_version("municipal-units").id == second.id
    assert first.yaml_text == demo_text()  # the first version is kept as it was

    for pinned in (open_one, approved):
        db.session.refresh(pinned)
        assert pinned.rubric_version_id == first.id
        with writing():
            card = evaluations.rescore(db.session.get(type(pinned), pinned.id))
        assert (card.score, card.raw, card.band) == before[pinned.id]
    # the same answers would score differently against the second version: pinning matters
    moved = score(services.rubric_of(second), open_one.tier_id,
                              evaluations.answer_values(open_one))
    assert moved.score != before[open_one.id][0]


def test_new_evaluations_use_the_latest_version(demo_ctx):
    from app.admin.planning.services import plan_evaluations

    with writing():
        second, _created = publish_rubric(demo_v2(), user=_author())
        cycle = EvaluationCycle(year=1405, title="۱۴۰۵", is_open=True,
                                visit_end=dt.date(2026, 12, 20))
        db.session.add(cycle)
        db.session.flush()
        created, _skipped = plan_evaluations(cycle, db.session.scalar(select(Province)),
                                             "municipal-units")
    assert created and {e.rubric_version_id for e in created} == {second.id}


def test_publishing_is_audited_with_who_and_what(demo_ctx):
    before = len(_publish_events())
    with writing():
        version, _created = publish_rubric(demo_v2(), user=_author())
    events = _publish_events()
    assert len(events) == before + 1
    event = events[-1]
    assert event.user_id == _author().id and event.object_id == str(version.id)
    assert event.details == {"rubric_id": "municipal-units", "version": DEMO_V2_LABEL,
                             "sha256": sha256_of(demo_v2())}
    assert version.published_by_id == _author().id


def test_republishing_the_same_text_does_nothing(ctx):
    with writing():
        first, created = publish_rubric(TINY_V1)
    assert created
    count, events = _versions(), len(_publish_events())
    with writing():
        again, created = publish_rubric(TINY_V1)
    assert not created and again.id == first.id
    assert (_versions(), len(_publish_events())) == (count, events)


def test_new_content_under_a_published_label_is_refused(ctx):
    with writing():
        publish_rubric(TINY_V1)
    changed = TINY_V1.replace("title: پوشش,", "title: پوشش کامل,")
    with pytest.raises(PublishRefused) as refused, writing():
        publish_rubric(changed)
    message = str(refused.value)
    assert "tiny" in message and "2" in message  # names the rubric and suggests a label
    assert _versions() == 1
    digest = sha256_of(changed)
    assert services.publish_obstacle(services.rubric_of(latest_version("tiny")), digest)[1]


def test_listing_counts_versions_and_open_evaluations(demo_ctx):
    with writing():
        publish_rubric(demo_v2(), user=_author())
    [listing] = services.rubric_listing()
    assert listing.rubric_id == "municipal-units"
    newest, oldest = listing.versions
    assert newest.version.version_label == DEMO_V2_LABEL and newest.publisher == "حسین ابراهیمی"
    assert (newest.open_count, newest.total_count) == (0, 0)
    assert oldest.publisher == "" and oldest.open_count == 4 and oldest.total_count == 9
    assert services.previous_version(newest.version).id == oldest.version.id
    assert services.previous_version(oldest.version) is None
    towns = [e.municipality.name for e in services.open_evaluations([oldest.version.id])]
    assert sorted(towns) == sorted(["قنوات", "سلفچگان", "کهک", "جعفریه"])


# --- the command line -------------------------------------------------------------------------

def _cli(app, *args):
    runner = CliRunner()
    return runner.invoke(main, list(map(str, args)), obj=ScriptInfo(create_app=lambda: app),
                         catch_exceptions=False)


def test_cli_publish_keeps_its_rules(app, tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_V1, encoding="utf-8")
    first = _cli(app, "rubric", "publish", path, "--lang", "en")
    assert first.exit_code == 0 and "Published version 1" in first.output
    again = _cli(app, "rubric", "publish", path, "--lang", "en")
    assert again.exit_code == 0 and "Unchanged" in again.output
    path.write_text(TINY_V1.replace("title: پوشش,", "title: پوشش کامل,"), encoding="utf-8")
    refused = _cli(app, "rubric", "publish", path, "--lang", "en")
    assert refused.exit_code == 1 and "already published with different content" in \
        refused.output
    path.write_text(TINY_V2, encoding="utf-8")
    assert _cli(app, "rubric", "publish", path).exit_code == 0
    with app.app_context():
        assert [v.version_label for v in services.versions_of("tiny")] == ["2", "1"]


def test_cli_diff_with_the_open_evaluations_on_the_old_version(demo_app, tmp_path):
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(demo_text(), encoding="utf-8")
    new.write_text(demo_v2(), encoding="utf-8")
    result = _cli(demo_app, "rubric", "diff", old, new)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert DEMO_V2_CHANGE_FA in result.output
    assert any(line.strip() == "- کهک ۱۴۰۴ (پیش‌نویس)" for line in lines)
    assert "دستجرد" not in result.output  # approved: not open
    english = _cli(demo_app, "rubric", "diff", old, new, "--lang", "en")
    assert DEMO_V2_CHANGE_EN + " [affects scores]" in english.output
    assert f"Open evaluations on version {DEMO_LABEL}" in english.output
    assert "- قنوات 1404 (Waiting for review)" in english.output
    # NEW is not a published version: nothing is pinned to it
    backwards = _cli(demo_app, "rubric", "diff", new, old, "--lang", "en")
    assert "No published version has exactly the text of" in backwards.output


def test_cli_diff_as_a_process_needs_no_database(tmp_path):
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(TINY_V1, encoding="utf-8")
    new.write_text(TINY_V2, encoding="utf-8")
    missing = tmp_path / "none.sqlite"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{missing}",
           "SECRET_KEY": "a-test-secret-key-of-some-length"}
    result = subprocess.run([sys.executable, "-m", "app.cli", "rubric", "diff", old, new,
                             "--lang", "en"], capture_output=True, text=True, cwd=ROOT, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "The target of the criterion 1.1 «پوشش» in tier small changed from 80 to 70." in \
        result.stdout
    assert "could not be listed" in result.stderr
    assert not missing.exists()  # no empty database made just to look
    broken = tmp_path / "broken.yaml"
    broken.write_text(TINY_V1.replace("weight: 2,", "wieght: 2,"), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "app.cli", "rubric", "diff", old, broken,
                             "--no-db"], capture_output=True, text=True, cwd=ROOT, env=env,
                            timeout=120)
    assert result.returncode == 1 and "R108" in result.stderr
    assert "Traceback" not in result.stderr
