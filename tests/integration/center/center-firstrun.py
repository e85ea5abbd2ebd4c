#!/usr/bin/env python3
"""What a new user meets on the first run of `vigil center`, against the
real binary on SQLite and PostgreSQL:

- a state directory (or the directory of a sqlite: database) that does not
  exist yet is made, mode 0700, and when it cannot be, the error names the
  directory and the reason;
- HEAD answers like GET without a body, on every GET route;
- a host that has not been scanned yet has no score (null, band "not
  scanned") instead of a clean 100, and the fleet score counts only
  scanned hosts;
- alerts carry their dedupe subject from the detectors (logscan's fast
  writer and alert_to_json) through the intake to the API, and logscan's
  alert lines are byte for byte what jansson itself prints for them (the
  oracle is libjansson, loaded with ctypes);
- the console's static files carry an ETag (the SHA-256 of the file) with
  Cache-Control no-cache and answer 304 to a matching If-None-Match, while
  API answers stay no-store.

The oracles are the files and modes on disk, the raw bytes on the socket,
Python's own hash, the database and jansson."""

import ctypes
import hashlib
import json
import os
import socket
import stat
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from centerlib import (VIGIL, Agent, Center, Runner, Skip, alert, check,  # noqa: E402
                       finding, iso)

# The keys of an alert object, in order (docs/logscan.md, docs/api.md).
ALERT_KEYS = ["id", "type", "rule", "subject", "level", "time", "host", "title", "evidence",
              "remediation"]


def vigil(state, config, *args):
    return subprocess.run([VIGIL, "--state", state, "--config", config] + list(args),
                          capture_output=True, text=True, timeout=120)


def empty_config(work):
    path = os.path.join(work, "empty.yml")
    with open(path, "w") as f:
        f.write("# nothing: every default\n")
    return path


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# ---- 1. the state directory and the database's directory ----

def test_missing_state_dir(eng, centers):
    if eng.kind != "sqlite":
        raise Skip("only SQLite keeps its database in a directory")
    cfg = empty_config(eng.work)
    # The default database (STATE/center.db) with a state directory whose
    # parent does not exist either: the first command a new user runs.
    state = os.path.join(eng.work, "fresh", "state")
    out = vigil(state, cfg, "center", "user", "add", "admin", "--role", "admin")
    check(out.returncode == 0, "user add with a new state directory: %s" % out.stderr)
    check(len(out.stdout.strip()) >= 12, "a password was printed")
    check(os.path.isfile(os.path.join(state, "center.db")), "the database is in the state dir")
    check(mode(state) == 0o700, "state directory mode %o" % mode(state))
    # Directories below the state directory are made with their parents.
    deep = os.path.join(state, "db", "center", "c.db")
    out = vigil(state, cfg, "center", "--db", "sqlite:" + deep, "token", "create")
    check(out.returncode == 0, "token create under the state dir: %s" % out.stderr)
    for d in (os.path.join(state, "db"), os.path.dirname(deep)):
        check(mode(d) == 0o700, "%s: mode %o" % (d, mode(d)))
    check(os.path.isfile(deep), "the nested database exists")
    # The server itself, on a state directory nobody made.
    state2 = os.path.join(eng.work, "fresh2", "state")
    ready = os.path.join(eng.work, "ready")
    proc = subprocess.Popen([VIGIL, "--state", state2, "--config", cfg, "center", "--listen",
                             "127.0.0.1:0", "--ready-file", ready],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 30
        while not os.path.exists(ready) and proc.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        check(os.path.exists(ready), "serve with a new state directory did not start: %s" %
              (proc.stderr.read() if proc.poll() is not None else "timeout"))
        check(mode(state2) == 0o700, "serve: state directory mode %o" % mode(state2))
    finally:
        proc.terminate()
        proc.wait(30)
        proc.stderr.close()
    # A database outside the state directory: its own directory is made,
    # but not missing parents (a typing error must not leave a tree).
    outside = os.path.join(eng.work, "elsewhere")
    os.mkdir(outside)
    db = os.path.join(outside, "center", "c.db")
    out = vigil(state, cfg, "center", "--db", "sqlite:" + db, "migrate")
    check(out.returncode == 0, "migrate with a new directory outside: %s" % out.stderr)
    check(mode(os.path.dirname(db)) == 0o700, "outside directory mode")
    missing = os.path.join(eng.work, "no", "such", "c.db")
    out = vigil(state, cfg, "center", "--db", "sqlite:" + missing, "migrate")
    check(out.returncode == 2, "missing parents outside the state dir: exit %d" % out.returncode)
    check(os.path.dirname(missing) in out.stderr and "parent directory does not exist" in
          out.stderr, "the error names the directory and why: %r" % out.stderr)
    check("unable to open database file" not in out.stderr, "not SQLite's message")
    check(not os.path.exists(os.path.join(eng.work, "no")), "nothing made outside")
    # A path through a regular file: the directory and the reason.
    afile = os.path.join(eng.work, "afile")
    open(afile, "w").close()
    out = vigil(os.path.join(afile, "state"), cfg, "center", "token", "list")
    check(out.returncode == 2 and os.path.join(afile, "state") in out.stderr and
          "Not a directory" in out.stderr, "state below a file: %r" % out.stderr)
    out = vigil(state, cfg, "center", "--db", "sqlite:" + os.path.join(afile, "c.db"), "migrate")
    check(out.returncode == 2 and afile in out.stderr and "not a directory" in out.stderr,
          "database below a file: %r" % out.stderr)


# ---- 2. HEAD ----

def raw(c, method, path, headers=None):
    """(status, headers dict with lowercase names, body bytes) read off the
    socket until the server closes it."""
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s:%d" % (c.host, c.port),
             "Connection: close"]
    for k, v in (headers or {}).items():
        lines.append("%s: %s" % (k, v))
    s = socket.create_connection((c.host, c.port), timeout=30)
    try:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    first, *rest = head.decode("latin-1").split("\r\n")
    hdrs = {}
    for line in rest:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return int(first.split()[1]), hdrs, body


