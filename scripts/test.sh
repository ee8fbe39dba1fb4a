#!/usr/bin/env bash
# Set up everything the tests need, lint, and run the whole suite (browser and PDF tests too).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
echo "==> ruff"
.venv/bin/ruff check .
echo "==> pytest"
.venv/bin/pytest -W error "$@"
