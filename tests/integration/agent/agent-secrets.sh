#!/bin/sh
# New secrets in the agent: a secret scan every 2 seconds over a directory.
# The first scan only learns (a key already there is a finding, no alert);
# a key written afterwards raises one data_leak alert, urgent for a cloud
# key, with a redacted preview and never the key itself; later scans that
# see the same key raise nothing more.
. "$VIGIL_SOURCE/tests/integration/lib.sh"
. "$VIGIL_SOURCE/tests/integration/agent/agentlib.sh"
command -v jq >/dev/null || { echo "skip: needs jq"; exit 77; }
trap 'agent_cleanup; rm -rf "$WORK"' EXIT
ST="$WORK/state"
OUT="$WORK/out.jsonl"
mkdir -p "$WORK/app"
: >"$WORK/auth.log"
# Two GitHub tokens made of random characters (not a documented example).
rand() { head -c 400 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c "$1"; }
old="ghp_$(rand 36)"
new="ghp_$(rand 36)"
echo "GITHUB_TOKEN=$old" >"$WORK/app/old.env"
cat >"$WORK/vigil.yml" <<CONF
agent:
  default_logs: false
  journal: false
  netattack: false
  fim: false
  logs: [{path: $WORK/auth.log}]
  scans:
    - only: [secret]
      every: 2s
secret:
  paths: [$WORK/app]
CONF
start_agent "$WORK/vigil.yml" "$ST" "$OUT"
wait_scans() {
        i=0
        while [ $i -lt 600 ] && [ "$(grep -c "scan secret/2s done" "$WORK/agent.err")" -lt "$1" ]; do
                sleep 0.1
                i=$((i + 1))
        done
        [ "$(grep -c "scan secret/2s done" "$WORK/agent.err")" -ge "$1" ]
}
wait_scans 1 && ok "first secret scan done" || fail "no scan: $(tail -5 "$WORK/agent.err")"
status() { "$VIGIL" --state "$ST" agent status --format json; }
open=$(status | jq '.findings.open | .high + .medium + .low')
[ "$open" -eq 1 ] && ok "the existing key is a finding" || fail "open findings: $(status | jq -c .findings)"
! grep -q '"type":"data_leak"' "$OUT" && ok "no alert for what was there before the agent" ||
        fail "alert on the first scan: $(grep data_leak "$OUT")"
echo "token: $new" >"$WORK/app/new.yml"
n=$(grep -c "scan secret/2s done" "$WORK/agent.err")
wait_scans $((n + 2)) || fail "scans stopped: $(tail -5 "$WORK/agent.err")"
leaks=$(grep -c '"type":"data_leak"' "$OUT" || :)
[ "$leaks" -eq 1 ] && ok "one data_leak alert for the new key" || fail "$leaks data_leak alerts: $(cat "$OUT")"
grep '"type":"data_leak"' "$OUT" | jq -e --arg p "$WORK/app/new.yml" \
        'select(.level == "urgent" and .rule == "github-token" and (tostring | contains($p)))' >/dev/null &&
        ok "urgent, right rule, names the file" || fail "alert: $(grep data_leak "$OUT")"
if grep -qF "$new" "$OUT" "$WORK/agent.err" || sqlite3 "$ST/agent.db" .dump 2>/dev/null | grep -qF "$new"; then
        fail "the full key appears in the agent's output or store"
else
        ok "the full key appears nowhere"
fi
stop_agent TERM
finish
