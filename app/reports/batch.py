"""Rendering final reports through a job queue (RQ on Redis) when ``REDIS_URL`` is set, so app
servers stay free while workers render; in-process otherwise. One final as soon as it is
issued (:func:`dispatch_render`, arranged by ``app.reports.services.issue_final``), or a
whole cycle's missing ones (:func:`prepare_cycle`); the render itself is
``app.reports.finals``.

    arzyab reports prepare --cycle ۱۴۰۴        # enqueue (or render) every missing final report
    rq worker arzyab-reports                   # a worker, with REDIS_URL and DATABASE_URL set
"""

from __future__ import annotations

import logging
import os
from functools import partial

from flask import after_this_request, current_app, has_request_context
from sqlalchemy import select

from app import workflow
from app.extensions import db
from app.models import Evaluation
from app.reports.finals import final_report, render_final

log = logging.getLogger(__name__)

QUEUE = "arzyab-reports"
JOB_TIMEOUT = 600


def missing_final_reports(cycle_id: int) -> list[int]:
    """Ids of the cycle's finals (signed off) that have no stored final report yet."""
    from app.reports.models import StoredReport

    stored = select(StoredReport.evaluation_id)
    return list(db.session.scalars(
        select(Evaluation.id).where(Evaluation.cycle_id == cycle_id,
                                    workflow.final_condition(Evaluation),
                                    Evaluation.id.not_in(stored)).order_by(Evaluation.id)))


def prepare_cycle(cycle_id: int, redis_url: str | None = None) -> dict:
    """Render the missing final reports of a cycle, by the queue or here and now."""
    ids = missing_final_reports(cycle_id)
    redis_url = redis_url if redis_url is not None else os.environ.get("REDIS_URL")
    if redis_url:
        return {"queued": [enqueue_final(evaluation_id, redis_url) for evaluation_id in ids],
                "rendered": []}
    for evaluation_id in ids:
        _render(evaluation_id)
    return {"queued": [], "rendered": ids}


def dispatch_render(evaluation_id: int) -> None:
    """Render the final of `evaluation_id`: queued for an RQ worker when REDIS_URL is set
    (in this process if the queue cannot be reached), otherwise in this process — in a web
    request once the response has been sent, so whoever approved does not wait for it."""
    redis_url = current_app.config.get("REDIS_URL") or os.environ.get("REDIS_URL")
    if redis_url:
        try:
            enqueue_final(evaluation_id, redis_url)
            return
        except Exception:  # noqa: BLE001 - a queue outage must not lose the render
            log.exception("final %s: the queue is unreachable, rendering here", evaluation_id)
    if has_request_context():
        app = current_app._get_current_object()

        @after_this_request
        def _after_response(response):
            response.call_on_close(partial(_render_in_context, app, evaluation_id))
            return response
        return
    render_final(db.session.get(Evaluation, evaluation_id))


def _render_in_context(app, evaluation_id: int) -> None:
    """After the response: the request's context is gone, so this pushes its own."""
    with app.app_context():
        try:
            render_final(db.session.get(Evaluation, evaluation_id))
        except Exception:  # noqa: BLE001 - rendered again on first download
            log.exception("final %s: rendering after the response failed", evaluation_id)
        finally:
            db.session.remove()


def enqueue_final(evaluation_id: int, redis_url: str) -> str:
    """Queue the render of one final for an RQ worker; return the job's id."""
    from redis import Redis
    from rq import Queue

    queue = Queue(QUEUE, connection=Redis.from_url(redis_url))
    job = queue.enqueue(render_final_report, evaluation_id, job_timeout=JOB_TIMEOUT,
                        job_id=f"final-report-{evaluation_id}")
    return job.id


def render_final_report(evaluation_id: int) -> str:
    """The job a worker runs: build the app from the environment and issue one report."""
    from app import create_app

    app = create_app()
    with app.app_context():
        try:
            return _render(evaluation_id)
        finally:  # a worker runs many jobs: leave no connection behind
            db.session.remove()
            db.engine.dispose()


def _render(evaluation_id: int) -> str:
    stored = final_report(db.session.get(Evaluation, evaluation_id))
    return stored.sha256
