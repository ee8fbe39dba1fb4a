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


_PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,4})?")
#: thousands grouped by threes: 1,200 · 12,345,678.5 (the separator already made «,»)
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
#: more digits than this is not a quantity anyone counts (and past what a float keeps exactly)
MAX_DIGITS = 15


class NumberError(ValueError):
    """Text that is not a number as a person would mean it. `reason` is "not_number",
    "ambiguous" (a separator that could be a decimal mark: «12,5», «1,2,3») or "large"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def read_number(text: object) -> float:
    """The one reading of a number a person types (forms, autosave, imports, answers files).

    Persian, Arabic-Indic and Latin digits; «٫» or «.» as the decimal mark (and «/» between
    digits, as in «۱۲/۵»); «٬», «,» or «،» only as thousands separators in groups of three
    (``1,200``, ``۱٬۲۰۰``); a trailing «٪»/«%»; stray spaces and direction marks around it.
    Anything else raises :class:`NumberError` — never a silently different number.
    """
    if isinstance(text, bool):
        raise NumberError("not_number")
    if isinstance(text, (int, float)):
        value = float(text)
        if value != value:
            raise NumberError("not_number")
        if value in (float("inf"), float("-inf")):
            raise NumberError("large")
        return value
    if not isinstance(text, str):
        raise NumberError("not_number")
    cleaned = to_latin_digits(normalise_text(text)).replace("٫", ".").replace("−", "-")
    cleaned = cleaned.strip().rstrip("%٪").strip()
    if re.fullmatch(r"\d+/\d+", cleaned):  # «۱۲/۵»: a common Persian decimal point
        cleaned = cleaned.replace("/", ".")
    cleaned = re.sub(r"[٬،'\u066c]", ",", cleaned)
    if re.search(r"\d\s+\d", cleaned):
        raise NumberError("ambiguous")
    cleaned = cleaned.replace(" ", "")
    if "," in cleaned:
        if not _GROUPED.fullmatch(cleaned):
            digits = re.sub(r"\D", "", cleaned)
            raise NumberError("ambiguous" if digits and re.fullmatch(r"[+-]?[\d,.]+", cleaned)
                              else "not_number")
        cleaned = cleaned.replace(",", "")
    if not _PLAIN.fullmatch(cleaned):
        raise NumberError("not_number")
    if len(re.split(r"[.eE]", cleaned.lstrip("+-"))[0].lstrip("0")) > MAX_DIGITS:
        raise NumberError("large")
    try:
        number = Decimal(cleaned)
    except (InvalidOperation, ValueError):
        raise NumberError("not_number") from None
    if abs(number) >= Decimal(10) ** MAX_DIGITS:
        raise NumberError("large")
    return float(number)


def parse_number(text: object) -> float | None:
    """:func:`read_number`, or None for text that is not a number."""
    try:
        return read_number(text)
    except NumberError:
        return None


def format_quantity(value: float | int | None, lang: str = DEFAULT_LOCALE,
                    grouping: bool = True, decimals: int = 2) -> str:
    """A measured value as typed or computed: up to `decimals` decimals, no trailing zeros
    (۱۲٫۵, ۹, ۰٫۴۴), Persian digits and separators for fa; "—" for None."""
    from app.scoring.engine import round_half_up

    if value is None:
        return "—"
    if isinstance(value, bool):
        value = int(value)
    rounded = round_half_up(float(value), decimals)
    text = f"{rounded:,.{decimals}f}" if grouping else f"{rounded:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    if lang != "fa":
        return text
    return text.replace(",", "٬").replace(".", "٫").translate(_TO_PERSIAN)


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
