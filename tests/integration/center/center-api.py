#!/usr/bin/env python3
"""The center's intake and read API on SQLite and on a real PostgreSQL:
idempotent intake, the findings lifecycle, heartbeats and online state,
agent commands, hostile strings stored and returned verbatim, list filters
and keyset pagination, the overview against a hand-computed fixture, and
/metrics as Prometheus text."""

import os
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from centerlib import (Agent, Center, Runner, alert, check, expect_error, finding,  # noqa: E402
                       iso)

HOSTILE = ["'; DROP TABLE alerts; --", "<img src=x onerror=alert(1)>", "\" OR 1=1 --",
           "Robert'); DELETE FROM hosts;--", "\u202e\u0007\x1b[31mred", "日本語 \\ \" '"]


def test_idempotent(eng, centers):
    c = Center(eng)
    centers.append(c)
    c.start()
    a = Agent(c, c.token())
    items = [alert(level="urgent"), alert(), alert(level="reminder")]
    body = a.batch_body(items)
    st, r1, _ = a.send(body=body)
    check(st == 200 and not r1["duplicate"] and r1["stored"]["alerts"] == 3, "first: %r" % r1)
    st, r2, _ = a.send(body=body)
    check(st == 200 and r2["duplicate"] and r2["stored"]["alerts"] == 0, "replay: %r" % r2)
    # The same items in a new batch (an agent that re-batches after a crash).
    st, r3, _ = a.send(items + [alert()])
    check(st == 200 and not r3["duplicate"] and r3["stored"]["alerts"] == 1 and
          r3["duplicate_items"] == 3, "re-batched: %r" % r3)
    check(eng.scalar("SELECT count(*) FROM alerts") == 4, "4 alerts stored once each")
    check(eng.scalar("SELECT count(*) FROM batches") == 2, "2 batches recorded")
    row = eng.query("SELECT a_urgent, a_suspicious, a_reminder, score FROM hosts")[0]
    check(row == ["1", "2", "1", "60"], "host counts and score: %r" % row)
    # Another host may use the same alert ids: ids are per host.
    b = Agent(c, c.token())
    st, r4, _ = b.send(items)
    check(st == 200 and r4["stored"]["alerts"] == 3, "same ids on another host: %r" % r4)


def test_findings_lifecycle(eng, centers):
    c = Center(eng)
    centers.append(c)
    c.start()
    key = c.apikey("viewer")
    a = Agent(c, c.token(), "web")
    t0 = time.time() - 100
    f1, f2 = "a" * 32, "b" * 32
    scan = lambda sid, ids, t: ([finding(i, level="high" if i == f1 else "low", t=t + 1,
                                         scan_id=sid) for i in ids] +
                                [{"kind": "scan_result", "id": sid, "started": iso(t),
                                  "finished": iso(t + 2), "categories": ["baseline"],
                                  "findings": len(ids)}])
    st, r, _ = a.send(scan("s1", [f1, f2], t0))
    check(st == 200 and r["stored"]["findings"] == 2 and r["fixed"] == 0, "scan 1: %r" % r)
    host = c.api(key, "/api/v1/hosts/%d" % a.id)
    check(host["findings"] == {"high": 1, "medium": 0, "low": 1, "baseline": 2},
          "counts after scan 1: %r" % host["findings"])
    check(host["score"] == 80 and host["band"] == "many risks", "score 80: %r" % host["score"])
    check(host["findings_by_category"]["baseline"] == {"high": 1, "medium": 0, "low": 1},
          "by category: %r" % host["findings_by_category"])
    st, r, _ = a.send(scan("s2", [f1], t0 + 10))
    check(st == 200 and r["fixed"] == 1, "scan 2 fixes f2: %r" % r)
    fixed = c.api(key, "/api/v1/findings?status=fixed")["items"]
    check([f["id"] for f in fixed] == [f2] and fixed[0]["fixed_at"], "f2 fixed: %r" % fixed)
    # A replay of the older sighting changes nothing; scan 1 again is a duplicate.
    st, r, _ = a.send(scan("s1", [f1, f2], t0))
    check(r["stored"]["findings"] == 0 and r["fixed"] == 0, "old replay: %r" % r)
    check(c.api(key, "/api/v1/findings?status=fixed")["items"][0]["id"] == f2, "still fixed")
    # Seen again later: reopened.
    st, r, _ = a.send(scan("s3", [f1, f2], t0 + 20))
    check(r["stored"]["findings"] == 2, "scan 3: %r" % r)
    check(c.api(key, "/api/v1/findings?status=fixed")["items"] == [], "f2 reopened")
    check(c.api(key, "/api/v1/hosts/%d" % a.id)["findings"]["low"] == 1, "counted again")
    hist = c.api(key, "/api/v1/scores/history?host=%d" % a.id)["points"]
    check(hist and hist[-1]["score"] == 80, "history ends at 80: %r" % hist)


