#!/bin/sh
# The real agent process following a real file through everything that
# happens to logs: rename rotation while running (with late writes to the
# old file), copytruncate while running, rotation while the agent is down,
# stops with SIGTERM and SIGKILL (also in the middle of a stream of
# writes), a last line cut short at a rotation, and timestamps out of
# order. After each step the store's record count must equal the lines
# written: nothing lost, nothing read twice. Planted brute force sequences
# (one source each) must each give exactly one alert in the JSON output.
. "$VIGIL_SOURCE/tests/integration/lib.sh"
. "$VIGIL_SOURCE/tests/integration/agent/agentlib.sh"
command -v jq >/dev/null || { echo "skip: needs jq"; exit 77; }
trap 'agent_cleanup; rm -rf "$WORK"' EXIT
LOG="$WORK/log/auth.log"
ST="$WORK/state"
OUT="$WORK/alerts.jsonl"
mkdir -p "$WORK/log"
: >"$LOG"
cat >"$WORK/vigil.yml" <<CONF
agent:
  default_logs: false
  journal: false
  netattack: false
  fim: false
  scans: []
  poll_interval: 200ms
  logs: [{path: $LOG}]
login:
  bruteforce:
    failures: 5
    window: 10m
CONF

WRITTEN=0
SEQ=0
# attack FILE IP: five failures from IP (one brute force alert).
attack() {
        for k in 1 2 3 4 5; do
                SEQ=$((SEQ + 1))
                printf '2026-11-26T12:%02d:%02d.%06d+00:00 web1 sshd[%d]: Failed password for root from %s port %d ssh2\n' \
                        $((SEQ / 60 % 60)) $((SEQ % 60)) "$SEQ" $((2000 + SEQ)) "$2" $((30000 + SEQ)) >>"$1"
        done
        WRITTEN=$((WRITTEN + 5))
}
# noise FILE N: N lines that are not attacks (one failure each from a
# distinct documentation address).
noise() {
        i=0
        while [ $i -lt "$2" ]; do
                SEQ=$((SEQ + 1))
                printf '2026-11-26T13:%02d:%02d.%06d+00:00 web1 sshd[%d]: Failed password for bob from 2001:db8::%x port %d ssh2\n' \
                        $((SEQ / 60 % 60)) $((SEQ % 60)) "$SEQ" $((2000 + SEQ)) "$SEQ" $((30000 + SEQ % 30000)) >>"$1"
                i=$((i + 1))
        done
        WRITTEN=$((WRITTEN + $2))
}
check() { # DESCRIPTION
        n=$(wait_records "$ST" "$LOG" "$WRITTEN")
        # A little longer: a duplicate would push the count past.
        sleep 0.5
        n=$(records "$ST" "$LOG")
        [ "$n" -eq "$WRITTEN" ] && ok "$1: $n records" ||
                fail "$1: $n records for $WRITTEN lines written; $(tail -5 "$WORK/agent.err")"
}

start_agent "$WORK/vigil.yml" "$ST" "$OUT"
attack "$LOG" 192.0.2.1
attack "$LOG" 192.0.2.2
noise "$LOG" 50
check "lines while running"

# logrotate "create": rename, new file, the writer keeps writing to the old
# file a little longer.
mv "$LOG" "$LOG.1"
: >"$LOG"
attack "$LOG.1" 192.0.2.3
noise "$LOG.1" 20
attack "$LOG" 192.0.2.4
check "rename rotation with late writes to the old file"

# copytruncate (no write between the copy and the truncation, so nothing
# may be lost).
attack "$LOG" 192.0.2.5
mv "$LOG.1" "$LOG.2"
cp "$LOG" "$LOG.1"
: >"$LOG"
attack "$LOG" 192.0.2.6
check "copytruncate"

# Stop with SIGTERM, rotate and write while the agent is down.
stop_agent TERM
attack "$LOG" 192.0.2.7
rm -f "$LOG.2"
mv "$LOG.1" "$LOG.2"
mv "$LOG" "$LOG.1"
attack "$LOG.1" 192.0.2.8
: >"$LOG"
attack "$LOG" 192.0.2.9
start_agent "$WORK/vigil.yml" "$ST" "$OUT"
check "rotated while stopped (SIGTERM)"

# SIGKILL after everything was read, then copytruncate while down.
stop_agent KILL
attack "$LOG" 192.0.2.10
rm -f "$LOG.2"
mv "$LOG.1" "$LOG.2"
cp "$LOG" "$LOG.1"
: >"$LOG"
noise "$LOG" 10
start_agent "$WORK/vigil.yml" "$ST" "$OUT"
check "copytruncate while killed (SIGKILL)"

# SIGKILL in the middle of a stream of writes, three times.
for round in 1 2 3; do
        noise "$LOG" 3000 &
        writer=$!
        sleep 0.3
        stop_agent KILL
        wait "$writer"
        WRITTEN=$((WRITTEN + 3000))
        SEQ=$((SEQ + 3000))
        start_agent "$WORK/vigil.yml" "$ST" "$OUT"
        check "SIGKILL during a stream of writes ($round)"
done

# A last line cut short at a rotation: the writer never finishes it; it is
# handed out (flagged) once the rotated file has been idle for its grace.
printf '2026-11-26T14:00:00.000000+00:00 web1 sshd[9]: Failed password for root from 192.0.2' >>"$LOG"
WRITTEN=$((WRITTEN + 1))
mv "$LOG" "$LOG.1"
: >"$LOG"
attack "$LOG" 192.0.2.11
check "a line cut short at rotation"

# Timestamps out of order: still read, still counted, still detected.
for k in 5 4 3 2 1; do
        printf '2026-11-26T11:00:%02d.000000+00:00 web1 sshd[%d]: Failed password for root from 192.0.2.12 port %d ssh2\n' \
                "$k" $((3000 + k)) $((31000 + k)) >>"$LOG"
done
WRITTEN=$((WRITTEN + 5))
check "timestamps out of order"

stop_agent TERM
# Every planted source exactly once in the JSON output and in the store.
for i in $(seq 1 12); do
        n=$(jq -r --arg s "192.0.2.$i" 'select(.kind == "alert" and .rule == "login.brute_force" and .evidence.src == $s) | .id' "$OUT" | sort -u | wc -l)
        [ "$n" -eq 1 ] || fail "192.0.2.$i: $n brute force alerts"
done
ok "each planted brute force alerted once"
n=$("$VIGIL" --state "$ST" agent status --format json | jq '[.alerts.total] | add')
m=$(jq -r 'select(.kind == "alert") | .id' "$OUT" | sort -u | wc -l)
[ "$n" -eq "$m" ] && ok "the output holds the $n stored alerts" || fail "store $n alerts, output $m"
grep -q "rotated; reading the old file" "$WORK/agent.err" && ok "rotation noted" || fail "no rotation note"
grep -q "truncated; reading it from the start" "$WORK/agent.err" && ok "truncation noted" ||
        fail "no truncation note"
finish
