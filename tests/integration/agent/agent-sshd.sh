#!/bin/sh
# The agent on a real sshd, in real time: sshd listens on a loopback port
# and logs to a file (sshd -E) that the agent follows; a real client
# (sshpass + ssh) fails N times, then logs in with the right password. The
# agent must raise the suspicious login.brute_force and then the urgent
# login.brute_force_success in its JSON output and its store, the urgent
# one less than 5 seconds after sshd logged the login. With
# response.block in dry-run mode the alert records the nft command that
# would block the source (127.0.0.1 is never blocked: it must say so).
# Needs root (a test account), openssh-server, sshpass and jq.
. "$VIGIL_SOURCE/tests/integration/lib.sh"
. "$VIGIL_SOURCE/tests/integration/agent/agentlib.sh"
SSHD=/usr/sbin/sshd
if [ "$(id -u)" -ne 0 ] || [ ! -x "$SSHD" ] || ! command -v sshpass >/dev/null ||
        ! command -v ssh >/dev/null || ! command -v useradd >/dev/null ||
        ! command -v jq >/dev/null; then
        echo "skip: needs root, openssh-server, openssh-client, sshpass and jq"
        exit 77
fi
N=5
TUSER=vagent$$
TPASS="Right-$$-pass"
SSHD_PID=
cleanup() {
        agent_cleanup
        [ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null
        userdel "$TUSER" 2>/dev/null
        rm -rf "$WORK"
}
trap cleanup EXIT
useradd -M -d /nonexistent -s /bin/sh "$TUSER"
echo "$TUSER:$TPASS" | chpasswd
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$WORK/hostkey"
cat >"$WORK/sshd_config" <<CONF
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication no
UsePAM yes
PermitRootLogin no
StrictModes no
PidFile none
MaxAuthTries 6
MaxStartups 100
LogLevel INFO
CONF
ST="$WORK/state"
OUT="$WORK/alerts.jsonl"
: >"$WORK/sshd.log"
: >"$WORK/auth.log"
cat >"$WORK/vigil.yml" <<CONF
agent:
  default_logs: false
  journal: false
  netattack: false
  fim: false
  scans: []
  logs: [{path: $WORK/sshd.log, service: sshd}, {path: $WORK/auth.log}]
login:
  judge_private: true
  bruteforce:
    failures: $N
    window: 10m
response:
  block:
    enabled: true
    dry_run: true
CONF
start_agent "$WORK/vigil.yml" "$ST" "$OUT"
[ -n "$AGENT_PID" ] && kill -0 "$AGENT_PID" || { fail "agent did not start: $(cat "$WORK/agent.err")"; finish; }

port=$((22000 + $$ % 20000))
for try in 1 2 3 4 5 6 7 8 9 10; do
        "$SSHD" -D -E "$WORK/sshd.log" -f "$WORK/sshd_config" -h "$WORK/hostkey" -p "$port" \
                -o ListenAddress=127.0.0.1 &
        SSHD_PID=$!
        i=0
        while [ $i -lt 100 ] && ! grep -q "Server listening on 127.0.0.1 port $port" "$WORK/sshd.log" &&
                kill -0 "$SSHD_PID" 2>/dev/null; do
                sleep 0.1
                i=$((i + 1))
        done
        grep -q "Server listening on 127.0.0.1 port $port" "$WORK/sshd.log" && break
        kill "$SSHD_PID" 2>/dev/null
        wait "$SSHD_PID" 2>/dev/null
        SSHD_PID=
        port=$((port + 1))
done
[ -n "$SSHD_PID" ] || { fail "sshd did not start: $(cat "$WORK/sshd.log")"; finish; }

client() { # PASSWORD USER
        timeout 60 sshpass -p "$1" ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
                -o PubkeyAuthentication=no -o PreferredAuthentications=password \
                -o ConnectTimeout=20 -o LogLevel=ERROR -p "$port" "$2@127.0.0.1" true \
                </dev/null >/dev/null 2>&1
}
for i in $(seq $N); do
        client "wrong-$i" "$TUSER" && fail "wrong password $i accepted"
done
# The brute force alert comes in real time, before any login.
i=0
while [ $i -lt 100 ] && ! grep -q '"rule":"login.brute_force"' "$OUT" 2>/dev/null; do
        sleep 0.1
        i=$((i + 1))
done
grep -q '"rule":"login.brute_force"' "$OUT" && ok "brute force raised while it happens" ||
        fail "no brute force alert: $(cat "$OUT" 2>/dev/null) $(tail -5 "$WORK/agent.err")"
client "$TPASS" "$TUSER" || fail "right password refused: $(tail -5 "$WORK/sshd.log")"
# When sshd logged the login, and when the urgent alert was there.
i=0
while [ $i -lt 200 ] && ! grep -q "Accepted password for $TUSER" "$WORK/sshd.log"; do
        sleep 0.05
        i=$((i + 1))
done
t0=$(date +%s%N)
i=0
while [ $i -lt 400 ] && ! grep -q '"rule":"login.brute_force_success"' "$OUT"; do
        sleep 0.05
        i=$((i + 1))
done
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
if grep -q '"rule":"login.brute_force_success"' "$OUT"; then
        [ "$ms" -lt 5000 ] && ok "urgent alert ${ms} ms after the login" ||
                fail "urgent alert only after ${ms} ms"
else
        fail "no urgent alert: $(cat "$OUT")"
fi
jq -e -s --arg u "$TUSER" 'map(select(.kind == "alert")) | (map(.rule) == ["login.brute_force", "login.brute_force_success"]) and
        (.[0].level == "suspicious" and .[0].evidence.src == "127.0.0.1") and
        (.[1].level == "urgent" and .[1].evidence.user == $u and .[1].evidence.src == "127.0.0.1")' \
        "$OUT" >/dev/null && ok "brute force, then urgent login after it" ||
        fail "alerts: $(cat "$OUT")"
jq -e -s 'map(select(.kind == "alert")) | .[0].evidence.response | .action == "block" and
        .target == "127.0.0.1" and (.result | startswith("refused: a loopback"))' "$OUT" >/dev/null &&
        ok "response: loopback is never blocked" || fail "response evidence: $(jq -c '.evidence.response' "$OUT")"
# A public source is blocked (dry run: the command is recorded, not run).
for k in 1 2 3 4 5; do
        printf '2026-11-26T12:00:0%d.000000+00:00 web1 sshd[%d]: Failed password for root from 203.0.113.50 port %d ssh2\n' \
                "$k" $((500 + k)) $((40000 + k)) >>"$WORK/auth.log"
done
i=0
while [ $i -lt 100 ] && ! grep -q '"src":"203.0.113.50"' "$OUT"; do
        sleep 0.1
        i=$((i + 1))
done
jq -e -s 'map(select(.kind == "alert" and .evidence.src == "203.0.113.50")) | length == 1 and
        (.[0].evidence.response | .result == "dry-run" and (.command | contains("203.0.113.50")) and
        (.command | contains("blocked4")))' "$OUT" >/dev/null &&
        ok "response: a brute force source is blocked (dry run, command recorded)" ||
        fail "dry-run block: $(grep 203.0.113.50 "$OUT")"
grep -q "would block 203.0.113.50" "$WORK/agent.err" && ok "the block command is logged" ||
        fail "block not logged: $(tail -3 "$WORK/agent.err")"
stop_agent TERM
n=$("$VIGIL" --state "$ST" agent status --format json | jq '.alerts.urgent')
[ "$n" -eq 1 ] && ok "the urgent alert is in the store" || fail "store has $n urgent alerts"
n=$("$VIGIL" --state "$ST" agent status --format json | jq '.responses')
[ "$n" -eq 3 ] && ok "the three responses recorded" || fail "store has $n responses"
finish
