"""Gunicorn on loopback for the benchmarks: a free port, start and wait, stop (one home)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, environment: dict, workers: int, threads: int = 4,
                 wait: float = 60) -> subprocess.Popen:
    """Start ``app:create_app()`` under gunicorn (gthread workers) in a process group of its
    own, so that the group can be killed at once; return when /login answers."""
    from app.cli import KEEPALIVE_SECONDS  # what `arzyab serve` keeps connections for

    command = [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(workers), "--threads",
               str(threads), "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}",
               "--keep-alive", str(KEEPALIVE_SECONDS),
               "--timeout", "60", "--log-level", "warning", "app:create_app()"]
    process = subprocess.Popen(command, cwd=ROOT, env=environment, start_new_session=True)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2)
            return process
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    stop_server(process)
    raise RuntimeError("gunicorn did not start")


def stop_server(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Send ``sig`` to the server's whole process group and wait for its master."""
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        process.terminate()
    process.wait(timeout=30)
