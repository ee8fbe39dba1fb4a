"""Errors and the request guard: every refusal gets a translated message, as JSON on the JSON
routes and as a page everywhere else, and no input can make a 500.

The guard (:func:`check_request_text`, run before every view) refuses with a 400 any request
whose path, query string, form body or JSON body holds text that cannot be stored: bytes that
are not UTF-8, or lone UTF-16 surrogates (``"\\ud800"`` in JSON), which would otherwise fail
deep inside a service when the text is encoded. It also reads JSON bodies once (cached for the
view), so a body too large answers 413 in JSON before any view runs.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from flask import abort, current_app, render_template, request
from werkzeug.exceptions import BadRequest, HTTPException, MethodNotAllowed

from app import i18n
from app.extensions import db

#: endpoints that answer JSON (the tablet's background saves and state); their errors are
#: JSON whatever the client asked for. Anything sent with the autosave header, or as JSON,
#: or asking for JSON only, is answered in JSON too.
JSON_ENDPOINTS = frozenset({"evaluations.save_json", "evaluations.state"})
SAVE_HEADER = "X-Arzyab-Save"

MESSAGES = {
    400: i18n._l("The request could not be understood. Please check what you entered."),
    401: i18n._l("Your session has ended. Log in again; nothing waiting to be sent is lost."),
    403: i18n._l("You do not have access to this page."),
    404: i18n._l("This page does not exist, or you do not have access to it."),
    405: i18n._l("This action is not allowed here."),
    409: i18n._l("Someone else changed this meanwhile. Reload to see the latest version."),
    410: i18n._l("This is no longer available."),
    413: i18n._l("The file is too large."),
    415: i18n._l("This kind of content is not accepted here."),
    422: i18n._l("Some of what you entered needs correcting."),
    429: i18n._l("Too many attempts. Please wait a minute and try again."),
    500: i18n._l("Something went wrong on our side. Your work is saved; please try again."),
}
UNREADABLE = i18n._l("The request holds text that cannot be read (a broken or half "
                     "character). Remove it and try again; nothing was saved.")


class ServiceError(Exception):
    """A use case refused; `message` is translated for the user, `status` the HTTP code."""

    def __init__(self, message: str, status: int = 400, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.details = details or {}


class UnreadableText(BadRequest):
    """Bytes that are not UTF-8, or lone surrogates, somewhere in the request."""

    description = UNREADABLE
    translated = True


def _endpoint() -> str | None:
    if request.url_rule is not None:
        return request.url_rule.endpoint
    error = request.routing_exception
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        # the path exists with another method: which route is it?
        try:
            adapter = current_app.url_map.bind_to_environ(request.environ)
            endpoint, _args = adapter.match(method=sorted(error.valid_methods)[0])
            return endpoint
        except HTTPException:
            return None
    return None


def wants_json() -> bool:
    """Is this request answered in JSON (see :data:`JSON_ENDPOINTS`)?"""
    from app.api import is_api_request

    if _endpoint() in JSON_ENDPOINTS or request.headers.get(SAVE_HEADER) == "1" \
            or is_api_request():
        return True
    return request.is_json or request.accept_mimetypes.best == "application/json"


def respond(code: int, message=None, **extra):
    """The error answer for `code`: JSON or the error page, with a translated message."""
    text = str(message or MESSAGES.get(code, MESSAGES[500]))
    if wants_json():
        return {"error": text, "status": code, **extra}, code
    return render_template("errors/error.html", code=code, message=text), code


def _handle(error):
    code = getattr(error, "code", None) or 500
    if code >= 500:
        db.session.rollback()
    # our own refusals carry a translated description (BadParameter, UnreadableText, …)
    message = error.description if getattr(error, "translated", False) else None
    body, status = respond(code, message)
    headers = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    if code == 429:
        from app.limits import retry_after

        wait = retry_after()
        if wait is not None:
            headers["Retry-After"] = str(wait)
    return body, status, headers


def _handle_csrf(error):
    return respond(400, i18n._("The form expired or came from elsewhere. Reload the page and "
                               "try again; nothing you typed was saved by this request."))


# --- the guard --------------------------------------------------------------------------------

def _decodable(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")  # strict: also refuses encoded surrogates (ED A0 80)
    except UnicodeDecodeError:
        return False
    return True


def _form_decodable(raw: bytes) -> bool:
    return _decodable(unquote_to_bytes(raw.replace(b"+", b" ")))


def _lone_surrogate(value) -> bool:
    """Does the parsed JSON `value` hold a lone surrogate in any key or string? (iterative:
    nesting depth is no problem here)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any("\ud800" <= ch <= "\udfff" for ch in item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


#: a JSON body can hold a surrogate only as an escape \uD800–\uDFFF (raw UTF-8 surrogates are
#: refused as undecodable): a body without one needs no walk through its parsed values
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def check_request_text() -> None:
    """Refuse (400) a request holding text that cannot be stored; see the module doc."""
    path = request.environ.get("PATH_INFO", "")
    try:
        raw_path = path.encode("latin-1")
    except UnicodeEncodeError:  # a server that already decoded the path
        raw_path = path.encode("utf-8", "surrogatepass")
    if not _decodable(raw_path) or not _form_decodable(request.query_string):
        raise UnreadableText()
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.mimetype == "application/x-www-form-urlencoded":
        if not _form_decodable(request.get_data(cache=True)):  # 413 past the size limit
            raise UnreadableText()
    elif request.is_json:
        if not _decodable(request.get_data(cache=True)):
            raise UnreadableText()
        try:
            payload = request.get_json(silent=True)  # cached for the view
        except RecursionError:  # absurdly deep nesting: the view sees "could not be read"
            abort(400)
        if _SURROGATE_ESCAPE.search(request.get_data(cache=True)) and _lone_surrogate(payload):
            raise UnreadableText()


def init_app(app) -> None:
    from flask_wtf.csrf import CSRFError

    for code in MESSAGES:
        app.register_error_handler(code, _handle)
    app.register_error_handler(CSRFError, _handle_csrf)
    app.before_request(check_request_text)
