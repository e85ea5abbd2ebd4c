#!/bin/sh
# Anonymous FTP with a real vsftpd as the oracle: the server runs on a
# loopback port from the vsftpd.conf of the scanned root; curl shows whether
# an anonymous login (and upload) works, and vigil must report the unsafe
# configurations (read-only medium, with upload high) and not the safe one.
# ProFTPD is not started (its parser is covered by unit tests); a ProFTPD
# configuration with an <Anonymous> block is scanned alongside.
. "$(dirname "$0")/../lib.sh"

for tool in vsftpd curl jq python3; do
        command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "SKIP: vsftpd needs root"; exit 77; }
FTPUSER=ftp
id ftp >/dev/null 2>&1 || FTPUSER=nobody

ROOT="$WORK/root"
mkdir -p "$ROOT/etc" "$WORK/empty" "$WORK/pub/incoming"
chmod 755 "$WORK" "$WORK/pub"
echo "hello" >"$WORK/pub/README"
chown "$FTPUSER" "$WORK/pub/incoming"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PID=
stop_server() {
        if [ -n "$PID" ]; then
                kill "$PID" 2>/dev/null || true
                wait "$PID" 2>/dev/null || true
                PID=
        fi
}
trap 'stop_server; rm -rf "$WORK"' EXIT

start() { # start NAME EXTRA-SETTINGS
        cat >"$ROOT/etc/vsftpd.conf" <<EOC
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$PORT
background=NO
local_enable=NO
anon_root=$WORK/pub
ftp_username=$FTPUSER
secure_chroot_dir=$WORK/empty
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
pasv_address=127.0.0.1
EOC
        printf '%s\n' "$2" >>"$ROOT/etc/vsftpd.conf"
        vsftpd "$ROOT/etc/vsftpd.conf" >"$WORK/vsftpd-$1.log" 2>&1 &
        PID=$!
        i=0
        until python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null ||
                [ $i -ge 100 ]; do
                sleep 0.1
                i=$((i + 1))
        done
}

cat >"$WORK/vigil.yml" <<EOY
weak_password:
  shadow: {enabled: false}
  redis: {enabled: false}
  mysql: {enabled: false}
  postgresql: {enabled: false}
EOY
scan() {
        set +e
        "$VIGIL" --state "$WORK/state" --config "$WORK/vigil.yml" scan --root "$ROOT" \
                --only weak_password --format json >"$WORK/out" 2>"$WORK/err"
        st=$?
        set -e
}
anon_list() { curl -s --max-time 10 --user anonymous: "ftp://127.0.0.1:$PORT/" 2>/dev/null; }
vsftpd_level() {
        jq -r '[.findings[] | select(.check=="ftp.anonymous-login" and .evidence.server=="vsftpd") | .level] | join(",")' "$WORK/out"
}

# 1. Anonymous, read-only.
start ro "anonymous_enable=YES
no_anon_password=YES"
anon_list | grep -q README && ok "ro: anonymous login lists the files" || fail "ro: anonymous login failed: $(cat "$WORK/vsftpd-ro.log")"
scan
[ "$(vsftpd_level)" = medium ] && ok "ro: reported as medium" || fail "ro: got '$(vsftpd_level)'"
stop_server

# 2. Anonymous with upload.
start up "anonymous_enable=YES
no_anon_password=YES
write_enable=YES
anon_upload_enable=YES
anon_umask=022"
echo data >"$WORK/upload.txt"
curl -s --max-time 10 --user anonymous: -T "$WORK/upload.txt" "ftp://127.0.0.1:$PORT/incoming/" &&
        [ -f "$WORK/pub/incoming/upload.txt" ] && ok "up: anonymous upload works" || fail "up: upload failed"
scan
[ "$(vsftpd_level)" = high ] && ok "up: reported as high" || fail "up: got '$(vsftpd_level)'"
stop_server

# 3. Safe: no anonymous logins.
start safe "anonymous_enable=NO"
anon_list | grep -q README && fail "safe: anonymous login works" || ok "safe: anonymous login refused"
scan
[ -z "$(vsftpd_level)" ] && ok "safe: nothing reported" || fail "safe: got '$(vsftpd_level)'"
[ "$st" -eq 0 ] && ok "safe: exit status 0" || fail "safe: exit status $st"
stop_server

# ProFTPD: an <Anonymous> block through an Include directory, next to one
# that denies logins.
mkdir -p "$ROOT/etc/proftpd/conf.d"
printf 'ServerName "test"\nInclude /etc/proftpd/conf.d/\n' >"$ROOT/etc/proftpd/proftpd.conf"
printf '<Anonymous ~ftp>\n  User ftp\n  UserAlias anonymous ftp\n  <Limit WRITE>\n    DenyAll\n  </Limit>\n</Anonymous>\n' \
        >"$ROOT/etc/proftpd/conf.d/anon.conf"
printf '<Anonymous /srv/closed>\n  <Limit LOGIN>\n    DenyAll\n  </Limit>\n</Anonymous>\n' \
        >"$ROOT/etc/proftpd/conf.d/closed.conf"
scan
if jq -e '[.findings[] | select(.check=="ftp.anonymous-login" and .evidence.server=="ProFTPD")] | length == 1 and
        (.[0].evidence.where | endswith("conf.d/anon.conf:1")) and .[0].level == "medium"' "$WORK/out" >/dev/null; then
        ok "proftpd: the open <Anonymous> block is reported"
else
        fail "proftpd: $(jq -c '[.findings[]|{check,level,evidence}]' "$WORK/out")"
fi

finish
