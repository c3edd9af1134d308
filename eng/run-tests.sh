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

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  p=$(grep -o '<Counters [^>]*' "$trx" | grep -o 'passed="[0-9]*"' | grep -o '[0-9]*')
  f=$(grep -o '<Counters [^>]*' "$trx" | grep -o 'failed="[0-9]*"' | grep -o '[0-9]*')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "a test run failed without a result file (build or host crash)"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
