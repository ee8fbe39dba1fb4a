"""Request parameters, typed and bounded in one place.

Every whole number a request carries (an id in the path or the query, a page, a year, a select
box's value) goes through :func:`to_int`, so nothing too large for the database, negative, or
not a number at all reaches a query: the path converter answers 404, :func:`query_int` a 400
with a translated message (:class:`BadParameter`), and form fields a validation error.
Digits may be Persian, Arabic-Indic or Latin.

    from app import params
    source = params.query_int("from", kind=params.ID)          # None when absent
    page = params.query_int("page", kind=params.PAGE, default=1)

Kinds (:data:`ID`, :data:`PAGE`, :data:`YEAR`) carry their bounds; :func:`query_choice` takes
a whitelist (sort columns, statuses). The dashboard reads its filters with the same
:func:`to_int` but falls back to its defaults instead of refusing (a stale link still shows
the page; see ``app.dashboard.filters``).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from app.i18n import _, _l, normalise_text, to_latin_digits

#: the largest id any table holds (PostgreSQL's INTEGER, also fine for SQLite)
ID_MAX = 2**31 - 1
#: longest text accepted for a number (more digits than any bound below)
MAX_DIGITS = 10


@dataclass(frozen=True)
class Kind:
    """The bounds of one kind of whole number and the message for a bad one."""

    low: int
    high: int
    message: object


ID = Kind(1, ID_MAX, _l("The number in the address is not valid."))
PAGE = Kind(1, 1_000_000, _l("The page number is not valid."))
YEAR = Kind(1300, 1500, _l("Enter the Jalali year, from 1300 to 1500 (for example 1404)."))


class BadParameter(BadRequest):
    """A query parameter that is junk or out of range: a 400 with a translated message."""

    translated = True  # app.errors shows the description

    def __init__(self, name: str, message: object):
        super().__init__(str(message))
        self.parameter = name


def to_int(value: object, low: int = ID.low, high: int = ID.high) -> int | None:
    """`value` as a whole number from `low` to `high`, or None when it is not one.

    Accepts Persian, Arabic-Indic and Latin digits and an optional minus sign; refuses
    signs, spaces inside, decimals, exponents and anything longer than :data:`MAX_DIGITS`.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = to_latin_digits(normalise_text(str(value if value is not None else ""))).strip()
        negative = text.startswith("-")
        digits = text[1:] if negative else text
        if not digits.isascii() or not digits.isdigit() or len(digits) > MAX_DIGITS:
            return None
        number = -int(digits) if negative else int(digits)
    return number if low <= number <= high else None


def query_int(name: str, *, kind: Kind = ID, default: int | None = None,
              source=None) -> int | None:
    """The whole number in query parameter `name` (`default` when absent or blank);
    :class:`BadParameter` (400) when it is junk or out of the kind's bounds."""
    args = request.args if source is None else source
    raw = args.get(name)
    if raw is None or not str(raw).strip():
        return default
    number = to_int(raw, kind.low, kind.high)
    if number is None:
        raise BadParameter(name, kind.message)
    return number


def query_choice(name: str, allowed, *, default: str = "", source=None) -> str:
    """Query parameter `name` when it is one of `allowed`; `default` when absent;
    :class:`BadParameter` (400) otherwise."""
    args = request.args if source is None else source
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if raw not in allowed:
        raise BadParameter(name, _("This choice is not one of those offered."))
    return raw


def coerce_optional_id(value):
    """WTForms ``coerce`` for a select of ids: "" (or nothing) is None; anything else must be
    an id (ValueError otherwise, which the form shows as an invalid choice)."""
    if value in ("", None):
        return None
    number = to_int(value, ID.low, ID.high)
    if number is None:
        raise ValueError("not an id")
    return number


def coerce_id(value):
    """WTForms ``coerce`` for a required select of ids."""
    number = coerce_optional_id(value)
    if number is None:
        raise ValueError("not an id")
    return number


class BoundedInt(IntegerConverter):
    """`<int:…>` in every route, bounded: an id too large for the database is simply not
    found (404) instead of an overflow deep in the driver."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)
