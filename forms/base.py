"""The base form and Persian-aware fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field, StringField, TextAreaField
from wtforms.validators import ValidationError

from app.i18n import (
    DateError,
    NumberError,
    _l,
    digits,
    jalali_date,
    normalise_text,
    read_jalali_date,
    read_number,
)


class NormalisedMixin:
    """Normalise the raw text before WTForms converts it (ي→ی, ك→ک, no direction marks)."""

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [normalise_text(v) if isinstance(v, str) else v for v in valuelist]
        super().process_formdata(valuelist)


class PersianStringField(NormalisedMixin, StringField):
    pass


class PersianTextAreaField(NormalisedMixin, TextAreaField):
    pass


#: what a number field says about text it cannot take (NumberError.reason → message)
NUMBER_MESSAGES = {
    "not_number": _l("Enter a number, e.g. ۱۲٫۵ or ۱٬۲۰۰."),
    "ambiguous": _l("This number could be read two ways. Write the decimal mark as «٫» or "
                    "«.» (۱۲٫۵), and thousands in groups of three (۱٬۲۰۰) or without a "
                    "separator."),
    "large": _l("This number is too large; check the number of digits."),
}


class PersianNumberField(Field):
    """A number typed with Persian, Arabic-Indic or Latin digits and Persian separators,
    read by :func:`app.i18n.read_number` (the one reader): ambiguous text is refused with a
    message saying how to write it, never read as another number."""

    widget = StringField.widget

    def process_formdata(self, valuelist):
        self.raw_text = valuelist[0] if valuelist else ""
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = read_number(valuelist[0])
        except NumberError as error:
            self.data = None
            raise ValueError(str(NUMBER_MESSAGES[error.reason])) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return digits(f"{self.data:g}")


#: what a Jalali date field says about text it cannot take (DateError.reason → message)
DATE_MESSAGES = {
    "format": _l("Enter a Jalali date such as ۱۴۰۴/۰۷/۰۱ (year/month/day)."),
    "gregorian": _l("This looks like a Gregorian date. Enter the date in the Jalali "
                    "calendar, such as ۱۴۰۵/۱۰/۰۹ (year/month/day)."),
    "invalid": _l("There is no such day in the Jalali calendar. Enter a date such as "
                  "۱۴۰۴/۰۷/۰۱ (year/month/day)."),
}


def date_shown(value) -> str:
    """A date as a Jalali date field shows it (۱۴۰۴/۰۷/۰۱; empty for none)."""
    return jalali_date(value) if value else ""


class JalaliDateField(PersianStringField):
    """A Jalali date typed as ۱۴۰۴/۰۷/۰۱ (any digits, «/» or «-»); `data` is a Gregorian
    date. A Gregorian date (2026-12-30) is refused, never read as the Jalali year 2026."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        try:
            self.data = read_jalali_date(self.data)
        except DateError as error:
            self.data = None
            raise ValueError(str(DATE_MESSAGES[error.reason])) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return date_shown(self.data)


def jalali_date_text(form, field):
    """Validator for a text field holding a Jalali date (kept as text until used)."""
    try:
        read_jalali_date(field.data)
    except DateError as error:
        raise ValidationError(DATE_MESSAGES[error.reason]) from None


class BaseForm(FlaskForm):
    """All our forms: CSRF from Flask-WTF, plus Persian normalisation in the fields above."""


class ConfirmForm(BaseForm):
    """A button that changes something: only the CSRF token."""


def no_control_characters(form, field):
    text = field.data or ""
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise ValidationError(_l("Remove the invisible control characters from this text."))
