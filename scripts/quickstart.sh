#!/bin/sh
# vigil on this machine in one command: build, start a center with SQLite on
# localhost, enroll a local agent with it, run a first full scan, and print
# the console's address with a generated admin password. The center and the
# agent keep running in the background; everything stays in one directory
# (default build/quickstart; --dir DIR). `--stop` stops them; running the
# script again restarts them where they were.
#
#   scripts/quickstart.sh [--dir DIR] [--port PORT] [--no-build] [--stop]
#
# Run it as root to let the agent read the system's logs, capture packets
# and scan every file; as another user it watches what that user can read.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/build/quickstart
port=8080
build=1
stop_only=0
while [ $# -gt 0 ]; do
        case $1 in
        --dir) dir=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --stop) stop_only=1; shift ;;
        -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "quickstart: unknown argument '$1' (see --help)" >&2; exit 2 ;;
        esac
done
case $port in '' | *[!0-9]*) echo "quickstart: --port needs a number" >&2; exit 2 ;; esac

# Stop what an earlier run left running (by the pids it recorded).
stop_recorded() {
        for what in agent center; do
                f=$dir/$what.pid
                [ -s "$f" ] || continue
                pid=$(cat "$f")
                if kill "$pid" 2>/dev/null; then
                        i=0
                        while kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do
                                sleep 0.1
                                i=$((i + 1))
                        done
                        echo "== stopped the $what (pid $pid)"
                fi
                rm -f "$f"
        done
}
stop_recorded
[ "$stop_only" = 1 ] && exit 0

if [ "$build" = 1 ]; then
        echo "== building vigil"
        [ -d "$top/build" ] || meson setup "$top/build" "$top" >/dev/null
        ninja -C "$top/build" >/dev/null
fi
vigil=$top/build/src/cli/vigil
[ -x "$vigil" ] || { echo "quickstart: $vigil is not built" >&2; exit 2; }

umask 077
mkdir -p "$dir/center" "$dir/agent"
# Until the end, a failure stops what this run started.
center_pid= agent_pid=
stop() {
        [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null
        [ -n "$center_pid" ] && kill "$center_pid" 2>/dev/null
        rm -f "$dir/agent.pid" "$dir/center.pid"
        return 0
}
trap 'stop' EXIT
trap 'exit 130' INT TERM

echo "== starting the center on 127.0.0.1:$port (SQLite: $dir/center/center.db)"
rm -f "$dir/center/url"
"$vigil" --state "$dir/center" center serve --listen "127.0.0.1:$port" \
        --ready-file "$dir/center/url" </dev/null >/dev/null 2>>"$dir/center.log" &
center_pid=$!
echo "$center_pid" >"$dir/center.pid"
i=0
while [ ! -s "$dir/center/url" ]; do
        if ! kill -0 "$center_pid" 2>/dev/null || [ $i -ge 300 ]; then
                echo "quickstart: the center did not start:" >&2
                tail -5 "$dir/center.log" >&2
                exit 1
        fi
        sleep 0.1
        i=$((i + 1))
done
url=$(cat "$dir/center/url")

# The admin account: made once; its password is kept for the next runs.
if [ ! -s "$dir/admin-password" ]; then
        "$vigil" --state "$dir/center" center user add admin --role admin \
                >"$dir/admin-password" 2>/dev/null
fi

# The local agent: enrolled once with a one-use token.
if [ ! -s "$dir/agent/center.json" ]; then
        echo "== enrolling this host's agent"
        token=$("$vigil" --state "$dir/center" center token create --json --note quickstart |
                sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
        printf '%s\n' "$token" | "$vigil" --state "$dir/agent" agent enroll "$url" - >/dev/null
fi
# A full scan at start, then daily; the agent's other defaults as they are.
printf 'agent:\n  scans:\n    - only: [all]\n      every: 1d\n' >"$dir/agent.yml"
echo "== starting the agent; its first full scan runs now (log: $dir/agent.log)"
done_before=$(grep -c "scan .* done" "$dir/agent.log" 2>/dev/null || :)
"$vigil" --config "$dir/agent.yml" --state "$dir/agent" agent \
        </dev/null >/dev/null 2>>"$dir/agent.log" &
agent_pid=$!
echo "$agent_pid" >"$dir/agent.pid"

trap - EXIT INT TERM
cat <<EOF

vigil is running.
  console:  $url
  user:     admin
  password: $(head -1 "$dir/admin-password")

The center and the agent run on in the background; stop them with:
  $0 --stop --dir $dir
EOF

# Wait for the first scan (the console fills in as its results arrive); on
# a later run it is done already and the next one is due a day after it.
if [ "${done_before:-0}" -eq 0 ]; then
        echo "The first full scan is running; its results appear in the console when it ends."
        i=0
        until grep -q "scan .* done" "$dir/agent.log"; do
                if ! kill -0 "$agent_pid" 2>/dev/null; then
                        echo "quickstart: the agent stopped:" >&2
                        tail -5 "$dir/agent.log" >&2
                        rm -f "$dir/agent.pid"
                        exit 1
                fi
                [ $((i % 50)) -eq 0 ] && printf '   scanning... %ss\r' $((i / 10)) >&2
                sleep 0.1
                i=$((i + 1))
        done
        printf '\n' >&2
fi
grep "scan .* done" "$dir/agent.log" | tail -1 | sed 's/^/   /'
