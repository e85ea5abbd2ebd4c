#!/bin/sh
# MySQL/MariaDB with a real mariadbd as the oracle: a fresh data directory
# (root without a password, an anonymous account, admin/admin), the server
# on a Unix socket and a loopback port of the test's own; the mariadb client
# shows what logs in, and vigil must report those accounts, then nothing
# once they are fixed.
. "$(dirname "$0")/../lib.sh"

for tool in mariadb-install-db mariadbd mariadb jq python3; do
        command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done

DATA="$WORK/data"
SOCK="$WORK/mysqld.sock"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
STRONG=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
PID=
stop_server() {
        if [ -n "$PID" ]; then
                kill "$PID" 2>/dev/null || true
                wait "$PID" 2>/dev/null || true
                PID=
        fi
}
trap 'stop_server; rm -rf "$WORK"' EXIT
chmod 755 "$WORK"

USER_OPT=
[ "$(id -u)" -eq 0 ] && USER_OPT=--user=root
if ! mariadb-install-db --no-defaults --datadir="$DATA" $USER_OPT --auth-root-authentication-method=normal \
        --skip-test-db >"$WORK/install.log" 2>&1; then
        fail "mariadb-install-db: $(tail -5 "$WORK/install.log")"
        finish
fi
mariadbd --no-defaults --datadir="$DATA" $USER_OPT --socket="$SOCK" --port="$PORT" \
        --bind-address=127.0.0.1 --skip-name-resolve --pid-file="$WORK/mysqld.pid" \
        --log-error="$WORK/mysqld.err" >/dev/null 2>&1 &
PID=$!
i=0
until mariadb --no-defaults -S "$SOCK" -uroot -e 'select 1' >/dev/null 2>&1 || [ $i -ge 300 ]; do
        sleep 0.1
        i=$((i + 1))
done
sql() { mariadb --no-defaults -S "$SOCK" -uroot ${ROOTPW:+-p"$ROOTPW"} -e "$1"; }

# The unsafe state: root has no password (install default with "normal"
# authentication), an anonymous account, admin with the password admin.
sql "CREATE USER ''@'localhost';
     CREATE USER 'admin'@'localhost' IDENTIFIED BY 'admin';
     CREATE USER 'admin'@'127.0.0.1' IDENTIFIED BY 'admin';" ||
        { fail "cannot set up accounts: $(tail -5 "$WORK/mysqld.err")"; finish; }
mariadb --no-defaults -S "$SOCK" -uroot -e 'select 1' >/dev/null 2>&1 &&
        ok "oracle: root logs in over the socket without a password" || fail "oracle: root needs a password"
mariadb --no-defaults -h 127.0.0.1 -P "$PORT" -uadmin -padmin -e 'select 1' >/dev/null 2>&1 &&
        ok "oracle: admin/admin logs in over TCP" || fail "oracle: admin/admin refused"
mariadb --no-defaults -S "$SOCK" -unobody-here -e 'select 1' >/dev/null 2>&1 &&
        ok "oracle: an unknown user logs in (anonymous account)" || fail "oracle: anonymous refused"

cat >"$WORK/vigil.yml" <<EOY
weak_password:
  shadow: {enabled: false}
  redis: {enabled: false}
  postgresql: {enabled: false}
  ftp: {enabled: false}
  mysql:
    sockets: [$SOCK]
    tcp: ["127.0.0.1:$PORT"]
EOY
scan() {
        set +e
        "$VIGIL" --state "$WORK/state" --config "$WORK/vigil.yml" scan --only weak_password \
                --format json >"$WORK/out" 2>"$WORK/err"
        st=$?
        set -e
}
expect() { # expect CHECK ENDPOINT ACCOUNT
        if jq -e --arg c "$1" --arg e "$2" --arg a "$3" \
                '[.findings[] | select(.check==$c and .evidence.endpoint==$e and .evidence.account==$a and .level=="high")] | length == 1' \
                "$WORK/out" >/dev/null; then
                ok "$1 $2 '$3'"
        else
                fail "no $1 for $2 '$3': $(jq -c '[.findings[]|{check,evidence}]' "$WORK/out")"
        fi
}

