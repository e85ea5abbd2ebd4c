# Helpers for the agent's integration tests. Source after lib.sh.
AGENT_PID=

# start_agent CONFIG STATE OUTPUT [EXTRA ARGS]: start `vigil agent` in the
# background (stderr in $WORK/agent.err, appended across restarts).
start_agent() {
        cfg=$1 state=$2 out=$3
        shift 3
        "$VIGIL" --config "$cfg" --state "$state" agent --output "$out" "$@" \
                2>>"$WORK/agent.err" &
        AGENT_PID=$!
        # Running once it said so (bounded).
        i=0
        while [ $i -lt 200 ] && ! grep -q "agent: running" "$WORK/agent.err" 2>/dev/null; do
                sleep 0.05
                i=$((i + 1))
        done
}

# stop_agent [SIGNAL]: stop it (TERM by default) and wait for it.
stop_agent() {
        [ -n "$AGENT_PID" ] || return 0
        kill -"${1:-TERM}" "$AGENT_PID" 2>/dev/null || :
        wait "$AGENT_PID" 2>/dev/null || :
        AGENT_PID=
        # The next start is recognised by a new "running" line.
        sed -i 's/agent: running/agent: was running/' "$WORK/agent.err"
}

# records STATE SOURCE: records counted in the store for SOURCE.
records() {
        "$VIGIL" --state "$1" agent status --format json 2>/dev/null |
                jq -r --arg s "$2" '[.sources[] | select(.source == $s) | .records] | add // 0'
}

# wait_records STATE SOURCE N: wait (bounded, 60 s) until SOURCE has N
# records; prints the last count seen.
wait_records() {
        i=0
        n=$(records "$1" "$2")
        while [ $i -lt 600 ] && [ "$n" -lt "$3" ]; do
                sleep 0.1
                i=$((i + 1))
                n=$(records "$1" "$2")
        done
        echo "$n"
}

agent_cleanup() {
        [ -n "$AGENT_PID" ] && kill -KILL "$AGENT_PID" 2>/dev/null
        return 0
}
