#!/bin/sh
# The agent idle with every detector on: the default logs (or the journal
# where there is no auth.log), packet capture on all interfaces, the flood
# counters every 5 s, file integrity watching the default critical paths
# (after its first pass), login detector ticks; no scheduled scan (a scan
# is not idle). Measures, over DURATION seconds (600 by default), the CPU
# time from /proc/PID/stat (utime + stime) and the peak RSS (VmHWM, reset
# through /proc/PID/clear_refs when the window starts), and reports the
# agent's own anonymous memory and its proportional share (PSS) beside it.
# Needs root (capture, reading the system's files).
#
#   bench/agent/idle.sh [BUILD_DIR] [DURATION] [STATE_DIR]
#
# STATE_DIR (default: a new temporary one) may be kept between runs; the
# first file-integrity pass is then a comparison instead of a full hash.
# FIM=0 in the environment turns file integrity off (the window then starts
# 10 s after the agent).
set -eu
BUILD=${1:-build}
DURATION=${2:-600}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
VIGIL="$SRC/$BUILD/src/cli/vigil"
[ -x "$VIGIL" ] || VIGIL="$BUILD/src/cli/vigil"
W=$(mktemp -d /tmp/vigil-idle.XXXXXX)
STATE=${3:-$W/state}
trap 'kill "$PID" 2>/dev/null; rm -rf "$W"' EXIT
cat >"$W/vigil.yml" <<CONF
agent:
  scans: []
CONF
[ "${FIM:-1}" = 0 ] && printf '  fim: false\n' >>"$W/vigil.yml"
"$VIGIL" --config "$W/vigil.yml" --state "$STATE" agent --output "$W/alerts.jsonl" 2>"$W/agent.err" &
PID=$!
# Wait for the first file-integrity pass (it hashes the covered files).
i=0
[ "${FIM:-1}" = 0 ] && sleep 5
while [ "${FIM:-1}" != 0 ] && ! grep -q "fim: watching" "$W/agent.err"; do
        sleep 1
        i=$((i + 1))
        if [ $i -gt 3600 ] || ! kill -0 "$PID" 2>/dev/null; then
                echo "the agent did not get to watching: $(cat "$W/agent.err")" >&2
                exit 1
        fi
done
sleep 5
ticks=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
echo 5 >"/proc/$PID/clear_refs"
c0=$(cpu)
t0=$(date +%s.%N)
# In short sleeps: one long sleep may be cut by a supervisor.
i=0
while [ $i -lt "$DURATION" ]; do
        sleep 1
        i=$((i + 1))
done
c1=$(cpu)
t1=$(date +%s.%N)
hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$PID/status")
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$PID/status")
anon=$(awk '/RssAnon/ { print $2 }' "/proc/$PID/status")
file=$(awk '/RssFile/ { print $2 }' "/proc/$PID/status")
pss=$(awk '/^Pss:/ { print $2 }' "/proc/$PID/smaps_rollup")
cpu_s=$(echo "scale=3; ($c1 - $c0) / $ticks" | bc)
wall=$(echo "scale=1; $t1 - $t0" | bc)
echo "sources:    $(grep -o 'running: .*' "$W/agent.err")"
grep -E "fim: watching|packet capture|journal" "$W/agent.err" | sed 's/^/            /'
echo "CPU:        ${cpu_s} s over ${wall} s = $(echo "scale=4; 100 * $cpu_s / $wall" | bc)% of one core"
echo "peak RSS:   $((hwm / 1024)) MiB (VmHWM ${hwm} kB over the window; VmRSS ${rss} kB)"
echo "of which:   anonymous ${anon} kB, file-backed (shared libraries, mapped journal) ${file} kB"
echo "PSS:        ${pss} kB"
