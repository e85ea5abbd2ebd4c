#!/bin/sh
# Integration test for `vigil scan --only exposure` against real services,
# each in an unsafe and a safe configuration, inside a network namespace this
# test creates (so nothing else listening on the machine is seen, and the
# default ports are free): redis-server, mariadbd, nginx, sshd, memcached, and
# the real nft for the firewall. Docker, Elasticsearch and MongoDB cannot run
# here; small python3 servers speaking their wire formats (HTTP JSON, OP_MSG)
# stand in for them. Needs root (network namespaces); exits 77 (skipped)
# without it or without one of the programs.
. "$VIGIL_SOURCE/tests/integration/lib.sh"

skip() {
        echo "SKIP: $*"
        exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root for a network namespace"
for p in ip nft redis-server mariadbd mariadb-install-db mariadb nginx memcached ssh-keygen \
        openssl python3; do
        command -v "$p" >/dev/null 2>&1 || skip "$p is not installed"
done
[ -x /usr/sbin/sshd ] || skip "/usr/sbin/sshd is not installed"

NS=vigil-expo-$$
PIDS=""
chmod 755 "$WORK"
cleanup() {
        for p in $PIDS; do kill "$p" 2>/dev/null || true; done
        # Anything else left in our namespace (nginx workers) was started
        # by this test.
        for p in $(ip netns pids "$NS" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
        for p in $PIDS; do
                i=0
                while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do
                        sleep 0.1
                        i=$((i + 1))
                done
                kill -9 "$p" 2>/dev/null || true
        done
        ip netns del "$NS" 2>/dev/null || true
        rm -rf "$WORK"
}
trap cleanup EXIT
ip netns add "$NS" || skip "cannot create a network namespace"
ip netns exec "$NS" ip link set lo up

inns() {
        ip netns exec "$NS" "$@"
}

# start NAME CMD...: run CMD in the namespace in the background.
start() {
        name=$1
        shift
        # Not through inns: $! must be the service itself (ip netns exec
        # execs the program in place).
        ip netns exec "$NS" "$@" >"$WORK/$name.log" 2>&1 &
        PIDS="$PIDS $!"
}

# wait_port PORT [ADDR]: until something accepts connections (at most 120 s;
# only an upper bound, the test never depends on how long it takes).
wait_port() {
        inns python3 - "$1" "${2:-127.0.0.1}" <<'EOF' || { fail "nothing listens on port $1"; return 1; }
import socket, sys, time
port, addr = int(sys.argv[1]), sys.argv[2]
for _ in range(1200):
    try:
        socket.create_connection((addr, port), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOF
}

# ---- services ---------------------------------------------------------------
PW='Vigil-test-pw-9f3a'

mkdir -p "$WORK/redis1" "$WORK/redis2"
start redis-unsafe redis-server --port 6379 --bind 0.0.0.0 --protected-mode no --save '' \
        --appendonly no --dir "$WORK/redis1" --daemonize no
start redis-safe redis-server --port 6380 --bind 127.0.0.1 --requirepass "$PW" --save '' \
        --appendonly no --dir "$WORK/redis2" --daemonize no

start memcached-unsafe memcached -u root -l 0.0.0.0 -p 11211 -U 0
start memcached-loopback memcached -u root -l 127.0.0.1 -p 11212 -U 0

for i in 1 2; do
        mariadb-install-db --no-defaults --datadir="$WORK/my$i" --user=root \
                --auth-root-authentication-method=normal >"$WORK/my$i-install.log" 2>&1 ||
                { cat "$WORK/my$i-install.log"; fail "mariadb-install-db"; finish; }
done
start mariadb-unsafe mariadbd --no-defaults --datadir="$WORK/my1" --socket="$WORK/my1.sock" \
        --port=3306 --bind-address=127.0.0.1 --user=root --pid-file="$WORK/my1.pid" \
        --log-error="$WORK/my1.err"
start mariadb-safe mariadbd --no-defaults --datadir="$WORK/my2" --socket="$WORK/my2.sock" \
        --port=3307 --bind-address=127.0.0.1 --user=root --pid-file="$WORK/my2.pid" \
        --log-error="$WORK/my2.err"

ssh-keygen -q -t ed25519 -N '' -f "$WORK/hostkey"
mkdir -p /run/sshd
for spec in "22 0.0.0.0" "2222 127.0.0.1"; do
        set -- $spec
        cat >"$WORK/sshd-$1.conf" <<EOF
Port $1
ListenAddress $2
HostKey $WORK/hostkey
PidFile $WORK/sshd-$1.pid
UsePAM no
EOF
        start "sshd-$1" /usr/sbin/sshd -D -e -f "$WORK/sshd-$1.conf"
done

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj /CN=localhost -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
# nginx_conf FILE with_tls
nginx_conf() {
        tls=""
        if [ "$2" = yes ]; then
                tls="server { listen 0.0.0.0:443 ssl; ssl_certificate $WORK/tls.crt;
                        ssl_certificate_key $WORK/tls.key; location / { return 200 \"secure\\n\"; } }"
        fi
        cat >"$1" <<EOF
daemon off;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $WORK/ngx; proxy_temp_path $WORK/ngx; fastcgi_temp_path $WORK/ngx;
    uwsgi_temp_path $WORK/ngx; scgi_temp_path $WORK/ngx;
    server { listen 0.0.0.0:80; location / { return 200 "plain\n"; } }
    $tls
}
EOF
}
mkdir -p "$WORK/ngx"
nginx_conf "$WORK/nginx-plain.conf" no
nginx_conf "$WORK/nginx-tls.conf" yes
inns nginx -t -c "$WORK/nginx-tls.conf" -p "$WORK" >"$WORK/nginx-t.log" 2>&1 ||
        { cat "$WORK/nginx-t.log"; fail "nginx config test"; finish; }
start nginx nginx -c "$WORK/nginx-plain.conf" -p "$WORK"
NGINX_PID=${PIDS##* }

# Stand-ins speaking the real wire formats.
cat >"$WORK/mock.py" <<'EOF'
import json, socket, ssl, struct, sys, threading

kind, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])

def http(status, body, extra=""):
    b = json.dumps(body).encode()
    head = "HTTP/1.1 %s\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n" % (
        status, extra, len(b))
    return head.encode() + b

def bson(items):
    out = b""
    for k, v in items:
        key = k.encode() + b"\0"
        if isinstance(v, bool):
            out += b"\x08" + key + (b"\x01" if v else b"\x00")
        elif isinstance(v, int):
            out += b"\x10" + key + struct.pack("<i", v)
        elif isinstance(v, float):
            out += b"\x01" + key + struct.pack("<d", v)
        elif isinstance(v, str):
            s = v.encode() + b"\0"
            out += b"\x02" + key + struct.pack("<i", len(s)) + s
        elif isinstance(v, list):
            out += b"\x04" + key + bson([(str(i), x) for i, x in enumerate(v)])
        elif isinstance(v, dict):
            out += b"\x03" + key + bson(list(v.items()))
    return struct.pack("<i", len(out) + 5) + out + b"\0"

def recv_exact(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b

def read_http(c):
    b = b""
    while b"\r\n\r\n" not in b:
        d = c.recv(4096)
        if not d:
            raise EOFError
        b += d
    return b

def mongo(c, secure):
    while True:
        head = recv_exact(c, 16)
        length, req_id, _, opcode = struct.unpack("<iiii", head)
        body = recv_exact(c, length - 16)
        cmd = body[4 + 1 + 4 + 1:].split(b"\0", 1)[0].decode()
        if cmd in ("hello", "isMaster"):
            doc = bson([("isWritablePrimary", True), ("maxWireVersion", 21), ("ok", 1.0)])
        elif cmd == "listDatabases" and not secure:
            doc = bson([("databases", [{"name": "admin"}, {"name": "shop"}]), ("ok", 1.0)])
        else:
            doc = bson([("ok", 0.0), ("errmsg", "command %s requires authentication" % cmd),
                        ("code", 13), ("codeName", "Unauthorized")])
        msg = struct.pack("<iiiiI", 16 + 4 + 1 + len(doc), 99, req_id, 2013, 0) + b"\0" + doc
        c.sendall(msg)

def serve(c):
    try:
        if kind == "docker":
            read_http(c)
            c.sendall(http("200 OK", {"Version": "24.0.7", "ApiVersion": "1.43", "Os": "linux",
                                      "Arch": "amd64"}, "Api-Version: 1.43\r\n"))
        elif kind == "docker-tls":
            read_http(c)
            c.sendall(http("200 OK", {"Version": "24.0.7", "ApiVersion": "1.43"}))
        elif kind == "es":
            read_http(c)
            c.sendall(http("200 OK", {"name": "n1", "cluster_name": "test",
                                      "version": {"number": "7.17.9"},
                                      "tagline": "You Know, for Search"}))
        elif kind == "es-secure":
            read_http(c)
            c.sendall(http("401 Unauthorized", {"error": {"type": "security_exception"}},
                           "WWW-Authenticate: Basic realm=\"security\"\r\n"))
        elif kind in ("mongo", "mongo-secure"):
            mongo(c, kind == "mongo-secure")
    except (EOFError, OSError, ssl.SSLError):
        pass
    finally:
        c.close()

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((addr, port))
srv.listen(16)
ctx = None
if kind == "docker-tls":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])
while True:
    c, _ = srv.accept()
    if ctx:
        try:
            c = ctx.wrap_socket(c, server_side=True)
        except (ssl.SSLError, OSError):
            c.close()
            continue
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
start mock-docker python3 "$WORK/mock.py" docker 0.0.0.0 2375
start mock-docker-tls python3 "$WORK/mock.py" docker-tls 127.0.0.1 2376 "$WORK/tls.crt" "$WORK/tls.key"
start mock-es python3 "$WORK/mock.py" es 0.0.0.0 9200
start mock-es-secure python3 "$WORK/mock.py" es-secure 127.0.0.1 9201
start mock-mongo python3 "$WORK/mock.py" mongo 0.0.0.0 27017
start mock-mongo-secure python3 "$WORK/mock.py" mongo-secure 127.0.0.1 27018

for p in 6379 6380 11211 11212 3306 3307 22 2222 80 2375 2376 9200 9201 27017 27018; do
        wait_port "$p" || { for f in "$WORK"/*.log "$WORK"/*.err; do echo "== $f"; tail -5 "$f"; done; finish; }
done

# The safe MariaDB: root gets a password (every root account).
sql=""
for h in $(inns mariadb -S "$WORK/my2.sock" -u root -N -e \
        "SELECT host FROM mysql.user WHERE user='root'"); do
        sql="$sql ALTER USER 'root'@'$h' IDENTIFIED BY '$PW';"
done
inns mariadb -S "$WORK/my2.sock" -u root -e "$sql"

# ---- checking reports -------------------------------------------------------
cat >"$WORK/expect.py" <<'EOF'
# expect.py REPORT has|hasnt CHECK PORT [LEVEL [FIREWALL]]
import json, sys
report, mode, check, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
level = sys.argv[5] if len(sys.argv) > 5 else None
firewall = sys.argv[6] if len(sys.argv) > 6 else None
found = [f for f in json.load(open(report))["findings"]
         if f["check"] == check and f["evidence"].get("port") == port]
if mode == "hasnt":
    if found:
        print("unexpected: %s" % json.dumps(found[0]))
        sys.exit(1)
    sys.exit(0)
if not found:
    print("missing")
    sys.exit(1)
f = found[0]
if level and f["level"] != level:
    print("level %s, wanted %s" % (f["level"], level))
    sys.exit(1)
if firewall and f["evidence"].get("firewall") != firewall:
    print("firewall %s, wanted %s" % (f["evidence"].get("firewall"), firewall))
    sys.exit(1)
for k in ("proto", "address", "port", "process", "pid", "exe", "firewall"):
    if k not in f["evidence"]:
        print("evidence lacks %s" % k)
        sys.exit(1)
if not f.get("remediation"):
    print("no remediation")
    sys.exit(1)
EOF

# scan NAME CONFIG_YAML EXPECTED_STATUS
scan() {
        printf '%s\n' "$2" >"$WORK/$1.yml"
        if run "$3" inns "$VIGIL" --state "$WORK/state" --config "$WORK/$1.yml" scan \
                --only exposure --format json --no-progress; then
                cp "$WORK/out" "$WORK/$1.json"
        else
                echo '{"findings": []}' >"$WORK/$1.json"
        fi
}

# has REPORT CHECK PORT [LEVEL [FIREWALL]] / hasnt REPORT CHECK PORT
has() {
        r=$1
        shift
        if why=$(python3 "$WORK/expect.py" "$WORK/$r.json" has "$@"); then
                ok "$r: $1 on port $2 ${3:-}"
        else
                fail "$r: $1 on port $2: $why"
        fi
}
hasnt() {
        r=$1
        shift
        if why=$(python3 "$WORK/expect.py" "$WORK/$r.json" hasnt "$@"); then
                ok "$r: no $1 on port $2"
        else
                fail "$r: $1 on port $2: $why"
        fi
}

# ---- A: the whole namespace, no firewall information ------------------------
scan a "exposure:
  firewall: none
  probe_ports:
    elasticsearch: [9201]
    mongodb: [27018]" 1
has a exposure.redis-unauthenticated 6379 high unknown
hasnt a exposure.redis-unauthenticated 6380
has a exposure.mysql-root-empty-password 3306 high
hasnt a exposure.mysql-root-empty-password 3307
has a exposure.docker-api-unauthenticated 2375 high
hasnt a exposure.docker-api-unauthenticated 2376
has a exposure.elasticsearch-unauthenticated 9200 high
hasnt a exposure.elasticsearch-unauthenticated 9201
has a exposure.mongodb-unauthenticated 27017 high
hasnt a exposure.mongodb-unauthenticated 27018
has a exposure.memcached-unauthenticated 11211 high
has a exposure.memcached-unauthenticated 11212 low
has a exposure.remote-admin-open 22 medium unknown
hasnt a exposure.remote-admin-open 2222
has a exposure.web-without-https 80 medium
# A probe finding replaces the port finding for the same port.
hasnt a exposure.risky-port-open 6379
expect_in "$WORK/a.json" '"process": "redis-server"' "a: redis evidence names the process"
expect_in "$WORK/a.json" '"process": "sshd"' "a: sshd evidence names the process"
expect_in "$WORK/a.json" 'firewall not read (exposure.firewall: none)' "a: note on the firewall"
expect_not_in "$WORK/a.json" "$PW" "a: no password from a command line in the report"

# ---- B: nginx also serves TLS on 443: no "web without HTTPS" ----------------
kill "$NGINX_PID"
i=0
while kill -0 "$NGINX_PID" 2>/dev/null && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
done
start nginx-tls nginx -c "$WORK/nginx-tls.conf" -p "$WORK"
wait_port 80
wait_port 443
scan b "exposure:
  firewall: none
  ports: [80, 443]" 0
hasnt b exposure.web-without-https 80
hasnt b exposure.web-without-https 443

# ---- C: the real nftables firewall in the namespace ---------------------------
cat >"$WORK/rules.nft" <<'EOF'
table inet filter {
  chain input {
    type filter hook input priority 0; policy drop;
    iif lo accept
    ct state established,related accept
    tcp dport 22 ip saddr 203.0.113.0/24 accept
    tcp dport 11211 accept
  }
}
EOF
inns nft -f "$WORK/rules.nft"
scan c "exposure:
  ports: [22, 9200, 11211]" 1
hasnt c exposure.remote-admin-open 22
has c exposure.memcached-unauthenticated 11211 high unrestricted
# Elasticsearch beyond loopback but behind the firewall: low, "restricted".
has c exposure.elasticsearch-unauthenticated 9200 low restricted

# ---- D: the same ruleset from a saved file, the namespace's flushed ---------
inns nft -j list ruleset >"$WORK/saved-ruleset.json"
inns nft flush ruleset
scan d "exposure:
  ports: [22, 11211]
  nft_ruleset_file: $WORK/saved-ruleset.json" 1
hasnt d exposure.remote-admin-open 22
has d exposure.memcached-unauthenticated 11211 high unrestricted
# With the firewall gone for real (auto), 22 is reported with "none".
scan e "exposure:
  ports: [22]" 0
has e exposure.remote-admin-open 22 medium none

# ---- a --root scan has no live sockets -------------------------------------
mkdir -p "$WORK/img/etc"
: >"$WORK/empty.yml"
if run 0 "$VIGIL" --state "$WORK/state" --config "$WORK/empty.yml" scan --root "$WORK/img" \
        --only exposure --format json --no-progress; then
        expect_in "$WORK/out" 'listening sockets can only be seen on the running host' \
                "--root: info note"
        expect_in "$WORK/out" '"findings": []' "--root: no findings"
fi

finish
