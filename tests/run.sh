#!/usr/bin/env bash
# The whole test suite: test bed, linters, then every pytest tier
# (unit, integration, e2e with the Molecule scenarios). Extra arguments go to pytest.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
"$repo/tests/testbed.sh"
export PATH="$repo/.venv/bin:$PATH"
"$repo/tests/lint.sh"
exec pytest "$@"
