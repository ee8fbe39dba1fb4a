"""Compressed text responses: the form page is ~160 KB of HTML that compresses ~8×, and
inspectors work over weak mobile links; the app served by gunicorn alone sends what a
compressing proxy would.

- Pages and JSON, per response: Brotli quality 5 for a browser that takes it (every current
  one does), gzip -6 otherwise. On the form page (162 KB) Brotli 5 writes 17.2 KB in ~3.1 ms
  of CPU where gzip -6 writes 19.6 KB in ~3.5 ms (quality 4: 19.1 KB, 1.7 ms; 6: 16.8 KB,
  3.8 ms; 7: 16.5 KB, 4.3 ms; bench/RESULTS.md). Its window is 256 KB (lgwin 18): as good
  as the default 4 MB on pages this size, and less memory for the tablet to decode with.
  Small bodies too: on the autosave's reply (2,499 bytes, every save) quality 5 writes 634
  bytes in ~0.14 ms of the request's CPU, quality 3 713 bytes in ~0.08 ms, but gzip -6
  writes 691 and on a 2 KB page quality 3 loses to gzip (1,070 against 1,006 bytes): Brotli
  is sent because it is the smaller.
- The style sheet, scripts and icon sent from disk (minified, app.assets) are compressed once
  per file version and kept, with Brotli at its best (quality 11; ~12 % smaller than gzip -9
  on them) or gzip -9."""

from __future__ import annotations

import gzip
from functools import lru_cache

import brotli
from flask import request
from werkzeug.http import parse_accept_header

COMPRESSIBLE = ("text/html", "text/css", "text/csv", "application/json",
                "application/javascript", "text/javascript")
MIN_SIZE = 1024
#: Brotli's quality for pages (compressed per response)
PAGE_BROTLI_QUALITY = 5
#: static files from this size are compressed: once per version, so the CPU is spent once, and
#: Brotli still saves ~45 % on a 600-byte script (the ~40 bytes of Content-Encoding and Vary
#: that come with it included)
MIN_STATIC_SIZE = 256
#: static file types worth compressing beyond COMPRESSIBLE (the icon)
STATIC_COMPRESSIBLE = (*COMPRESSIBLE, "image/svg+xml")
#: static files larger than this are sent as they are
MAX_STATIC_SIZE = 2 * 1024 * 1024
#: compressed static files by ETag (Werkzeug's: the file's time, size and name) and encoding
_STATIC: dict[tuple[str, str], bytes] = {}
_STATIC_ENTRIES = 64


def init_app(app) -> None:
    @app.after_request
    def _gzip(response):
        if "Content-Encoding" in response.headers:
            return response
        if response.direct_passthrough:
            if response.mimetype in STATIC_COMPRESSIBLE:
                return _static_file(response)
            return response
        if response.mimetype not in COMPRESSIBLE:
            return response
        encoding = chosen_encoding()
        if response.is_streamed or encoding is None:
            return response
        body = response.get_data()
        if len(body) < MIN_SIZE:
            return response
        response.set_data(brotli.compress(body, quality=PAGE_BROTLI_QUALITY, lgwin=18)
                          if encoding == "br" else gzip.compress(body, compresslevel=6))
        response.headers["Content-Encoding"] = encoding
        response.vary.add("Accept-Encoding")
        return response


def chosen_encoding() -> str | None:
    """The encoding this request's response is compressed with: Brotli if the client takes
    it, else gzip, else none (its Accept-Encoding header as Werkzeug reads it, q=0 included)."""
    return _encoding_for(request.headers.get("Accept-Encoding", ""))


@lru_cache(maxsize=64)
def _encoding_for(accept: str) -> str | None:
    # a device sends the same header with every request: read once per process, not per
    # request (bounded: a header nobody else sends only takes one of the 64 places)
    accepted = parse_accept_header(accept)
    return "br" if accepted["br"] else "gzip" if accepted["gzip"] else None


def _static_file(response):
    """A file from send_file: compressed from the cache by its ETag (weak from then on, as the
    body is no longer the file's bytes; If-None-Match compares weakly, so 304s still work, and
    the two encodings of one file are the same content: Vary keeps them apart in caches).

    Every answer about a file that is sent compressed to some browsers says Vary:
    Accept-Encoding, the uncompressed one to a client that takes neither encoding and the 304s
    included: without it a shared cache could hand the plain file's headers or body to a
    browser that should get Brotli, or Brotli to a client that cannot read it."""
    etag, _weak = response.get_etag()
    length = response.content_length
    if not etag or response.status_code not in (200, 206, 304):
        return response
    whole = response.status_code == 200
    sized = length is not None and MIN_STATIC_SIZE <= length <= MAX_STATIC_SIZE
    # (a 304 or a range says nothing of the file's size: said there whatever the file)
    if sized or not whole:
        response.vary.add("Accept-Encoding")
    if not (whole and sized):
        return response
    encoding = chosen_encoding()
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
    return response
