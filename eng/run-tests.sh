#!/usr/bin/env bash
# Runs every test project of the solution and ends with one line "N passed, N failed" counted from the
# TRX results (dotnet test's own summary is not one CI reads).
set -uo pipefail
results=${1:-TestResults}; config=${2:-Debug}
rm -rf "$results"; mkdir -p "$results"

status=0
for proj in $(ls tests/*/*.csproj | grep -v TestInfrastructure); do
  name=$(basename "$proj" .csproj)
  echo "== $name"
  dotnet test "$proj" --no-build -c "$config" --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
    --results-directory "$results" || status=1
done

# The pages' unit tests (vitest), counted alongside.
web_passed=0; web_failed=0
if [ -d services/Web/client/node_modules ]; then
  echo "== Web client (vitest)"
  web_out=$(cd services/Web/client && NO_COLOR=1 FORCE_COLOR=0 npm test --silent 2>&1 | sed "s/\x1b\[[0-9;]*m//g") || status=1
  echo "$web_out" | tail -5
  web_passed=$(echo "$web_out" | sed -n 's/.*Tests .* \([0-9][0-9]*\) passed.*/\1/p' | tail -1)
  web_failed=$(echo "$web_out" | sed -n 's/.*Tests .* \([0-9][0-9]*\) failed.*/\1/p' | tail -1)
fi

passed=${web_passed:-0}; failed=${web_failed:-0}
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  p=$(grep -o '<Counters [^>]*' "$trx" | grep -o 'passed="[0-9]*"' | grep -o '[0-9]*')
  f=$(grep -o '<Counters [^>]*' "$trx" | grep -o 'failed="[0-9]*"' | grep -o '[0-9]*')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
# The failed tests by name, near the end where a CI log's tail shows them.
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  grep -o '<UnitTestResult [^>]*outcome="Failed"' "$trx" | sed -n 's/.*testName="\([^"]*\)".*/FAILED \1/p' | head -20
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "a test run failed without a result file (build or host crash)"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
