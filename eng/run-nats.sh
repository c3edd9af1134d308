#!/usr/bin/env bash
# Runs Debian's nats-server with JetStream on loopback, in the foreground (the AppHost owns the process).
# usage: run-nats.sh CLIENT_PORT MONITOR_PORT DATA_DIR
set -euo pipefail
command -v nats-server >/dev/null || { echo "nats-server is not installed: run eng/install-prereqs.sh" >&2; exit 1; }
mkdir -p "$3"
exec nats-server -a 127.0.0.1 -p "$1" -m "$2" -js -sd "$3"
