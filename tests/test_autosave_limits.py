"""The rate limiter skips its resolution of limits for the autosave (app.limits
UNLIMITED_ENDPOINTS) only because nothing could apply there: the autosave declares no limit of
its own, and an app that configures a default or application-wide limit counts the autosave
under it as before."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from flask_limiter.util import get_qualified_name

from app.extensions import db
from app.limits import UNLIMITED_ENDPOINTS, limiter
from app.models import Evaluation, EvaluationCycle, Municipality
from tests.conftest import _close, _make_app
from tests.helpers import login

SAVE = {"X-Arzyab-Save": "1", "Content-Type": "application/json"}


def _eid(app):
    with app.app_context():
        return db.session.scalar(
            sa.select(Evaluation.id).join(Municipality).join(EvaluationCycle)
            .where(Municipality.name == "جعفریه", EvaluationCycle.year == 1404))


def test_the_skipped_endpoints_declare_no_limit_of_their_own(demo_app):
    for endpoint in UNLIMITED_ENDPOINTS:
        view = demo_app.view_functions[endpoint]
        assert get_qualified_name(view) not in limiter._marked_for_limiting, endpoint
        assert not limiter.limit_manager.has_hints(endpoint), endpoint


def test_the_autosave_is_skipped_without_configured_limits(demo_app, monkeypatch):
    assert demo_app.config["ARZYAB_LIMITER_SKIPS"] == UNLIMITED_ENDPOINTS
    eid = _eid(demo_app)
    client = demo_app.test_client()
    login(client, "inspector")

    def refuse(*_args, **_kwargs):
        raise AssertionError("limits resolved for the autosave")

    monkeypatch.setattr(limiter.limit_manager, "resolve_limits", refuse)
    saved = client.post(f"/evaluations/{eid}/answers", headers=SAVE,
                        data=json.dumps({"changes": {}}))
    assert saved.status_code == 200, saved.data


@pytest.mark.parametrize("setting", ["RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION"])
def test_a_configured_limit_still_counts_the_autosave(databases, tmp_path, setting):
    uri = databases.fresh("demo", tmp_path)
    manager = limiter.limit_manager  # one limiter per process: what this app sets, undone
    kept = (manager._default_limits, manager._application_limits)
    app = _make_app(uri, tmp_path / "data", **{setting: "2 per minute"})
    try:
        eid = _eid(app)
        client = app.test_client()
        login(client, "inspector")
        statuses = [client.post(f"/evaluations/{eid}/answers", headers=SAVE,
                                data=json.dumps({"changes": {}})).status_code
                    for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert app.config["ARZYAB_LIMITER_SKIPS"] == frozenset()
    finally:
        manager.set_default_limits(kept[0])
        manager.set_application_limits(kept[1])
        with app.app_context():
            _close(app)
        databases.drop(uri)
