"""The criteria's cards on the form page (and the authors' preview of it): the list of units,
each unit's heading, and each card's frame, its inputs (N/A and its reason, the value's
widget, the note and its counter, the field's errors), the municipality's declared value
beside them and its photos, written out here rather than by Jinja macros: a page has some
fifty cards, and drawing them was most of its time (each macro call, attribute read and
filter costs more in a template than the string it makes). The markup is the macros' markup,
byte for byte. Three parts stay in templates: the fixed part of a card (`criterion_fixed` in
templates/evaluations/_macros.html, made once per rubric version, tier and language:
app.evaluations.page.fixed_parts), the answer on a card that cannot be answered
(`criterion_answer`, same file) and the previous final's recommendations on a unit
(`follow_ups` in templates/evaluations/_organisation.html).

Escaping is markupsafe's, as the templates': every value is escaped, the page's own
translated texts are not (Jinja's gettext marks them safe) and neither are a choice's labels
(WTForms' lazy labels were inserted as they are)."""

from __future__ import annotations

from flask import current_app, url_for
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from app.bidi import isolate
from app.i18n import digits, format_number, format_quantity, format_score, translator
from app.rubric.formula import say_profile


class CriterionCards:
    """``cards.units_nav(units)``, ``cards.unit_section(unit, criterion_answer, …)``,
    ``cards.of_unit(unit, criterion_answer)`` and ``cards(criterion, criterion_answer)`` for
    one page (the macros are its template's). `fields` is forms.evaluation's
    ``FormFields`` or ``StoredFields``; `card` the score card; `answers` criterion id → the
    stored Answer; `problems` criterion id → what is wrong with it; `declared` criterion id →
    the declared value's box (None where the page has none); `photos` criterion id → the
    photos' descriptions; `photo_facts` evidence id → what a photo said of itself;
    `fixed_part` app.evaluations.page's."""

    def __init__(self, *, lang: str, fields, form_class, card, profile: dict, limits: dict,
                 photos: dict, photo_facts: dict | None, editable: bool, field_key,
                 fixed_part, tier_id: str, answers: dict, problems: dict,
                 declared: dict | None = None, evaluation_id: int | None = None,
                 memo=None):
        self.fixed_part = fixed_part
        self.form_class = form_class
        self.tier_id = tier_id
        self.answers = answers
        self.problems = problems
        self.declared = declared
        self.evaluation_id = evaluation_id
        self.lang = lang
        self.fields = fields
        self.specs = form_class.field_specs
        self.card = card
        self.profile = profile
        self.limits = limits
        self.photos = photos
        self.photo_facts = photo_facts
        self.editable = editable
        self.field_key = field_key
        gettext = translator(lang).gettext
        self.gettext = gettext
        self.text = {name: gettext(msgid) for name, msgid in _TEXTS.items()}
        # the texts of the units' list and headings and of the declared values' boxes, as
        # Jinja's gettext gives them (a format string, `%%` a percent sign)
        self.said = {name: Markup(gettext(msgid)) % {} for name, msgid in _SAID.items()}
        self.progress = Markup(gettext("%(n)s/%(total)s"))
        self.page_dir = "rtl" if lang == "fa" else "ltr"
        self.limit_shown = {name: escape(value) for name, value in limits.items()
                            if not isinstance(value, list)}
        self.note_limit = limits["note"]
        # the translated sentence is the page's own text; its numbers are escaped
        self.counter = gettext("%(n)s of %(limit)s characters")
        self.counter_limit = escape(format_number(self.note_limit, 0, lang))
        # app.evaluations.page.card_memo's: each card's plan kept per process, and its inputs
        # kept for the field data they were drawn from (only for the stored answers' data:
        # a refused post's fields carry errors and are drawn every time)
        self.memo = memo[0] if memo is not None else None
        self.memo_key = ((memo[1], tier_id, lang, editable,
                          tuple(sorted((name, str(v)) for name, v in self.limit_shown.items())))
                         if memo is not None else None)
        self.keyed_fields = memo is not None and hasattr(fields, "key_of")

    # --- the units' list and the units' sections ---------------------------------------------

    def _unit_scores(self, u) -> tuple[str, str]:
        if not u.evaluated:
            return "—", "—"
        return (escape(format_score(u.score, self.lang)),
                escape(format_score(u.raw, self.lang)))

    def _unit_plan(self, unit) -> tuple[str, str, str, str]:
        """The markup of a unit's entry in the list and of its heading that only the rubric
        version, tier and language decide, around the unit's progress and scores."""
        uid = escape(unit.id)
        title = isolate(unit.title, self.page_dir)
        said = self.said
        return ("".join(['\n      \n      <li><a href="#unit-', uid,
                         '">\n        <span class="unit-title">', title,
                         '</span>\n        <span class="progress" data-progress="', uid, '">']),
                "".join(['</span>\n        <span class="unit-score" data-unit-score="', uid,
                         '">']),
                "".join(['\n    \n    <section class="unit" id="unit-', uid, '">\n      <h2>',
                         title, "\n        <small>", said["weight"], " ",
                         escape(format_number(unit.weight_for(self.tier_id), 1, self.lang)),
                         " |\n          ", said["score"], ' <span data-unit-score="', uid,
                         '">']),
                "".join(["</span>\n          (", said["raw"], ' <span data-unit-raw="', uid,
                         '">']))

    def _kept_unit_plan(self, unit) -> tuple[str, str, str, str]:
        if self.memo is None:
            return self._unit_plan(unit)
        return self.memo.plans.made((self.memo_key, "unit", unit.id),
                                    lambda: self._unit_plan(unit))

    def units_nav(self, units) -> Markup:
        """The list of the page's units beside the form (`units`: the rubric's units)."""
        lang, tier_id, card = self.lang, self.tier_id, self.card
        out = ['\n  <nav class="sections" aria-label="', self.said["units"],
               '">\n    <ol>\n    ']
        for unit in units:
            if not unit.applies(tier_id):
                continue
            u = card.unit(unit.id)
            head, middle, _section, _raw = self._kept_unit_plan(unit)
            out += [head, self.progress % {"n": digits(u.answered, lang),
                                           "total": digits(u.applicable_criteria, lang)},
                    middle, self._unit_scores(u)[0], "</span>\n      </a></li>\n    "]
        out.append("\n    </ol>\n  </nav>\n")
        return Markup("".join(out))

    def unit_section(self, unit, criterion_answer, follow_ups=None, carried=None) -> Markup:
        """One unit with its heading, the previous final's recommendations on it (`carried`:
        app.recommendations.services.carried_over's, drawn by `follow_ups`, a macro of
        templates/evaluations/_organisation.html) and the cards of its criteria."""
        u = self.card.unit(unit.id)
        score, raw = self._unit_scores(u)
        _head, _middle, section, raw_part = self._kept_unit_plan(unit)
        out = [section, score, raw_part, raw, "</span>)</small>\n      </h2>\n      "]
        items = carried["by_unit"].get(unit.id) if carried is not None else None
        if items:
            out.append(follow_ups(items, carried["previous"].cycle.year, self.evaluation_id,
                                  self.editable))
        out += ["\n      ", self.of_unit(unit, criterion_answer), "\n    </section>\n"]
        return Markup("".join(out))

    # --- the cards ----------------------------------------------------------------------------

    def of_unit(self, unit, criterion_answer) -> Markup:
        """The cards of a unit's criteria that apply to the page's tier."""
        tier_id = self.tier_id
        return Markup("".join(
            f"\n        {self(criterion, criterion_answer)}\n      "
            for criterion in unit.criteria if criterion.applies(tier_id)))

    def _plan(self, criterion) -> tuple:
        """(field key, escaped id, the article's markup after its class, the photos' part
        of a card without photos, the names of the criterion's fields): what only the
        rubric version, tier, language, editability and limits decide."""
        key = self.field_key(criterion.id)
        cid = escape(criterion.id)
        head = "".join([
            '" id="crit-', key, '"\n         data-criterion="', cid, '" data-key="', key,
            '" data-type="', escape(criterion.type), '" data-widget="',
            escape(criterion.kind.form_widget(criterion)), '">\n',
            self.fixed_part(criterion, self.tier_id), "\n  "])
        no_photos = None
        if self.editable:
            parts: list = []
            self._photos(parts, [], key, cid)
            no_photos = "".join(parts)
        spec = next((spec for spec in self.form_class.criteria_fields
                     if spec.criterion.id == criterion.id), None)
        names = () if spec is None else tuple(
            [name for _suffix, name in spec.parts]
            + [name for name in (spec.na, spec.na_reason, spec.note) if name])
        return key, cid, head, no_photos, names

    def __call__(self, criterion, criterion_answer) -> Markup:
        key, cid, head, no_photos, names = (
            self._plan(criterion) if self.memo is None
            else self.memo.plans.made((self.memo_key, criterion.id),
                                      lambda: self._plan(criterion)))
        problem = self.problems.get(criterion.id)
        answer = self.answers.get(criterion.id)
        out = ["\n\n\n\n\n\n\n\n<article class=\"criterion",
               " has-problem" if problem else "", head]
        if answer and answer.review_comment:
            out += ['\n    <p class="review-comment"><b>', self.text["comment"], ":</b> ",
                    escape(isolate(answer.review_comment)), "</p>\n  "]
        out.append("\n  ")
        if problem:
            out += ['<p class="error" role="alert">', escape(problem), "</p>"]
        out.append("\n  ")
        box = self.declared.get(criterion.id) if self.declared is not None else None
        if box:
            out.append(self._declared(box, key))
        out.append("\n\n  ")
        if self.editable:
            if self.keyed_fields:
                self._kept_inputs(out, criterion, key, cid, names)
            else:
                self._inputs(out, criterion, key, cid)
        out.append("\n  \n  ")
        shots = self.photos.get(criterion.id)
        if shots:
            self._photos(out, shots, key, cid)
        elif self.editable:
            out.append(no_photos)
        out.append("\n  ")
        if not self.editable:
            out += [criterion_answer(criterion, self.card.criterion(criterion.id), answer, key),
                    "  "]
        out.append("\n</article>\n")
        return Markup("".join(out))

    def _kept_inputs(self, out: list, criterion, key: str, cid: str, names: tuple) -> None:
        """The card's inputs from memory when they were drawn before for the same field data
        (and, for a computed value, the same value and profile), else drawn and kept."""
        extra = None
        if criterion.formula is not None:
            c = self.card.criterion(criterion.id)
            extra = (c.answered, c.value, tuple(self.profile.get(name)
                                                for name in criterion.formula.profile_names()))
        drawn_key = (self.memo_key, criterion.id, self.fields.key_of(names), extra)

        def draw() -> str:
            parts: list = []
            self._inputs(parts, criterion, key, cid)
            return "".join(parts)

        out.append(self.memo.inputs.made(drawn_key, draw))

    # --- the municipality's declared value ----------------------------------------------------

    def _declared(self, box: dict, key: str) -> str:
        """The declared value's box beside the field (app.declarations.services.form_boxes);
        its buttons post the outer form to their own routes (app/static/js/organisation.js
        fills the card or saves in place)."""
        row, said = box["row"], self.said
        cid = row.criterion.id
        policies = current_app.jinja_env.policies
        fill = htmlsafe_json_dumps(box["fill"], dumps=policies["json.dumps_function"],
                                   **policies["json.dumps_kwargs"])
        verdict = {"confirmed": said["confirmed"], "corrected": said["corrected"]}.get(
            row.verdict, said["unverified"])
        out = ['\n\n<div class="declared verdict-', escape(row.verdict),
               '" data-org data-declared="', escape(cid), '"\n     data-fill="',
               escape(str(fill)), '">\n  <p><b>', said["declared"],
               ':</b> <strong class="declared-value">', escape(row.declared_text or "—"),
               '</strong>\n    <span class="verdict" data-verdict>', verdict, "</span></p>\n  "]
        if box["note"]:
            out += ['<p class="muted">', isolate(box["note"], self.page_dir), "</p>"]
        out.append("\n  ")
        if self.editable:
            eid = self.evaluation_id
            reason = escape(url_for("declarations.reason", evaluation_id=eid, criterion_id=cid))
            out += ['\n    <button type="submit" class="button" data-confirm-declared\n'
                    '            formaction="',
                    escape(url_for("declarations.confirm", evaluation_id=eid,
                                   criterion_id=cid)),
                    '">', said["confirm"], '</button>\n    <label class="field reason">',
                    said["why"], '\n      <textarea name="reason-', key,
                    '" rows="2" dir="auto" maxlength="1000">', escape(box["reason"]),
                    '</textarea></label>\n    <button type="submit" class="button" '
                    'data-save-reason\n            data-url="', reason,
                    '"\n            formaction="', reason, '">', said["save_reason"],
                    '</button>\n    <span class="org-state" data-org-state role="status" '
                    'data-saved="', said["saved"], '"></span>\n  ']
        elif box["reason"]:
            out += ["\n    <p><b>", said["differs"], ":</b> ",
                    isolate(box["reason"], self.page_dir), "</p>\n  "]
        out.append("\n</div>\n")
        return "".join(out)

    # --- the inputs -------------------------------------------------------------------------

    def _inputs(self, out: list, criterion, key: str, cid: str) -> None:
        fields, t, limits = self.fields, self.text, self.limit_shown
        out.append("\n    \n    ")
        if criterion.allow_na:
            out += ['\n      \n      <div class="na">\n        <label class="check">'
                    '<input type="checkbox" name="', key, '_na" value="y"',
                    " checked" if fields.data(key + "_na") else "", "> ", t["na"],
                    '</label>\n        <label class="field na-reason">', t["why"],
                    ' <input type="text" name="', key, '_na_reason" value="',
                    escape(fields.data(key + "_na_reason") or ""), '" maxlength="',
                    limits["reason"], '" dir="auto"></label>\n      </div>\n    ']
        out.append('\n    <div class="value-part" data-value-part>\n    ')
        widget = criterion.kind.form_widget(criterion)
        if widget == "choice":
            self._choice(out, criterion, key)
            out.append("\n    ")
        elif widget == "inputs":
            self._computed(out, criterion, key)
            out.append("\n    ")
        elif widget == "ticks":
            self._checklist(out, criterion, key)
            out.append("\n    ")
        elif widget == "samples":
            self._samples(out, criterion, key)
            out.append("\n    ")
        else:
            self._number(out, criterion, key)
        note = fields.data(key + "_note") or ""
        out += ['\n    </div>\n    \n    <label class="field note">', t["note"]]
        if criterion.note_required_below is not None:
            out += [' <small class="muted">', t["note_low"], "</small>"]
        out += ['\n      <textarea name="', key, '_note" rows="2" dir="auto" '
                'aria-describedby="count-', key, '">', escape(note),
                '</textarea></label>\n    <p class="counter muted',
                " over" if len(note) > self.note_limit else "", '" id="count-', key,
                '" data-counter>',
                self.counter % {"n": escape(format_number(len(note), 0, self.lang)),
                                "limit": self.counter_limit},
                "</p>\n    "]
        for error in fields.errors(key + "_note"):
            out += ['<p class="error">', escape(error), "</p>"]
        out += ['\n    <p class="field-error" data-error-for="', cid,
                '" role="alert" hidden></p>\n  ']

    def _choices(self, spec) -> list[tuple[str, str]]:
        """(value, label) of a choice field: the label as WTForms' lazy label shows it."""
        gettext = self.gettext
        return [(escape(value), gettext(text)) for value, text in spec.choices]

    def _choice(self, out: list, criterion, key: str) -> None:
        data = self.fields.data(key)
        out += ['\n      <fieldset class="choices" aria-label="', escape(criterion.title),
                '">\n        ']
        for value, label in self._choices(self.specs[key]):
            out += ['\n          <label class="choice"><input type="radio" name="', key,
                    '" value="', value, '"',
                    " checked" if data is not None and value == str(data) else "",
                    "><span>", label, "</span></label>\n        "]
        out.append("\n      </fieldset>\n      ")
        for error in self.fields.errors(key):
            out += ['<span class="error">', escape(error), "</span>"]
        out.append("\n")

    def _number(self, out: list, criterion, key: str) -> None:
        sign = criterion.kind.unit_sign(criterion, self.lang)
        out += ['\n      \n      <label class="field number">\n        <span>',
                self.text["value"]]
        if sign:
            out += [" (", escape(sign), ")"]
        out += ['</span>\n        <input type="text" name="', key, '" value="',
                escape(self.fields.data(key) or ""),
                '" inputmode="decimal" autocomplete="off" dir="ltr" maxlength="',
                self.limit_shown["value"], '" class="num">\n      </label>\n']

    def _computed(self, out: list, criterion, key: str) -> None:
        lang, fields = self.lang, self.fields
        out.append('\n      <div class="inputs">\n        ')
        for item in criterion.inputs:
            name = f"{key}_in_{item.name}"
            out += ['\n          \n          <label class="field number">\n            <span>',
                    escape(item.title)]
            if item.unit_label:
                out += [" (", escape(item.unit_label), ")"]
            out += ['</span>\n            <input type="text" name="', escape(name), '" value="',
                    escape(fields.data(name) or ""),
                    '" inputmode="decimal" autocomplete="off" dir="ltr" maxlength="',
                    self.limit_shown["value"], '" class="num" data-input="',
                    escape(item.name), '">\n          </label>\n        ']
        out.append('\n      </div>\n      <p class="computed">\n        ')
        for name in criterion.formula.profile_names():
            out += ['\n          <span class="profile-value">',
                    escape(say_profile(name, self.profile.get(name), lang)),
                    "</span>\n        "]
        c = self.card.criterion(criterion.id)
        out += ["\n        <span>", self.text["computed"], ": <strong data-computed>",
                escape(format_quantity(c.value, lang)) if c.answered else "—", "</strong>"]
        if criterion.unit_label:
            out += [" ", escape(criterion.unit_label)]
        out.append("</span>\n      </p>\n")

    def _checklist(self, out: list, criterion, key: str) -> None:
        lang, fields = self.lang, self.fields
        ticked = fields.data(key + "_items") or []
        points = Markup(self.gettext("%(points)s points"))
        out += ['\n      \n      <fieldset class="check-list" aria-label="',
                escape(criterion.title), '">\n        ']
        for item in criterion.items:
            out += ['\n          <label class="check-item"><input type="checkbox" name="', key,
                    '_items" value="', escape(item.key), '"',
                    " checked" if item.key in ticked else "",
                    ">\n            <span>", escape(item.title), '</span> <small class="muted">',
                    points % {"points": format_quantity(item.points, lang)},
                    "</small></label>\n        "]
        out += ['\n        <label class="check-item none"><input type="checkbox" name="', key,
                '_answered" value="y"', " checked" if fields.data(key + "_answered") else "",
                "> <span>", self.text["none"], "</span></label>\n      </fieldset>\n"
                '      <p class="muted">',
                Markup(self.gettext("Full points at %(n)s points"))
                % {"n": format_quantity(criterion.full_at, lang)}, "</p>\n"]

    def _samples(self, out: list, criterion, key: str) -> None:
        t, limits = self.text, self.limit_shown
        name = key + "_samples"
        row_widget = criterion.kind.widget
        choices = self._choices(self.specs[name].row) if row_widget == "choice" else ()
        out += ['\n      \n      <div class="samples" data-samples="', key,
                '_samples">\n        <table class="sample-rows">\n          <thead><tr>'
                '<th scope="col">', t["site"], '</th><th scope="col">', t["value"],
                '</th><th><span class="visually-hidden">', t["remove"],
                "</span></th></tr></thead>\n          <tbody>\n          "]
        for site_name, site, value_name, value in self.fields.rows(name):
            out += ['\n            <tr data-row>\n              <td><input type="text" name="',
                    escape(site_name), '" value="', escape(site or ""), '" maxlength="',
                    limits["site"], '" dir="auto" data-part="site" aria-label="', t["site"],
                    '"></td>\n              <td>']
            if row_widget == "choice":
                out += ['\n                <select name="', escape(value_name),
                        '" data-part="value" aria-label="', t["value"],
                        '">\n                  <option value=""></option>\n                  ']
                for choice, label in choices:
                    out += ['<option value="', choice, '"',
                            " selected" if value is not None and choice == str(value) else "",
                            ">", label, "</option>"]
                out.append("\n                </select>\n              ")
            else:
                out += ['\n                <input type="text" name="', escape(value_name),
                        '" value="', escape(value or ""),
                        '" inputmode="decimal" dir="ltr" maxlength="', limits["value"],
                        '" class="num" data-part="value" aria-label="', t["value"],
                        '">\n              ']
            out += ['</td>\n              <td><button type="button" class="button small" '
                    "data-remove-row>", t["remove"],
                    "</button></td>\n            </tr>\n          "]
        out += ['\n          </tbody>\n        </table>\n        <button type="button" '
                'class="button" data-add-row>', t["add_site"], "</button>\n      </div>\n"]

    # --- the photos -------------------------------------------------------------------------

    def _photos(self, out: list, shots: list, key: str, cid: str) -> None:
        t, facts = self.text, self.photo_facts
        out += ['\n  <div class="photos" data-photos-for="', cid, '">\n    ']
        for shot in shots:
            name = escape(shot["name"])
            out += ['\n      <figure class="thumb" data-photo-id="', escape(shot["id"]),
                    '">\n        <a href="', escape(shot["url"]),
                    '" target="_blank" rel="noopener"><img src="', escape(shot["thumb"]),
                    '" alt="', name, '" loading="lazy" width="96" height="96"></a>\n'
                    "        <figcaption><bdi>", name, '</bdi><br><span class="muted">',
                    escape(shot["when"]), "</span>"]
            if facts and facts.get(shot["id"]):
                out += ['<br><span class="photo-facts">', escape(facts[shot["id"]]), "</span>"]
            out.append("</figcaption>\n        ")
            if self.editable:
                out += ['<button type="button" class="button small" '
                        'data-photo-action="remove">', t["remove"], "</button>\n"
                        '        <button type="button" class="button small" '
                        'data-photo-action="replace">', t["replace"], "</button>"]
            out.append("\n      </figure>\n    ")
        out.append("\n    ")
        if self.editable:
            out += ['\n      <div class="photo-buttons">\n        <label class="button '
                    'photo-button">', t["camera"], '\n          <input type="file" name="photo-',
                    key, '" accept="image/*" capture="environment" class="photo-input" '
                    'data-source="camera" data-criterion="', cid, '"></label>\n'
                    '        <label class="button photo-button">', t["gallery"],
                    '\n          <input type="file" accept="image/*" multiple '
                    'class="photo-input" data-source="gallery" data-criterion="', cid,
                    '"></label>\n      </div>\n    ']
        out.append("\n  </div>\n  ")


#: the texts of the cards, translated once per page
_TEXTS = {"value": "Value", "na": "Not applicable", "why": "Why it does not apply",
          "note": "Note", "note_low": "required when the score is low",
          "camera": "Take a photo", "gallery": "From the gallery", "remove": "Remove",
          "replace": "Replace", "computed": "Computed value", "none": "None of these",
          "site": "Site", "add_site": "Add a site", "comment": "Reviewer's comment"}

#: the texts the templates translated (Jinja's gettext: a format string, marked safe)
_SAID = {"units": "Units", "weight": "weight", "score": "score", "raw": "raw",
         "declared": "Declared by the municipality", "confirmed": "Confirmed",
         "corrected": "Corrected", "unverified": "Not verified",
         "confirm": "Confirm the declared value", "why": "If the verified value differs: why",
         "save_reason": "Save the reason", "saved": "Saved.", "differs": "Why it differs"}
