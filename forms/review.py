"""The reviewer's texts for the report: strengths, areas to improve, recommendations."""

from wtforms import FieldList, Form, FormField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from app.i18n import _l, parse_jalali_date
from forms.base import (
    BaseForm,
    JalaliDateField,
    PersianStringField,
    PersianTextAreaField,
    jalali_date_text,
)

ROWS = 6


class RecommendationRow(Form):
    """One recommendation (a sub-form: the CSRF token belongs to the outer form). Its unit
    lets the next cycle's inspector meet it on that unit's page."""

    unit_id = SelectField(_l("Unit"), choices=[], default="", validate_choice=True)
    text = PersianStringField(_l("Recommendation"), validators=[Optional(), Length(max=1000)])
    responsible = PersianStringField(_l("Responsible"), validators=[Optional(), Length(max=200)])
    deadline = PersianStringField(_l("Deadline"), validators=[Optional(), Length(max=20),
                                                              jalali_date_text])


class VisitDateForm(BaseForm):
    """The day of the site visit (the inspectors' form, beside the evaluation's header)."""

    visit_date = JalaliDateField(_l("Date of the site visit"), validators=[Optional()])


class ReportTextsForm(BaseForm):
    strengths = PersianTextAreaField(_l("Strengths"), validators=[Length(max=4000)])
    improvements = PersianTextAreaField(_l("Areas for improvement"),
                                        validators=[Length(max=4000)])
    recommendations = FieldList(FormField(RecommendationRow), min_entries=ROWS,
                                max_entries=ROWS)

    def set_units(self, rubric, tier_id: str) -> None:
        """The units a recommendation may concern (or none), from the pinned rubric."""
        options = [SelectChoice("", _l("— the whole municipality —"))] + [
            SelectChoice(unit.id, unit.title) for unit in rubric.units if unit.applies(tier_id)]
        for row in self.recommendations:
            row.form.unit_id.choices = options

    def rows(self) -> list[dict]:
        """The filled recommendation rows, deadlines as dates."""
        return [{"unit_id": row.form.unit_id.data or "", "text": row.form.text.data,
                 "responsible": row.form.responsible.data or "",
                 "deadline": parse_jalali_date(row.form.deadline.data)}
                for row in self.recommendations if row.form.text.data]
