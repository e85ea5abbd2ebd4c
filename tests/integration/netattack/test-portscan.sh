#!/bin/sh
# Port scan detection against real scans: nmap SYN scans from namespace A
# against namespace B, where the driver captures on B's interface with
# libpcap, the BPF filter and the detector, and prints the alerts. A fast
# 1000-port scan raises a suspicious vertical scan alert naming the source;
# a slow scan of 5 ports raises nothing although its SYNs were seen; a sweep
# of port 22 over ten addresses of B raises a horizontal scan alert.
# Needs root and nmap; skips (77) without them.
. "$VIGIL_SOURCE/tests/integration/lib.sh"
. "$VIGIL_SOURCE/tests/integration/netattack/netns.sh"
command -v nmap >/dev/null 2>&1 || skip "nmap is not installed"

cat >"$WORK/vigil.yml" <<EOT
netattack:
  capture:
    device: vb
  flood:
    enabled: false
EOT

# check FILE PYTHON-EXPRESSION DESCRIPTION: the expression over the JSON
# lines of FILE (alerts, stats) must be true.
check() {
        if python3 - "$1" "$2" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
alerts = [l for l in lines if l.get("kind") == "alert"]
stats = [l for l in lines if l.get("kind") == "stats"][-1]
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
        then ok "$3"; else fail "$3: $(cat "$1")"; fi
}

# ---- a fast scan of 1000 ports ------------------------------------------------
start_watch "$WORK/vigil.yml" fast
in_a nmap -sS -Pn -n -p 1-1000 10.99.0.2 >"$WORK/nmap-fast.log" 2>&1 || fail "nmap failed: $(cat "$WORK/nmap-fast.log")"
stop_watch
check "$WORK/fast.jsonl" 'stats["syns"] >= 1000' "the driver saw the scan's SYNs"
check "$WORK/fast.jsonl" 'len(alerts) == 1' "one alert for one scan"
check "$WORK/fast.jsonl" \
        'alerts[0]["type"] == "network_attack" and alerts[0]["rule"] == "netattack.portscan.vertical"' \
        "a vertical port scan alert"
check "$WORK/fast.jsonl" 'alerts[0]["level"] == "suspicious"' "a 1000-port scan is suspicious"
check "$WORK/fast.jsonl" 'alerts[0]["evidence"]["src"] == "10.99.0.1"' "the right source"
check "$WORK/fast.jsonl" 'alerts[0]["evidence"]["local_addresses"] == ["10.99.0.2"]' \
        "the scanned address"
check "$WORK/fast.jsonl" 'alerts[0]["evidence"]["ports_count"] >= 200' "ports counted"
check "$WORK/fast.jsonl" 'all(1 <= p <= 1000 for p in alerts[0]["evidence"]["ports"])' \
        "sampled ports are scanned ports"

# ---- a slow scan of 5 ports -----------------------------------------------------
start_watch "$WORK/vigil.yml" slow
in_a nmap -sS -Pn -n -p 1-5 --scan-delay 200ms 10.99.0.2 >"$WORK/nmap-slow.log" 2>&1 || fail "nmap failed"
stop_watch
check "$WORK/slow.jsonl" 'stats["syns"] >= 5' "the slow scan's SYNs were seen"
check "$WORK/slow.jsonl" 'len(alerts) == 0' "a 5-port scan raises nothing"

# ---- ordinary connections are not a scan -------------------------------------
# Not through in_b: $! must be the listener itself (ip netns exec execs it).
ip netns exec "$NS_B" python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080)); s.listen(64)
while True:
    c, _ = s.accept(); c.close()' &
PIDS="$PIDS $!"
wait_for tcp_connect "$NS_A" 10.99.0.2 8080 || fail "the test listener did not start"
start_watch "$WORK/vigil.yml" normal
for i in $(seq 1 50); do tcp_connect "$NS_A" 10.99.0.2 8080 || fail "connection $i failed"; done
stop_watch
check "$WORK/normal.jsonl" 'stats["syns"] >= 50' "50 connections seen"
check "$WORK/normal.jsonl" 'len(alerts) == 0' "50 connections to one port raise nothing"

# ---- a horizontal sweep ------------------------------------------------------
for i in $(seq 10 19); do ip -n "$NS_B" addr add "10.99.0.$i/24" dev vb; done
start_watch "$WORK/vigil.yml" sweep
in_a nmap -sS -Pn -n -p 22 10.99.0.10-19 >"$WORK/nmap-sweep.log" 2>&1 || fail "nmap failed"
stop_watch
check "$WORK/sweep.jsonl" 'len(alerts) == 1 and alerts[0]["rule"] == "netattack.portscan.horizontal"' \
        "a horizontal port scan alert"
check "$WORK/sweep.jsonl" 'alerts[0]["level"] == "reminder" and alerts[0]["evidence"]["local_addresses_count"] == 10' \
        "ten local addresses, a reminder"
check "$WORK/sweep.jsonl" 'alerts[0]["evidence"]["ports"] == [22]' "one port"

finish
