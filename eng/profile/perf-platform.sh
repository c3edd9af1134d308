#!/usr/bin/env bash
# Where the machine's CPU goes, per process and per kind of work, while a load runs: a system-wide `perf record`
# of on-CPU stacks, read with the JIT's perf maps. The platform (and the load tool) must have been started with
# DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 in their environment, e.g.
#   (cd AppHost && DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 dotnet run --no-build -c Release --launch-profile http)
# usage: eng/profile/perf-platform.sh [SECONDS] [OUTPUT_DIR]   (run it while a load runs)
set -euo pipefail
seconds=${1:-15}; out=${2:-/tmp/cs-perf}
command -v perf >/dev/null || { echo "installing linux-perf..."; apt-get install -y -qq linux-perf >/dev/null; }
mkdir -p "$out"
perf record -e cpu-clock -F 499 -a -g -o "$out/perf.data" -- sleep "$seconds" 2>&1 | tail -1
perf script -i "$out/perf.data" -F pid,tid,comm,ip,sym 2>/dev/null > "$out/stacks.txt"
python3 "$(dirname "$0")/perf-categories.py" "$out/stacks.txt"
