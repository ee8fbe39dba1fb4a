#!/usr/bin/env bash
# Run a benchmark against a throw-away PostgreSQL cluster, as scripts/test-postgres.sh does for
# the tests, but durable (fsync on, the server's defaults): starts it on a loopback port, runs
# the command with `--database-url postgresql+psycopg://arzyab@127.0.0.1:PORT/postgres`
# appended, stops it.
#
#   scripts/with-postgres.sh .venv/bin/python bench/load_bench.py --mode saturation
set -euo pipefail
cd "$(dirname "$0")/.."

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "==> installing postgresql"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
port=${PGBENCH_PORT:-55999}
data=$(mktemp -d /tmp/arzyab-pg-bench.XXXXXX)
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$data"
  run_as=(runuser -u postgres --)
fi
"${run_as[@]}" "$bin/initdb" -D "$data" -U arzyab -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${run_as[@]}" "$bin/pg_ctl" -D "$data" -l "$data/log" -w \
  -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
trap '"${run_as[@]}" "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null; rm -rf "$data"' EXIT
"$@" --database-url "postgresql+psycopg://arzyab@127.0.0.1:$port/postgres"
