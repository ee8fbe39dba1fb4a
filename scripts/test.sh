#!/usr/bin/env bash
# Set up everything the tests need, lint, and run the whole suite (browser and PDF tests too).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_env.sh
scripts/setup.sh --test
echo "==> ruff"
.venv/bin/ruff check .
echo "==> node --test (the page's queue and live score; shared vectors in tests/data)"
node --test tests/js/
echo "==> node --test on the minified copies the app serves (generated/static)"
ARZYAB_STATIC=generated/static node --test tests/js/
echo "==> pytest"
# one worker per CPU (each builds its own template databases; tests/conftest.py); -n 0 in the
# arguments runs in one process
.venv/bin/pytest -W error -n "${PYTEST_WORKERS:-auto}" --dist worksteal "$@"
