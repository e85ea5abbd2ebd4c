#!/bin/sh
# Run every fuzz target in BUILD_DIR for SECONDS each, starting from its seed
# corpus in tests/fuzz/corpus/NAME (copied, so the tree is not modified),
# as many at a time as there are CPUs. Fails when a target finds a crash, a
# leak or a timeout, and prints that target's log.
set -eu
build=${1:?usage: run-smoke.sh BUILD_DIR [SECONDS]}
secs=${2:-30}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
jobs=${FUZZ_JOBS:-$(nproc)}

# One target: copy its seeds, run it, keep the log.
if [ "${FUZZ_ONE:-}" ]; then
        exe=$FUZZ_ONE
        name=$(basename "$exe" | sed 's/^fuzz_//')
        mkdir -p "$FUZZ_WORK/$name"
        if [ -d "$here/corpus/$name" ]; then
                cp -r "$here/corpus/$name/." "$FUZZ_WORK/$name/"
        fi
        mkdir -p "$FUZZ_WORK/$name.artifacts"
        if ASAN_OPTIONS=detect_leaks=1 "$exe" -max_total_time="$FUZZ_SECS" -timeout=10 \
                -rss_limit_mb=2048 -max_len=65536 -print_final_stats=0 \
                -artifact_prefix="$FUZZ_WORK/$name.artifacts/" "$FUZZ_WORK/$name" \
                >"$FUZZ_WORK/$name.log" 2>&1; then
                echo "fuzz $name: ok ($(grep -Eo 'Done [0-9]+ runs' "$FUZZ_WORK/$name.log" | tail -1))"
        else
                tail -60 "$FUZZ_WORK/$name.log"
                echo "fuzz $name: FAILED"
                exit 1
        fi
        exit 0
fi

targets=$(find "$build/tests" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x | sort)
count=$(echo "$targets" | grep -c . || true)
echo "fuzz: $count target(s), ${secs}s each, $jobs at a time"
echo "$targets" | FUZZ_WORK=$work FUZZ_SECS=$secs xargs -r -P "$jobs" -I{} env FUZZ_ONE={} "$0" "$build" "$secs"
echo "fuzz: all $count target(s) passed"
