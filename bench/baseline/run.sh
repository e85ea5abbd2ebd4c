#!/bin/sh
# Benchmark: vigil's baseline scanner with the shipped policy on this host,
# side by side with `lynis audit system --quick` in the same run. Prints wall
# time, CPU time and peak memory of each (from /usr/bin/time), three runs of
# vigil and one of Lynis (it takes far longer). Not part of the test suite.
# Usage: bench/baseline/run.sh BUILD_DIR
set -eu
build=${1:?usage: run.sh BUILD_DIR}
vigil="$build/src/cli/vigil"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fmt='%e s wall, %U s user, %S s sys, %M KiB max RSS'
echo "host: $(uname -srm), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in 1 2 3; do
        /usr/bin/time -f "vigil scan --only baseline (run $i): $fmt" \
                "$vigil" scan --only baseline --no-progress --format json >"$out/vigil.json" 2>"$out/vigil.err" || true
        tail -1 "$out/vigil.err"
done
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); b=d['stats']['baseline']; print('vigil: checks passed %d, failed %d, not applicable %d, files read %d' % (b.get('checks_passed',0), b.get('checks_failed',0), b.get('checks_not_applicable',0), b.get('files_read',0)))" "$out/vigil.json"
if command -v lynis >/dev/null; then
        /usr/bin/time -f "lynis audit system --quick: $fmt" \
                lynis audit system --quick --no-colors --quiet --no-log \
                --report-file "$out/lynis-report.dat" >"$out/lynis.out" 2>"$out/lynis.err" || true
        tail -1 "$out/lynis.err"
        echo "lynis: $(grep -c '^suggestion\[\]=' "$out/lynis-report.dat" 2>/dev/null || echo 0) suggestions, $(grep -c '^warning\[\]=' "$out/lynis-report.dat" 2>/dev/null || echo 0) warnings, $(sed -n 's/^tests_executed=//p' "$out/lynis-report.dat" | tr '|' '\n' | grep -c . || true) tests run, hardening index $(sed -n 's/^hardening_index=//p' "$out/lynis-report.dat")"
else
        echo "lynis: not installed"
fi
