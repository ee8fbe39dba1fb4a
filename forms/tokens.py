"""Making a personal API token."""

from __future__ import annotations

from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.i18n import _l
from forms.base import BaseForm, PersianStringField, no_control_characters

#: the expiries offered (value → label); app.api.tokens.EXPIRIES holds the same days
EXPIRY_CHOICES = [("90", _l("In 90 days")), ("30", _l("In 30 days")),
                  ("365", _l("In a year")), ("never", _l("Never (until revoked)"))]


def _choices():
    return [SelectChoice(value, label) for value, label in EXPIRY_CHOICES]


class TokenForm(BaseForm):
    name = PersianStringField(_l("Name (what will use it)"), validators=[
        DataRequired(_l("Give the token a name, such as the program that will use it.")),
        Length(max=100), no_control_characters])
    expiry = SelectField(_l("Expires"), choices=_choices, default="90")

    @property
    def days(self) -> int | None:
        return None if self.expiry.data == "never" else int(self.expiry.data)
