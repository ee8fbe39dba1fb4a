#!/usr/bin/env bash
# Run the database tests again on a real PostgreSQL server: installs Debian's postgresql when
# missing, starts a throw-away cluster on a loopback port, runs pytest against it, stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "==> installing postgresql"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
port=${PGTEST_PORT:-55432}
data=$(mktemp -d /tmp/arzyab-pg.XXXXXX)
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$data"
  run_as=(runuser -u postgres --)
fi
"${run_as[@]}" "$bin/initdb" -D "$data" -U arzyab -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${run_as[@]}" "$bin/pg_ctl" -D "$data" -l "$data/log" -w \
  -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
trap '"${run_as[@]}" "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null; rm -rf "$data"' EXIT

echo "==> pytest on PostgreSQL (port $port)"
ARZYAB_TEST_POSTGRES="postgresql+psycopg://arzyab@127.0.0.1:$port/postgres" \
  .venv/bin/pytest -W error -m "not browser" -n "${PYTEST_WORKERS:-auto}" --dist worksteal "$@"
