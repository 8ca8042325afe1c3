#!/usr/bin/env bash
# Every linter the project holds itself to. Needs the virtualenv from testbed.sh.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export PATH="$repo/.venv/bin:$PATH"

step() { printf '\n== lint: %s\n' "$*"; }

step ruff
ruff check app tests bench
ruff format --check app tests bench
step yamllint
yamllint --strict .
step ansible-lint
ansible-lint --offline --profile production
step "inventories load (staging and prod vaults with the example password)"
for inventory in inventories/*/; do
  ansible-inventory -i "$inventory" --list \
    --vault-password-file tests/example-vault-password >/dev/null
  echo "ok: $inventory"
done
step "ansible-playbook --syntax-check"
for inventory in inventories/*/; do
  for playbook in playbooks/*.yml; do
    ansible-playbook --syntax-check -i "$inventory" "$playbook" >/dev/null
    echo "ok: $playbook with $inventory"
  done
done
