#!/bin/bash
# Initialise an empty data directory like the official postgres image, then
# run the server listening on every address of the container.
set -euo pipefail

# Read NAME from NAME_FILE when that is set (compose file secrets).
file_env() {
  local name="$1" file_name="${1}_FILE"
  if [ -n "${!name:-}" ] && [ -n "${!file_name:-}" ]; then
    echo "error: both $name and $file_name are set" >&2
    exit 1
  fi
  if [ -n "${!file_name:-}" ]; then
    export "$name"="$(< "${!file_name}")"
    unset "$file_name"
  fi
}

initialise() {
  file_env POSTGRES_PASSWORD
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "error: set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE" >&2
    exit 1
  fi
  local user="${POSTGRES_USER:-postgres}"
  local db="${POSTGRES_DB:-$user}"

  initdb --username="$user" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA"
  # Other containers connect over the compose network, with a password.
  printf 'host all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"

  if [ "$db" != postgres ]; then
    # Socket-only server, so nothing connects before the database exists.
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
    psql -v ON_ERROR_STOP=1 --username "$user" --dbname postgres \
      --set db="$db" <<< 'CREATE DATABASE :"db";'
    pg_ctl -D "$PGDATA" -m fast -w stop
  fi
  unset POSTGRES_PASSWORD
}

if [ "${1:-}" = postgres ]; then
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    initialise
  fi
  exec "$@" -c listen_addresses='*'
fi
exec "$@"
