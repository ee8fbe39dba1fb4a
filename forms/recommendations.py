"""The municipality's answer to a recommendation, and the inspector's finding on one."""

from __future__ import annotations

from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from app.i18n import _l
from forms.admin import JalaliDateField, WholeNumberField, whole_number
from forms.base import BaseForm, PersianTextAreaField


class ResponseForm(BaseForm):
    action_taken = PersianTextAreaField(_l("What was done"), validators=[
        DataRequired(_l("Write what was done.")), Length(max=2000)])
    progress = WholeNumberField(_l("Progress (percent)"), validators=[
        InputRequired(_l("Give the progress as a whole percentage from 0 to 100.")),
        whole_number(0, 100)])
    evidence = PersianTextAreaField(_l("Evidence (letters, minutes, documents: numbers and "
                                       "dates)"), validators=[Length(max=2000)])
    acted_on = JalaliDateField(_l("Date of the action"))


class FollowUpForm(BaseForm):
    outcome = RadioField(_l("Outcome"), choices=[SelectChoice("done", _l("Done")),
                                                 SelectChoice("partly", _l("Done in part")),
                                                 SelectChoice("not_done", _l("Not done"))],
                         validators=[InputRequired(_l("Choose done, done in part or not "
                                                      "done."))])
    note = PersianTextAreaField(_l("Note"), validators=[Length(max=2000)])
