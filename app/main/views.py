"""The landing page and language switch."""

from flask import Blueprint, redirect, request, session, url_for
from flask_login import current_user, login_required

from app.i18n import LOCALES

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home():
    return redirect(url_for("evaluations.index"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    if code in LOCALES:
        session["lang"] = code
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.home") if current_user.is_authenticated else url_for("auth.login")
    return redirect(target)
