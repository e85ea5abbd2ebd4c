#!/bin/sh
# PostgreSQL with a real server as the oracle: a throw-away cluster reads
# the pg_hba.conf of the scanned root; its own view of the file
# (pg_hba_file_rules) says which rules use trust, psql shows that a client
# without a password gets in, and vigil must report exactly those rules
# (remote ones high, local ones medium), and nothing for a safe file.
. "$(dirname "$0")/../lib.sh"

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$PGBIN" ] && [ -x "$PGBIN/postgres" ] || { echo "SKIP: postgresql not installed"; exit 77; }
command -v jq >/dev/null && command -v psql >/dev/null && command -v python3 >/dev/null ||
        { echo "SKIP: jq, psql or python3 missing"; exit 77; }

# The server refuses to run as root; run it as the postgres account then.
AS=
if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || { echo "SKIP: no postgres account"; exit 77; }
        AS="runuser -u postgres --"
        chmod 755 "$WORK"
fi
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PGDATA="$WORK/pgdata"
SOCKDIR="$WORK/sock"
ROOT="$WORK/root"
HBA="$ROOT/etc/postgresql/15/main/pg_hba.conf"
mkdir -p "$SOCKDIR" "$(dirname "$HBA")"
[ -n "$AS" ] && chown postgres "$SOCKDIR"
PID=
stop_server() {
        if [ -n "$PID" ]; then
                kill "$PID" 2>/dev/null || true
                wait "$PID" 2>/dev/null || true
                PID=
        fi
}
trap 'stop_server; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT

if [ -n "$AS" ]; then
        mkdir "$PGDATA" && chown postgres "$PGDATA"
fi
$AS "$PGBIN/initdb" -D "$PGDATA" -U postgres -A peer >"$WORK/initdb.log" 2>&1 ||
        { fail "initdb: $(tail -5 "$WORK/initdb.log")"; finish; }

SAFE='local   all   postgres                        peer
local   all   all                             scram-sha-256
host    all   all      127.0.0.1/32           scram-sha-256
host    all   all      0.0.0.0/0              scram-sha-256'
UNSAFE='local   all   postgres                        peer
local   all   all                             trust
host    all   all      127.0.0.1/32           trust
host    all   all      ::1/128                scram-sha-256
host    all   all      0.0.0.0/0              trust
hostnossl all all      10.0.0.0 255.0.0.0     trust
host    all   all      samehost               trust'
# PostgreSQL refuses to start (and to reload) a file with a bad line, so it
# starts on the safe file; pg_hba_file_rules always reads the file anew.
printf '%s\n' "$SAFE" >"$HBA"
chmod 644 "$HBA"
$AS "$PGBIN/postgres" -D "$PGDATA" -c hba_file="$HBA" -c listen_addresses=127.0.0.1 -p "$PORT" \
        -c unix_socket_directories="$SOCKDIR" >"$WORK/postgres.log" 2>&1 &
PID=$!
PSQL="psql -X -q -A -t -h $SOCKDIR -p $PORT -U postgres -d postgres"
i=0
until $AS $PSQL -c 'select 1' >/dev/null 2>&1 || [ $i -ge 300 ]; do sleep 0.1; i=$((i + 1)); done
# tcp_login yes|no: wait (a reload is asynchronous) until a TCP login
# without a password works, or does not; 30 s at most.
tcp_login() {
        i=0
        while [ $i -lt 300 ]; do
                if psql -X -q -A -t -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -w \
                        -c 'select 1' >/dev/null 2>&1; then
                        [ "$1" = yes ] && return 0
                else
                        [ "$1" = no ] && return 0
                fi
                sleep 0.1
                i=$((i + 1))
        done
        return 1
}

