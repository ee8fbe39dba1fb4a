"""Rate limits: one Flask-Limiter for the whole application, and named limits to apply.

Where the counts live: in Redis when ``REDIS_URL`` is set (or ``RATELIMIT_STORAGE_URI``), so
every gunicorn worker and every app server counts together; otherwise in the process's memory
(``bounded-memory://``: expired entries go, and past ``RATELIMIT_MAX_KEYS`` keys the least
recently used ones are dropped, so an attacker cannot grow it without bound).

Who is counted: :func:`client_address` is the peer's address, or, with ``TRUST_PROXY``, the
one address our own proxy added to ``X-Forwarded-For`` (see ``app.factory.TrustedProxyFix``:
addresses a client writes into that header itself never count). IPv6 addresses count per /64,
the block one household or phone gets.

Named limits live in the configuration (``LIMITS``, see ``app.config``), each a string such
as ``"5 per 5 minutes; 15 per hour"``: several windows make a back-off, since the longer
windows keep refusing after the short one has passed. Override one in the environment with
``ARZYAB_LIMITS__VERIFY="20 per minute"``.

Applying a named limit to a view (every request counts; all views given the same name share
one budget; a refusal is a 429 with the translated message, JSON on JSON routes, and a
``Retry-After`` header)::

    from app import limits

    @bp.route("/verify/<code>")
    @limits.limit("verify")                          # per address
    def verify(code): ...

    @bp.route("/evaluations/<int:evaluation_id>/report.pdf")
    @login_required
    @limits.limit("report_download", key=limits.by_user)   # per logged-in user
    def evaluation_pdf(evaluation_id): ...

Counting only what failed, by hand (the login does this; see ``app.auth.protection``)::

    wait = limits.exceeded("login_account", username)    # seconds to wait, or None
    if wait is None and not ok:
        limits.hit("login_account", username)

A new name needs only its entry in ``LIMITS``.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import os
import time
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

from flask import current_app, request
from flask_limiter import Limiter
from flask_login import current_user
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

#: default limits by name; the configuration's LIMITS overrides them one by one
DEFAULT_LIMITS = {
    # every POST to /login from one address, whatever its outcome (floods)
    "login": "120 per minute; 1200 per hour",
    # failed logins from one address, whichever usernames (password spraying)
    "login_address": "10 per 10 minutes; 30 per hour; 100 per day",
    # failed logins of one account, from anywhere (guessing one person's password)
    "login_account": "5 per 5 minutes; 15 per hour; 50 per day",
    # failed logins of one account from a device that logged in as it before: counted on
    # their own, so an attack from elsewhere never locks the real user out of their tablet
    "login_device": "10 per 15 minutes; 40 per day",
    # the public report verification page (per address)
    "verify": "30 per minute; 300 per hour",
    # report downloads (per user when applied with key=by_user)
    "report_download": "60 per minute; 600 per hour",
    # read API requests, per token (app.api.tokens.limit_key): a nightly refresh of a
    # national cycle is some fifty pages; a runaway script is stopped
    "api": "120 per minute; 3000 per hour",
    # API requests with a token that opens nothing, per address (guessing tokens)
    "api_refused": "20 per 10 minutes; 100 per day",
}


class BoundedMemoryStorage(MemoryStorage):
    """``memory://`` with a ceiling: past `max_keys` keys, expired entries are dropped, then
    the tenth of the keys used least recently."""

    STORAGE_SCHEME = ["bounded-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 max_keys: int | None = None, **options):
        # the ceiling comes in the URI (bounded-memory://?max_keys=N): Flask-Limiter's
        # storage options would follow the limiter to a Redis storage of a later app
        query = parse_qs(urlsplit(uri or "").query)
        self.max_keys = int(max_keys or query.get("max_keys", ["50000"])[0])
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    def key_count(self) -> int:
        return len(self.storage) + len(self.events)

    def _make_room(self, key: str) -> None:
        if key in self.events or key in self.storage or self.key_count() < self.max_keys:
            return
        now = time.time()
        for name, entries in list(self.events.items()):
            if not entries or entries[0].expiry <= now:
                self.clear(name)
        for name, expiry in list(self.expirations.items()):
            if expiry <= now:
                self.clear(name)
        if self.key_count() < self.max_keys:
            return
        last_used = {name: (entries[0].atime if entries else 0.0)
                     for name, entries in list(self.events.items())}
        last_used.update({name: expiry for name, expiry in list(self.expirations.items())})
        for name in sorted(last_used, key=last_used.get)[: max(1, self.max_keys // 10)]:
            self.clear(name)

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        self._make_room(key)
        return super().acquire_entry(key, limit, expiry, amount)

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        self._make_room(key)
        return super().incr(key, expiry, amount)


def client_address() -> str:
    """The address a request is counted under (see the module doc)."""
    address = request.remote_addr or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def by_user() -> str:
    """Key for limits per logged-in user (the address for anonymous visitors)."""
    if current_user and current_user.is_authenticated:
        return f"user:{current_user.id}"
    return client_address()


limiter = Limiter(key_func=client_address, strategy="moving-window", headers_enabled=True)


def storage_uri(config) -> str:
    """Where the counts live: RATELIMIT_STORAGE_URI, else REDIS_URL, else bounded memory."""
    return (config.get("RATELIMIT_STORAGE_URI") or config.get("REDIS_URL")
            or os.environ.get("REDIS_URL") or "bounded-memory://")


#: the endpoints called most that declare no limit of their own (the autosave): while the app
#: configures no default or application-wide limit, nothing can apply to them, and the
#: limiter's resolution of limits for each of their requests is skipped
#: (tests/test_autosave_limits.py: a configured default still counts them)
UNLIMITED_ENDPOINTS = frozenset({"evaluations.save_json"})
_SKIPPED = "ARZYAB_LIMITER_SKIPS"


@limiter.request_filter
def _no_limit_applies() -> bool:
    return request.endpoint in current_app.config.get(_SKIPPED, ())


def init_app(app) -> None:
    uri = storage_uri(app.config)
    if uri.startswith("bounded-memory") and "max_keys=" not in uri:
        uri = f"bounded-memory://?max_keys={int(app.config['RATELIMIT_MAX_KEYS'])}"
    app.config["RATELIMIT_STORAGE_URI"] = uri
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "arzyab")
    # the limiter adds its figures to every response it counts; its own retry header gets
    # its own name, so that a view's Retry-After (a busy renderer's 503) is never replaced;
    # a 429 of the limiter gets the standard Retry-After from app.errors
    app.config.setdefault("RATELIMIT_HEADER_RETRY_AFTER", "X-RateLimit-Retry-After")
    # a Redis that is down must not take the logins down with it: count in memory meanwhile
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)
    # decided once per app: with any default or application-wide limit nothing is skipped
    # (configured for this app, or held by the limiter from an app before it in the process)
    manager = limiter.limit_manager
    configured = any(app.config.get(name) for name in (
        "RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION")) or bool(
        getattr(manager, "_default_limits", True) or getattr(manager, "_application_limits",
                                                             True))
    app.config[_SKIPPED] = frozenset() if configured else UNLIMITED_ENDPOINTS


def retry_after() -> int | None:
    """Seconds until the limit this request broke lets it through again (None: no limit)."""
    current = limiter.current_limit
    if current is None:
        return None
    return max(1, math.ceil(current.reset_at - time.time()))


def value(name: str) -> str:
    """The limit string of `name` in this app's configuration."""
    configured = current_app.config.get("LIMITS") or {}
    return configured.get(name) or DEFAULT_LIMITS[name]


