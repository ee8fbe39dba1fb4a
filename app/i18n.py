"""Everything about language in one place: gettext, Persian digits, Jalali dates, normalisation.

Message ids are English; Persian (fa) is the default locale and the catalogue in
``app/translations`` translates every id. Code outside a request (the CLI, the rubric loader's
messages) asks for a translator explicitly with :func:`translator`.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import jdatetime
from babel.support import NullTranslations, Translations

LOCALES = ("fa", "en")
DEFAULT_LOCALE = "fa"
TRANSLATIONS_DIR = Path(__file__).parent / "translations"


# Flask-Babel is imported on first use, so the pure modules that use this file's text
# helpers (the rubric loader) import no Flask.

def _(message: str, **params) -> str:
    """Translate `message` for the current request (English outside one)."""
    from flask_babel import gettext

    return gettext(message, **params)


def _l(message: str, **params):
    """A translation made when the text is shown (for module-level and class-level texts)."""
    from flask_babel import lazy_gettext

    return lazy_gettext(message, **params)


def ngettext(singular: str, plural: str, num: int, **params) -> str:
    from flask_babel import ngettext as _ngettext

    return _ngettext(singular, plural, num, **params)


def N_(message: str) -> str:
    """Mark a message for extraction without translating it now (translated when shown)."""
    return message


def current_lang() -> str:
    """The locale of the current request ("fa" outside a request)."""
    from flask import has_request_context
    from flask_babel import get_locale

    if not has_request_context():
        return DEFAULT_LOCALE
    locale = get_locale()
    return str(locale) if locale and str(locale) in LOCALES else DEFAULT_LOCALE


@cache
def translator(lang: str = DEFAULT_LOCALE) -> NullTranslations:
    """gettext translations for `lang`, usable with no Flask app (CLI, loader, workers)."""
    if lang not in LOCALES:
        lang = DEFAULT_LOCALE
    return Translations.load(str(TRANSLATIONS_DIR), [lang], domain="messages")


# --- digits -----------------------------------------------------------------------------------

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
_TO_LATIN = str.maketrans(PERSIAN_DIGITS + ARABIC_DIGITS, "0123456789" * 2)
_TO_PERSIAN = str.maketrans("0123456789", PERSIAN_DIGITS)


def to_latin_digits(text: str) -> str:
    return text.translate(_TO_LATIN)


def persian_digits(value: object) -> str:
    """`value` as text with Persian digits; a decimal point becomes «٫»."""
    text = str(value)
    if re.fullmatch(r"-?\d+\.\d+", text):
        text = text.replace(".", "٫")
    return text.translate(_TO_PERSIAN)


def format_number(value: float | int | None, decimals: int = 1, lang: str = DEFAULT_LOCALE,
                  grouping: bool = True) -> str:
    """A number rounded half-up, with Persian digits and separators for fa; "—" for None."""
    from app.scoring.engine import round_half_up  # the one rounding rule (late: no cycle)

    if value is None:
        return "—"
    rounded = round_half_up(value, decimals)
    if rounded == int(rounded) and decimals <= 1:
        text = f"{int(rounded):,}" if grouping else str(int(rounded))
    else:
        text = f"{rounded:,.{decimals}f}" if grouping else f"{rounded:.{decimals}f}"
    if lang != "fa":
        return text
    return text.replace(",", "٬").replace(".", "٫").translate(_TO_PERSIAN)


# --- text normalisation -----------------------------------------------------------------------

_CHAR_MAP = str.maketrans({
    "ي": "ی", "ى": "ی", "ك": "ک", "ۀ": "هٔ",
})
# direction marks and other invisible format characters that users paste in by accident,
# and control characters (a NUL cannot even be stored in PostgreSQL); newlines and tabs stay
_INVISIBLE = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff\u200b"
                        "\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalise_text(text: str | None) -> str:
    """Persian-normalise free text: Arabic ي/ك → ی/ک, no stray direction marks, trimmed.

    ZWNJ (نیم‌فاصله, U+200C) is kept: it is part of Persian spelling.
    """
    if text is None:
        return ""
    text = unicodedata.normalize("NFC", str(text))
    text = _INVISIBLE.sub("", text.translate(_CHAR_MAP))
    return text.replace("\r\n", "\n").strip()


def search_key(text: str | None) -> str:
    """A folded form for searching: normalised, digits Latin, ZWNJ as space, lower case."""
    return to_latin_digits(normalise_text(text)).replace("\u200c", " ").casefold()


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def parse_number(text: object) -> float | None:
    """Parse what an inspector or author types as a number, or return None.

    Accepts Persian, Arabic-Indic and Latin digits, «٫» or «.» as the decimal point, «٬», «,»
    or «،» between thousands, a trailing «٪»/«%», and stray spaces or direction marks.
    NaN and infinities are refused (None).
    """
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        value = float(text)
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if not isinstance(text, str):
        return None
    cleaned = to_latin_digits(normalise_text(text))
    cleaned = cleaned.replace("٫", ".")
    if re.fullmatch(r"\s*\d+/\d+\s*", cleaned):  # «۱۲/۵»: a common Persian decimal point
        cleaned = cleaned.replace("/", ".")
    cleaned = re.sub(r"[\s٬,،'\u066c]", "", cleaned)
    cleaned = cleaned.rstrip("%٪").replace("−", "-")
    if not _NUMBER.fullmatch(cleaned):
        return None
    try:
        value = float(Decimal(cleaned))
    except (InvalidOperation, ValueError):
        return None
    return value


# --- Jalali dates -----------------------------------------------------------------------------

_MONTHS_FA = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
              "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")
_MONTHS_EN = ("Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar",
              "Mehr", "Aban", "Azar", "Dey", "Bahman", "Esfand")


LOCAL_TIMEZONE = ZoneInfo("Asia/Tehran")


def local_time(value: _dt.datetime) -> _dt.datetime:
    """A stored (naive UTC) timestamp as Iran's local time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    return value.astimezone(LOCAL_TIMEZONE)


