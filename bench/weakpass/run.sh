#!/bin/sh
# Weak password checking speed: candidates per second per hash type, vigil
# against John the Ripper on the same shadow file and the same word list,
# with one thread each, then vigil with two threads for scaling.
#
# usage: bench/weakpass/run.sh [VIGIL_BINARY] [SCALE]
#   VIGIL_BINARY  default build/src/cli/vigil
#   SCALE         multiplies the word list sizes (default 1)
#
# Needs: john (Debian package john), mkpasswd (whois), openssl, jq.
# The password of each hash is in no list, so both tools check every
# candidate. vigil's built-in list and system dictionaries are switched off
# and the list is given as its custom dictionary; vigil adds ~40 variants of
# the account name, which are counted (stats: candidates_checked).
# Rates are given per CPU-second (user+sys, from /usr/bin/time), the fair
# figure on a shared machine, and per wall-clock second; "-j2 wall" over
# "-j1 wall" is the scaling with a second core, meaningful only when the
# machine is otherwise idle (the load average is printed).
# Prints one line per hash type and a Markdown table at the end.
set -eu
VIGIL=${1:-build/src/cli/vigil}
SCALE=${2:-1}
for t in john mkpasswd openssl jq /usr/bin/time; do
        command -v "$t" >/dev/null || { echo "missing: $t" >&2; exit 2; }
done
[ -x "$VIGIL" ] || { echo "no vigil binary at $VIGIL" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# name | mkpasswd method (or openssl) | john format | words
CASES="descrypt|des|descrypt|400000
md5crypt|md5crypt|md5crypt|40000
bcrypt-5|bcrypt-5|bcrypt|3000
sha256crypt|sha256crypt|crypt|3000
sha512crypt|sha512crypt|crypt|3000
yescrypt|yescrypt|crypt|300
gost-yescrypt|gost-yescrypt|crypt|300"

words() { # words N FILE: N distinct lower-case words, none a real password
        awk -v n="$1" 'BEGIN { srand(7); for (i = 0; i < n; i++) {
                w = ""; len = 6 + int(rand() * 5)
                for (k = 0; k < len; k++) w = w sprintf("%c", 97 + int(rand() * 26))
                print w "" i } }' >"$2"
}

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

RESULTS="$WORK/results"
: >"$RESULTS"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "john: $(john 2>&1 | head -1)"
echo "$CASES" | while IFS='|' read -r name method jfmt n; do
        n=$((n * SCALE))
        words "$n" "$WORK/list"
        pw="Not-In-Any-List-$$"
        case $method in
        bcrypt-5) hash=$(printf '%s' "$pw" | mkpasswd -s -m bcrypt -R 5) ;;
        *) hash=$(printf '%s' "$pw" | mkpasswd -s -m "$method") ;;
        esac
        mkdir -p "$WORK/root/etc"
        echo "benchuser:$hash:19000:0:99999:7:::" >"$WORK/root/etc/shadow"
        cp "$WORK/root/etc/shadow" "$WORK/shadow"
        cat >"$WORK/vigil.yml" <<EOY
weak_password:
  budget_per_hash: 0
  budget_total: 0
  builtin_list: false
  system_dictionaries: []
  dictionary: $WORK/list
  redis: {enabled: false}
  mysql: {enabled: false}
  postgresql: {enabled: false}
  ftp: {enabled: false}
EOY
        # John, one thread (OpenMP off), then vigil with one and two threads.
        # John 1.9 keeps its pot file in $HOME/.john; a fresh HOME each time
        # means nothing is already cracked.
        rm -rf "$WORK/home" "$WORK"/js.*
        mkdir -p "$WORK/home"
        t0=$(date +%s%N)
        (cd "$WORK" && HOME="$WORK/home" OMP_NUM_THREADS=1 /usr/bin/time -f '%U %S' -o "$WORK/jtime" \
                john --wordlist="$WORK/list" --format="$jfmt" --session="$WORK/js" "$WORK/shadow" \
                >"$WORK/john.out" 2>&1) || { echo "john failed: $(cat "$WORK/john.out")" >&2; exit 1; }
        t1=$(date +%s%N)
        grep -q "Loaded 1 password hash" "$WORK/john.out" ||
                { echo "john did not load the hash: $(cat "$WORK/john.out")" >&2; exit 1; }
        jwall=$(secs "$t0" "$t1")
        jcpu=$(awk '{ print $1 + $2 }' "$WORK/jtime")
        for j in 1 2; do
                t0=$(date +%s%N)
                /usr/bin/time -f '%U %S' -o "$WORK/vtime$j" "$VIGIL" --state "$WORK/state" \
                        --config "$WORK/vigil.yml" scan --root "$WORK/root" --only weak_password \
                        -j "$j" --format json >"$WORK/v$j.json" 2>/dev/null || true
                t1=$(date +%s%N)
                eval "vwall$j=$(secs "$t0" "$t1")"
                eval "vcpu$j=$(awk '{ print $1 + $2 }' "$WORK/vtime$j")"
                eval "vc$j=$(jq '.stats.weak_password.candidates_checked' "$WORK/v$j.json")"
        done
        rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", (t > 0 ? n / t : 0) }'; }
        jr=$(rate "$n" "$jcpu")
        v1r=$(rate "$vc1" "$vcpu1")
        v2r=$(rate "$vc2" "$vcpu2")
        jw=$(rate "$n" "$jwall")
        v1w=$(rate "$vc1" "$vwall1")
        v2w=$(rate "$vc2" "$vwall2")
        ratio=$(awk -v a="$v1r" -v b="$jr" 'BEGIN { printf "%.2f", a / b }')
        scale=$(awk -v a="$v2w" -v b="$v1w" 'BEGIN { printf "%.2f", a / b }')
        printf '%-14s words=%-7s per CPU-s: john=%s vigil-j1=%s vigil-j2=%s (vigil/john %s); per wall-s: john=%s j1=%s j2=%s (j2/j1 %s)\n' \
                "$name" "$n" "$jr" "$v1r" "$v2r" "$ratio" "$jw" "$v1w" "$v2w" "$scale"
        echo "| $name | $jfmt | $n | $jr | $v1r | **$ratio** | $v2r | $jw | $v1w | $v2w | $scale |" >>"$RESULTS"
done
echo
echo "| hash | john --format | words | john, 1 thread: c/CPU-s | vigil -j1: c/CPU-s | vigil/john per core | vigil -j2: c/CPU-s | john: c/wall-s | vigil -j1: c/wall-s | vigil -j2: c/wall-s | -j2/-j1 wall |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
cat "$RESULTS"
