#!/bin/sh
# vigil fim through the real binary: a dpkg fixture root whose packaged
# /usr/bin/ls is replaced (caught on the first run, no baseline; dpkg
# --verify agrees), a baseline with modified, added and deleted critical
# files (hashes checked against sha256sum/md5sum), --update, damaged input
# (corrupt md5sums lines, a bad baseline row), the real-time watcher naming
# the writing process, the inotify watch limit reported, and this host's
# programs verified against dpkg --verify.
. "$(dirname "$0")/../lib.sh"
: "${VIGIL_FIXTURES:?}"

json() { # json FILE PYTHON-EXPRESSION-ON-d
        python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}
alerts() { # alerts FILE: "rule level path" per alert, sorted
        python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
for a in d['alerts']:
    print(a['rule'], a['level'], a['evidence']['path'])" "$1" | sort
}

R="$WORK/root"
cp -a "$VIGIL_FIXTURES/fim/root" "$R"
ln -s usr/bin "$R/bin" # a merged /usr: the package lists bin/ls
S="$WORK/state"

# --- 1. Package verification without any baseline ---------------------
if run 0 "$VIGIL" fim check --root "$R" --state "$S"; then
        expect_in "$WORK/out" "No tampering found." "clean fixture root: no tampering"
        expect_in "$WORK/err" "brokenlist.md5sums:1" "corrupt md5sums line noted with file and line"
fi
[ ! -e "$S" ] && ok "a check without a baseline writes nothing" || fail "state directory created"

orig_md5=$(md5sum "$R/usr/bin/ls" | cut -d' ' -f1)
printf '#!/bin/sh\n# trojaned\nexec /bin/sh -i\n' >"$R/usr/bin/ls"
if run 1 "$VIGIL" fim check --root "$R" --state "$S" --format json; then
        cp "$WORK/out" "$WORK/first.json"
        [ "$(alerts "$WORK/first.json")" = "fim.package_mismatch urgent $R/usr/bin/ls" ] &&
                ok "replaced /usr/bin/ls: urgent fim.package_mismatch on the first run" ||
                fail "first run alerts: $(alerts "$WORK/first.json")"
        ev="d['alerts'][0]['evidence']"
        [ "$(json "$WORK/first.json" "$ev['expected_digest']")" = "md5:$orig_md5" ] &&
                ok "expected digest is the md5sums one" || fail "expected digest"
        [ "$(json "$WORK/first.json" "$ev['actual_digest']")" = "md5:$(md5sum "$R/usr/bin/ls" | cut -d' ' -f1)" ] &&
                ok "actual digest matches md5sum" || fail "actual digest"
        [ "$(json "$WORK/first.json" "$ev['after']['sha256']")" = "$(sha256sum "$R/usr/bin/ls" | cut -d' ' -f1)" ] &&
                ok "after.sha256 matches sha256sum" || fail "after sha256"
        [ "$(json "$WORK/first.json" "$ev['package'] + ' ' + $ev['package_version']")" = "coreutils 9.1-1" ] &&
                ok "package and version in evidence" || fail "package evidence"
        [ "$(json "$WORK/first.json" "d['alerts'][0]['type']")" = file_tampering ] &&
                ok "alert type file_tampering" || fail "alert type"
        expect_in "$WORK/first.json" "apt-get install --reinstall coreutils" "remediation reinstalls the package"
fi
# dpkg itself, as the oracle, sees the same file changed.
if command -v dpkg >/dev/null; then
        dpkg --root="$R" --verify coreutils >"$WORK/dpkg-verify" 2>&1 || true
        expect_in "$WORK/dpkg-verify" "??5??????   /usr/bin/ls" "dpkg --verify agrees"
fi
cp "$VIGIL_FIXTURES/fim/root/usr/bin/ls" "$R/usr/bin/ls"

# --- 2. Baseline: modified, added, deleted, accepted -------------------
run 0 "$VIGIL" fim init --root "$R" --state "$S" && ok "fim init on a clean root"
run 0 "$VIGIL" fim check --root "$R" --state "$S" && ok "check right after init is clean"
before_sha=$(sha256sum "$R/etc/passwd" | cut -d' ' -f1)
echo 'mallory:x:0:0::/root:/bin/sh' >>"$R/etc/passwd"
echo 'mallory ALL=(ALL) NOPASSWD: ALL' >"$R/etc/sudoers.d/mallory"
echo "/usr/lib/libsneaky.so" >"$R/etc/ld.so.preload"
rm "$R/etc/sudoers.d/README"
if run 1 "$VIGIL" fim check --root "$R" --state "$S" --format json; then
        cp "$WORK/out" "$WORK/changes.json"
        want="fim.added suspicious $R/etc/sudoers.d/mallory
