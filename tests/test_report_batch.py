"""Final reports of a whole cycle: in-process without Redis, through a real RQ queue on a
real Redis server with it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import EvaluationCycle
from app.reports.batch import missing_final_reports, prepare_cycle
from app.reports.models import StoredReport

pytestmark = pytest.mark.pdf


def _cycle_id(year=1404):
    return db.session.scalar(select(EvaluationCycle.id).where(EvaluationCycle.year == year))


def test_without_redis_the_batch_renders_in_process(demo_ctx, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    cycle_id = _cycle_id()
    missing = missing_final_reports(cycle_id)
    assert len(missing) == 2  # Dastjerd and Qom were approved in ۱۴۰۴
    result = prepare_cycle(cycle_id)
    assert result["rendered"] == missing and result["queued"] == []
    assert db.session.scalar(select(func.count(StoredReport.id))) == 2
    assert missing_final_reports(cycle_id) == []


@pytest.fixture
def redis_url(tmp_path):
    binary = shutil.which("redis-server")
    assert binary, "redis-server is installed by scripts/setup.sh --test"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(tmp_path)],
                              stdout=subprocess.DEVNULL)
    from redis import Redis

    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            Redis.from_url(url).ping()
            break
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.05)
    yield url
    server.terminate()
    server.wait(timeout=10)


def test_with_redis_a_worker_renders_the_queued_reports(demo_app, redis_url, monkeypatch):
    from redis import Redis
    from rq import Queue, SimpleWorker

    # the worker builds its own app from the environment, as `rq worker` would
    monkeypatch.setenv("DATABASE_URL", demo_app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("SECRET_KEY", demo_app.config["SECRET_KEY"])
    monkeypatch.setenv("ARZYAB_DATA_DIR", demo_app.config["DATA_DIR"])
    with demo_app.app_context():
        cycle_id = _cycle_id()
        result = prepare_cycle(cycle_id, redis_url=redis_url)
        assert len(result["queued"]) == 2 and result["rendered"] == []
        assert db.session.scalar(select(func.count(StoredReport.id))) == 0
    connection = Redis.from_url(redis_url)
    queue = Queue("arzyab-reports", connection=connection)
    assert queue.count == 2
    SimpleWorker([queue], connection=connection).work(burst=True)
    with demo_app.app_context():
        db.session.expire_all()
        assert db.session.scalar(select(func.count(StoredReport.id))) == 2
        assert missing_final_reports(cycle_id) == []
    assert all(queue.fetch_job(job_id).get_status() == "finished"
               for job_id in result["queued"])


def _approve_qanavat(app):
    """The reviewer approves Qanavat's 1404 evaluation and the director-general signs it off
    (the sign-off issues the final)."""
    from app.db import writing
    from app.evaluations.moves import approve, sign_off
    from app.models import Evaluation, Municipality, User

    with app.app_context():
        evaluation_id = db.session.scalar(
            select(Evaluation.id).join(Municipality).where(
                Municipality.name == "قنوات", Evaluation.cycle_id == _cycle_id()))
        reviewer = db.session.scalar(select(User).where(User.username == "reviewer"))
        manager = db.session.scalar(select(User).where(User.username == "manager"))
        with writing():
            approve(db.session.get(Evaluation, evaluation_id), user=reviewer)
        with writing():
            sign_off(db.session.get(Evaluation, evaluation_id), user=manager)
        return evaluation_id


def test_with_redis_a_sign_off_queues_its_final_for_a_worker(demo_app, redis_url, monkeypatch):
    from redis import Redis
    from rq import Queue, SimpleWorker

    monkeypatch.setenv("DATABASE_URL", demo_app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("SECRET_KEY", demo_app.config["SECRET_KEY"])
    monkeypatch.setenv("ARZYAB_DATA_DIR", demo_app.config["DATA_DIR"])
    demo_app.config["REDIS_URL"] = redis_url
    evaluation_id = _approve_qanavat(demo_app)
    with demo_app.app_context():  # frozen at once, rendered by the worker
        assert db.session.scalar(select(func.count(StoredReport.id))) == 0
        from app.reports.finals import snapshot_of

        assert snapshot_of(evaluation_id) is not None
    connection = Redis.from_url(redis_url)
    queue = Queue("arzyab-reports", connection=connection)
    assert queue.job_ids == [f"final-report-{evaluation_id}"]
    SimpleWorker([queue], connection=connection).work(burst=True)
    with demo_app.app_context():
        db.session.expire_all()
        stored = db.session.scalars(select(StoredReport)).all()
        assert [s.evaluation_id for s in stored] == [evaluation_id]


def test_an_unreachable_queue_does_not_lose_the_render(demo_app):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once the socket is closed
    demo_app.config["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    evaluation_id = _approve_qanavat(demo_app)
    with demo_app.app_context():
        stored = db.session.scalars(select(StoredReport)).all()
        assert [s.evaluation_id for s in stored] == [evaluation_id]  # rendered in-process
