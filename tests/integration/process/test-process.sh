#!/bin/sh
# The process sweep through the real binary, with real processes:
#  - on this machine as it is, `vigil scan --only process` raises no urgent
#    alert;
#  - a bash reverse shell to a local listener (bash -i to /dev/tcp/...) is
#    an urgent process.reverse_shell; a fake miner whose command line holds
#    a stratum URL, a wallet and --donate-level, connected to a local
#    listener on port 3333, is an urgent process.miner; a program whose
#    executable carries XMRig's vocabulary is an urgent process.miner by
#    the YARA rules; a copy of sleep run from /dev/shm and then deleted is a
#    suspicious process.deleted_binary, one run from a temporary directory a
#    suspicious process.tmp_binary; the listeners' ports, new since the
#    first sweep, are reminders (process.new_listening_port); nothing else
#    is raised about any process of this test;
#  - entries of an ld.so.preload file (the process.ld_preload_file knob, so
#    /etc is not touched) are urgent process.ld_preload alerts;
#  - a library preloaded into vigil that hides a process from readdir, as
#    user-space rootkits do, does not hide it from the sweep, which raises
#    an urgent process.hidden;
#  - in a --root copy of tests/fixtures/process/root the first sweep learns
#    and the second reports a new uid-0 account, sudoers entry, cron job and
#    systemd unit (suspicious);
#  - with process.response.kill the fake miner is killed and the reverse
#    shell, on the response allowlist, is not;
#  - the exec watcher (root only) sees a program started from /dev/shm and
#    the sweep's rules raise process.tmp_binary for it right away.
. "$(dirname "$0")/../lib.sh"
: "${VIGIL_BUILD:?}" "${VIGIL_FIXTURES:?}"
command -v jq >/dev/null || { echo "SKIP: jq is needed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 is needed"; exit 77; }
[ -x /bin/bash ] || { echo "SKIP: bash is needed"; exit 77; }

here=$(cd "$(dirname "$0")" && pwd)
helpers="$VIGIL_BUILD/tests/integration/process"
fakeminer="$helpers/fakeminer"
fakeminer_yara="$helpers/fakeminer-xmrig"
driver="$helpers/execwatch-driver"
# The pool URL and the shell's /dev/tcp path are assembled so that this
# script itself does not look like a miner launch script or a reverse shell
# to vigil's YARA rules.
scheme="stratum""+tcp"
devtcp="/dev/""tcp"

# Processes this test starts, killed (by pid) on exit.
PIDS=""
TMPD=$(mktemp -d /tmp/vigil-proc-it.XXXXXX)
SHM=/dev/shm/vigil-it-$$
cleanup() {
        for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
        rm -rf "$WORK" "$TMPD" "$SHM" "$SHM-ew"
}
trap cleanup EXIT

# wait_for CMD...: run CMD until it succeeds (a safety limit of 60 s only
# guards against a broken test, the test waits for conditions).
wait_for() {
        i=0
        while ! "$@" 2>/dev/null; do
                i=$((i + 1))
                [ "$i" -lt 600 ] || return 1
                sleep 0.1
        done
}

pids() { python3 "$here/pids.py" "$@"; }

sweep() { # sweep OUT CONFIG [ARGS...]: vigil scan --only process as JSON into OUT
        out=$1 cfg=$2
        shift 2
        run 0 "$VIGIL" --state "$WORK/state" --config "$cfg" scan --only process --format json \
                --no-progress "$@" && cp "$WORK/out" "$out"
}

: >"$WORK/empty.yml"

# ---- 0. this machine, as it is: no urgent alert --------------------------
# Other tests of the same `meson test` run at the same time and some start
# reverse shells and miners on purpose: their processes are left out.
runner=$(pids runner $$)
others=" $( [ -z "$runner" ] || pids descendants "$runner" | tr '\n' ' ') "
if sweep "$WORK/clean.json" "$WORK/empty.yml"; then
        urgent=$(jq -r '.alerts[] | select(.level == "urgent") | "\(.evidence.pid // 0) \(.rule) \(.title)"' \
                "$WORK/clean.json" | while read -r p rest; do
                case "$others" in *" $p "*) continue ;; esac
                echo "$p $rest;"
        done)
        [ -z "$urgent" ] && ok "clean machine: no urgent alert ($(jq '.alerts | length' \
                "$WORK/clean.json") alert(s) in all)" ||
                fail "clean machine: urgent alerts: $urgent"
        jq -e '.stats.process.processes > 1 and (.alerts | all(.type == "abnormal_process"))' \
                "$WORK/clean.json" >/dev/null && ok "the sweep read the processes; alerts only" ||
                fail "stats or alert types: $(jq -c '.stats.process' "$WORK/clean.json")"