fim.added urgent $R/etc/ld.so.preload
fim.deleted suspicious $R/etc/sudoers.d/README
fim.modified suspicious $R/etc/passwd"
        [ "$(alerts "$WORK/changes.json")" = "$(echo "$want" | sort)" ] &&
                ok "modified, added, deleted and preload alerts at their levels" ||
                fail "alerts: $(alerts "$WORK/changes.json")"
        pw="[a for a in d['alerts'] if a['rule']=='fim.modified'][0]['evidence']"
        [ "$(json "$WORK/changes.json" "$pw['before']['sha256']")" = "$before_sha" ] &&
                ok "before.sha256 is the old passwd" || fail "before sha256"
        [ "$(json "$WORK/changes.json" "$pw['after']['sha256']")" = "$(sha256sum "$R/etc/passwd" | cut -d' ' -f1)" ] &&
                ok "after.sha256 is the new passwd" || fail "after sha256"
        [ "$(json "$WORK/changes.json" "$pw['before']['mode'] + ' ' + $pw['after']['owner']")" = "0644 root:root" ] &&
                ok "mode and owner in evidence" || fail "mode/owner: $(json "$WORK/changes.json" "$pw")"
fi
if run 1 "$VIGIL" fim check --root "$R" --state "$S"; then
        expect_in "$WORK/out" "Tampering: 4 alert(s): 1 urgent, 3 suspicious" "a check does not accept: same alerts again"
        expect_in "$WORK/out" "mallory" "text output names the file"
fi
run 1 "$VIGIL" fim check --root "$R" --state "$S" --update && ok "--update reports the changes"
run 0 "$VIGIL" fim check --root "$R" --state "$S" && ok "after --update the root is clean"

# A package upgrade: new content and matching md5sums is not an alert.
printf '#!/bin/sh\necho ls 9.2\n' >"$R/usr/bin/ls"
(cd "$R" && md5sum usr/bin/ls usr/bin/cat >var/lib/dpkg/info/coreutils.md5sums)
run 0 "$VIGIL" fim check --root "$R" --state "$S" && ok "content matching the new package digest is accepted"

# --- 3. Damaged input ---------------------------------------------------
sqlite3 "$S/fim.db" "INSERT INTO files VALUES ('not/absolute', 33188, 0, 0, 1, 0, 0, 1, 1, x'00', 0, NULL, NULL, 0, 0, 0)"
if run 0 "$VIGIL" fim check --root "$R" --state "$S"; then
        expect_in "$WORK/err" "baseline row" "a bad baseline row is skipped and noted"
fi
mkdir -p "$WORK/other"
run 2 "$VIGIL" fim check --root "$WORK/other" --state "$S" &&
        expect_in "$WORK/err" "was built for root" "a baseline of another root is refused"
if run 0 "$VIGIL" fim status --state "$S" --format json; then
        [ "$(json "$WORK/out" "d['files']")" = "$(sqlite3 "$S/fim.db" 'select count(*) from files')" ] &&
                ok "status counts the baseline rows" || fail "status files"
fi
run 0 "$VIGIL" fim status --state "$WORK/none" && expect_in "$WORK/out" "none yet" "status without a baseline"

# --- 4. Real time: the writer's pid --------------------------------------
mkdir -p "$WORK/watched/sub"
echo one >"$WORK/watched/app.conf"
cat >"$WORK/watch.yml" <<CONF
fim:
  default_paths: false
  paths: [$WORK/watched]
CONF
# wait_for FILE TEXT: poll until TEXT shows up (bounded; the watcher's own
# start-up time is what is waited for, not a race).
wait_for() {
        i=0
        while ! grep -qF -- "$2" "$1" 2>/dev/null; do
                i=$((i + 1))
                [ $i -gt 600 ] && return 1
                sleep 0.1
        done
}
"$VIGIL" fim watch --config "$WORK/watch.yml" --state "$WORK/wstate" --count 1 --duration 120 \
        >"$WORK/watch.out" 2>"$WORK/watch.err" &
wpid=$!
if wait_for "$WORK/watch.err" "vigil: fim: watching"; then
        writer=$(python3 -c 'import os,sys; print(os.getpid()); open(sys.argv[1], "a").write("two\n")' "$WORK/watched/app.conf")
        wait $wpid || true
        if python3 - "$WORK/watch.out" "$writer" "$WORK/watched/app.conf" "$WORK/watch.err" <<'PY'
import json, sys
out, writer, path, err = sys.argv[1], int(sys.argv[2]), sys.argv[3], open(sys.argv[4]).read()
alerts = [json.loads(l) for l in open(out) if l.strip()]
mod = [a for a in alerts if a["rule"] == "fim.modified" and a["evidence"]["path"] == path]
assert mod, "no fim.modified alert: %r" % alerts
proc = mod[0]["evidence"].get("process")
if "fanotify filesystem" in err or "fanotify inode" in err:
    assert proc and proc["pid"] == writer, "fanotify on but process %r != writer %d" % (proc, writer)
    print("writer pid %d named by fanotify" % writer)
else:
    print("fanotify not available here; alert without a process")
PY
        then ok "watch: alert for the modified file (with the writer's pid when fanotify is on)"
        else fail "watch: $(cat "$WORK/watch.out") / $(cat "$WORK/watch.err")"; fi
