#!/bin/sh
# Weak local passwords with real tools as the oracle: the hashes are made at
# test time with openssl passwd and mkpasswd (whois), for passwords that are
# in vigil's built-in list, equal to a variant of the account name, only in
# John the Ripper's password.lst, only in a custom dictionary, and strong
# random ones. vigil must report exactly the weak ones, say which list
# matched, and never print a password.
. "$(dirname "$0")/../lib.sh"

for tool in openssl mkpasswd jq; do
        command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
JOHN=/usr/share/john/password.lst
[ -r "$JOHN" ] || { echo "SKIP: $JOHN missing (Debian package john-data)"; exit 77; }
BUILTIN="$VIGIL_SOURCE/rules/passwords/builtin.txt"

ROOT="$WORK/root"
mkdir -p "$ROOT/etc"
SECRETS="$WORK/secrets" # every plaintext used, to check the output for leaks
: >"$SECRETS"

mk() { # mk METHOD PASSWORD [ROUNDS]: print a hash, password on stdin
        printf '%s\n' "$2" >>"$SECRETS"
        case $1 in
        openssl6) printf '%s' "$2" | openssl passwd -6 -stdin ;;
        openssl1) printf '%s' "$2" | openssl passwd -1 -stdin ;;
        *) printf '%s' "$2" | mkpasswd -s -m "$1" ${3:+-R "$3"} ;;
        esac
}

# A word of john's list that vigil's built-in list does not have.
JOHN_ONLY=$(grep -v '^#!' "$JOHN" | awk 'length($0) >= 7 && $0 ~ /^[a-z]+$/' |
        while read -r w; do grep -qxF "$w" "$BUILTIN" || { echo "$w"; break; }; done)
[ -n "$JOHN_ONLY" ] || { fail "no john-only word found"; finish; }
CUSTOM_WORD="Zebra-Kite-4711"
printf '#!comment: test dictionary\n%s\n' "$CUSTOM_WORD" >"$WORK/custom.txt"
STRONG1=$(openssl rand -base64 18)
STRONG2=$(openssl rand -base64 18)
STRONG3=$(openssl rand -base64 18)

{
        echo "root:*:19000:0:99999:7:::"
        echo "ann:$(mk openssl6 sunshine):19000:0:99999:7:::"
        echo "ben:$(mk openssl1 letmein):19000:0:99999:7:::"
        echo "cat:$(mk yescrypt monkey 1):19000:0:99999:7:::"
        echo "dan:$(mk bcrypt qwerty123 4):19000:0:99999:7:::"
        echo "eva:$(mk des dragon):19000:0:99999:7:::"
        echo "fay:$(mk sha256crypt princess):19000:0:99999:7:::"
        echo "gus:$(mk gost-yescrypt football 1):19000:0:99999:7:::"
        echo "carol:$(mk yescrypt Carol123 1):19000:0:99999:7:::"
        echo "hal:$(mk openssl6 "$JOHN_ONLY"):19000:0:99999:7:::"
        echo "ivy:$(mk yescrypt "$CUSTOM_WORD" 1):19000:0:99999:7:::"
        echo "strong1:$(mk yescrypt "$STRONG1" 1):19000:0:99999:7:::"
        echo "strong2:$(mk sha512crypt "$STRONG2" 1000):19000:0:99999:7:::"
        echo "nopass::19000:0:99999:7:::"
        echo "locked:!$(mk openssl6 trustno1):19000:0:99999:7:::"
        echo "never:!:19000:0:99999:7:::"
        echo "broken line without fields"
} >"$ROOT/etc/shadow"
printf 'root:x:0:0:root:/root:/bin/bash\nann:x:1000:1000::/home/ann:/bin/bash\nold:%s:1001:1001::/home/old:/bin/sh\n' \
        "$(mk des iloveyou)" >"$ROOT/etc/passwd"

cat >"$WORK/vigil.yml" <<EOY
weak_password:
  budget_per_hash: 600
  budget_total: 3000
  system_dictionaries: [$JOHN]
  dictionary: $WORK/custom.txt
EOY
V() { "$VIGIL" --state "$WORK/state" --config "$WORK/vigil.yml" "$@"; }

