#!/bin/sh
# vigil feed update against a local HTTP server (the network is closed in
# tests): a zip as osv.dev serves it and the Debian tracker JSON, the
# conditional request on the second run, the size cap, an HTTP error, and
# configuration errors.
. "$(dirname "$0")/../lib.sh"
command -v jq >/dev/null || { echo "jq is needed"; exit 77; }
PY=/usr/bin/python3
FEEDS="$VIGIL_FIXTURES/vuln/feeds"
ROOT="$VIGIL_FIXTURES/vuln/root-debian12"
ST="$WORK/st"
WWW="$WORK/www"
mkdir -p "$WWW/Debian"

# The OSV fixture as an all.zip of one record per member.
"$PY" - "$FEEDS/debian-osv.json" "$WWW/Debian/all.zip" <<'PYEOF'
import json, sys, zipfile
records = json.load(open(sys.argv[1]))
with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as z:
    for r in records:
        z.writestr(r["id"] + ".json", json.dumps(r, indent=2))
PYEOF
cp "$FEEDS/debian-tracker.json" "$WWW/tracker.json"

# A server on a free port of the loopback interface.
"$PY" -u -m http.server --bind 127.0.0.1 --directory "$WWW" 0 >"$WORK/http.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=
for _ in $(seq 1 100); do
        PORT=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$WORK/http.log" | head -1)
        [ -n "$PORT" ] && break
        sleep 0.1
done
[ -n "$PORT" ] || { echo "the HTTP server did not start: $(cat "$WORK/http.log")"; exit 1; }
URL="http://127.0.0.1:$PORT"

cat >"$WORK/vigil.yml" <<YML
feeds:
  sources:
    - name: osv-Debian
      url: $URL/Debian/all.zip
      format: osv
    - name: debian-tracker
      url: $URL/tracker.json
      format: debian-tracker
YML

run 0 "$VIGIL" --config "$WORK/vigil.yml" --state "$ST" feed update && ok "update: exit 0"
expect_in "$WORK/out" "osv-Debian: 12 entries: 12 new" "update imported the zip"
expect_in "$WORK/out" "debian-tracker: 8 entries: 8 new" "update imported the tracker"
run 0 "$VIGIL" --state "$ST" feed status --json
jq -r '.feeds[] | .name + " " + .format + " " + .location' "$WORK/out" >"$WORK/feeds"
expect_in "$WORK/feeds" "osv-Debian osv-zip $URL/Debian/all.zip" "status shows the zip source"
expect_in "$WORK/feeds" "debian-tracker debian-tracker $URL/tracker.json" "status shows the tracker source"
run 1 "$VIGIL" --state "$ST" scan --root "$ROOT" --only vulnerability --format json &&
        ok "scan with the downloaded feed"
[ "$(jq '.findings | length' "$WORK/out")" -eq 6 ] && ok "same six findings as from files" ||
        fail "findings after update: $(jq -c '[.findings[].check]' "$WORK/out")"

# Second run: the server answers 304 Not Modified to If-Modified-Since.
run 0 "$VIGIL" --config "$WORK/vigil.yml" --state "$ST" feed update
expect_in "$WORK/out" "osv-Debian: not modified since the last update" "conditional request: zip"
expect_in "$WORK/out" "debian-tracker: not modified since the last update" "conditional request: tracker"
grep -q '"GET /Debian/all.zip HTTP/1.1" 304' "$WORK/http.log" && ok "server saw a conditional GET" ||
        fail "no 304 in the server log: $(cat "$WORK/http.log")"

# Only one source by name; unknown names are an error.
touch -d '2099-01-01 00:00:00' "$WWW/tracker.json" # newer than the last download
run 0 "$VIGIL" --config "$WORK/vigil.yml" --state "$ST" feed update debian-tracker
expect_in "$WORK/out" "debian-tracker: 8 entries: 0 new, 0 updated, 8 unchanged" "changed file downloaded again, unchanged records"
expect_not_in "$WORK/out" "osv-Debian" "only the named source"
run 2 "$VIGIL" --config "$WORK/vigil.yml" --state "$ST" feed update nosuch
expect_in "$WORK/err" "no feed source named 'nosuch'" "unknown source name"

# The size cap and HTTP errors.
cat >"$WORK/small.yml" <<YML
feeds:
  max_download_size: 1000
  sources:
    - name: big
      url: $URL/Debian/all.zip
YML
run 2 "$VIGIL" --config "$WORK/small.yml" --state "$WORK/st2" feed update
expect_in "$WORK/err" "larger than 1000 bytes" "download size cap"
cat >"$WORK/404.yml" <<YML
feeds:
  sources:
    - name: gone
      url: $URL/nothing/all.zip
    - name: ftp
      url: ftp://127.0.0.1/x.zip
YML
run 2 "$VIGIL" --config "$WORK/404.yml" --state "$WORK/st3" feed update
expect_in "$WORK/err" "$URL/nothing/all.zip: the server answered HTTP 404" "HTTP 404 is an error"
expect_in "$WORK/err" "only http:// and https:// URLs are supported" "other schemes refused"
ls "$WORK/st3" | grep -q feed-download && fail "temporary download left behind" || ok "no temporary file left"
cat >"$WORK/badcfg.yml" <<YML
feeds:
  sources:
    - name: x
YML
run 2 "$VIGIL" --config "$WORK/badcfg.yml" --state "$WORK/st4" feed update
expect_in "$WORK/err" "feeds.sources[0] needs a \"url\"" "source without url"

# A refused connection is a clear error, not a hang.
kill $SERVER 2>/dev/null || true
wait $SERVER 2>/dev/null || true
run 2 "$VIGIL" --config "$WORK/vigil.yml" --state "$ST" feed update osv-Debian
expect_in "$WORK/err" "$URL/Debian/all.zip:" "connection error names the URL"
finish
