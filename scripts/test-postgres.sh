#!/usr/bin/env bash
# Run the database tests again on a real PostgreSQL server: installs Debian's postgresql when
# missing, starts a throw-away cluster on a loopback port, runs pytest against it, stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_env.sh
source scripts/_postgres.sh

port=${PGTEST_PORT:-55432}
start_postgres "$port" -c fsync=off
echo "==> pytest on PostgreSQL (port $port)"
ARZYAB_TEST_POSTGRES="$pg_url" \
  .venv/bin/pytest -W error -m "not browser" -n "${PYTEST_WORKERS:-auto}" --dist worksteal "$@"