fi

# ---- 1. real abnormal processes ------------------------------------------
python3 "$here/listener.py" 0 "$WORK/rs.port" &
rs_listener=$!
python3 "$here/listener.py" 3333 "$WORK/pool.port" 2>"$WORK/pool.err" &
pool_listener=$!
PIDS="$PIDS $rs_listener $pool_listener"
wait_for test -s "$WORK/rs.port" || fail "the shell listener did not start"
wait_for test -s "$WORK/pool.port" || fail "no listener on 127.0.0.1:3333: $(cat "$WORK/pool.err")"
rs_port=$(cat "$WORK/rs.port")

bash -c "bash -i >& $devtcp/127.0.0.1/$rs_port 0>&1" </dev/null >/dev/null 2>&1 &
rs_outer=$!
PIDS="$PIDS $rs_outer"
"$fakeminer" -o "$scheme://127.0.0.1:3333" -u wallet --donate-level 1 &
miner=$!
PIDS="$PIDS $miner"
"$fakeminer_yara" --idle &
yminer=$!
PIDS="$PIDS $yminer"
cp /bin/sleep "$SHM"
"$SHM" 600 &
shm=$!
PIDS="$PIDS $shm"
cp /bin/sleep "$TMPD/worker"
"$TMPD/worker" 600 &
tmpbin=$!
PIDS="$PIDS $tmpbin"
wait_for grep -q . "$WORK/rs.port.accepted" || fail "the reverse shell did not connect"
wait_for grep -q . "$WORK/pool.port.accepted" || fail "the fake miner did not connect to port 3333"
wait_for sh -c "readlink /proc/$shm/exe | grep -q '$SHM'" || fail "the /dev/shm copy did not start"
rm -f "$SHM"
# The interactive bash: the outer bash itself when it ran the command in
# place, or its child.
rs_shell=""
for p in $rs_outer $(pids children "$rs_outer"); do
        l=$(readlink "/proc/$p/fd/0" 2>/dev/null || true)
        case "$l" in socket:*) rs_shell=$p ;; esac
done
[ -n "$rs_shell" ] || fail "no bash with a socket on its stdin"
PIDS="$PIDS $rs_shell"

cat >"$WORK/it.yml" <<EOF
process:
  tmp_dirs: [/dev/shm, $TMPD]
  ld_preload_file: $WORK/ld.so.preload
  ld_preload_allow: [/usr/lib/x86_64-linux-gnu/libvigil-allowed.so]
EOF
printf '/usr/lib/x86_64-linux-gnu/libvigil-allowed.so\n/dev/shm/.libsys.so\n' >"$WORK/ld.so.preload"

