"""The reports ZIP while every render slot stays taken: a translated 503 with Retry-After,
never a 500, and the half-written archive is thrown away."""

from __future__ import annotations

import tempfile

from app.reports.slots import RendererBusy
from tests.helpers import login


def test_reports_zip_answers_503_while_the_renderers_are_busy(demo_app, monkeypatch):
    from app.dashboard import exports

    spools = []
    real_spool = tempfile.SpooledTemporaryFile

    def spool(*args, **kwargs):
        spools.append(real_spool(*args, **kwargs))
        return spools[-1]

    def busy(evaluation, *, user):
        raise RendererBusy(21)

    monkeypatch.setattr(exports.tempfile, "SpooledTemporaryFile", spool)
    monkeypatch.setattr(exports.reports, "final_report", busy)
    client = demo_app.test_client()
    login(client, "admin")
    response = client.get("/dashboard/export/reports.zip?year=1404")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "21"
    assert "۲۱" in response.text and "Traceback" not in response.text
    assert spools and all(s.closed for s in spools)
