"""The base form and Persian-aware fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field, StringField, TextAreaField
from wtforms.validators import ValidationError

from app.i18n import _l, current_lang, normalise_text, parse_number, persian_digits


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


class PersianNumberField(Field):
    """A number typed with Persian, Arabic-Indic or Latin digits and Persian separators."""

    widget = StringField.widget

    def process_formdata(self, valuelist):
        self.raw_text = valuelist[0] if valuelist else ""
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        self.data = parse_number(valuelist[0])
        if self.data is None:
            raise ValueError(str(_l("Enter a number, e.g. ۱۲٫۵ or ۱٬۲۰۰.")))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        text = f"{self.data:g}"
        return persian_digits(text) if current_lang() == "fa" else text


class BaseForm(FlaskForm):
    """All our forms: CSRF from Flask-WTF, plus Persian normalisation in the fields above."""


class ConfirmForm(BaseForm):
    """A button that changes something: only the CSRF token."""


def no_control_characters(form, field):
    text = field.data or ""
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise ValidationError(_l("Remove the invisible control characters from this text."))
