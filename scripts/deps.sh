#!/bin/sh
# Install the Debian 12 packages vigil needs to build and to run its tests.
# Usage: scripts/deps.sh [build|test]   (default: test, which includes build)
set -eu
what=${1:-test}
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
build_pkgs="meson ninja-build gcc pkg-config libjansson-dev libyaml-dev libpcre2-dev
  libsqlite3-dev libssl-dev nettle-dev libcurl4-openssl-dev librpm-dev libarchive-dev zlib1g-dev
  libcrypt-dev libhyperscan-dev libpcap-dev libmaxminddb-dev libsystemd-dev
  libyara-dev libuv1-dev libmicrohttpd-dev libpq-dev"
# Tests: sanitizers and fuzzing, the oracles the version and inventory tests
# compare against, and the real services the scanners are tested with.
test_pkgs="libcmocka-dev clang libclang-rt-14-dev jq python3 python3-rpm rpm zip unzip
  sqlite3 dpkg-dev git
  python3-packaging php-cli php-composer-semver maven default-jre-headless
  openjdk-17-jdk-headless node-semver composer
  redis-server mariadb-server mariadb-client nginx openssh-server openssh-client
  memcached nftables iptables iproute2 openssl nmap sshpass libmaxmind-db-writer-perl
  util-linux gzip tzdata systemd-journal-remote
  postgresql vsftpd whois john curl socat python3-yaml
  chromium"
pkgs=$build_pkgs
[ "$what" = test ] && pkgs="$pkgs $test_pkgs"
# Node.js and npm from Debian, unless a Node.js with npm is already installed
# (e.g. from NodeSource, whose nodejs package conflicts with Debian's npm).
if [ "$what" = test ] && ! command -v npm >/dev/null 2>&1; then
        pkgs="$pkgs nodejs npm"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
# The console's browser test drives Debian's chromium with playwright-core
# from npm, installed from the committed lock file into
# tests/integration/center/node_modules (ignored by git). playwright-core
# downloads no browser of its own.
if [ "$what" = test ]; then
        top=$(cd "$(dirname "$0")/.." && pwd)
        (cd "$top/tests/integration/center" &&
                PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
