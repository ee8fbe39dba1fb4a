"""What every benchmark here measures with: server times through the Flask test client."""

from __future__ import annotations

import time


def percentile(values, q):
    """The value at fraction `q` (0–1) of the sorted values (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(client, url, n):
    """Milliseconds of `n` GETs of `url` (gzip accepted, as a browser asks)."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times


def timed_cpu(client, url, n):
    """As :func:`timed`, with the CPU time of this process for each request as well
    (``time.process_time``: the test client's process runs the server's code, and CPU time
    says less about the other processes sharing the machine than the wall clock does)."""
    times, cpu = [], []
    for _ in range(n):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        cpu.append((time.process_time() - start_cpu) * 1000)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times, cpu