@lru_cache(maxsize=64)
def _items(text: str):
    return tuple(parse_many(text))


def limit(name: str, *, key=client_address, methods=None, exempt_when=None,
          deduct_when=None):
    """Decorator: apply the named limit to a view (every request counts; see module doc)."""
    if name not in DEFAULT_LIMITS:
        raise KeyError(f"unknown limit {name!r}: add it to app.limits.DEFAULT_LIMITS")
    return limiter.shared_limit(lambda: value(name), scope=name, key_func=key,
                                methods=methods, exempt_when=exempt_when,
                                deduct_when=deduct_when)


_fallback: MovingWindowRateLimiter | None = None


def _counted(operation):
    """Run `operation(strategy)` on the shared storage; when that storage (Redis) cannot be
    reached, count in this process's memory meanwhile instead of failing the request."""
    global _fallback
    try:
        return operation(limiter.limiter)
    except Exception:  # noqa: BLE001 - any storage failure (connection, timeout)
        log.warning("rate-limit storage unreachable; counting in memory meanwhile")
        if _fallback is None:
            _fallback = MovingWindowRateLimiter(BoundedMemoryStorage())
        return operation(_fallback)


def _ids(name: str, keys) -> tuple[str, ...]:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "arzyab")
    return (prefix, "count", name, *(str(k)[:200] for k in keys))


def exceeded(name: str, *keys) -> int | None:
    """Seconds until `keys` may try again under the named limit, or None when they may now."""
    ids = _ids(name, keys)

    def check(strategy):
        waits = []
        for item in _items(value(name)):
            if not strategy.test(item, *ids):
                reset, _remaining = strategy.get_window_stats(item, *ids)
                waits.append(max(1, math.ceil(reset - time.time())))
        return max(waits) if waits else None

    return _counted(check)


def hit(name: str, *keys) -> None:
    """Count one (failed) attempt of `keys` under the named limit, in every window."""
    ids = _ids(name, keys)
    _counted(lambda strategy: [strategy.hit(item, *ids) for item in _items(value(name))])


def clear(name: str, *keys) -> None:
    """Forget the counts of `keys` under the named limit."""
    ids = _ids(name, keys)
    _counted(lambda strategy: [strategy.clear(item, *ids) for item in _items(value(name))])
