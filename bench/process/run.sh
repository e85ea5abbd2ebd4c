#!/bin/sh
# Process sweep benchmark: N sleeping processes (default 2000), the sweep
# timed in-process under each configuration, next to `ps -eo ...` reading
# the same processes as a reference point. Needs root for a complete
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
        src/core/libvigil_core.a >/dev/null
out=$(mktemp -d)
state=$(mktemp -d)
trap 'rm -rf "$out" "$state"' EXIT
# shellcheck disable=SC2046
cc -O2 -std=c17 -D_GNU_SOURCE -I"$src/src" "$here/bench_sweep.c" -o "$out/bench" \
        "$build/src/scan/libvigil_scan.a" "$build/src/inventory/libvigil_inventory.a" \
        "$build/src/core/libvigil_core.a" \
        $(pkg-config --libs yara jansson yaml-0.1 sqlite3 libcrypto libcurl libpcre2-8 libcrypt \
                libhs rpm libarchive zlib) -lpthread -lm -lstdc++
echo "## machine"
echo
echo "$(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo
"$out/bench" "$n" "$runs" "$state"
echo
echo "Reference: \`ps -eo pid,ppid,user,stat,args\` over the same processes plus $n sleepers"
# Start the same sleepers for ps, time it three times.
pids=""
i=0
while [ "$i" -lt "$n" ]; do
        sleep 3600 &
        pids="$pids $!"
        i=$((i + 1))
done
sleep 1
for k in 1 2 3; do
        t0=$(date +%s%N)
        ps -eo pid,ppid,user,stat,args >/dev/null
        t1=$(date +%s%N)
        echo "- ps run $k: $(( (t1 - t0) / 1000000 )) ms"
done
# shellcheck disable=SC2086
kill $pids 2>/dev/null || true
wait 2>/dev/null || true
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at end"
