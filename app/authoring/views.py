"""The rubric authors' pages: the published rubrics and their versions, and the draft page
where a rubric is pasted, uploaded or edited, checked on the server with every problem shown
beside its line, previewed as the inspectors' form for any tier, tried on sample answers,
compared with the latest published version and published.

Only active authors and administrators reach anything under /rubrics (the guard sits on the
whole blueprint). Publishing is audited by the service.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup

from app import access, params
from app.authoring import bidi, drafts, services
from app.authoring.diff import describe_all, diff_rubrics
from app.authoring.forms import DraftForm
from app.db import writing
from app.evaluations import page
from app.evaluations.cards import CriterionCards
from app.extensions import db
from app.i18n import _, current_lang, digits
from app.models import RubricVersion, User
from app.rubric import RubricError, RubricProblem
from app.scoring import score
from forms.evaluation import StoredFields, build_evaluation_form, field_key

bp = Blueprint("authoring", __name__, url_prefix="/rubrics")
bp.add_app_template_filter(bidi.yaml_line, "yaml_line")
bp.add_app_template_filter(bidi.sentence, "sentence")


access.guard(bp, "rubrics")


def _version_or_404(version_id: int) -> RubricVersion:
    version = db.session.get(RubricVersion, version_id)
    if version is None:
        abort(404)
    return version


# --- the list and one version -----------------------------------------------------------------

@bp.route("/")
def index():
    return render_template("authoring/index.html", rubrics=services.rubric_listing())


@bp.route("/versions/<int:version_id>")
def version(version_id: int):
    """A published version: what changed since the one before (or another one chosen), the
    open evaluations pinned to it, and its text."""
    shown = _version_or_404(version_id)
    others = [v for v in services.versions_of(shown.rubric_id) if v.id != shown.id]
    against = None
    wanted = params.query_int("against")
    if wanted is not None:
        against = next((v for v in others if v.id == wanted), None)
    if against is None:
        against = services.previous_version(shown)
    lang = current_lang()
    changes = []
    if against is not None:
        changes = diff_rubrics(services.rubric_of(against), services.rubric_of(shown))
    publisher = db.session.get(User, shown.published_by_id) if shown.published_by_id else None
    return render_template(
        "authoring/version.html", version=shown, others=others, against=against,
        publisher=publisher.display_name if publisher else None,
        changes=changes, sentences=describe_all(changes, lang),
        pinned=services.open_evaluations([shown.id]),
        listing=drafts.annotate(shown.yaml_text, (), lang, context=None))


@bp.route("/versions/<int:version_id>/rubric.yaml")
def download(version_id: int):
    """The published text, byte for byte, to edit and publish again."""
    shown = _version_or_404(version_id)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{shown.rubric_id}-{shown.version_label}") + ".yaml"
    return Response(shown.yaml_text.encode("utf-8"), mimetype="text/plain",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- the draft ---------------------------------------------------------------------------------

@bp.route("/draft", methods=["GET"])
def draft():
    """An empty draft, or a copy of a published version (``?from=<version id>``) to edit."""
    form = DraftForm()
    source = params.query_int("from")
    if source is None:
        return _render_draft(form, None)
    form.text.data = _version_or_404(source).yaml_text
    return _render_draft(form, _check(form.text.data, "rubric.yaml"))


@bp.route("/draft", methods=["POST"])
def check_or_publish():
    """Check the posted text (or uploaded file) and show everything about it; with
    ``action=publish``, publish it when it is exactly the text checked and shown before."""
    form = DraftForm()
    if not form.validate():
        abort(400)
    posted_digest = form.checked.data or ""
    draft_, oversize = _posted_draft(form)
    if request.form.get("action") != "publish":
        return _render_draft(form, draft_, oversize=oversize)
    if draft_ is None or not draft_.clean:
        flash(_("The rubric has problems; correct them before publishing."), "error")
        return _render_draft(form, draft_, oversize=oversize, status=422)
    digest = services.sha256_of(draft_.text)
    existing, refusal = services.publish_obstacle(draft_.rubric, digest)
    if existing is not None:
        flash(_("Nothing to publish: this text is already version %(label)s.",
                label=_label(existing.version_label)), "info")
        return redirect(url_for(".version", version_id=existing.id))
    if refusal is not None:
        flash(refusal, "error")
        return _render_draft(form, draft_, status=409)
    if posted_digest != digest:
        flash(_("The text changed after it was last checked. Look at the new check and the "
                "differences below, then publish."), "error")
        return _render_draft(form, draft_, status=409)
    try:
        with writing():
            published, created = services.publish_rubric(
                draft_.text, filename=draft_.filename, user=current_user)
            label, version_id = published.version_label, published.id
    except services.PublishRefused as refused:  # another author took the label meanwhile
        flash(str(refused), "error")
        return _render_draft(form, draft_, status=409)
    except RubricError:  # pragma: no cover - checked just above
        abort(400)
    if created:
        flash(_("Published version %(label)s. New evaluations will use it; evaluations "
                "already started keep their version.", label=_label(label)), "success")
    else:
        flash(_("Nothing to publish: this text is already version %(label)s.",
                label=_label(label)), "info")
    return redirect(url_for(".version", version_id=version_id))


def _label(label: str) -> str:
    """A version label as the pages show it (Persian digits in Persian)."""
    return digits(label)


def _check(text: str | bytes, filename: str, shown: str | None = None) -> drafts.Draft:
    return drafts.check_draft(text, filename=filename, text=shown,
                              max_bytes=current_app.config["RUBRIC_MAX_BYTES"])


def _posted_draft(form: DraftForm) -> tuple[drafts.Draft | None, drafts.Draft | None]:
    """(the draft to check, or None; a draft holding only the upload's size problem, or None).

    An uploaded file replaces the text in the textarea; a file over the size limit is not read
    at all, and the text already in the textarea is kept.
    """
    upload = form.upload.data
    limit = current_app.config["RUBRIC_MAX_BYTES"]
    if upload is not None and getattr(upload, "filename", ""):
        stream = upload.stream
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(0)
        name = _display_name(upload.filename)
        if size > limit:
            problem = RubricProblem("R001", 1, 1, {"size": size, "limit": limit})
            return None, drafts.Draft("", name, None, (problem,))
        data = stream.read(limit + 1)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("utf-8", "replace")
            form.text.data = text
            return _check(data, name, shown=text), None
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        form.text.data = text
        return _check(text, name), None
    return _check(form.text.data or "", "rubric.yaml"), None


def _display_name(filename: str) -> str:
    """The uploaded file's own name, for messages only (never used as a path)."""
    name = re.split(r"[\\/]", filename or "")[-1].strip()
    return name[:100] or "rubric.yaml"


def _render_draft(form: DraftForm, draft_: drafts.Draft | None, *,
                  oversize: drafts.Draft | None = None, status: int = 200):
    lang = current_lang()
    context = {"form": form, "draft": draft_, "oversize": oversize,
               "problem_text": drafts.problem_text, "preview": None, "changes": [],
               "sentences": [], "latest": None, "existing": None, "refusal": None,
               "affected": [], "examples": [], "answers_run": None, "publishable": False,
               "listing": [], "marks": {}, "criteria_count": 0,
               "max_bytes": current_app.config["RUBRIC_MAX_BYTES"]}
    if draft_ is not None:
        listing = drafts.annotate(draft_.text, draft_.problems, lang)
        context["listing"] = listing
        context["marks"] = {row.number: " • ".join(f"{n.code} {n.message}" for n in row.notes)
                            for run in listing for row in run if row.notes}
    rubric = draft_.rubric if draft_ is not None else None
    if rubric is not None:
        context["criteria_count"] = sum(1 for _criterion in rubric.criteria())
        digest = services.sha256_of(draft_.text)
        tier_ids = [tier.id for tier in rubric.tiers]
        form.tier.choices = [(tier.id, f"{tier.id} — {tier.title}" if tier.title else tier.id)
                             for tier in rubric.tiers]
        if form.tier.data not in tier_ids:
            form.tier.data = tier_ids[0]
        latest = services.latest_version(rubric.id)
        existing, refusal = services.publish_obstacle(rubric, digest)
        changes = []
        if latest is not None and latest.sha256 != digest:
            changes = diff_rubrics(services.rubric_of(latest), rubric)
        older = [v.id for v in services.versions_of(rubric.id) if v.sha256 != digest]
        answers_text = (form.answers.data or "").strip()
        context.update(
            preview=_preview(rubric, form.tier.data), latest=latest, existing=existing,
            refusal=refusal, changes=changes, sentences=describe_all(changes, lang),
            affected=services.open_evaluations(older),
            examples=drafts.example_runs(rubric, lang),
            answers_run=drafts.answers_run(
                answers_text, rubric, lang,
                max_bytes=current_app.config["RUBRIC_MAX_BYTES"]) if answers_text else None,
            publishable=draft_.clean and existing is None and refusal is None)
        form.checked.data = digest if context["publishable"] else ""
    return render_template("authoring/draft.html", **context), status


def _preview(rubric, tier_id: str) -> Markup:
    """The inspectors' form for `tier_id`, drawn by their own templates, with no answers and
    nothing to save to: an unsaved form on a stand-in evaluation that has only a tier.

    The preview is a help beside the check, not the check: should the inspectors' form fail
    to draw a rubric that loads (a bug, logged in full), the author still gets every problem,
    the examples and the changes, with a notice in place of the form."""
    try:
        return _draw_preview(rubric, tier_id)
    except Exception:  # noqa: BLE001 - logged; the rest of the page must reach the author
        current_app.logger.exception("the form preview of rubric %s %s failed", rubric.id,
                                     rubric.version)
        return Markup('<p class="card error" data-preview-failed>{}</p>').format(
            _("The inspectors' form cannot be previewed for this rubric yet; the check, the "
              "trial scores and the changes above are complete."))


def _draw_preview(rubric, tier_id: str) -> Markup:
    form_class = build_evaluation_form(rubric, tier_id)
    card, limits = score(rubric, tier_id, {}), page.limits()
    cards = CriterionCards(
        lang=current_lang(), fields=StoredFields(form_class, {}), form_class=form_class,
        card=card, profile={}, limits=limits, photos={}, photo_facts=None, editable=True,
        field_key=field_key, fixed_part=page.fixed_parts(None), tier_id=tier_id, answers={},
        problems={})
    return Markup(render_template(
        "authoring/preview.html", rubric=rubric, tier=rubric.tier(tier_id),
        evaluation=SimpleNamespace(tier_id=tier_id), card=card, cards=cards,
        answers={}, values={}, profile={}, problems={}, photos={}, editable=True,
        reviewable=False, field_key=field_key, limits=limits))