if run 1 V scan --root "$ROOT" --only weak_password --format json; then
        cp "$WORK/out" "$WORK/report.json"
        check() { # check ACCOUNT CHECK LIST HASHTYPE
                if jq -e --arg a "$1" --arg c "$2" --arg l "$3" --arg t "$4" \
                        '[.findings[] | select(.category=="weak_password" and .check==$c and .evidence.account==$a and .evidence.matched_list==$l and .level=="high" and ($t=="" or .evidence.hash_type==$t))] | length == 1' \
                        "$WORK/report.json" >/dev/null; then
                        ok "$1: $2 from '$3'"
                else
                        fail "$1: no $2 finding from '$3' ($4): $(jq -c --arg a "$1" '[.findings[]|select(.evidence.account==$a)]' "$WORK/report.json")"
                fi
        }
        check ann account.weak-password "built-in common passwords" sha512crypt
        check ben account.weak-password "built-in common passwords" md5crypt
        check cat account.weak-password "built-in common passwords" yescrypt
        check dan account.weak-password "built-in common passwords" bcrypt
        check eva account.weak-password "built-in common passwords" descrypt
        check fay account.weak-password "built-in common passwords" sha256crypt
        check gus account.weak-password "built-in common passwords" gost-yescrypt
        check carol account.weak-password "account name variant" yescrypt
        check hal account.weak-password "john password.lst" sha512crypt
        check ivy account.weak-password "custom dictionary" yescrypt
        check nopass account.empty-password "empty" ""
        check old account.weak-password "built-in common passwords" descrypt
        for a in root strong1 strong2 locked never; do
                if jq -e --arg a "$a" '[.findings[] | select(.evidence.account==$a)] | length == 0' \
                        "$WORK/report.json" >/dev/null; then
                        ok "$a not reported"
                else
                        fail "$a reported"
                fi
        done
        jq -e '[.findings[] | select(.category=="weak_password")] | length == 12' "$WORK/report.json" >/dev/null &&
                ok "exactly 12 weak password findings" || fail "wrong number of findings"
        jq -e '.findings[] | select(.evidence.account=="ann") | .evidence.hint == "s******* (8 characters)"' \
                "$WORK/report.json" >/dev/null && ok "masked hint" || fail "masked hint"
        jq -e '.findings[] | select(.evidence.account=="nopass") | .remediation | contains("passwd nopass")' \
                "$WORK/report.json" >/dev/null && ok "remediation names the command" || fail "remediation"
        BROKEN=$(grep -n "broken line" "$ROOT/etc/shadow" | cut -d: -f1)
        jq -e --arg l "etc/shadow:$BROKEN" '[.notes[] | select(.source | endswith($l))] | length == 1' "$WORK/report.json" >/dev/null &&
                ok "broken line is a warning with file:line" || fail "no note for the broken line"
        jq -e '.stats.weak_password | .accounts_locked == 1 and .hashes_incomplete == null and .hashes_unsupported == null' \
                "$WORK/report.json" >/dev/null && ok "statistics" || fail "statistics: $(jq -c .stats.weak_password "$WORK/report.json")"
fi

# A strong bcrypt hash against a small list of its own: every candidate is
# checked (bcrypt is vigil's own code, and slow in sanitizer builds, hence
# the small list) and nothing is reported.
mkdir -p "$WORK/bf/etc"
echo "strong3:$(mk bcrypt "$STRONG3" 4):19000:0:99999:7:::" >"$WORK/bf/etc/shadow"
awk 'BEGIN { for (i = 0; i < 40; i++) print "word" i }' >"$WORK/bf.txt"
cat >"$WORK/bf.yml" <<EOY
weak_password:
  budget_per_hash: 0
  budget_total: 0
  builtin_list: false
  system_dictionaries: []
  dictionary: $WORK/bf.txt
EOY
if run 0 "$VIGIL" --state "$WORK/state" --config "$WORK/bf.yml" scan --root "$WORK/bf" --only weak_password --format json; then
        jq -e '(.findings | length) == 0 and .stats.weak_password.candidates_checked > 40 and .stats.weak_password.hashes_incomplete == null' \
                "$WORK/out" >/dev/null && ok "strong bcrypt: every candidate checked, not reported" ||
                fail "strong bcrypt: $(jq -c '[.findings, .stats.weak_password]' "$WORK/out")"
