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
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import jdatetime
from babel.support import NullTranslations, Translations

from app.rounding import round_half_up

LOCALES = ("fa", "en")
DEFAULT_LOCALE = "fa"
TRANSLATIONS_DIR = Path(__file__).parent / "translations"


# Flask-Babel is imported on first use, so the pure modules that use this file's text
# helpers (the rubric loader) import no Flask.

def translations() -> NullTranslations:
    """The catalogue of :func:`current_lang` (English, untranslated, outside an application).

    Pages translate a few hundred texts each: reading the catalogue here costs a fraction of
    Flask-Babel's own lookup, which finds its request context again for every text."""
    return translator(current_lang()) if _app_context() is not None else _UNTRANSLATED


def _(message: str, **params) -> str:
    """Translate `message` for the current request (English outside one)."""
    text = translations().gettext(message)
    return text % params if params else text


def _l(message: str, **params):
    """A translation made when the text is shown (for module-level and class-level texts)."""
    from flask_babel.speaklater import LazyString

    return LazyString(_, message, **params)


def ngettext(singular: str, plural: str, num: int, **params) -> str:
    params.setdefault("num", num)
    return translations().ngettext(singular, plural, num) % params


def N_(message: str) -> str:
    """Mark a message for extraction without translating it now (translated when shown)."""
    return message


def current_lang() -> str:
    """The one answer to "which language is this text for": the request's language (chosen
    once per request by the factory's locale selector and kept by Flask-Babel), or the one a
    ``force_locale`` block asks for (reports, commands); "fa" outside an application.

    Asked a few hundred times a page (every number shown): it reads the application
    context's ``g`` directly rather than through Flask's proxies."""
    app_context = _app_context()
    if app_context is None:  # the CLI before an app exists, pure modules
        return DEFAULT_LOCALE
    context = getattr(app_context.g, "_flask_babel", None)
    locale = getattr(context, "babel_locale", None) if context is not None else None
    if locale is None:
        from flask_babel import get_locale

        locale = get_locale()
    language = getattr(locale, "language", None)
    return language if language in LOCALES else DEFAULT_LOCALE


_APP_CONTEXT = None


def _app_context():
    """The current application context, or None (what ``flask.has_app_context`` reads; Flask
    imported on the first call)."""
    global _APP_CONTEXT
    if _APP_CONTEXT is None:
        from flask.globals import _cv_app

        _APP_CONTEXT = _cv_app
    return _APP_CONTEXT.get(None)


def _lang(lang: str | None) -> str:
    return current_lang() if lang is None else lang


_UNTRANSLATED = NullTranslations()


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


#: a decimal point between digits («12.5», «1.10»): «٫» in Persian
_POINT = re.compile(r"(?<=\d)\.(?=\d)")


def digits(value: object, lang: str | None = None) -> str:
    """`value` as text in the reader's digits: in fa Persian digits, and «٫» for a point
    between digits (a decimal, a criterion id «۱٫۱۰», a version «۱۴۰۵٫۱»); in en as it is.

    The one "Persian digits if fa" helper: for program text (counts, years, ids). Text a
    person typed is shown as typed (see :mod:`app.bidi`)."""
    text = str(value)
    if _lang(lang) != "fa":
        return text
    return _POINT.sub("٫", text).translate(_TO_PERSIAN)


def persian_digits(value: object) -> str:
    """`value` with Persian digits whatever the language (kept for app/admin, which decides
    the language itself before calling it; everything else asks :func:`digits`)."""
    return digits(value, "fa")


def criterion_id(value: object, lang: str | None = None) -> str:
    """A criterion id as a sentence names it: «۱٫۱۰» in fa, 1.10 in en."""
    return digits(value, lang)


def format_number(value: float | int | None, decimals: int = 1, lang: str | None = None,
                  grouping: bool = True) -> str:
    """A number rounded half-up to at most `decimals` decimals (a whole number shows none),
    with Persian digits and separators for fa; "—" for None."""
    if value is None:
        return "—"
    rounded = round_half_up(value, decimals)
    if rounded == int(rounded) and decimals <= 1:
        text = f"{int(rounded):,}" if grouping else str(int(rounded))
    else:
        text = f"{rounded:,.{decimals}f}" if grouping else f"{rounded:.{decimals}f}"
    return _localised(text, lang)


def format_score(value: float | None, lang: str | None = None) -> str:
    """A score (0–100) always with one decimal: «۸۳٫۰», «۶۵٫۵»; "—" for None."""
    if value is None:
        return "—"
    return _localised(f"{round_half_up(value, 1):.1f}", lang)


def format_percent(value: float | None, lang: str | None = None, decimals: int = 1) -> str:
    """A percentage with its sign: «۹۵٪», «۱۲٫۵٪» in fa, "95%" in en; "—" for None."""
    if value is None:
        return "—"
    return format_quantity(value, lang, decimals=decimals) + percent_sign(lang)


def percent_sign(lang: str | None = None) -> str:
    """«٪» in Persian, "%" in English: always after its number."""
    return "٪" if _lang(lang) == "fa" else "%"


