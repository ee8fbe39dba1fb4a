#!/usr/bin/env bash
# Run a benchmark against a throw-away PostgreSQL cluster, as scripts/test-postgres.sh does for
# the tests, but durable (fsync on, the server's defaults): starts it on a loopback port, runs
# the command with `--database-url postgresql+psycopg://arzyab@127.0.0.1:PORT/postgres`
# appended, stops it.
#
#   scripts/with-postgres.sh .venv/bin/python bench/load_bench.py --mode saturation
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_env.sh
source scripts/_postgres.sh

start_postgres "${PGBENCH_PORT:-55999}" -c max_connections=200
"$@" --database-url "$pg_url"
