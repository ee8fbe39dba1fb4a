"""Configuration: defaults here, then ``instance/arzyab.cfg``, then the environment.

Environment variables: ``DATABASE_URL``, ``SECRET_KEY``, and any ``ARZYAB_<KEY>`` for the keys
below (``ARZYAB_OFFICE_NAME=…``). Configuration is read when the app is created, never at import.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The configuration cannot work; the message says which key and why."""


DEFAULTS = {
    "SQLALCHEMY_DATABASE_URI": None,  # default: SQLite file in the instance folder
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "SECRET_KEY": None,
    "BABEL_DEFAULT_LOCALE": "fa",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Tehran",
    "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "app" / "translations"),
    "WTF_CSRF_TIME_LIMIT": None,  # a tablet form may stay open all day
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    #: None: Secure exactly when the request came over HTTPS (see app.factory.SessionInterface)
    "SESSION_COOKIE_SECURE": None,
    #: trust X-Forwarded-Proto/-For/-Host from one reverse proxy in front (nginx terminating TLS)
    "TRUST_PROXY": False,
    #: with TRUST_PROXY: the addresses (or networks) the proxy connects from; a request from
    #: anywhere else has its X-Forwarded-* headers ignored
    "TRUSTED_PROXIES": ["127.0.0.1", "::1"],
    #: Strict-Transport-Security: None sends it on every request that came over HTTPS (also
    #: through the proxy), True on every response, False never
    "HSTS": None,
    "HSTS_MAX_AGE": 365 * 24 * 3600,
    "HSTS_INCLUDE_SUBDOMAINS": False,
    # sessions (app.auth.sessions): all of them can be listed and ended
    #: a session unused this long ends (a "keep me logged in" cookie opens a new one)
    "SESSION_IDLE_HOURS": 24,
    #: a "keep me logged in" cookie works this many days after its last use
    "REMEMBER_DAYS": 30,
    #: sessions kept per user; past it the least recently used end
    "SESSIONS_PER_USER": 20,
    # rate limits (app.limits): named limits overriding app.limits.DEFAULT_LIMITS, where the
    # counts live (default: REDIS_URL when set, else bounded memory) and the memory's ceiling
    "LIMITS": {},
    "RATELIMIT_STORAGE_URI": None,
    "RATELIMIT_MAX_KEYS": 50_000,
    #: Werkzeug's password hash method (``scrypt``, ``pbkdf2:sha256:N``); None: scrypt, except
    #: under TESTING, where one round of pbkdf2 keeps the test suite's logins cheap
    "PASSWORD_HASH_METHOD": None,
    "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
    #: the form page's autosave (app/static/js/sync.js): the pause after the last change before
    #: a batch is stored on the device and sent, and the back-off between retries after a
    #: network failure or a 5xx (the last one repeats)
    "AUTOSAVE_DEBOUNCE_MS": 800,
    "AUTOSAVE_RETRY_MS": [2000, 5000, 10000, 20000, 30000],
    # the rubric and the office that evaluates
    "RUBRICS_DIR": str(ROOT / "rubrics"),
    "DEFAULT_RUBRIC": "municipal-units",
    "OFFICE_NAME": "دفتر امور شهری و شوراهای استانداری",
    #: the same name for the English interface (the Persian one when empty)
    "OFFICE_NAME_EN": "Office of Urban Affairs and Councils, Governorate",
    "PROVINCE_NAME": "قم",
    # limits
    "RUBRIC_MAX_BYTES": 512 * 1024,
    "PHOTO_MAX_BYTES": 10 * 1024 * 1024,
    "PHOTO_MAX_PIXELS": 40_000_000,
    "NOTE_MAX_CHARS": 4000,
    # flags of desk-filled evaluations (app.paradata.flags): signs shown to reviewers, never
    # blocks. A unit flagged when its active time on the form is below this share of the
    # rubric's «expected_minutes»
    "FLAG_FAST_SHARE": 0.25,
    #: a recorded place or a photo farther than this from the town centre (km)
    "FLAG_FAR_KM": 5.0,
    #: a photo taken more than this many minutes before the visit's start or after its end
    "FLAG_PHOTO_SLACK_MINUTES": 60,
    #: two photos whose perceptual hashes differ in at most this many of 64 bits are the same
    "FLAG_SAME_PHOTO_BITS": 4,
    #: this many answers or more changed after a return, with no new photo for them
    "FLAG_CHANGED_AFTER_RETURN": 5,
    # report rendering: a child process per report, stopped past these limits
    "REPORT_TIMEOUT": 60,
    "REPORT_MEMORY_MB": 1536,
    #: the رونوشت list of the report; None gives the default list in app/reports/context.py
    "REPORT_COPIES": None,
    "FONTS_DIR": str(ROOT / "node_modules" / "vazirmatn" / "fonts"),
    #: the web font cut down to the app's characters by scripts/subset_font.py (setup.sh)
    "WEBFONTS_DIR": str(ROOT / "generated" / "fonts"),
    #: minified copies of app/static's scripts and style sheet (scripts/minify_assets.py, run by
    #: setup.sh), served at the same /static/ URLs instead of the sources when there
    "MINIFIED_DIR": str(ROOT / "generated" / "static"),
    #: renders at once on this server, across processes (lock files in REPORT_LOCK_DIR,
    #: default instance/locks); past it a request waits REPORT_QUEUE_SECONDS, then gets a 503
    #: with Retry-After: REPORT_RETRY_AFTER
    "REPORT_MAX_RENDERS": max(1, os.cpu_count() or 1),
    "REPORT_QUEUE_SECONDS": 10,
    "REPORT_RETRY_AFTER": 15,
    "REPORT_LOCK_DIR": None,
    #: the page-count guard: a report with more pages is refused, not written
    "REPORT_MAX_PAGES": 150,
    #: inspectors' notes longer than this print in full in the annex, not in the tables
    "REPORT_NOTE_INLINE_CHARS": 240,
    #: tag finals for accessibility (structure tree; see the README on PDF/UA)
    "REPORT_PDF_TAGS": True,
    #: the office's signing certificate (PKCS#12) and its passphrase; unset: the demo's
    #: certificate if `arzyab demo` made one, else finals are issued marked as unsigned
    "REPORT_SIGNING_P12": None,
    "REPORT_SIGNING_PASSPHRASE": None,
    #: refuse to start without a usable signing certificate (set it in production)
    "REPORT_REQUIRE_SIGNATURE": False,
    #: the address people reach Arzyab at, printed (and in the QR code) on every final for
    #: /verify/<code>; unset: the address of the request that issued it
    "PUBLIC_URL": None,
    #: the largest PDF the public /verify page accepts for comparison
    "VERIFY_MAX_BYTES": 10 * 1024 * 1024,
    "DATA_DIR": None,  # evidence photos and stored PDFs; default instance/data
}


