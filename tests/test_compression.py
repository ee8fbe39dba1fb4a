"""Compression as the tablets get it: pages gzipped per response, the style sheet and scripts
compressed once per file version (Brotli when asked for, else gzip), and revalidation of a
compressed file still answered 304."""

from __future__ import annotations

import gzip
from pathlib import Path

import brotli
import pytest

from app.assets import static_folder

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.mark.parametrize("url, path", [
    ("/static/css/app.css", "css/app.css"),
    ("/static/js/evaluation.js", "js/evaluation.js"),
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
            assert int(response.headers["Content-Length"]) == len(response.data) < len(original) / 2
            etag = response.headers["ETag"]
    assert etag.startswith('W/"')
    with client.get(url, headers={**headers, "If-None-Match": etag}) as again:
        assert again.status_code == 304 and not again.data
    with client.get(url) as plain:  # a client that does not ask for gzip gets the file
        assert "Content-Encoding" not in plain.headers and plain.data == original


def test_brotli_is_smaller_than_gzip_on_the_scripts(client):
    sizes = {}
    for accept in ("gzip", "br"):
        with client.get("/static/js/evaluation.js", headers={"Accept-Encoding": accept}) as r:
            sizes[accept] = len(r.data)
    assert sizes["br"] < sizes["gzip"] * 0.95


def test_pages_are_gzipped_and_small_or_binary_files_are_not(client):
    page = client.get("/login", headers=GZIP)
    assert page.headers["Content-Encoding"] == "gzip"
    assert "ورود" in gzip.decompress(page.data).decode()
    with client.get("/static/icon.svg", headers=GZIP) as small:  # under 1 KB: not worth it
        assert "Content-Encoding" not in small.headers
    with client.get("/assets/fonts/Vazirmatn[wght].woff2", headers=GZIP) as font:
        assert "Content-Encoding" not in font.headers  # WOFF2 is compressed already
    with client.get("/static/css/app.css", headers={**GZIP, "Range": "bytes=0-99"}) as part:
        assert part.status_code == 206 and len(part.data) == 100
