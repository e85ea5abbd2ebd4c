#!/bin/sh
# The command-line contract of DESIGN.md: help, errors on one line with
# status 2, output formats, --root, --state, --config.
. "$(dirname "$0")/../lib.sh"

run 0 "$VIGIL" --help && expect_in "$WORK/out" "Usage: vigil" "vigil --help"
run 0 "$VIGIL" --version && expect_in "$WORK/out" "vigil " "vigil --version"
run 0 "$VIGIL" scan --help && expect_in "$WORK/out" "Exit status" "vigil scan --help"
run 2 "$VIGIL" && expect_in "$WORK/err" "Usage: vigil" "no command prints usage, status 2"
run 2 "$VIGIL" frobnicate && expect_in "$WORK/err" "unknown command 'frobnicate'" "unknown command"
run 2 "$VIGIL" --bogus scan && expect_in "$WORK/err" "unknown or incomplete option '--bogus'" "unknown global option"
run 2 "$VIGIL" scan --bogus && expect_in "$WORK/err" "unknown option '--bogus'" "unknown scan option"
run 2 "$VIGIL" scan --format xml && expect_in "$WORK/err" "unknown format 'xml'" "bad --format"
run 2 "$VIGIL" scan --only nosuch && expect_in "$WORK/err" "unknown scanner 'nosuch'" "bad --only"
run 2 "$VIGIL" scan --root "$WORK/does-not-exist" &&
        expect_in "$WORK/err" "cannot use '$WORK/does-not-exist' as the root to scan" "missing --root"
run 2 "$VIGIL" scan --format 2>/dev/null && expect_in "$WORK/err" "needs a value" "option without value"

# Errors are one line (plus the "Try" hint for usage errors).
run 2 "$VIGIL" scan --root /nonexistent
[ "$(wc -l <"$WORK/err")" -eq 1 ] && ok "runtime error is one line" || fail "runtime error is not one line"

# A named config file must exist and parse; errors name file:line:column.
run 2 "$VIGIL" --config "$WORK/none.yml" scan && expect_in "$WORK/err" "$WORK/none.yml" "missing --config"
printf 'scan:\n  apps: [\n' >"$WORK/bad.yml"
run 2 "$VIGIL" --config "$WORK/bad.yml" scan && expect_in "$WORK/err" "$WORK/bad.yml:3:" "config error position"
# Global options are accepted after the command as well.
run 2 "$VIGIL" scan --config "$WORK/bad.yml" && expect_in "$WORK/err" "$WORK/bad.yml:3:" "--config after the command"

# An empty root scans cleanly and gives valid JSON with the contract's keys.
mkdir -p "$WORK/root/etc"
echo "imagehost" >"$WORK/root/etc/hostname"
if run 0 "$VIGIL" --state "$WORK/state" scan --root "$WORK/root" --format json; then
        if jq -e '(.host == "imagehost") and (.score|type=="number") and (.findings|type=="array") and (.alerts|type=="array")' "$WORK/out" >/dev/null; then
                ok "json report shape"
        else
                fail "json report shape: $(head -c 1000 "$WORK/out")"
        fi
fi
run 0 "$VIGIL" --state "$WORK/state" scan --root "$WORK/root" --format sarif &&
        { jq -e '.version == "2.1.0" and (.runs|length==1)' "$WORK/out" >/dev/null && ok "sarif shape" || fail "sarif shape"; }
run 0 "$VIGIL" --state "$WORK/state" scan --root "$WORK/root" -o "$WORK/report.txt" &&
        expect_in "$WORK/report.txt" "Score: 100/100" "--output writes the report"
# No colour when the output is not a terminal, colour when asked.
run 0 "$VIGIL" --state "$WORK/state" scan --root "$WORK/root"
if grep -q "$(printf '\033')" "$WORK/out"; then fail "colour on a pipe"; else ok "no colour on a pipe"; fi
run 0 "$VIGIL" --state "$WORK/state" scan --root "$WORK/root" --color always
if grep -q "$(printf '\033')" "$WORK/out"; then ok "--color always"; else fail "--color always has no colour"; fi

finish
