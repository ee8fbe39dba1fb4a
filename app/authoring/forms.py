"""The authors' draft form: the rubric text (typed, pasted or uploaded), the tier to preview,
sample answers to score. CSRF comes from the base form."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, TextAreaField

from app.i18n import _l
from forms.base import BaseForm


class RawTextAreaField(TextAreaField):
    """A textarea whose text is kept exactly as typed, except the line ends: browsers send
    CRLF, and the rubric file (and its sha256) uses LF. No other normalisation: the text is
    the rubric itself, published byte for byte."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = str(valuelist[0]).replace("\r\n", "\n").replace("\r", "\n")
        else:
            self.data = ""


class DraftForm(BaseForm):
    text = RawTextAreaField(_l("The rubric (YAML)"))
    upload = FileField(_l("Or upload a file"))
    tier = SelectField(_l("Preview the form for"), choices=[], validate_choice=False)
    answers = RawTextAreaField(_l("Sample answers to score (optional)"))
    #: the sha256 of the text last checked and shown with its differences: publishing needs it
    checked = HiddenField()
