"""What the inspectors' form page needs besides its fields: the one JSON block its script
reads (URLs, limits, messages, the stored answers, the scoring rules), and the limits the
template writes into its fields. Limits live where they are decided (the configuration, the
answer's parts in app.rubric.values, the photos in app.evidence.services); the template and
the script only repeat what they are given."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from flask import current_app, url_for
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from app.evaluations.scorecards import profile_key
from app.evaluations.services import REVIEW_COMMENT_MAX, REVIEW_MESSAGE_MAX
from app.evidence.services import CLIENT_MAX_SIDE
from app.i18n import _, current_lang, translator
from app.rubric.types.base import MAX_SITE
from app.rubric.values import REASON_MAX_CHARS, VALUE_MAX_CHARS
from app.scoring.client import page_rules

#: the longest text a date field takes (۱۴۰۵/۰۹/۱۰ with spaces to spare)
DATE_MAX_CHARS = 20


class Kept(dict):
    """A per-process memory of what the form page drew, bounded: emptied when it holds
    `limit` entries (what was drawn is drawn again; nothing is ever served stale, since every
    key names all that the entry depends on)."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def keep(self, key, value) -> None:
        if len(self) >= self.limit:
            self.clear()
        self[key] = value

    def made(self, key, make):
        """The value kept under `key`, else `make()`'s, kept."""
        found = self.get(key)
        if found is None:
            found = make()
            self.keep(key, found)
        return found


#: (rubric version's sha256, criterion id, tier, language) → the card's fixed part
_FIXED: Kept = Kept(5_000)

#: set inside :func:`built_fresh`: nothing below is read from or kept in memory
_FRESH: ContextVar[bool] = ContextVar("form_page_fresh", default=False)


@contextmanager
def built_fresh():
    """Inside this block the form page is drawn from scratch: no card's fixed part, card
    plan or card inputs (app.evaluations.cards) and no scoring rules are taken from memory
    or kept there. The tests draw each page both ways and compare them."""
    token = _FRESH.set(True)
    try:
        yield
    finally:
        _FRESH.reset(token)


class CardMemo:
    """What app.evaluations.cards keeps per process for the cards of one published rubric
    version (`rubric_sha`): each card's plan (the markup only the version, tier, language,
    editability and limits decide) and the inputs of a card as drawn for given field data
    (what the stored answers put in its fields). Bounded: emptied when full."""

    def __init__(self):
        self.plans = Kept(5_000)
        self.inputs = Kept(4_000)


_CARDS = CardMemo()


def card_memo(rubric_sha: str | None) -> tuple[CardMemo, str] | None:
    """The memory the form page's cards draw from, with the key of their rubric version; None
    for a draft's preview (`rubric_sha` None) and inside :func:`built_fresh`."""
    if rubric_sha is None or _FRESH.get():
        return None
    return _CARDS, rubric_sha


def fixed_parts(rubric_sha: str | None):
    """The ``fixed_part(criterion, tier_id)`` a form page's cards (app.evaluations.cards)
    call for each criterion: the part of the card that only the rubric version, the tier and
    the language decide (number and title, guidance, evidence, target or steps, the sampling
    rule), as the macro ``criterion_fixed`` of templates/evaluations/_macros.html renders it.
    For a published version (`rubric_sha`) it is rendered once per process and reused, since
    the version never changes; for a draft's preview (None), every time."""
    def fixed_part(criterion, tier_id: str) -> Markup:
        lang = current_lang()
        key = (rubric_sha, criterion.id, tier_id, lang)

        def draw() -> Markup:
            module = current_app.jinja_env.get_template(
                "evaluations/_macros.html").make_module({"lang": lang})
            return Markup(module.criterion_fixed(criterion, tier_id, lang).lstrip("\n"))

        return _FIXED.made(key, draw) if rubric_sha and not _FRESH.get() else draw()
    return fixed_part


#: (language, text) → the template's text as Jinja's gettext gives it, its variables aside
_SAID: Kept = Kept(2_000)


def template_gettext(lang: str) -> dict:
    """``{"_": …}`` for the form page's templates (form.html and what it imports with its
    context): Jinja's own gettext (the translation of `lang` marked safe and read as a format
    string, ``%%`` a percent sign, the variables escaped), each text translated and marked
    once per process and language instead of through two context calls on every visit (some
    sixty texts a page). Inside :func:`built_fresh`, ``{}``: the templates call Jinja's."""
    if _FRESH.get():
        return {}
    gettext = translator(lang).gettext

    def said(string: str) -> Markup:
        return Markup(gettext(string))

    def template_(string: str, **variables) -> Markup:
        if variables:
            return _SAID.made((lang, string, "%"), lambda: said(string)) % variables
        return _SAID.made((lang, string), lambda: said(string) % {})
    return {"_": template_}