def test_hostile_strings(eng, centers):
    c = Center(eng)
    centers.append(c)
    c.start()
    key = c.apikey("viewer")
    tok = c.token(uses=len(HOSTILE))
    # Host names with control characters are refused at enrollment; the
    # others are stored as they are.
    expect_error(c.request("POST", "/api/v1/agent/enroll", {"token": tok,
                                                            "hostname": HOSTILE[4]}),
                 400, "control characters in a host name")
    names = [h if h != HOSTILE[4] else "ctl" for h in HOSTILE]
    agents = [Agent(c, tok, h, os=h) for h in names]
    for a, s in zip(agents, HOSTILE):
        st, r, _ = a.send([alert(title=s, subject=s, remediation=s, evidence={"user": s, s: s}),
                           finding("c" * 32, title=s, detail=s, check=s[:100],
                                   references=[s], tags=[s]),
                           {"kind": "event", "id": "e1", "event": "auth_failure",
                            "time": iso(time.time()), "user": s}])
        check(st == 200, "stored: %r" % r)
    for tbl in ("alerts", "hosts", "findings", "events"):
        check(eng.scalar("SELECT count(*) FROM %s" % tbl) == len(HOSTILE), "table %s intact" % tbl)
    hosts = c.api(key, "/api/v1/hosts?limit=500")["items"]
    check(sorted(h["hostname"] for h in hosts) == sorted(names), "host names verbatim")
    alerts = c.api(key, "/api/v1/alerts")["items"]
    for al in alerts:
        s = al["title"]
        check(s in HOSTILE and al["subject"] == s and al["evidence"] == {"user": s, s: s} and
              al["hostname"] == (s if s != HOSTILE[4] else "ctl"), "alert verbatim: %r" % al)
    fs = c.api(key, "/api/v1/findings")["items"]
    for f in fs:
        s = f["title"]
        check(f["detail"] == s and f["references"] == [s] and f["tags"] == [s] and
              f["check"] == s[:100], "finding verbatim: %r" % f)
    evs = c.api(key, "/api/v1/events")["items"]
    check(sorted(e["data"]["user"] for e in evs) == sorted(HOSTILE), "events verbatim")
    # A hostile string as a filter is a bound parameter too.
    q = urllib.parse.quote(HOSTILE[0])
    check(c.api(key, "/api/v1/hosts?hostname=" + q)["items"][0]["hostname"] == HOSTILE[0],
          "filter by a hostile host name")
    expect_error(c.request("GET", "/api/v1/alerts?level=" + q, None,
                           {"Authorization": "Bearer " + key}), 400, "hostile level filter")