def test_head(eng, centers):
    c = Center(eng)
    centers.append(c)
    c.start()
    key = c.apikey("viewer")
    auth = {"Authorization": "Bearer " + key}
    for path, h in (("/", {}), ("/console/app.js", {}), ("/console/style.css", {}),
                    ("/api/v1/overview", auth), ("/api/v1/hosts", auth),
                    ("/api/v1/session", auth), ("/metrics", auth)):
        gst, gh, gbody = raw(c, "GET", path, h)
        hst, hh, hbody = raw(c, "HEAD", path, h)
        check(gst == 200, "GET %s: %d" % (path, gst))
        check(hst == gst, "HEAD %s: %d, GET gave %d" % (path, hst, gst))
        check(hbody == b"", "HEAD %s sent a body of %d bytes" % (path, len(hbody)))
        check(hh.get("content-type") == gh.get("content-type"),
              "HEAD %s content type %r vs %r" % (path, hh.get("content-type"),
                                                 gh.get("content-type")))
        check(hh.get("content-length") == str(len(gbody)) or path.startswith("/api") or
              path == "/metrics",
              "HEAD %s content length %r, GET body %d" % (path, hh.get("content-length"),
                                                          len(gbody)))
        check(hh.get("cache-control") == gh.get("cache-control"), "HEAD %s caching" % path)
    # Refusals as GET would give them, and HEAD is no way into POST routes.
    st, _, body = raw(c, "HEAD", "/api/v1/overview")
    check(st == 401 and body == b"", "HEAD without a credential: %d" % st)
    st, _, body = raw(c, "HEAD", "/api/v1/agent/batch")
    check(st == 405 and body == b"", "HEAD on a POST-only route: %d" % st)
    st, _, _ = raw(c, "HEAD", "/no/such/path")
    check(st == 404, "HEAD on an unknown path: %d" % st)
    # A method nobody routes stays refused.
    st, _, _ = raw(c, "PUT", "/")
    check(st == 405, "PUT /: %d" % st)


# ---- 3. no scan yet ----

def scan_result(categories, findings=0):
    now = time.time()
    return {"kind": "scan_result", "id": uuid.uuid4().hex, "started": iso(now - 5),
            "finished": iso(now), "categories": categories, "findings": findings}


def heartbeat():
    return {"kind": "heartbeat", "time": iso(time.time()), "agent_version": "0.1.0"}