def limits() -> dict:
    """The longest text of each field, the photos' size on the tablet, and the autosave's
    timers (the pause after typing before a batch is stored and sent, the retries' back-off:
    AUTOSAVE_DEBOUNCE_MS and AUTOSAVE_RETRY_MS of the app's config)."""
    config = current_app.config
    return {"note": config["NOTE_MAX_CHARS"], "reason": REASON_MAX_CHARS,
            "value": VALUE_MAX_CHARS, "site": MAX_SITE, "date": DATE_MAX_CHARS,
            "comment": REVIEW_COMMENT_MAX, "message": REVIEW_MESSAGE_MAX,
            "photoSide": CLIENT_MAX_SIDE,
            "photoBytes": config["PHOTO_MAX_BYTES"], "photoQuality": 0.85,
            "debounceMs": config["AUTOSAVE_DEBOUNCE_MS"],
            "retryMs": list(config["AUTOSAVE_RETRY_MS"])}


def messages() -> dict:
    """Every sentence the script may show, in the reader's language."""
    return {
        "answered": _("%(n)s of %(total)s answered"),
        "progress": _("%(n)s/%(total)s"),
        "refusedOne": _("1 answer was not accepted — show it"),
        "refusedMany": _("%(n)s answers were not accepted — show the next"),
        "noteCount": _("%(n)s of %(limit)s characters"),
        "noteTooLong": _("Too long by %(n)s characters: at most %(limit)s. Shorten the note; "
                         "it is not saved until then."),
        "waiting": _("waiting to be sent"), "sending": _("sending"),
        "failed": _("not accepted"), "sent": _("sent at"),
        "photo": _("Photo"), "photoRemoval": _("Removing a photo"),
        "answersTo": _("Answers to"),
        "conflict": _("Someone else saved a different answer:"), "yours": _("yours:"),
        "keep": _("Keep mine"), "take": _("Use theirs"),
        "photoWaiting": _("on this device, waiting to be sent"),
        "photoRefused": _("not accepted"), "removePhoto": _("Remove"),
        "replacePhoto": _("Replace"), "dismiss": _("Dismiss"),
        "confirmRemove": _("Remove this photo?"),
    }


def answers_state(evaluation, answers=None) -> dict:
    """The stored answers as the script reads them (value, structured data, N/A, note).
    `answers`: the evaluation's (app.evaluations.services.shown_answers), when read."""
    return {a.criterion_id: {"value": a.value, "data": a.data, "na": bool(a.na),
                             "na_reason": a.na_reason or "", "note": a.note or ""}
            for a in (evaluation.answers if answers is None else answers)}


def form_config(evaluation, answers=None) -> dict:
    """The JSON block of the inspectors' form (#eval-config), its scoring rules left to
    :func:`config_json` (None here). `answers`: as for :func:`answers_state`."""
    eid = evaluation.id
    photo_base = url_for("evidence.upload", evaluation_id=eid)
    return {
        "evaluation": eid,
        "version": evaluation.version,
        "lang": current_lang(),
        "urls": {"save": url_for("evaluations.save_json", evaluation_id=eid),
                 "photo": photo_base,
                 "photoRemove": photo_base + "/{id}/delete",
                 "photoReplace": photo_base + "/{id}/replace"},
        "limits": limits(),
        "messages": messages(),
        "answers": answers_state(evaluation, answers),
        "rules": None,
        "paradata": paradata_config(evaluation),
    }


#: (rubric version's sha256, tier, profile) → the scoring rules as the page's JSON has them
_RULES: Kept = Kept(1_000)


def config_json(config: dict, evaluation, rubric, profile: dict) -> Markup:
    """`config` (:func:`form_config`'s) with the scoring rules, as the template's ``tojson``
    filter writes it (Flask's JSON, keys sorted, made safe for a <script> element). The
    rules are most of the block and the same for every visit of a rubric version, tier and
    profile: they are made and written out once per process for each."""
    policies = current_app.jinja_env.policies
    dumps, options = policies["json.dumps_function"], policies["json.dumps_kwargs"]

    def written(value) -> str:
        return str(htmlsafe_json_dumps(value, dumps=dumps, **options))

    sha, tier_id = evaluation.rubric_version.sha256, evaluation.tier_id
    key = (sha, tier_id, profile_key(profile), current_app.json.ensure_ascii,
           tuple(sorted(options.items())))
    def write() -> str:
        return written(page_rules(rubric, tier_id, profile))

    rules = write() if _FRESH.get() else _RULES.made(key, write)
    parts = {name: rules if name == "rules" else written(value)
             for name, value in config.items()}
    names = sorted(parts) if options.get("sort_keys") else list(parts)
    return Markup("{" + ", ".join(f"{written(name)}: {parts[name]}" for name in names) + "}")


def paradata_config(evaluation) -> dict:
    from app.paradata.views import form_config

    return form_config(evaluation)
