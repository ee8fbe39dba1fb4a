"""gzip for text responses: the form page is ~160 KB of HTML that compresses ~8×, and
inspectors work over weak mobile links. The style sheet and scripts sent from disk (minified,
app.assets) are compressed once per file version and kept, with Brotli at its best for a
browser that takes it (every current one does; ~12 % smaller than gzip -9 on them) and gzip -9
otherwise, so the app served by gunicorn alone sends what a compressing proxy would. Pages
stay gzip: Brotli only beats it at a quality that costs ten times the CPU per page."""

from __future__ import annotations

import gzip

import brotli
from flask import request

COMPRESSIBLE = ("text/html", "text/css", "text/csv", "application/json",
                "application/javascript", "text/javascript")
MIN_SIZE = 1024
#: static files larger than this are sent as they are
MAX_STATIC_SIZE = 2 * 1024 * 1024
#: compressed static files by ETag (Werkzeug's: the file's time, size and name) and encoding
_STATIC: dict[tuple[str, str], bytes] = {}
_STATIC_ENTRIES = 64


def init_app(app) -> None:
    @app.after_request
    def _gzip(response):
        if (response.mimetype not in COMPRESSIBLE
                or "Content-Encoding" in response.headers):
            return response
        if response.direct_passthrough:
            return _static_file(response)
        if response.is_streamed or not request.accept_encodings["gzip"]:
            return response
        body = response.get_data()
        if len(body) < MIN_SIZE:
            return response
        response.set_data(gzip.compress(body, compresslevel=6))
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        return response


def _static_file(response):
    """A file from send_file: compressed from the cache by its ETag (weak from then on, as the
    body is no longer the file's bytes; If-None-Match compares weakly, so 304s still work, and
    the two encodings of one file are the same content: Vary keeps them apart in caches)."""
    etag, _weak = response.get_etag()
    length = response.content_length
    if (response.status_code != 200 or not etag or length is None
            or not MIN_SIZE <= length <= MAX_STATIC_SIZE):
        return response
    encoding = ("br" if request.accept_encodings["br"]
                else "gzip" if request.accept_encodings["gzip"] else None)
    if encoding is None:
        return response
    body = _STATIC.get((etag, encoding))
    if body is None:
        try:
            data = b"".join(response.response)
        finally:
            response.close()
        body = (brotli.compress(data, quality=11) if encoding == "br"
                else gzip.compress(data, compresslevel=9))
        if len(_STATIC) >= _STATIC_ENTRIES:
            _STATIC.clear()
        _STATIC[(etag, encoding)] = body
    else:
        response.close()
    response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    response.set_etag(etag, weak=True)
    response.vary.add("Accept-Encoding")
    return response
