#!/bin/sh
# SIGHUP reloads the configuration: a log added to agent.logs is followed
# from then on, positions of the others go on where they were (nothing read
# twice), and a broken file is refused with the running settings kept.
. "$VIGIL_SOURCE/tests/integration/lib.sh"
. "$VIGIL_SOURCE/tests/integration/agent/agentlib.sh"
command -v jq >/dev/null || { echo "skip: needs jq"; exit 77; }
trap 'agent_cleanup; rm -rf "$WORK"' EXIT
ST="$WORK/state"
A="$WORK/a.log"
B="$WORK/b.log"
: >"$A"
: >"$B"
conf() { # LOGS...
        {
                printf 'agent:\n  default_logs: false\n  journal: false\n  netattack: false\n'
                printf '  fim: false\n  scans: []\n  logs:\n'
                for l in "$@"; do printf '    - {path: %s}\n' "$l"; done
        } >"$WORK/vigil.yml"
}
line() { # FILE N
        printf '2026-11-26T12:00:00.%06d+00:00 web1 sshd[%d]: Failed password for bob from 192.0.2.9 port %d ssh2\n' \
                "$2" "$2" $((30000 + $2)) >>"$1"
}
conf "$A"
start_agent "$WORK/vigil.yml" "$ST" "$WORK/out.jsonl"
for k in 1 2 3; do line "$A" $k; done
[ "$(wait_records "$ST" "$A" 3)" -eq 3 ] && ok "first log followed" || fail "a.log not read"
# A log added by a reload is new to the agent: like every log seen for the
# first time, it is read from its end (agent.start_at).
line "$B" 0
conf "$A" "$B"
kill -HUP "$AGENT_PID"
i=0
while [ $i -lt 100 ] && ! grep -q "running: 2 sources" "$WORK/agent.err"; do
        sleep 0.1
        i=$((i + 1))
done
for k in 1 2; do line "$B" $k; done
[ "$(wait_records "$ST" "$B" 2)" -eq 2 ] && ok "log added by SIGHUP followed" ||
        fail "b.log not read after SIGHUP: $(tail -3 "$WORK/agent.err")"
line "$A" 4
[ "$(wait_records "$ST" "$A" 4)" -eq 4 ] && ok "the first log goes on without rereading" ||
        fail "a.log count $(records "$ST" "$A")"
printf 'agent: [unclosed\n' >"$WORK/vigil.yml"
kill -HUP "$AGENT_PID"
sleep 0.5
line "$B" 3
[ "$(wait_records "$ST" "$B" 3)" -eq 3 ] && ok "a broken file is refused, the agent runs on" ||
        fail "after a bad reload: $(tail -3 "$WORK/agent.err")"
expect_in "$WORK/agent.err" "keeping the running configuration" "bad reload reported"
# A file that parses but holds a value a detector refuses: refused too.
conf "$A" "$B"
printf 'login:\n  bruteforce:\n    failures: -3\n' >>"$WORK/vigil.yml"
kill -HUP "$AGENT_PID"
sleep 0.5
line "$B" 4
[ "$(wait_records "$ST" "$B" 4)" -eq 4 ] && ok "a bad detector setting is refused, the agent runs on" ||
        fail "after a bad login setting: $(tail -3 "$WORK/agent.err")"
[ "$(grep -c "keeping the running configuration" "$WORK/agent.err")" -eq 2 ] &&
        ok "both bad reloads reported" || fail "reload messages: $(grep reload "$WORK/agent.err")"
sleep 0.5
[ "$(records "$ST" "$A")" -eq 4 ] && [ "$(records "$ST" "$B")" -eq 4 ] && ok "nothing read twice" ||
        fail "counts: a $(records "$ST" "$A"), b $(records "$ST" "$B")"
stop_agent TERM
finish