if sweep "$WORK/s1.json" "$WORK/it.yml"; then
        # "rule level" of the alerts about PID, sorted.
        about() { jq -r --argjson p "$1" '[.alerts[] | select(.evidence.pid == $p) | "\(.rule) \(.level)"] | sort | join(",")' "$WORK/s1.json"; }
        check() { # check PID WANT WHAT
                got=$(about "$1")
                [ "$got" = "$2" ] && ok "$3: $2" || fail "$3 (pid $1): wanted '$2', got '$got'"
        }
        check "$rs_shell" "process.reverse_shell urgent" "bash reverse shell"
        check "$miner" "process.miner urgent" "fake miner on port 3333"
        check "$yminer" "process.miner urgent" "program with XMRig's vocabulary"
        check "$shm" "process.deleted_binary suspicious" "program run from /dev/shm, then deleted"
        check "$tmpbin" "process.tmp_binary suspicious" "program run from a temporary directory"
        # The state learnt by the first sweep did not have the listeners'
        # ports: each is new.
        check "$rs_listener" "process.new_listening_port reminder" "shell listener's new port"
        check "$pool_listener" "process.new_listening_port reminder" "pool listener's new port 3333"
        jq -e --argjson p "$pool_listener" '.alerts[] | select(.evidence.pid == $p) |
                .evidence.port == 3333 and .evidence.listen == "tcp 127.0.0.1:3333"' "$WORK/s1.json" >/dev/null &&
                ok "new listening port evidence: tcp 127.0.0.1:3333 and its process" ||
                fail "listening port evidence: $(jq -c --argjson p "$pool_listener" '.alerts[] | select(.evidence.pid == $p)' "$WORK/s1.json")"
        jq -e --argjson p "$rs_shell" --argjson port "$rs_port" '.alerts[] | select(.evidence.pid == $p) |
                .evidence.remote_addr == "127.0.0.1" and .evidence.remote_port == $port and
                .evidence.fds == "0,1,2" and .evidence.interpreter == "bash" and
                (.remediation | contains("kill -9"))' "$WORK/s1.json" >/dev/null &&
                ok "reverse shell evidence: remote 127.0.0.1:$rs_port on fds 0,1,2" ||
                fail "reverse shell evidence: $(jq -c --argjson p "$rs_shell" '.alerts[] | select(.evidence.pid == $p)' "$WORK/s1.json")"
        jq -e --argjson p "$miner" '.alerts[] | select(.evidence.pid == $p) |
                .evidence.remote_port == 3333 and (.evidence.cmdline | contains("--donate-level 1")) and
                (.evidence.reasons | any(startswith("pool URL"))) and
                (.evidence.reasons | any(startswith("connection to pool port")))' "$WORK/s1.json" >/dev/null &&
                ok "miner evidence: pool URL, pool port 3333, command line" ||
                fail "miner evidence: $(jq -c --argjson p "$miner" '.alerts[] | select(.evidence.pid == $p)' "$WORK/s1.json")"
        jq -e --argjson p "$yminer" '.alerts[] | select(.evidence.pid == $p) |
                (.evidence.yara_rules | contains("miner_xmrig_binary"))' "$WORK/s1.json" >/dev/null &&
                ok "YARA miner rule named in the evidence" || fail "no YARA rule in the evidence"
        jq -e --argjson p "$shm" '.alerts[] | select(.evidence.pid == $p) |
                .evidence.deleted == true and (.evidence.exe | startswith("/dev/shm/"))' "$WORK/s1.json" >/dev/null &&
                ok "deleted binary evidence: deleted, its /dev/shm path" || fail "deleted binary evidence"
        # Nothing else about any process of this test.
        mine=$(pids descendants $$ | sort -n | tr '\n' ' ')
        expected=" $rs_shell $miner $yminer $shm $tmpbin $rs_listener $pool_listener "
        extra=$(for p in $mine; do
                case "$expected" in *" $p "*) continue ;; esac
                a=$(about "$p")
                [ -z "$a" ] || echo "$p:$a($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | head -c 80))"
        done)
        [ -z "$extra" ] && ok "no other alert about this test's processes" || fail "unexpected alerts: $extra"
        [ "$(jq '[.alerts[] | select(.rule == "process.ld_preload")] | length' "$WORK/s1.json")" -eq 1 ] &&
                jq -e '.alerts[] | select(.rule == "process.ld_preload") | .level == "urgent" and
                        .evidence.entry == "/dev/shm/.libsys.so"' "$WORK/s1.json" >/dev/null &&
                ok "ld.so.preload: the one entry not allowed is urgent" ||
                fail "ld.so.preload alerts: $(jq -c '[.alerts[] | select(.rule == "process.ld_preload")]' "$WORK/s1.json")"
fi

