"""Where a /static/ file is read from: the minified copy of a script or style sheet that
scripts/minify_assets.py wrote into MINIFIED_DIR (generated/static) when there is one and it is
not older than its source, else the readable source in app/static (a checkout without the
set-up step, or a source edited since the copy was made, is served as it is)."""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.security import safe_join


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
