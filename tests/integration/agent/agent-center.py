#!/usr/bin/env python3
"""The agent reporting to a real `vigil center` (on SQLite, on a loopback
port): `vigil agent enroll` with a token made by `vigil center token
create`, then the real daemon follows a log file in which sshd brute-force
lines are planted; the alerts must reach the center exactly once (checked
through the center's read API with an API key, against the agent's own
store as the oracle). Then both are killed with SIGKILL in the middle of a
stream of writes and restarted: every alert still arrives exactly once.
Commands queued on the center are run or refused as the agent's local
configuration says and acknowledged with the result. A forged credential
(the agent's id with a wrong secret) is refused with 401/403 and stores
nothing. Python 3 standard library only."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.environ.get("VIGIL_SOURCE", "."), "tests", "integration",
                                "center"))
from centerlib import Center, Runner, check, free_port  # noqa: E402

VIGIL = os.environ.get("VIGIL")
THRESHOLD = 3


def wait_for(what, cond, timeout=90):
    """Poll COND (bounded) until it returns a true value; fail with WHAT."""
    deadline = time.time() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.1)


class AgentProc:
    """The real `vigil agent` daemon on a state directory and a log file."""

    def __init__(self, work, extra_config=""):
        """EXTRA_CONFIG: more agent.* keys, indented by two spaces."""
        self.work = work
        self.state = os.path.join(work, "agent-state")
        self.logfile = os.path.join(work, "auth.log")
        self.config = os.path.join(work, "agent.yml")
        self.err = os.path.join(work, "agent.err")
        open(self.logfile, "a").close()
        with open(self.config, "w") as f:
            f.write("""agent:
  default_logs: false
  journal: false
  netattack: false
  fim: false
  scans: []
%s  start_at: beginning
  logs: [{path: %s}]
  center:
    heartbeat: 1s
    commands_interval: 1s
    retry_max: 1s
    batch_items: 50
login:
  judge_private: true
  bruteforce:
    failures: %d
    window: 10m