# ---- 2. a process hidden by a preloaded readdir hook ----------------------
if command -v cc >/dev/null 2>&1; then
        cat >"$WORK/hide.c" <<'EOC'
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
/* A user-space rootkit's trick: readdir skips one pid. */
#define HOOK(name, type)                                                               \
        type *name(DIR *d)                                                             \
        {                                                                              \
                type *(*real)(DIR *) = (type * (*)(DIR *)) dlsym(RTLD_NEXT, #name);    \
                const char *hide = getenv("VIGIL_IT_HIDE_PID");                        \
                type *e;                                                               \
                while ((e = real(d)) && hide && strcmp(e->d_name, hide) == 0)          \
                        ;                                                              \
                return e;                                                              \
        }
HOOK(readdir, struct dirent)
HOOK(readdir64, struct dirent64)
EOC
        if cc -shared -fPIC -o "$WORK/libhide.so" "$WORK/hide.c" -ldl 2>"$WORK/cc.err"; then
                sleep 600 &
                hidden=$!
                PIDS="$PIDS $hidden"
                # ASan wants its runtime first; the hook is loaded before it.
                if LD_PRELOAD="$WORK/libhide.so" VIGIL_IT_HIDE_PID=$hidden \
                        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
                        sweep "$WORK/hidden.json" "$WORK/empty.yml"; then
                        jq -e --argjson p "$hidden" '[.alerts[] | select(.rule == "process.hidden" and
                                .evidence.pid == $p and .level == "urgent" and
                                .evidence.method == "libc_readdir")] | length == 1' "$WORK/hidden.json" >/dev/null &&
                                ok "a process hidden from readdir by a preloaded hook: urgent process.hidden" ||
                                fail "hidden process not found: $(jq -c '[.alerts[] | select(.rule == "process.hidden")]' "$WORK/hidden.json")"
                        # the sweep itself still looked at it (its own listing is not hooked)
                        jq -e '[.alerts[] | select(.rule == "process.hidden")] | length == 1' "$WORK/hidden.json" >/dev/null &&
                                ok "only that process is reported hidden" || fail "other hidden processes reported"
                fi
                kill "$hidden" 2>/dev/null || true
        else
                echo "note: no hiding library built: $(cat "$WORK/cc.err")"
        fi
else
        echo "note: no C compiler; the preloaded-hook check is skipped"
fi

# ---- 3. new persistence under --root -------------------------------------
R="$WORK/root"
cp -a "$VIGIL_FIXTURES/process/root" "$R"
if sweep "$WORK/r1.json" "$WORK/empty.yml" --root "$R"; then
        jq -e '.alerts == [] and ([.notes[] | select(.message | contains("learnt"))] | length == 4)' \
                "$WORK/r1.json" >/dev/null && ok "--root, first sweep: learns silently" ||
                fail "first --root sweep: $(jq -c '.alerts, .notes' "$WORK/r1.json")"
fi
echo 'sysupdate:x:0:0::/root:/bin/bash' >>"$R/etc/passwd"
echo 'www-data ALL=(ALL) NOPASSWD: ALL' >"$R/etc/sudoers.d/www"
echo '*/5 * * * * root /dev/shm/.x >/dev/null 2>&1' >"$R/etc/cron.d/sysupdate"
printf '[Service]\nExecStart=/usr/local/bin/sysupdate\n[Install]\nWantedBy=multi-user.target\n' \
        >"$R/etc/systemd/system/sysupdate.service"
if sweep "$WORK/r2.json" "$WORK/empty.yml" --root "$R"; then
        got=$(jq -r '[.alerts[] | "\(.rule) \(.level)"] | sort | join(",")' "$WORK/r2.json")
        want="process.new_cron_job suspicious,process.new_sudoers_entry suspicious,process.new_systemd_unit suspicious,process.new_uid0_account suspicious"
        [ "$got" = "$want" ] && ok "--root, second sweep: new uid-0 account, sudoers entry, cron job, unit" ||
                fail "second --root sweep: $got"
        jq -e --arg f "$R/etc/passwd" '.alerts[] | select(.rule == "process.new_uid0_account") |
                .evidence.user == "sysupdate" and .evidence.file == $f and .evidence.line == 7' \
                "$WORK/r2.json" >/dev/null && ok "uid-0 evidence: user, file, line" || fail "uid-0 evidence"
fi
if sweep "$WORK/r3.json" "$WORK/empty.yml" --root "$R"; then
        jq -e '.alerts == []' "$WORK/r3.json" >/dev/null && ok "--root, third sweep: reported once" ||
                fail "third --root sweep repeated: $(jq -c '[.alerts[].rule]' "$WORK/r3.json")"
