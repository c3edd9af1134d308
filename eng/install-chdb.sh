#!/usr/bin/env bash
# Installs the embedded ClickHouse engine (libchdb.so from the npm package @chdb/lib-linux-x64-gnu, pinned in
# eng/chdb/package-lock.json) into eng/chdb/node_modules, where HistoryWriter finds it. Idempotent and quiet when
# the pinned version is already there.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$here/chdb"
lib="$dir/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so"
want="$(sed -n 's/.*"@chdb\/lib-linux-x64-gnu": *"\([^"]*\)".*/\1/p' "$dir/package.json")"
have="$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$dir/node_modules/@chdb/lib-linux-x64-gnu/package.json" 2>/dev/null || true)"

if [ -f "$lib" ] && [ "$have" = "$want" ]; then exit 0; fi

command -v npm >/dev/null || { echo "npm is not installed: apt-get install -y npm" >&2; exit 1; }
echo "installing @chdb/lib-linux-x64-gnu $want (libchdb.so, ~570 MB) into eng/chdb/node_modules"
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
[ -f "$lib" ] || { echo "npm ci finished but $lib is missing" >&2; exit 1; }
