#!/usr/bin/env bash
# Runs Debian's redis-server on loopback in the foreground; the append-only file keeps hot state across restarts.
# With REDIS_PASSWORD set (the AppHost generates one for local runs) clients must AUTH; the password goes to
# redis-server on its standard input, as configuration, so it never shows in the process list.
# usage: [REDIS_PASSWORD=...] run-redis.sh PORT DATA_DIR
set -euo pipefail
command -v redis-server >/dev/null || { echo "redis-server is not installed: run eng/install-prereqs.sh" >&2; exit 1; }
mkdir -p "$2"
exec redis-server - --bind 127.0.0.1 --port "$1" --dir "$2" --save '' --appendonly yes --appendfsync everysec \
  --protected-mode no --daemonize no --loglevel warning <<<"${REDIS_PASSWORD:+requirepass $REDIS_PASSWORD}"
