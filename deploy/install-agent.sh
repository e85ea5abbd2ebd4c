#!/bin/sh
# Install vigil's agent on this host and enroll it with a center.
#
#   curl -fsSL https://CENTER/install-agent.sh | sudo sh -s -- URL TOKEN
#   sudo deploy/install-agent.sh URL TOKEN      (from a source checkout)
#
# The console's "Add a host" page prints the command with a fresh token.
# What it does, in order, stopping at the first error:
#   1. when no vigil binary is installed: installs the build dependencies
#      (Debian/Ubuntu, apt-get), builds from the source checkout this script
#      sits in (or VIGIL_SOURCE=DIR) and runs `meson install`;
#   2. installs the systemd unit deploy/systemd/vigil-agent.service;
#   3. enrolls with the center (the token is passed on standard input, so it
#      never shows in the process list) and starts the agent.
# Set VIGIL_CA=FILE when the center's certificate is not from a public CA.
set -eu

usage() {
        echo "usage: $0 CENTER_URL TOKEN|-   (run as root)" >&2
        exit 2
}
[ $# -eq 2 ] || usage
url=$1
token=$2
[ "$(id -u)" -eq 0 ] || { echo "$0: run as root (sudo)" >&2; exit 2; }
case $url in https://* | http://127.* | http://localhost* | http://\[::1\]*) ;;
*) echo "$0: the center URL must be https:// (plain http only to this host)" >&2; exit 2 ;;
esac
if [ "$token" = - ]; then
        IFS= read -r token
fi

src=${VIGIL_SOURCE:-$(cd "$(dirname "$0")/.." 2>/dev/null && pwd || true)}
bin=$(command -v vigil || true)
if [ -z "$bin" ]; then
        if [ ! -f "$src/meson.build" ] || [ ! -x "$src/scripts/deps.sh" ]; then
                echo "$0: vigil is not installed and no source checkout was found;" >&2
                echo "clone vigil and run this script from it, or set VIGIL_SOURCE" >&2
                exit 2
        fi
        echo "== installing build dependencies and building vigil from $src"
        "$src/scripts/deps.sh" build
        build=$(mktemp -d)
        meson setup "$build" "$src" --buildtype=release >/dev/null
        ninja -C "$build"
        meson install -C "$build" >/dev/null
        rm -rf "$build"
        bin=$(command -v vigil)
fi
echo "== vigil: $bin ($("$bin" --version 2>/dev/null || echo unknown version))"

unit=/etc/systemd/system/vigil-agent.service
if [ -f "$src/deploy/systemd/vigil-agent.service" ]; then
        sed "s|/usr/local/bin/vigil|$bin|" "$src/deploy/systemd/vigil-agent.service" >"$unit"
fi
install -d -m 0700 /var/lib/vigil
install -d -m 0755 /etc/vigil
[ -f /etc/vigil/vigil.yml ] || printf '# vigil settings (docs/agent.md, "Configuration")\n' >/etc/vigil/vigil.yml

echo "== enrolling with $url"
set -- enroll "$url" -
[ -n "${VIGIL_CA:-}" ] && set -- "$@" --ca "$VIGIL_CA"
printf '%s\n' "$token" | "$bin" --state /var/lib/vigil agent "$@"

if command -v systemctl >/dev/null 2>&1 && [ -f "$unit" ]; then
        systemctl daemon-reload
        systemctl enable vigil-agent >/dev/null 2>&1
        systemctl restart vigil-agent
        echo "== vigil-agent is running: systemctl status vigil-agent"
else
        echo "== enrolled; start the agent with: $bin --state /var/lib/vigil agent"
fi
