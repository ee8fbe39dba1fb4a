"""Our own cookies (keep-me-logged-in, known device) with the session cookie's rules.

Every cookie set here is HttpOnly, SameSite=Lax, path ``/``, and Secure exactly when the
session cookie is (``SESSION_COOKIE_SECURE``, or by default whenever the request came over
HTTPS; see ``app.factory.SessionInterface``). Views and hooks ask for a cookie with
:func:`set_later` / :func:`delete_later`; the after-request hook writes them on the response.
"""

from __future__ import annotations

from flask import current_app, g


def secure() -> bool:
    """Secure exactly when the session cookie is."""
    return bool(current_app.session_interface.get_cookie_secure(current_app))


def set_later(name: str, value: str, max_age: int) -> None:
    g.setdefault("_arzyab_cookies", {})[name] = (value, max_age)


def delete_later(name: str) -> None:
    g.setdefault("_arzyab_cookies", {})[name] = (None, 0)


def apply(response):
    """after_request: write the cookies asked for during this request."""
    for name, (value, max_age) in g.pop("_arzyab_cookies", {}).items():
        if value is None:
            response.delete_cookie(name, path="/", secure=secure(), httponly=True,
                                   samesite="Lax")
        else:
            response.set_cookie(name, value, max_age=max_age, path="/", secure=secure(),
                                httponly=True, samesite="Lax")
    return response
