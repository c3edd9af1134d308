#!/usr/bin/env bash
# Starts the whole platform (Release build, local servers, data in .data/), runs the closed-model chat load
# through the gateway, prints the figures and stops everything again.
# usage: eng/run-load.sh [ChatLoad options: --customers N --agents M --seconds S --window W]
set -euo pipefail
cd "$(dirname "$0")/.."
config=${CONFIG:-Release}
gateway=${GATEWAY:-http://localhost:8080}

if curl -fs -m 2 "$gateway/health" >/dev/null 2>&1; then
  echo "using the platform already running at $gateway"
  started=""
else
  echo "starting the platform ($config)..."
  (cd AppHost && exec dotnet run --no-build -c "$config" --launch-profile http) > /tmp/cs-load-apphost.log 2>&1 &
  started=$!
  trap 'kill -TERM $started 2>/dev/null; wait $started 2>/dev/null || true' EXIT
  for _ in $(seq 1 180); do
    curl -fs -m 2 "$gateway/health" >/dev/null 2>&1 && break
    kill -0 $started 2>/dev/null || { cat /tmp/cs-load-apphost.log; exit 1; }
    sleep 1
  done
  sleep 10 # the services behind the gateway finish starting
fi

dotnet run --no-build -c "$config" --project loadtests/ChatLoad -- --gateway "$gateway" "$@"
