"""Types answered by choosing one of a few answers: ``scale`` (a level of a named or inline
scale) and ``yesno``."""

from __future__ import annotations

from app.i18n import N_, format_quantity, normalise_text, parse_number, translator
from app.rubric.nodes import yes_no
from app.rubric.types.base import CriterionType, FieldSpec, is_empty, shown
from app.rubric.values import AnswerError


def level_key(value: float) -> str:
    """A scale level as a form's choice key ("2", "0.5")."""
    return f"{value:g}"


class ScaleType(CriterionType):
    name = "scale"
    title = N_("a scale")
    keys = ("scale", "samples")
    sampleable = True
    widget = "choice"

    def read(self, reader, spec):
        if "scale" not in spec.fields:
            reader.add("R302", spec.item, where=spec.where, type=self.name, key="scale")
            return None
        scale = reader.criterion_scale(spec.fields["scale"], spec.where, spec.criterion_id)
        return None if scale is None else {"scale": scale}

    def read_value(self, criterion, raw):
        if is_empty(raw):
            return None
        if isinstance(raw, (dict, list)):
            raise AnswerError("A008", {"id": criterion.id, "found": _kind(raw)}, "value")
        scale = criterion.scale
        number = None if isinstance(raw, bool) else parse_number(raw)
        level = scale.level(number) if number is not None else scale.level_by_label(
            normalise_text(str(raw)))
        if level is None:
            levels = [f"{format_quantity(lv.value, 'en')} = {lv.label}" for lv in scale.levels]
            raise AnswerError("A002", {"id": criterion.id, "value": shown(raw),
                                       "levels": levels}, "value")
        return level.value

    def value_fraction(self, criterion, value, tier_id, own_tier=None):
        scale = criterion.scale
        span = scale.highest - scale.lowest
        return max(0.0, min(1.0, (value - scale.lowest) / span)) if span else 1.0

    def choices(self, criterion) -> tuple[tuple[str, str], ...]:
        return tuple((level_key(level.value), level.label) for level in criterion.scale.levels)

    def demo_value(self, criterion, tier_id, q, profile):
        scale = criterion.scale
        wanted = scale.lowest + q * (scale.highest - scale.lowest)
        return min(scale.levels, key=lambda level: abs(level.value - wanted)).value

    def value_field(self, criterion, lang):
        return FieldSpec("", "choice", translator(lang).gettext(N_("Value")),
                         self.choices(criterion))

    def field_text(self, criterion, value, lang):
        return "" if value is None else level_key(value)

    def say_value(self, criterion, value, lang):
        level = criterion.scale.level(float(value))
        number = format_quantity(value, lang)
        return f"{number} — {level.label}" if level else number

    def short_text(self, criterion, answer, lang="fa"):
        value = getattr(answer, "value", None)
        if criterion.samples is not None or value is None:
            return self.value_text(criterion, answer, lang)
        level = criterion.scale.level(float(value))
        return level.label if level else format_quantity(value, lang)

    def target_text(self, criterion, tier_id, lang="fa"):
        top = criterion.scale.levels[-1]
        return f"{format_quantity(top.value, lang)} — {top.label}"

    def client_spec(self, criterion, tier_id, reference=None):
        scale = criterion.scale
        return {**super().client_spec(criterion, tier_id, reference),
                "labels": {key: label for key, label in self.choices(criterion)},
                "levels": [level.value for level in scale.levels],
                "lowest": scale.lowest, "highest": scale.highest}


class YesNoType(CriterionType):
    name = "yesno"
    title = N_("yes or no")
    keys = ("samples",)
    sampleable = True
    widget = "choice"

    def read_value(self, criterion, raw):
        if is_empty(raw):
            return None
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, (int, float)) and raw in (0, 1):
            return bool(raw)
        if isinstance(raw, (dict, list)):
            raise AnswerError("A008", {"id": criterion.id, "found": _kind(raw)}, "value")
        answer = yes_no(str(raw))
        if answer is None:
            raise AnswerError("A005", {"id": criterion.id, "value": shown(raw)}, "value")
        return answer

    def stored_value(self, value):
        return bool(value)

    def demo_value(self, criterion, tier_id, q, profile):
        return q >= 0.5

    def value_fraction(self, criterion, value, tier_id, own_tier=None):
        return 1.0 if value else 0.0

    def choices(self, criterion, lang: str = "fa") -> tuple[tuple[str, str], ...]:
        gettext = translator(lang).gettext
        return (("yes", gettext(N_("Yes"))), ("no", gettext(N_("No"))))

    def value_field(self, criterion, lang):
        return FieldSpec("", "choice", translator(lang).gettext(N_("Value")),
                         self.choices(criterion, lang))

    def field_text(self, criterion, value, lang):
        return "" if value is None else ("yes" if value else "no")

    def say_value(self, criterion, value, lang):
        gettext = translator(lang).gettext
        return gettext(N_("Yes")) if value else gettext(N_("No"))

    def target_text(self, criterion, tier_id, lang="fa"):
        return translator(lang).gettext(N_("Yes"))

    def client_spec(self, criterion, tier_id, reference=None):
        return {**super().client_spec(criterion, tier_id, reference), "boolean": True}


def _kind(raw) -> str:
    from app.rubric.errors import Term

    return Term("a mapping") if isinstance(raw, dict) else Term("a list")
