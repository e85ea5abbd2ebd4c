#!/usr/bin/env python3
"""Load benchmark of `vigil center` (bench/RESULTS.md, "Center").

    bench/center/run.py --build BUILD_DIR [--engine sqlite|postgres|both]
                        [--agents 1000] [--batches 8] [--per-batch 100]
                        [--paced-batches 2] [--rate 10000]
                        [--threads 16] [--hosts 5000] [--keep]

For each engine: starts a fresh database (a SQLite file, or a throw-away
PostgreSQL cluster like the integration tests'), starts the real center,
enrolls AGENTS agents and has them send BATCHES gzip batches of PER_BATCH
alerts each through the real intake as fast as the center takes them
(bench/center/loadgen.c, compiled here), which reports alerts/s, batch
latency, the center's CPU time and peak RSS; then PACED_BATCHES more per
agent offered at RATE alerts/s on a fixed schedule, for the latency at a
load the machine sustains. With the defaults that is 1,000,000 alerts. Then more agents enroll until
there are HOSTS hosts, each sending one small batch, and GET /api/v1/overview
is timed over that database (5,000 hosts, 1,000,000 alerts).

Never run by the test suite."""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration", "center"))
from centerlib import PgCluster  # noqa: E402


def sh(argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw).stdout


def loadgen(exe, port, *args):
    t0 = time.time()
    out = sh([exe, "--port", str(port)] + [str(a) for a in args])
    sys.stdout.write(out)
    sys.stdout.flush()
    return out, time.time() - t0


def run_engine(args, engine, vigil, exe):
    work = tempfile.mkdtemp(prefix="vigil-bench-center.")
    pg = None
    center = None
    try:
        if engine == "postgres":
            pg = PgCluster()
            url = pg.create_db("bench")
        else:
            url = "sqlite:" + os.path.join(work, "center.db")
        cfg = os.path.join(work, "center.yml")
        with open(cfg, "w") as f:
            f.write("center:\n  db: \"%s\"\n  maintenance_interval: 1h\n" % url)
            f.write("  threads: %d\n" % args.center_threads)
        state = os.path.join(work, "state")
        os.makedirs(state)
        base = [vigil, "--state", state, "--config", cfg, "center"]
        ready = os.path.join(work, "ready")
        log = open(os.path.join(work, "center.log"), "w")
        center = subprocess.Popen(base + ["--listen", "127.0.0.1:0", "--ready-file", ready],
                                  stdout=log, stderr=log)
        deadline = time.time() + 60
        while not os.path.exists(ready):
            if center.poll() is not None or time.time() > deadline:
                raise SystemExit("the center did not start")
            time.sleep(0.05)
        port = int(open(ready).read().strip().rsplit(":", 1)[1])
        token = sh(base + ["token", "create", "--uses", str(args.hosts + args.agents),
                           "--expires", "1d"]).strip()
        key = sh(base + ["apikey", "create", "--role", "viewer", "--name", "bench"]).strip()
        creds = os.path.join(work, "creds")
        print("== %s: %s" % (engine, url))
        loadgen(exe, port, "--token", token, "--agents", args.agents, "--threads",
                args.threads, "--creds", creds, "--batches", 0)
        print("-- as fast as the center takes them")
        loadgen(exe, port, "--creds", creds, "--agents", args.agents, "--threads", args.threads,
                "--batches", args.batches, "--per-batch", args.per_batch, "--pid", center.pid,
                "--run", 1)
        if args.paced_batches > 0:
            print("-- offered at %d alerts/s on a fixed schedule" % args.rate)
            loadgen(exe, port, "--creds", creds, "--agents", args.agents, "--threads",
                    args.threads, "--batches", args.paced_batches, "--per-batch", args.per_batch,
                    "--pid", center.pid, "--run", 2, "--rate", args.rate)
        more = args.hosts - args.agents
        if more > 0:
            loadgen(exe, port, "--token", token, "--agents", more, "--threads", args.threads,
                    "--creds", creds + "2", "--batches", 1, "--per-batch", 1, "--run", 3)
        n_alerts = None
        n_hosts = None
        if engine == "sqlite":
            import sqlite3
            con = sqlite3.connect(url[len("sqlite:"):])
            n_alerts = con.execute("SELECT count(*) FROM alerts").fetchone()[0]
            n_hosts = con.execute("SELECT count(*) FROM hosts").fetchone()[0]
            con.close()
        else:
            n_alerts = pg.psql("bench", "SELECT count(*) FROM alerts").strip()
            n_hosts = pg.psql("bench", "SELECT count(*) FROM hosts").strip()
        print("database: hosts=%s alerts=%s" % (n_hosts, n_alerts))
        loadgen(exe, port, "--agents", 1, "--batches", 0, "--apikey", key, "--overview",
                args.overview, "--pid", center.pid)
    finally:
        if center and center.poll() is None:
            center.send_signal(signal.SIGTERM)
            try:
                center.wait(60)
            except subprocess.TimeoutExpired:
                center.kill()
        if pg:
            pg.stop()
        if args.keep:
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--engine", default="both", choices=["sqlite", "postgres", "both"])
    ap.add_argument("--agents", type=int, default=1000)
    ap.add_argument("--batches", type=int, default=8)
    ap.add_argument("--paced-batches", type=int, default=2)
    ap.add_argument("--rate", type=int, default=10000)
    ap.add_argument("--per-batch", type=int, default=100)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--center-threads", type=int, default=8)
    ap.add_argument("--hosts", type=int, default=5000)
    ap.add_argument("--overview", type=int, default=50)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    vigil = os.path.join(args.build, "src", "cli", "vigil")
    exe = os.path.join(tempfile.gettempdir(), "vigil-center-loadgen")
    subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-Werror", "-pthread",
                    os.path.join(HERE, "loadgen.c"), "-o", exe, "-ljansson", "-lz"], check=True)
    for engine in (["sqlite", "postgres"] if args.engine == "both" else [args.engine]):
        run_engine(args, engine, vigil, exe)


if __name__ == "__main__":
    main()