def load_config(app, override: dict | None = None) -> None:
    """Fill ``app.config`` from defaults, the instance file, the environment and `override`."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("arzyab.cfg", silent=True)
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    app.config.from_prefixed_env("ARZYAB")
    if override:
        app.config.update(override)
    _fill_defaults(app)
    validate_config(app.config)


def _fill_defaults(app) -> None:
    instance = Path(app.instance_path)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'arzyab.sqlite'}"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):  # the form some hosts hand out
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri[len("postgres://"):]
    elif uri.startswith("postgresql://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri[len("postgresql://"):]
    if not app.config["SECRET_KEY"]:
        # development: a random key kept in the instance folder, so sessions survive restarts
        instance.mkdir(parents=True, exist_ok=True)
        key_file = instance / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        app.config["SECRET_KEY"] = key_file.read_text().strip()
    if isinstance(app.config["TRUSTED_PROXIES"], str):  # ARZYAB_TRUSTED_PROXIES=a,b
        app.config["TRUSTED_PROXIES"] = [p.strip() for p in
                                         app.config["TRUSTED_PROXIES"].split(",") if p.strip()]
    if not app.config["DATA_DIR"]:
        app.config["DATA_DIR"] = str(instance / "data")
    if not app.config["PASSWORD_HASH_METHOD"]:
        app.config["PASSWORD_HASH_METHOD"] = (TEST_PASSWORD_HASH if app.config["TESTING"]
                                              else "scrypt")


#: the cheap hash of test runs: stored hashes still say their method, so a database made by
#: the tests never weakens a real one, and the method is refused outside TESTING
TEST_PASSWORD_HASH = "pbkdf2:sha256:1"
MIN_PBKDF2_ROUNDS = 600_000


def validate_config(config) -> None:
    uri = config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith(("sqlite:", "postgresql")):
        raise ConfigError(f"DATABASE_URL must be a sqlite:/// or postgresql:// URL, not {uri!r}")
    if len(str(config["SECRET_KEY"])) < 16:
        raise ConfigError("SECRET_KEY must be at least 16 characters long")
    if config["BABEL_DEFAULT_LOCALE"] not in ("fa", "en"):
        raise ConfigError("BABEL_DEFAULT_LOCALE must be 'fa' or 'en'")
    _validate_password_hash(config)
    for key in ("RUBRIC_MAX_BYTES", "PHOTO_MAX_BYTES", "NOTE_MAX_CHARS", "REPORT_TIMEOUT",
                "REPORT_MEMORY_MB", "REPORT_MAX_RENDERS", "REPORT_RETRY_AFTER",
                "REPORT_MAX_PAGES", "REPORT_NOTE_INLINE_CHARS", "VERIFY_MAX_BYTES",
                "SESSION_IDLE_HOURS", "REMEMBER_DAYS", "SESSIONS_PER_USER",
                "RATELIMIT_MAX_KEYS", "HSTS_MAX_AGE", "AUTOSAVE_DEBOUNCE_MS"):
        if not isinstance(config[key], int) or isinstance(config[key], bool) \
                or config[key] <= 0:
            raise ConfigError(f"{key} must be a positive whole number")
    retries = config["AUTOSAVE_RETRY_MS"]
    if not isinstance(retries, list | tuple) or not retries or not all(
            isinstance(ms, int) and not isinstance(ms, bool) and ms > 0 for ms in retries):
        raise ConfigError("AUTOSAVE_RETRY_MS must be a list of positive whole numbers of "
                          "milliseconds, such as [2000, 5000, 10000]")
    _check_flags(config)
    if not isinstance(config["REPORT_QUEUE_SECONDS"], int | float) \
            or config["REPORT_QUEUE_SECONDS"] < 0:
        raise ConfigError("REPORT_QUEUE_SECONDS must be a number of seconds (0 or more)")
    _check_signing(config)
    if config["HSTS"] not in (None, True, False):
        raise ConfigError("HSTS must be true, false, or left unset (on over HTTPS)")
    if not isinstance(config["LIMITS"], dict):
        raise ConfigError("LIMITS must map limit names to strings such as '5 per minute'")
    _check_limits(config["LIMITS"])
    _check_proxies(config["TRUSTED_PROXIES"])


def _check_flags(config) -> None:
    def number(key):
        value = config[key]
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None

    share = number("FLAG_FAST_SHARE")
    if share is None or not 0 < share <= 1:
        raise ConfigError("FLAG_FAST_SHARE must be a share above 0 and at most 1, such as 0.25")
    far = number("FLAG_FAR_KM")
    if far is None or far <= 0:
        raise ConfigError("FLAG_FAR_KM must be a positive number of kilometres")
    for key, low, top in (("FLAG_PHOTO_SLACK_MINUTES", 0, 24 * 60),
                          ("FLAG_SAME_PHOTO_BITS", 0, 32),
                          ("FLAG_CHANGED_AFTER_RETURN", 1, 10_000)):
        value = number(key)
        if value is None or not float(value).is_integer() or not low <= value <= top:
            raise ConfigError(f"{key} must be a whole number from {low} to {top}")


def _check_limits(limits: dict) -> None:
    from limits import parse_many

    from app.limits import DEFAULT_LIMITS

    for name, value in limits.items():
        if name not in DEFAULT_LIMITS:
            raise ConfigError(f"LIMITS: unknown limit {name!r} (known: "
                              f"{', '.join(sorted(DEFAULT_LIMITS))})")
        try:
            parse_many(str(value))
        except ValueError:
            raise ConfigError(f"LIMITS[{name!r}] = {value!r} is not a limit such as "
                              "'5 per minute; 20 per hour'") from None


def _check_proxies(proxies) -> None:
    import ipaddress

    for proxy in proxies:
        try:
            ipaddress.ip_network(str(proxy), strict=False)
        except ValueError:
            raise ConfigError(f"TRUSTED_PROXIES: {proxy!r} is not an address or a network") \
                from None


def _validate_password_hash(config) -> None:
    method, *args = str(config["PASSWORD_HASH_METHOD"]).split(":")
    if method not in ("scrypt", "pbkdf2"):
        raise ConfigError("PASSWORD_HASH_METHOD must be scrypt or pbkdf2:sha256:ROUNDS")
    if method == "pbkdf2" and len(args) > 1 and not config["TESTING"]:
        if not args[1].isdigit() or int(args[1]) < MIN_PBKDF2_ROUNDS:
            raise ConfigError(f"PASSWORD_HASH_METHOD: pbkdf2 needs at least "
                              f"{MIN_PBKDF2_ROUNDS:,} rounds outside the tests")


def _check_signing(config) -> None:
    """A configured certificate must open; one may be required (production)."""
    from app.reports.signing import SigningError, SigningKey, load_signer

    path = config.get("REPORT_SIGNING_P12")
    if path:
        try:
            load_signer(SigningKey(str(path), str(config.get("REPORT_SIGNING_PASSPHRASE") or "")))
        except SigningError as error:
            raise ConfigError(f"REPORT_SIGNING_P12: {error}") from None
    elif config.get("REPORT_REQUIRE_SIGNATURE"):
        raise ConfigError("REPORT_REQUIRE_SIGNATURE is set but REPORT_SIGNING_P12 names no "
                          "certificate: finals would be issued unsigned. Set REPORT_SIGNING_P12 "
                          "(a PKCS#12 file) and REPORT_SIGNING_PASSPHRASE.")
