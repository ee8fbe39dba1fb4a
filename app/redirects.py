"""The one place that turns user input into a redirect (``?next=``, the language switch).

Only a path on this site is followed; anything else falls back to a page of ours. Browsers
repair URLs before following them (they drop tabs and newlines anywhere, read ``\\`` as ``/``,
and treat ``//host`` and ``/\\host`` as another site), so a target is refused outright when it
holds any control character, whitespace or backslash, or would name a scheme or a host, also
once percent-decoded. Refusing is never an error: the visitor simply lands on the fallback.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import redirect

#: longer targets are not ours (our own paths with their query are far shorter)
MAX_LENGTH = 2000


def _looks_foreign(text: str) -> bool:
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F or ch in "\\\u2028\u2029\u3000\u00a0"
           or ch.isspace() for ch in text):
        return True
    if not text.startswith("/") or text.startswith(("//", "/\\")):
        return True
    parts = urlsplit(text)
    return bool(parts.scheme or parts.netloc)


def safe_target(value: object) -> str | None:
    """`value` when it is a path on this site that is safe to redirect to, else None."""
    if not isinstance(value, str) or not value or len(value) > MAX_LENGTH:
        return None
    text = value
    for _round in range(3):  # also what a proxy or browser might make of it decoded
        if _looks_foreign(text):
            return None
        try:
            decoded = unquote(text, errors="strict") if "%" in text else text
        except UnicodeDecodeError:
            return None
        if decoded == text:
            break
        text = decoded
    else:
        return None  # encoded three times over: not a link of ours
    return value


def redirect_to_next(value: object, fallback: str):
    """A redirect to `value` when it is safe (see :func:`safe_target`), else to `fallback`."""
    return redirect(safe_target(value) or fallback)
