#!/usr/bin/env bash
# The benchmarks behind the README's "Measured" table, Release build, one after another (compare within one run).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== sensitive-word matcher (BenchmarkDotNet)"
dotnet run --no-build -c Release --project loadtests/Benchmarks -- --filter '*SensitiveWord*' --job short --inProcess
echo "== gateway's own cost"
dotnet run --no-build -c Release --project loadtests/GatewayBench
echo "== bot reply latency"
dotnet run --no-build -c Release --project loadtests/BotBench
echo "== history archive rate and queries"
dotnet run --no-build -c Release --project loadtests/HistoryBench