def test_heartbeat_commands(eng, centers):
    c = Center(eng, config="  offline_after: 1h\n")
    centers.append(c)
    c.start()
    key = c.apikey("viewer")
    tok = c.token(uses=2)
    a = Agent(c, tok, "a")
    b = Agent(c, tok, "b")
    st, r, _ = a.send([{"kind": "heartbeat", "time": iso(time.time()), "spool_items": 7,
                        "spool_bytes": 4096, "agent_version": "0.1.0", "kernel": "6.1.0"}])
    check(st == 200 and r["commands"] == 0, "heartbeat: %r" % r)
    h = c.api(key, "/api/v1/hosts/%d" % a.id)
    check(h["spool"] == {"items": 7, "bytes": 4096} and h["agent_version"] == "0.1.0" and
          h["online"], "heartbeat stored: %r" % h)
    eng.execute("UPDATE hosts SET last_seen = 1000000 WHERE id = %d" % b.id)
    ov = c.api(key, "/api/v1/overview")
    check(ov["hosts"]["online"] == 1 and ov["hosts"]["offline"] == 1, "online/offline: %r" %
          ov["hosts"])
    check([x["id"] for x in ov["offline_hosts"]] == [b.id], "offline list")
    check(c.api(key, "/api/v1/hosts?status=offline")["items"][0]["id"] == b.id, "filter offline")
    # Commands: queued in the database (the admin endpoint comes later).
    now = int(time.time() * 1e6)
    eng.execute("INSERT INTO commands (id, host_id, kind, args, status, created_at, expires_at)"
                " VALUES (77, %d, 'block_ip', '{\"ip\":\"203.0.113.9\"}', 'pending', %d, %d)"
                % (a.id, now, now + 3600 * 10**6))
    st, r, _ = a.send([alert()])
    check(r["commands"] == 1, "the batch answer says a command waits: %r" % r)
    auth = {"Authorization": "Bearer " + a.credential}
    st, r, _ = c.request("GET", "/api/v1/agent/commands", None, auth)
    check(st == 200 and [x["id"] for x in r["commands"]] == [77] and
          r["commands"][0]["args"] == {"ip": "203.0.113.9"}, "pulled: %r" % r)
    st, r, _ = c.request("GET", "/api/v1/agent/commands", None, auth)
    check(len(r["commands"]) == 1, "delivered again until acknowledged")
    st, r, _ = c.request("GET", "/api/v1/agent/commands", None,
                         {"Authorization": "Bearer " + b.credential})
    check(r["commands"] == [], "another agent does not see it")
    expect_error(c.request("POST", "/api/v1/agent/commands/77/ack", {"status": "done"},
                           {"Authorization": "Bearer " + b.credential}), 404, "foreign ack")
    expect_error(c.request("POST", "/api/v1/agent/commands/77/ack", {"status": "maybe"}, auth),
                 400, "bad status")
    st, r, _ = c.request("POST", "/api/v1/agent/commands/77/ack",
                         {"status": "done", "result": {"blocked": "203.0.113.9"}}, auth)
    check(st == 200, "ack: %r" % r)
    expect_error(c.request("POST", "/api/v1/agent/commands/77/ack", {"status": "done"}, auth),
                 409, "second ack")
    st, r, _ = c.request("GET", "/api/v1/agent/commands", None, auth)
    check(r["commands"] == [], "nothing left")
    cmds = c.api(key, "/api/v1/hosts/%d/commands" % a.id)["items"]
    check(cmds[0]["status"] == "done" and cmds[0]["result"] == {"blocked": "203.0.113.9"} and
          cmds[0]["deliveries"] == 2, "result visible: %r" % cmds)


