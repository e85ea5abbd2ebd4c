#!/bin/sh
# The nftables blocker with the real nft, inside namespace B (nothing
# outside the test's namespaces is touched): a block of 10.99.0.1 for 5 s
# appears in the set, really drops A's connections, and ends by itself in
# the kernel; repeats are idempotent; unblock and teardown work; allowlisted
# addresses, B's own address and loopback are refused; dry-run changes
# nothing and prints a command that does exactly the block when run.
# Needs root and nft; skips (77) without them.
. "$VIGIL_SOURCE/tests/integration/lib.sh"
. "$VIGIL_SOURCE/tests/integration/netattack/netns.sh"
command -v nft >/dev/null 2>&1 || skip "nft (nftables) is not installed"
in_b nft list ruleset >/dev/null 2>&1 || skip "nftables does not work in a namespace here"

cat >"$WORK/block.yml" <<EOT
response:
  block:
    enabled: true
    dry_run: false
    duration: 60
EOT
cat >"$WORK/allow.yml" <<EOT
response:
  block:
    enabled: true
    allowlist: [10.99.0.0/28]
EOT
cat >"$WORK/dry.yml" <<EOT
response:
  block:
    enabled: true
    dry_run: true
EOT
cat >"$WORK/off.yml" <<EOT
response:
  block:
    enabled: false
EOT

drv() {
        ip netns exec "$NS_B" "$DRIVER" "$@"
}

set_has() {
        in_b nft list set inet vigil blocked4 2>/dev/null | grep -qF "$1"
}

set_lacks() {
        ! set_has "$1"
}

# A listener in B that accepts and closes connections.
ip netns exec "$NS_B" python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080)); s.listen(64)
while True:
    c, _ = s.accept(); c.close()' &
PIDS="$PIDS $!"
wait_for tcp_connect "$NS_A" 10.99.0.2 8080 || fail "the test listener did not start"

# ---- off by default ---------------------------------------------------------
run 4 drv block --config "$WORK/off.yml" 10.99.0.1 5 && ok "disabled blocking refuses"
if in_b nft list tables | grep -q vigil; then fail "disabled blocking created a table"; else ok "no table while disabled"; fi

# ---- a real block that expires ------------------------------------------------
run 0 drv block --config "$WORK/block.yml" 10.99.0.1 5 ssh.brute_force && ok "block 10.99.0.1 for 5 s"
expect_in "$WORK/out" "add element inet vigil blocked4 { 10.99.0.1 timeout 5s" "the command is returned"
if set_has 10.99.0.1; then ok "10.99.0.1 is in inet vigil blocked4"; else fail "not in the set: $(in_b nft list ruleset)"; fi
in_b nft list chain inet vigil input >"$WORK/chain" 2>&1
expect_in "$WORK/chain" "ip saddr @blocked4 drop" "the input chain drops the set"
expect_in "$WORK/chain" "priority filter - 10" "at priority -10"
if tcp_connect "$NS_A" 10.99.0.2 8080; then fail "a connection from the blocked address got through"; else ok "the blocked address cannot connect"; fi
# The kernel removes the element when its timeout ends; wait for that (the
# bound is generous, the test does not depend on the exact time).
if wait_for set_lacks 10.99.0.1; then ok "the block expired by itself"; else fail "the block did not expire"; fi
if wait_for tcp_connect "$NS_A" 10.99.0.2 8080; then ok "after expiry the address connects again"; else fail "still blocked after expiry"; fi

# ---- idempotent repeats, list, unblock ---------------------------------------
run 0 drv block --config "$WORK/block.yml" 10.99.0.1 600 && ok "block for 600 s"
run 0 drv block --config "$WORK/block.yml" 10.99.0.1 300 && ok "block again for less"
expect_in "$WORK/out" "unchanged" "a shorter repeat leaves the longer block alone"
run 0 drv list --config "$WORK/block.yml" && ok "list"
if [ "$(grep -c '"addr":"10.99.0.1"' "$WORK/out")" = 1 ]; then ok "listed once"; else fail "list: $(cat "$WORK/out")"; fi
expect_in "$WORK/out" '"timeout":600' "with its 600 s timeout"
run 0 drv block --config "$WORK/block.yml" 10.99.0.1 1200 && ok "block again for longer"
run 0 drv list --config "$WORK/block.yml" || true
expect_in "$WORK/out" '"timeout":1200' "a longer repeat extends the block"
run 0 drv block --config "$WORK/block.yml" 2001:db8::66 60 && ok "an IPv6 block"
if in_b nft list set inet vigil blocked6 | grep -qF 2001:db8::66; then ok "in blocked6"; else fail "not in blocked6"; fi
run 0 drv unblock --config "$WORK/block.yml" 10.99.0.1 && ok "unblock"
if set_lacks 10.99.0.1; then ok "gone from the set"; else fail "still in the set"; fi
if tcp_connect "$NS_A" 10.99.0.2 8080; then ok "connects after unblock"; else fail "still blocked after unblock"; fi
run 0 drv unblock --config "$WORK/block.yml" 10.99.0.1 && ok "unblock again is fine"
expect_in "$WORK/out" "unchanged" "nothing to do the second time"

# ---- refusals -----------------------------------------------------------------
for addr in 10.99.0.2 127.0.0.1 ::1 224.0.0.1; do
        run 3 drv block --config "$WORK/block.yml" "$addr" 60 && ok "refuses to block $addr"
done
run 3 drv block --config "$WORK/allow.yml" 10.99.0.1 60 && ok "refuses an allowlisted address"
expect_in "$WORK/err" "response.block.allowlist" "and says why"
if set_lacks 10.99.0.1; then ok "refusals changed nothing"; else fail "a refused address was blocked"; fi

# ---- teardown -----------------------------------------------------------------
run 0 drv teardown --config "$WORK/block.yml" && ok "teardown"
if in_b nft list tables | grep -q vigil; then fail "the table is still there"; else ok "the table is gone"; fi
run 0 drv teardown --config "$WORK/block.yml" && ok "teardown again is fine"

# ---- dry run --------------------------------------------------------------------
in_b nft list ruleset >"$WORK/before"
run 0 drv block --config "$WORK/dry.yml" 10.99.0.1 120 ssh.brute_force && ok "dry-run block"
cp "$WORK/out" "$WORK/dry-cmd"
in_b nft list ruleset >"$WORK/after"
if cmp -s "$WORK/before" "$WORK/after"; then ok "dry-run changed nothing"; else fail "dry-run changed the ruleset"; fi
if tcp_connect "$NS_A" 10.99.0.2 8080; then ok "dry-run did not block"; else fail "dry-run blocked"; fi
# The printed command is the exact one: run it, and the block is there.
in_b sh -c "$(cat "$WORK/dry-cmd")" || fail "the dry-run command does not run: $(cat "$WORK/dry-cmd")"
if set_has 10.99.0.1; then ok "the dry-run command blocks when run"; else fail "the dry-run command did not block"; fi
run 0 drv teardown --config "$WORK/block.yml" || true

finish
