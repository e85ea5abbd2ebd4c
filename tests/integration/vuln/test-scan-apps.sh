#!/bin/sh
# Application components: a war under srv/ with log4j-core 2.14.1 inside,
# matched against the GHSA advisory for Log4Shell: one high finding whose
# remediation says which version to raise it to, and where.
. "$(dirname "$0")/../lib.sh"
command -v jq >/dev/null || { echo "jq is needed"; exit 77; }
PY=/usr/bin/python3

ROOT="$WORK/root"
mkdir -p "$ROOT/etc" "$ROOT/srv/tomcat/webapps"
cp "$VIGIL_FIXTURES/vuln/root-debian12/etc/os-release" "$ROOT/etc/os-release"
"$PY" "$(dirname "$0")/make-war.py" "$ROOT/srv/tomcat/webapps/shop.war" \
        org.apache.logging.log4j:log4j-core:2.14.1 org.apache.logging.log4j:log4j-api:2.14.1
"$PY" "$(dirname "$0")/make-war.py" "$ROOT/srv/tomcat/webapps/fixed.war" \
        org.apache.logging.log4j:log4j-core:2.17.1

run 0 "$VIGIL" --state "$WORK/st" feed import "$VIGIL_FIXTURES/vuln/feeds/ghsa-log4j.json" &&
        ok "GHSA record imported"
run 1 "$VIGIL" --state "$WORK/st" scan --root "$ROOT" --only vulnerability --format json &&
        ok "log4shell is high: exit 1"
cp "$WORK/out" "$WORK/scan.json"
[ "$(jq '.findings | length' "$WORK/scan.json")" -eq 1 ] && ok "exactly one finding" ||
        fail "findings: $(jq -c '[.findings[].title]' "$WORK/scan.json")"
jq -r '.findings[0] | [.check, .level, .title, .remediation, .evidence.manifest,
        .evidence.installed_version, .evidence.fixed_version, .evidence.cvss_score,
        .evidence.location] | join("|")' \
        "$WORK/scan.json" >"$WORK/f"
LOC="$ROOT/srv/tomcat/webapps/shop.war!/WEB-INF/lib/log4j-core-2.14.1.jar"
expect_in "$WORK/f" "GHSA-jfh8-c2jp-5v3q|high|" "GHSA check, high"
expect_in "$WORK/f" "org.apache.logging.log4j:log4j-core 2.14.1: CVE-2021-44228 (GHSA-jfh8-c2jp-5v3q)" "title"
expect_in "$WORK/f" "raise org.apache.logging.log4j:log4j-core to ≥ 2.15.0 in $LOC" "remediation: raise … in …"
expect_in "$WORK/f" "|$LOC|2.14.1|2.15.0|10.0|$LOC!/META-INF/maven/" "evidence: jar, versions, CVSS, location"
expect_not_in "$WORK/f" "fixed.war" "the fixed application is not reported"
jq -r '.stats.vulnerability.components' "$WORK/scan.json" >"$WORK/c"
expect_in "$WORK/c" "3" "three components seen"
finish