else
        kill $wpid 2>/dev/null || true
        fail "watcher did not start: $(cat "$WORK/watch.err")"
fi

# --- 5. The inotify watch limit is reported, coverage kept ---------------
for d in d1 d2 d3 d4 d5 d6; do mkdir -p "$WORK/many/$d" && echo "$d" >"$WORK/many/$d/f"; done
cat >"$WORK/limit.yml" <<CONF
fim:
  default_paths: false
  paths: [$WORK/many]
  max_watches: 2
  fanotify: false
  periodic_seconds: 1
CONF
"$VIGIL" fim watch --config "$WORK/limit.yml" --state "$WORK/lstate" --count 1 --duration 120 \
        >"$WORK/limit.out" 2>"$WORK/limit.err" &
wpid=$!
if wait_for "$WORK/limit.err" "vigil: fim: watching"; then
        expect_in "$WORK/limit.err" "inotify watches: 2 of 7 directories watched (limit 2); 5 directories holding 5 files are covered only by periodic checks every 1 s" "the watch limit is reported with counts"
        # A change where no watch is: the periodic check still catches it.
        echo changed >>"$WORK/many/d6/f"
        wait $wpid || true
        expect_in "$WORK/limit.out" "\"path\":\"$WORK/many/d6/f\"" "a change in an unwatched directory is caught by the periodic check"
else
        kill $wpid 2>/dev/null || true
        fail "watcher did not start: $(cat "$WORK/limit.err")"
fi
if run 0 "$VIGIL" fim status --state "$WORK/lstate" --format json; then
        [ "$(json "$WORK/out" "(d['watch']['unwatched_directories'], d['watch']['unwatched_files'], d['watch']['watch_limit'])")" = "(5, 5, 2)" ] &&
                ok "status keeps the unwatchable counts" || fail "status watch: $(cat "$WORK/out")"
fi
if run 0 "$VIGIL" fim status --state "$WORK/lstate"; then
        expect_in "$WORK/out" "unwatchable:          5 directories, 5 files" "status text shows the unwatchable paths"
fi

# --- 6. This host's programs against dpkg --verify -----------------------
# (node_modules: npm updating itself in place leaves real differences on
# many machines, so the comparison has something to compare.)
if command -v dpkg >/dev/null && [ -e /var/lib/dpkg/status ]; then
        cat >"$WORK/host.yml" <<CONF
fim:
  default_paths: false
  paths: [/usr/bin, /usr/sbin, /usr/lib/node_modules]
CONF
        set +e
        "$VIGIL" fim check --config "$WORK/host.yml" --state "$WORK/hstate" --format json >"$WORK/host.json" 2>"$WORK/host.err"
        st=$?
        set -e
        [ "$st" -le 1 ] && ok "host check runs (status $st)" || fail "host check status $st: $(head -c 500 "$WORK/host.err")"
        python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
for a in d['alerts']:
    if a['rule'] in ('fim.package_mismatch', 'fim.deleted'):
        print(('changed' if a['rule']=='fim.package_mismatch' else 'missing'), a['evidence']['path'])" "$WORK/host.json" | sort >"$WORK/vigil-host"
        # dpkg's view of the packages that own files there; paths under a
        # symlinked /bin or /sbin are the same files as in /usr.
        pkgs=$(dpkg -S /bin /sbin /usr/bin /usr/sbin /usr/lib/node_modules 2>/dev/null | cut -d: -f1 | tr ',' '\n' | sed 's/ //g' | sort -u)
        # shellcheck disable=SC2086
        dpkg --verify $pkgs 2>/dev/null | python3 -c "
import glob,os,sys
# dpkg also reports missing directories; vigil verifies the files that
# the md5sums lists name.
listed = set()
for f in glob.glob('/var/lib/dpkg/info/*.md5sums'):
    for l in open(f, errors='replace'):
        if len(l) > 34:
            listed.add('/' + l[34:].rstrip('\\n'))
for line in sys.stdin:
    parts=line.split()
    if len(parts) < 2 or parts[-2] == 'c':
        continue   # conffiles are left to the baseline
    flags, path = parts[0], parts[-1]
    d, b = os.path.split(path)
    path = os.path.join(os.path.realpath(d), b)
    if not path.startswith(('/usr/bin/', '/usr/sbin/', '/usr/lib/node_modules/')):
        continue
    if flags == 'missing':
        if parts[-1] in listed or path in listed:
            print('missing', path)
    elif len(flags) > 2 and flags[2] == '5':
        print('changed', path)" | sort -u >"$WORK/dpkg-host"
        if cmp -s "$WORK/vigil-host" "$WORK/dpkg-host"; then
                ok "host /usr/bin, /usr/sbin, /usr/lib/node_modules: vigil and dpkg --verify agree ($(wc -l <"$WORK/dpkg-host") differences)"
        else
                fail "host differs from dpkg --verify: $(diff "$WORK/vigil-host" "$WORK/dpkg-host" | head -20)"
        fi
fi
finish
