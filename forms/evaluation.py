"""The inspector's evaluation form, built from the pinned rubric and the evaluation's tier.

``build_evaluation_form(rubric, tier_id)`` returns a form class with, per applicable criterion,
an answer field chosen by the criterion type (the registry ``FIELD_TYPES``), an N/A box and
reason where the rubric allows N/A, and a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wtforms import BooleanField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from app.i18n import _, _l, format_number
from app.rubric import Criterion, Rubric
from forms.base import BaseForm, PersianNumberField, PersianStringField, PersianTextAreaField

NOTE_MAX = 4000


def field_key(criterion_id: str) -> str:
    """A name safe in HTML and WTForms for a criterion id ("1.10" → "c1_2e_10")."""
    return "c" + re.sub(r"[^A-Za-z0-9]", lambda m: f"_{ord(m.group()):x}_", criterion_id)


class FieldType:
    """How one criterion type is asked and read back."""

    input_kind = "text"

    def make_field(self, criterion: Criterion):
        raise NotImplementedError

    def to_change(self, data):
        """The field's data as the answer value the services take (None: unanswered)."""
        return data


class ScaleField(FieldType):
    input_kind = "choice"

    def make_field(self, criterion):
        choices = [SelectChoice(_level_key(level.value), level.label)
                   for level in criterion.scale.levels]
        return RadioField(criterion.title, choices=choices, validators=[Optional()],
                          validate_choice=True)

    def to_change(self, data):
        return None if data in (None, "", "None") else float(data)


class YesNoField(FieldType):
    input_kind = "choice"

    def make_field(self, criterion):
        return RadioField(criterion.title,
                          choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
                          validators=[Optional()])

    def to_change(self, data):
        return {"yes": True, "no": False}.get(data)


class MeasuredField(FieldType):
    input_kind = "number"

    def make_field(self, criterion):
        return PersianNumberField(criterion.title, validators=[Optional()])


FIELD_TYPES: dict[str, FieldType] = {
    "scale": ScaleField(),
    "yesno": YesNoField(),
    "number": MeasuredField(),
    "percent": MeasuredField(),
}


def _level_key(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class CriterionFields:
    """The names of one criterion's fields in the form."""

    criterion: Criterion
    value: str
    na: str | None
    na_reason: str | None
    note: str


class EvaluationFormBase(BaseForm):
    criteria_fields: tuple[CriterionFields, ...] = ()

    def changes(self) -> dict[str, dict]:
        """The submitted answers as services.save_answers takes them."""
        result = {}
        for spec in self.criteria_fields:
            field_type = FIELD_TYPES[spec.criterion.type]
            change = {"value": field_type.to_change(self[spec.value].data),
                      "note": self[spec.note].data or ""}
            if spec.na:
                change["na"] = bool(self[spec.na].data)
                change["na_reason"] = self[spec.na_reason].data or ""
            result[spec.criterion.id] = change
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
    attrs, specs = {}, []
    for unit in rubric.units:
        if not unit.applies(tier_id):
            continue
        for criterion in unit.criteria:
            if not criterion.applies(tier_id):
                continue
            key = field_key(criterion.id)
            attrs[key] = FIELD_TYPES[criterion.type].make_field(criterion)
            na = reason = None
            if criterion.allow_na:
                na, reason = f"{key}_na", f"{key}_na_reason"
                attrs[na] = BooleanField(_l("Not applicable"))
                attrs[reason] = PersianStringField(_l("Why it does not apply"),
                                                   validators=[Length(max=1000)])
            attrs[f"{key}_note"] = PersianTextAreaField(_l("Note"),
                                                        validators=[Length(max=NOTE_MAX)])
            specs.append(CriterionFields(criterion, key, na, reason, f"{key}_note"))
    attrs["criteria_fields"] = tuple(specs)
    return type("EvaluationForm", (EvaluationFormBase,), attrs)


def form_data_from_answers(form_class, answers: dict) -> dict:
    """Initial field data from stored answers (criterion id → Answer row)."""
    data = {}
    for spec in form_class.criteria_fields:
        answer = answers.get(spec.criterion.id)
        if answer is None:
            continue
        if answer.value is not None:
            if spec.criterion.type == "yesno":
                data[spec.value] = "yes" if answer.value else "no"
            elif spec.criterion.type == "scale":
                data[spec.value] = _level_key(answer.value)
            else:
                data[spec.value] = answer.value
        if spec.na:
            data[spec.na] = bool(answer.na)
            data[spec.na_reason] = answer.na_reason
        data[spec.note] = answer.note
    return data


def target_text(criterion: Criterion, tier_id: str, lang: str = "fa") -> str:
    """The target for this tier in words, e.g. «دست‌کم ۹۰ ٪» or «حداکثر ۱۵ روز».

    Words, not ≥/≤: those signs are mirrored in right-to-left text and would read backwards.
    """
    target = criterion.target_for(tier_id)
    if target is None:
        return ""
    label = criterion.unit_label or ("٪" if criterion.type == "percent" else "")
    value = f"{format_number(target, 1, lang)} {label}".strip()
    if criterion.better == "lower":
        return _("at most %(value)s", value=value)
    return _("at least %(value)s", value=value)
