"""The landing page, language switch, service worker and web app manifest."""

import json

from flask import Blueprint, current_app, redirect, request, send_from_directory, session, url_for
from flask_login import current_user, login_required

from app import access
from app.assets import static_folder
from app.i18n import LOCALES, _
from app.redirects import redirect_to_next

bp = Blueprint("main", __name__)


@bp.route("/")
@access.route("account")
@login_required
def home():
    """Each role starts where its work is."""
    if current_user.has_role("municipality"):
        return redirect(url_for("portal.home"))
    if current_user.has_role("inspector", "reviewer", "manager"):
        return redirect(url_for("evaluations.index"))
    if current_user.has_role("admin"):
        return redirect(url_for("admin.index"))
    if current_user.has_role("author"):
        return redirect(url_for("authoring.index"))
    return redirect(url_for("evaluations.index"))


@bp.route("/lang/<code>", methods=["POST"])
@access.route("public")
def set_language(code: str):
    if code in LOCALES:
        session["lang"] = code
    fallback = url_for("main.home") if current_user.is_authenticated else url_for("auth.login")
    return redirect_to_next(request.form.get("next"), fallback)


@bp.route("/sw.js")
@access.route("public")
def service_worker():
    """The service worker, served from the root so its scope covers every page."""
    response = send_from_directory(static_folder(current_app, "js/sw.js"), "js/sw.js",
                                   mimetype="application/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/manifest.webmanifest")
@access.route("public")
def manifest():
    """Lets an inspector add Arzyab to the tablet's home screen."""
    icons = [{"src": url_for("static", filename=f"icon-{size}.png"),
              "sizes": f"{size}x{size}", "type": "image/png"} for size in (192, 512)]
    icons.append({"src": url_for("static", filename="icon.svg"), "sizes": "any",
                  "type": "image/svg+xml"})
    body = {"name": _("Arzyab: municipal performance evaluation"), "short_name": _("Arzyab"),
            "start_url": url_for("evaluations.index"), "scope": "/", "display": "standalone",
            "dir": "rtl", "lang": "fa", "background_color": "#f4f6f8",
            "theme_color": "#0f5e6e", "icons": icons}
    return current_app.response_class(
        json.dumps(body, ensure_ascii=False),
        mimetype="application/manifest+json")
