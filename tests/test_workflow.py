"""The workflow in one place (app/workflow.py): its states' titles, its moves and who makes
them; the two-step finish (the reviewer approves, the director-general signs, only then is
the final issued); and a search of the code showing no title or rule lives anywhere else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app import access, workflow
from app.db import writing
from app.errors import ServiceError
from app.evaluations import moves
from app.extensions import db
from app.i18n import translator
from app.models import Evaluation, EvaluationCycle, Municipality, User
from app.reports.finals import snapshot_of

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [p for folder in ("app", "forms", "templates")
           for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".html", ".js")]
WORKFLOW = ROOT / "app" / "workflow.py"


def _user(name):
    return db.session.scalar(select(User).where(User.username == name))


def _evaluation(town, year=1404):
    return db.session.scalar(select(Evaluation).join(Municipality).join(EvaluationCycle)
                             .where(Municipality.name == town, EvaluationCycle.year == year))


# --- nothing outside the module ----------------------------------------------------------------

def _titles() -> set[str]:
    """Every state title in English and Persian."""
    found = {state.title for state in workflow.STATES.values()} | {workflow.NOT_PLANNED_TITLE}
    fa = translator("fa")
    return found | {fa.gettext(title) for title in found}


def test_no_state_title_is_written_outside_the_workflow():
    titles = _titles()
    assert "پیش‌نویس" in titles and "امضاشده (نهایی)" in titles
    quoted = re.compile(r"""["']([^"'\n]{2,80})["']""")
    offenders = []
    for path in SOURCES:
        if path == WORKFLOW:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(text in titles for text in quoted.findall(line)):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "state titles outside app/workflow.py:\n" + "\n".join(offenders)


#: what deciding a state's move or reading the stored status by hand looks like
RULES = [
    re.compile(r"\bEvaluationStatus\b"),
    re.compile(r"""\bstatus\s*(==|!=)\s*["'](draft|submitted|returned|approved|signed)["']"""),
    re.compile(r"""["'](draft|submitted|returned|approved|signed)["']\s*(==|!=)\s*\w*\.?status"""),
    re.compile(r"\.(signed_at|approved_at|signed_by_id|approved_by_id)\s*=[^=]"),
    re.compile(r"""\.status\s*=\s*(EvaluationStatus|workflow\.|["'](draft|submitted|returned|approved)["'])"""),
    re.compile(r"""\bstatus\s+(not\s+)?in\s*[\[(]\s*["'](draft|submitted|returned|approved)"""),
]
#: the model defines the column, the demo names the state each demo evaluation ends in
ALLOWED = {ROOT / "app" / "models" / "evaluations.py", ROOT / "app" / "models" / "__init__.py",
           ROOT / "app" / "demo.py"}


def test_no_state_or_move_is_decided_outside_the_workflow():
    offenders = []
    for path in SOURCES:
        if path == WORKFLOW or path in ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "row.status" in line:  # an import preview's row (new / changed), not a state
                continue
            if any(rule.search(line) for rule in RULES):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "workflow rules outside app/workflow.py:\n" + "\n".join(offenders)


def test_the_search_finds_what_it_looks_for():
    """The two searches above are real: they catch a title and a rule written by hand."""
    titles = _titles()
    assert "Waiting for review" in titles and "در انتظار بررسی" in titles
    assert any(rule.search('if evaluation.status == "approved":') for rule in RULES)
    assert any(rule.search("evaluation.status = EvaluationStatus.SUBMITTED") for rule in RULES)


# --- one wording, fa and en --------------------------------------------------------------------

def test_every_state_has_one_title_in_each_language(ctx):
    english, persian = workflow.titles("en"), workflow.titles("fa")
    assert set(english) == set(persian) == set(workflow.STATES) | {workflow.NOT_PLANNED}
    assert english["submitted"] == "Waiting for review"
    assert persian["signed"] == "امضاشده (نهایی)"
    assert len(set(english.values())) == len(english)  # no two states share a title
    assert all(persian[s] != english[s] for s in english)