def test_not_scanned(eng, centers):
    c = Center(eng)
    centers.append(c)
    c.start()
    key = c.apikey("viewer")
    tok = c.token(uses=3)
    fresh = Agent(c, tok, "fresh-1")
    clean = Agent(c, tok, "clean-1")
    risky = Agent(c, tok, "risky-1")
    for a in (fresh, clean, risky):
        st, res, _ = a.send([heartbeat()])
        check(st == 200, "heartbeat: %d %r" % (st, res))

    # Nothing scanned: no host score, no fleet score.
    h = c.api(key, "/api/v1/hosts/%d" % fresh.id)
    check(h["score"] is None and h["band"] == "not scanned" and h["scanned"] is False,
          "a host before its first scan: %r" % {k: h.get(k) for k in ("score", "band",
                                                                       "scanned")})
    o = c.api(key, "/api/v1/overview")
    check(o["fleet"]["score"] is None and o["fleet"]["band"] == "not scanned" and
          o["fleet"]["mean_host_score"] is None, "fleet before any scan: %r" % o["fleet"])
    check(o["hosts"]["not_scanned"] == 3 and o["hosts"]["scanned"] == 0 and
          o["hosts"]["by_band"]["not_scanned"] == 3 and o["hosts"]["by_band"]["secure"] == 0,
          "host counts: %r" % o["hosts"])

    # An urgent alert on the unscanned host: still no score, and it does
    # not drag the fleet score (of the scanned hosts) down.
    st, _, _ = fresh.send([alert(level="urgent", rule="login.after_brute_force",
                                 subject="203.0.113.9")])
    check(st == 200, "alert")
    # clean-1: a finished scan that found nothing. risky-1: one high risk.
    st, res, _ = clean.send([scan_result(["baseline", "vulnerability"])])
    check(st == 200, "scan result: %d %r" % (st, res))
    st, res, _ = risky.send([finding("h" * 32, level="high", category="vulnerability",
                                     check="CVE-2024-6387"),
                             scan_result(["vulnerability"], 1)])
    check(st == 200, "finding: %d %r" % (st, res))

    hosts = {h["hostname"]: h for h in c.api(key, "/api/v1/hosts")["items"]}
    check(hosts["fresh-1"]["score"] is None and hosts["fresh-1"]["band"] == "not scanned",
          "fresh-1 after an alert: %r" % hosts["fresh-1"])
    check(hosts["fresh-1"]["alerts"]["urgent"] == 1, "its alert is counted")
    check(hosts["clean-1"]["score"] == 100 and hosts["clean-1"]["band"] == "secure" and
          hosts["clean-1"]["scanned"] is True, "clean-1: %r" % hosts["clean-1"])
    risky_score = hosts["risky-1"]["score"]
    check(isinstance(risky_score, int) and 60 < risky_score <= 80, "risky-1: %r" % risky_score)
    o = c.api(key, "/api/v1/overview")
    # The fleet of the two scanned hosts: one open high risk, no alert
    # (the urgent alert of fresh-1 would cap the score at 60).
    check(o["fleet"]["score"] == risky_score and o["fleet"]["band"] == hosts["risky-1"]["band"],
          "fleet score %r, wanted %r" % (o["fleet"], risky_score))
    check(abs(o["fleet"]["mean_host_score"] - (100 + risky_score) / 2) < 1e-9,
          "mean of scanned hosts: %r" % o["fleet"]["mean_host_score"])
    check(o["hosts"]["scanned"] == 2 and o["hosts"]["not_scanned"] == 1 and
          o["hosts"]["by_band"]["not_scanned"] == 1 and o["hosts"]["by_band"]["secure"] == 1,
          "host counts: %r" % o["hosts"])
    check(o["alerts"]["open"]["urgent"] == 1, "open alerts still count every host")
    attention = {h["hostname"]: h for h in o["attention"]}
    check("fresh-1" in attention and attention["fresh-1"]["score"] is None,
          "a host with an urgent alert needs attention, without a score: %r" % o["attention"])

    # Filters and sorting: "not_scanned" is a band; scanned bands leave
    # unscanned hosts out; by score, unscanned hosts come last.
    names = [h["hostname"] for h in c.api(key, "/api/v1/hosts?band=not_scanned")["items"]]
    check(names == ["fresh-1"], "band=not_scanned: %r" % names)
    names = [h["hostname"] for h in c.api(key, "/api/v1/hosts?band=secure")["items"]]
    check(names == ["clean-1"], "band=secure: %r" % names)
    names = [h["hostname"] for h in c.api(key, "/api/v1/hosts?sort=score")["items"]]
    check(names == ["risky-1", "clean-1", "fresh-1"], "sort=score: %r" % names)
    # Page by page, the cursor keeps that order.
    seen, cursor = [], None
    for _ in range(5):
        page = c.api(key, "/api/v1/hosts?sort=score&limit=1" +
                     ("&cursor=" + cursor if cursor else ""))
        seen += [h["hostname"] for h in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    check(seen == ["risky-1", "clean-1", "fresh-1"], "paged by score: %r" % seen)
    st, body, _ = c.request("GET", "/api/v1/hosts?band=unknown",
                            headers={"Authorization": "Bearer " + key})
    check(st == 400 and "not_scanned" in body["message"], "bad band: %d %r" % (st, body))


# ---- 4. the alert's subject ----

def jansson_dump(line):
    """What jansson prints for the JSON text LINE in compact form."""
    lib = ctypes.CDLL("libjansson.so.4")
    lib.json_loads.restype = ctypes.c_void_p
    lib.json_loads.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p]
    lib.json_dumps.restype = ctypes.c_void_p
    lib.json_dumps.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    lib.json_delete.argtypes = [ctypes.c_void_p]
    libc = ctypes.CDLL(None)
    libc.free.argtypes = [ctypes.c_void_p]
    err = ctypes.create_string_buffer(512)  # json_error_t is smaller
    obj = lib.json_loads(line.encode(), 0, err)
    check(obj, "jansson cannot load %r" % line[:200])
    JSON_COMPACT = 0x20
    s = lib.json_dumps(obj, JSON_COMPACT)
    out = ctypes.string_at(s).decode()
    libc.free(s)
    # json_decref is a macro; the object is freed with its last reference.
    lib.json_delete(obj)
    return out


