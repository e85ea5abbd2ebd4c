#!/bin/sh
# Version comparison benchmark: vigil's vercmp_dpkg on pairs of this
# machine's real package versions, next to the cost of one
# `dpkg --compare-versions` process for context. Never run by the test suite.
#
# Usage: bench/version/run.sh [BUILD_DIR]   (default: build-bench, configured
# here as a plain debugoptimized build like the default one)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build-bench}
[ -d "$build" ] || meson setup "$build" "$root" >/dev/null
ninja -C "$build" bench/bench-vercmp >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-query -W -f='${Version}\n' | sort -u >"$tmp/versions"

echo "== machine"
lscpu | grep -E '^(Model name|CPU\(s\)|Thread\(s\) per core|Core\(s\) per socket):' | sed 's/  */ /g'
echo "== vercmp_dpkg, one core ($(wc -l <"$tmp/versions") distinct installed versions)"
"$build/bench/bench-vercmp" "$tmp/versions" 1000000 3

echo "== dpkg --compare-versions, one process per comparison"
n=1000
# Pairs drawn from the same list; the shell loop's own cost is included,
# which is what a caller spawning dpkg pays too.
shuf -n "$((2 * n))" --random-source="$tmp/versions" -r "$tmp/versions" >"$tmp/pairs"
start=$(date +%s.%N)
while read -r a && read -r b; do
        dpkg --compare-versions "$a" lt "$b" 2>/dev/null || true
done <"$tmp/pairs"
end=$(date +%s.%N)
echo "$start $end $n" | awk '{ t = $2 - $1; printf "%d calls in %.2f s: %.0f comparisons/s (%.2f ms each)\n", $3, t, $3 / t, t * 1000 / $3 }'
