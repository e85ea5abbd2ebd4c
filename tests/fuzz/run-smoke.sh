#!/bin/sh
# Run every fuzz target in BUILD_DIR for SECONDS each, starting from its seed
# corpus in tests/fuzz/corpus/NAME (copied, so the tree is not modified).
# Fails when a target finds a crash, a leak or a timeout.
set -eu
build=${1:?usage: run-smoke.sh BUILD_DIR [SECONDS]}
secs=${2:-30}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
found=0
for exe in "$build"/tests/fuzz_*; do
        [ -f "$exe" ] && [ -x "$exe" ] || continue
        found=$((found + 1))
        name=$(basename "$exe" | sed 's/^fuzz_//')
        mkdir -p "$work/$name"
        if [ -d "$here/corpus/$name" ]; then
                cp -r "$here/corpus/$name/." "$work/$name/"
        fi
        echo "fuzz $name: ${secs}s"
        ASAN_OPTIONS=detect_leaks=1 "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
                -max_len=65536 -print_final_stats=0 -artifact_prefix="$work/" "$work/$name" \
                >"$work/$name.log" 2>&1 || {
                tail -50 "$work/$name.log"
                echo "fuzz $name: FAILED (artifacts above)"
                exit 1
        }
        grep -E '^(Done|#[0-9]+ *DONE)' "$work/$name.log" | tail -1 || true
done
echo "fuzz: $found target(s) passed"
