"""Finding: login limiting. 50 wrong passwords locked the real user out from the same address
(429 for the right password); spraying 6 users × 3 passwords was never limited; each gunicorn
worker counted separately; with TRUST_PROXY a rotating X-Forwarded-For was never limited; an
unknown user answered in 5 ms and a real one in 108 ms; the in-process table grew without
bound. The timing itself is measured in bench/attack_bench.py (no timed tests here)."""

from __future__ import annotations

import re
import time as real_time

import limits.storage.memory as memory_module
import pytest
from limits.storage import RedisStorage

import app.limits as limits_module
from app import limits
from app.config import ConfigError
from app.limits import BoundedMemoryStorage
from tests.helpers import csrf_token
from tests.security.conftest import is_persian, post_login
from tests.test_report_batch import redis_url  # noqa: F401 - the real Redis server fixture

PROXY_HOP = "198.51.100.7"  # the client's address as our proxy appends it


class Clock:
    """Time for the rate-limit storage that the test moves forward."""

    def __init__(self):
        self.now = real_time.time()

    def time(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(memory_module, "time", fake)
    monkeypatch.setattr(limits_module, "time", fake)
    return fake


def _try(client, username, password, address="127.0.0.1", **kwargs):
    return post_login(client, username, password, environ_overrides={"REMOTE_ADDR": address},
                      **kwargs)


def _logged_in_once(new_client, username="reviewer"):
    """A device the real user has logged in from before (then logged out)."""
    device = new_client()
    assert _try(device, username, "arzyab-demo").status_code == 302
    page = device.get("/evaluations/")
    device.post("/logout", data={"csrf_token": csrf_token(page.text)})
    return device


# --- the real user gets in -------------------------------------------------------------------

def test_fifty_wrong_passwords_do_not_lock_the_real_user_out_of_their_device(new_client):
    tablet = _logged_in_once(new_client)
    attacker = new_client()  # same address: the office network, or the same NAT
    codes = [_try(attacker, "reviewer", f"guess-{i}").status_code for i in range(50)]
    assert codes[:5] == [401] * 5 and codes.count(429) >= 40
    assert _try(attacker, "reviewer", "arzyab-demo").status_code == 429  # the attacker waits
    assert _try(tablet, "reviewer", "arzyab-demo").status_code == 302  # the real user does not


def test_a_known_device_has_its_own_few_tries(new_client):
    tablet = _logged_in_once(new_client)
    codes = [_try(tablet, "reviewer", f"typo-{i}").status_code for i in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
    # a device cookie for another account does not help with this one
    assert _try(tablet, "inspector", "wrong").status_code == 401


def test_a_new_device_waits_with_a_persian_message_and_retry_after(new_client):
    attacker = new_client()
    for i in range(5):
        _try(attacker, "reviewer", f"guess-{i}", address=f"203.0.113.{i}")
    newcomer = new_client()
    response = _try(newcomer, "reviewer", "arzyab-demo", address="192.0.2.50")
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 300
    assert "ورودهای ناموفق بسیار زیاد است" in response.text
    assert response.headers["Content-Type"].startswith("text/html")


def test_failures_wait_longer_and_longer(new_client, clock):
    """Several windows make a back-off: five failures wait five minutes; fifteen within the
    hour wait for the hour's window, even once the five minutes have passed."""
    attacker = new_client()
    addresses = iter(f"198.18.{n // 250}.{n % 250}" for n in range(999))

    def fail(n):
        for _ in range(n):  # each from another address: only the account's counter fills
            assert _try(attacker, "reviewer", "wrong", address=next(addresses)).status_code \
                in (401, 429)

    def wait():
        """What the real user on a new device meets: 0 when they get in."""
        response = _try(new_client(), "reviewer", "arzyab-demo", address="192.0.2.99")
        if response.status_code == 302:
            return 0
        assert response.status_code == 429
        return int(response.headers["Retry-After"])

    fail(5)
    assert 0 < wait() <= 300
    clock.advance(301)
    assert wait() == 0  # the short window has passed: the real user gets in again
    for _round in range(2):
        fail(5)
        clock.advance(301)
    fail(5)  # fifteen failures within the hour
    clock.advance(301)
    assert wait() > 300  # the hour's window keeps refusing after the five minutes


# --- spraying and proxies --------------------------------------------------------------------

def test_spraying_many_users_from_one_address_is_limited(new_client):
    client = new_client()
    users = ["inspector", "reviewer", "author", "admin", "nobody", "guest"]
    codes = [_try(client, user, password).status_code
             for password in ("a1", "b2", "c3") for user in users]
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}


def test_a_rotating_forwarded_for_behind_the_proxy_does_not_escape(another_app):
    app = another_app(TRUST_PROXY=True)
    client = app.test_client()
    users = ["inspector", "reviewer", "author", "admin", "nobody", "guest"]
    codes = []
    for n, (password, user) in enumerate((p, u) for p in ("a1", "b2", "c3") for u in users):
        # the client writes whatever it likes; nginx appends the address it really saw
        forwarded = {"X-Forwarded-For": f"10.{n}.{n}.{n}, {PROXY_HOP}"}
        page = client.get("/login", headers=forwarded)
        codes.append(client.post("/login", headers=forwarded, data={
            "username": user, "password": password,
            "csrf_token": csrf_token(page.text)}).status_code)
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}


