"""The reviewer's texts for the report: strengths, areas to improve, recommendations."""

from wtforms import FieldList, Form, FormField
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
    """One recommendation (a sub-form: the CSRF token belongs to the outer form)."""

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

    def rows(self) -> list[dict]:
        """The filled recommendation rows, deadlines as dates."""
        return [{"text": row.form.text.data, "responsible": row.form.responsible.data or "",
                 "deadline": parse_jalali_date(row.form.deadline.data)}
                for row in self.recommendations if row.form.text.data]
