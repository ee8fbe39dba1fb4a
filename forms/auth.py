"""Login and password forms."""

from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from app.i18n import _l
from forms.base import BaseForm, ConfirmForm, PersianStringField  # noqa: F401


class LoginForm(BaseForm):
    username = PersianStringField(_l("Username"), validators=[DataRequired(), Length(max=60)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in on this device"))


class ChangePasswordForm(BaseForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("new")])
