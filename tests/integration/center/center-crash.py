#!/usr/bin/env python3
"""No loss, no duplicates: agents stream batches while the center is killed
with SIGKILL and restarted, then resend every batch they did not see
acknowledged (and some they did); and two center processes on one
PostgreSQL take the same batches from one agent at the same time. After
each, the store holds every alert exactly once and the hosts' open counts
match the alerts table."""

import gzip
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from centerlib import Agent, Center, Runner, Skip, alert, check  # noqa: E402

LEVELS = ["urgent", "suspicious", "reminder"]


def make_batches(agent, n, per, tag):
    out = []
    for i in range(n):
        items = [alert(level=LEVELS[(i + k) % 3], id="%s-%d-%d" % (tag, i, k))
                 for k in range(per)]
        body = agent.batch_body(items, batch_id="%s-b%d" % (tag, i), seq=i + 1)
        out.append(gzip.compress(json.dumps(body).encode()))
    return out


def send_all(center, agent, batches, acked, errors, stop=None):
    """Send BATCHES in order on one keep-alive connection; record the
    indexes acknowledged with 200."""
    conn = None
    for i, raw in enumerate(batches):
        if stop is not None and stop.is_set():
            return
        try:
            if conn is None:
                conn = center.conn()
            conn.request("POST", "/api/v1/agent/batch", body=raw, headers=agent.headers())
            r = conn.getresponse()
            r.read()
            if r.status == 200:
                acked.add(i)
            elif r.status != 503:
                errors.append(r.status)
        except (OSError, Exception):
            conn = None
            time.sleep(0.01)


def consistent(eng):
    """Each host's stored open counts equal the alerts table's."""
    rows = eng.query("SELECT h.id, h.a_urgent, h.a_suspicious, h.a_reminder,"
                     " (SELECT count(*) FROM alerts a WHERE a.host_id = h.id AND a.level = 3),"
                     " (SELECT count(*) FROM alerts a WHERE a.host_id = h.id AND a.level = 2),"
                     " (SELECT count(*) FROM alerts a WHERE a.host_id = h.id AND a.level = 1)"
                     " FROM hosts h")
    for r in rows:
        check(r[1:4] == r[4:7], "host %s counts %r != table %r" % (r[0], r[1:4], r[4:7]))


def test_kill9(eng, centers):
    c = Center(eng)
    centers.append(c)
    tok = c.token(uses=4)
    c.start()
    agents = [Agent(c, tok, "crash%d" % i) for i in range(4)]
    per, n = 20, 150
    plans = [make_batches(a, n, per, "a%d" % k) for k, a in enumerate(agents)]
    acked = [set() for _ in agents]
    errors = []
    threads = [threading.Thread(target=send_all, args=(c, a, plans[k], acked[k], errors))
               for k, a in enumerate(agents)]
    for t in threads:
        t.start()
    # Kill the center once it is well into the stream.
    deadline = time.time() + 60
    while sum(len(s) for s in acked) < 100 and time.time() < deadline:
        time.sleep(0.005)
    c.kill9()
    for t in threads:
        t.join()
    done_before = sum(len(s) for s in acked)
    check(0 < done_before < 4 * n, "killed mid-stream (%d of %d acknowledged)" %
          (done_before, 4 * n))
    check(not errors, "no 4xx while streaming: %r" % errors[:5])
    # Restart on the same database; resend what was not acknowledged, and
    # the last 10 acknowledged batches too (an agent that lost its acks).
    c.start()
    for k, a in enumerate(agents):
        redo = [i for i in range(n) if i not in acked[k]]
        redo += sorted(acked[k])[-10:]
        errs = []
        got = set()
        send_all(c, a, [plans[k][i] for i in redo], got, errs)
        check(len(got) == len(redo) and not errs, "resend: %d of %d, %r" %
              (len(got), len(redo), errs[:3]))
    total = eng.scalar("SELECT count(*) FROM alerts")
    distinct = eng.scalar("SELECT count(*) FROM (SELECT DISTINCT host_id, id FROM alerts) x")
    check(total == distinct == 4 * n * per, "alerts: %d stored, %d distinct, %d sent" %
          (total, distinct, 4 * n * per))
    check(eng.scalar("SELECT count(*) FROM batches") == 4 * n, "every batch recorded once")
    for k, a in enumerate(agents):
        got = eng.scalar("SELECT count(*) FROM alerts WHERE host_id = %d AND id LIKE 'a%d-%%'"
                         % (a.id, k))
        check(got == n * per, "agent %d: %d alerts" % (k, got))
    consistent(eng)


def test_two_centers(eng, centers):
    if eng.kind != "postgres":
        raise Skip("several center processes share PostgreSQL; SQLite serves one")
    c1 = Center(eng, name="c1")
    c2 = Center(eng, name="c2")
    centers += [c1, c2]
    tok = c1.token(uses=2)
    c1.start()
    c2.start()
    a = Agent(c1, tok, "shared")
    b = Agent(c2, tok, "other")
    n, per = 120, 25
    plan = make_batches(a, n, per, "x")
    # Re-batched: the same alerts again under other batch ids.
    items = [alert(level=LEVELS[k % 3], id="x-%d-%d" % (i, k)) for i in range(0, n, 3)
             for k in range(per)]
    rebatch = [gzip.compress(json.dumps(a.batch_body(items[j:j + 40], batch_id="r%d" % j))
                             .encode()) for j in range(0, len(items), 40)]
    plan_b = make_batches(b, n, per, "y")
    acked = [set() for _ in range(5)]
    errors = []
    threads = [threading.Thread(target=send_all, args=(c1, a, plan, acked[0], errors)),
               threading.Thread(target=send_all, args=(c2, a, plan, acked[1], errors)),
               threading.Thread(target=send_all, args=(c2, a, rebatch, acked[2], errors)),
               threading.Thread(target=send_all, args=(c1, a, list(reversed(plan)), acked[3],
                                                       errors)),
               threading.Thread(target=send_all, args=(c2, b, plan_b, acked[4], errors))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, "no errors: %r" % errors[:5])
    check(len(acked[0]) == n and len(acked[1]) == n and len(acked[2]) == len(rebatch),
          "every batch acknowledged by both centers")
    total = eng.scalar("SELECT count(*) FROM alerts WHERE host_id = %d" % a.id)
    check(total == n * per, "shared agent: %d alerts stored, %d sent" % (total, n * per))
    check(eng.scalar("SELECT count(*) FROM alerts WHERE host_id = %d" % b.id) == n * per,
          "other agent complete")
    check(eng.scalar("SELECT count(*) FROM batches WHERE host_id = %d" % a.id) ==
          n + len(rebatch), "batches recorded once")
    consistent(eng)


Runner().run([test_kill9, test_two_centers])