""" % (extra_config, self.logfile, THRESHOLD))
        self.proc = None

    def enroll(self, url, token):
        out = subprocess.run([VIGIL, "--state", self.state, "agent", "enroll", url, token],
                             capture_output=True, text=True)
        check(out.returncode == 0, "enroll failed: %s" % out.stderr)
        cred = os.path.join(self.state, "center.json")
        mode = os.stat(cred).st_mode & 0o777
        check(mode == 0o600, "center.json has mode %o, not 600" % mode)
        with open(cred) as f:
            c = json.load(f)
        check(c["secret"] not in out.stdout + out.stderr, "the secret was printed")
        self.cred = c
        return c

    def start(self):
        self.errf = open(self.err, "a")
        self.proc = subprocess.Popen([VIGIL, "--config", self.config, "--state", self.state,
                                      "agent"], stdout=subprocess.DEVNULL, stderr=self.errf)
        wait_for("the agent to report to the center",
                 lambda: self.proc.poll() is not None or
                 open(self.err).read().count("center: reporting to") > self.starts)
        check(self.proc.poll() is None, "the agent exited: %s" % open(self.err).read()[-2000:])
        self.starts += 1

    starts = 0

    def stop(self, sig=signal.SIGTERM):
        """Stop it; after SIGTERM it must exit cleanly (status 0, and no
        sanitizer report in an ASan build)."""
        rc = None
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                rc = self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.errf.close()
        self.proc = None
        if sig == signal.SIGTERM and rc is not None:
            err = open(self.err).read()
            check(rc == 0 and "Sanitizer" not in err and "runtime error" not in err,
                  "the agent did not stop cleanly (%s): %s" % (rc, err[-3000:]))

    fillers = 0

    def append(self, text):
        """One write per attack, so the lines of one source arrive together:
        a reader can see part of a write only where it crosses a page, so a
        filler line first moves the file to the next page when it would.
        (The login detectors' windows are as of their last snapshot after a
        SIGKILL, docs/agent.md; an attack split by the kill could go
        unreported for reasons that are not the shipper's.)"""
        data = text.encode()
        fd = os.open(self.logfile, os.O_WRONLY | os.O_APPEND)
        try:
            off = os.fstat(fd).st_size
            if off % 4096 + len(data) > 4096:
                pad = 4096 - off % 4096
                os.write(fd, b"#" * (pad - 1) + b"\n")
                self.fillers += 1
            os.write(fd, data)
        finally:
            os.close(fd)

    def store_alerts(self):
        """(id, src) of every brute-force alert in the agent's store."""
        db = os.path.join(self.state, "agent.db")
        con = sqlite3.connect(db, timeout=30)
        try:
            rows = con.execute("SELECT id, json FROM alerts WHERE rule = 'login.brute_force'"
                               ).fetchall()
        finally:
            con.close()
        return [(r[0], json.loads(r[1])["evidence"]["src"]) for r in rows]

    def status(self):
        out = subprocess.run([VIGIL, "--state", self.state, "agent", "status", "--format",
                              "json"], capture_output=True, text=True)
        check(out.returncode == 0, "agent status failed: %s" % out.stderr)
        return json.loads(out.stdout)


def attack(n, k):
    """sshd lines: THRESHOLD failures from source N (198.18.x.y), K-th."""
    ip = "198.18.%d.%d" % (n // 250, n % 250 + 1)
    lines = "".join("2026-11-27T03:%02d:%02d.000000+00:00 web1 sshd[%d]: Failed password for "
                    "root from %s port %d ssh2\n" % (k % 60, i, 1000 + n, ip, 40000 + i)
                    for i in range(THRESHOLD))
    return ip, lines


def center_alerts(center, key):
    """Every alert the center holds, through the read API (paged)."""
    out, cursor = [], None
    while True:
        path = "/api/v1/alerts?limit=500" + ("&cursor=" + cursor if cursor else "")
        body = center.api(key, path)
        out.extend(body["items"])
        cursor = body.get("next_cursor")
        if not cursor:
            return out


def brute(center, key):
    return [a for a in center_alerts(center, key) if a["rule"] == "login.brute_force"]


def setup(eng, centers, port=0, extra=""):
    c = Center(eng, listen="127.0.0.1:%d" % port)
    centers.append(c)
    c.start()
    key = c.apikey("admin")
    ag = AgentProc(eng.work, extra)
    ag.enroll("%s://%s:%d" % (c.scheme, c.host, c.port), c.token())
    return c, key, ag


def exactly_once(center, key, ag, ips):
    """The center holds one brute-force alert per source of IPS, the same
    ids as the agent's store, nothing else."""
    want = sorted(ips)
    got = wait_for("%d alerts at the center" % len(want),
                   lambda: (lambda b: b if len(b) >= len(want) else None)(brute(center, key)))
    # Give a duplicate a chance to show up: wait for the agent's spool to
    # be empty (everything acknowledged), then count again.
    wait_for("the spool to drain", lambda: ag.status()["center"]["spool"]["items"] == 0)
    got = brute(center, key)
    srcs = sorted(a["evidence"]["src"] for a in got)
    check(srcs == want, "center: %d alerts for %d sources; duplicates or gaps: %s" %
          (len(srcs), len(want), sorted(set(s for s in srcs if srcs.count(s) > 1))[:5] or
           sorted(set(want) - set(srcs))[:5]))
    local = ag.store_alerts()
    check(sorted(s for _, s in local) == want, "agent store: %d alerts for %d sources" %
          (len(local), len(want)))
    check(sorted(a["id"] for a in got) == sorted(i for i, _ in local),
          "the center's alert ids are not the agent's")
    check(all(a["host_id"] == ag.cred["agent_id"] for a in got), "alerts of another host")


def test_enroll_and_ship(eng, centers):
    c, key, ag = setup(eng, centers)
    # A second enrollment without --force is refused and keeps the credential.
    out = subprocess.run([VIGIL, "--state", ag.state, "agent", "enroll",
                          "http://127.0.0.1:%d" % c.port, "vet1.x"], capture_output=True,
                         text=True)
    check(out.returncode == 2 and "already enrolled" in out.stderr, "re-enroll: %r" % (out,))
    # Plain http to a non-loopback address is refused before anything is sent.
    out = subprocess.run([VIGIL, "--state", os.path.join(eng.work, "other"), "agent", "enroll",
                          "http://192.0.2.1:8080", "vet1.x"], capture_output=True, text=True)
    check(out.returncode == 2 and "loopback" in out.stderr, "http to a network: %r" % (out,))
    ag.start()
    try:
        ips = []
        for n in range(12):
            ip, lines = attack(n, n)
            ag.append(lines)
            ips.append(ip)
        exactly_once(c, key, ag, ips)
        st, metrics, _ = c.request("GET", "/metrics", headers={"Authorization": "Bearer " + key})
        hb = [ln for ln in metrics.splitlines()
              if ln.startswith("vigil_center_items_ingested_total") and "heartbeat" in ln]
        check(st == 200 and hb and float(hb[0].split()[-1]) >= 1,
              "no heartbeat reached the center: %r" % hb)
        # A later heartbeat reports the drained spool.
        wait_for("a heartbeat with an empty spool", lambda: c.api(
            key, "/api/v1/hosts/%d" % ag.cred["agent_id"])["spool"]["items"] == 0)
        st = ag.status()["center"]
        check(st["spool"]["shipped"] >= len(ips) and st["spool"]["dropped"] == 0,
              "status: %r" % st)
    finally:
        ag.stop()


def test_crash_both(eng, centers):
    port = free_port()
    c, key, ag = setup(eng, centers, port)
    ag.start()
    total = 300
    ips = []
    written = threading.Event()
    half = threading.Event()

    def writer():
        for n in range(total):
            ip, lines = attack(n, n)
            ag.append(lines)
            ips.append(ip)
            if n == total // 3:
                half.set()
            time.sleep(0.01)
        written.set()

    t = threading.Thread(target=writer)
    t.start()
    try:
        half.wait(60)
        # Kill both in the middle of the stream: the agent first (it may be
        # mid-batch, mid-commit or mid-send), then the center.
        ag.stop(signal.SIGKILL)
        c.kill9()
        ag.start()  # sends into the void for a while: the center is down
        time.sleep(0.5)
        c.start()
        # And once more while lines still arrive.
        ag.stop(signal.SIGKILL)
        ag.start()
        written.wait(120)
        t.join()
        check(c.port == port, "the center came back on another port")
        exactly_once(c, key, ag, ips)
        # The records were each read once as well.
        st = ag.status()
        recs = sum(s["records"] for s in st["sources"])
        check(recs == total * THRESHOLD + ag.fillers, "records counted %d, written %d" %
              (recs, total * THRESHOLD + ag.fillers))
    finally:
        written.wait(120)
        ag.stop()


def test_commands(eng, centers):
    c, key, ag = setup(eng, centers, extra="""  commands:
    quarantine: true
""")
    victim = os.path.join(eng.work, "dropper.sh")
    with open(victim, "w") as f:
        f.write("#!/bin/sh\necho evil\n")
    aid = ag.cred["agent_id"]
    now = int(time.time() * 1e6)
    cmds = [(101, "block_ip", {"ip": "203.0.113.9"}),  # refused: response.block is off
            (102, "kill", {"pid": 99999}),  # refused: agent.commands.kill is off
            (103, "quarantine", {"path": victim}),  # done
            (104, "quarantine", {"path": os.path.join(eng.work, "missing")}),  # failed
            (105, "update_rules", {})]  # done: a reload
    for cid, kind, args in cmds:
        eng.execute("INSERT INTO commands (id, host_id, kind, args, status, created_at,"
                    " expires_at) VALUES (%d, %d, '%s', '%s', 'pending', %d, %d)" %
                    (cid, aid, kind, json.dumps(args), now, now + 3600 * 10**6))
    ag.start()
    try:
        def acked():
            items = c.api(key, "/api/v1/hosts/%d/commands" % aid)["items"]
            done = {x["id"]: x for x in items if x["status"] in ("done", "failed")}
            return done if len(done) == len(cmds) else None
        done = wait_for("every command acknowledged", acked)
        check(done[101]["status"] == "failed" and done[101]["result"]["refused"] and
              "response.block" in done[101]["result"]["reason"], "block_ip: %r" % done[101])
        check(done[102]["status"] == "failed" and done[102]["result"]["refused"] and
              "agent.commands.kill" in done[102]["result"]["reason"], "kill: %r" % done[102])
        check(done[103]["status"] == "done" and not os.path.exists(victim) and
              len(done[103]["result"]["sha256"]) == 64, "quarantine: %r" % done[103])
        check(done[104]["status"] == "failed" and "refused" not in done[104]["result"],
              "quarantine of a missing file: %r" % done[104])
        check(done[105]["status"] == "done" and done[105]["result"]["reloading"],
              "update_rules: %r" % done[105])
        wait_for("the reload", lambda: "SIGHUP" in open(ag.err).read() or
                 "reloading the configuration" in open(ag.err).read())
        # After the reload the agent still reports: a new attack arrives.
        ip, lines = attack(7, 7)
        ag.append(lines)
        wait_for("an alert after the reload", lambda: brute(c, key))
        # Delivered again (as if the ack had been lost): not run twice.
        eng.execute("UPDATE commands SET status = 'sent' WHERE id = 103")
        with open(victim, "w") as f:
            f.write("again\n")
        wait_for("the re-delivered command to be acknowledged again",
                 lambda: c.api(key, "/api/v1/hosts/%d/commands" % aid)["items"] and
                 [x for x in c.api(key, "/api/v1/hosts/%d/commands" % aid)["items"]
                  if x["id"] == 103 and x["status"] == "done"])
        check(os.path.exists(victim), "a command delivered twice ran twice")
    finally:
        ag.stop()


def test_forged_credential(eng, centers):
    c, key, ag = setup(eng, centers)
    aid = ag.cred["agent_id"]
    wrong = "%d.%s" % (aid, "0" * 64 if ag.cred["secret"] != "0" * 64 else "1" * 64)
    body = json.dumps({"agent_id": aid, "batch_id": "forged-1", "seq": 1, "items": [
        {"kind": "alert", "id": "forged0000000000000000000000001", "type": "abnormal_login",
         "rule": "login.brute_force", "level": "urgent", "time": "2026-11-27T03:00:00Z",
         "title": "forged"}]})
    st, res, _ = c.request("POST", "/api/v1/agent/batch", body,
                           {"Authorization": "Bearer " + wrong,
                            "Content-Type": "application/json"})
    check(st in (401, 403), "a forged credential was answered %d %r" % (st, res))
    st, res, _ = c.request("GET", "/api/v1/agent/commands", None,
                           {"Authorization": "Bearer " + wrong})
    check(st in (401, 403), "a forged credential pulled commands: %d" % st)
    check(eng.scalar("SELECT count(*) FROM alerts") == 0, "the forged batch stored alerts")
    check(eng.scalar("SELECT count(*) FROM batches") == 0, "the forged batch was recorded")
    # The agent with the wrong secret in its file is refused and keeps its
    # spool: nothing reaches the center.
    cred = os.path.join(ag.state, "center.json")
    with open(cred) as f:
        doc = json.load(f)
    doc["secret"] = wrong.split(".")[1]
    with open(cred, "w") as f:
        json.dump(doc, f)
    os.chmod(cred, 0o600)
    ag.start()
    try:
        ip, lines = attack(1, 1)
        ag.append(lines)
        wait_for("the alert in the agent's store", lambda: ag.store_alerts())
        wait_for("the agent to say it was refused",
                 lambda: "does not accept this agent's credential" in open(ag.err).read())
        check(eng.scalar("SELECT count(*) FROM alerts") == 0, "alerts stored for a forged agent")
        check(ag.status()["center"]["spool"]["items"] >= 1, "the spool lost the alert")
    finally:
        ag.stop()


def test_tls(eng, centers):
    """Over HTTPS: the center's certificate is verified, against --ca."""
    cert = os.path.join(eng.work, "cert.pem")
    keyf = os.path.join(eng.work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", keyf,
                    "-out", cert], check=True, capture_output=True)
    c = Center(eng, config="  tls:\n    cert: %s\n    key: %s\n" % (cert, keyf))
    centers.append(c)
    c.start()
    check(c.scheme == "https", "the center says https")
    key = c.apikey("admin")
    url = "https://127.0.0.1:%d" % c.port
    ag = AgentProc(eng.work)
    # Without the CA the certificate cannot be verified: refused.
    out = subprocess.run([VIGIL, "--state", ag.state, "agent", "enroll", url, c.token()],
                         capture_output=True, text=True)
    check(out.returncode == 2 and "certificate" in out.stderr.lower(),
          "an unverifiable certificate was accepted: %r" % (out,))
    check(not os.path.exists(os.path.join(ag.state, "center.json")), "a credential was kept")
    out = subprocess.run([VIGIL, "--state", ag.state, "agent", "enroll", url, c.token(),
                          "--ca", cert], capture_output=True, text=True)
    check(out.returncode == 0, "enroll over TLS with --ca: %s" % out.stderr)
    with open(os.path.join(ag.state, "center.json")) as f:
        ag.cred = json.load(f)
    check(ag.cred["ca_file"] == cert, "the CA file is not kept: %r" % ag.cred.get("ca_file"))
    ag.start()
    try:
        ips = []
        for n in range(3):
            ip, lines = attack(n, n)
            ag.append(lines)
            ips.append(ip)
        exactly_once(c, key, ag, ips)
    finally:
        ag.stop()


if __name__ == "__main__":
    if not VIGIL:
        print("VIGIL is not set")
        sys.exit(2)
    Runner(kinds=["sqlite"]).run([test_enroll_and_ship, test_forged_credential, test_commands,
                                  test_tls, test_crash_both])
