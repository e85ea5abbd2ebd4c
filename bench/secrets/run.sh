#!/bin/sh
# Secret scanning benchmark: vigil's secret scanner against ripgrep running
# the same rule patterns on the same files, on a generated mixed text corpus
# with planted secrets, in the page cache; then walking 1,000,000 small
# files against "rg --files"; peak RSS of each run.
#
# Usage: bench/secrets/run.sh [BUILD_DIR]
# Environment: WORK (default /tmp/vigil-secbench), CORPUS_MB (1024),
# SMALL_FILES (1000000), RUNS (3), RG_RUNS (1: ripgrep with the PCRE2 patterns
# takes minutes per run). The corpus and the small-file tree are
# kept in WORK between runs (delete it to regenerate).
# Prints a Markdown report on standard output. Never run by the test suite.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
work=${WORK:-/tmp/vigil-secbench}
corpus_mb=${CORPUS_MB:-1024}
small=${SMALL_FILES:-1000000}
runs=${RUNS:-3}
rg_runs=${RG_RUNS:-1}
vigil="$build/src/cli/vigil"
rules="$src/rules/secrets/rules.yml"
mkdir -p "$work"
[ -x "$vigil" ] || { echo "no vigil binary in $build; build first" >&2; exit 2; }
command -v rg >/dev/null || { echo "ripgrep (rg) is needed" >&2; exit 2; }

log() { echo "$*" >&2; }

# --- inputs -----------------------------------------------------------------
if [ ! -f "$work/corpus/manifest.tsv" ]; then
        log "generating ${corpus_mb} MiB corpus in $work/corpus"
        rm -rf "$work/corpus"
        python3 "$here/gen_corpus.py" "$work/corpus" --size "$corpus_mb" >&2
fi
if [ ! -f "$work/small/.done" ]; then
        log "creating $small small files in $work/small"
        rm -rf "$work/small"
        python3 - "$work/small" "$small" <<'EOF'
