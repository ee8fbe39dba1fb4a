"""Minified copies of the style sheet and scripts, for the pages to fetch less (issue 17 part 3).

    .venv/bin/python scripts/minify_assets.py

esbuild (from the npm registry, package.json) minifies every app/static/js/*.js and
app/static/css/*.css into generated/static/ under the same relative path; the app serves those
copies at the usual /static/ URLs when they are there and the sources otherwise
(app/factory.py). No bundling here: each file stays a classic script and keeps its top-level
names, which the other scripts and the tests use; the app joins the form's scripts into one
file itself from whatever it serves for each (app/assets.py, BUNDLES), so that file can never
be older than its parts. scripts/setup.sh runs this when a source changed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "app" / "static"
TARGET = ROOT / "generated" / "static"
ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"
#: the sources use ES2015 (let, template strings) and nothing newer; the minifier must not
#: write newer syntax than that (e.g. ||=) for older tablet browsers. utf8: Persian text stays
#: as it is, not \u escapes (six bytes a letter)
OPTIONS = ["--minify", "--target=es2015", "--charset=utf8", "--log-level=warning"]


def sources() -> list[Path]:
    return sorted([*SOURCE.glob("js/*.js"), *SOURCE.glob("css/*.css")])


def main() -> int:
    if not ESBUILD.is_file():
        print(f"{ESBUILD} is missing: npm ci installs it", file=sys.stderr)
        return 1
    building = TARGET.with_name(TARGET.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    files = [str(path.relative_to(ROOT)) for path in sources()]
    subprocess.run([str(ESBUILD), *files, *OPTIONS, f"--outdir={building}",
                    f"--outbase={SOURCE.relative_to(ROOT)}"], cwd=ROOT, check=True)
    shutil.rmtree(TARGET, ignore_errors=True)  # no copy left of a source that is gone
    building.rename(TARGET)
    for path in sources():
        size, minified = path.stat().st_size, (TARGET / path.relative_to(SOURCE)).stat().st_size
        print(f"  {path.relative_to(SOURCE)}: {size} -> {minified} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
