#!/bin/sh
# The vulnerability scanner on a --root fixture (Debian 12, a dpkg status
# with tricky versions: ~deb12u1, epochs, binNMU +b2 where the binary
# version differs from the source version, a removed package, a kernel)
# against an OSV feed and a Debian tracker feed with known ranges: exactly
# the expected (package, advisory) findings, with levels, fixed versions
# and remediation; exit status 1 with a high finding, 0 without; and the
# same root without a feed.
. "$(dirname "$0")/../lib.sh"
command -v jq >/dev/null || { echo "jq is needed"; exit 77; }

ROOT="$VIGIL_FIXTURES/vuln/root-debian12"
FEEDS="$VIGIL_FIXTURES/vuln/feeds"
ST="$WORK/state"

# (2) No feed: a note says so and how to get one; status 0.
run 0 "$VIGIL" --state "$WORK/empty" scan --root "$ROOT" --only vulnerability --format json &&
        ok "no feed: exit 0"
jq -r '.notes[] | select(.source == "vulnerability") | .kind + " " + .message' "$WORK/out" >"$WORK/notes"
expect_in "$WORK/notes" "info there is no vulnerability feed in $WORK/empty/feeds.db" "no feed: note"
expect_in "$WORK/notes" "vigil feed update" "no feed: note names 'vigil feed update'"
expect_in "$WORK/notes" "vigil feed import FILE" "no feed: note names 'vigil feed import'"
[ "$(jq '.findings | length' "$WORK/out")" -eq 0 ] && ok "no feed: no findings" || fail "no feed: findings"

# (1) Import both feeds, then scan.
run 0 "$VIGIL" --state "$ST" feed import "$FEEDS/debian-osv.json" "$FEEDS/debian-tracker.json" &&
        ok "feeds imported"
expect_in "$WORK/out" "debian-osv.json: 12 entries: 12 new" "OSV counts"
expect_in "$WORK/out" "debian-tracker.json: 8 entries: 8 new" "tracker counts"
run 1 "$VIGIL" --state "$ST" scan --root "$ROOT" --only vulnerability --format json &&
        ok "high finding: exit 1"
