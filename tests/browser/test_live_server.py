"""The browser tests' live server closes every response, also when the browser drops the
connection midway (an unclosed static file failed whichever test collected it)."""

from __future__ import annotations

import socket
import struct
import threading
import time
import urllib.request

import pytest

from tests.browser.conftest import LiveServer, _serve


class _Body:
    """A response body that counts its closing."""

    closed = 0
    lock = threading.Lock()

    def __iter__(self):
        yield b"x" * 1000

    def close(self):
        with self.lock:
            _Body.closed += 1


def _app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return _Body()


def test_every_response_is_closed_when_the_browser_drops_the_connection():
    server = _serve(_app, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for _ in range(10):
            connection = socket.create_connection(("127.0.0.1", server.server_port))
            connection.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            connection.recv(1)  # the answer has begun: the server is about to clean up
            # then close with a reset, as a browser leaving a page does
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()
        deadline = time.monotonic() + 5
        while _Body.closed < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.shutdown()
        server.server_close()
    assert _Body.closed == 10


def test_the_live_server_counts_a_request_until_its_response_is_written():
    """Between two browser tests the one live server is quiesced (tests/browser/conftest.py
    `LiveServer.quiesce`): a request still being answered holds the next test back until
    it ends, so it never meets the next test's database."""
    release, began = threading.Event(), threading.Event()

    def slow(environ, start_response):
        began.set()
        release.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"done"]

    server = LiveServer(slow)
    server.server.server_close()
    server.start()
    answers = []
    client = threading.Thread(target=lambda: answers.append(
        urllib.request.urlopen(server.url + "/", timeout=10).read()))
    try:
        assert server.in_flight.wait_idle(0)  # nothing asked yet
        client.start()
        assert began.wait(10)
        assert server.in_flight.count == 1
        assert not server.in_flight.wait_idle(0.2)  # the answer is not written yet
        with pytest.raises(pytest.fail.Exception, match="still answers 1 request"):
            server.quiesce(timeout=0.2)
        release.set()
        server.quiesce(timeout=10)
        assert server.in_flight.count == 0
        client.join(10)
        assert answers == [b"done"]
    finally:
        release.set()
        server.stop()
