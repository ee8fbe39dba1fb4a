"""Compression as the tablets get it: pages compressed per response (Brotli when asked for,
else gzip), the style sheet, scripts and icon once per file version, revalidation of a
compressed file still answered 304, and every answer about a file that some browsers get
compressed marked Vary: Accept-Encoding, the plain one too."""

from __future__ import annotations

import gzip
from pathlib import Path

import brotli
import pytest
from flask import request

from app.assets import static_folder
from app.compression import MIN_STATIC_SIZE, chosen_encoding

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.mark.parametrize("url, path", [
    ("/static/css/app.css", "css/app.css"),
    ("/static/js/evaluation.js", "js/evaluation.js"),
    ("/static/js/app.js", "js/app.js"),  # ~600 bytes minified: over the static floor
    ("/static/icon.svg", "icon.svg"),
    ("/sw.js", "js/sw.js"),
])
@pytest.mark.parametrize("accept, encoding, decompress", [
    ("gzip, deflate, br", "br", brotli.decompress),  # what Chromium, Firefox, Safari send
    ("gzip, deflate", "gzip", gzip.decompress),
    ("gzip, br;q=0", "gzip", gzip.decompress),
])
def test_static_text_is_sent_compressed_and_revalidates(client, url, path, accept, encoding,
                                                        decompress):
    original = (Path(static_folder(client.application, path)) / path).read_bytes()
    headers = {"Accept-Encoding": accept}
    for _ in range(2):  # compressed once, then from the cache
        with client.get(url, headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["Content-Encoding"] == encoding
            assert "Accept-Encoding" in response.headers["Vary"]
            assert decompress(response.data) == original
            assert int(response.headers["Content-Length"]) == len(response.data)
            assert len(response.data) < len(original) * 0.6
            etag = response.headers["ETag"]
    assert etag.startswith('W/"')
    with client.get(url, headers={**headers, "If-None-Match": etag}) as again:
        assert again.status_code == 304 and not again.data
        assert "Accept-Encoding" in again.headers["Vary"]
    with client.get(url) as plain:  # a client that does not ask for gzip gets the file
        assert "Content-Encoding" not in plain.headers and plain.data == original
        # ... and a cache between is told so: it must not give this answer to a browser that
        # takes Brotli, nor a Brotli answer it kept to this client
        assert "Accept-Encoding" in plain.headers["Vary"]
    with client.get(url, headers={"Accept-Encoding": "identity"}) as identity:
        assert "Content-Encoding" not in identity.headers and identity.data == original
        assert "Accept-Encoding" in identity.headers["Vary"]


def test_brotli_is_smaller_than_gzip_on_the_scripts(client):
    sizes = {}
    for accept in ("gzip", "br"):
        with client.get("/static/js/evaluation.js", headers={"Accept-Encoding": accept}) as r:
            sizes[accept] = len(r.data)
    assert sizes["br"] < sizes["gzip"] * 0.95


@pytest.mark.parametrize("accept, encoding, decompress", [
    ("gzip, deflate, br", "br", brotli.decompress),
    ("gzip, deflate", "gzip", gzip.decompress),
])
def test_pages_are_compressed_brotli_when_asked_for_else_gzip(client, accept, encoding,
                                                             decompress):
    page = client.get("/login", headers={"Accept-Encoding": accept})
    assert page.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in page.headers["Vary"]
    assert "ورود" in decompress(page.data).decode()
    assert client.get("/login").headers.get("Content-Encoding") is None


def test_pages_compress_better_with_brotli(client):
    """The form page's figures are in bench/RESULTS.md; here a page of the same kind of markup:
    Brotli's answer is the smaller one."""
    sizes = {accept: len(client.get("/login", headers={"Accept-Encoding": accept}).data)
             for accept in ("gzip", "br")}
    assert sizes["br"] < sizes["gzip"]


def test_tiny_or_binary_files_are_sent_as_they_are(app, tmp_path, monkeypatch):
    client = app.test_client()
    (tmp_path / "js").mkdir()
    tiny = b'"use strict";' + b" " * (MIN_STATIC_SIZE - 20)
    (tmp_path / "js" / "app.js").write_bytes(tiny)
    monkeypatch.setitem(app.config, "MINIFIED_DIR", str(tmp_path))
    with client.get("/static/js/app.js", headers=GZIP) as small:  # not worth it
        assert "Content-Encoding" not in small.headers and small.data == tiny
        # always sent so, to every client: nothing for a cache to keep apart
        assert "Accept-Encoding" not in small.headers.get("Vary", "")
    with client.get("/assets/fonts/Vazirmatn[wght].woff2", headers=GZIP) as font:
        assert "Content-Encoding" not in font.headers  # WOFF2 is compressed already
        assert "Accept-Encoding" not in font.headers.get("Vary", "")
    with client.get("/static/icon-180.png", headers=GZIP) as png:
        assert png.status_code == 200 and "Content-Encoding" not in png.headers
    with client.get("/static/css/app.css", headers={**GZIP, "Range": "bytes=0-99"}) as part:
        assert part.status_code == 206 and len(part.data) == 100
        assert "Accept-Encoding" in part.headers["Vary"]


def test_a_static_file_is_the_same_for_everyone_logged_in_or_not(client):
    """A logged-in tablet's script, style sheet and font answers set no cookie and do not say
    `Vary: Cookie` (a shared cache may keep one copy for every user); its pages still do."""
    from tests.helpers import login

    login(client, "inspector")
    for url in ("/static/js/app.js", "/static/js/form.js", "/static/css/app.css",
                "/static/icon.svg"):
        with client.get(url, headers=GZIP) as response:
            assert response.status_code == 200, url
            assert "Cookie" not in response.headers.get("Vary", ""), url
            assert "Set-Cookie" not in response.headers, url
    page = client.get("/", headers=GZIP, follow_redirects=True)
    assert page.status_code == 200 and "/login" not in page.request.path
    assert "Cookie" in page.headers["Vary"]


@pytest.mark.parametrize("accept", [
    None, "", "gzip, deflate, br", "gzip, deflate", "gzip, br;q=0", "br;q=0, gzip;q=0",
    "identity", "*", "BR", "gzip;q=0.5, br;q=0.1", "deflate", "br", "zstd, br, gzip",
])
def test_the_encoding_chosen_is_the_one_werkzeug_reads_asked_twice(app, accept):
    headers = {} if accept is None else {"Accept-Encoding": accept}
    for _ in range(2):  # the second answer comes from the memory
        with app.test_request_context("/", headers=headers):
            accepted = request.accept_encodings
            expected = ("br" if accepted["br"] else "gzip" if accepted["gzip"] else None)
            assert chosen_encoding() == expected