fi

# ---- 4. the kill response --------------------------------------------------
# Only this test's fake miner may die: the system directories, the build
# directory (other tests' programs) and every shell are on the response
# allowlist, so nothing else urgent that runs on this machine at the same
# time is touched. The miner killed is a copy outside the build directory.
mkdir "$WORK/killable"
cp "$fakeminer" "$WORK/killable/fakeminer"
"$WORK/killable/fakeminer" -o "$scheme://127.0.0.1:3333" -u wallet --donate-level 1 &
kminer=$!
PIDS="$PIDS $kminer"
wait_for sh -c "[ \$(grep -c . '$WORK/pool.port.accepted') -ge 2 ]" ||
        fail "the second fake miner did not connect"
cat >"$WORK/kill.yml" <<EOF
process:
  tmp_dirs: [/dev/shm, $TMPD]
  response:
    kill: true
    allowlist: [/usr/, /bin/, /sbin/, /lib/, /opt/, /snap/, $VIGIL_BUILD/, bash, sh, dash, python3]
EOF
if sweep "$WORK/kill.json" "$WORK/kill.yml"; then
        jq -e --argjson p "$kminer" '.alerts[] | select(.evidence.pid == $p) | .evidence.response == "killed"' \
                "$WORK/kill.json" >/dev/null && ok "kill response: the miner was killed" ||
                fail "miner not killed: $(jq -c --argjson p "$kminer" '.alerts[] | select(.evidence.pid == $p) | .evidence' "$WORK/kill.json")"
        wait_for sh -c "! kill -0 $kminer" && ok "the miner process is gone" || fail "miner still runs"
        jq -e --argjson p "$miner" '.alerts[] | select(.evidence.pid == $p) | .evidence.response == "allowlisted"' \
                "$WORK/kill.json" >/dev/null && kill -0 "$miner" &&
                ok "kill response: the allowlisted miner (build directory) lives" || fail "allowlisted miner"
        jq -e --argjson p "$rs_shell" '.alerts[] | select(.evidence.pid == $p) | .evidence.response == "allowlisted"' \
                "$WORK/kill.json" >/dev/null && kill -0 "$rs_shell" &&
                ok "kill response: the allowlisted shell lives" || fail "allowlisted shell"
        kill -0 "$shm" && ok "suspicious processes are not killed" || fail "a suspicious process was killed"
fi

# ---- 5. the exec watcher ----------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
        echo "note: not root; the exec watcher is not tested"
else
        "$driver" "$WORK/ew.out" 120 vigil-it- "$WORK/it.yml" &
        drv=$!
        PIDS="$PIDS $drv"
        wait_for grep -q '"kind":"\(ready\|unavailable\)"' "$WORK/ew.out" || fail "driver did not start"
        if grep -q unavailable "$WORK/ew.out"; then
                echo "note: process connector unavailable: $(cat "$WORK/ew.out")"
        else
                cp /bin/sleep "$SHM-ew"
                "$SHM-ew" 600 &
                ew=$!
                PIDS="$PIDS $ew"
                wait_for grep -q "\"kind\":\"exec\",\"pid\":$ew," "$WORK/ew.out" &&
                        ok "exec watcher: the exec of $SHM-ew was seen" || fail "no exec event: $(head -c 2000 "$WORK/ew.out")"
                wait_for grep -q "\"rule\":\"process.tmp_binary\".*\"pid\":$ew[,}]" "$WORK/ew.out" &&
                        ok "exec watcher: process.tmp_binary raised at exec time" ||
                        fail "no alert for the exec: $(grep alert "$WORK/ew.out" | head -c 2000)"
                wait_for grep -q "\"kind\":\"recheck\",\"pid\":$ew," "$WORK/ew.out" &&
                        ok "exec watcher: the recheck came" || fail "no recheck"
                [ "$(grep -c "\"rule\":\"process.tmp_binary\".*\"pid\":$ew[,}]" "$WORK/ew.out")" -eq 1 ] &&
                        ok "exec watcher: raised once (the recheck remembers)" || fail "raised more than once"
        fi
        touch "$WORK/ew.out.stop"
        wait "$drv" 2>/dev/null || true
fi

finish
