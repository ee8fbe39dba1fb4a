"""The minified scripts and style sheet (scripts/minify_assets.py, run by scripts/setup.sh): the
app serves them at the usual URLs when they are there (and not older than their source) and the
readable sources otherwise, with an ETag of their own, and they keep the Persian text as it is."""

from __future__ import annotations

import gzip
import os

import pytest

from app.config import ROOT

SOURCES = ROOT / "app" / "static"
MINIFIED = ROOT / "generated" / "static"
GZIP = {"Accept-Encoding": "gzip"}  # (Brotli: tests/test_compression.py)


def _sources():
    return sorted([*SOURCES.glob("js/*.js"), *SOURCES.glob("css/*.css")])


def test_every_script_and_style_sheet_has_a_smaller_minified_copy():
    assert MINIFIED.is_dir(), f"{MINIFIED} is missing: scripts/setup.sh builds it"
    for source in _sources():
        copy = MINIFIED / source.relative_to(SOURCES)
        assert copy.is_file(), f"{copy} is missing: scripts/setup.sh rebuilds it"
        text, original = copy.read_text(encoding="utf-8"), source.read_text(encoding="utf-8")
        assert len(text.encode()) < source.stat().st_size * 0.9, copy
        # Persian stays as it is, not six-byte \u escapes: no escape the source did not write,
        # and every Persian letter of the source is in the copy
        assert text.count("\\u06") <= original.count("\\u06"), copy
        persian = {ch for ch in original if "\u0600" <= ch <= "\u06ff"}
        assert persian <= set(text), copy


@pytest.mark.parametrize("url, path", [("/static/js/scoring.js", "js/scoring.js"),
                                       ("/static/css/app.css", "css/app.css"),
                                       ("/sw.js", "js/sw.js")])
def test_the_app_serves_the_minified_copy(client, url, path):
    with client.get(url, headers=GZIP) as response:
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.data) == (MINIFIED / path).read_bytes()


def test_the_source_is_served_where_there_is_no_minified_copy(app, tmp_path, monkeypatch):
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "app.js").write_text('"use strict";var minified=1;', encoding="utf-8")
    (tmp_path / "js" / "sw.js").write_text('"use strict";var worker=1;', encoding="utf-8")
    monkeypatch.setitem(app.config, "MINIFIED_DIR", str(tmp_path))
    client = app.test_client()
    with client.get("/static/js/app.js") as response:
        assert response.status_code == 200 and response.data == b'"use strict";var minified=1;'
        assert response.mimetype in ("text/javascript", "application/javascript")
        etag = response.headers["ETag"]
    with client.get("/sw.js") as worker:
        assert worker.data == b'"use strict";var worker=1;'
        assert worker.headers["Service-Worker-Allowed"] == "/"
    with client.get("/static/js/store.js") as other:  # no copy of this one: the source
        assert other.data == (SOURCES / "js" / "store.js").read_bytes()
    with client.get("/static/icon.svg") as icon:  # nor of the files that are not minified
        assert icon.data == (SOURCES / "icon.svg").read_bytes()
    with client.get("/static/../config.py") as outside:
        assert outside.status_code == 404

    # a new minified copy has a new ETag: the browser's copy is not taken for it
    copy = tmp_path / "js" / "app.js"
    copy.write_text('"use strict";var minified=22;', encoding="utf-8")
    later = os.stat(copy).st_mtime + 5
    os.utime(copy, (later, later))
    with client.get("/static/js/app.js", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 200 and again.data == b'"use strict";var minified=22;'
        assert again.headers["ETag"] != etag

    # a source edited since its copy was made is served as it is, until the copy is made again
    source = SOURCES / "js" / "app.js"
    older = os.stat(source).st_mtime - 5
    os.utime(copy, (older, older))
    with client.get("/static/js/app.js") as response:
        assert response.data == source.read_bytes()

    monkeypatch.setitem(app.config, "MINIFIED_DIR", str(tmp_path / "absent"))
    with client.get("/static/js/app.js") as response:  # a checkout without the set-up step
        assert response.data == (SOURCES / "js" / "app.js").read_bytes()
    with client.get("/sw.js") as worker:
        assert worker.data == (SOURCES / "js" / "sw.js").read_bytes()
