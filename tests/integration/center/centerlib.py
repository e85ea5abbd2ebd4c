"""Helpers for the center's integration tests: a real PostgreSQL cluster
started for the test, the real `vigil center` binary, an agent client that
speaks the intake protocol (written here independently of the C code, from
docs/api.md), and a tiny test runner that runs every test against each
database engine and ends with the line "N passed, N failed".

Only the Python standard library is used."""

import gzip
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
import uuid

VIGIL = os.environ.get("VIGIL")
PG_BIN = os.environ.get("VIGIL_PG_BIN", "/usr/lib/postgresql/15/bin")
ON_CI = os.environ.get("CI") == "true"


class Skip(Exception):
    """Raised by a test that does not apply to this engine."""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """A throw-away PostgreSQL server on a unix socket in /tmp. PostgreSQL
    refuses to run as root, so as root it runs as the postgres user."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="vigil-pg.")
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "sock")
        self.port = free_port()
        os.mkdir(self.sock)
        self.as_user = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.dir, "postgres", "postgres")
            shutil.chown(self.sock, "postgres", "postgres")
            os.chmod(self.dir, 0o755)
        self._run([os.path.join(PG_BIN, "initdb"), "-D", self.data, "-A", "trust",
                   "-U", "postgres", "--locale=C", "-E", "UTF8", "--no-sync"])
        opts = ("-p %d -k %s -c listen_addresses='' -c fsync=off "
                "-c max_connections=300 -c shared_buffers=64MB" % (self.port, self.sock))
        self._run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-o", opts,
                   "-l", os.path.join(self.dir, "log"), "-w", "start"])
        self.started = True

    def _run(self, argv):
        subprocess.run(self.as_user + argv, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)

    def create_db(self, name):
        self.psql("postgres", "CREATE DATABASE %s" % name)
        return "postgres://postgres@/%s?host=%s&port=%d" % (name, self.sock, self.port)

    def psql(self, db, sql):
        out = subprocess.run(["psql", "-X", "-q", "-At", "-h", self.sock, "-p", str(self.port),
                              "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-c", sql],
                             check=True, capture_output=True, text=True)
        return out.stdout

    def stop(self):
        if getattr(self, "started", False):
            subprocess.run(self.as_user + [os.path.join(PG_BIN, "pg_ctl"), "-D", self.data,
                                           "-m", "immediate", "stop"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)


def pg_available():
    return os.path.exists(os.path.join(PG_BIN, "initdb")) and shutil.which("psql")


class Engine:
    """A database for one test: a fresh SQLite file or a fresh PostgreSQL
    database, with a way to read it directly (the oracle)."""

    def __init__(self, kind, work, pg=None):
        self.kind = kind
        self.work = work
        self.pg = pg
        if kind == "sqlite":
            self.path = os.path.join(work, "center.db")
            self.url = "sqlite:" + self.path
        else:
            self.dbname = "t_" + uuid.uuid4().hex[:12]
            self.url = pg.create_db(self.dbname)

    def query(self, sql):
        """Rows of SQL as lists of strings (None for NULL)."""
        if self.kind == "sqlite":
            con = sqlite3.connect(self.path, timeout=30)
            try:
                rows = con.execute(sql).fetchall()
            finally:
                con.close()
            return [[None if v is None else str(v) for v in r] for r in rows]
        out = self.pg.psql(self.dbname, "COPY (%s) TO STDOUT WITH (FORMAT csv)" % sql)
        import csv
        import io
        return [list(r) for r in csv.reader(io.StringIO(out))]

    def scalar(self, sql):
        rows = self.query(sql)
        return int(rows[0][0]) if rows and rows[0][0] is not None else None

    def execute(self, sql):
        if self.kind == "sqlite":
            con = sqlite3.connect(self.path, timeout=30)
            try:
                con.execute(sql)
                con.commit()
            finally:
                con.close()
        else:
            self.pg.psql(self.dbname, sql)


class Center:
    """One `vigil center` process."""

    def __init__(self, engine, config="", listen="127.0.0.1:0", extra=None, name="center"):
        self.engine = engine
        self.state = os.path.join(engine.work, "state")
        os.makedirs(self.state, exist_ok=True)
        self.config_path = os.path.join(engine.work, name + ".yml")
        with open(self.config_path, "w") as f:
            f.write("center:\n  db: \"%s\"\n" % engine.url)
            if "maintenance_interval" not in config:
                f.write("  maintenance_interval: 1h\n")
            f.write(config)
        self.listen = listen
        self.extra = extra or []
        self.name = name
        self.proc = None
        self.log = os.path.join(engine.work, name + ".log")

    def cli(self, *args, check=True):
        out = subprocess.run([VIGIL, "--state", self.state, "--config", self.config_path,
                              "center"] + list(args), capture_output=True, text=True)
        if check and out.returncode != 0:
            raise AssertionError("vigil center %s failed: %s" % (" ".join(args), out.stderr))
        return out

    def start(self, wait=True):
        ready = os.path.join(self.engine.work, self.name + ".ready")
        if os.path.exists(ready):
            os.unlink(ready)
        self.logf = open(self.log, "a")
        self.proc = subprocess.Popen([VIGIL, "--state", self.state, "--config", self.config_path,
                                      "center", "--listen", self.listen, "--ready-file", ready]
                                     + self.extra, stdout=self.logf, stderr=self.logf)
        if not wait:
            return self
        deadline = time.time() + 30
        while not os.path.exists(ready):
            if self.proc.poll() is not None:
                raise AssertionError("the center exited: %s" % open(self.log).read()[-2000:])
            if time.time() > deadline:
                raise AssertionError("the center did not start")
            time.sleep(0.02)
        url = open(ready).read().strip()
        scheme, rest = url.split("://")
        host, port = rest.rsplit(":", 1)
        self.scheme, self.host, self.port = scheme, host, int(port)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.logf.close()
        self.proc = None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.logf.close()
        self.proc = None

    def conn(self):
        if self.scheme == "https":
            import ssl
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection(self.host, self.port, timeout=60, context=ctx)
        return http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(self, method, path, body=None, headers=None, conn=None):
        """(status, parsed JSON or text, headers). BODY: bytes, str or a
        JSON-able object."""
        c = conn or self.conn()
        h = dict(headers or {})
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        if conn is None:
            c.close()
        ctype = r.getheader("Content-Type", "")
        if ctype.startswith("application/json"):
            return r.status, json.loads(data), r
        return r.status, data.decode("utf-8", "replace"), r

    def token(self, uses=1, expires="1h"):
        return self.cli("token", "create", "--uses", str(uses), "--expires",
                        expires).stdout.strip()

    def apikey(self, role="admin"):
        return self.cli("apikey", "create", "--role", role).stdout.strip()

    def api(self, key, path):
        st, body, _ = self.request("GET", path, headers={"Authorization": "Bearer " + key})
        if st != 200:
            raise AssertionError("GET %s: %d %s" % (path, st, body))
        return body


class Agent:
    """An enrolled agent: its credential and a batch sender."""

    def __init__(self, center, token, hostname="host-1", **info):
        body = {"token": token, "hostname": hostname}
        body.update(info)
        st, res, _ = center.request("POST", "/api/v1/agent/enroll", body)
        if st != 201:
            raise AssertionError("enroll: %d %s" % (st, res))
        self.center = center
        self.id = res["agent_id"]
        self.secret = res["secret"]
        self.credential = res["credential"]
        self.seq = 0

    def headers(self, gz=True):
        h = {"Authorization": "Bearer " + self.credential, "Content-Type": "application/json"}
        if gz:
            h["Content-Encoding"] = "gzip"
        return h

    def batch_body(self, items, batch_id=None, agent_id=None, seq=None):
        self.seq += 1
        return {"agent_id": self.id if agent_id is None else agent_id,
                "batch_id": batch_id or ("b-%d-%s" % (self.seq, uuid.uuid4().hex[:8])),
                "seq": self.seq if seq is None else seq, "items": items}

    def send(self, items=None, body=None, gz=True, headers=None, conn=None, raw=None,
             center=None):
        center = center or self.center
        if raw is None:
            doc = body if body is not None else self.batch_body(items or [])
            raw = json.dumps(doc).encode()
            if gz:
                raw = gzip.compress(raw)
        h = headers if headers is not None else self.headers(gz)
        return center.request("POST", "/api/v1/agent/batch", raw, h, conn=conn)


_seq = [0]


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int((t % 1) * 1e6)


def alert(level="suspicious", type_="abnormal_login", rule="ssh.brute_force", t=None, **kw):
    _seq[0] += 1
    a = {"kind": "alert", "id": kw.pop("id", uuid.uuid4().hex), "type": type_, "rule": rule,
         "level": level, "time": iso(t if t is not None else time.time()),
         "title": kw.pop("title", "alert %d" % _seq[0]),
         "evidence": kw.pop("evidence", {"src": "203.0.113.%d" % (_seq[0] % 250)})}
    a.update(kw)
    return a


def finding(fid, level="medium", category="baseline", check="ssh.root-login", t=None, **kw):
    f = {"kind": "finding", "id": fid, "category": category, "check": check, "level": level,
         "title": kw.pop("title", "finding " + fid[:6]), "time": iso(t if t else time.time())}
    f.update(kw)
    return f


class Runner:
    """Runs test functions against each engine; prints one line per test and
    the closing "N passed, N failed" line."""

    def __init__(self, kinds=None):
        self.kinds = kinds
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def engines(self):
        if self.kinds:
            return self.kinds
        kinds = ["sqlite"]
        if pg_available():
            kinds.append("postgres")
        elif ON_CI:
            print("FAIL: PostgreSQL is not installed (%s/initdb, psql)" % PG_BIN)
            self.failed += 1
        else:
            print("skip: PostgreSQL is not installed; running on SQLite only")
        return kinds

    def run(self, tests):
        pg = None
        try:
            for kind in self.engines():
                if kind == "postgres":
                    try:
                        pg = PgCluster()
                    except Exception as e:
                        print("FAIL: cannot start PostgreSQL: %s %s" %
                              (e, getattr(e, "stderr", b"")))
                        self.failed += 1
                        continue
                for t in tests:
                    work = tempfile.mkdtemp(prefix="vigil-center-it.")
                    centers = []
                    try:
                        eng = Engine(kind, work, pg)
                        t(eng, centers)
                        print("ok: %s [%s]" % (t.__name__, kind))
                        self.passed += 1
                    except Skip as e:
                        print("skip: %s [%s]: %s" % (t.__name__, kind, e))
                        self.skipped += 1
                    except Exception:
                        print("FAIL: %s [%s]" % (t.__name__, kind))
                        traceback.print_exc(file=sys.stdout)
                        for c in centers:
                            try:
                                print("--- %s log:\n%s" % (c.name, open(c.log).read()[-3000:]))
                            except OSError:
                                pass
                        self.failed += 1
                    finally:
                        for c in centers:
                            try:
                                c.stop()
                            except Exception:
                                pass
                        shutil.rmtree(work, ignore_errors=True)
        finally:
            if pg:
                pg.stop()
        print("%d passed, %d failed, %d skipped" % (self.passed, self.failed, self.skipped))
        sys.exit(1 if self.failed else 0)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def expect_error(res, status, what):
    st, body, _ = res
    check(st == status, "%s: wanted %d, got %d %s" % (what, status, st, body))
    check(isinstance(body, dict) and isinstance(body.get("error"), str) and body.get("message"),
          "%s: the error is not a JSON {error, message}: %r" % (what, body))
    return body
