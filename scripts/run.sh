#!/usr/bin/env bash
# Set up, migrate, load the Qom demo data and start Arzyab on SQLite under gunicorn.
#   make run           gunicorn (WORKERS=N to choose the worker processes; default one per CPU)
#   DEV=1 make run     Flask's development server instead (one process, reloads on changes)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_env.sh
scripts/setup.sh
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
.venv/bin/arzyab db upgrade
.venv/bin/arzyab demo
server=(--workers "${WORKERS:-0}")
[ "${WORKERS:-0}" = 0 ] && server=()
[ "${DEV:-0}" != 0 ] && server=(--dev)
cat <<MSG

  Arzyab is starting at  http://$HOST:$PORT/
  Demo logins (password arzyab-demo):  inspector, reviewer, manager, dastjerd, author, admin

MSG
exec .venv/bin/arzyab serve --host "$HOST" --port "$PORT" "${server[@]}"
