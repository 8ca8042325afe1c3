#!/usr/bin/env bash
# Idempotent test bed: apt packages (Chromium for the browser tests, wrk for
# bench/), the virtualenv, PostgreSQL and Redis on 127.0.0.1, the vendored
# Socket.IO client, the Docker engine and compose plugin (through provision.yml) and
# the offline images (through deploy.yml's image tag). A warm run changes nothing.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$repo/.venv"
test_db_user=taskstack
test_db_password=taskstack
test_db_name=taskstack_test

log() { printf '\n== testbed: %s\n' "$*"; }

install_apt_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

start_postgresql() {
  pg_isready -q -h 127.0.0.1 || service postgresql start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
  local role_exists
  role_exists=$(runuser -u postgres -- psql -tAc \
    "SELECT 1 FROM pg_roles WHERE rolname = '$test_db_user'")
  if [ "$role_exists" != 1 ]; then
    log "creating PostgreSQL role $test_db_user"
    runuser -u postgres -- psql -q -c \
      "CREATE ROLE $test_db_user LOGIN CREATEDB PASSWORD '$test_db_password'"
  fi
  runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_database WHERE datname = '$test_db_name'" \
    | grep -q 1 || runuser -u postgres -- createdb -O "$test_db_user" "$test_db_name"
}

start_redis() {
  redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || service redis-server start
  for _ in $(seq 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done
}

build_venv() {
  local stamp="$venv/.pyproject.sha256" want
  want=$(sha256sum "$repo/pyproject.toml" | cut -d' ' -f1)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return
  log "building the virtualenv"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q -e "$repo[dev]"
  echo "$want" >"$stamp"
}

install_apt_packages postgresql redis-server redis-tools curl chromium wrk
start_postgresql
start_redis
build_venv
log "vendoring the web page's Socket.IO client"
"$repo/app/web/vendor.sh"

cd "$repo"
export PATH="$venv/bin:$PATH"
log "provisioning the Docker host"
ansible-playbook playbooks/provision.yml
log "providing the offline images"
ansible-playbook playbooks/deploy.yml --tags app_stack_images
