#!/bin/sh
# Redis with a real redis-server as the oracle: each configuration lives in
# a scanned root, the server is started from that same file (Unix socket
# only, in the test's directory), redis-cli shows whether a client without
# a password gets in, and vigil must report exactly the unsafe ones.
. "$(dirname "$0")/../lib.sh"

for tool in redis-server redis-cli jq sha256sum; do
        command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done

ROOT="$WORK/root"
CONF_DIR="$ROOT/etc/redis"
SOCK="$WORK/redis.sock"
mkdir -p "$CONF_DIR" "$WORK/data"
cat >"$WORK/vigil.yml" <<EOY
weak_password:
  system_dictionaries: []
  shadow: {enabled: false}
  mysql: {enabled: false}
  postgresql: {enabled: false}
  ftp: {enabled: false}
EOY
STRONG=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
PID=
stop_server() {
        if [ -n "$PID" ]; then
                kill "$PID" 2>/dev/null || true
                wait "$PID" 2>/dev/null || true
                PID=
        fi
        rm -f "$SOCK"
}
trap 'stop_server; rm -rf "$WORK"' EXIT

# start NAME: write the common settings, start redis-server on the file.
# Redis resolves relative include and aclfile paths from its working
# directory, vigil from the configuration file's directory: "dir" keeps the
# two the same here.
start() {
        cat >>"$CONF_DIR/redis.conf" <<EOC
port 0
unixsocket $SOCK
daemonize no
dir $CONF_DIR
save ""
appendonly no
EOC
        (cd "$CONF_DIR" && exec redis-server "$CONF_DIR/redis.conf" >"$WORK/redis-$1.log" 2>&1) &
        PID=$!
        i=0
        while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        [ -S "$SOCK" ] || { fail "$1: redis-server did not start: $(cat "$WORK/redis-$1.log")"; return 1; }
}

# oracle NAME yes|no: does a client without a password get in?
oracle() {
        got=$(redis-cli -s "$SOCK" ping 2>&1 || true)
        case "$2:$got" in
        yes:PONG) ok "$1: redis-cli gets in without a password" ;;
        no:*NOAUTH*) ok "$1: redis-cli needs a password" ;;
        *) fail "$1: oracle expected '$2', redis-cli said '$got'" ;;
        esac
}

scan() { # scan NAME: run vigil, report in $WORK/out
        set +e
        "$VIGIL" --state "$WORK/state" --config "$WORK/vigil.yml" scan --root "$ROOT" \
                --only weak_password --format json >"$WORK/out" 2>"$WORK/err"
        st=$?
        set -e
        [ $st -le 1 ] || fail "$1: vigil exited $st: $(cat "$WORK/err")"
}

expect() { # expect NAME CHECK USER
        if jq -e --arg c "$2" --arg u "$3" \
                '[.findings[] | select(.check==$c and .evidence.user==$u and .level=="high")] | length == 1' \
                "$WORK/out" >/dev/null; then
                ok "$1: $2 for user $3"
        else
                fail "$1: no $2 for $3: $(jq -c '[.findings[]|{check,evidence}]' "$WORK/out")"
        fi
}

expect_none() {
        if jq -e '[.findings[] | select(.check | startswith("redis."))] | length == 0' "$WORK/out" >/dev/null; then
                ok "$1: nothing reported"
        else
                fail "$1: reported $(jq -c '[.findings[]|{check,evidence}]' "$WORK/out")"
        fi
}

no_leak() { # no_leak NAME SECRET
        if grep -qF -- "$2" "$WORK/out" "$WORK/err"; then fail "$1: password in output"; else ok "$1: password not shown"; fi
}

reset_conf() { rm -f "$CONF_DIR"/*; }

# 1. No requirepass at all.
reset_conf
echo "bind 127.0.0.1 -::1" >"$CONF_DIR/redis.conf"
if start nopass; then
        oracle nopass yes
        scan nopass
        expect nopass redis.no-password default
        stop_server
fi

# 2. A weak requirepass that comes from an included file (relative path,
# which Redis resolves from its working directory: the config directory).
reset_conf
echo 'requirepass "foobared"' >"$CONF_DIR/local.conf"
echo "include local.conf" >"$CONF_DIR/redis.conf"
if start weak; then
        oracle weak no
        [ "$(redis-cli -s "$SOCK" --no-auth-warning -a foobared ping)" = PONG ] &&
                ok "weak: the weak password works" || fail "weak: the weak password does not work"
        scan weak
        expect weak redis.weak-password default
        no_leak weak foobared
        jq -e '.findings[] | select(.check=="redis.weak-password") | .evidence.where | endswith("etc/redis/local.conf:1")' \
                "$WORK/out" >/dev/null && ok "weak: points at the included file" || fail "weak: wrong location"
        stop_server
fi

# 3. A strong requirepass, but an aclfile that does not define the default
# user: Redis then lets everyone in as default (requirepass is ignored).
reset_conf
printf 'user alice on >%s ~* +@all\n' "$STRONG" >"$CONF_DIR/users.acl"
printf 'requirepass %s\naclfile users.acl\n' "$STRONG" >"$CONF_DIR/redis.conf"
if start aclfile; then
        oracle aclfile yes
        scan aclfile
        expect aclfile redis.no-password default
        no_leak aclfile "$STRONG"
        stop_server
fi

# 4. Hashed ACL password of a common word.
reset_conf
printf 'user default on #%s ~* &* +@all\n' "$(printf letmein | sha256sum | cut -c1-64)" >"$CONF_DIR/users.acl"
printf 'aclfile users.acl\n' >"$CONF_DIR/redis.conf"
if start hashed; then
        oracle hashed no
        [ "$(redis-cli -s "$SOCK" --no-auth-warning -a letmein ping)" = PONG ] &&
                ok "hashed: the weak password works" || fail "hashed: the weak password does not work"
        scan hashed
        expect hashed redis.weak-password default
        no_leak hashed letmein
        stop_server
fi

# 5. Safe: a strong requirepass.
reset_conf
printf 'requirepass %s\n' "$STRONG" >"$CONF_DIR/redis.conf"
if start strong; then
        oracle strong no
        scan strong
        expect_none strong
        no_leak strong "$STRONG"
        stop_server
fi

# 6. Safe: ACL file with the default user off and a strong user.
reset_conf
printf 'user default off\nuser app on >%s ~* +@all\n' "$STRONG" >"$CONF_DIR/users.acl"
printf 'aclfile users.acl\n' >"$CONF_DIR/redis.conf"
if start acl-safe; then
        got=$(redis-cli -s "$SOCK" ping 2>&1 || true)
        case "$got" in
        *NOAUTH* | *"authentication required"* | *WRONGPASS* | *disabled*) ok "acl-safe: redis-cli refused ($got)" ;;
        *) fail "acl-safe: redis-cli said '$got'" ;;
        esac
        scan acl-safe
        expect_none acl-safe
        stop_server
fi

finish
