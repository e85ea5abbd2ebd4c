#!/bin/sh
# Process sweep benchmark: N real sleeping processes (default 2000), the
# sweep timed in-process under each configuration, then side by side and in
# turn over the same processes: one agent-default sweep, `ps -eo pid,args`,
# `ps aux` and the whole `vigil scan --only process` command (wall time, CPU
# time and the number of processes each listed). Needs root for a complete
# sweep (other users' processes), as the agent runs.
#   bench/process/run.sh [BUILD_DIR] [N] [RUNS]
# Prints Markdown. Never run by the test suite.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-$src/build-bench}
n=${2:-2000}
runs=${3:-7}
[ -d "$build" ] || meson setup "$build" "$src" --buildtype=debugoptimized
ninja -C "$build" src/scan/libvigil_scan.a src/inventory/libvigil_inventory.a \
        src/core/libvigil_core.a src/cli/vigil >/dev/null
out=$(mktemp -d)
state=$(mktemp -d)
trap 'rm -rf "$out" "$state"' EXIT
# shellcheck disable=SC2046
cc -O2 -std=c17 -D_GNU_SOURCE -I"$src/src" "$here/bench_sweep.c" -o "$out/bench" \
        "$build/src/scan/libvigil_scan.a" "$build/src/inventory/libvigil_inventory.a" \
        "$build/src/core/libvigil_core.a" \
        $(pkg-config --libs yara jansson yaml-0.1 sqlite3 libcrypto libcurl libpcre2-8 libcrypt \
                libhs rpm libarchive zlib) -lpthread -lm -lstdc++
echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs,"
echo "$(uname -sr), $(ps -V 2>&1 | head -1); build \`$(basename "$build")\`."
echo "Load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
"$out/bench" "$n" "$runs" "$state" "$build/src/cli/vigil"
echo
echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg)."
