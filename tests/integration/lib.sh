# Helpers for integration tests written in sh. Source this file; it expects
# VIGIL (the binary) in the environment, as meson passes it.
set -eu
: "${VIGIL:?run through meson test, or set VIGIL to the vigil binary}"
TESTS_FAILED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-it.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fail() {
        echo "FAIL: $*" >&2
        TESTS_FAILED=$((TESTS_FAILED + 1))
}

ok() {
        echo "ok: $*"
}

# run EXPECTED_STATUS CMD...: run CMD, keep stdout in $WORK/out and stderr in
# $WORK/err, and check its exit status.
run() {
        want=$1
        shift
        set +e
        "$@" >"$WORK/out" 2>"$WORK/err"
        got=$?
        set -e
        if [ "$got" -ne "$want" ]; then
                fail "'$*' exited $got, wanted $want; stderr: $(head -c 2000 "$WORK/err")"
                return 1
        fi
        return 0
}

# expect_in FILE TEXT DESCRIPTION
expect_in() {
        if grep -qF -- "$2" "$1"; then ok "$3"; else fail "$3: '$2' not in $(basename "$1"): $(head -c 2000 "$1")"; fi
}

expect_not_in() {
        if grep -qF -- "$2" "$1"; then fail "$3: '$2' found in $(basename "$1")"; else ok "$3"; fi
}

finish() {
        if [ "$TESTS_FAILED" -ne 0 ]; then
                echo "$TESTS_FAILED check(s) failed" >&2
                exit 1
        fi
        echo "all checks passed"
}
