#!/bin/sh
# The baseline scanner through the real binary: the shipped policy on the
# good and bad fixture roots (text and JSON), on this host, a public Wazuh
# SCA policy unchanged, a malformed policy, TLS certificates made with
# openssl, and command rules with and without permission.
. "$(dirname "$0")/../lib.sh"
: "${VIGIL_FIXTURES:?}" "${VIGIL_SOURCE:?}"
roots="$VIGIL_FIXTURES/baseline/roots"
sh "$roots/prepare.sh" good "$WORK/good"
sh "$roots/prepare.sh" bad "$WORK/bad"
n_checks=$(grep -c '^  - id: ' "$VIGIL_SOURCE/rules/policies/vigil-linux.yml")

json() { # json FILE PYTHON-EXPRESSION-ON-d
        python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

# Good root: every check passes, nothing to report, exit 0.
if run 0 "$VIGIL" scan --only baseline --root "$WORK/good" --no-progress --color never; then
        expect_in "$WORK/out" "baseline: vigil Linux baseline: $n_checks of $n_checks checks passed (100%), 0 failed, 0 not applicable" "good root passes every check"
        expect_in "$WORK/out" "No risks found." "good root has no findings"
fi

# Bad root: every check fails; high risks make the exit status 1.
if run 1 "$VIGIL" scan --only baseline --root "$WORK/bad" --no-progress --color never; then
        expect_in "$WORK/out" "baseline: vigil Linux baseline: 0 of $n_checks checks passed (0%), $n_checks failed, 0 not applicable" "bad root fails every check"
        expect_in "$WORK/out" "Accounts: an account has an empty password" "empty password reported"
fi
if run 1 "$VIGIL" scan --only baseline --root "$WORK/bad" --format json; then
        cp "$WORK/out" "$WORK/bad.json"
        [ "$(json "$WORK/bad.json" "len([f for f in d['findings'] if f['check'].startswith('vigil-linux:')])")" = "$n_checks" ] &&
                ok "one finding per failed check" || fail "finding count is not $n_checks"
        [ "$(json "$WORK/bad.json" "[f for f in d['findings'] if f['check']=='vigil-linux:ssh-root-login'][0]['evidence']['file']")" = "$WORK/bad/etc/ssh/sshd_config.d/50-cloud-init.conf" ] &&
                ok "sshd: first match wins across Include (evidence names the drop-in)" ||
                fail "ssh-root-login evidence: $(json "$WORK/bad.json" "[f for f in d['findings'] if f['check']=='vigil-linux:ssh-root-login'][0]['evidence']")"
        [ "$(json "$WORK/bad.json" "[f for f in d['findings'] if f['check']=='vigil-linux:accounts-empty-password'][0]['level']")" = high ] &&
                ok "empty password is high" || fail "empty password level"
        [ "$(json "$WORK/bad.json" "'cis:5.2.7' in [f for f in d['findings'] if f['check']=='vigil-linux:ssh-root-login'][0]['tags']")" = True ] &&
                ok "compliance tags flattened" || fail "compliance tags"
        [ "$(json "$WORK/bad.json" "d['stats']['baseline']['checks_failed']")" = "$n_checks" ] &&
                ok "statistics count the failures" || fail "statistics"
fi
# --tag keeps only the findings of one control.
if run 1 "$VIGIL" scan --only baseline --root "$WORK/bad" --tag cis:6.2.10 --format json; then
        [ "$(json "$WORK/out" "[f['check'] for f in d['findings']]")" = "['vigil-linux:accounts-uid0']" ] &&
                ok "--tag cis:6.2.10" || fail "--tag cis:6.2.10: $(head -c 300 "$WORK/out")"
fi

# This host: the scan runs and reports a pass rate (its findings depend on
# the host, so only the status is checked: 0 or 1, never 2).
set +e
"$VIGIL" scan --only baseline --no-progress --color never >"$WORK/host" 2>"$WORK/host.err"
st=$?
set -e
[ "$st" -le 1 ] && ok "host scan runs (status $st)" || fail "host scan status $st: $(head -c 500 "$WORK/host.err")"
expect_in "$WORK/host" "baseline: vigil Linux baseline: " "host pass rate printed"

# A policy in the public Wazuh SCA format runs unchanged: every check parsed
# and decided. The sample is ours; public CIS policy files (Wazuh's
# ruleset/sca/**.yml) can be checked the same way by pointing
# VIGIL_PUBLIC_SCA_DIR at a folder of them.
for src in "$VIGIL_FIXTURES/baseline/sca-format/"*.yml ${VIGIL_PUBLIC_SCA_DIR:+"$VIGIL_PUBLIC_SCA_DIR"/*.yml}; do
        rm -rf "$WORK/public"
        mkdir -p "$WORK/public"
        cp "$src" "$WORK/public/"
        f="$WORK/public/$(basename "$src")"
        printf 'baseline:\n  policy_dirs: ["%s"]\n  builtin_policy: false\n  tls_certificates: false\n' "$WORK/public" >"$WORK/public.yml"
        total=$(grep -c '^  - id: ' "$f")
        name=$(sed -n 's/^  name: "\(.*\)"$/\1/p' "$f" | head -1)
        for root in / "$WORK/good" "$WORK/bad"; do
                set +e
                "$VIGIL" --config "$WORK/public.yml" scan --only baseline --root "$root" --format json >"$WORK/pub.json" 2>"$WORK/pub.err"
                set -e
                warnings=$(json "$WORK/pub.json" "len([n for n in d['notes'] if n['kind']!='info'])")
                [ "$warnings" = 0 ] && ok "$(basename "$f") on $root: no parse warnings" ||
                        fail "$(basename "$f") on $root: warnings $(json "$WORK/pub.json" "[n for n in d['notes'] if n['kind']!='info']")"
                if grep -qF "baseline: $name: not applicable to this system" "$WORK/pub.json"; then
                        # The requirements (e.g. /etc/debian_version and
                        # /proc/sys/kernel/ostype) do not hold in a bare
                        # fixture root; only the host must meet them.
                        [ "$root" != / ] && ok "$(basename "$f") on $root: not applicable (requirements)" ||
                                fail "$(basename "$f") on the host: requirements not met"
                        continue
                fi
                counted=$(json "$WORK/pub.json" "d['stats']['baseline'].get('checks_passed',0)+d['stats']['baseline'].get('checks_failed',0)+d['stats']['baseline'].get('checks_not_applicable',0)")
                [ "$counted" = "$total" ] && ok "$(basename "$f") on $root: $total checks decided" ||
                        fail "$(basename "$f") on $root: $counted of $total checks decided"
                expect_in "$WORK/pub.json" "baseline: $name: " "$(basename "$f") on $root: pass rate note"
        done
done

# A malformed policy: a warning with file:line:column and the check id; the
# other checks of the file still run.
mkdir -p "$WORK/mine"
cat >"$WORK/mine/mine.yml" <<'YML'
policy:
  id: mine
  name: Mine
checks:
  - id: good-one
    title: passwd exists
    condition: all
    rules: ['f:/etc/passwd']
  - id: bad-one
    title: broken rule
    condition: all
    rules:
      - 'f:/etc/passwd -> n:^x compare > 1'
YML
printf 'baseline:\n  policy_dirs: ["%s"]\n  builtin_policy: false\n  tls_certificates: false\n' "$WORK/mine" >"$WORK/mine.cfg"
if run 0 "$VIGIL" --config "$WORK/mine.cfg" scan --only baseline --root "$WORK/good" --no-progress --color never; then
        expect_in "$WORK/out" "warning: $WORK/mine/mine.yml:13:9: numeric test 'n:^x compare > 1' needs a capture group around the number, e.g. (\d+) (check bad-one)" "malformed check named with position"
        expect_in "$WORK/out" "baseline: Mine: 1 of 1 checks passed (100%)" "other checks still run"
fi

# Command rules: not run unless allowed and the file is root-owned and not
# group/world-writable; "$(id)" is never expanded.
cat >"$WORK/mine/cmd.yml" <<'YML'
policy: {id: cmd, name: Cmd}
checks:
  - id: literal
    title: no shell
    condition: all
    rules: ['c:echo $(id) -> $(id)']
YML
chmod 0644 "$WORK/mine/cmd.yml"
printf 'baseline:\n  policy_dirs: ["%s"]\n  builtin_policy: false\n  tls_certificates: false\n  policies: [cmd]\n' "$WORK/mine" >"$WORK/cmd-off.cfg"
if run 0 "$VIGIL" --config "$WORK/cmd-off.cfg" scan --only baseline --no-progress --color never; then
        expect_in "$WORK/out" "baseline: Cmd: no applicable checks, 1 not applicable" "commands off by default"
fi
if [ "$(id -u)" = 0 ]; then
        printf '  allow_commands: true\n' | cat "$WORK/cmd-off.cfg" - >"$WORK/cmd-on.cfg"
        if run 0 "$VIGIL" --config "$WORK/cmd-on.cfg" scan --only baseline --no-progress --color never; then
                expect_in "$WORK/out" "baseline: Cmd: 1 of 1 checks passed" "allowed command runs without a shell"
        fi
        chmod 0666 "$WORK/mine/cmd.yml"
        if run 0 "$VIGIL" --config "$WORK/cmd-on.cfg" scan --only baseline --no-progress --color never; then
                expect_in "$WORK/out" "is not root-owned or is group/world-writable" "writable policy may not run commands"
        fi
        if run 0 "$VIGIL" --config "$WORK/cmd-on.cfg" scan --only baseline --root "$WORK/good" --no-progress --color never; then
                expect_in "$WORK/out" "baseline: Cmd: no applicable checks, 1 not applicable" "no commands under --root"
        fi
fi

# TLS certificates made with openssl: an expired one named by nginx, one
# expiring in 10 days, a 1024-bit key, a SHA-1 signature.
t="$WORK/bad/etc/ssl/web"
mkdir -p "$t" "$WORK/bad/etc/nginx/sites-enabled" "$WORK/ca/newcerts"
(
        cd "$WORK/ca"
        touch index.txt
        echo 01 >serial
        printf '[ca]\ndefault_ca=t\n[t]\ndir=.\ndatabase=./index.txt\nnew_certs_dir=./newcerts\nserial=./serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n' >ca.cnf
        openssl req -new -newkey rsa:2048 -nodes -keyout old.key -out old.csr -subj /CN=old.test 2>/dev/null
        openssl ca -batch -config ca.cnf -selfsign -keyfile old.key -in old.csr -out "$t/expired.pem" \
                -startdate 20200101000000Z -enddate 20200201000000Z 2>/dev/null
)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/k1" -out "$t/soon.pem" -days 10 -subj /CN=soon.test 2>/dev/null
openssl req -x509 -newkey rsa:1024 -nodes -keyout "$WORK/k2" -out "$t/weak.pem" -days 365 -subj /CN=weak.test 2>/dev/null
openssl req -x509 -newkey rsa:2048 -sha1 -nodes -keyout "$WORK/k3" -out "$t/sha1.pem" -days 365 -subj /CN=sha1.test 2>/dev/null
printf 'server {\n  listen 443 ssl;\n  ssl_certificate /etc/ssl/web/expired.pem;\n}\n' >"$WORK/bad/etc/nginx/sites-enabled/site"
if run 1 "$VIGIL" scan --only baseline --root "$WORK/bad" --format json; then
        tls=$(json "$WORK/out" "sorted((f['check'], f['level'], f['evidence']['file'].rsplit('/',1)[1]) for f in d['findings'] if f['check'].startswith('vigil-tls:'))")
        [ "$tls" = "[('vigil-tls:expired', 'medium', 'expired.pem'), ('vigil-tls:expiring', 'low', 'soon.pem'), ('vigil-tls:weak-key', 'medium', 'weak.pem'), ('vigil-tls:weak-signature', 'medium', 'sha1.pem')]" ] &&
                ok "TLS certificate findings" || fail "TLS findings: $tls"
        [ "$(json "$WORK/out" "[f for f in d['findings'] if f['check']=='vigil-tls:expired'][0]['evidence']['named_by']")" = "/etc/nginx/sites-enabled/site:3" ] &&
                ok "expired certificate names the nginx config" || fail "named_by"
fi
finish
