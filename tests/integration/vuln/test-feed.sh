#!/bin/sh
# vigil feed import / status: malformed entries are reported with file and
# position while the rest of the input is imported and stored data is kept;
# files that are not feeds; zip members; status output and the age warning.
. "$(dirname "$0")/../lib.sh"
command -v jq >/dev/null || { echo "jq is needed"; exit 77; }
PY=/usr/bin/python3
ROOT="$VIGIL_FIXTURES/vuln/root-debian12"
ST="$WORK/st"

rec() { # rec ID PACKAGE FIXED MODIFIED
        printf '{"id": "%s", "modified": "%s", "related": ["CVE-2099-%s"], "affected": [{"package": {"ecosystem": "Debian:12", "name": "%s"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "%s"}]}]}]}' \
                "$1" "$4" "$(echo "$1" | tr -dc 0-9)" "$2" "$3"
}

# (6) status without a feed
run 0 "$VIGIL" --state "$ST" feed status && ok "status without a feed: exit 0"
expect_in "$WORK/out" "No vulnerability feed in $ST" "status says there is no feed"
expect_in "$WORK/out" "vigil feed update" "status names the command that gets one"
run 0 "$VIGIL" --state "$ST" feed status --json
[ "$(jq '.advisories' "$WORK/out")" -eq 0 ] && ok "status --json without a feed" || fail "status --json"

run 0 "$VIGIL" feed --help && expect_in "$WORK/out" "Usage: vigil feed" "feed --help"
run 2 "$VIGIL" feed && expect_in "$WORK/err" "missing command" "feed without command"
run 2 "$VIGIL" feed frob && expect_in "$WORK/err" "unknown command 'frob'" "unknown feed command"
run 2 "$VIGIL" --state "$ST" feed import && expect_in "$WORK/err" "import needs at least one FILE" "import without files"
run 2 "$VIGIL" feed import --format yaml x && expect_in "$WORK/err" "unknown format 'yaml'" "bad --format"

# (4) earlier data, then a file with one malformed entry among good ones
rec DSA-9001-1 openssl 3.0.11-1~deb12u9 2024-01-01T00:00:00Z >"$WORK/good1.json"
run 0 "$VIGIL" --state "$ST" feed import "$WORK/good1.json" && ok "first import"
rec DSA-9002-1 zlib 1:1.2.13.dfsg-2 2024-01-01T00:00:00Z >"$WORK/good2.json"
{
        printf '[\n'
        rec DSA-9003-1 util-linux 2.38.1-5+deb12u9 2024-01-01T00:00:00Z
        printf ',\n'
        printf '{"id": "DSA-9001-1", "modified": "2025-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "Debian:12", "name": "openssl"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0", "fixed": "1"}]}]}]}'
        printf ',\n'
        rec DSA-9004-1 libcap2 1:2.66-9 2024-01-01T00:00:00Z
        printf '\n]\n'
} >"$WORK/bad.json"
rec DSA-9005-1 linux-atm 1:2.5.1-9 2024-01-01T00:00:00Z >"$WORK/good3.json"
run 2 "$VIGIL" --state "$ST" feed import "$WORK/good2.json" "$WORK/bad.json" "$WORK/good3.json" &&
        ok "a malformed entry makes the import exit 2"
expect_in "$WORK/err" "$WORK/bad.json: byte " "error names the file and byte"
expect_in "$WORK/err" "(line 3, column 174): record \"DSA-9001-1\" affected[0].ranges[0].events[0]: an event must have exactly one of" "error names line, column, record and field"
[ "$(wc -l <"$WORK/err")" -eq 1 ] && ok "one error line" || fail "error lines: $(cat "$WORK/err")"
expect_in "$WORK/out" "bad.json: 3 entries: 2 new, 0 updated, 0 unchanged, 0 older than stored, 0 withdrawn, 1 error" "the rest of the file is imported"
expect_in "$WORK/out" "good3.json: 1 entries: 1 new" "files after the bad one are imported"
run 0 "$VIGIL" --state "$ST" scan --root "$ROOT" --only vulnerability --format json
jq -r '.findings[] | .check + " " + (.evidence.fixed_version // "-")' "$WORK/out" | sort >"$WORK/got"
printf '%s\n' "DSA-9001-1 3.0.11-1~deb12u9" "DSA-9002-1 1:1.2.13.dfsg-2" "DSA-9003-1 2.38.1-5+deb12u9" \
        "DSA-9004-1 1:2.66-9" "DSA-9005-1 1:2.5.1-9" >"$WORK/want"
