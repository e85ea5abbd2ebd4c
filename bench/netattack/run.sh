#!/bin/sh
# Build and run the network attack benchmarks against the libraries of a
# meson build directory (default build-bench, debugoptimized):
#   bench/netattack/run.sh [BUILD_DIR] [SYNS]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-$src/build-bench}
[ -d "$build" ] || meson setup "$build" "$src" --buildtype=debugoptimized
ninja -C "$build" src/detect/libvigil_detect.a src/inventory/libvigil_inventory.a \
        src/core/libvigil_core.a >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# shellcheck disable=SC2046
cc -O2 -std=c17 -D_GNU_SOURCE -I"$src/src" "$here/bench_netattack.c" -o "$out/bench" \
        "$build/src/detect/libvigil_detect.a" "$build/src/inventory/libvigil_inventory.a" \
        "$build/src/core/libvigil_core.a" \
        $(pkg-config --libs jansson yaml-0.1 sqlite3 libcrypto libpcap) -lpthread
"$out/bench" "${2:-10000000}"
