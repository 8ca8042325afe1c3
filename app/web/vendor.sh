#!/usr/bin/env bash
# Copy the browser libraries pinned in package-lock.json into app/taskstack/static/vendor.
# Idempotent: does nothing when the vendored files already match the lock file.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
vendor="$(dirname "$here")/taskstack/static/vendor"
stamp="$vendor/.package-lock.sha256"
lock_hash="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"

if [[ -f "$vendor/socket.io.min.js" && "$(cat "$stamp" 2>/dev/null)" == "$lock_hash" ]]; then
    exit 0
fi

(cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

modules="$here/node_modules"
mkdir -p "$vendor"
cp "$modules/socket.io-client/dist/socket.io.min.js" "$vendor/socket.io.min.js"
# The minified bundle includes these packages; all are MIT licensed.
for package in socket.io-client engine.io-client engine.io-parser socket.io-parser \
    @socket.io/component-emitter; do
    printf '%s\n\n' "== $package =="
    cat "$modules/$package/LICENSE"
    printf '\n'
done >"$vendor/socket.io.LICENSE.txt"
echo "$lock_hash" >"$stamp"
echo "vendored socket.io-client $(node -p "require('$modules/socket.io-client/package.json').version") into $vendor"