def logscan_alerts(work):
    """Alerts of `vigil logscan --format jsonl` over an sshd log with a
    brute force from 203.0.113.77 (user names with a quote, a backslash, a
    control character and non-ASCII text)."""
    log = os.path.join(work, "auth.log")
    users = ["root", 'o"brien', "back\\slash", "tab\there", "jörg"]
    with open(log, "w") as f:
        for i in range(12):
            f.write("2026-11-26T23:15:%02d.000000+00:00 web-1 sshd[%d]: Failed password for "
                    "invalid user %s from 203.0.113.77 port %d ssh2\n" %
                    (10 + i, 600 + i, users[i % len(users)], 40000 + i))
    out = subprocess.run([VIGIL, "logscan", "--format", "jsonl", log], capture_output=True,
                         text=True, timeout=60)
    check(out.returncode in (0, 1), "logscan: %d %s" % (out.returncode, out.stderr))
    return [line for line in out.stdout.splitlines() if line.startswith('{"kind":"alert"')]


def test_alert_subject(eng, centers):
    lines = logscan_alerts(eng.work)
    check(lines, "logscan raised no alert")
    alerts = []
    for line in lines:
        # The fast writer prints what jansson prints, byte for byte.
        check(jansson_dump(line) == line, "logscan line differs from jansson's:\n%s\n%s" %
              (line, jansson_dump(line)))
        a = json.loads(line)
        check(list(a.keys()) == ["kind"] + ALERT_KEYS, "logscan alert keys: %r" % list(a))
        check(isinstance(a["subject"], str) and a["subject"], "logscan subject: %r" % a)
        alerts.append(a)
    brute = [a for a in alerts if a["rule"] == "login.brute_force"]
    check(brute and brute[0]["subject"] == "203.0.113.77", "brute force subject: %r" %
          [(a["rule"], a["subject"]) for a in alerts])

    # alert_to_json (what the agent ships and `vigil scan`/`fim` print):
    # the same keys in the same order, here from a tampered file.
    root = os.path.join(eng.work, "root")
    state = os.path.join(eng.work, "fim-state")
    os.makedirs(os.path.join(root, "etc"))
    with open(os.path.join(root, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/bash\n")
    cfg = empty_config(eng.work)
    out = vigil(state, cfg, "fim", "init", "--root", root, "--no-progress")
    check(out.returncode == 0, "fim init: %s" % out.stderr)
    with open(os.path.join(root, "etc", "passwd"), "a") as f:
        f.write("evil:x:0:0::/:/bin/sh\n")
    out = vigil(state, cfg, "fim", "check", "--root", root, "--format", "json",
                "--no-progress")
    rep = json.loads(out.stdout)
    check(rep["alerts"], "fim check found nothing: %s" % out.stderr)
    for a in rep["alerts"]:
        check(list(a.keys()) == ALERT_KEYS, "alert_to_json keys: %r" % list(a))
        check(a["subject"] and a["subject"].endswith("/etc/passwd"), "fim subject: %r" % a)

    # Through the intake to the API: the subject is stored and served.
    c = Center(eng)
    centers.append(c)
    c.start()
    key = c.apikey("viewer")
    agent = Agent(c, c.token(), "web-1")
    fim_alerts = [dict(a, kind="alert") for a in rep["alerts"]]
    st, res, _ = agent.send(alerts + fim_alerts)
    check(st == 200, "intake of detector alerts: %d %r" % (st, res))
    got = {a["id"]: a for a in c.api(key, "/api/v1/alerts?limit=500")["items"]}
    for a in alerts + rep["alerts"]:
        check(got[a["id"]]["subject"] == a["subject"], "stored subject of %s: %r, sent %r" %
              (a["rule"], got[a["id"]]["subject"], a["subject"]))


# ---- 5. caching of the console's files ----

def test_static_cache(eng, centers):
    c = Center(eng)
    centers.append(c)
    c.start()
    etags = {}
    for path in ("/", "/console/app.js", "/console/style.css"):
        st, h, body = raw(c, "GET", path)
        check(st == 200, "GET %s: %d" % (path, st))
        want = '"%s"' % hashlib.sha256(body).hexdigest()
        check(h.get("etag") == want, "%s: ETag %r, wanted the SHA-256 %s" % (path, h.get("etag"),
                                                                          want))
        check(h.get("cache-control") == "no-cache", "%s: Cache-Control %r" %
              (path, h.get("cache-control")))
        check(h.get("content-security-policy"), "%s keeps its CSP" % path)
        etags[path] = want
        for inm in (want, "W/" + want, '"other", ' + want, "*"):
            st, h2, body2 = raw(c, "GET", path, {"If-None-Match": inm})
            check(st == 304 and body2 == b"", "%s with If-None-Match %s: %d, %d bytes" %
                  (path, inm, st, len(body2)))
            check(h2.get("etag") == want and h2.get("cache-control") == "no-cache",
                  "the 304 of %s carries the validator: %r" % (path, h2))
        st, _, body2 = raw(c, "HEAD", path, {"If-None-Match": want})
        check(st == 304 and body2 == b"", "HEAD %s revalidated: %d" % (path, st))
        # Odd or hostile validators are no match (and break nothing).
        for inm in ("", ",", " , ,\t", "W/", "W", '"', 'W/"', want[:-1], want + "x",
                    "w/" + want, "x" * 4000, ",".join(['"a"'] * 500)):
            st, _, body2 = raw(c, "GET", path, {"If-None-Match": inm})
            check(st == 200 and body2 == body, "%s with If-None-Match %r: %d" %
                  (path, inm[:40], st))
        # Another build's tag: the whole file again.
        st, _, body2 = raw(c, "GET", path, {"If-None-Match": '"%s"' % ("0" * 64)})
        check(st == 200 and body2 == body, "%s with a stale tag: %d" % (path, st))
    check(len(set(etags.values())) == 3, "one tag per file: %r" % etags)
    # API answers and errors are not cached and carry no tag.
    key = c.apikey("viewer")
    for path, h in (("/api/v1/overview", {"Authorization": "Bearer " + key}),
                    ("/console/nope.js", {}), ("/api/v1/overview", {})):
        st, hh, _ = raw(c, "GET", path, h)
        check(hh.get("cache-control") == "no-store" and "etag" not in hh,
              "%s (%d): %r" % (path, st, hh.get("cache-control")))


Runner().run([test_missing_state_dir, test_head, test_not_scanned, test_alert_subject,
              test_static_cache])
