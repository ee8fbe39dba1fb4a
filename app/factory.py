"""The application factory: configuration, extensions, blueprints, templates, errors."""

from __future__ import annotations

import io
import ipaddress
from pathlib import Path

from flask import (
    Flask,
    has_request_context,
    request,
    send_file,
    send_from_directory,
    session,
)
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from app import compression, errors, i18n, limits, params
from app.assets import bundle, static_folder
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
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, app.config["TRUSTED_PROXIES"])

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    babel.init_app(app, locale_selector=_select_locale)
    # templates translate through the same catalogue lookup as the code (app.i18n)
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: i18n.translations().gettext(text),
        ngettext=lambda singular, plural, n: i18n.translations().ngettext(singular, plural, n),
        newstyle=True)
    with app.app_context():
        configure_engine(db.engine)

    from app import models  # noqa: F401  (register the tables)
    from app.auth import sessions

    # the order of the request hooks matters: text that cannot be read is refused before
    # anything parses the request (the CSRF check does), the session is checked before
    # anything asks who the user is (the rate limiter may), then the limits
    errors.init_app(app)
    sessions.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = i18n._l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    limits.init_app(app)
    app.url_map.converters["int"] = params.BoundedInt  # before any route is added
    _register_blueprints(app)
    _register_templates(app)
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

    def get_signing_serializer(self, app):
        """Flask's serializer, made once per secret key and fallbacks (Flask makes a new one
        for every request; it keeps no state between uses): a new key or fallback list
        makes a new one, so a cookie signed with a retired key is refused as before."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        made = self.__dict__.get("_serializer")
        if made is None or made[0] != keys:
            made = (keys, super().get_signing_serializer(app))
            self._serializer = made
        return made[1]

    def open_session(self, app, request):
        from app.api import PREFIX

        if request.path.startswith(PREFIX):  # the API reads no cookie: a token or nothing
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        from app.api import is_api_request

        if is_api_request():  # … and sets none
            return None
        if request.endpoint in STATIC_FILE_ENDPOINTS and not session.modified:
            # a file is the same whoever asks: no cookie refreshed, no `Vary: Cookie` (which
            # Flask adds once anything, here Flask-Login's after-request hook, looks at the
            # session) keeping shared caches from sharing it
            return None
        return super().save_session(app, session, response)


class TrustedProxyFix:
    """Werkzeug's ProxyFix (one hop: the address, scheme and host our proxy adds), applied
    only to requests that come from the proxy itself (``TRUSTED_PROXIES``). A client that
    reaches the app directly cannot pretend to be elsewhere by writing X-Forwarded-For, and
    behind the proxy only the address it appended counts, whatever the client wrote before."""

    def __init__(self, wsgi_app, trusted):
        self.direct = wsgi_app
        self.fixed = ProxyFix(wsgi_app, x_for=1, x_proto=1, x_host=1)
        self.networks = [ipaddress.ip_network(str(p), strict=False) for p in trusted]

    def _trusted(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __call__(self, environ, start_response):
        if self._trusted(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        return self.direct(environ, start_response)


def _select_locale() -> str:
    if not has_request_context():
        return i18n.DEFAULT_LOCALE
    from app.api import is_api_request

    if is_api_request():  # the caller's language: ?lang=, else Accept-Language, else fa
        wanted = request.args.get("lang") or request.accept_languages.best_match(i18n.LOCALES)
        return wanted if wanted in i18n.LOCALES else i18n.DEFAULT_LOCALE
    wanted = request.args.get("lang") or session.get("lang")
    if not wanted and current_user and current_user.is_authenticated:
        wanted = current_user.locale
    return wanted if wanted in i18n.LOCALES else "fa"


def _register_blueprints(app: Flask) -> None:
    from app.admin.views import bp as admin_bp
    from app.api.pages import bp as api_tokens_bp
    from app.api.views import bp as api_bp
    from app.auth.views import bp as auth_bp
    from app.authoring.views import bp as authoring_bp
    from app.dashboard.views import bp as dashboard_bp
    from app.declarations.views import bp as declarations_bp
    from app.evaluations.views import bp as evaluations_bp
    from app.evidence.views import bp as evidence_bp
    from app.main.views import bp as main_bp
    from app.paradata.views import bp as paradata_bp
    from app.portal.views import bp as portal_bp
    from app.recommendations.views import bp as recommendations_bp
    from app.reports.views import bp as reports_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(authoring_bp)
    app.register_blueprint(dashboard_bp, url_prefix="/dashboard")
    app.register_blueprint(evaluations_bp)
    app.register_blueprint(evidence_bp)
    app.register_blueprint(declarations_bp)
    app.register_blueprint(recommendations_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(paradata_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_tokens_bp)


def _register_templates(app: Flask) -> None:
    from app import bidi

    # every filter asks app.i18n for the reader's language: one place decides it
    app.jinja_env.filters.update(
        digits=lambda v: i18n.digits(v),
        cid=lambda v: i18n.criterion_id(v),
        number=lambda v, d=1: i18n.format_number(v, d),
        score=lambda v: i18n.format_score(v),
        percent=lambda v, d=1: i18n.format_percent(v, decimals=d),
        quantity=lambda v: i18n.format_quantity(v),
        jdate=lambda v, style="numeric": i18n.jalali_date(v, style=style),
        jdatetime=lambda v: i18n.jalali_datetime(v),
        bidi=bidi.isolate,
    )

    from app import access, workflow
    from app.rubric.formula import say_profile

    app.jinja_env.globals["say_profile"] = say_profile
    # the workflow's titles and who may do what, for every page (app/workflow.py, app/access.py)
    app.jinja_env.globals["state_title"] = workflow.title
    app.jinja_env.globals["final_state"] = workflow.is_final_state
    app.jinja_env.globals["may_answer"] = lambda e: access.may_answer(current_user, e)
    app.jinja_env.globals["may_see_dashboard"] = lambda: access.may_see_dashboard(current_user)

    @app.context_processor
    def _globals():
        current = i18n.current_lang()
        return {"lang": current, "dir": "rtl" if current == "fa" else "ltr",
                "office_name": office_name(app, current)}


def office_name(app: Flask, lang: str) -> str:
    """The office's name in the reader's language (OFFICE_NAME, OFFICE_NAME_EN)."""
    if lang == "en" and app.config.get("OFFICE_NAME_EN"):
        return app.config["OFFICE_NAME_EN"]
    return app.config["OFFICE_NAME"]


#: responses that may be cached like any file (everything else defaults to no-store)
PUBLIC_ENDPOINTS = frozenset({"static", "font", "admin.static", "main.service_worker",
                              "main.manifest"})


def hsts_value(app: Flask) -> str | None:
    """The Strict-Transport-Security header for this request, or None (see HSTS config)."""
    setting = app.config["HSTS"]
    if setting is False or (setting is None and not request.is_secure):
        return None
    value = f"max-age={int(app.config['HSTS_MAX_AGE'])}"
    return value + "; includeSubDomains" if app.config["HSTS_INCLUDE_SUBDOMAINS"] else value


#: the app's own files (scripts, style sheet, fonts, images): answers that are never a document
STATIC_FILE_ENDPOINTS = frozenset({"static", "font", "admin.static"})
#: types a browser renders as a document when navigated to (or framed): they keep every header
DOCUMENT_TYPES = frozenset({"text/html", "application/xhtml+xml", "image/svg+xml",
                            "text/xml", "application/xml"})
#: headers that only act on a document (its policy for what it loads, framing, the referrer it
#: sends): a script, style sheet, font or image fetched by a page follows the page's policy
#: and ignores its own. X-Content-Type-Options (the browser must not run or style a file of
#: another type), HSTS (acted on whatever the response) and the caching headers stay. The
#: service worker (/sw.js) keeps them: a worker's policy is the one its script came with.
DOCUMENT_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
                               "style-src 'self'; script-src 'self'; object-src 'none'; "
                               "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
#: send_file's headers a static file does without: no one saves it (Content-Disposition), the
#: ETag revalidates it (Last-Modified) and Cache-Control's max-age says what Expires says
FILE_EXTRAS = ("Content-Disposition", "Last-Modified", "Expires")


def _register_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        headers = response.headers
        if (request.endpoint in STATIC_FILE_ENDPOINTS
                and response.mimetype not in DOCUMENT_TYPES):
            for name in FILE_EXTRAS:
                headers.pop(name, None)
        else:
            for name, value in DOCUMENT_HEADERS.items():
                headers.setdefault(name, value)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        hsts = hsts_value(app)
        if hsts:
            headers.setdefault("Strict-Transport-Security", hsts)
        # pages and JSON hold personal and evaluation data: never kept by the browser or a
        # proxy, unless the view chose otherwise (photos, final reports: private caching)
        if request.endpoint not in PUBLIC_ENDPOINTS and "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"
        return response


#: the font file of the pages (app.css, base.html, sw.js name it)
WEB_FONT = "Vazirmatn[wght].woff2"


def _register_assets(app: Flask) -> None:
    fonts = Path(app.config["FONTS_DIR"]) / "webfonts"
    subset = Path(app.config["WEBFONTS_DIR"])
    if not (subset / WEB_FONT).is_file():
        app.logger.warning("%s is missing: serving the full Vazirmatn (scripts/setup.sh "
                           "builds the subset)", subset / WEB_FONT)

    minified = Path(app.config["MINIFIED_DIR"])
    if not minified.is_dir():
        app.logger.warning("%s is missing: serving the scripts and style sheet unminified "
                           "(scripts/setup.sh builds them)", minified)

    def static(filename: str):
        """app/static's files, the minified copy of a script or style sheet when there is an
        up-to-date one (app.assets; its own time and size, so its own ETag: a new copy is
        fetched again), and the bundles app.assets puts together (ETag: their content's)."""
        built = bundle(app, filename)
        if built is not None:
            body, etag = built
            return send_file(io.BytesIO(body), mimetype="text/javascript", etag=etag,
                             max_age=app.get_send_file_max_age(filename), conditional=True)
        return send_from_directory(static_folder(app, filename), filename,
                                   max_age=app.get_send_file_max_age(filename))

    app.view_functions["static"] = static

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