import os, sys
top, n = sys.argv[1], int(sys.argv[2])
line = b"host=app%d.internal port=%d user=svc%d retries=3 timeout=30s\n"
for i in range(n):
    d = os.path.join(top, "d%04d" % (i // 1000))
    if i % 1000 == 0:
        os.makedirs(d, exist_ok=True)
    fd = os.open(os.path.join(d, "f%04d.conf" % (i % 1000)), os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, (line % (i, 1000 + i % 5000, i % 97)) * 2)
    os.close(fd)
open(os.path.join(top, ".done"), "w").close()
EOF
fi

# The rules' PCRE2 patterns, one per line, for "rg -P -f".
python3 "$here/rg_patterns.py" "$rules" >"$work/patterns.txt"
npat=$(wc -l <"$work/patterns.txt")

# Engine-only throughput (no reading, no walking), built against BUILD_DIR.
cc -O2 -I"$src/src" $(pkg-config --cflags libhs) "$here/engine_bench.c" \
        "$build/src/scan/libvigil_scan.a" "$build/src/inventory/libvigil_inventory.a" \
        "$build/src/core/libvigil_core.a" $(pkg-config --libs libhs libpcre2-8 jansson yaml-0.1 libcrypto zlib) \
        -lstdc++ -lm -lpthread -o "$work/engine_bench"
cc -O2 -I"$src/src" "$here/walk_bench.c" "$build/src/core/libvigil_core.a" \
        $(pkg-config --libs jansson yaml-0.1 libcrypto) -lpthread -o "$work/walk_bench"

warm() { find "$1" -type f -exec cat {} + >/dev/null 2>&1 || true; }
bytes=$(du -sb "$work/corpus" | cut -f1)
files=$(find "$work/corpus" -type f -name 'f*' | wc -l)
planted=$(wc -l <"$work/corpus/manifest.tsv")

# timed NAME CMD...: run RUNS times; keep the fastest wall time, its CPU
# time and the largest RSS in $work/NAME.time ("wall cpu rss_kb").
timed() {
        name=$1
        shift
        n=$runs
        case $name in rg1 | rg2 | rgsmall) n=$rg_runs ;; esac
        best=""
        for i in $(seq "$n"); do
                /usr/bin/time -f "%e %U %S %M" -o "$work/$name.t" "$@" >"$work/$name.out" 2>"$work/$name.err" || true
                t=$(tail -1 "$work/$name.t")
                wall=$(echo "$t" | cut -d' ' -f1)
                cpu=$(echo "$t" | awk '{ printf "%.2f", $2 + $3 }')
                rss=$(echo "$t" | cut -d' ' -f4)
                if [ -z "$best" ] || awk -v a="$wall" -v b="$(echo "$best" | cut -d' ' -f1)" 'BEGIN { exit !(a < b) }'; then
                        best="$wall $cpu $rss"
                fi
        done
        echo "$best" >"$work/$name.time"
}
mbps() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.0f", b / 1e6 / s }'; }

log "warming the page cache"
warm "$work/corpus"
warm "$work/corpus"

log "vigil -j1 / -j2"
timed vigil1 "$vigil" --state "$work/state" scan --only secret --no-progress -j1 --format json "$work/corpus"
timed vigil2 "$vigil" --state "$work/state" scan --only secret --no-progress -j2 --format json "$work/corpus"
log "rg -P -j1 / -j2 with the same $npat patterns"
timed rg1 rg -P -j1 --no-config --no-ignore --hidden -n --no-heading -f "$work/patterns.txt" "$work/corpus"
timed rg2 rg -P -j2 --no-config --no-ignore --hidden -n --no-heading -f "$work/patterns.txt" "$work/corpus"
log "engine only"
"$work/engine_bench" "$rules" 2 $(find "$work/corpus" -type f -name 'f*' | sort) >"$work/engine.out" 2>/dev/null

# Findings: planted secrets found by vigil at their exact path:line:column;
# lines holding a planted secret that ripgrep printed (rg's match starts
# where the pattern starts, not the secret, so lines are compared).
jq -r '.findings[].evidence.locations[]' "$work/vigil1.out" | sort -u >"$work/vigil.locs"
found_vigil=$(awk -F '\t' '{ print $1 ":" $2 ":" $3 }' "$work/corpus/manifest.tsv" | sort -u |
        comm -12 - "$work/vigil.locs" | wc -l)
cut -d: -f1,2 "$work/rg1.out" | sort -u >"$work/rg.locs"
planted_lines=$(awk -F '\t' '{ print $1 ":" $2 }' "$work/corpus/manifest.tsv" | sort -u | wc -l)
found_rg=$(awk -F '\t' '{ print $1 ":" $2 }' "$work/corpus/manifest.tsv" | sort -u |
        comm -12 - "$work/rg.locs" | wc -l)
vigil_findings=$(jq '[.findings[].evidence.locations_count] | add // 0' "$work/vigil1.out")
rg_lines=$(wc -l <"$work/rg1.out")

# 1,000,000 small files.
log "small files: rg --files, vigil"
warm "$work/small"
timed rgfiles sh -c "rg --files --no-config --no-ignore --hidden '$work/small' | wc -l"
timed rgfiles1 sh -c "rg -j1 --files --no-config --no-ignore --hidden '$work/small' | wc -l"
timed walk "$work/walk_bench" "$work/small"
timed walkstat "$work/walk_bench" --stat-all "$work/small"
timed vsmall2 "$vigil" --state "$work/state" scan --only secret --no-progress -j2 --format json "$work/small"
timed vsmall1 "$vigil" --state "$work/state" scan --only secret --no-progress -j1 --format json "$work/small"
timed rgsmall rg -P -j2 --no-config --no-ignore --hidden -c -f "$work/patterns.txt" "$work/small"
nsmall=$(jq '.stats.secret.files_scanned' "$work/vsmall2.out")

f() { cut -d' ' -f"$2" "$work/$1.time"; }
cat <<EOF
## Secret scanning

Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores,
$(free -g | awk '/Mem:/ { print $2 }') GiB RAM, $(uname -sr); $(rg --version | head -1);
Hyperscan $(pkg-config --modversion libhs), PCRE2 $(pkg-config --modversion libpcre2-8).
Build: \`$(basename "$build")\` ($(grep -m1 'buildtype' "$build/meson-info/intro-buildoptions.json" >/dev/null 2>&1 && echo meson) $(meson introspect --buildoptions "$build" 2>/dev/null | jq -r '.[] | select(.name=="buildtype") | .value' 2>/dev/null || echo "?")).
Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg). Best of $runs runs ($rg_runs for \`rg -P\`), warm page cache.

Corpus: \`bench/secrets/gen_corpus.py\` (seed 20240601), $(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1048576 }') MiB in $files files
(source code, YAML/INI, logs, prose, base64, minified JSON up to 24 MiB on one line),
$planted planted secrets of 14 kinds. Rules: $npat (\`rules/secrets/rules.yml\`); ripgrep runs
the same $npat PCRE2 patterns from one file (\`rg -P -f\`; the default engine cannot take
their lookarounds and back-references).

| run | wall s | CPU s (user+sys) | throughput (wall) | peak RSS | planted found | reported |
|---|---|---|---|---|---|---|
| vigil, 1 thread | $(f vigil1 1) | $(f vigil1 2) | $(mbps "$(f vigil1 1)") MB/s | $(( $(f vigil1 3) / 1024 )) MB | $found_vigil / $planted at path:line:column | $vigil_findings secrets |
| vigil, 2 threads | $(f vigil2 1) | $(f vigil2 2) | $(mbps "$(f vigil2 1)") MB/s | $(( $(f vigil2 3) / 1024 )) MB | | |
| rg -P, 1 thread | $(f rg1 1) | $(f rg1 2) | $(mbps "$(f rg1 1)") MB/s | $(( $(f rg1 3) / 1024 )) MB | $found_rg / $planted_lines lines | $rg_lines lines |
| rg -P, 2 threads | $(f rg2 1) | $(f rg2 2) | $(mbps "$(f rg2 1)") MB/s | $(( $(f rg2 3) / 1024 )) MB | | |

Engine only (buffers in memory, one thread, CPU time): $(cat "$work/engine.out").

Walking $small small files (two 62-byte lines each, 1000 per directory):

| run | wall s | CPU s | peak RSS |
|---|---|---|---|
| \`rg --files\` (2 threads) | $(f rgfiles 1) | $(f rgfiles 2) | $(( $(f rgfiles 3) / 1024 )) MB |
| \`rg --files -j1\` | $(f rgfiles1 1) | $(f rgfiles1 2) | $(( $(f rgfiles1 3) / 1024 )) MB |
| vigil's walker alone as the scanner runs it (core/walk.h with \`trust_dtype\`, 1 thread, no reads; \`bench/secrets/walk_bench.c\`) | $(f walk 1) | $(f walk 2) | $(( $(f walk 3) / 1024 )) MB |
| vigil's walker stat'ing every entry (its default; \`walk_bench --stat-all\`) | $(f walkstat 1) | $(f walkstat 2) | $(( $(f walkstat 3) / 1024 )) MB |
| vigil, 2 threads (walk, read, scan $nsmall files) | $(f vsmall2 1) | $(f vsmall2 2) | $(( $(f vsmall2 3) / 1024 )) MB |
| vigil, 1 thread | $(f vsmall1 1) | $(f vsmall1 2) | $(( $(f vsmall1 3) / 1024 )) MB |
| \`rg -P -f\` patterns (2 threads) | $(f rgsmall 1) | $(f rgsmall 2) | $(( $(f rgsmall 3) / 1024 )) MB |

Commands: \`vigil --state DIR scan --only secret --no-progress -jN --format json CORPUS\`;
\`rg -P -jN --no-config --no-ignore --hidden -n --no-heading -f patterns.txt CORPUS\`;
\`rg --files --no-config --no-ignore --hidden SMALL\`; sizes from \`/usr/bin/time -f "%e %U %S %M"\`.
EOF
