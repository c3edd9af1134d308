#!/usr/bin/env bash
# Installs the pages' npm toolchain (services/Web/client) from its package-lock.json with `npm ci`, only when
# node_modules is missing or the lock changed since the last install. Quiet when there is nothing to do.
# Everything comes from the npm registry; no step downloads a browser or a binary from elsewhere.
set -euo pipefail

client="$(cd "$(dirname "${BASH_SOURCE[0]}")/../services/Web/client" && pwd)"
stamp="$client/node_modules/.package-lock.sha256"

if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: install Node.js 20.19 or later (Debian: apt-get install -y nodejs npm)" >&2
  exit 1
fi

wanted="$(sha256sum "$client/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  exit 0
fi

echo "installing the pages' npm packages (services/Web/client)"
cd "$client"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
echo "$wanted" > "$stamp"
