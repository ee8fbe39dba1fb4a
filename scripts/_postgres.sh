# Sourced by scripts/test-postgres.sh and scripts/with-postgres.sh.
#
#   start_postgres PORT [SERVER OPTION …]
#
# installs Debian's postgresql when missing, starts a throw-away cluster on 127.0.0.1:PORT
# (options such as "-c fsync=off" passed to the server), sets pg_url to its database URL, and
# stops and removes it when the calling script exits.
start_postgres() {
  local port=$1
  shift
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "==> installing postgresql"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  fi
  pg_bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
  pg_data=$(mktemp -d /tmp/arzyab-pg.XXXXXX)
  pg_run_as=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$pg_data"
    pg_run_as=(runuser -u postgres --)
  fi
  "${pg_run_as[@]}" "$pg_bin/initdb" -D "$pg_data" -U arzyab -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  "${pg_run_as[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_data/log" -w \
    -o "-p $port -k $pg_data -c listen_addresses=127.0.0.1 $*" start >/dev/null
  trap '"${pg_run_as[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -m fast stop >/dev/null; rm -rf "$pg_data"' EXIT
  pg_url="postgresql+psycopg://arzyab@127.0.0.1:$port/postgres"
}