fi

# No password appears in any output format, nor on stderr. The JSON report
# of the full root is checked; text and SARIF on a smaller root to keep the
# test short.
leak_check() { # leak_check FORMAT
        leaked=$(while read -r pw; do
                [ -n "$pw" ] && grep -qF -- "$pw" "$WORK/out" "$WORK/err" && echo "$pw"
        done <"$SECRETS" | head -1)
        [ -z "$leaked" ] && ok "no password in $1 output" || fail "a password appears in the $1 output"
}
cp "$WORK/report.json" "$WORK/out" && : >"$WORK/err" && leak_check json
mkdir -p "$WORK/small/etc"
grep -E '^(ann|ben|eva|carol|nopass|locked):' "$ROOT/etc/shadow" >"$WORK/small/etc/shadow"
for fmt in text sarif; do
        run 1 V scan --root "$WORK/small" --only weak_password --format "$fmt" && leak_check "$fmt"
done
grep -q 'ben' "$WORK/out" && ok "sarif names the accounts" || fail "sarif output has no findings"

# A tiny budget leaves hashes incomplete with a note, never a false result.
mkdir -p "$WORK/root2/etc"
printf 'slow:%s:1::::::\n' "$(printf 'not-a-listed-Pw-93' | mkpasswd -s -m yescrypt)" >"$WORK/root2/etc/shadow"
cat >"$WORK/budget.yml" <<EOY
weak_password:
  budget_per_hash: 1
  system_dictionaries: [$JOHN]
EOY
if run 0 "$VIGIL" --state "$WORK/state" --config "$WORK/budget.yml" scan --root "$WORK/root2" --only weak_password --format json; then
        # A default-cost yescrypt needs minutes for ~5500 candidates on one
        # core, so one second always runs out first.
        jq -e '[.notes[] | select(.kind=="info" and (.message | test("slow.*time budget used up after checking [0-9]+ of [0-9]+ candidates")))] | length == 1' \
                "$WORK/out" >/dev/null && ok "budget note" || fail "no budget note: $(jq -c .notes "$WORK/out")"
        jq -e '.stats.weak_password.hashes_incomplete == 1' "$WORK/out" >/dev/null && ok "budget statistics" || fail "budget statistics"
fi

# /etc/shadow as an absolute symlink stays inside the root: the host's file
# is never read.
mkdir -p "$WORK/root3/etc"
ln -s /etc/shadow "$WORK/root3/etc/shadow"
if run 0 V scan --root "$WORK/root3" --only weak_password --format json; then
        jq -e '(.stats.weak_password.accounts // 0) == 0' "$WORK/out" >/dev/null &&
                ok "symlink out of the root not followed" || fail "host shadow read through a symlink"
fi

# Hostile files: binary garbage and a huge file do not crash or hang.
mkdir -p "$WORK/root4/etc"
head -c 200000 /dev/urandom >"$WORK/root4/etc/shadow"
head -c 100000 /dev/urandom >"$WORK/root4/etc/passwd"
# Random bytes may well form an entry with an empty password field, so
# either exit status is right; a crash or a usage error is not.
set +e
V scan --root "$WORK/root4" --only weak_password --format json >"$WORK/out" 2>"$WORK/err"
st=$?
set -e
if [ "$st" -le 1 ] && jq -e . "$WORK/out" >/dev/null; then ok "binary shadow"; else fail "binary shadow: status $st"; fi
dd if=/dev/zero of="$WORK/root4/etc/shadow" bs=1M count=0 seek=20 2>/dev/null
if run 0 V scan --root "$WORK/root4" --only weak_password --format json; then
        jq -e '[.notes[] | select(.source | endswith("etc/shadow")) | select(.message | contains("bigger than"))] | length == 1' \
                "$WORK/out" >/dev/null && ok "oversized shadow is a warning" || fail "oversized shadow: $(jq -c .notes "$WORK/out")"
fi

finish
