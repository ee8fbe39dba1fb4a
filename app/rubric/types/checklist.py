"""``checklist``: items the inspector ticks, each worth points; ``full_at`` points earn the
whole weight (by default all of them)."""

from __future__ import annotations

from types import SimpleNamespace

from app.i18n import N_, format_quantity, list_separator, normalise_text, translator
from app.rubric.nodes import describe, plain_num, suggest
from app.rubric.parts import ChecklistItem
from app.rubric.reader import ScalarNode, kind_of
from app.rubric.types.base import CriterionType, FieldSpec, is_empty, shown
from app.rubric.values import AnswerError

ITEM_KEYS = ("title", "points")


class ChecklistType(CriterionType):
    name = "checklist"
    title = N_("a checklist")
    keys = ("items", "full_at")
    widget = "ticks"

    # --- the rubric file --------------------------------------------------------------------

    def read(self, reader, spec):
        fields, where = spec.fields, spec.where
        if "items" not in fields:
            reader.add("R302", spec.item, where=where, type=self.name, key="items")
            return None
        ifield = fields["items"]
        entries = reader.mapping(ifield.node, where.at("items"), None, key_pos=ifield)
        if entries is None:
            return None
        if not entries:
            reader.add("R111", ifield, where=where.at("items"))
            return None
        items, ok = [], True
        for key, entry in entries.items():
            place = where / ("item", key)
            node = entry.node
            points = 1.0
            if isinstance(node, ScalarNode) and kind_of(node) != "null":
                title = reader.text(entry, place)
            else:
                parts = reader.mapping(node, place, ITEM_KEYS, ("title",), key_pos=entry)
                if parts is None:
                    ok = False
                    continue
                title = reader.text(parts.get("title"), place.at("title"))
                if "points" in parts:
                    value = reader.number(parts["points"], place.at("points"))
                    if value is None:
                        ok = False
                    elif value <= 0:
                        reader.add("R330", parts["points"], where=place.at("points"),
                                   value=describe(parts["points"].node))
                        ok = False
                    else:
                        points = value
            if title is None:
                ok = False
                continue
            items.append(ChecklistItem(key, title, points))
        total = sum(item.points for item in items)
        full_at = None
        if "full_at" in fields:
            value = reader.number(fields["full_at"], where.at("full_at"))
            if value is not None and ok and not 0 < value <= total:
                reader.add("R331", fields["full_at"], where=where.at("full_at"),
                           value=describe(fields["full_at"].node), total=plain_num(total))
                ok = False
            full_at = value
        if not ok:
            return None
        return {"items": tuple(items), "full_at": full_at if full_at is not None else total}

    # --- answers ----------------------------------------------------------------------------

    def answer_keys(self, criterion):
        return ("value",)

    def read_answer(self, criterion, raw):
        parts = raw if isinstance(raw, dict) else {"value": raw}
        for key in ("inputs", "samples"):
            if parts.get(key) is not None:
                raise AnswerError("A015", {"id": criterion.id, "found": shown(key)}, "value")
        value = parts.get("value")
        if value is None:
            return {}
        if isinstance(value, str) and is_empty(value):
            return {}
        if not isinstance(value, list):
            raise AnswerError("A015", {"id": criterion.id, "found": shown(value)}, "value")
        keys = [item.key for item in criterion.items]
        ticked: list[str] = []
        for entry in value:
            key = normalise_text(str(entry)) if isinstance(entry, (str, int, float)) \
                and not isinstance(entry, bool) else None
            if key not in keys:
                suggestion = suggest(str(entry), keys)
                raise AnswerError("A014", {"id": criterion.id, "value": shown(entry),
                                           "known": keys}, "value",
                                  {"suggestion": suggestion} if suggestion else None)
            if key not in ticked:
                ticked.append(key)
        # in the rubric's order, so that the same ticks are always the same answer
        return {"items": tuple(k for k in keys if k in ticked)}

    # --- scoring ----------------------------------------------------------------------------

    def points(self, criterion, items) -> float:
        return sum(item.points for item in criterion.items if item.key in items)

    def value_of(self, criterion, answer, profile):
        items = getattr(answer, "items", None)
        return None if items is None else tuple(items)

    def value_fraction(self, criterion, value, tier_id, own_tier=None):
        return min(self.points(criterion, value) / criterion.full_at, 1.0)

    def details(self, criterion, answer, value, profile):
        return {"ticked_points": self.points(criterion, value)}

    def demo_answer(self, criterion, tier_id, q, profile):
        ticked, points = [], 0.0
        for item in criterion.items:
            if points >= q * criterion.full_at - 1e-9:
                break
            ticked.append(item.key)
            points += item.points
        return {"value": ticked}

    # --- storage ----------------------------------------------------------------------------

    def to_storage(self, criterion, answer, profile):
        if answer.items is None:
            return None, None
        return self.points(criterion, answer.items), {"items": list(answer.items)}

    def from_storage(self, criterion, value, data):
        items = (data or {}).get("items")
        return {} if items is None else {"items": tuple(items)}

    # --- the form ---------------------------------------------------------------------------

    def form_fields(self, criterion, lang="fa"):
        return (FieldSpec("_items", "multi", translator(lang).gettext(N_("Value")),
                          tuple((item.key, item.title) for item in criterion.items)),
                FieldSpec("_answered", "flag", translator(lang).gettext(N_("None of these"))))

    def raw_from_form(self, criterion, data):
        ticked = list(data.get("_items") or [])
        # nothing ticked is an answer only when the inspector says «none of these»
        if not ticked and not data.get("_answered"):
            return None
        return ticked

    def form_data(self, criterion, answer, lang):
        return {"_items": list(answer.items or ()), "_answered": answer.items == ()}

    def client_spec(self, criterion, tier_id, reference=None):
        # a list, not a mapping: the points add up in the rubric's order, as here
        return {**super().client_spec(criterion, tier_id, reference),
                "items": [[item.key, item.points] for item in criterion.items],
                "full_at": criterion.full_at}

    # --- words ------------------------------------------------------------------------------

    def value_text(self, criterion, answer, lang="fa"):
        items = getattr(answer, "items", None)
        if items is None:
            return ""
        gettext = translator(lang).gettext
        return gettext(N_("%(points)s of %(total)s points ticked")) % {
            "points": format_quantity(self.points(criterion, items), lang),
            "total": format_quantity(sum(i.points for i in criterion.items), lang)}

    def say_value(self, criterion, value, lang):
        """Ticked items (a tuple of keys) as the points they earn."""
        return self.value_text(criterion, SimpleNamespace(items=tuple(value)), lang)

    def short_text(self, criterion, answer, lang="fa"):
        items = getattr(answer, "items", None)
        if items is None:
            return ""
        return list_separator(lang).join(item.title for item in criterion.items
                                         if item.key in items)

    def target_text(self, criterion, tier_id, lang="fa"):
        gettext = translator(lang).gettext
        return gettext(N_("%(points)s points")) % {
            "points": format_quantity(criterion.full_at, lang)}