cp "$WORK/out" "$WORK/scan.json"
jq -r '.findings[] | [.check, .evidence.package, .level, .evidence.installed_version,
        (.evidence.fixed_version // "-"), .remediation] | @tsv' "$WORK/scan.json" | sort >"$WORK/got"
cat >"$WORK/want" <<'WANT'
CVE-2023-45853	zlib	low	1:1.2.13.dfsg-1	-	no fix available yet: watch CVE-2023-45853 and run 'apt-get install --only-upgrade zlib1g' once a fixed version is published; until then limit who can reach the programs that use zlib
CVE-2024-0727	openssl	medium	3.0.11-1~deb12u1	-	no fix available yet: watch CVE-2024-0727 and run 'apt-get install --only-upgrade libssl3 openssl' once a fixed version is published; until then limit who can reach the programs that use openssl
CVE-2024-11111	linux-atm	medium	1:2.5.1-4	1:2.5.1-5	apt-get install --only-upgrade libatm1
DSA-5555-1	openssl	high	3.0.11-1~deb12u1	3.0.11-1~deb12u2	apt-get install --only-upgrade libssl3 openssl
DSA-5700-1	linux	high	6.1.76-1	6.1.82-1	apt-get install --only-upgrade linux-image-amd64, then reboot into the new kernel
DSA-5800-1	util-linux	low	2.38.1-5+deb12u3	2.38.1-5+deb12u4	apt-get install --only-upgrade bsdutils util-linux
WANT
if diff -u "$WORK/want" "$WORK/got" >"$WORK/diff"; then
        ok "exactly the expected findings"
else
        fail "findings differ: $(cat "$WORK/diff")"
fi

# Details of single findings.
jq -r '.findings[] | select(.check == "DSA-5555-1") | .title' "$WORK/scan.json" >"$WORK/t"
expect_in "$WORK/t" "openssl 3.0.11-1~deb12u1: CVE-2023-5678, CVE-2023-6129 (DSA-5555-1)" "DSA title with its CVEs"
jq -r '.findings[] | select(.check == "DSA-5555-1") | .evidence.cves + " " + .evidence.cvss_score' \
        "$WORK/scan.json" >"$WORK/t"
expect_in "$WORK/t" "CVE-2023-5678, CVE-2023-6129 9.8" "per-CVE records folded into the DSA, CVSS 9.8"
jq -r '.findings[] | select(.check == "CVE-2024-0727") | .title + "|" + .detail' "$WORK/scan.json" >"$WORK/t"
expect_in "$WORK/t" "no fix available yet" "unfixed is said so"
jq -r '.findings[] | select(.check == "CVE-2024-11111") | .evidence.cvss_vector + " " + .evidence.cvss_score' \
        "$WORK/scan.json" >"$WORK/t"
expect_in "$WORK/t" "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:P/VC:L/VI:L/VA:N/SC:L/SI:N/SA:N 4.8" "CVSS 4.0 scored"
jq -r '.findings[] | select(.check == "DSA-5800-1") | .evidence.severity_source + " " + .evidence.binary_packages' \
        "$WORK/scan.json" >"$WORK/t"
expect_in "$WORK/t" "debian urgency bsdutils 1:2.38.1-5+deb12u3, util-linux 2.38.1-5+deb12u3" "urgency decides without CVSS"
jq -r '.findings[] | select(.check == "DSA-5555-1") | .references[]' "$WORK/scan.json" >"$WORK/t"
expect_in "$WORK/t" "https://www.debian.org/security/2023/dsa-5555" "advisory URL referenced"
expect_in "$WORK/t" "CVE-2023-6129" "CVE id referenced"
[ "$(jq '[.findings[] | .evidence.cves // "" | split(", ")[] | select(. == "CVE-2023-5678")] | length' \
        "$WORK/scan.json")" -eq 1 ] && ok "a CVE is reported once per package" || fail "CVE reported twice"
jq -r '.stats.vulnerability | "\(.packages) \(.kernel_packages_skipped)"' "$WORK/scan.json" >"$WORK/t"
expect_in "$WORK/t" "11 2" "statistics: 11 installed packages; linux-libc-dev and the kernel metapackage not matched on their own"

# Text output carries the fix.
run 1 "$VIGIL" --state "$ST" scan --root "$ROOT" --only vulnerability --color never
expect_in "$WORK/out" "apt-get install --only-upgrade libssl3 openssl" "text report shows remediation"

# Without the high ones (tracker only: medium and low), exit status 0.
run 0 "$VIGIL" --state "$WORK/low" feed import "$FEEDS/debian-tracker.json" && ok "tracker imported alone"
run 0 "$VIGIL" --state "$WORK/low" scan --root "$ROOT" --only vulnerability --format json &&
        ok "no high finding: exit 0"
[ "$(jq '[.findings[] | select(.level == "high")] | length' "$WORK/out")" -eq 0 ] &&
        ok "no high finding in the tracker-only scan" || fail "high finding without CVSS"

# Re-importing changes nothing and the scan gives the same findings.
run 0 "$VIGIL" --state "$ST" feed import "$FEEDS/debian-osv.json" "$FEEDS/debian-tracker.json"
expect_in "$WORK/out" "total: 20 entries: 0 new, 0 updated, 20 unchanged" "re-import is idempotent"
run 1 "$VIGIL" --state "$ST" scan --root "$ROOT" --only vulnerability --format json
jq -r '.findings[] | [.check, .evidence.package, .level, .evidence.installed_version,
        (.evidence.fixed_version // "-"), .remediation] | @tsv' "$WORK/out" | sort >"$WORK/got2"
cmp -s "$WORK/got" "$WORK/got2" && ok "same findings after re-import" || fail "findings changed after re-import"
finish
