#!/bin/sh
# The secret scanner through the real binary: "vigil scan --only secret
# PATH..." finds a planted secret of every rule type at its exact
# path:line:column, reports no decoy or placeholder, skips a binary file by
# content, handles a 20 MB one-line file, a FIFO (must not block), a
# symlink loop and an unreadable file, finds a secret committed to git and
# deleted later with its commit, raises the level under an nginx root
# (--root image), writes SARIF for a repository, and never prints a full
# secret in any output format.
. "$(dirname "$0")/../lib.sh"

command -v python3 >/dev/null || { echo "SKIP: python3 is needed to plant the secrets"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: jq is needed"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
state="$WORK/state"
python3 "$here/plant.py" "$WORK/p" 20240611
tree="$WORK/p/tree"

# Special files: a FIFO (a scan that opened it would block forever), a
# symlink loop, a symlink to a secret outside the tree.
mkfifo "$tree/srv/app/pipe"
ln -s loop2 "$tree/srv/app/loop1"
ln -s loop1 "$tree/srv/app/loop2"
echo "GITHUB_TOKEN=ghp_$(head -c 200 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 36)" >"$WORK/outside.env"
ln -s "$WORK/outside.env" "$tree/srv/app/outside-link"

# An unreadable file. Root reads a mode 000 file anyway (CAP_DAC_OVERRIDE),
# so that part only runs as another user.
echo "nothing here" >"$tree/srv/app/locked.txt"
chmod 000 "$tree/srv/app/locked.txt"

# timeout: a scan that blocks on the FIFO fails instead of hanging.
set +e
timeout 300 "$VIGIL" --state "$state" scan --only secret --format json --no-progress "$tree" \
        >"$WORK/scan.json" 2>"$WORK/scan.err"
status=$?
set -e
[ "$status" -eq 1 ] && ok "exit status 1 with high risks" ||
        fail "exit status $status, wanted 1: $(head -c 2000 "$WORK/scan.err")"
jq -e . "$WORK/scan.json" >/dev/null && ok "JSON report parses" || fail "bad JSON"

# Every planted secret at its exact place, with the right rule.
missing=0
while IFS="$(printf '\t')" read -r rule path line col _secret; do
        if jq -e --arg r "$rule" --arg loc "$path:$line:$col" \
                '[.findings[] | select(.check == $r) | .evidence.locations[] | select(. == $loc)] | length == 1' \
                "$WORK/scan.json" >/dev/null; then
                :
        else
                fail "$rule not found at $path:$line:$col"
                missing=$((missing + 1))
        fi
done <"$WORK/p/expected.tsv"
n=$(wc -l <"$WORK/p/expected.tsv")
[ "$missing" -eq 0 ] && ok "all $n planted secrets found at their line and column"
# Every rule of the shipped file has a planted secret.
rules=$(cut -f1 "$WORK/p/expected.tsv" | sort -u | wc -l)
shipped=$(grep -c '^  - id:' "$VIGIL_SOURCE/rules/secrets/rules.yml")
[ "$rules" -eq "$shipped" ] && ok "all $rules rule types planted" ||
        fail "$rules rule types planted but $shipped rules shipped"

# Nothing else: no decoy, no placeholder, no secret from the binary file or
# through the symlink.
extra=$(jq -r '.findings[].evidence.locations[]' "$WORK/scan.json" | while read -r loc; do
        p=${loc%:*:*}
        l=${loc#"$p":}
        if ! awk -F '\t' -v p="$p" -v l="$l" '$2 == p && ($3 ":" $4) == l { f = 1 } END { exit !f }' \
                "$WORK/p/expected.tsv"; then echo "$loc"; fi
done)
[ -z "$extra" ] && ok "no finding besides the planted secrets" || fail "unexpected findings: $extra"
expect_not_in "$WORK/scan.json" "examples.env" "decoys and placeholders are not findings"
expect_not_in "$WORK/scan.json" "cache.bin" "binary file skipped"
expect_not_in "$WORK/scan.json" "outside-link" "symlink not followed"

# Counters: binary, special files, symlinks.
jq -e '.stats.secret.binary_skipped >= 1' "$WORK/scan.json" >/dev/null && ok "binary file counted" ||
        fail "binary_skipped not counted"
jq -e '.stats.secret.special_skipped >= 1' "$WORK/scan.json" >/dev/null && ok "FIFO counted, scan did not block" ||
        fail "special_skipped not counted"
jq -e '.stats.secret.symlinks_skipped >= 3' "$WORK/scan.json" >/dev/null && ok "symlinks counted" ||
        fail "symlinks_skipped not counted"
if [ "$(id -u)" -ne 0 ]; then
        jq -e '.stats.secret.unreadable >= 1' "$WORK/scan.json" >/dev/null &&
                jq -e '[.notes[] | select(.source | endswith("locked.txt"))] | length >= 1' "$WORK/scan.json" >/dev/null &&
                ok "unreadable file counted and noted" || fail "unreadable file not reported"
else
        echo "note: running as root, which reads mode 000 files; the unreadable-file check is skipped"
fi
chmod 600 "$tree/srv/app/locked.txt"

# Levels: cloud keys and private keys high, generic passwords medium.
jq -e '[.findings[] | select(.check == "aws-access-key-id" or .check == "private-key") | .level] | all(. == "high")' \
        "$WORK/scan.json" >/dev/null && ok "cloud and private keys are high" || fail "levels of keys"
jq -e '[.findings[] | select(.check == "generic-secret") | .level] | all(. == "medium")' \
        "$WORK/scan.json" >/dev/null && ok "generic passwords are medium" || fail "levels of generic"
# Each finding: fingerprint, preview, remediation, references.
jq -e '.findings | all(.evidence.fingerprint | test("^[0-9a-f]{64}$"))' "$WORK/scan.json" >/dev/null &&
        ok "fingerprints" || fail "fingerprints"
jq -e '.findings | all((.evidence.preview | length) <= 7 and (.remediation | length) > 20 and (.references | length) > 0)' \
        "$WORK/scan.json" >/dev/null && ok "previews short, remediation and references present" ||
        fail "preview/remediation/references"

# The full secrets appear in no output: text, JSON, SARIF, stderr.
"$VIGIL" --state "$state" scan --only secret --no-progress -v "$tree" >"$WORK/scan.txt" 2>&1 || true
"$VIGIL" --state "$state" scan --only secret --format sarif --no-progress "$tree" >"$WORK/scan.sarif" 2>&1 || true
leaks=0
while read -r secret; do
        for f in "$WORK/scan.json" "$WORK/scan.err" "$WORK/scan.txt" "$WORK/scan.sarif"; do
                if grep -qF -- "$secret" "$f"; then
                        leaks=$((leaks + 1))
                        fail "a full secret appears in $(basename "$f")"
                fi
        done
done <"$WORK/p/secrets.txt"
[ "$leaks" -eq 0 ] && ok "no full secret in text, JSON, SARIF or stderr"
ls "$state" >/dev/null 2>&1 && ! grep -rqF -f "$WORK/p/secrets.txt" "$state" 2>/dev/null &&
        ok "no secret in the state directory" || true

# A FIFO given directly as a PATH does not block either.
timeout 60 "$VIGIL" --state "$state" scan --only secret --no-progress "$tree/srv/app/pipe" >/dev/null 2>&1
[ $? -le 1 ] && ok "FIFO as PATH does not block" || fail "FIFO as PATH"

# Only medium findings: exit status 0.
mkdir -p "$WORK/medium"
printf 'DB_PASSWORD=%s\n' "$(head -c 300 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 20)" >"$WORK/medium/.env"
run 0 "$VIGIL" --state "$state" scan --only secret --no-progress "$WORK/medium" &&
        expect_in "$WORK/out" "Medium risks (1)" "medium only: exit 0"

# Git: a secret committed and then deleted is found with its commit.
if command -v git >/dev/null; then
        repo="$WORK/repo"
        mkdir -p "$repo"
        g() { git -c user.name=t -c user.email=t@example.org -c commit.gpgsign=false -C "$repo" "$@"; }
        g init -q .
        gl="glpat-$(head -c 300 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 20)"
        printf 'ci:\n  gitlab_token: %s\n' "$gl" >"$repo/ci.yml"
        echo "# demo" >"$repo/README.md"
        g add -A && g commit -q -m "add ci"
        added=$(g rev-parse HEAD)
        g rm -q ci.yml && g commit -q -m "remove ci"
        g gc -q
        run 1 "$VIGIL" --state "$state" scan --only secret --format json --no-progress "$repo"
        jq -e --arg c "$added" '[.findings[] | select(.check == "gitlab-token" and .evidence.git_commit == $c and .evidence.git_path == "ci.yml" and .evidence.line == 2 and .evidence.column == 17)] | length == 1' \
                "$WORK/out" >/dev/null && ok "deleted secret found in git history with its commit" ||
                fail "git history: $(head -c 3000 "$WORK/out")"
        expect_not_in "$WORK/out" "$gl" "git secret not printed"
        # SARIF for the repository: a result with the rule and the place.
        run 1 "$VIGIL" --state "$state" scan --only secret --format sarif --no-progress "$repo"
        jq -e '.version == "2.1.0" and (.runs[0].results | length) == 1 and
               .runs[0].results[0].ruleId == "gitlab-token" and
               .runs[0].results[0].level == "error" and
               (.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri | endswith("/repo/ci.yml")) and
               .runs[0].results[0].locations[0].physicalLocation.region.startLine == 2 and
               .runs[0].results[0].locations[0].physicalLocation.region.startColumn == 17 and
               (.runs[0].tool.driver.rules | map(.id) | index("gitlab-token")) != null' \
                "$WORK/out" >/dev/null && ok "SARIF for a repository" || fail "SARIF: $(head -c 3000 "$WORK/out")"
        expect_not_in "$WORK/out" "$gl" "git secret not in SARIF"
else
        echo "note: git not installed; git history checks skipped"
fi

# An image (--root) with nginx serving /var/www/html: a password there is a
# data leak one level higher (medium -> high); the same kind of password
# outside the web root stays medium. PATH arguments are inside the root.
img="$WORK/img"
mkdir -p "$img/etc/nginx/sites-enabled" "$img/var/www/html" "$img/srv/private"
echo "imghost" >"$img/etc/hostname"
printf 'user www-data;\nhttp {\n  include /etc/nginx/sites-enabled/*;\n}\n' >"$img/etc/nginx/nginx.conf"
printf 'server {\n  listen 80;\n  root /var/www/html;\n}\n' >"$img/etc/nginx/sites-enabled/default"
printf 'APP=1\nDB_PASSWORD=%s\n' "$(head -c 300 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 20)" >"$img/var/www/html/.env"
printf 'DB_PASSWORD=%s\n' "$(head -c 300 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 20)" >"$img/srv/private/.env"
run 1 "$VIGIL" --state "$state" scan --root "$img" --only secret --format json --no-progress /var/www /srv
jq -e '[.findings[] | select(.evidence.path == "'"$img"'/var/www/html/.env")][0] |
       .level == "high" and .evidence.in_webroot == true and .evidence.webroot == "'"$img"'/var/www/html" and
       (.tags | index("data_leak")) != null' "$WORK/out" >/dev/null &&
        ok "secret under the nginx root is a high data leak" || fail "web root: $(head -c 3000 "$WORK/out")"
jq -e '[.findings[] | select(.evidence.path == "'"$img"'/srv/private/.env")][0] | .level == "medium" and .evidence.in_webroot == false' \
        "$WORK/out" >/dev/null && ok "secret outside the web root stays medium" || fail "outside web root"
jq -e '.host == "imghost"' "$WORK/out" >/dev/null && ok "--root image scanned" || fail "--root host"

# Default paths inside an image: /srv is among them.
run 1 "$VIGIL" --state "$state" scan --root "$img" --only secret --format json --no-progress
jq -e '[.findings[].evidence.path] | index("'"$img"'/srv/private/.env") != null' "$WORK/out" >/dev/null &&
        ok "default paths scanned in an image" || fail "default paths"

# Allowlist by path glob and by rule in the configuration.
cat >"$WORK/vigil.yml" <<EOF
secret:
  allowlist:
    paths: ['*/srv/private/*']
    rules: [generic-secret]
EOF
run 0 "$VIGIL" --state "$state" --config "$WORK/vigil.yml" scan --root "$img" --only secret --format json --no-progress
jq -e '.findings | length == 0' "$WORK/out" >/dev/null && ok "allowlists in the configuration" ||
        fail "allowlist: $(head -c 2000 "$WORK/out")"

finish
