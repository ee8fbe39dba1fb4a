"""At most N report renders at once on this server, across every process (gunicorn workers,
RQ workers, the command line): N lock files, each held with ``flock`` by one render.

A lock is released by the kernel when its holder ends, even by SIGKILL, so a crashed worker
never leaks a slot. The lock directory is per server (the instance folder by default), not
the shared data directory: each server has its own CPUs.

The same kind of lock, by name, lets one render of a given draft run while the other
requests for it wait and then read the cached file (:func:`exclusive`).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from contextlib import contextmanager
from pathlib import Path

POLL_SECONDS = 0.05


class RendererBusy(Exception):
    """Every render slot stayed taken for the whole wait; try again in `retry_after` s."""

    def __init__(self, retry_after: int):
        super().__init__(f"every render slot is taken; retry in {retry_after} s")
        self.retry_after = retry_after


def _open(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@contextmanager
def render_slot(lock_dir: str | os.PathLike, slots: int, wait: float, retry_after: int):
    """Hold one of `slots` render slots; wait at most `wait` seconds for one to free up,
    then raise :class:`RendererBusy`."""
    directory = Path(lock_dir)
    fds = [_open(directory / f"render-slot-{index}.lock") for index in range(max(1, slots))]
    held = None
    try:
        deadline = time.monotonic() + max(0.0, wait)
        while held is None:
            held = next((fd for fd in fds if _try_lock(fd)), None)
            if held is None:
                if time.monotonic() >= deadline:
                    raise RendererBusy(retry_after)
                time.sleep(POLL_SECONDS)
        yield
    finally:
        for fd in fds:
            os.close(fd)  # closing the descriptor releases its lock


@contextmanager
def exclusive(lock_dir: str | os.PathLike, name: str, wait: float, retry_after: int):
    """Hold the lock called `name` (one holder at a time, across processes)."""
    key = hashlib.sha256(name.encode()).hexdigest()[:24]
    fd = _open(Path(lock_dir) / f"key-{key}.lock")
    try:
        deadline = time.monotonic() + max(0.0, wait)
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise RendererBusy(retry_after)
            time.sleep(POLL_SECONDS)
        yield
    finally:
        os.close(fd)
