#!/bin/sh
# FIM benchmark: the baseline of a tree (default /usr) built by `vigil fim
# init` and by `aide --init` configured for SHA-256 only (plus permissions,
# owner, group, size, mtime, inode), then the re-check of the unchanged tree
# by `vigil fim check` and `aide --check`, in one run, side by side.
#
# Each timed run starts with a cold page cache (the kernel's caches are
# dropped first, when this runs as root) because that is how a FIM baseline
# meets a server's disk, and because aide reads with POSIX_FADV_NOREUSE so a
# "warm" aide run is not warm anyway. vigil is also timed warm (the run right
# after a cold one). Needs Debian's aide and bc packages.
#
# Usage: bench/fim/run.sh [VIGIL] [TREE]     (env RUNS, default 1)
set -eu
VIGIL=${1:-build/src/cli/vigil}
TREE=${2:-/usr}
RUNS=${RUNS:-1}
command -v aide >/dev/null || { echo "aide is not installed (apt-get install aide)" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/vigil-fimbench.XXXXXX")
trap 'rm -rf "$W"' EXIT

cat >"$W/aide.conf" <<CONF
database_in=file:$W/aide.db
database_out=file:$W/aide.db.new
gzip_dbout=no
report_url=file:$W/aide.report
BENCH = sha256+p+u+g+s+m+i
$TREE BENCH
CONF
# vigil: the same tree only; with package verification (its default: MD5 of
# package-owned files too, against dpkg's md5sums) and without (SHA-256
# only, the same work as aide).
printf 'fim:\n  default_paths: false\n  paths: [%s]\n' "$TREE" >"$W/vigil.yml"
printf 'fim:\n  default_paths: false\n  paths: [%s]\n  verify_packages: false\n' "$TREE" \
        >"$W/vigil-nopkg.yml"

cold() {
        sync
        if [ -w /proc/sys/vm/drop_caches ]; then echo 3 >/proc/sys/vm/drop_caches; fi
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# time_cmd LABEL cold|warm CMD...: median wall time of RUNS runs.
time_cmd() {
        label=$1 temp=$2
        shift 2
        for i in $(seq "$RUNS"); do
                [ "$temp" = cold ] && cold
                s=$(date +%s.%N)
                "$@" >/dev/null 2>&1 || true # a check's exit 1 is fine
                e=$(date +%s.%N)
                echo "$e - $s" | bc
        done | median >"$W/t.$label"
        printf '%-40s %8.2f s\n' "$label" "$(cat "$W/t.$label")"
}
aide_init() {
        rm -f "$W/aide.db.new"
        aide --init -c "$W/aide.conf"
        mv "$W/aide.db.new" "$W/aide.db"
}
vinit() { # STATE CONFIG [ARGS]
        st=$1 cf=$2
        shift 2
        rm -rf "$st"
        "$VIGIL" --state "$st" --config "$cf" fim init --no-progress "$@"
}

echo "machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, kernel $(uname -r), $(df -T "$TREE" | awk 'NR==2 {print $2}') on $(df "$TREE" | awk 'NR==2 {print $1}')"
echo "tree: $TREE: $(find "$TREE" -xdev -type f | wc -l) files, $(du -sxh "$TREE" | cut -f1)"
echo "aide: $(aide --version 2>&1 | head -1) (num_workers 1, its default); vigil: $("$VIGIL" --version), $(nproc) hashing threads"
echo "runs: $RUNS (median); caches dropped before cold runs: $([ -w /proc/sys/vm/drop_caches ] && echo yes || echo no)"
echo

time_cmd "aide --init" cold aide_init
time_cmd "vigil fim init (sha256 + package md5)" cold vinit "$W/st" "$W/vigil.yml"
time_cmd "vigil fim init (sha256 only)" cold vinit "$W/st2" "$W/vigil-nopkg.yml"
time_cmd "vigil fim init (sha256 only), warm" warm vinit "$W/st2" "$W/vigil-nopkg.yml"
time_cmd "vigil fim init -j1 (sha256 only), warm" warm vinit "$W/st3" "$W/vigil-nopkg.yml" -j1
time_cmd "aide --check" cold aide --check -c "$W/aide.conf"
time_cmd "vigil fim check" cold "$VIGIL" --state "$W/st" --config "$W/vigil.yml" fim check --no-progress
time_cmd "vigil fim check (sha256 only)" cold "$VIGIL" --state "$W/st2" --config "$W/vigil-nopkg.yml" fim check --no-progress
time_cmd "vigil fim check, warm" warm "$VIGIL" --state "$W/st" --config "$W/vigil.yml" fim check --no-progress

echo
ratio() { echo "scale=1; $(cat "$W/t.$1") / $(cat "$W/t.$2")" | bc; }
echo "init:  aide / vigil (sha256 only)        = $(ratio "aide --init" "vigil fim init (sha256 only)")x"
echo "init:  aide / vigil (sha256 + pkg md5)   = $(ratio "aide --init" "vigil fim init (sha256 + package md5)")x"
echo "check: aide / vigil                      = $(ratio "aide --check" "vigil fim check")x"
echo "check: aide / vigil (sha256 only)        = $(ratio "aide --check" "vigil fim check (sha256 only)")x"
