"""Forms of the administration pages. Choices that come from the database (provinces, users,
evaluations, rubrics) are filled in by the view before validation."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.i18n import _, _l, digits
from app.params import coerce_id, coerce_optional_id
from forms.base import (  # noqa: F401 - ConfirmForm is used from here by the admin views
    BaseForm,
    ConfirmForm,
    JalaliDateField,
    PersianNumberField,
    PersianStringField,
    PersianTextAreaField,
    no_control_characters,
)


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def role_choices() -> list[SelectChoice]:
    """Every role with its name (app.models.users.ROLE_TITLES), in ROLES' order."""
    from app.models import ROLES
    from app.models.users import ROLE_TITLES

    return choices((role, _l(ROLE_TITLES[role])) for role in ROLES)


#: coerce a select's value: "" (or nothing) is None, anything else an id (bounded, see
#: app.params: a number too large for the database is an invalid choice, not an overflow)
optional_int = coerce_optional_id


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WholeNumberField(PersianNumberField):
    """A whole number typed with any digits; shown back without exponent or decimals."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return str(int(self.data)) if float(self.data).is_integer() else str(self.data)


def degrees(limit: int):
    """Validator: a position in decimal degrees from -`limit` to `limit` (blank passes)."""

    def check(form, field):
        if field.data is not None and not -limit <= field.data <= limit:
            raise ValidationError(_("Enter the position in decimal degrees, from %(low)s to "
                                    "%(high)s.", low=digits(-limit), high=digits(limit)))

    return check


def whole_number(low: int, high: int):
    """Validator: a whole number from `low` to `high` (blank passes; add DataRequired)."""

    def check(form, field):
        if field.data is None:
            return
        if not float(field.data).is_integer():
            raise ValidationError(_("Enter a whole number, without a decimal point."))
        if not low <= field.data <= high:
            raise ValidationError(_("Enter a whole number from %(low)s to %(high)s.",
                                    low=digits(low), high=digits(high)))
        field.data = int(field.data)

    return check


# --- users --------------------------------------------------------------------------------

class _UserFields(BaseForm):
    full_name = PersianStringField(_l("Full name"), validators=[
        DataRequired(_l("Write the person's full name.")), Length(max=200),
        no_control_characters])
    roles = MultiCheckboxField(_l("Roles"), choices=role_choices, validators=[
        DataRequired(_l("Choose at least one role."))])
    province = SelectField(_l("Province"), coerce=optional_int, choices=[])
    municipality = SelectField(_l("Municipality (for a municipality's account)"),
                               coerce=optional_int, choices=[])


class UserCreateForm(_UserFields):
    username = StringField(_l("Username"), filters=[lambda v: (v or "").strip().lower()],
                           validators=[
        DataRequired(_l("Choose a username.")), Length(min=2, max=60),
        Regexp(r"^[a-z0-9][a-z0-9._-]+$", message=_l(
            "Use only Latin letters, digits, «.», «-» and «_», starting with a letter or "
            "digit."))])


class UserEditForm(_UserFields):
    active = BooleanField(_l("Active (may log in)"))


# --- municipalities -----------------------------------------------------------------------

class MunicipalityForm(BaseForm):
    county = PersianStringField(_l("County"), validators=[Length(max=100),
                                                          no_control_characters])
    grade = WholeNumberField(_l("Grade (1–12)"), validators=[
        InputRequired(_l("The grade is required (1 to 12).")), whole_number(1, 12)])
    population = WholeNumberField(_l("Population"),
                                    validators=[Optional(), whole_number(0, 50_000_000)])
    census_year = WholeNumberField(_l("Census year (Jalali)"),
                                     validators=[Optional(), whole_number(1300, 1500)])
    budget_million_rial = WholeNumberField(_l("Budget (million rials)"), validators=[
        Optional(), whole_number(0, 2_000_000_000)])
    staff_count = WholeNumberField(_l("Staff"), validators=[Optional(),
                                                              whole_number(0, 1_000_000)])
    area_hectares = WholeNumberField(_l("Area (hectares)"), validators=[
        Optional(), whole_number(0, 2_000_000_000)])
    #: the town centre, from which the distances of visits and photos are measured
    latitude = PersianNumberField(_l("Latitude of the town centre"),
                                  validators=[Optional(), degrees(90)])
    longitude = PersianNumberField(_l("Longitude of the town centre"),
                                   validators=[Optional(), degrees(180)])

    PROFILE = ("county", "grade", "population", "census_year", "budget_million_rial",
               "staff_count", "area_hectares", "latitude", "longitude")

    def profile(self) -> dict:
        return {name: getattr(self, name).data for name in self.PROFILE}


class ImportForm(BaseForm):
    file = FileField(_l("File (CSV or XLSX)"), validators=[
        FileRequired(_l("Choose the file to import."))])
    province = SelectField(_l("Province"), choices=[])


class ImportConfirmForm(BaseForm):
    """Import a file already checked in the preview (kept on the server under `token`)."""

    token = StringField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$")])
    province = StringField(validators=[DataRequired(), Length(max=100)])


class UserImportForm(BaseForm):
    file = FileField(_l("File (CSV or XLSX)"), validators=[
        FileRequired(_l("Choose the file to import."))])


class UserImportConfirmForm(BaseForm):
    token = StringField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$")])


# --- cycles and planning ------------------------------------------------------------------

class CycleForm(BaseForm):
    year = WholeNumberField(_l("Year (Jalali)"), validators=[
        InputRequired(_l("Enter the Jalali year, for example ۱۴۰۵.")),
        whole_number(1300, 1500)])
    title = PersianStringField(_l("Title"), validators=[
        DataRequired(_l("Write a title for the cycle.")), Length(max=200),
        no_control_characters])
    visit_start = JalaliDateField(_l("Visits from"))
    visit_end = JalaliDateField(_l("Visits until"))
    declaration_deadline = JalaliDateField(_l(
        "Municipalities declare until (default: the day before the visits)"))

    def validate_visit_end(self, field):
        if field.data and self.visit_start.data and field.data < self.visit_start.data:
            raise ValidationError(_l("The visit window ends before it starts."))


class DeadlineForm(BaseForm):
    declaration_deadline = JalaliDateField(_l("Municipalities declare until"))


class PlanForm(BaseForm):
    province = SelectField(_l("Province"), coerce=coerce_id, choices=[])
    #: the rubric version, chosen by its label («municipal-units 1405.1»)
    version = SelectField(_l("Rubric version"), coerce=coerce_id, choices=[])
    due_date = JalaliDateField(_l("Due date (default: the end of the visit window)"))


class AssignForm(BaseForm):
    """Bulk assignment from the plan table: blank parts are left as they are."""

    evaluations = MultiCheckboxField(_l("Evaluations"), coerce=coerce_id, choices=[],
                                     validators=[
        DataRequired(_l("Select at least one evaluation in the table."))])
    inspectors = MultiCheckboxField(_l("Inspectors"), coerce=coerce_id, choices=[])
    reviewer = SelectField(_l("Reviewer"), coerce=optional_int, choices=[])
    due_date = JalaliDateField(_l("Due date"))


class EvaluationAssignForm(BaseForm):
    """One evaluation's inspectors, reviewer and due date, as they should be."""

    inspectors = MultiCheckboxField(_l("Inspectors"), coerce=coerce_id, choices=[])
    reviewer = SelectField(_l("Reviewer"), coerce=optional_int, choices=[])
    due_date = JalaliDateField(_l("Due date"))


class RetierForm(BaseForm):
    tier = SelectField(_l("New tier"), choices=[])
    reason = PersianTextAreaField(_l("Reason"), validators=[
        DataRequired(_l("Write the reason for changing the tier.")), Length(max=1000),
        no_control_characters])


# --- the audit trail ----------------------------------------------------------------------

class AuditFilterForm(BaseForm):
    """Filters in the address (GET): no CSRF, nothing is changed."""

    class Meta:
        csrf = False

    user = SelectField(_l("User"), coerce=optional_int, choices=[], validate_choice=False)
    municipality = SelectField(_l("Municipality"), coerce=optional_int, choices=[],
                               validate_choice=False)
    evaluation = WholeNumberField(_l("Evaluation number"),
                                    validators=[Optional(), whole_number(1, 2_000_000_000)])
    action = SelectField(_l("Action"), choices=[], validate_choice=False)
    date_from = JalaliDateField(_l("From (Jalali)"))
    date_to = JalaliDateField(_l("Until (Jalali)"))
