#!/usr/bin/env python3
"""Delivery throughput of notifications: a real `vigil center` (SQLite, or
PostgreSQL with --pg), N urgent alerts stored through the agent intake,
then delivery rounds (POST /api/v1/notifications/deliver) until every alert
went to an inbox channel and to a generic webhook (a local HTTP receiver)
once. Prints the time of each round and the total.

    VIGIL=build/src/cli/vigil bench/notify/run.py [--alerts N] [--pg]

Not run by the test suite."""

import argparse
import http.server
import os
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "integration", "center"))
from centerlib import Agent, Center, Engine, PgCluster, alert  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--alerts", type=int, default=2000)
    ap.add_argument("--pg", action="store_true")
    a = ap.parse_args()
    got = [0]
    lock = threading.Lock()

    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                got[0] += 1
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    work = tempfile.mkdtemp(prefix="vigil-bench-notify.")
    pg = PgCluster() if a.pg else None
    c = None
    try:
        eng = Engine("postgres" if pg else "sqlite", work, pg)
        c = Center(eng)
        c.start()
        key = c.apikey("admin")
        h = {"Authorization": "Bearer " + key}
        c.request("POST", "/api/v1/notifications/channels", {"name": "box", "type": "inbox"}, h)
        c.request("POST", "/api/v1/notifications/channels",
                  {"name": "hook", "type": "webhook",
                   "url": "http://127.0.0.1:%d/h" % srv.server_address[1]}, h)
        c.request("PUT", "/api/v1/notifications/settings",
                  {"settle_seconds": 0,
                   "alerts": {"urgent": {"enabled": True, "channels": ["box", "hook"]}}}, h)
        ag = Agent(c, c.token(), "bench")
        for i in range(0, a.alerts, 500):
            ag.send([alert(level="urgent") for _ in range(min(500, a.alerts - i))])
        t0 = time.time()
        sent = rounds = 0
        while sent < 2 * a.alerts:
            t = time.time()
            st, res, _ = c.request("POST", "/api/v1/notifications/deliver", None, h)
            if st != 200:
                raise SystemExit("deliver: %d %s" % (st, res))
            rounds += 1
            sent += res["sent"]
            print("round %d: queued %d, sent %d in %.2f s" % (rounds, res["queued"], res["sent"],
                                                             time.time() - t))
        total = time.time() - t0
        print("%s: %d alerts x 2 channels = %d messages in %d rounds, %.2f s, %.0f messages/s; "
              "webhook received %d" % (eng.kind, a.alerts, sent, rounds, total, sent / total,
                                       got[0]))
    finally:
        if c:
            c.stop()
        if pg:
            pg.stop()
        srv.shutdown()
        shutil.rmtree(work, ignore_errors=True)


main()
