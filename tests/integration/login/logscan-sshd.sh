#!/bin/sh
# A real sshd on a loopback port with password authentication and a real
# client (sshpass + ssh): wrong passwords, a right one, an injection user
# name, an invalid user. `vigil logscan` of sshd's own log must list exactly
# those attempts, with the right kinds, users, 127.0.0.1 and the ports sshd
# logged. Needs root (a test account is created and removed), openssh-server
# and sshpass; skipped (77) without them.
. "$VIGIL_SOURCE/tests/integration/lib.sh"
SSHD=/usr/sbin/sshd
if [ "$(id -u)" -ne 0 ] || [ ! -x "$SSHD" ] || ! command -v sshpass >/dev/null ||
        ! command -v ssh >/dev/null || ! command -v useradd >/dev/null; then
        echo "skip: needs root, openssh-server, openssh-client and sshpass"
        exit 77
fi
TUSER=vlogscan$$
TPASS="Good-$$-pass"
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
LogLevel INFO
CONF

# Start on a free port; sshd says when it listens.
port=$((20000 + $$ % 20000))
for _ in 1 2 3 4 5 6 7 8 9 10; do
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
N=3
for i in $(seq $N); do
        client "wrong-$i" "$TUSER" && fail "wrong password $i accepted"
done
client "$TPASS" "$TUSER" || fail "right password refused: $(tail -5 "$WORK/sshd.log")"
client wrong "x from 6.6.6.6 port 22" && fail "injection user logged in"
client wrong "nosuchuser$$" && fail "unknown user logged in"

# sshd logs the end of each connection after the client has gone: wait
# (bounded) until the last connection's close is in the log.
i=0
while [ $i -lt 200 ] && [ "$(grep -c 'Connection closed by' "$WORK/sshd.log")" -lt $((N + 2)) ]; do
        sleep 0.1
        i=$((i + 1))
done
kill "$SSHD_PID"
wait "$SSHD_PID" 2>/dev/null
SSHD_PID=

run 0 "$VIGIL" logscan --format jsonl --service sshd "$WORK/sshd.log" || { cat "$WORK/sshd.log"; finish; }
grep '"kind":"event"' "$WORK/out" >"$WORK/events"
# Kind, user, source and invalid flag of each event, in a stable order.
jq -r '[.event, .method // "-", .user, .src, (.invalid_user // false | tostring)] | join("|")' \
        "$WORK/events" | sort >"$WORK/got"
{
        for i in $(seq $N); do
                echo "auth_failure|password|$TUSER|127.0.0.1|false"
                echo "preauth_close|-|$TUSER|127.0.0.1|false"
        done
        echo "auth_success|password|$TUSER|127.0.0.1|false"
        echo "invalid_user|-|x from 6.6.6.6 port 22|127.0.0.1|true"
        echo "auth_failure|password|x from 6.6.6.6 port 22|127.0.0.1|true"
        echo "preauth_close|-|x from 6.6.6.6 port 22|127.0.0.1|true"
        echo "invalid_user|-|nosuchuser$$|127.0.0.1|true"
        echo "auth_failure|password|nosuchuser$$|127.0.0.1|true"
        echo "preauth_close|-|nosuchuser$$|127.0.0.1|true"
} | sort >"$WORK/want"
if cmp -s "$WORK/got" "$WORK/want"; then ok "events of the real sshd log"; else
        fail "events differ: $(diff "$WORK/want" "$WORK/got"); log: $(cat "$WORK/sshd.log")"
fi
expect_not_in "$WORK/events" '"src":"6.6.6.6"' "injection not attributed to 6.6.6.6"

# Each event's port is the one sshd wrote on that line.
jq -r '"\(.line) \(.port)"' "$WORK/events" | while read -r line p; do
        if sed -n "${line}p" "$WORK/sshd.log" | grep -q "127.0.0.1 port $p\b"; then :; else
                echo "line $line: port $p not in: $(sed -n "${line}p" "$WORK/sshd.log")"
        fi
done >"$WORK/portcheck"
[ -s "$WORK/portcheck" ] && fail "ports: $(cat "$WORK/portcheck")" || ok "ports as logged"
# Every failed connection's close has the same port as its failure.
jq -r 'select(.event == "auth_failure") | .port' "$WORK/events" | sort >"$WORK/fports"
jq -r 'select(.event == "preauth_close") | .port' "$WORK/events" | sort >"$WORK/cports"
cmp -s "$WORK/fports" "$WORK/cports" && ok "failure and close ports pair up" || fail "ports do not pair"

# The same messages framed the way Debian 12's rsyslog writes them.
awk '{ sub(/\r$/, ""); printf "2026-11-26T23:15:%02d.%06d+00:00 testhost sshd[%d]: %s\n", NR % 60, NR, 4000 + NR, $0 }' \
        "$WORK/sshd.log" >"$WORK/auth.log"
run 0 "$VIGIL" logscan --format jsonl "$WORK/auth.log"
grep '"kind":"event"' "$WORK/out" | jq -r '[.event, .method // "-", .user, .src, (.invalid_user // false | tostring)] | join("|")' |
        sort >"$WORK/got2"
cmp -s "$WORK/got2" "$WORK/want" && ok "same events through rsyslog framing" ||
        fail "rsyslog framing: $(diff "$WORK/want" "$WORK/got2")"

