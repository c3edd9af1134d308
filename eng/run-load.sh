#!/usr/bin/env bash
# Runs the load tool (loadtests/ChatLoad, docs/loadtests.md) through the gateway against the platform running at
# $GATEWAY, or else starts the whole platform for the run (Release build, local servers, data in .data/) and stops
# it again. A platform started here samples 1% of traces (TRACE_SAMPLING, default 0.01; the manifest keeps 5%), so the run
# measures the platform rather than the dashboard storing every trace; TRACE_SAMPLING=1 keeps every trace, and
# TELEMETRY=off starts it without OpenTelemetry at all (to bound what telemetry costs: docs/performance.md).
# usage: eng/run-load.sh [--profile NAME] [ChatLoad options]; exit code: 0 passed, 1 a threshold or the audit
# failed, 2 bad arguments or profile.
set -euo pipefail
cd "$(dirname "$0")/.."
config=${CONFIG:-Release}
gateway=${GATEWAY:-http://localhost:8080}

# Arguments and profile first: a typo must not cost a platform start.
dotnet run --no-build -c "$config" --project loadtests/ChatLoad -- --check --gateway "$gateway" "$@"

if curl -fs -m 2 "$gateway/health" >/dev/null 2>&1; then
  echo "using the platform already running at $gateway"
  started=""
else
  sampling=${TRACE_SAMPLING:-0.01}
  telemetry=true
  [ "${TELEMETRY:-on}" = off ] && telemetry=false
  echo "starting the platform ($config, trace sampling $sampling, telemetry ${TELEMETRY:-on})..."
  (cd AppHost && exec dotnet run --no-build -c "$config" --launch-profile http -- "Telemetry:TraceSampleRatio=$sampling" \
    "Telemetry:Enabled=$telemetry") > /tmp/cs-load-apphost.log 2>&1 &
  started=$!
  trap 'kill -TERM $started 2>/dev/null; wait $started 2>/dev/null || true' EXIT
  for _ in $(seq 1 180); do
    curl -fs -m 2 "$gateway/health" >/dev/null 2>&1 && break
    kill -0 $started 2>/dev/null || { cat /tmp/cs-load-apphost.log; exit 1; }
    sleep 1
  done
  sleep 10 # the services behind the gateway finish starting
  # A platform just started spends its first minute compiling (every process's JIT: docs/performance.md): the smoke
  # profile first, so that the profile asked for measures a warm platform. Its report is kept like any other.
  if [ "${WARMUP:-1}" = 1 ]; then
    echo "warming up the platform (the smoke profile; WARMUP=0 skips it)..."
    dotnet run --no-build -c "$config" --project loadtests/ChatLoad -- --gateway "$gateway" --profile smoke --no-archive-audit \
      | grep -E "^(audit|RUN FAILED|messages/s)" || true
  fi
fi

set +e
dotnet run --no-build -c "$config" --project loadtests/ChatLoad -- --gateway "$gateway" "$@"
rc=$?
set -e
if [ -n "$started" ]; then
  # Session's warnings of the run (numbers voided, stream reads that stopped short,
  # calls past their deadline), kept beside its report: the dashboard holds them only while the platform runs.
  report=$(ls -td TestResults/load/*/ 2>/dev/null | head -1)
  if [ -n "$report" ] && curl -fs -m 120 "http://localhost:15080/api/telemetry/logs?resource=session&severity=Warning&limit=100000" \
      > "${report}session-warnings.json"; then
    echo "Session's warnings: ${report}session-warnings.json"
  fi
fi
exit $rc