def list_separator(lang: str | None = None) -> str:
    """What separates the items of a list in running text: «، » in Persian, ", " in English."""
    return "، " if _lang(lang) == "fa" else ", "


def _localised(text: str, lang: str | None) -> str:
    """Number text made with «,» and «.» in the reader's separators and digits."""
    if _lang(lang) != "fa":
        return text
    return text.replace(",", "٬").replace(".", "٫").translate(_TO_PERSIAN)


def message(lang: str, text: str, **params) -> str:
    """`text` translated into `lang` with no request (commands), numbers among `params` in
    the reader's digits: whole numbers as they are (years, counts: «۱۴۰۴», «۱۳»), others as
    quantities («۱۲٫۵»)."""
    translated = translator(lang).gettext(text)
    if not params:
        return translated
    shown = {}
    for name, value in params.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            shown[name] = value
        elif isinstance(value, int) or float(value).is_integer():
            shown[name] = digits(int(value), lang)
        else:
            shown[name] = format_quantity(value, lang)
    return translated % shown


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


def format_quantity(value: float | int | None, lang: str | None = None,
                    grouping: bool = True, decimals: int = 2) -> str:
    """A measured value as typed or computed: up to `decimals` decimals, no trailing zeros
    (۱۲٫۵, ۹, ۰٫۴۴), Persian digits and separators for fa; "—" for None."""
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
    return _localised(text, lang)


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


def local_today() -> _dt.date:
    """Today's date in Iran."""
    return _dt.datetime.now(LOCAL_TIMEZONE).date()


def to_jalali(value: _dt.date | _dt.datetime) -> jdatetime.date:
    if isinstance(value, _dt.datetime):
        value = local_time(value).date()
    return jdatetime.date.fromgregorian(date=value)


def jalali_date(value: _dt.date | _dt.datetime | None, lang: str | None = None,
                style: str = "numeric") -> str:
    """A Jalali date: short ``۱۴۰۴/۰۸/۲۳`` (tables, fields, lists) or long ``۲۳ آبان ۱۴۰۴``
    (where a person reads a sentence: report headings, letters, the evaluation's header);
    "—" for None."""
    if value is None:
        return "—"
    lang = _lang(lang)
    if isinstance(value, _dt.datetime):
        value = local_time(value).date()
    year, month, day = _jalali_parts(value)
    if style == "long":
        months = _MONTHS_FA if lang == "fa" else _MONTHS_EN
        text = f"{day} {months[month - 1]} {year}"
    else:
        text = f"{year:04d}/{month:02d}/{day:02d}"
    return text.translate(_TO_PERSIAN) if lang == "fa" else text


@lru_cache(maxsize=4096)
def _jalali_parts(value: _dt.date) -> tuple[int, int, int]:
    """(year, month, day) of a Gregorian date in the Jalali calendar, remembered: a table
    shows the same few dates on many rows, and jdatetime reads the process's locale each time."""
    j = jdatetime.date.fromgregorian(date=value)
    return j.year, j.month, j.day


def jalali_datetime(value: _dt.datetime | None, lang: str | None = None) -> str:
    if value is None:
        return "—"
    lang = _lang(lang)
    text = f"{jalali_date(value, 'en')} {local_time(value):%H:%M}"
    return text.translate(_TO_PERSIAN) if lang == "fa" else text


def clock_time(value: _dt.datetime | None, lang: str | None = None) -> str:
    """The local time of day of a stored timestamp, «۱۴:۰۵»."""
    if value is None:
        return "—"
    return digits(f"{local_time(value):%H:%M}", lang)


#: the Jalali years a date typed in a form may have (Gregorian years are far above)
JALALI_YEARS = (1300, 1500)


class DateError(ValueError):
    """A date field's text that is not a Jalali date. `reason` is "format" (not a date
    written year/month/day), "gregorian" (a Gregorian year such as 2026) or "invalid" (no
    such day, such as ۱۴۰۵/۱۳/۰۱)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def read_jalali_date(text: str | None) -> _dt.date | None:
    """``۱۴۰۴/۰۸/۲۳`` (or with «-» or «.», Latin digits) → the Gregorian date; None for
    empty text. Raises :class:`DateError`: a Gregorian date such as ``2026-12-30`` is never
    taken for the Jalali year 2026."""
    if text is None or not normalise_text(text):
        return None
    cleaned = to_latin_digits(normalise_text(text))
    match = re.fullmatch(r"(\d{4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})", cleaned)
    if not match:
        raise DateError("format")
    year, month, day = (int(part) for part in match.groups())
    if not JALALI_YEARS[0] <= year <= JALALI_YEARS[1]:
        raise DateError("gregorian" if 1900 <= year <= 2200 else "invalid")
    try:
        return jdatetime.date(year, month, day).togregorian()
    except ValueError:
        raise DateError("invalid") from None


def parse_jalali_date(text: str | None) -> _dt.date | None:
    """:func:`read_jalali_date`, or None for text that is not a Jalali date."""
    try:
        return read_jalali_date(text)
    except DateError:
        return None


def jalali_year(value: _dt.date | _dt.datetime) -> int:
    return to_jalali(value).year
