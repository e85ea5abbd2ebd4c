#!/bin/sh
# Flood detection from the kernel's counters, with real floods inside the
# test's namespaces: a SYN flood (A drops B's SYN-ACKs so B's half-open
# connections pile up, its SYN queue fills and it sends SYN cookies) and a
# UDP flood (A sends datagrams to a socket in B that never reads them, so B
# drops them for lack of buffer). The driver in B samples /proc every
# second and must raise netattack.flood.syn and netattack.flood.udp.
# Needs root, nft (to drop SYN-ACKs in A); skips (77) without them.
. "$VIGIL_SOURCE/tests/integration/lib.sh"
. "$VIGIL_SOURCE/tests/integration/netattack/netns.sh"
command -v nft >/dev/null 2>&1 || skip "nft (nftables) is not installed"

# Thresholds low enough that the floods below pass them whatever the
# machine's speed: the half-open connections stay about a minute (B keeps
# resending SYN-ACKs), the UDP drops number thousands.
cat >"$WORK/vigil.yml" <<EOT
netattack:
  portscan:
    enabled: false
  flood:
    syn_recv: 8
    syncookies_per_sec: 5
    syn_drops_per_sec: 5
    udp_errors_per_sec: 5
    min_interval: 0
EOT

ip netns exec "$NS_B" python3 -c '
import socket, time
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("0.0.0.0", 80)); t.listen(8)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
u.bind(("0.0.0.0", 5353))
time.sleep(3600)' &
PIDS="$PIDS $!"
wait_for in_b sh -c 'ss -ltn | grep -q ":80 "' || fail "the listener did not start"

start_watch "$WORK/vigil.yml" flood
in_a nft 'add table inet t; add chain inet t in { type filter hook input priority 0; }; add rule inet t in tcp flags & (syn|ack) == syn|ack drop'
in_a python3 -c '
import socket
ss = []
for i in range(400):
    s = socket.socket(); s.setblocking(False)
    try:
        s.connect(("10.99.0.2", 80))
    except BlockingIOError:
        pass
    ss.append(s)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20000):
    u.sendto(b"x" * 512, ("10.99.0.2", 5353))
import time; time.sleep(0.5)'
# Until the driver has reported both (or 30 s).
wait_for sh -c "grep -q netattack.flood.syn '$WORK/flood.jsonl' && grep -q netattack.flood.udp '$WORK/flood.jsonl'"
stop_watch

check() {
        if python3 - "$WORK/flood.jsonl" "$1" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
alerts = {l["rule"]: l for l in lines if l.get("kind") == "alert"}
stats = [l for l in lines if l.get("kind") == "stats"][-1]
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
        then ok "$2"; else fail "$2: $(cat "$WORK/flood.jsonl") $(cat "$WORK/flood.err")"; fi
}
check 'stats["flood_samples"] >= 2 and stats["flood_errors"] == 0' "counters sampled"
check '"netattack.flood.syn" in alerts' "a SYN flood alert"
check 'alerts["netattack.flood.syn"]["level"] == "suspicious"' "suspicious"
check 'alerts["netattack.flood.syn"]["evidence"]["syn_recv"] >= 8 or alerts["netattack.flood.syn"]["evidence"]["syncookies_sent"] > 0' \
        "evidence: half-open connections or SYN cookies"
check '"netattack.flood.udp" in alerts' "a UDP flood alert"
check 'alerts["netattack.flood.udp"]["evidence"]["rcvbuf_errors"] > 0' "evidence: receive buffer errors"

finish
