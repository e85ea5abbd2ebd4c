# Shared setup for the netattack integration tests (sourced after lib.sh):
# two network namespaces joined by a veth pair, A = 10.99.0.1 (the
# attacker) and B = 10.99.0.2 (the host vigil protects), created here and
# removed on exit, so nothing outside them is touched. Needs root, iproute2.
skip() {
        echo "SKIP: $*"
        exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, packet capture, nftables)"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) is not installed"
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
DRIVER="$VIGIL_BUILD/tests/integration/netattack/netattack-driver"
[ -x "$DRIVER" ] || skip "$DRIVER was not built"

NS_A=vigil-na-a-$$
NS_B=vigil-na-b-$$
PIDS=""

netns_cleanup() {
        for p in $PIDS; do kill "$p" 2>/dev/null || true; done
        for p in $PIDS; do wait "$p" 2>/dev/null || true; done
        ip netns del "$NS_A" 2>/dev/null || true
        ip netns del "$NS_B" 2>/dev/null || true
        rm -rf "$WORK"
}
trap netns_cleanup EXIT

ip netns add "$NS_A" || skip "cannot create a network namespace"
ip netns add "$NS_B"
# The pair is created inside the namespaces, so its names cannot collide
# with the host's interfaces.
ip -n "$NS_A" link add va type veth peer name vb netns "$NS_B"
ip -n "$NS_A" addr add 10.99.0.1/24 dev va
ip -n "$NS_B" addr add 10.99.0.2/24 dev vb
for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
ip -n "$NS_A" link set va up
ip -n "$NS_B" link set vb up

in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }

# wait_for CMD...: run CMD until it succeeds, at most 30 s (an upper bound
# for a slow machine; nothing depends on how long it takes).
wait_for() {
        i=0
        while ! "$@" >/dev/null 2>&1; do
                i=$((i + 1))
                [ $i -lt 300 ] || return 1
                sleep 0.1
        done
}

# start_watch CONFIG NAME: the driver in B, alerts to $WORK/NAME.jsonl.
start_watch() {
        rm -f "$WORK/$2.ready"
        ip netns exec "$NS_B" "$DRIVER" watch --config "$1" --ready "$WORK/$2.ready" \
                >"$WORK/$2.jsonl" 2>"$WORK/$2.err" &
        WATCH_PID=$!
        PIDS="$PIDS $WATCH_PID"
        wait_for test -e "$WORK/$2.ready" || { cat "$WORK/$2.err" >&2; fail "the driver did not start"; return 1; }
}

# stop_watch: SIGTERM, the driver flushes and prints its stats.
stop_watch() {
        kill -TERM "$WATCH_PID"
        wait "$WATCH_PID" || fail "the driver exited $?: $(cat "$WORK"/*.err)"
}

# tcp_connect NS ADDR PORT: succeeds when a TCP connection is accepted
# within 2 s.
tcp_connect() {
        ip netns exec "$1" python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
s.close()' "$2" "$3" 2>/dev/null
}