printf '%s\n' "$UNSAFE" >"$HBA"
$AS $PSQL -c "select pg_reload_conf()" >/dev/null 2>"$WORK/psql.err" || { fail "psql: $(cat "$WORK/psql.err") $(tail -5 "$WORK/postgres.log")"; finish; }
# Oracle: a client gets in without a password over TCP.
tcp_login yes && ok "oracle: TCP login as postgres without a password" || fail "oracle: TCP login refused"
# A line PostgreSQL rejects: an address without a mask.
echo "host    all   all      10.1.2.3               trust" >>"$HBA"

# Oracle: the server's parse of the file.
$AS $PSQL -c "select line_number from pg_hba_file_rules where auth_method = 'trust' order by 1" \
        >"$WORK/pg-trust" 2>"$WORK/psql.err" || { fail "psql: $(cat "$WORK/psql.err")"; finish; }
$AS $PSQL -c "select line_number from pg_hba_file_rules where error is not null order by 1" \
        >"$WORK/pg-errors"
[ "$(tr '\n' ' ' <"$WORK/pg-trust")" = "2 3 5 6 7 " ] && ok "oracle: trust on lines 2 3 5 6 7" ||
        fail "oracle: PostgreSQL sees trust on $(tr '\n' ' ' <"$WORK/pg-trust")"

cat >"$WORK/vigil.yml" <<EOY
weak_password:
  shadow: {enabled: false}
  redis: {enabled: false}
  mysql: {enabled: false}
  ftp: {enabled: false}
EOY
scan() {
        set +e
        "$VIGIL" --state "$WORK/state" --config "$WORK/vigil.yml" scan --root "$ROOT" \
                --only weak_password --format json >"$WORK/out" 2>"$WORK/err"
        st=$?
        set -e
}
scan
[ "$st" -eq 1 ] && ok "unsafe: exit status 1" || fail "unsafe: exit status $st $(cat "$WORK/err")"
jq -r '.findings[] | select(.check=="postgresql.trust") | .evidence.where | sub(".*:"; "")' "$WORK/out" |
        sort -n >"$WORK/vigil-trust"
if cmp -s "$WORK/pg-trust" "$WORK/vigil-trust"; then
        ok "vigil's trust rules are PostgreSQL's"
else
        fail "vigil found trust on $(tr '\n' ' ' <"$WORK/vigil-trust"), PostgreSQL on $(tr '\n' ' ' <"$WORK/pg-trust")"
fi
level() { jq -r --arg l ":$1" '.findings[] | select(.check=="postgresql.trust" and (.evidence.where | endswith($l))) | .level' "$WORK/out"; }
[ "$(level 2)$(level 3)$(level 5)$(level 6)$(level 7)" = "mediummediumhighhighmedium" ] &&
        ok "levels: remote high, local medium" ||
        fail "levels: $(level 2) $(level 3) $(level 5) $(level 6) $(level 7)"
# Line 8 (an address without a mask) is an error for both.
[ "$(tr '\n' ' ' <"$WORK/pg-errors")" = "8 " ] && ok "oracle: line 8 is an error" || fail "oracle errors: $(cat "$WORK/pg-errors")"
jq -e '[.notes[] | select(.kind=="warning" and (.source | endswith("pg_hba.conf:8")))] | length == 1' "$WORK/out" >/dev/null &&
        ok "line 8 is a warning" || fail "no warning for line 8: $(jq -c .notes "$WORK/out")"

# The safe file.
printf '%s\n' "$SAFE" >"$HBA"
$AS $PSQL -c "select pg_reload_conf()" >/dev/null
[ -z "$($AS $PSQL -c "select line_number from pg_hba_file_rules where auth_method = 'trust'")" ] &&
        ok "oracle: no trust in the safe file" || fail "oracle: trust in the safe file"
tcp_login no && ok "oracle: TCP login needs a password" || fail "oracle: TCP login still works without a password"
scan
[ "$st" -eq 0 ] && ok "safe: exit status 0" || fail "safe: exit status $st"
jq -e '[.findings[] | select(.check=="postgresql.trust")] | length == 0' "$WORK/out" >/dev/null &&
        ok "safe: nothing reported" || fail "safe: $(jq -c '[.findings[]|.evidence]' "$WORK/out")"

finish
