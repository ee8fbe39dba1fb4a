"""The base of every criterion type: what a type must say about itself, and the behaviour all
types share (N/A, notes, observations at several sites).

A criterion type is one object that owns, for its criteria:

- the rubric file: the YAML keys it adds and their checks (:meth:`CriterionType.read`);
- answers: reading and validating one (:meth:`read_answer`, :meth:`read_value`);
- scoring: the fraction of the weight earned (:meth:`value_fraction`, :meth:`measure`);
- storage: how an answer is kept in the database and read back;
- the form: the fields it needs and how their data turns into an answer and back;
- words: how its value and its target are said (fa/en);
- the page's script: what the form's JavaScript needs to know, as plain data.

Everything here is pure: no Flask, no database, no WTForms. A new type is one module in this
package that defines a subclass and registers it (see :mod:`app.rubric.types`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.i18n import N_, format_number, format_quantity, normalise_text, translator
from app.rubric.values import AnswerError, AnswerValue, Sample

if TYPE_CHECKING:
    from app.rubric.model import Criterion

#: a fraction this close to 1 counts as full (for the «share» of samples)
_EPSILON = 1e-9
AGGREGATES = ("mean", "min", "share")
#: most sites one sampled criterion may list (a tablet form, not a survey)
MAX_SAMPLES = 100
MAX_SITE = 200
#: places an example answer observes
DEMO_SITES = ("بوستان مرکزی", "میدان اصلی شهر", "بوستان محله", "خیابان اصلی", "بازار روز",
              "پایانه مسافربری")


@dataclass(frozen=True)
class Measure:
    """A scored answer: the value scored (None when the type has no single value), the
    fraction of tier T and the raw fraction (reference tier), and details for reports."""

    value: Any
    fraction: float
    raw_fraction: float
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldSpec:
    """One input of a criterion's form card. `suffix` is appended to the criterion's field
    name; `kind` is "text" (one line of typed text), "choice" (one of `choices`), "multi"
    (any of `choices`) or "samples" (rows of a site and a value asked like `row`)."""

    suffix: str
    kind: str
    label: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    row: FieldSpec | None = None


class CriterionType:
    """Base of the criterion types. Subclasses set the class attributes and override what
    differs; the defaults describe a type answered with one typed value."""

    #: the value of ``type:`` in the rubric file
    name: str = ""
    #: how the type is named in messages and diffs ("a scale", "yes or no" …)
    title: str = ""
    #: YAML keys the type adds to the keys every criterion has
    keys: tuple[str, ...] = ()
    #: whether ``samples:`` (observations at several sites) is allowed
    sampleable: bool = False
    #: how the form asks for one value: "choice", "number", "inputs" or "ticks"
    widget: str = "number"

    # --- the rubric file --------------------------------------------------------------------

    def read(self, reader, spec) -> dict | None:
        """Check the type's own keys of one criterion and return them as Criterion fields
        (None when they could not be read; the problems are reported through `reader`).

        `reader` is the loader's builder (``add``, ``number``, ``text``, ``per_tier`` …);
        `spec` holds the criterion's node, fields, place and tiers."""
        return {}

    # --- answers ----------------------------------------------------------------------------

    def read_value(self, criterion: Criterion, raw: object) -> float | bool | None:
        """One typed value (an answer's, or one site's); None for an empty one."""
        raise NotImplementedError

    def read_answer(self, criterion: Criterion, raw: object) -> dict:
        """The type's part of an answer from what was written: ``value`` of a plain answer,
        or the whole ``{value, inputs, samples, …}`` mapping without note and N/A. Returns
        AnswerValue fields; raises :class:`AnswerError`."""
        parts = raw if isinstance(raw, dict) else {"value": raw}
        if criterion.samples is not None:
            return {"samples": self._read_samples(criterion, parts)}
        if "samples" in parts and parts["samples"] is not None:
            raise AnswerError("A016", {"id": criterion.id}, "samples",
                              hint="inputs" if criterion.computed else "default")
        if "inputs" in parts and parts["inputs"] is not None:
            raise AnswerError("A010", {"id": criterion.id}, "inputs")
        return {"value": self.read_value(criterion, parts.get("value"))}

    def answer_keys(self, criterion: Criterion) -> tuple[str, ...]:
        """The keys an answer mapping may hold besides note and N/A."""
        return ("value", "samples", "inputs")

    def _read_samples(self, criterion: Criterion, parts: dict) -> tuple[Sample, ...] | None:
        if not _is_empty(parts.get("value")):
            raise AnswerError("A018", {"id": criterion.id}, "value")
        rows = parts.get("samples")
        if rows is None:
            return None
        if not isinstance(rows, list):
            raise AnswerError("A017", {"id": criterion.id, "number": 1}, "samples")
        if len(rows) > MAX_SAMPLES:
            raise AnswerError("A019", {"id": criterion.id, "limit": MAX_SAMPLES}, "samples")
        samples = []
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, dict) or set(row) - {"site", "value"}:
                raise AnswerError("A017", {"id": criterion.id, "number": number}, "samples",
                                  index=number - 1)
            site = "" if row.get("site") is None else normalise_text(str(row["site"]))
            if not site or len(site) > MAX_SITE:
                raise AnswerError("A017", {"id": criterion.id, "number": number}, "samples",
                                  index=number - 1)
            try:
                value = self.read_value(criterion, row.get("value"))
            except AnswerError as error:
                # the sample's own problem, said at that sample and naming its site
                raise AnswerError("A025", {"id": criterion.id, "site": site,
                                           "problem": error.problem()}, "samples",
                                  index=number - 1) from None
            if value is None:
                raise AnswerError("A020", {"id": criterion.id, "site": site}, "samples",
                                  index=number - 1)
            samples.append(Sample(site, value))
        return tuple(samples)

    # --- scoring ----------------------------------------------------------------------------

    def value_fraction(self, criterion: Criterion, value, tier_id: str,
                       own_tier: str | None = None) -> float:
        """The fraction in [0, 1] one value earns against tier `tier_id`'s targets (falling
        back to `own_tier`'s where `tier_id` has none)."""
        raise NotImplementedError

    def value_of(self, criterion: Criterion, answer, profile: Mapping[str, float]):
        """The value an answer gives for scoring; None when it gives none (unanswered)."""
        return getattr(answer, "value", None)

    def measure(self, criterion: Criterion, answer, tier_id: str, reference: str,
                profile: Mapping[str, float]) -> Measure | None:
        """The answer scored for tier `tier_id` and, raw, for `reference`; None when it
        does not answer the criterion (it is then listed as missing)."""
        if criterion.samples is not None:
            return self._measure_samples(criterion, answer, tier_id, reference)
        value = self.value_of(criterion, answer, profile)
        if value is None:
            return None
        return Measure(value, self.value_fraction(criterion, value, tier_id),
                       self.value_fraction(criterion, value, reference, tier_id),
                       self.details(criterion, answer, value, profile))

    def details(self, criterion: Criterion, answer, value, profile) -> dict:
        """What a report or the score card shows beside the value (inputs, items …)."""
        return {}

    def _measure_samples(self, criterion: Criterion, answer, tier_id: str, reference: str
                         ) -> Measure | None:
        samples = getattr(answer, "samples", None)
        rule = criterion.samples
        if samples is None or len(samples) < rule.min or not samples:
            return None
        fractions = [self.value_fraction(criterion, s.value, tier_id) for s in samples]
        raws = [self.value_fraction(criterion, s.value, reference, tier_id) for s in samples]
        rows = [{"site": s.site, "value": s.value, "fraction": f, "raw_fraction": r}
                for s, f, r in zip(samples, fractions, raws, strict=True)]
        return Measure(None, aggregate(rule.aggregate, fractions),
                       aggregate(rule.aggregate, raws), {"samples": rows})

    # --- storage ----------------------------------------------------------------------------

    def to_storage(self, criterion: Criterion, answer: AnswerValue,
                   profile: Mapping[str, float]) -> tuple[float | None, dict | None]:
        """(the number kept in the answer's value column, the structured rest or None)."""
        if answer.samples is not None:
            return None, {"samples": [{"site": s.site, "value": _plain(s.value)}
                                      for s in answer.samples]}
        return _plain(answer.value), None

    def from_storage(self, criterion: Criterion, value: float | None,
                     data: Mapping | None) -> dict:
        """AnswerValue fields from what :meth:`to_storage` kept."""
        if criterion.samples is not None:
            rows = (data or {}).get("samples")
            if rows is None:
                return {}
            return {"samples": tuple(Sample(row["site"], self.stored_value(row["value"]))
                                     for row in rows)}
        return {"value": None if value is None else self.stored_value(value)}

    def stored_value(self, value: float):
        """A typed value as kept (a float) back in the type's own form."""
        return value

    # --- the form ---------------------------------------------------------------------------

    def value_field(self, criterion: Criterion, lang: str) -> FieldSpec:
        """The field that asks for one typed value (suffix "")."""
        return FieldSpec("", "text", translator(lang).gettext(N_("Value")))

    def form_fields(self, criterion: Criterion, lang: str = "fa") -> tuple[FieldSpec, ...]:
        """Every input of the criterion's card besides N/A and the note."""
        field_ = self.value_field(criterion, lang)
        if criterion.samples is not None:
            gettext = translator(lang).gettext
            return (FieldSpec("_samples", "samples", gettext(N_("Sites")),
                              row=FieldSpec("value", field_.kind, field_.label,
                                            field_.choices)),)
        return (field_,)

    def form_widget(self, criterion: Criterion) -> str:
        return "samples" if criterion.samples is not None else self.widget

    def raw_from_form(self, criterion: Criterion, data: Mapping[str, object]) -> object:
        """What the form's fields hold (suffix → data) as an answer the type reads."""
        if criterion.samples is not None:
            rows = [row for row in (data.get("_samples") or [])
                    if not _is_empty(row.get("site")) or not _is_empty(row.get("value"))]
            return {"samples": rows} if rows else None
        return data.get("")

    def form_data(self, criterion: Criterion, answer: AnswerValue, lang: str
                  ) -> dict[str, object]:
        """The fields' initial data (suffix → data) for a stored answer."""
        if criterion.samples is not None:
            return {"_samples": [{"site": s.site, "value": self.field_text(criterion, s.value,
                                                                           lang)}
                                 for s in answer.samples or ()]}
        return {"": self.field_text(criterion, answer.value, lang)}

    def field_text(self, criterion: Criterion, value, lang: str) -> str:
        """A typed value as its field shows it (a choice key, or digits)."""
        if value is None:
            return ""
        return format_quantity(value, lang, grouping=False)

    def client_spec(self, criterion: Criterion, tier_id: str,
                    reference: str | None = None) -> dict:
        """What the page's script needs to read the card, check what was typed and score it
        as the engine does (``static/js/scoring.js``), for tier `tier_id`: plain data.

        With `reference` (the rubric's reference tier) the rules of both scores come along:
        ``score.adjusted`` for the tier, ``score.raw`` for the reference tier (falling back to
        the tier's own targets where the reference has none, as :meth:`value_fraction`)."""
        spec: dict = {"widget": self.form_widget(criterion), "type": criterion.type,
                      "weight": criterion.weight_for(tier_id), "allow_na": criterion.allow_na}
        if criterion.note_required_below is not None:
            spec["note_below"] = criterion.note_required_below
        if criterion.samples is not None:
            spec["row"] = self.widget
            spec["samples"] = {"min": criterion.samples.min,
                               "aggregate": criterion.samples.aggregate, "max": MAX_SAMPLES,
                               "site_max": MAX_SITE}
        if reference is not None:
            spec["score"] = {"adjusted": self.client_rule(criterion, tier_id, None),
                             "raw": self.client_rule(criterion, reference, tier_id)}
        return spec

    def client_rule(self, criterion: Criterion, tier_id: str, own_tier: str | None) -> dict:
        """What :meth:`value_fraction` reads for tier `tier_id` (with `own_tier`'s fallback
        already applied), as plain data for the page; {} when it reads nothing per tier."""
        return {}

    # --- example answers -------------------------------------------------------------------

    def demo_value(self, criterion: Criterion, tier_id: str, q: float,
                   profile: Mapping[str, float]):
        """A typed value that earns about `q` (0–1) of the points: demo data, benchmarks."""
        raise NotImplementedError

    def demo_answer(self, criterion: Criterion, tier_id: str, q: float,
                    profile: Mapping[str, float]) -> dict:
        """An answer (as the form sends it) that earns about `q` of the points."""
        if criterion.samples is not None:
            count = max(criterion.samples.min, 2)
            sites = [DEMO_SITES[i % len(DEMO_SITES)] for i in range(count)]
            return {"samples": [{"site": site, "value": self.demo_value(
                criterion, tier_id, q, profile)} for site in sites]}
        return {"value": self.demo_value(criterion, tier_id, q, profile)}

    # --- words ------------------------------------------------------------------------------

    def unit_sign(self, criterion: Criterion, lang: str = "fa") -> str:
        """The unit a typed value is in, as its field's label says it ("" for none)."""
        return ""

    def say_value(self, criterion: Criterion, value, lang: str) -> str:
        """One typed value in words, as a report prints it."""
        return format_quantity(value, lang)

    def value_text(self, criterion: Criterion, answer, lang: str = "fa") -> str:
        """The answer as a report prints it (مقدار); "" when unanswered."""
        if criterion.samples is not None:
            samples = getattr(answer, "samples", None) or ()
            if not samples:
                return ""
            gettext = translator(lang).gettext
            return gettext(N_("%(n)s sites")) % {"n": format_number(len(samples), 0, lang)}
        value = getattr(answer, "value", None)
        return "" if value is None else self.say_value(criterion, value, lang)

    def result_text(self, criterion: Criterion, scored, lang: str = "fa") -> str:
        """A scored answer (a :class:`CriterionScore`) in words, as the report and the
        reviewer's page print it: the value scored, computed ones included; "" when
        unanswered."""
        if not getattr(scored, "answered", False):
            return ""
        if "samples" in scored.details:
            gettext = translator(lang).gettext
            return gettext(N_("%(n)s sites")) % {
                "n": format_number(len(scored.details["samples"]), 0, lang)}
        return self.say_value(criterion, scored.value, lang)

    def inputs_text(self, criterion: Criterion, answer, lang: str = "fa") -> str:
        """What the inspector or the municipality counted for a computed criterion, in words
        («درآمد وصولی: ۸۰۰ میلیون ریال، …»); "" for criteria that are typed."""
        return ""

    def short_text(self, criterion: Criterion, answer, lang: str = "fa") -> str:
        """The answer in an export cell: the words without decoration."""
        return self.value_text(criterion, answer, lang)

    def target_text(self, criterion: Criterion, tier_id: str, lang: str = "fa") -> str:
        """What earns the whole weight for tier `tier_id`, in words; "" when nothing says."""
        return ""

    def rule_text(self, criterion: Criterion, lang: str = "fa") -> str:
        """How sites are combined, in words ("" when not sampled)."""
        if criterion.samples is None:
            return ""
        gettext = translator(lang).gettext
        words = {"mean": N_("the mean of at least %(n)s sites"),
                 "min": N_("the weakest of at least %(n)s sites"),
                 "share": N_("the share of fully met sites, at least %(n)s sites")}
        return gettext(words[criterion.samples.aggregate]) % {
            "n": format_number(criterion.samples.min, 0, lang)}


def aggregate(how: str, fractions: Sequence[float]) -> float:
    if how == "min":
        return min(fractions)
    if how == "share":
        return sum(1 for f in fractions if f >= 1 - _EPSILON) / len(fractions)
    return sum(fractions) / len(fractions)


def _is_empty(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not normalise_text(raw))


def _plain(value):
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    return value


def shown(raw: object) -> str:
    """A value as a message quotes it."""
    if isinstance(raw, bool):
        return f"«{str(raw).lower()}»"
    text = str(raw)
    if len(text) > 40:
        text = text[:39] + "…"
    return f"«{text}»"


is_empty = _is_empty
