#!/bin/sh
# Run vigil's whole test suite: a normal build with unit and integration
# tests, then the same tests under ASan+UBSan (clang), then every fuzz target
# for a bounded time (FUZZ_SECONDS, default 30) from its seed corpus.
set -eu
cd "$(dirname "$0")/.."
jobs=$(nproc)

echo "== build and test (gcc, debugoptimized)"
[ -d build ] || meson setup build >/dev/null
ninja -C build
meson test -C build --print-errorlogs --num-processes "$jobs"

echo "== build and test under ASan+UBSan (clang), with fuzz targets"
[ -d build-asan ] || CC=clang meson setup build-asan -Db_sanitize=address,undefined \
        -Db_lundef=false -Dfuzz=true -Dbuildtype=debug >/dev/null
ninja -C build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        meson test -C build-asan --print-errorlogs --num-processes "$jobs" --timeout-multiplier 3

echo "== fuzz smoke (${FUZZ_SECONDS:-30}s per target)"
tests/fuzz/run-smoke.sh build-asan "${FUZZ_SECONDS:-30}"
echo "== all tests passed"