def test_forwarded_for_counts_only_from_the_trusted_proxy(another_app):
    app = another_app(TRUST_PROXY=True)
    seen = {}

    @app.route("/probe-address")
    def probe():
        seen["address"] = limits.client_address()
        return "ok"

    client = app.test_client()
    client.get("/probe-address", headers={"X-Forwarded-For": f"6.6.6.6, {PROXY_HOP}"})
    assert seen["address"] == PROXY_HOP  # from the proxy: the one hop it added
    client.get("/probe-address", headers={"X-Forwarded-For": "6.6.6.6"},
               environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert seen["address"] == "203.0.113.9"  # straight to the app: the header is ignored
    client.get("/probe-address", environ_base={"REMOTE_ADDR": "2001:db8:1:2:3:4:5:6"})
    assert seen["address"] == "2001:db8:1:2::/64"  # IPv6 by the block one client gets


# --- timing: unknown users cost a real hash --------------------------------------------------

def test_unknown_and_deactivated_users_cost_the_same_password_hash(new_client, demo_app,
                                                                  monkeypatch):
    import app.models.users as users_module

    calls = []
    original = users_module.check_password_hash

    def spy(pwhash, password):
        calls.append(pwhash.split("$")[0])
        return original(pwhash, password)

    monkeypatch.setattr(users_module, "check_password_hash", spy)
    from sqlalchemy import select

    from app.db import writing
    from app.extensions import db
    from app.models import User

    with demo_app.app_context(), writing():
        db.session.scalar(select(User).where(User.username == "author")).active = False
        real_method = db.session.scalar(select(User.password_hash).where(
            User.username == "reviewer")).split("$")[0]
    for username in ("reviewer", "no-such-user", "author"):
        calls.clear()
        assert _try(new_client(), username, "wrong-password").status_code == 401
        assert calls == [real_method], (username, calls)


# --- storage ---------------------------------------------------------------------------------

def test_the_counts_in_memory_are_bounded(clock):
    storage = BoundedMemoryStorage(max_keys=100)
    for n in range(1000):
        storage.acquire_entry(f"key-{n}", 5, 60)
    assert storage.key_count() <= 100
    assert "key-999" in storage.events and "key-0" not in storage.events
    clock.advance(61)  # expired entries go first when room is needed
    storage.acquire_entry("late", 5, 60)
    assert storage.key_count() == 1


def test_without_redis_the_app_counts_in_bounded_memory(another_app, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    app = another_app(RATELIMIT_STORAGE_URI=None)
    with app.app_context():
        assert isinstance(limits.limiter.storage, BoundedMemoryStorage)


def test_with_redis_every_worker_counts_together(another_app, redis_url,  # noqa: F811
                                                 monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_url)
    worker_one = another_app(RATELIMIT_STORAGE_URI=None)
    with worker_one.app_context():
        assert isinstance(limits.limiter.storage, RedisStorage)
    client = worker_one.test_client()
    for i in range(5):
        assert _try(client, "reviewer", "wrong", address=f"203.0.113.{i}").status_code == 401
    # another worker (or server): its own process, its own storage object, the same Redis
    worker_two = another_app(RATELIMIT_STORAGE_URI=None)
    response = _try(worker_two.test_client(), "reviewer", "arzyab-demo", address="192.0.2.1")
    assert response.status_code == 429
    # in memory, by contrast, a new worker starts from nothing
    monkeypatch.delenv("REDIS_URL")
    worker_three = another_app(RATELIMIT_STORAGE_URI=None)
    response = _try(worker_three.test_client(), "reviewer", "arzyab-demo", address="192.0.2.1")
    assert response.status_code == 302


def test_a_redis_that_is_down_does_not_take_the_login_down(another_app):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = another_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}/0")
    client = app.test_client()
    assert _try(client, "reviewer", "wrong").status_code == 401
    assert _try(client, "reviewer", "arzyab-demo").status_code == 302


# --- named limits for other features ----------------------------------------------------------

def test_a_named_limit_applies_to_any_view_with_one_decorator(another_app):
    # a day, not a minute: at a load of 15 five requests have taken longer than a minute
    app = another_app(LIMITS={"verify": "3 per day"})

    @app.route("/verify-probe/<code>")
    @limits.limit("verify")
    def verify_probe(code):
        return {"code": code}

    @app.route("/verify-probe-2")
    @limits.limit("verify")
    def verify_probe_two():
        return "ok"

    client = app.test_client()
    codes = [client.get(f"/verify-probe/{n}").status_code for n in range(3)]
    refused = client.get("/verify-probe-2")  # the same name shares one budget
    assert codes == [200, 200, 200] and refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0 and is_persian(refused.text)
    as_json = client.get("/verify-probe/9", headers={"Accept": "application/json"})
    assert as_json.status_code == 429 and is_persian(as_json.json["error"])
    other = client.get("/verify-probe/9", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200  # per address


def test_limits_are_checked_at_start_up(another_app):
    with pytest.raises(KeyError):
        limits.limit("no-such-limit")
    for bad in ({"nope": "1 per minute"}, {"verify": "many"}):
        with pytest.raises(ConfigError):
            another_app(LIMITS=bad)
    assert re.match(r"\d+ per", limits.DEFAULT_LIMITS["report_download"])
