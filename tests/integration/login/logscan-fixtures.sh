#!/bin/sh
# vigil logscan over the hand-written logs of tests/fixtures/logs: every
# source and format gives exactly the events in expected/, compressed,
# rotated and piped input read the same, bad input is counted and survives.
. "$VIGIL_SOURCE/tests/integration/lib.sh"
export TZ=UTC
L="$VIGIL_FIXTURES/logs"
cd "$L" || exit 1

# Only events are compared here: alerts are the detectors' (their own tests).
same() { # EXPECTED-FILE DESCRIPTION: compare the events in $WORK/out with it
        grep '"kind":"event"' "$WORK/out" >"$WORK/out.ev" || true
        mv "$WORK/out.ev" "$WORK/out"
        if cmp -s "$WORK/out" "$1"; then ok "$2"; else
                fail "$2: output differs: $(diff "$1" "$WORK/out" | head -20)"
        fi
}

for f in auth-debian12.log auth-classic.log secure messages vsftpd.log proftpd.log \
        mysql-error.log postgresql-15-main.log journal.export journal.json; do
        run 0 "$VIGIL" logscan --format jsonl --utc --year 2026 "$f" && same "expected/$f.jsonl" "$f"
done
run 0 "$VIGIL" logscan --format jsonl --service sshd sshd-e.log && same expected/sshd-e.log.jsonl "bare sshd -E lines"
# Without --service the bare lines are nobody's.
run 0 "$VIGIL" logscan --format jsonl sshd-e.log
grep -q '"kind":"event"' "$WORK/out" && fail "bare lines read without --service" || ok "bare lines need --service"

# wtmp/btmp written by util-linux's utmpdump from the text dumps.
if command -v utmpdump >/dev/null; then
        utmpdump -r <wtmp.txt >"$WORK/wtmp" 2>/dev/null
        utmpdump -r <btmp.txt >"$WORK/btmp" 2>/dev/null
        (cd "$WORK" && "$VIGIL" logscan --format jsonl wtmp btmp) >"$WORK/out.utmp"
        cp "$WORK/out.utmp" "$WORK/out"
        same expected/utmp.jsonl "wtmp and btmp records"
else
        echo "skip: utmpdump not installed"
fi

# The journal itself through sd-journal: systemd-journal-remote writes a
# journal file from the export fixture.
JR=/lib/systemd/systemd-journal-remote
if [ -x "$JR" ]; then
        mkdir "$WORK/journal"
        "$JR" -o "$WORK/journal/remote.journal" journal.export >/dev/null 2>&1
        if "$VIGIL" logscan --format jsonl --journal-dir "$WORK/journal" >"$WORK/j.out" 2>"$WORK/err"; then
                jq -c 'select(.kind == "event") | del(.file, .line)' "$WORK/j.out" >"$WORK/out"
                jq -c 'del(.file, .line)' expected/journal.export.jsonl >"$WORK/want"
                cmp -s "$WORK/out" "$WORK/want" && ok "journal files through sd-journal" ||
                        fail "sd-journal: $(diff "$WORK/want" "$WORK/out")"
        elif grep -q "is not available" "$WORK/err"; then
                # Built without sd-journal.h (libsystemd-dev) or no libsystemd.so.0.
                echo "skip: vigil built without sd-journal support"
        else
                fail "--journal-dir: $(cat "$WORK/err")"
        fi
else
        echo "skip: systemd-journal-remote not installed"
fi

# gzip, stdin, and rotated files read oldest first.
mkdir "$WORK/rot"
head -n 20 auth-debian12.log | gzip -c >"$WORK/rot/auth.log.2.gz"
sed -n '21,30p' auth-debian12.log >"$WORK/rot/auth.log.1"
sed -n '31,$p' auth-debian12.log >"$WORK/rot/auth.log"
(cd "$WORK/rot" && "$VIGIL" logscan --format jsonl auth.log auth.log.1 auth.log.2.gz) >"$WORK/rot.out"
jq -c 'select(.kind == "event") | del(.file, .line)' "$WORK/rot.out" >"$WORK/out"
jq -c 'del(.file, .line)' expected/auth-debian12.log.jsonl >"$WORK/want"
same "$WORK/want" "rotated set with gzip, oldest first"
"$VIGIL" logscan --format jsonl - <auth-debian12.log | jq -c 'select(.kind == "event") | del(.file)' >"$WORK/out"
jq -c 'del(.file)' expected/auth-debian12.log.jsonl >"$WORK/want"
same "$WORK/want" "standard input"
gzip -c secure | "$VIGIL" logscan --format jsonl --year 2026 - | jq -c 'select(.kind == "event") | del(.file)' >"$WORK/out"
jq -c 'del(.file)' expected/secure.jsonl >"$WORK/want"
same "$WORK/want" "gzip on standard input"