def to_jalali(value: _dt.date | _dt.datetime) -> jdatetime.date:
    if isinstance(value, _dt.datetime):
        value = local_time(value).date()
    return jdatetime.date.fromgregorian(date=value)


def jalali_date(value: _dt.date | _dt.datetime | None, lang: str = DEFAULT_LOCALE,
                style: str = "numeric") -> str:
    """A Jalali date: numeric ``۱۴۰۴/۰۸/۲۳`` or long ``۲۳ آبان ۱۴۰۴``; "—" for None."""
    if value is None:
        return "—"
    j = to_jalali(value)
    if style == "long":
        months = _MONTHS_FA if lang == "fa" else _MONTHS_EN
        text = f"{j.day} {months[j.month - 1]} {j.year}"
    else:
        text = f"{j.year:04d}/{j.month:02d}/{j.day:02d}"
    return text.translate(_TO_PERSIAN) if lang == "fa" else text


def jalali_datetime(value: _dt.datetime | None, lang: str = DEFAULT_LOCALE) -> str:
    if value is None:
        return "—"
    text = f"{jalali_date(value, 'en')} {local_time(value):%H:%M}"
    return text.translate(_TO_PERSIAN) if lang == "fa" else text


def parse_jalali_date(text: str | None) -> _dt.date | None:
    """``۱۴۰۴/۰۸/۲۳`` (or with «-», Latin digits) → a Gregorian date; None if not a date."""
    if not text:
        return None
    cleaned = to_latin_digits(normalise_text(text))
    match = re.fullmatch(r"(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})", cleaned)
    if not match:
        return None
    year, month, day = (int(part) for part in match.groups())
    try:
        return jdatetime.date(year, month, day).togregorian()
    except ValueError:
        return None


def jalali_year(value: _dt.date | _dt.datetime) -> int:
    return to_jalali(value).year
