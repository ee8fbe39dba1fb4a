"""Login protection: slow an attacker down without locking the real user out.

Failed logins are counted (in Flask-Limiter's storage, shared by every worker through Redis;
see :mod:`app.limits`) under three named limits, each with several windows so that repeated
failures wait longer and longer:

- ``login_address``: failures from one address, whichever usernames (password spraying);
- ``login_account``: failures of one account, from anywhere (guessing one password);
- ``login_device``: failures of one account from a device that logged in as it before.

A device that has logged in as an account before carries a signed cookie saying so
(``arzyab_device``, not a credential: it only chooses the counter). From such a device only its
own counter applies, so an attacker elsewhere, or on the same office network, filling the
account's or the address's counters does not stop the real user logging in from their tablet;
a stolen tablet still gets only a few tries. Only failures count: a correct password is never
refused for earlier successes.

Unknown and deactivated usernames go through a password hash of the same cost as a real one
(:meth:`app.models.User.check_no_password`), so the answer time does not tell them apart.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from app import limits
from app.auth import cookies

DEVICE_COOKIE = "arzyab_device"
DEVICE_MAX_AGE = 400 * 24 * 3600  # browsers cap cookies at about 400 days
#: accounts remembered per device (a shared office computer); the oldest are forgotten
DEVICE_ACCOUNTS = 10


@dataclass(frozen=True)
class Attempt:
    """One login attempt: who it is for, where it comes from, and from which device."""

    username: str
    address: str
    device: str | None = None
    #: the device has logged in as this account before
    known_device: bool = False

    def counters(self) -> list[tuple[str, tuple]]:
        if self.known_device:
            return [("login_device", (self.device, self.username))]
        return [("login_address", (self.address,)), ("login_account", (self.username,))]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="arzyab-device")


def _device() -> dict:
    """The device cookie's content ({"d": device id, "u": [user ids]}), or a new device."""
    raw = request.cookies.get(DEVICE_COOKIE, "")
    if raw and len(raw) < 1000:
        try:
            data = _serializer().loads(raw)
        except BadSignature:
            data = None
        if isinstance(data, dict) and isinstance(data.get("d"), str) and \
                isinstance(data.get("u"), list):
            return {"d": data["d"][:32], "u": [u for u in data["u"] if isinstance(u, int)]}
    return {"d": None, "u": []}


def flood_key() -> str:
    """Key of the ``login`` limit (every POST): the address, and the device when it has
    logged in before, so a flood from the same address leaves the real user's device alone."""
    device = _device()["d"]
    address = limits.client_address()
    return f"{address}/{device}" if device else address


def attempt_for(username: str, user=None) -> Attempt:
    """The attempt of this request to log in as `username` (`user`: the account, if any)."""
    device = _device()
    known = user is not None and device["d"] is not None and user.id in device["u"]
    return Attempt(username=username[:60], address=limits.client_address(),
                   device=device["d"], known_device=known)


def wait_seconds(attempt: Attempt) -> int | None:
    """Seconds before `attempt` may be tried, or None when it may be tried now."""
    waits = [limits.exceeded(name, *keys) for name, keys in attempt.counters()]
    waits = [w for w in waits if w]
    return max(waits) if waits else None


def failed(attempt: Attempt) -> None:
    """Count a wrong password (or unknown user) against every counter of `attempt`."""
    for name, keys in attempt.counters():
        limits.hit(name, *keys)


def succeeded(attempt: Attempt, user) -> None:
    """The password was right: this device is now known for `user` (the cookie is written
    on the response), and its own failures are forgotten."""
    device = _device()
    device_id = device["d"] or secrets.token_urlsafe(16)
    accounts = [u for u in device["u"] if u != user.id][-(DEVICE_ACCOUNTS - 1):] + [user.id]
    cookies.set_later(DEVICE_COOKIE, _serializer().dumps({"d": device_id, "u": accounts}),
                      DEVICE_MAX_AGE)
    if attempt.known_device:
        limits.clear("login_device", attempt.device, attempt.username)
