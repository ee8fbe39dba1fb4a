"""What every list of the API shares: its query parameters (checked, bounded), cursor
pagination and conditional answers (ETag / If-None-Match).

Pagination is by key: a list is ordered by its rows' id, and a page ends where the next
one starts (``id > last``). Rows added while a client pages through (new evaluations, new
answers) get larger ids and so come on a later page: every row comes exactly once. The cursor
is opaque (signed with the application's secret): it names its list and the filters it was
made for, and a cursor of another list or other filters is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from app import params
from app.i18n import _, _l

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
LIMIT = params.Kind(1, MAX_LIMIT, _l("The limit is a whole number from 1 to 500."))
_SALT = "arzyab-api-cursor"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _fingerprint(kind: str, filters: dict) -> str:
    text = json.dumps([kind, filters], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def limit() -> int:
    return params.query_int("limit", kind=LIMIT, default=DEFAULT_LIMIT)


def after(kind: str, filters: dict) -> int:
    """The id the page starts after: 0 without a cursor; a 400 for a cursor that is not one
    of this list with these filters."""
    raw = request.args.get("cursor")
    if raw is None or raw == "":
        return 0
    try:
        data = _serializer().loads(raw[:500])
    except BadSignature:
        data = None
    if not isinstance(data, dict) or data.get("f") != _fingerprint(kind, filters) \
            or not isinstance(data.get("a"), int):
        raise params.BadParameter("cursor", _("This cursor does not belong to this list and "
                                              "these filters. Start again without it."))
    return data["a"]


def cursor(kind: str, filters: dict, last_id: int) -> str:
    return _serializer().dumps({"f": _fingerprint(kind, filters), "a": last_id})


def page(kind: str, filters: dict, rows: list, size: int, key=lambda row: row.id):
    """(the rows of this page, the next page's cursor or None) from `rows`, fetched with one
    more than `size` to tell whether another page follows."""
    if len(rows) > size:
        rows = rows[:size]
        return rows, cursor(kind, filters, key(rows[-1]))
    return rows, None


# --- filters -----------------------------------------------------------------------------------

def updated_since() -> dt.datetime | None:
    """``updated_since`` as a naive UTC datetime (ISO 8601; without an offset it is UTC)."""
    raw = request.args.get("updated_since")
    if raw is None or raw == "":
        return None
    try:
        moment = dt.datetime.fromisoformat(raw.strip()[:40].replace("Z", "+00:00"))
    except ValueError:
        raise params.BadParameter("updated_since", _(
            "Give the time as ISO 8601, for example 2026-01-31T22:00:00Z.")) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def text(name: str, allowed=None) -> str:
    """A short text parameter; with `allowed`, one of them (400 otherwise)."""
    if allowed is not None:
        return params.query_choice(name, allowed)
    return (request.args.get(name) or "").strip()[:100]


# --- answers -----------------------------------------------------------------------------------

def conditional(payload: dict):
    """The JSON response of `payload` with a strong ETag of its bytes; 304 with no body when
    the client's If-None-Match names it (a nightly refresh moves only what changed)."""
    # the dicts are built in a fixed order, so equal content gives equal bytes
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    response = current_app.response_class(body, mimetype="application/json")
    response.set_etag(hashlib.sha256(body.encode("utf-8")).hexdigest()[:32])
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.update(("Authorization", "Accept-Language"))
    return response.make_conditional(request)


def timestamp(value: dt.datetime | dt.date | None) -> str | None:
    """A stored UTC timestamp as ISO 8601 with its Z; a date as YYYY-MM-DD."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    return value.isoformat()