# A missing file: one line naming it, the others still read, exit 2.
run 2 "$VIGIL" logscan --format jsonl secure /nonexistent/auth.log vsftpd.log
expect_in "$WORK/err" "/nonexistent/auth.log" "missing file named on stderr"
[ "$(wc -l <"$WORK/err")" -eq 1 ] && ok "one error line" || fail "stderr: $(cat "$WORK/err")"
[ "$(grep -c '"kind":"event"' "$WORK/out")" -eq 16 ] && ok "other files read" || fail "got $(cat "$WORK/out")"
run 2 "$VIGIL" logscan "$L"
expect_in "$WORK/err" "Is a directory" "directory refused"
printf 'Nov 26 23:15:10 h sshd[1]: Failed password for root from 203.0.113.9 port 5 ssh2\n' |
        gzip -c | head -c 30 >"$WORK/cut.gz"
run 2 "$VIGIL" logscan "$WORK/cut.gz"
expect_in "$WORK/err" "not a valid gzip stream" "truncated gzip reported"

# Hostile input: a line over 64 KiB, NULs, invalid UTF-8, CR, no final newline.
{
        printf 'Nov 26 23:15:10 h sshd[1]: Failed password for root from 6.6.6.6 port 22 ssh2'
        head -c 70000 /dev/zero | tr '\0' 'A'
        printf '\n'
        printf 'Nov 26 23:15:11 h sshd[2]: Failed password for \000root from 6.6.6.6 port 22 ssh2\n'
        printf 'Nov 26 23:15:12 h sshd[3]: Invalid user \377\376 from 203.0.113.9 port 7\r\n'
        printf '\000\000\000Nov 26 23:15:13 h sshd[4]: Invalid user z from 203.0.113.10 port 8'
} >"$WORK/bad.log"
run 0 "$VIGIL" logscan --format jsonl --year 2026 "$WORK/bad.log"
expect_not_in "$WORK/out" "6.6.6.6" "oversized and NUL lines not parsed"
[ "$(jq -r 'select(.kind == "event") | .src' "$WORK/out" | tr '\n' ' ')" = "203.0.113.9 203.0.113.10 " ] && ok "good lines around bad ones" ||
        fail "events: $(cat "$WORK/out")"
expect_in "$WORK/out" "$(printf '"user":"\357\277\275\357\277\275"')" "invalid UTF-8 shown as U+FFFD"
run 0 "$VIGIL" logscan --year 2026 "$WORK/bad.log"
expect_in "$WORK/out" "1 line over 64 KiB skipped" "oversized line counted"

# Text output: escaped, with a summary.
run 0 "$VIGIL" logscan --year 2026 --utc auth-debian12.log
expect_in "$WORK/out" "x from 6.6.6.6 port 22" "user shown"
expect_in "$WORK/out" "Events: auth_failure 9, auth_success 2, invalid_user 2" "counts per event"
expect_in "$WORK/out" "203.0.113.9" "top sources"
run 0 "$VIGIL" logscan --year 2026 --utc auth-debian12.log messages
expect_in "$WORK/out" "alice -> postgres        -  auth-debian12.log:36" "target user column"
expect_in "$WORK/out" "admin                    203.0.113.60:53000  messages:1" "no stale column text"
printf 'Nov 26 23:15:12 h sshd[3]: Invalid user a\033[31mred from 203.0.113.9 port 7\n' >"$WORK/esc.log"
run 0 "$VIGIL" logscan "$WORK/esc.log"
expect_in "$WORK/out" 'a\x1b[31mred' "terminal escapes neutralised"

# Options.
run 0 "$VIGIL" logscan --format jsonl --utc --year 2026 --since 2026-11-26T23:18:00Z auth-debian12.log
[ "$(grep -c '"kind":"event"' "$WORK/out")" -eq 5 ] && ok "--since" || fail "--since: $(cat "$WORK/out")"
run 0 "$VIGIL" logscan --format jsonl --utc --year 2026 --unmatched auth-debian12.log
expect_in "$WORK/out" '"kind":"unmatched","file":"auth-debian12.log","line":3,"text":"2026-11-26T23:15:03.102544+00:00 web1 sshd[2301]: pam_unix(sshd:auth): check pass; user unknown"' "--unmatched"
run 0 "$VIGIL" logscan --format jsonl --count --utc --year 2026 auth-debian12.log messages
[ "$(jq -r '.kind + " " + (.events|tostring) + " " + (.by_event.auth_failure|tostring)' "$WORK/out")" = "summary 39 16" ] &&
        ok "--count" || fail "--count: $(cat "$WORK/out")"
run 2 "$VIGIL" logscan --format xml auth-debian12.log
run 2 "$VIGIL" logscan --since yesterday auth-debian12.log
run 2 "$VIGIL" logscan
run 0 "$VIGIL" logscan --help
expect_in "$WORK/out" "Usage: vigil logscan" "help"
finish
