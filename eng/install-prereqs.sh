#!/usr/bin/env bash
# Installs the Debian packages the project needs (servers for local runs and tests, a browser for page tests).
# Idempotent and quiet when everything is present. As root it uses apt-get directly; otherwise it prints the
# exact sudo command to run.
set -euo pipefail

packages=(nats-server redis-server php-cli rabbitmq-server openjdk-17-jdk-headless chromium fonts-noto-cjk)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian starts the services it installs; the project runs its own instances on its own ports.
    for svc in redis-server rabbitmq-server nats-server; do
      systemctl disable --now "$svc" >/dev/null 2>&1 || service "$svc" stop >/dev/null 2>&1 || true
    done
  else
    echo "missing Debian packages: ${missing[*]}" >&2
    echo "run: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -x /usr/lib/postgresql/15/bin/postgres ]; then
  echo "PostgreSQL 15 server binaries not found in /usr/lib/postgresql/15/bin" >&2
  if [ "$(id -u)" -eq 0 ]; then
    apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null
  else
    echo "run: sudo apt-get install -y postgresql-15" >&2; exit 1
  fi
fi

# npm packages: the embedded ClickHouse engine for HistoryWriter (the pages' toolchain installs on build).
bash "$(dirname "${BASH_SOURCE[0]}")/install-chdb.sh"