diff -u "$WORK/want" "$WORK/got" >"$WORK/diff" && ok "earlier data kept, good entries all stored" ||
        fail "after the bad import: $(cat "$WORK/diff")"

# A syntax error ends the file but keeps what came before it.
printf '[\n%s,\n{"id": "DSA-9006-1" "x": 1},\n%s]\n' "$(rec DSA-9007-1 tiff 4.5.0-9 2024-01-01T00:00:00Z)" \
        "$(rec DSA-9008-1 tiff 4.5.0-9 2024-01-01T00:00:00Z)" >"$WORK/syntax.json"
run 2 "$VIGIL" --state "$ST" feed import "$WORK/syntax.json"
expect_in "$WORK/err" "syntax.json: byte " "syntax error: file named"
expect_in "$WORK/err" "(line 3, column 21): expected ',' or '}' in object" "syntax error: line and column"
expect_in "$WORK/out" "syntax.json: 1 entries: 1 new" "entries before a syntax error are kept"

# Not feeds.
printf 'hello\n' >"$WORK/text.json"
run 2 "$VIGIL" --state "$ST" feed import "$WORK/text.json"
expect_in "$WORK/err" "text.json: byte 0 (line 1, column 1): not a feed" "plain text is not a feed"
printf '{"name": "x"}' >"$WORK/other.json"
run 2 "$VIGIL" --state "$ST" feed import "$WORK/other.json"
expect_in "$WORK/err" "neither an OSV record" "other JSON is not a feed"
run 2 "$VIGIL" --state "$ST" feed import "$WORK/missing.json"
expect_in "$WORK/err" "missing.json: No such file or directory" "missing file"
: >"$WORK/empty.json"
run 2 "$VIGIL" --state "$ST" feed import "$WORK/empty.json"
expect_in "$WORK/err" "empty.json: empty file" "empty file"

# A zip with a bad member: the member is named, the others imported.
"$PY" - "$WORK/feed.zip" <<'PYEOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("DSA-9010-1.json", '{"id": "DSA-9010-1", "affected": [{"package": {"ecosystem": "Debian:12", "name": "sudo"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}')
    z.writestr("DSA-9011-1.json", '{"id": "DSA-9011-1", "affected": [{"package": {"ecosystem": "Debian:12"}}]}')
    z.writestr("README", "not a record")
PYEOF
run 2 "$VIGIL" --state "$ST" feed import "$WORK/feed.zip"
expect_in "$WORK/err" "feed.zip!DSA-9011-1.json: byte " "zip member named in the error"
expect_in "$WORK/err" "record \"DSA-9011-1\" affected[0].package: package needs" "zip member error names the field"
expect_in "$WORK/out" "feed.zip: 2 entries: 1 new" "the good member is imported"

# (6) status with data, JSON, and the age warning
run 0 "$VIGIL" --state "$ST" feed status && ok "status: exit 0"
expect_in "$WORK/out" "Debian:12" "status lists the ecosystem"
expect_in "$WORK/out" "$WORK/good1.json" "status lists the sources"
expect_in "$WORK/out" "osv-zip" "status shows the zip format"
expect_not_in "$WORK/err" "days old" "a fresh feed gets no warning"
run 0 "$VIGIL" --state "$ST" feed status --json
[ "$(jq '[.ecosystems[] | select(.ecosystem == "Debian:12") | .advisories][0]' "$WORK/out")" -eq 7 ] &&
        ok "status --json counts the advisories" || fail "status --json: $(cat "$WORK/out")"
[ "$(jq '.feeds | length' "$WORK/out")" -eq 6 ] && [ "$(jq -r '.feeds[0].stale' "$WORK/out")" = false ] &&
        ok "status --json lists the sources" || fail "status --json sources: $(cat "$WORK/out")"
"$PY" - "$ST/feeds.db" <<'PYEOF'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE feed SET imported_at = ?", (int(time.time()) - 10 * 86400,))
db.commit()
PYEOF
run 0 "$VIGIL" --state "$ST" feed status
expect_in "$WORK/err" "is 10 days old (more than 7); run 'vigil feed update'" "old feed warning"
run 0 "$VIGIL" --state "$ST" scan --root "$ROOT" --only vulnerability --format json
jq -r '.notes[] | .kind + " " + .message' "$WORK/out" >"$WORK/notes"
expect_in "$WORK/notes" "warning the vulnerability feed is 10 days old" "scan warns about an old feed"
finish