def test_what_each_state_allows(demo_ctx):
    draft, submitted = _evaluation("کهک"), _evaluation("قنوات")
    final = _evaluation("دستجرد")
    assert workflow.allows(draft, workflow.ANSWER) and workflow.allows(draft, workflow.DECLARE)
    assert not workflow.allows(submitted, workflow.ANSWER)
    assert workflow.allows(submitted, workflow.REVIEW)
    assert workflow.state_of(final) == workflow.SIGNED and workflow.is_final(final)
    assert workflow.allows(final, workflow.RESPOND) and not workflow.allows(final, workflow.ANSWER)
    with writing():
        draft.cycle.is_open = False
    with force_locale("en"):
        assert "closed" in workflow.refusal(draft, workflow.ANSWER)


def test_moves_from_the_wrong_state_are_refused(demo_ctx):
    with force_locale("en"):
        with pytest.raises(ServiceError, match="Only a submitted evaluation"), writing():
            moves.approve(_evaluation("کهک"), user=_user("reviewer"))
        with pytest.raises(ServiceError, match="Only an approved evaluation"), writing():
            moves.sign_off(_evaluation("قنوات"), user=_user("manager"))


# --- the two-step finish -----------------------------------------------------------------------

def test_the_reviewer_approves_and_the_director_general_signs_then_the_final_is_issued(
        demo_ctx):
    evaluation = _evaluation("قنوات")
    reviewer, manager = _user("reviewer"), _user("manager")
    assert access.may_move(reviewer, evaluation, "approve")
    assert not access.may_move(manager, evaluation, "approve")
    with writing():
        moves.approve(evaluation, user=reviewer)
    evaluation = _evaluation("قنوات")
    assert workflow.state_of(evaluation) == workflow.APPROVED and workflow.is_locked(evaluation)
    assert not workflow.is_final(evaluation) and snapshot_of(evaluation.id) is None
    # only the province's director-general signs; not the reviewer, not another province's
    assert not access.may_sign(reviewer, evaluation)
    assert access.may_sign(manager, evaluation)
    with writing():
        other = User(username="manager2", full_name="مدیر دیگر", province_id=None)
        other.set_password("x" * 12)
        other.set_roles(["manager"])
        db.session.add(other)
    assert not access.may_sign(_user("manager2"), evaluation)  # no province: signs nothing
    with pytest.raises(ServiceError) as refused, writing():
        moves.sign_off(evaluation, user=reviewer)
    assert refused.value.status == 403
    with writing():
        moves.sign_off(_evaluation("قنوات"), user=manager)
    evaluation = _evaluation("قنوات")
    assert workflow.is_final(evaluation) and evaluation.report_number
    snapshot = snapshot_of(evaluation.id)
    assert snapshot is not None
    import json

    signers = json.loads(snapshot.context_json)["signers"]
    assert [s["role"] for s in signers] == ["approval", "sign_off"]
    assert [s["name"] for s in signers] == [reviewer.display_name, manager.display_name]


def test_a_download_between_approval_and_sign_off_does_not_freeze_the_final(client, demo_app):
    from tests.helpers import login

    with demo_app.app_context():
        evaluation_id = _evaluation("قنوات").id
        with writing():
            moves.approve(db.session.get(Evaluation, evaluation_id), user=_user("reviewer"))
    login(client, "manager")
    with client.get(f"/evaluations/{evaluation_id}/report.pdf") as response:
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
    with demo_app.app_context():
        assert snapshot_of(evaluation_id) is None


def test_irreversible_steps_ask_first_and_warn_about_empty_texts(client, demo_app):
    from tests.helpers import login

    with demo_app.app_context():
        evaluation_id = _evaluation("قنوات").id
    login(client, "reviewer")
    page = client.get(f"/evaluations/{evaluation_id}/approve?lang=en")
    assert page.status_code == 200
    assert "locked for good" in page.text
    for empty in ("Strengths", "Areas for improvement", "Recommendations"):
        assert empty in page.text
