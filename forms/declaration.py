"""The municipality's self-declaration form, built from the rubric's declared criteria.

The fields of each criterion are its type's (``CriterionType.form_fields``, the same fields
the inspector's form has, turned into WTForms fields by :func:`forms.evaluation._field`), plus
the municipality's explanation. What the fields mean is the type's business: it turns their
data into an answer and back, so this module knows field kinds, never type names.
"""

from __future__ import annotations

from dataclasses import dataclass

from wtforms.validators import Length

from app.i18n import _l, current_lang
from app.rubric import Criterion, Rubric
from forms.base import BaseForm, PersianTextAreaField
from forms.evaluation import _field, field_key

NOTE_MAX = 2000


@dataclass(frozen=True)
class DeclaredFields:
    criterion: Criterion
    #: (suffix, field name, the type's FieldSpec) of the type's fields
    parts: tuple
    note: str
    photo: str


class DeclarationFormBase(BaseForm):
    declared_fields: tuple[DeclaredFields, ...] = ()

    def changes(self) -> dict[str, dict]:
        """criterion id → {"raw": what the type reads, "note": the explanation}; criteria left
        empty are left out (nothing declared for them yet)."""
        result = {}
        for spec in self.declared_fields:
            criterion = spec.criterion
            data = {suffix: self[name].data for suffix, name, _spec in spec.parts}
            raw = criterion.kind.raw_from_form(criterion, data)
            note = self[spec.note].data or ""
            if raw is None and not note:
                continue
            result[criterion.id] = {"raw": raw, "note": note}
        return result


_CLASSES: dict[tuple[int, str], tuple[Rubric, type]] = {}


def build_declaration_form(rubric: Rubric, tier_id: str) -> type[DeclarationFormBase]:
    """A form class holding the declared criteria of `rubric` that apply to `tier_id`."""
    cached = _CLASSES.get((id(rubric), tier_id))
    if cached is not None and cached[0] is rubric:
        return cached[1]
    attrs, specs = {}, []
    for criterion in rubric.declared(tier_id):
        key = "d" + field_key(criterion.id)
        parts = []
        for spec in criterion.kind.form_fields(criterion, "en"):
            name = key + spec.suffix
            attrs[name] = _field(spec, criterion)
            parts.append((spec.suffix, name, spec))
        attrs[f"{key}_note"] = PersianTextAreaField(
            _l("Where the figure comes from"), validators=[Length(max=NOTE_MAX)])
        specs.append(DeclaredFields(criterion, tuple(parts), f"{key}_note", f"{key}_photo"))
    attrs["declared_fields"] = tuple(specs)
    form_class = type("DeclarationForm", (DeclarationFormBase,), attrs)
    if len(_CLASSES) > 64:
        _CLASSES.clear()
    _CLASSES[(id(rubric), tier_id)] = (rubric, form_class)
    return form_class


def form_data(form_class, declared: dict) -> dict:
    """Initial field data from declared answers (criterion id → (AnswerValue, note))."""
    lang = current_lang()
    data = {}
    for spec in form_class.declared_fields:
        if spec.criterion.id not in declared:
            continue
        answer, note = declared[spec.criterion.id]
        if answer is not None:
            parts = spec.criterion.kind.form_data(spec.criterion, answer, lang)
            for suffix, name, _spec in spec.parts:
                if suffix in parts:
                    data[name] = parts[suffix]
        data[spec.note] = note
    return data
