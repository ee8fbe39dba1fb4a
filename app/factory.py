"""The application factory: configuration, extensions, blueprints, templates, errors."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Flask,
    g,
    has_request_context,
    render_template,
    request,
    send_from_directory,
    session,
)
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app import compression, i18n
from app.config import ROOT, load_config
from app.db import configure_engine
from app.extensions import babel, csrf, db, login_manager, migrate


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        "app",
        root_path=str(ROOT / "app"),
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "app" / "static"),
        instance_relative_config=True,
    )
    load_config(app, config)
    app.session_interface = SessionInterface()
    if app.config["TRUST_PROXY"]:  # behind a reverse proxy that terminates TLS
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    babel.init_app(app, locale_selector=_select_locale)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = i18n._l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    with app.app_context():
        configure_engine(db.engine)

    from app import models  # noqa: F401  (register the tables)

    app.url_map.converters["int"] = BoundedInt  # before any route is added
    _register_blueprints(app)
    _register_templates(app)
    _register_errors(app)
    _register_headers(app)
    _register_assets(app)
    compression.init_app(app)

    from app.cli import register_commands

    register_commands(app)
    return app


class SessionInterface(SecureCookieSessionInterface):
    """Session cookies are Secure whenever the request came over HTTPS (unless the
    configuration says otherwise), so production behind TLS gets Secure cookies by default
    while `make run` on http://127.0.0.1 still works."""

    def get_cookie_secure(self, app) -> bool:
        configured = app.config["SESSION_COOKIE_SECURE"]
        return request.is_secure if configured is None else bool(configured)


class BoundedInt(IntegerConverter):
    """`<int:…>` in every route, bounded: an id too large for the database is simply not
    found (404) instead of an overflow deep in the driver."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _select_locale() -> str:
    if not has_request_context():
        return i18n.DEFAULT_LOCALE
    wanted = request.args.get("lang") or session.get("lang")
    if not wanted and current_user and current_user.is_authenticated:
        wanted = current_user.locale
    return wanted if wanted in i18n.LOCALES else "fa"


def _register_blueprints(app: Flask) -> None:
    from app.admin.views import bp as admin_bp
    from app.auth.views import bp as auth_bp
    from app.authoring.views import bp as authoring_bp
    from app.dashboard.views import bp as dashboard_bp
    from app.evaluations.views import bp as evaluations_bp
    from app.evidence.views import bp as evidence_bp
    from app.main.views import bp as main_bp
    from app.reports.views import bp as reports_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(authoring_bp)
    app.register_blueprint(dashboard_bp, url_prefix="/dashboard")
    app.register_blueprint(evaluations_bp)
    app.register_blueprint(evidence_bp)
    app.register_blueprint(reports_bp)


def _register_templates(app: Flask) -> None:
    from flask_babel import get_locale

    def lang() -> str:
        if has_request_context() and "lang" in g:  # chosen once per request
            return g.lang
        return str(get_locale() or "fa")

    app.jinja_env.filters.update(
        digits=lambda v: i18n.persian_digits(v) if lang() == "fa" else str(v),
        number=lambda v, d=1: i18n.format_number(v, d, lang()),
        jdate=lambda v, style="numeric": i18n.jalali_date(v, lang(), style),
        jdatetime=lambda v: i18n.jalali_datetime(v, lang()),
    )

    @app.context_processor
    def _globals():
        current = lang()
        return {"lang": current, "dir": "rtl" if current == "fa" else "ltr",
                "office_name": app.config["OFFICE_NAME"]}


def _register_errors(app: Flask) -> None:
    messages = {
        400: i18n._l("The request could not be understood. Please check what you entered."),
        403: i18n._l("You do not have access to this page."),
        404: i18n._l("This page does not exist, or you do not have access to it."),
        405: i18n._l("This action is not allowed here."),
        409: i18n._l("Someone else changed this meanwhile. Reload to see the latest version."),
        413: i18n._l("The file is too large."),
        429: i18n._l("Too many attempts. Please wait a minute and try again."),
        500: i18n._l("Something went wrong on our side. Your work is saved; please try again."),
    }

    def handler(error):
        code = getattr(error, "code", 500) or 500
        if code == 500:
            db.session.rollback()
        message = messages.get(code, messages[500])
        if request.accept_mimetypes.best == "application/json" or request.is_json:
            return {"error": str(message), "status": code}, code
        return render_template("errors/error.html", code=code, message=message), code

    for code in messages:
        app.register_error_handler(code, handler)

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def _csrf(error):
        message = i18n._("The form expired or came from elsewhere. Reload the page and try "
                         "again; nothing you typed was saved by this request.")
        if request.is_json:
            return {"error": message, "status": 400}, 400
        return render_template("errors/error.html", code=400, message=message), 400


def _register_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy",
                           "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
                           "script-src 'self'; object-src 'none'; base-uri 'self'; "
                           "form-action 'self'; frame-ancestors 'none'")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        return response


#: the font file of the pages (app.css, base.html, sw.js name it)
WEB_FONT = "Vazirmatn[wght].woff2"


def _register_assets(app: Flask) -> None:
    fonts = Path(app.config["FONTS_DIR"]) / "webfonts"
    subset = Path(app.config["WEBFONTS_DIR"])
    if not (subset / WEB_FONT).is_file():
        app.logger.warning("%s is missing: serving the full Vazirmatn (scripts/setup.sh "
                           "builds the subset)", subset / WEB_FONT)

    @app.route("/assets/fonts/<path:filename>")
    def font(filename: str):
        """Vazirmatn, installed from the npm registry (never committed); the page font is the
        subset that scripts/subset_font.py builds from it, when it is there."""
        folder = subset if (subset / filename).is_file() else fonts
        response = send_from_directory(folder, filename, max_age=30 * 24 * 3600)
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    @app.before_request
    def _remember_lang():
        if request.args.get("lang") in i18n.LOCALES:
            session["lang"] = request.args["lang"]
        g.lang = _select_locale()
