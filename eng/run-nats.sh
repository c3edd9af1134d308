#!/usr/bin/env bash
# Runs Debian's nats-server with JetStream on loopback, in the foreground (the AppHost owns the process).
# With NATS_AUTHORIZATION set (the AppHost passes its users' block: one user per service, bcrypt-hashed passwords,
# AppHost/Infrastructure/NatsUsers.cs) the block is written to DATA_DIR/nats-server.conf, mode 0600, and the server
# refuses every connection without one of those users. Without it (service tests' own servers) anyone may connect.
# The file stays beside the data, so a server started again with the same command line finds it.
# usage: [NATS_AUTHORIZATION=...] run-nats.sh CLIENT_PORT MONITOR_PORT DATA_DIR
set -euo pipefail
command -v nats-server >/dev/null || { echo "nats-server is not installed: run eng/install-prereqs.sh" >&2; exit 1; }
mkdir -p "$3"
args=(-a 127.0.0.1 -p "$1" -m "$2" -js -sd "$3")
if [[ -n "${NATS_AUTHORIZATION:-}" ]]; then
  conf="$(cd "$3" && pwd)/nats-server.conf"
  (umask 077 && printf '%s\n' "$NATS_AUTHORIZATION" > "$conf")
  chmod 600 "$conf"
  unset NATS_AUTHORIZATION
  args=(-c "$conf" "${args[@]}")
fi
exec nats-server "${args[@]}"