# Through syslog proper: sshd and PAM send datagrams to /dev/log, which a
# small receiver writes to a file, one per line, as a syslog daemon would.
# /dev/log exists only in a private mount namespace (a tmpfs over /dev with
# the few device nodes needed), so the host's /dev is not touched.
if ! command -v unshare >/dev/null || ! command -v python3 >/dev/null ||
        ! unshare -m true 2>/dev/null; then
        echo "skip: syslog phase needs unshare (mount namespaces) and python3"
        finish
        exit 0
fi
cat >"$WORK/recv.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "ab", buffering=0) as f:
    open(sys.argv[3], "w").close()
    while True:
        f.write(s.recv(65536).rstrip(b"\n") + b"\n")
PY
printf '#!/bin/sh\necho "${VIGIL_TEST_PASS:-wrong}"\n' >"$WORK/askpass"
chmod 755 "$WORK/askpass"
sed -i 's/^MaxAuthTries 6$/MaxAuthTries 3/' "$WORK/sshd_config"
cat >"$WORK/ns.sh" <<'NS'
set -eu
W=$1 PORT=$2 U=$3 P=$4
mount --make-rprivate /
mkdir -p "$W/olddev"
mount --rbind /dev "$W/olddev"
mount -t tmpfs -o mode=755 tmpfs /dev
for n in null zero random urandom tty full; do
        touch "/dev/$n"
        mount --bind "$W/olddev/$n" "/dev/$n"
done
python3 "$W/recv.py" /dev/log "$W/syslog" "$W/ready" &
RP=$!
i=0
while [ ! -e "$W/ready" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
/usr/sbin/sshd -D -f "$W/sshd_config" -h "$W/hostkey" -p "$PORT" -o ListenAddress=127.0.0.1 &
SP=$!
i=0
while ! grep -q "Server listening" "$W/syslog" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
c() { # PROMPTS USER [PASSWORD]
        VIGIL_TEST_PASS=${3:-wrong} SSH_ASKPASS="$W/askpass" SSH_ASKPASS_REQUIRE=force \
                timeout 60 setsid -w ssh -o NumberOfPasswordPrompts="$1" -o StrictHostKeyChecking=no \
                -o UserKnownHostsFile=/dev/null -o PubkeyAuthentication=no -o LogLevel=ERROR \
                -o PreferredAuthentications=password -p "$PORT" "$2@127.0.0.1" true </dev/null >/dev/null 2>&1 || true
}
c 1 "$U"
c 1 "$U"
c 1 "$U" "$P"
c 6 "$U"
c 1 "x from 6.6.6.6 port 22"
i=0
while [ "$(grep -c 'Connection closed by\|Disconnecting authenticating' "$W/syslog")" -lt 4 ] && [ $i -lt 200 ]; do
        sleep 0.05
        i=$((i + 1))
done
kill "$SP" "$RP"
NS
rm -f "$WORK/syslog" "$WORK/ready"
unshare -m sh "$WORK/ns.sh" "$WORK" "$port" "$TUSER" "$TPASS" || fail "namespace run failed"
run 0 "$VIGIL" logscan --format jsonl "$WORK/syslog" || { cat "$WORK/syslog"; finish; }
grep '"kind":"event"' "$WORK/out" >"$WORK/events3"
jq -r '[.event, .method // "-", .user, .src, (.invalid_user // false | tostring)] | join("|")' \
        "$WORK/events3" | sort >"$WORK/got3"
{
        for i in 1 2; do
                echo "pam_failure|-|$TUSER|127.0.0.1|false"
                echo "auth_failure|password|$TUSER|127.0.0.1|false"
                echo "preauth_close|-|$TUSER|127.0.0.1|false"
        done
        echo "auth_success|password|$TUSER|127.0.0.1|false"
        echo "pam_failure|-|$TUSER|127.0.0.1|false"
        echo "auth_failure|password|$TUSER|127.0.0.1|false"
        echo "auth_failure|password|$TUSER|127.0.0.1|false"
        echo "auth_failure|password|$TUSER|127.0.0.1|false"
        echo "max_attempts|-|$TUSER|127.0.0.1|false"
        echo "preauth_close|-|$TUSER|127.0.0.1|false"
        echo "invalid_user|-|x from 6.6.6.6 port 22|127.0.0.1|true"
        echo "pam_failure|-||127.0.0.1|true"
        echo "auth_failure|password|x from 6.6.6.6 port 22|127.0.0.1|true"
        echo "preauth_close|-|x from 6.6.6.6 port 22|127.0.0.1|true"
} | sort >"$WORK/want3"
if cmp -s "$WORK/got3" "$WORK/want3"; then ok "events of sshd and PAM through syslog"; else
        fail "syslog events differ: $(diff "$WORK/want3" "$WORK/got3"); log: $(cat "$WORK/syslog")"
fi
# Every event carries the pid of the sshd connection process, and all events
# of one connection share its port.
[ "$(jq -r 'select(.pid == null) | .line' "$WORK/events3" | wc -l)" -eq 0 ] && ok "pids kept" || fail "events without pid"
jq -r 'select(.port != null) | "\(.pid) \(.port)"' "$WORK/events3" | sort -u | awk '{ n[$1]++ } END { for (p in n) if (n[p] > 1) print p }' >"$WORK/pidports"
[ -s "$WORK/pidports" ] && fail "one pid with several ports: $(cat "$WORK/pidports")" || ok "one port per connection"
finish
