"""The token pages: a user's own tokens on their profile (make one, shown once; revoke one),
and the administrators' list of every token of the users they manage (revoke any). Thin:
load, check (``app.access``, ``tokens.may_revoke``), call ``app.api.tokens`` inside
``writing()``, respond."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app import access, errors, params
from app.api import tokens
from app.db import writing
from app.errors import ServiceError
from app.extensions import db
from app.i18n import _
from app.models import ApiToken, User
from app.models._types import utcnow
from forms.base import ConfirmForm
from forms.tokens import TokenForm

bp = Blueprint("tokens", __name__)


def _mine(form, status=200, new_token=None):
    rows = tokens.tokens_of(current_user)
    return render_template("api/tokens.html", rows=rows, form=form, confirm=ConfirmForm(),
                           new_token=new_token, now=utcnow()), status


@bp.route("/account/tokens", methods=["GET"])
@access.route("account")
@login_required
def mine():
    """The user's API tokens, and the form to make one."""
    return _mine(TokenForm())


@bp.route("/account/tokens", methods=["POST"])
@access.route("account")
@login_required
def create():
    form = TokenForm()
    if not form.validate_on_submit():
        return _mine(form, 422)
    try:
        with writing():
            _row, token = tokens.create(db.session.get(User, current_user.id),
                                        name=form.name.data, days=form.days)
    except ServiceError as error:
        flash(error.message, "error")
        return _mine(form, error.status)
    # shown this once (the page is never stored: Cache-Control no-store, the default)
    return _mine(TokenForm(formdata=None), 201, new_token=token)


def _revoke(token_id: int):
    if not ConfirmForm().validate_on_submit():
        return errors.respond(400)
    with writing():
        row = db.session.get(ApiToken, token_id)
        if row is None or not tokens.may_revoke(current_user, row):
            abort(404)
        tokens.revoke(row, actor=db.session.get(User, current_user.id))
    flash(_("The token is revoked: it opens nothing any more."), "success")
    return None


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@access.route("account")
@login_required
def revoke(token_id: int):
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != current_user.id:
        abort(404)
    return _revoke(token_id) or redirect(url_for(".mine"))


@bp.route("/admin/tokens", methods=["GET"])
@access.route("admin")
@login_required
def every():
    """Every token of the users this administrator manages (live ones; ?all=1 for all)."""
    from app.admin.common import paginate

    include_ended = params.query_choice("all", ("0", "1"), default="0") == "1"
    page = paginate(tokens.all_tokens(current_user, include_ended=include_ended),
                    params.query_int("page", kind=params.PAGE, default=1))
    return render_template("api/admin_tokens.html", page=page, rows=page.items,
                           confirm=ConfirmForm(), now=utcnow(), include_ended=include_ended)


@bp.route("/admin/tokens/<int:token_id>/revoke", methods=["POST"])
@access.route("admin")
@login_required
def admin_revoke(token_id: int):
    return _revoke(token_id) or redirect(url_for(".every"))
