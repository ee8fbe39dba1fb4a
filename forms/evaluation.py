"""The inspector's evaluation form, built from the pinned rubric and the evaluation's tier.

``build_evaluation_form(rubric, tier_id)`` returns a form class with, per applicable criterion,
the fields its type asks for (:meth:`CriterionType.form_fields`: plain data, turned here into
WTForms fields by kind), an N/A box and reason where the rubric allows N/A, and a note. What
the fields mean is the type's business: it turns their data into an answer and back, so this
module knows field kinds ("text", "choice", "multi", "flag", "samples"), never type names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectMultipleField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from app.i18n import _, _l, current_lang
from app.rubric import Criterion, Rubric
from app.rubric.types import FieldSpec
from app.rubric.types.base import MAX_SITE
from app.rubric.values import REASON_MAX_CHARS, VALUE_MAX_CHARS
from forms.base import BaseForm, PersianStringField, PersianTextAreaField

#: the longest text a value field takes (a number, a level's key) and an N/A reason
VALUE_MAX = VALUE_MAX_CHARS
REASON_MAX = REASON_MAX_CHARS


def note_length(form, field):
    """A note is at most NOTE_MAX_CHARS long (the configuration's; never cut silently)."""
    limit = current_app.config["NOTE_MAX_CHARS"]
    if field.data and len(field.data) > limit:
        from app.i18n import format_number

        raise ValidationError(_("The note is too long (at most %(n)s characters).",
                                n=format_number(limit, 0)))


def field_key(criterion_id: str) -> str:
    """A name safe in HTML and WTForms for a criterion id ("1.10" → "c1_2e_10")."""
    return "c" + re.sub(r"[^A-Za-z0-9]", lambda m: f"_{ord(m.group()):x}_", criterion_id)


def _field(spec: FieldSpec, criterion: Criterion):
    """The WTForms field for one field spec of a criterion's type.

    The spec's words are the type's English message ids (the form class is built once per
    process, for every language): they are translated when shown. Words from the rubric (a
    scale level's label) are not in the catalogue and show as written."""
    label = _l(spec.label) if spec.label else criterion.title
    choices = [SelectChoice(key, _l(text)) for key, text in spec.choices]
    if spec.kind == "choice":
        return RadioField(label, choices=choices, validators=[Optional()],
                          validate_choice=True)
    if spec.kind == "multi":
        return SelectMultipleField(label, choices=choices, validators=[Optional()],
                                   validate_choice=True)
    if spec.kind == "flag":
        return BooleanField(label)
    if spec.kind == "samples":
        row = spec.row
        attrs = {"site": PersianStringField(_l("Site"), validators=[Length(max=MAX_SITE)]),
                 "value": _field(FieldSpec("value", row.kind, row.label, row.choices),
                                 criterion)}
        row_form = type("SampleRow", (Form,), attrs)
        return FieldList(FormField(row_form), min_entries=criterion.samples.min,
                         max_entries=100)
    return PersianStringField(label, validators=[Length(max=VALUE_MAX)])


@dataclass(frozen=True)
class CriterionFields:
    """The names of one criterion's fields in the form."""

    criterion: Criterion
    #: the criterion's base field name; its type's fields are this + their suffix
    value: str
    #: (suffix, field name) of the type's fields
    parts: tuple[tuple[str, str], ...]
    na: str | None
    na_reason: str | None
    note: str


class EvaluationFormBase(BaseForm):
    criteria_fields: tuple[CriterionFields, ...] = ()
    #: each field's name → its spec (kind, choices, a sample row's spec): what the page's
    #: inputs show without binding the fields (`StoredFields`)
    field_specs: dict[str, FieldSpec] = {}
    #: a sample field's name → the fewest rows it shows (the rubric's minimum of sites)
    sample_minimums: dict[str, int] = {}

    def changes(self) -> dict[str, dict]:
        """The submitted answers as services.save_answers takes them."""
        result = {}
        for spec in self.criteria_fields:
            criterion = spec.criterion
            data = {suffix: self[name].data for suffix, name in spec.parts}
            raw = criterion.kind.raw_from_form(criterion, data)
            change = dict(raw) if isinstance(raw, dict) else {"value": raw}
            change["note"] = self[spec.note].data or ""
            if spec.na:
                change["na"] = bool(self[spec.na].data)
                change["na_reason"] = self[spec.na_reason].data or ""
            result[criterion.id] = change
        return result


_FORM_CLASSES: dict[tuple[int, str], tuple[Rubric, type[EvaluationFormBase]]] = {}


def build_evaluation_form(rubric: Rubric, tier_id: str) -> type[EvaluationFormBase]:
    """A form class holding the criteria of `rubric` that apply to `tier_id`.

    Built once per rubric object and tier (published rubrics are parsed once per process), so
    a page view does not rebuild some two hundred field definitions.
    """
    cached = _FORM_CLASSES.get((id(rubric), tier_id))
    if cached is not None and cached[0] is rubric:
        return cached[1]
    form_class = _build(rubric, tier_id)
    if len(_FORM_CLASSES) > 256:
        _FORM_CLASSES.clear()
    _FORM_CLASSES[(id(rubric), tier_id)] = (rubric, form_class)
    return form_class


def _build(rubric: Rubric, tier_id: str) -> type[EvaluationFormBase]:
    attrs, specs, specs_by_name, minimums = {}, [], {}, {}
    for unit in rubric.units:
        if not unit.applies(tier_id):
            continue
        for criterion in unit.criteria:
            if not criterion.applies(tier_id):
                continue
            key = field_key(criterion.id)
            parts = []
            # the labels are the type's words in English; the page writes its own labels
            for field_spec in criterion.kind.form_fields(criterion, "en"):
                name = key + field_spec.suffix
                attrs[name] = _field(field_spec, criterion)
                specs_by_name[name] = field_spec
                if field_spec.kind == "samples":
                    minimums[name] = criterion.samples.min
                parts.append((field_spec.suffix, name))
            na = reason = None
            if criterion.allow_na:
                na, reason = f"{key}_na", f"{key}_na_reason"
                attrs[na] = BooleanField(_l("Not applicable"))
                attrs[reason] = PersianStringField(_l("Why it does not apply"),
                                                   validators=[Length(max=REASON_MAX)])
                specs_by_name[na] = FieldSpec("_na", "flag")
                specs_by_name[reason] = FieldSpec("_na_reason", "text")
            attrs[f"{key}_note"] = PersianTextAreaField(_l("Note"), validators=[note_length])
            specs_by_name[f"{key}_note"] = FieldSpec("_note", "text")
            specs.append(CriterionFields(criterion, key, tuple(parts), na, reason,
                                         f"{key}_note"))
    attrs["criteria_fields"] = tuple(specs)
    attrs["field_specs"] = specs_by_name
    attrs["sample_minimums"] = minimums
    return type("EvaluationForm", (EvaluationFormBase,), attrs)


def form_data_from_answers(form_class, answers: dict) -> dict:
    """Initial field data from stored answers (criterion id → AnswerValue)."""
    lang = current_lang()
    data = {}
    for spec in form_class.criteria_fields:
        answer = answers.get(spec.criterion.id)
        if answer is None:
            continue
        criterion = spec.criterion
        if not answer.na:
            parts = criterion.kind.form_data(criterion, answer, lang)
            for suffix, name in spec.parts:
                if suffix in parts:
                    data[name] = parts[suffix]
        if spec.na:
            data[spec.na] = bool(answer.na)
            data[spec.na_reason] = answer.na_reason
        data[spec.note] = answer.note
    return data


# --- what the page's inputs show ------------------------------------------------------------
# The form page writes its inputs out itself (app.evaluations.inputs). It reads each field's
# data, errors and sample rows through one of these two: the bound form after a refused plain
# post (what was typed, with its errors), or the stored answers, read as the bound fields would
# hold them but without binding some two hundred fields on every visit.

class FormFields:
    """The fields of a bound (posted) evaluation form."""

    def __init__(self, form: EvaluationFormBase):
        self.form = form

    def data(self, name: str):
        return self.form[name].data

    def errors(self, name: str):
        return self.form[name].errors

    def rows(self, name: str) -> list[tuple[str, object, str, object]]:
        """(site's name, site's data, value's name, value's data) of each sample row."""
        return [(row.site.name, row.site.data, row.value.name, row.value.data)
                for row in self.form[name]]


class StoredFields:
    """The data a form of `form_class` made with ``data=`` (``form_data_from_answers``) would
    hold in each field, as WTForms processes it: a tick is a bool, a choice its text or None,
    ticked items a list of texts, sample rows at least the rubric's minimum. No errors."""

    def __init__(self, form_class: type[EvaluationFormBase], data: dict):
        self.specs = form_class.field_specs
        self.minimums = form_class.sample_minimums
        self.given = data

    def data(self, name: str):
        return _processed(self.specs[name].kind, self.given.get(name))

    def errors(self, name: str):
        return ()

    def key_of(self, names) -> str:
        """What the fields `names` hold, as one text (equal texts: equal data), for keeping
        what was drawn from them (app.evaluations.cards)."""
        given = self.given
        return repr(tuple([given.get(name) for name in names]))

    def rows(self, name: str) -> list[tuple[str, object, str, object]]:
        spec, given = self.specs[name], self.given.get(name) or ()
        criterion_rows = [(row.get("site"), row.get("value")) if isinstance(row, dict)
                          else (None, None) for row in given]
        criterion_rows += [(None, None)] * (self.minimums[name] - len(criterion_rows))
        value_kind = spec.row.kind
        return [(f"{name}-{index}-site", site, f"{name}-{index}-value",
                 _processed(value_kind, value))
                for index, (site, value) in enumerate(criterion_rows)]


def _processed(kind: str, value):
    """`value` as a WTForms field of `kind` holds it after ``process_data``."""
    if kind == "flag":
        return bool(value)
    if kind == "choice":
        return None if value is None else str(value)
    if kind == "multi":
        try:
            return [str(item) for item in value]
        except TypeError:
            return None
    return value
