#!/bin/sh
# The agent's journal source through sd-journal, on journal files written
# by systemd-journal-remote (agent.journal_dir): the same alerts as
# `vigil logscan --journal-dir`, every entry of the login programs counted
# once, and a later run resumes after the saved cursor when more journal
# files appear (no entry read twice, none missed).
. "$VIGIL_SOURCE/tests/integration/lib.sh"
. "$VIGIL_SOURCE/tests/integration/agent/agentlib.sh"
JR=/lib/systemd/systemd-journal-remote
[ -x "$JR" ] && command -v jq >/dev/null || { echo "skip: needs systemd-journal-remote and jq"; exit 77; }
# gen FIRST N SOURCE: N sshd failures from SOURCE in journal export format,
# plus one entry of another program that must not count.
gen() {
        for i in $(seq "$1" $(($1 + $2 - 1))); do
                printf '__CURSOR=s=abc;i=%d;b=1;m=%d;t=%d;x=%d\n__REALTIME_TIMESTAMP=%d\n' \
                        "$i" "$i" "$i" "$i" $((1795734910000000 + i * 1000000))
                printf '__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n' $((i * 1000000))
                printf '_HOSTNAME=web3\n_COMM=sshd\n_PID=%d\n' $((8000 + i))
                printf 'MESSAGE=Failed password for root from %s port %d ssh2\n\n' "$3" $((40000 + i))
        done
        printf '__CURSOR=s=abc;i=%d;b=1;m=%d;t=%d;x=%d\n__REALTIME_TIMESTAMP=%d\n' 9999 9999 9999 9999 \
                $((1795734910000000 + ($1 + $2) * 1000000 + 500000))
        printf '__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n' $((($1 + $2) * 1000000 + 500000))
        printf '_HOSTNAME=web3\n_COMM=logger\nSYSLOG_IDENTIFIER=sshd\n_PID=1\n'
        printf 'MESSAGE=Failed password for root from 6.6.6.6 port 22 ssh2\n\n'
}
mkdir "$WORK/j"
gen 1 6 203.0.113.120 >"$WORK/a.export"
"$JR" -o "$WORK/j/a.journal" "$WORK/a.export" >/dev/null 2>&1
cat >"$WORK/vigil.yml" <<CONF
agent:
  default_logs: false
  journal_dir: $WORK/j
  scans: []
CONF
if ! run 0 "$VIGIL" --config "$WORK/vigil.yml" --state "$WORK/st" agent --once --output -; then
        finish
fi
if grep -q "libsystemd.*is not available" "$WORK/err"; then
        echo "skip: vigil built without sd-journal support"
        exit 77
fi
jq -c 'select(.kind == "alert") | del(.id) | del(.evidence.line) | del(.evidence.file)' "$WORK/out" | sort >"$WORK/agent"
"$VIGIL" --config "$WORK/vigil.yml" logscan --format jsonl --journal-dir "$WORK/j" |
        jq -c 'select(.kind == "alert") | del(.id) | del(.evidence.line) | del(.evidence.file)' | sort >"$WORK/logscan"
[ -s "$WORK/agent" ] && cmp -s "$WORK/agent" "$WORK/logscan" && ok "journal: the same alerts as logscan" ||
        fail "journal alerts: $(diff "$WORK/logscan" "$WORK/agent")"
grep -q 6.6.6.6 "$WORK/out" && fail "an entry of 'logger' was read as sshd's" || ok "_COMM decides the program"
records() {
        "$VIGIL" --state "$WORK/st" agent status --format json | jq '[.sources[] | select(.source == "journal") | .records] | add // 0'
}
[ "$(records)" -eq 6 ] && ok "6 entries counted" || fail "$(records) entries counted"
run 0 "$VIGIL" --config "$WORK/vigil.yml" --state "$WORK/st" agent --once --output -
[ "$(records)" -eq 6 ] && ok "nothing read twice" || fail "second run: $(records) entries"
gen 20 5 203.0.113.121 >"$WORK/b.export"
"$JR" -o "$WORK/j/b.journal" "$WORK/b.export" >/dev/null 2>&1
run 0 "$VIGIL" --config "$WORK/vigil.yml" --state "$WORK/st" agent --once --output -
[ "$(records)" -eq 11 ] && ok "resumed after the cursor: 5 new entries" || fail "third run: $(records) entries"
jq -e -s 'map(select(.kind == "alert")) | length == 1 and .[0].evidence.src == "203.0.113.121"' "$WORK/out" >/dev/null &&
        ok "the new attack alerted" || fail "third run alerts: $(cat "$WORK/out")"
"$VIGIL" --state "$WORK/st" agent status | grep -q "cursor saved" && ok "status shows the cursor" ||
        fail "no cursor in status"
finish
