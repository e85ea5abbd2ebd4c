#!/bin/sh
# The agent under a burst: gen-burst.py appends 10,000 auth.log lines a
# second for 30 seconds to a file the agent follows. Afterwards every line
# must be counted exactly once in the store, every planted brute force
# sequence alerted, and the agent's CPU time and peak RSS are reported.
#
#   bench/agent/burst.sh [BUILD_DIR] [RATE] [SECONDS]
set -eu
BUILD=${1:-build}
RATE=${2:-10000}
SECS=${3:-30}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
VIGIL="$SRC/$BUILD/src/cli/vigil"
[ -x "$VIGIL" ] || VIGIL="$BUILD/src/cli/vigil"
W=$(mktemp -d /tmp/vigil-burst.XXXXXX)
trap 'kill "$PID" 2>/dev/null; rm -rf "$W"' EXIT
LOG="$W/auth.log"
: >"$LOG"
cat >"$W/vigil.yml" <<CONF
agent:
  default_logs: false
  journal: false
  netattack: false
  fim: false
  scans: []
  logs: [{path: $LOG}]
login:
  judge_private: true
CONF
"$VIGIL" --config "$W/vigil.yml" --state "$W/state" agent --output "$W/alerts.jsonl" 2>"$W/agent.err" &
PID=$!
while ! grep -q "agent: running" "$W/agent.err"; do sleep 0.1; done
ticks=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
c0=$(cpu)
t0=$(date +%s.%N)
gen=$(python3 "$SRC/bench/agent/gen-burst.py" "$LOG" --rate "$RATE" --seconds "$SECS")
t1=$(date +%s.%N)
lines=$(echo "$gen" | jq .lines)
planted=$(echo "$gen" | jq .planted)
# Wait until every line is counted (the lag after the burst).
records() {
        "$VIGIL" --state "$W/state" agent status --format json |
                jq -r --arg s "$LOG" '[.sources[] | select(.source == $s) | .records] | add // 0'
}
n=$(records)
while [ "$n" -lt "$lines" ]; do
        sleep 0.1
        n=$(records)
        [ "$(echo "$(date +%s.%N) - $t1 > 120" | bc)" -eq 1 ] && break
done
t2=$(date +%s.%N)
c1=$(cpu)
hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$PID/status")
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$PID/status")
sleep 1
n=$(records)
kill -TERM "$PID"
wait "$PID" || :
PID=
alerted=$(jq -r 'select(.rule == "login.brute_force") | .evidence.src' "$W/alerts.jsonl" |
        grep -c '^10\.' || :)
other=$(jq -r 'select(.rule != "login.brute_force" or (.evidence.src | startswith("10.") | not)) | .rule' \
        "$W/alerts.jsonl" | sort | uniq -c | tr '\n' ' ')
cpu_s=$(echo "scale=2; ($c1 - $c0) / $ticks" | bc)
wall=$(echo "scale=2; $t2 - $t0" | bc)
lag=$(echo "scale=2; $t2 - $t1" | bc)
echo "lines written:        $lines in $(echo "$gen" | jq .seconds) s ($RATE/s asked)"
echo "records counted:      $n $([ "$n" -eq "$lines" ] && echo '(all, once)' || echo '(MISMATCH)')"
echo "planted brute forces: $planted, alerted: $alerted"
echo "other alerts:         ${other:-none}"
echo "agent CPU:            ${cpu_s} s over ${wall} s wall = $(echo "scale=1; 100 * $cpu_s / $wall" | bc)% of one core"
echo "lag after the burst:  ${lag} s"
echo "agent peak RSS:       $((hwm / 1024)) MiB (VmHWM ${hwm} kB; VmRSS at end ${rss} kB)"
[ "$n" -eq "$lines" ] && [ "$alerted" -eq "$planted" ]
