"""The minified scripts and style sheet (scripts/minify_assets.py, run by scripts/setup.sh): the
app serves them at the usual URLs when they are there (and not older than their source) and the
readable sources otherwise, with an ETag of their own, and they keep the Persian text as it is.
The form's scripts come as one file (app.assets.BUNDLES): their bytes, as each part's own URL
sends it, one after the other; the service worker keeps what the form page loads."""

from __future__ import annotations

import gzip
import os
import re
import subprocess

import pytest

from app.assets import BUNDLES, SEPARATOR
from app.config import ROOT
from tests.helpers import login
from tests.security.conftest import evaluation_id

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


FORM_PARTS = BUNDLES["js/form.js"]


def _joined(client, parts=FORM_PARTS) -> bytes:
    body = b""
    for part in parts:
        with client.get(f"/static/{part}") as response:
            assert response.status_code == 200, part
            body += response.data + SEPARATOR
    return body


def test_the_form_page_loads_one_script_for_the_form_and_the_worker_keeps_it(demo_app):
    client = demo_app.test_client()
    login(client, "inspector")
    page = client.get(f"/evaluations/{evaluation_id(demo_app)}").text
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts == ["/static/js/app.js", "/static/js/form.js"]
    assert set(FORM_PARTS) == {"js/store.js", "js/scoring.js", "js/paradata.js", "js/sync.js",
                               "js/evaluation.js", "js/organisation.js"}
    # offline, the page needs every file it loads: the service worker's list holds them
    worker = (SOURCES / "js" / "sw.js").read_text(encoding="utf-8")
    shell = re.search(r"var SHELL_FILES = \[(.*?)\];", worker, re.S).group(1)
    kept = set(re.findall(r'"([^"]+)"', shell))
    loaded = {*scripts, *re.findall(r'<link rel="stylesheet" href="([^"]+)"', page),
              *re.findall(r'<link rel="icon" href="([^"]+)"', page),
              *re.findall(r'<link rel="preload" href="([^"]+)"', page)}
    assert loaded <= kept, loaded - kept
    for url in kept:  # and each of them is there to be kept
        with client.get(url) as response:
            assert response.status_code == 200, url


def test_the_form_bundle_is_its_parts_as_served_one_after_the_other(client):
    """The node tests (tests/js) run on the parts, the sources and the minified copies: the
    bundle is those bytes unchanged, so they test what the page runs."""
    with client.get("/static/js/form.js") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/javascript"
        assert response.headers["Cache-Control"] == "no-cache"
        body, etag = response.data, response.headers["ETag"]
    assert body == _joined(client)
    assert body.startswith((MINIFIED / FORM_PARTS[0]).read_bytes())
    assert "۰۱۲۳۴۵۶۷۸۹" in body.decode("utf-8")  # scoring.js's digits, as they are
    with client.get("/static/js/form.js", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304
    with client.get("/static/js/form.js", headers={"Accept-Encoding": "br"}) as compressed:
        assert compressed.headers["Content-Encoding"] == "br"
        assert len(compressed.data) < len(body) / 2


def test_the_form_bundle_is_one_valid_script(client, tmp_path):
    """node (scripts/setup.sh installs it for tests/js) parses the whole file as one script."""
    with client.get("/static/js/form.js") as response:
        (tmp_path / "form.js").write_bytes(response.data)
    checked = subprocess.run(["node", "--check", str(tmp_path / "form.js")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_the_bundle_follows_its_parts_without_the_set_up_step(app, tmp_path, monkeypatch):
    client = app.test_client()
    monkeypatch.setitem(app.config, "MINIFIED_DIR", str(tmp_path / "absent"))
    with client.get("/static/js/form.js") as response:  # a checkout without the set-up step
        assert response.data == b"".join((SOURCES / part).read_bytes() + SEPARATOR
                                         for part in FORM_PARTS)
        etag = response.headers["ETag"]

    # minified copies of some parts: those are taken, the sources of the others
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "scoring.js").write_text('"use strict";var s=1', encoding="utf-8")
    (tmp_path / "js" / "sync.js").write_text('"use strict";var y=1//', encoding="utf-8")
    monkeypatch.setitem(app.config, "MINIFIED_DIR", str(tmp_path))
    with client.get("/static/js/form.js", headers={"If-None-Match": etag}) as response:
        assert response.status_code == 200 and response.headers["ETag"] != etag
        assert response.data == _joined(client)
        assert b'"use strict";var s=1\n;\n' in response.data
        assert b'"use strict";var y=1//\n;\n' in response.data  # the comment ends there
        etag = response.headers["ETag"]

    # a part's source edited since its copy was made: that source, at once
    copy = tmp_path / "js" / "scoring.js"
    older = os.stat(SOURCES / "js" / "scoring.js").st_mtime - 5
    os.utime(copy, (older, older))
    with client.get("/static/js/form.js", headers={"If-None-Match": etag}) as response:
        assert response.status_code == 200
        assert (SOURCES / "js" / "scoring.js").read_bytes() + SEPARATOR in response.data
        assert b"var s=1" not in response.data
    with client.get("/static/js/no-such-bundle.js") as missing:
        assert missing.status_code == 404
