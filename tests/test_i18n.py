import datetime as dt

import pytest

from app.i18n import (
    format_number,
    jalali_date,
    normalise_text,
    parse_jalali_date,
    parse_number,
    persian_digits,
    search_key,
)


@pytest.mark.parametrize("text, expected", [
    ("۱۲٫۵", 12.5), ("۱٬۲۰۰", 1200.0), ("٢٥", 25.0), ("12.5", 12.5), ("1,200", 1200.0),
    ("\u200f۹۰\u200e", 90.0), (" ۸۱ ", 81.0), ("۹۰٪", 90.0), ("12/5", 12.5), ("-3", -3.0),
    ("abc", None), ("", None), ("۱۲٫۵٫۳", None), ("nan", None), ("inf", None),
    (float("nan"), None), (True, None), (7, 7.0),
])
def test_parse_number_accepts_what_inspectors_type(text, expected):
    assert parse_number(text) == expected


def test_normalise_text_maps_arabic_letters_and_strips_direction_marks():
    assert normalise_text("\u202bكيلومتر\u202c ") == "کیلومتر"
    assert normalise_text("می\u200cشود") == "می\u200cشود"  # ZWNJ is Persian spelling


def test_search_key_matches_arabic_and_persian_spellings():
    assert search_key("كهك") == search_key("کهک")
    assert search_key("قم ۱") == search_key("قم 1")


def test_digits_and_numbers_in_persian():
    assert persian_digits(1404) == "۱۴۰۴"
    assert persian_digits("12.5") == "۱۲٫۵"
    assert format_number(72.45) == "۷۲٫۵"
    assert format_number(1200000, 0) == "۱٬۲۰۰٬۰۰۰"
    assert format_number(72.45, lang="en") == "72.5"
    assert format_number(None) == "—"


def test_jalali_dates_both_ways():
    nowruz = dt.date(2025, 3, 21)
    assert jalali_date(nowruz) == "۱۴۰۴/۰۱/۰۱"
    assert jalali_date(nowruz, style="long") == "۱ فروردین ۱۴۰۴"
    assert jalali_date(nowruz, lang="en") == "1404/01/01"
    assert parse_jalali_date("۱۴۰۴/۰۱/۰۱") == nowruz
    assert parse_jalali_date("1404-1-1") == nowruz
    assert parse_jalali_date("1404/13/01") is None
    assert parse_jalali_date("tomorrow") is None


def test_every_message_has_a_persian_translation():
    """Extract every message id from the code and templates, as pybabel does, and require a
    Persian translation for each (the English catalogue is the ids themselves)."""
    from pathlib import Path

    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "N_": None, "_t": (2,)}
    method_map = [("app/**.py", "python"), ("forms/**.py", "python"),
                  ("templates/**.html", "jinja2")]
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(root), method_map=method_map, keywords=keywords):
        ids.add(message if isinstance(message, str) else message[0])
    with open(root / "app/translations/fa/LC_MESSAGES/messages.po", "rb") as file:
        fa = {m.id: m.string for m in read_po(file) if m.id}
    missing = sorted(i for i in ids if not fa.get(i))
    assert not missing, f"{len(missing)} messages lack a Persian translation: {missing[:20]}"


def test_stored_utc_times_are_shown_in_tehran_time():
    from app.i18n import jalali_datetime

    # 20:45 UTC on 20 March 2025 is 00:15 on 1 Farvardin 1404 in Tehran (+03:30)
    assert jalali_datetime(dt.datetime(2025, 3, 20, 20, 45), "en") == "1404/01/01 00:15"
