"""The read API under ``/api/v1/`` (issue 19): JSON for BI tools and scripts, authenticated by
personal tokens (:mod:`app.api.tokens`), never by a cookie.

- :mod:`app.api.tokens`: making, revoking and checking tokens (the one home of that rule);
- :mod:`app.api.views`: the endpoints (thin: parse, ask :mod:`app.access`, serialise);
- :mod:`app.api.paging`: cursors, filters and ETags;
- :mod:`app.api.resources`: what each kind of object looks like in JSON;
- :mod:`app.api.openapi`: the OpenAPI 3 description, served at ``/api/v1/openapi.json``;
- :mod:`app.api.pages`: the token pages (the user's own, the administrators' list).
"""

from __future__ import annotations

from flask import has_request_context, request

#: every API path starts with this; requests under it read no cookie and set none
PREFIX = "/api/"


def is_api_request() -> bool:
    """Whether this request is one of the API's (no cookie works there, only a token)."""
    return has_request_context() and request.path.startswith(PREFIX)
