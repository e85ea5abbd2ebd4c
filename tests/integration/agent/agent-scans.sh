#!/bin/sh
# Scheduled scans in the agent: a baseline scan every 3 seconds with a
# small policy of our own. Its finding lands in the store; once the file is
# fixed, a later scan marks it fixed. One of the policy's checks runs a
# command that takes 6 seconds, and log lines written while that scan runs
# must be processed before it ends: a scan never blocks the loop.
. "$VIGIL_SOURCE/tests/integration/lib.sh"
. "$VIGIL_SOURCE/tests/integration/agent/agentlib.sh"
command -v jq >/dev/null || { echo "skip: needs jq"; exit 77; }
trap 'agent_cleanup; rm -rf "$WORK"' EXIT
ST="$WORK/state"
OUT="$WORK/out.jsonl"
LOG="$WORK/auth.log"
mkdir -p "$WORK/pol"
: >"$LOG"
echo "secure=no" >"$WORK/setting"
cat >"$WORK/pol/agent_test.yml" <<POL
policy:
  id: "agent_test"
  file: "agent_test.yml"
  name: "Agent schedule test"
  description: "A finding that can be fixed, and a slow command."
checks:
  - id: 90001
    title: "Ensure the test setting is secure."
    description: "The test setting file must say secure=yes."
    rationale: "So the test can fix it."
    remediation: "echo secure=yes > $WORK/setting"
    condition: all
    rules:
      - 'f:$WORK/setting -> r:^secure=yes'
  - id: 90002
    title: "A slow check that passes."
    description: "Runs a command that takes a while."
    rationale: "To show that scans run beside log processing."
    remediation: "None."
    condition: none
    rules:
      - 'c:/bin/sleep 6 -> r:never-printed'
POL
cat >"$WORK/vigil.yml" <<CONF
agent:
  default_logs: false
  journal: false
  netattack: false
  fim: false
  logs: [{path: $LOG}]
  scans:
    - only: [baseline]
      every: 3s
baseline:
  builtin_policy: false
  tls_certificates: false
  policy_dirs: [$WORK/pol]
  allow_commands: true
  command_timeout: 30
CONF
start_agent "$WORK/vigil.yml" "$ST" "$OUT"
i=0
while [ $i -lt 100 ] && ! grep -q "scan baseline/3s started" "$WORK/agent.err"; do
        sleep 0.1
        i=$((i + 1))
done
grep -q "scan baseline/3s started" "$WORK/agent.err" && ok "the scan started" ||
        fail "no scan started: $(cat "$WORK/agent.err")"
for k in $(seq 1 200); do
        printf '2026-11-26T12:00:00.%06d+00:00 web1 sshd[%d]: Failed password for bob from 192.0.2.77 port %d ssh2\n' \
                "$k" $((100 + k)) $((30000 + k)) >>"$LOG"
done
n=$(wait_records "$ST" "$LOG" 200)
if [ "$n" -eq 200 ] && ! grep -q "scan baseline/3s done" "$WORK/agent.err"; then
        ok "200 lines processed while the scan was running"
else
        fail "lines during the scan: $n records; $(grep scan "$WORK/agent.err")"
fi
i=0
while [ $i -lt 300 ] && ! grep -q "scan baseline/3s done" "$WORK/agent.err"; do
        sleep 0.1
        i=$((i + 1))
done
status() { "$VIGIL" --state "$ST" agent status --format json; }
open=$(status | jq '.findings.open | .high + .medium + .low')
[ "$open" -eq 1 ] && ok "the finding is in the store" || fail "open findings: $(status | jq -c .findings)"
grep -q '"kind":"scan"' "$OUT" && ok "scan summary written out" || fail "no scan line in the output"
# Fix it; a later scan marks it fixed.
echo "secure=yes" >"$WORK/setting"
done1=$(grep -c "scan baseline/3s done" "$WORK/agent.err")
i=0
while [ $i -lt 400 ] && [ "$(grep -c "scan baseline/3s done" "$WORK/agent.err")" -lt $((done1 + 2)) ]; do
        sleep 0.1
        i=$((i + 1))
done
f=$(status | jq -c '.findings')
echo "$f" | jq -e '.fixed == 1 and (.open | .high + .medium + .low) == 0' >/dev/null &&
        ok "the fixed finding is marked fixed" || fail "after the fix: $f"
[ "$(status | jq '.scans | length')" -ge 3 ] && ok "every run recorded" || fail "scans: $(status | jq -c .scans)"
stop_agent TERM
grep -q "agent: SIGTERM: stopping" "$WORK/agent.err" && ok "stopped" || fail "no clean stop"
finish