scan
[ "$st" -eq 1 ] && ok "unsafe: exit status 1" || fail "unsafe: exit status $st: $(cat "$WORK/err")"
expect mysql.empty-password "unix:$SOCK" root
expect mysql.anonymous-login "unix:$SOCK" ""
expect mysql.default-password "unix:$SOCK" admin
expect mysql.empty-password "tcp:127.0.0.1:$PORT" root
expect mysql.default-password "tcp:127.0.0.1:$PORT" admin
jq -e '[.findings[] | select(.category=="weak_password")] | length == 5' "$WORK/out" >/dev/null &&
        ok "unsafe: five findings" || fail "unsafe: $(jq -c '[.findings[]|{check,evidence}]' "$WORK/out")"
jq -e '.findings[] | select(.check=="mysql.default-password") | .evidence.hint == "***** (5 characters)"' \
        "$WORK/out" >/dev/null && ok "masked hint" || fail "masked hint"
# At most four passwords and one control login per account and endpoint.
jq -e '.stats.weak_password.mysql_attempts <= 2 * (5 * 5)' "$WORK/out" >/dev/null &&
        ok "attempts bounded" || fail "too many attempts: $(jq .stats.weak_password "$WORK/out")"

# The safe state.
sql "ALTER USER 'root'@'localhost' IDENTIFIED BY '$STRONG';
     ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '$STRONG';
     ALTER USER 'root'@'::1' IDENTIFIED BY '$STRONG';
     DROP USER ''@'localhost';
     ALTER USER 'admin'@'localhost' IDENTIFIED BY '$STRONG';
     ALTER USER 'admin'@'127.0.0.1' IDENTIFIED BY '$STRONG';" || fail "cannot fix accounts"
ROOTPW=$STRONG
mariadb --no-defaults -S "$SOCK" -uroot -e 'select 1' >/dev/null 2>&1 &&
        fail "oracle: root still logs in without a password" || ok "oracle: root needs a password"
scan
[ "$st" -eq 0 ] && ok "safe: exit status 0" || fail "safe: exit status $st"
jq -e '[.findings[] | select(.check | startswith("mysql."))] | length == 0' "$WORK/out" >/dev/null &&
        ok "safe: nothing reported" || fail "safe: $(jq -c '[.findings[]|{check,evidence}]' "$WORK/out")"
grep -qF -- "$STRONG" "$WORK/out" "$WORK/err" && fail "password in output" || ok "no password in output"

# root authenticated by unix_socket: vigil runs as root here, so every
# password works; that must be a note, not a finding.
if [ "$(id -u)" -eq 0 ]; then
        sql "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket;"
        ROOTPW=
        scan
        jq -e '[.findings[] | select(.check | startswith("mysql."))] | length == 0' "$WORK/out" >/dev/null &&
                ok "unix_socket root: no finding" || fail "unix_socket root reported"
        jq -e '[.notes[] | select(.message | contains("logs in whatever the password"))] | length == 1' \
                "$WORK/out" >/dev/null && ok "unix_socket root: note" || fail "unix_socket root: no note"
fi

# A port where nothing speaks MySQL: a warning, no hang (socat answers junk).
if command -v socat >/dev/null; then
        JUNK=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        socat TCP-LISTEN:"$JUNK",bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo HTTP/1.0 400 nonsense' &
        SPID=$!
        sleep 0.5
        printf 'weak_password:\n  shadow: {enabled: false}\n  redis: {enabled: false}\n  postgresql: {enabled: false}\n  ftp: {enabled: false}\n  mysql: {sockets: [], tcp: ["127.0.0.1:%s"]}\n' "$JUNK" >"$WORK/vigil.yml"
        scan
        kill "$SPID" 2>/dev/null || true
        wait "$SPID" 2>/dev/null || true
        [ "$st" -eq 0 ] && jq -e '[.notes[] | select(.kind=="warning" and (.message | contains("MySQL")))] | length == 1' \
                "$WORK/out" >/dev/null && ok "junk server: warning" || fail "junk server: status $st $(jq -c .notes "$WORK/out")"
fi

finish
