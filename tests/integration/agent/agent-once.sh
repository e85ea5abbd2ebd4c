#!/bin/sh
# `vigil agent --once --output -` over log files raises the same alerts as
# `vigil logscan` of those files (the same parsers and detectors, fed by the
# agent's tailer instead of the offline reader); a second run reads nothing
# again; the store counts every line exactly once.
. "$VIGIL_SOURCE/tests/integration/lib.sh"
. "$VIGIL_SOURCE/tests/integration/agent/agentlib.sh"
command -v jq >/dev/null || { echo "skip: needs jq"; exit 77; }
export TZ=UTC

# A log with many attacks: 40 sources with 6 failures each, every fourth
# then logging in (urgent), and a password spray from one source.
gen() {
        s=0
        for ip in $(seq 1 40); do
                for k in 1 2 3 4 5 6; do
                        s=$((s + 1))
                        printf '2026-11-26T%02d:%02d:%02d.000000+00:00 web1 sshd[%d]: Failed password for user%d from 198.51.100.%d port %d ssh2\n' \
                                $((10 + s / 3600)) $((s / 60 % 60)) $((s % 60)) $((1000 + s)) $k "$ip" $((40000 + s))
                done
                if [ $((ip % 4)) -eq 0 ]; then
                        s=$((s + 1))
                        printf '2026-11-26T%02d:%02d:%02d.000000+00:00 web1 sshd[%d]: Accepted password for alice from 198.51.100.%d port %d ssh2\n' \
                                $((10 + s / 3600)) $((s / 60 % 60)) $((s % 60)) $((1000 + s)) "$ip" $((40000 + s))
                fi
        done
        for u in $(seq 1 30); do
                s=$((s + 1))
                printf '2026-11-26T%02d:%02d:%02d.000000+00:00 web1 sshd[%d]: Failed password for invalid user spray%d from 203.0.113.77 port %d ssh2\n' \
                        $((10 + s / 3600)) $((s / 60 % 60)) $((s % 60)) $((1000 + s)) "$u" $((40000 + s))
        done
}
mkdir -p "$WORK/logs"
gen >"$WORK/logs/attacks.log"
for f in auth-debian12.log secure messages vsftpd.log proftpd.log mysql-error.log \
        postgresql-15-main.log sshd-e.log auth-classic.log; do
        cp "$VIGIL_FIXTURES/logs/$f" "$WORK/logs/$f"
done

# The alerts of one file, without the random ids, sorted.
norm() { jq -c 'select(.kind == "alert") | del(.id)' | sort; }

for f in attacks.log auth-debian12.log secure messages vsftpd.log proftpd.log mysql-error.log \
        postgresql-15-main.log sshd-e.log auth-classic.log; do
        svc=
        [ "$f" = sshd-e.log ] && svc="service: sshd"
        cat >"$WORK/$f.yml" <<CONF
agent:
  default_logs: false
  journal: false
  scans: []
  logs:
    - {path: $WORK/logs/$f, $svc}
CONF
        sed -i 's/, }/}/' "$WORK/$f.yml"
        if [ -n "$svc" ]; then
                "$VIGIL" --config "$WORK/$f.yml" logscan --format jsonl --service sshd \
                        "$WORK/logs/$f" | norm >"$WORK/$f.logscan"
        else
                "$VIGIL" --config "$WORK/$f.yml" logscan --format jsonl "$WORK/logs/$f" |
                        norm >"$WORK/$f.logscan"
        fi
        rm -rf "$WORK/state"
        if ! run 0 "$VIGIL" --config "$WORK/$f.yml" --state "$WORK/state" agent --once --output -; then
                continue
        fi
        norm <"$WORK/out" >"$WORK/$f.agent"
        if cmp -s "$WORK/$f.logscan" "$WORK/$f.agent"; then
                ok "$f: $(wc -l <"$WORK/$f.agent") alerts, the same as logscan"
        else
                fail "$f: alerts differ from logscan: $(diff "$WORK/$f.logscan" "$WORK/$f.agent" | head -c 3000)"
        fi
        lines=$(wc -l <"$WORK/logs/$f")
        n=$(records "$WORK/state" "$WORK/logs/$f")
        [ "$n" -eq "$lines" ] && ok "$f: $lines lines counted once" ||
                fail "$f: $n records counted for $lines lines"
        # Nothing is read twice: a second run has no alert and no record.
        run 0 "$VIGIL" --config "$WORK/$f.yml" --state "$WORK/state" agent --once --output - &&
                { [ -s "$WORK/out" ] && fail "$f: second run printed: $(head -c 500 "$WORK/out")" ||
                        ok "$f: second run reads nothing again"; }
        n=$(records "$WORK/state" "$WORK/logs/$f")
        [ "$n" -eq "$lines" ] || fail "$f: second run counted $n records"
done

# The attack log must give alerts at all, of each kind planted.
# 40 planted, and the spraying source is a brute force too.
grep -c '"rule":"login.brute_force"' "$WORK/attacks.log.agent" | grep -qx 41 &&
        ok "41 brute force alerts" || fail "brute force alerts: $(grep -c brute_force "$WORK/attacks.log.agent")"
grep -c '"rule":"login.brute_force_success"' "$WORK/attacks.log.agent" | grep -qx 10 &&
        ok "10 urgent alerts" || fail "urgent alerts: $(cat "$WORK/attacks.log.agent" | head -c 2000)"
grep -q '"rule":"login.password_spray"' "$WORK/attacks.log.agent" && ok "password spray alert" ||
        fail "no password spray alert"

# The alerts are in the store too, and `agent status` shows them.
run 0 "$VIGIL" --state "$WORK/state" agent status && expect_in "$WORK/out" "Alerts:" "status text"
rm -rf "$WORK/state"
"$VIGIL" --config "$WORK/attacks.log.yml" --state "$WORK/state" agent --once >/dev/null 2>&1
n=$("$VIGIL" --state "$WORK/state" agent status --format json | jq '.alerts.total')
want=$(wc -l <"$WORK/attacks.log.agent")
[ "$n" -eq "$want" ] && ok "store holds the $n alerts" || fail "store holds $n alerts, want $want"

# Errors are one clear line.
run 2 "$VIGIL" --state "$WORK/nosuch" agent status && expect_in "$WORK/err" "has not run" "status without a store"
printf 'agent:\n  logs: [{path: relative}]\n' >"$WORK/bad.yml"
run 2 "$VIGIL" --config "$WORK/bad.yml" --state "$WORK/s2" agent --once &&
        expect_in "$WORK/err" "agent.logs[0]" "bad agent.logs named"
finish
