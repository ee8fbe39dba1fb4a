"""Where a /static/ file is read from: the minified copy of a script or style sheet that
scripts/minify_assets.py wrote into MINIFIED_DIR (generated/static) when there is one, else the
readable source in app/static (a checkout without the set-up step still works)."""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.security import safe_join


def static_folder(app: Flask, filename: str) -> str:
    """The folder to send /static/<filename> from."""
    minified = app.config["MINIFIED_DIR"]
    path = safe_join(minified, filename)
    return minified if path and os.path.isfile(path) else app.static_folder