def test_lists(eng, centers):
    c = Center(eng)
    centers.append(c)
    c.start()
    key = c.apikey("viewer")
    tok = c.token(uses=3)
    ags = [Agent(c, tok, "h%d" % i) for i in range(3)]
    t0 = 1700000000.0
    want = []
    for i in range(30):
        a = ags[i % 3]
        lv = ["urgent", "suspicious", "reminder"][i % 3 if i < 15 else (i // 3) % 3]
        ty = "network_attack" if i % 4 == 0 else "abnormal_login"
        al = alert(level=lv, type_=ty, t=t0 + i * 10, id="al%02d" % i)
        want.append((al["id"], a.id, lv, ty, t0 + i * 10))
        st, _, _ = a.send([al])
        check(st == 200, "stored")
    # Every page, in order, without repeats.
    seen, cursor, pages = [], None, 0
    while True:
        path = "/api/v1/alerts?limit=7" + ("&cursor=" + cursor if cursor else "")
        page = c.api(key, path)
        seen += [x["id"] for x in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    check(pages == 5 and seen == ["al%02d" % i for i in reversed(range(30))],
          "pages: %d %r" % (pages, seen))

    def ids(q):
        out, cur = [], None
        while True:
            page = c.api(key, "/api/v1/alerts?limit=4&" + q + ("&cursor=" + cur if cur else ""))
            out += [x["id"] for x in page["items"]]
            cur = page["next_cursor"]
            if not cur:
                return sorted(out)

    exp = lambda f: sorted(w[0] for w in want if f(w))
    check(ids("level=urgent") == exp(lambda w: w[2] == "urgent"), "level filter")
    check(ids("level=urgent,reminder") == exp(lambda w: w[2] in ("urgent", "reminder")),
          "level list")
    check(ids("type=network_attack") == exp(lambda w: w[3] == "network_attack"), "type")
    check(ids("host=%d" % ags[1].id) == exp(lambda w: w[1] == ags[1].id), "host filter")
    check(ids("since=%d&until=%d" % (t0 + 50, t0 + 120)) ==
          exp(lambda w: t0 + 50 <= w[4] < t0 + 120), "time window")
    check(ids("since=%s&level=suspicious&host=%d" % (urllib.parse.quote(iso(t0 + 100)),
                                                     ags[2].id)) ==
          exp(lambda w: w[4] >= t0 + 100 and w[2] == "suspicious" and w[1] == ags[2].id),
          "combined filters")
    check(ids("status=open") == exp(lambda w: True), "status filter")
    check(ids("status=handled") == [], "no handled alerts")
    for bad in ("level=bad", "type=x", "host=abc", "since=yesterday", "limit=0", "limit=501",
                "cursor=!!!", "cursor=WzFd", "status=gone"):
        expect_error(c.request("GET", "/api/v1/alerts?" + bad, None,
                               {"Authorization": "Bearer " + key}), 400, bad)
    # Hosts: sorted by name, by score, paged.
    names = []
    cur = None
    while True:
        page = c.api(key, "/api/v1/hosts?limit=2" + ("&cursor=" + cur if cur else ""))
        names += [h["hostname"] for h in page["items"]]
        cur = page["next_cursor"]
        if not cur:
            break
    check(names == ["h0", "h1", "h2"], "hosts by name: %r" % names)
    # None has been scanned: no scores yet (docs/api.md, HOST).
    scores = [h["score"] for h in c.api(key, "/api/v1/hosts?sort=score")["items"]]
    check(scores == [None] * 3, "hosts before a scan: %r" % scores)
    for a in ags:
        st, _, _ = a.send([{"kind": "scan_result", "id": "s-%d" % a.id, "started": iso(t0),
                            "finished": iso(t0 + 1), "categories": ["baseline"]}])
        check(st == 200, "scan result")
    scores = [h["score"] for h in c.api(key, "/api/v1/hosts?sort=score")["items"]]
    check(None not in scores and scores == sorted(scores), "hosts by score: %r" % scores)


def test_overview_fixture(eng, centers):
    c = Center(eng)
    centers.append(c)
    c.start()
    key = c.apikey("viewer")
    tok = c.token(uses=4)
    A, B, C, D = (Agent(c, tok, n) for n in "ABCD")
    A.send([finding("%032x" % 1, "high", "vulnerability", "CVE-1"),
            finding("%032x" % 2, "high", "vulnerability", "CVE-2"),
            finding("%032x" % 3, "medium", "baseline", "b1"),
            finding("%032x" % 4, "low", "baseline", "b2"),
            finding("%032x" % 5, "low", "baseline", "b3"),
            finding("%032x" % 6, "low", "baseline", "b4"),
            alert(level="urgent"), alert(), alert(),
            alert(level="reminder"), alert(level="reminder"), alert(level="reminder"),
            alert(level="reminder")])
    B.send([finding("%032x" % 7, "low", "exposure", "port")])
    D.send([finding("%032x" % 8, "high", "weak_password", "root")])
    # C was scanned and nothing was found (a host never scanned has no
    # score and does not count in the fleet's; center-firstrun.py).
    C.send([{"kind": "scan_result", "id": "s-c", "started": iso(time.time() - 1),
             "finished": iso(time.time()), "categories": ["baseline", "vulnerability"]}])
    # By hand (docs/score.md): A = 100 - 20 - 3 - 3 - 20 - 10 - 4 = 40 (under every cap);
    # B = 99; C = 100; D = 90 capped at 80. Fleet: 3 high, 1 medium, 4 low, 4 baseline;
    # 1 urgent, 2 suspicious, 4 reminder: 100 - 30 - 3 - 4 - 20 - 10 - 4 = 29.
    ov = c.api(key, "/api/v1/overview")
    check(ov["fleet"]["score"] == 29 and ov["fleet"]["band"] == "high risk", "fleet: %r" %
          ov["fleet"])
    check(abs(ov["fleet"]["mean_host_score"] - 79.75) < 1e-9, "mean: %r" % ov["fleet"])
    check(ov["hosts"] == {"total": 4, "online": 4, "offline": 0, "revoked": 0,
                          "scanned": 4, "not_scanned": 0,
                          "by_band": {"secure": 2, "few_risks": 0, "many_risks": 1,
                                      "high_risk": 1, "not_scanned": 0}},
          "hosts: %r" % ov["hosts"])
    check(ov["findings"] == {"open": {"high": 3, "medium": 1, "low": 4}, "baseline": 4},
          "findings: %r" % ov["findings"])
    check(ov["alerts"]["open"] == {"urgent": 1, "suspicious": 2, "reminder": 4},
          "alerts: %r" % ov["alerts"])
    check([h["hostname"] for h in ov["attention"]] == ["A", "D"], "attention: %r" %
          [h["hostname"] for h in ov["attention"]])
    scores = {h["hostname"]: h["score"] for h in c.api(key, "/api/v1/hosts")["items"]}
    check(scores == {"A": 40, "B": 99, "C": 100, "D": 80}, "host scores: %r" % scores)
    # The maintenance round writes the hour's fleet sample: the trend has it.
    c.stop()
    c2 = Center(eng, config="  maintenance_interval: 1s\n", name="c2")
    centers.append(c2)
    c2.start()
    deadline = time.time() + 20
    while time.time() < deadline:
        ov = c2.api(key, "/api/v1/overview?days=1")
        if ov["trend"]:
            break
        time.sleep(0.3)
    check(ov["trend"] and ov["trend"][-1]["score"] == 29 and
          ov["trend"][-1]["new_alerts"] == {"urgent": 1, "suspicious": 2, "reminder": 4},
          "trend: %r" % ov["trend"])
    check(ov["alerts"]["last_24h"] == {"urgent": 1, "suspicious": 2, "reminder": 4},
          "last 24h: %r" % ov["alerts"])
    fh = c2.api(key, "/api/v1/scores/history")["points"]
    check(fh and fh[-1]["score"] == 29, "fleet history: %r" % fh)


LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
METRIC_LINE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)'
                         r'(?:\{(?P<labels>' + LABEL + r'(?:,' + LABEL + r')*)?\})? '
                         r'(?P<value>[-+]?(?:[0-9.]+(?:[eE][-+]?[0-9]+)?|Inf|NaN))$')


def parse_prometheus(text):
    """A strict reader of the text exposition format 0.0.4."""
    types, samples = {}, []
    check(text.endswith("\n"), "ends with a newline")
    for line in text.split("\n")[:-1]:
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ")
            check(typ in ("counter", "gauge", "histogram", "summary", "untyped"), line)
            check(name not in types, "one TYPE per metric: " + name)
            types[name] = typ
            continue
        m = METRIC_LINE.match(line)
        check(m, "not a sample line: %r" % line)
        name = m.group("name")
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        check(name in types or base in types, "sample before its TYPE: " + name)
        samples.append((name, m.group("labels") or "", float(m.group("value"))))
    return types, samples


def test_metrics(eng, centers):
    c = Center(eng)
    centers.append(c)
    c.start()
    key = c.apikey("viewer")
    a = Agent(c, c.token())
    a.send([alert(), alert(), {"kind": "heartbeat", "spool_items": 5}])
    a.send(body=a.batch_body([alert()], batch_id="same"))
    a.send(body=a.batch_body([alert()], batch_id="same"))
    expect_error(c.request("GET", "/metrics"), 401, "metrics need a key by default")
    st, text, r = c.request("GET", "/metrics", None, {"Authorization": "Bearer " + key})
    check(st == 200 and r.getheader("Content-Type").startswith("text/plain; version=0.0.4"),
          "content type")
    types, samples = parse_prometheus(text)
    val = {(n, l): v for n, l, v in samples}
    check(val[("vigil_center_items_ingested_total", 'kind="alert"')] == 3, "3 alerts ingested")
    check(val[("vigil_center_intake_batches_total", 'result="duplicate"')] == 1, "1 duplicate")
    check(val[("vigil_center_agents", 'state="online"')] == 1, "1 agent online")
    check(val[("vigil_center_agent_spool_items", "")] == 5, "spool depth")
    check(types["vigil_center_intake_duration_seconds"] == "histogram", "histogram")
    buckets = [v for n, l, v in samples if n == "vigil_center_intake_duration_seconds_bucket"]
    check(buckets == sorted(buckets) and buckets[-1] ==
          val[("vigil_center_intake_duration_seconds_count", "")] == 3, "buckets: %r" % buckets)
    check(val[("process_resident_memory_bytes", "")] > 0, "rss")
    # Public metrics when configured.
    c.stop()
    c2 = Center(eng, config="  metrics_public: true\n", name="c2")
    centers.append(c2)
    c2.start()
    st, text, _ = c2.request("GET", "/metrics")
    check(st == 200, "public metrics")
    parse_prometheus(text)


Runner().run([test_idempotent, test_findings_lifecycle, test_hostile_strings,
              test_heartbeat_commands, test_lists, test_overview_fixture, test_metrics])
