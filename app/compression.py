"""gzip for text responses: the form page is ~100 KB of HTML that compresses ~8×, and
inspectors work over weak mobile links. Files sent from disk are left to the web server."""

from __future__ import annotations

import gzip

from flask import request

COMPRESSIBLE = ("text/html", "text/css", "text/csv", "application/json",
                "application/javascript", "text/javascript")
MIN_SIZE = 1024


def init_app(app) -> None:
    @app.after_request
    def _gzip(response):
        if (response.direct_passthrough or response.is_streamed
                or "gzip" not in request.headers.get("Accept-Encoding", "")
                or response.mimetype not in COMPRESSIBLE
                or "Content-Encoding" in response.headers):
            return response
        body = response.get_data()
        if len(body) < MIN_SIZE:
            return response
        response.set_data(gzip.compress(body, compresslevel=6))
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        return response
