"""Where a /static/ file is read from, and the files the app puts together from others.

- The minified copy of a script or style sheet that scripts/minify_assets.py wrote into
  MINIFIED_DIR (generated/static) when there is one and it is not older than its source, else
  the readable source in app/static (a checkout without the set-up step, or a source edited
  since the copy was made, is served as it is).
- A bundle (BUNDLES): one /static/ file that is the concatenation of several scripts, each
  read as its own URL would send it (the rule above), so a page needs one request instead of
  six. The app builds it itself, when first asked for and again whenever a part changes (its
  files' times and sizes): no set-up step to forget and no copy that can be older than its
  parts. The parts stay what the readers and the node tests (tests/js, on the sources and
  on the minified copies) work on; the bundle is their bytes, unchanged, one after the other.
"""

from __future__ import annotations

import hashlib
import os
import threading

from flask import Flask
from werkzeug.security import safe_join

#: bundle -> its parts in the order they run (each an IIFE of its own, in strict mode, so
#: joining them changes no scope: what each defines for the others is on `self`, as when
#: they were separate <script defer> tags, which also ran in document order)
BUNDLES: dict[str, tuple[str, ...]] = {
    # the inspector's form (templates/evaluations/form.html); sw.js keeps it for offline use
    "js/form.js": ("js/store.js", "js/scoring.js", "js/paradata.js", "js/sync.js",
                   "js/evaluation.js", "js/organisation.js"),
}
#: after each part: a newline ends a last line comment, the semicolon a last statement
#: written without one (else `})()` followed by `(function` would call the first's result)
SEPARATOR = b"\n;\n"

_built: dict[str, tuple[tuple, bytes, str]] = {}
_lock = threading.Lock()


def static_folder(app: Flask, filename: str) -> str:
    """The folder to send /static/<filename> from."""
    minified = app.config["MINIFIED_DIR"]
    copy = safe_join(minified, filename)
    source = safe_join(app.static_folder, filename)
    try:
        if copy and source and os.stat(copy).st_mtime >= os.stat(source).st_mtime:
            return minified
    except OSError:  # no copy, or no source (then send_from_directory answers 404)
        pass
    return app.static_folder


def bundle(app: Flask, filename: str) -> tuple[bytes, str] | None:
    """(body, ETag) of the bundle /static/<filename>, or None when it is not one."""
    parts = BUNDLES.get(filename)
    if parts is None:
        return None
    paths = [os.path.join(static_folder(app, part), part) for part in parts]
    version = tuple((path, stat.st_mtime_ns, stat.st_size)
                    for path, stat in ((path, os.stat(path)) for path in paths))
    built = _built.get(filename)
    if built is None or built[0] != version:
        with _lock:
            body = b"".join(_read(path) + SEPARATOR for path in paths)
            etag = "b-" + hashlib.blake2b(body, digest_size=12).hexdigest()
            built = _built[filename] = (version, body, etag)
    return built[1], built[2]


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()
