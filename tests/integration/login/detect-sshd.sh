#!/bin/sh
# The login detectors on a real sshd's log: a real client (sshpass + ssh)
# fails N times and then logs in with the right password, on a sshd that
# listens on a loopback port. `vigil logscan` of sshd's own output must
# raise a suspicious login.brute_force and then an urgent
# login.brute_force_success, both about 127.0.0.1 and the account; N-1
# failures before the login raise neither; a user named
# "x from 6.6.6.6 port 22" failing N times is a brute force from 127.0.0.1,
# and nothing is attributed to 6.6.6.6. Needs root (a test account is
# created and removed), openssh-server and sshpass; skipped (77) without
# them.
. "$VIGIL_SOURCE/tests/integration/lib.sh"
SSHD=/usr/sbin/sshd
if [ "$(id -u)" -ne 0 ] || [ ! -x "$SSHD" ] || ! command -v sshpass >/dev/null ||
        ! command -v ssh >/dev/null || ! command -v useradd >/dev/null ||
        ! command -v jq >/dev/null; then
        echo "skip: needs root, openssh-server, openssh-client, sshpass and jq"
        exit 77
fi
N=5
TUSER=vdetect$$
TPASS="Right-$$-pass"
SSHD_PID=
cleanup() {
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
cat >"$WORK/vigil.yml" <<CONF
login:
  judge_private: true
  bruteforce:
    failures: $N
    window: 10m
CONF

port=$((21000 + $$ % 20000))
for try in 1 2 3 4 5 6 7 8 9 10; do
        : >"$WORK/sshd.log"
        "$SSHD" -D -E "$WORK/sshd.log" -f "$WORK/sshd_config" -h "$WORK/hostkey" -p "$port" \
                -o ListenAddress=127.0.0.1 &
        SSHD_PID=$!
        i=0
        while [ $i -lt 100 ] && ! grep -q "Server listening" "$WORK/sshd.log" &&
                kill -0 "$SSHD_PID" 2>/dev/null; do
                sleep 0.1
                i=$((i + 1))
        done
        grep -q "Server listening" "$WORK/sshd.log" && break
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
closed=0
# wait_closes N: sshd logs a failed connection's close after the client has
# gone; wait (bounded) until N closes are in the log.
wait_closes() {
        i=0
        while [ $i -lt 300 ] && [ "$(grep -c 'Connection closed by' "$WORK/sshd.log")" -lt "$1" ]; do
                sleep 0.1
                i=$((i + 1))
        done
}
# mark NAME: the log's line count now, in $WORK/mark.NAME.
mark() { wc -l <"$WORK/sshd.log" >"$WORK/mark.$1"; }
# slice FROM TO OUT: lines after mark FROM up to mark TO.
slice() { sed -n "$(($(cat "$WORK/mark.$1") + 1)),$(cat "$WORK/mark.$2")p" "$WORK/sshd.log" >"$3"; }

# Scenario A: N wrong passwords, then the right one.
mark a0
for i in $(seq $N); do
        client "wrong-$i" "$TUSER" && fail "wrong password $i accepted"
done
closed=$((closed + N))
client "$TPASS" "$TUSER" || fail "right password refused: $(tail -5 "$WORK/sshd.log")"
wait_closes $closed
sleep 0.5
mark a1
# Scenario B: N-1 wrong passwords, then the right one.
for i in $(seq $((N - 1))); do
        client "wrong-$i" "$TUSER" && fail "wrong password $i accepted (B)"
done
closed=$((closed + N - 1))
client "$TPASS" "$TUSER" || fail "right password refused (B)"
wait_closes $closed
sleep 0.5
mark b1
# Scenario C: an injection user name fails N times.
for i in $(seq $N); do
        client "wrong-$i" "x from 6.6.6.6 port 22" && fail "injection user logged in"
done
closed=$((closed + N))
wait_closes $closed
mark c1
kill "$SSHD_PID"
wait "$SSHD_PID" 2>/dev/null
SSHD_PID=
slice a0 a1 "$WORK/a.log"
slice a1 b1 "$WORK/b.log"
slice b1 c1 "$WORK/c.log"

# alerts FILE: the alerts of `vigil logscan` on FILE, one per line, in
# $WORK/alerts (events dropped); also checks the exit status.
alerts() {
        if run 0 "$VIGIL" --config "$WORK/vigil.yml" logscan --format jsonl --service sshd "$1"; then
                grep '"kind":"alert"' "$WORK/out" >"$WORK/alerts" || :
        else
                : >"$WORK/alerts"
        fi
}
rules() { jq -r '[.rule, .level, .evidence.src // "-", .evidence.user // "-"] | join("|")' "$WORK/alerts"; }

# A: brute force (suspicious), then the urgent login after it.
alerts "$WORK/a.log"
rules >"$WORK/a.rules"
{
        echo "login.brute_force|suspicious|127.0.0.1|-"
        echo "login.brute_force_success|urgent|127.0.0.1|$TUSER"
} >"$WORK/a.want"
if cmp -s "$WORK/a.rules" "$WORK/a.want"; then ok "brute force, then urgent login after it"; else
        fail "scenario A alerts: $(diff "$WORK/a.want" "$WORK/a.rules"); log: $(cat "$WORK/a.log")"
fi
jq -e -s --arg u "$TUSER" --argjson n "$N" 'map(select(.rule == "login.brute_force")) |
        length == 1 and (.[0] | .type == "abnormal_login" and .evidence.count == $n and .evidence.service == "sshd" and
        (.evidence.users | index($u)) != null and .evidence.method == "password" and
        (.title | test("^Brute force against sshd from 127.0.0.1: [0-9]+ failed logins")) and
        (.remediation | contains("nft add element inet vigil blocked4 { 127.0.0.1 timeout 12h }")))' \
        "$WORK/alerts" >/dev/null && ok "brute force evidence" ||
        fail "brute force evidence: $(cat "$WORK/alerts")"
jq -e -s --arg u "$TUSER" --argjson n "$N" 'map(select(.rule == "login.brute_force_success")) |
        length == 1 and (.[0] | .evidence.count == $n and .evidence.method == "password" and .evidence.line > 0 and
        (.remediation | contains("passwd -l \u0027" + $u + "\u0027")))' \
        "$WORK/alerts" >/dev/null && ok "urgent alert evidence and remediation" ||
        fail "urgent alert evidence: $(cat "$WORK/alerts")"

# B: N-1 failures are neither a brute force nor a login after one.
alerts "$WORK/b.log"
expect_not_in "$WORK/alerts" '"rule":"login.brute_force"' "no brute force after $((N - 1)) failures"
expect_not_in "$WORK/alerts" '"rule":"login.brute_force_success"' "no urgent alert after $((N - 1)) failures"
grep -c '"event":"auth_failure"' "$WORK/out" | grep -qx "$((N - 1))" &&
        ok "the $((N - 1)) failures were read" || fail "scenario B events: $(cat "$WORK/out")"

# C: the injection name is a brute force from 127.0.0.1, never from 6.6.6.6.
alerts "$WORK/c.log"
rules >"$WORK/c.rules"
echo "login.brute_force|suspicious|127.0.0.1|-" >"$WORK/c.want"
cmp -s "$WORK/c.rules" "$WORK/c.want" && ok "injection user: brute force from 127.0.0.1" ||
        fail "scenario C alerts: $(diff "$WORK/c.want" "$WORK/c.rules")"
jq -r '.subject // empty, .evidence.src // empty' "$WORK/alerts" | grep -q '^6\.6\.6\.6' &&
        fail "an alert names 6.6.6.6 as its source" || ok "nothing attributed to 6.6.6.6"
expect_not_in "$WORK/alerts" '{ 6.6.6.6' "no block command for 6.6.6.6"

# The same log framed as Debian 12's rsyslog writes it, one line a second:
# the same alerts, now with real times.
awk '{ sub(/\r$/, ""); printf "2026-11-26T23:%02d:%02d.000000+00:00 testhost sshd[%d]: %s\n", int(NR / 60) % 60, NR % 60, 4000 + NR, $0 }' \
        "$WORK/a.log" >"$WORK/auth.log"
if run 0 "$VIGIL" --config "$WORK/vigil.yml" logscan --format jsonl "$WORK/auth.log"; then
        grep '"kind":"alert"' "$WORK/out" >"$WORK/alerts" || :
        rules >"$WORK/r.rules"
        cmp -s "$WORK/r.rules" "$WORK/a.want" && ok "same alerts through rsyslog framing" ||
                fail "rsyslog framing: $(diff "$WORK/a.want" "$WORK/r.rules")"
        jq -e -s 'map(select(.rule == "login.brute_force_success")) |
                length == 1 and (.[0].time | startswith("2026-11-26T23:"))' \
                "$WORK/alerts" >/dev/null && ok "alert time is the log's time" ||
                fail "alert time: $(cat "$WORK/alerts")"
fi
finish
