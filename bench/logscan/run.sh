#!/bin/sh
# Benchmark `vigil logscan` on a generated sshd log of SIZE_MB (default 1100)
# and compare with fail2ban-regex (Debian package fail2ban) and its sshd
# filter on a slice of SLICE lines (default 1,000,000) of the same file.
# Prints lines/s per core (user+system CPU time) and peak RSS; output goes to
# /dev/null except for the slice run, which writes its JSON lines to a file.
# The generated log is kept in $BENCH_WORK (default /tmp/vigil-bench-logscan)
# for later runs; FAIL2BAN=0 skips fail2ban-regex (about a minute of CPU).
# Usage: bench/logscan/run.sh BUILD_DIR [SIZE_MB] [SLICE]
set -eu
build=${1:?usage: run.sh BUILD_DIR [SIZE_MB] [SLICE]}
size=${2:-1100}
slice=${3:-1000000}
here=$(cd "$(dirname "$0")" && pwd)
vigil=$(cd "$build" && pwd)/src/cli/vigil
work=${BENCH_WORK:-/tmp/vigil-bench-logscan}
mkdir -p "$work"
log="$work/auth-$size.log"
if [ ! -s "$log" ]; then
        python3 "$here/gen-sshd-log.py" "$size" "$log.tmp"
        mv "$log.tmp" "$log"
fi
lines=$(wc -l <"$log")
bytes=$(wc -c <"$log")
echo "input: $log, $bytes bytes, $lines lines"
cat "$log" >/dev/null # warm the page cache

measure() { # NAME LINES CMD...: run CMD (output to $OUT, default /dev/null), print
        # CPU-time throughput and peak RSS
        name=$1
        n=$2
        shift 2
        /usr/bin/time -f "%U %S %e %M" -o "$work/time" "$@" >"${OUT:-/dev/null}" 2>"$work/err" || {
                echo "$name: failed: $(tail -3 "$work/err")"
                return
        }
        read -r user sys wall rss <"$work/time"
        awk -v name="$name" -v n="$n" -v u="$user" -v s="$sys" -v w="$wall" -v rss="$rss" 'BEGIN {
                cpu = u + s
                printf "%-44s %12d lines %7.2f s cpu %7.2f s wall %12.0f lines/s %8.1f MB\n",
                       name, n, cpu, w, (cpu > 0 ? n / cpu : 0), rss / 1024
        }'
}

for _ in 1 2 3; do
        measure "vigil logscan --format jsonl" "$lines" "$vigil" logscan --format jsonl "$log"
        measure "vigil logscan --format jsonl --no-alerts" "$lines" "$vigil" logscan --format jsonl --no-alerts "$log"
        measure "vigil logscan --count --no-alerts" "$lines" "$vigil" logscan --count --no-alerts "$log"
done
"$vigil" logscan --count --no-alerts --format jsonl "$log" | tail -1

head -n "$slice" "$log" >"$work/slice.log"
OUT="$work/vigil-slice.jsonl" measure "vigil logscan --format jsonl (slice, to a file)" "$slice" \
        "$vigil" logscan --format jsonl "$work/slice.log"
if [ "${FAIL2BAN:-1}" = 1 ] && command -v fail2ban-regex >/dev/null; then
        OUT="$work/f2b.out" measure "fail2ban-regex sshd.conf (slice)" "$slice" fail2ban-regex \
                "$work/slice.log" /etc/fail2ban/filter.d/sshd.conf
        grep -E "^Lines:|^Failregex:" "$work/f2b.out" || true
        echo "vigil failures+invalid users on the slice: $(grep -cE '"event":"(auth_failure|invalid_user|max_attempts|root_refused|not_allowed)"' "$work/vigil-slice.jsonl")"
else
        echo "fail2ban-regex skipped (FAIL2BAN=0) or not installed (apt-get install fail2ban)"
fi
