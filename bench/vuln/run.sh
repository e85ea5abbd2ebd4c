#!/bin/sh
# Vulnerability benchmarks: importing a synthetic OSV feed of >= 200,000
# affected ranges for "Debian:12" (bench/vuln/gen-feed.py: this machine's
# source packages plus invented ones, realistic record sizes) as a directory
# of files and as an osv.dev-style all.zip, then `vigil scan --only
# vulnerability` matching this machine's real dpkg database against it.
# Never run by the test suite.
#
# Usage: bench/vuln/run.sh [BUILD_DIR] [WORK_DIR]
#   BUILD_DIR  default build-bench (configured here as a debugoptimized build)
#   WORK_DIR   where the feed and the stores go (default /tmp/vigil-vuln-bench;
#              about 1 GB; the feed is generated once and kept)
# Set RUNS (default 3) for the number of runs of each measurement.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build-bench}
work=${2:-/tmp/vigil-vuln-bench}
runs=${RUNS:-3}
[ -d "$build" ] || meson setup "$build" "$root" >/dev/null
ninja -C "$build" src/cli/vigil >/dev/null
vigil="$build/src/cli/vigil"
mkdir -p "$work"

if [ ! -f "$work/feed/stats.json" ]; then
        echo "== generating the feed"
        /usr/bin/python3 "$here/gen-feed.py" "$work/feed"
fi

echo "== machine"
lscpu | grep -E '^(Model name|CPU\(s\)|Thread\(s\) per core|Core\(s\) per socket):' | sed 's/  */ /g'
uptime
echo "== feed"
jq -c '{records, ranges, installed_sources, vulnerable: (.vulnerable_sources | length)}' \
        "$work/feed/stats.json"
json_bytes=$(du -sb --apparent-size "$work/feed/osv" | cut -f1)
echo "JSON: $json_bytes bytes in $(find "$work/feed/osv" -name '*.json' | wc -l) files;" \
        "zip: $(stat -c %s "$work/feed/all.zip") bytes"

# One measurement: wall, user, sys, peak RSS, and MB/s of JSON for imports.
# On a busy machine wall time mostly measures the others; CPU time (user +
# sys of both import threads) is the steadier figure, and with perf the
# busiest thread's share gives the wall time an idle machine would see
# (the two threads run side by side).
measure() { # measure LABEL BYTES CMD...
        label=$1
        bytes=$2
        shift 2
        if command -v perf >/dev/null && [ "$bytes" -gt 0 ]; then
                perf record -q -F 499 -o "$work/perf.data" -- /usr/bin/time -f "%e %U %S %M" \
                        -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || true
                busiest=$(perf report -i "$work/perf.data" --sort pid --stdio 2>/dev/null |
                        awk '/^ +[0-9.]+%/ && /vigil/ { sub("%", "", $1); if ($1 > m) m = $1 } END { print m + 0 }')
        else
                /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || true
                busiest=0
        fi
        read -r wall user sys rss <<EOF2
$(tail -1 "$work/time")
EOF2
        echo "$label wall=${wall}s user=${user}s sys=${sys}s rss=${rss}KB" \
                "$(echo "$bytes $wall $user $sys $busiest" | awk '$1 > 0 {
                        cpu = $3 + $4; printf "| %.1f MB/s wall, %.1f MB/s of CPU", $1 / $2 / 1e6, $1 / cpu / 1e6
                        if ($5 > 0) printf ", busiest thread %.0f%% = %.1f s -> %.1f MB/s on idle cores", $5, cpu * $5 / 100, $1 / (cpu * $5 / 100) / 1e6 }')"
}

# The store on the same file system as WORK_DIR (a disk), and on tmpfs to
# take the disk out (import is CPU-bound then).
for where in "$work" /dev/shm; do
        st="$where/vigil-vuln-bench-store"
        for i in $(seq "$runs"); do
                rm -rf "$st"
                measure "import directory (store in $where)" "$json_bytes" \
                        "$vigil" -q --state "$st" feed import "$work/feed/osv"
        done
        for i in $(seq "$runs"); do
                rm -rf "$st"
                measure "import all.zip   (store in $where)" "$json_bytes" \
                        "$vigil" -q --state "$st" feed import "$work/feed/all.zip"
        done
        [ "$where" = /dev/shm ] && rm -rf "$st"
done
echo "store: $(stat -c %s "$work/vigil-vuln-bench-store/feeds.db") bytes"
rm -f "$work/vigil-vuln-bench-store/feeds.db-wal" "$work/vigil-vuln-bench-store/feeds.db-shm"

printf 'scan:\n  apps:\n    roots: []\n' >"$work/noapps.yml"
for i in $(seq "$runs"); do
        measure "scan, dpkg only (scan.apps.roots: [])" 0 \
                "$vigil" --state "$work/vigil-vuln-bench-store" --config "$work/noapps.yml" \
                scan --only vulnerability --no-progress --format json -o "$work/scan.json"
done
jq -c '.stats.vulnerability' "$work/scan.json"
for i in $(seq "$runs"); do
        measure "scan, dpkg and application roots (defaults)" 0 \
                "$vigil" --state "$work/vigil-vuln-bench-store" \
                scan --only vulnerability --no-progress --format json -o "$work/scan.json"
done
jq -c '.stats.vulnerability' "$work/scan.json"
uptime
