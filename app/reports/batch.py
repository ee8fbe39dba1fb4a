"""Rendering final reports through a job queue (RQ on Redis) when ``REDIS_URL`` is set, so app
servers stay free while workers render; in-process otherwise. One final as soon as it is
issued (:func:`enqueue_final`, called by app.reports.finals), or a whole cycle's missing ones.

    arzyab reports prepare --cycle ۱۴۰۴        # enqueue (or render) every missing final report
    rq worker arzyab-reports                   # a worker, with REDIS_URL and DATABASE_URL set
"""

from __future__ import annotations

import os

from sqlalchemy import select

from app import workflow
from app.extensions import db
from app.models import Evaluation

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
    from app.reports.services import final_report

    stored = final_report(db.session.get(Evaluation, evaluation_id))
    return stored.sha256
