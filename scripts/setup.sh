#!/usr/bin/env bash
# Set up Arzyab on a fresh Debian machine: system packages (apt-get, only what is missing),
# a virtual environment with the Python packages, the Vazirmatn font from the npm registry (and
# its subset for the pages), and the compiled translations. Safe to run again: it only does what is not done yet.
#
#   scripts/setup.sh          what running the app needs
#   scripts/setup.sh --test   plus what the test suite needs (Chromium and its headless shell,
#                             poppler-utils, redis, dev tools)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_env.sh

mode=${1:-run}
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core
          python3-venv nodejs npm)
if [ "$mode" = "--test" ]; then
  # the browser tests drive chromium-headless-shell; chromium itself is for the benchmarks'
  # first visit (bench/form_bench.py) and for looking at pages
  packages+=(chromium chromium-headless-shell poppler-utils redis-server)
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
# node and npm may come from elsewhere than Debian; then they are not missing
if command -v node >/dev/null 2>&1; then missing=("${missing[@]/nodejs}"); fi
if command -v npm >/dev/null 2>&1; then missing=("${missing[@]/npm}"); fi
if python3 -c "import venv, ensurepip" >/dev/null 2>&1; then missing=("${missing[@]/python3-venv}"); fi
read -r -a missing <<< "${missing[*]:-}"
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# the npm packages install in the background while pip works (neither needs the other;
# both mostly wait on the network on a fresh machine); waited for before the font is cut
npm_job=""
if [ ! -f node_modules/vazirmatn/fonts/webfonts/Vazirmatn-Regular.woff2 ] \
   || [ ! -f node_modules/axe-core/axe.min.js ] \
   || [ "$(node_modules/.bin/esbuild --version 2>/dev/null)" \
        != "$(node -p 'require("./package.json").dependencies.esbuild')" ]; then
  echo "==> installing the Vazirmatn font, esbuild and axe-core from the npm registry"
  npm ci --no-audit --no-fund --silent &
  npm_job=$!
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating the virtual environment (.venv)"
  python3 -m venv .venv
fi
extras="postgres,queue"
[ "$mode" = "--test" ] && extras="postgres,queue,dev"
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-12)-$extras"
if [ ! -f "$stamp" ]; then
  echo "==> installing Python packages"
  # --no-compile: no byte-compiling of every installed module up front (Python compiles
  # the modules it imports, once, on first import: scripts/_env.sh)
  .venv/bin/pip install -q --disable-pip-version-check --no-compile -e ".[$extras]"
  touch "$stamp"
fi

if [ -n "$npm_job" ]; then
  wait "$npm_job" || { echo "npm ci failed" >&2; exit 1; }
fi

# the page font: Vazirmatn cut down to the app's characters, rebuilt only when the font or the
# subset's specification (scripts/subset_font.py) changed; the PDF reports use the full TTFs
font_source="node_modules/vazirmatn/fonts/variable/Vazirmatn[wght].ttf"
font_stamp="generated/fonts/.built-$(cat "$font_source" scripts/subset_font.py | sha256sum | cut -c1-12)"
if [ ! -f "$font_stamp" ] || [ ! -f "generated/fonts/Vazirmatn[wght].woff2" ]; then
  echo "==> subsetting the web font"
  rm -f generated/fonts/.built-*
  .venv/bin/python scripts/subset_font.py
  touch "$font_stamp"
fi

# minified copies of the scripts and style sheet (esbuild), served instead of the sources when
# there; rebuilt only when a source, esbuild or scripts/minify_assets.py changed
asset_stamp="generated/static/.built-$( (cat scripts/minify_assets.py app/static/js/*.js \
  app/static/css/*.css; ls app/static/js app/static/css; node_modules/.bin/esbuild --version) \
  | sha256sum | cut -c1-12)"
if [ ! -f "$asset_stamp" ]; then
  echo "==> minifying the scripts and style sheet"
  .venv/bin/python scripts/minify_assets.py >/dev/null
  touch "$asset_stamp"
fi

.venv/bin/pybabel -q compile -d app/translations 2>/dev/null || .venv/bin/pybabel compile -d app/translations
echo "==> set-up done"
