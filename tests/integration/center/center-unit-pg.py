#!/usr/bin/env python3
"""Run the center's unit tests that touch the database (cmocka binaries
built by meson) again on a real PostgreSQL started here, so the same
queries are tested on both engines."""

import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from centerlib import ON_CI, PgCluster, pg_available  # noqa: E402

DB_TESTS = ["cdb", "intake", "enroll", "commands", "hosts", "retention", "api_read", "center",
            "handling", "notify", "users", "session", "console"]


def main():
    build = os.environ.get("VIGIL_BUILD")
    if not build:
        print("VIGIL_BUILD is not set; run through meson test")
        return 1
    if not pg_available():
        print("%s: PostgreSQL is not installed" % ("FAIL" if ON_CI else "skip"))
        print("0 passed, %d failed" % (1 if ON_CI else 0))
        return 1 if ON_CI else 77
    pg = PgCluster()
    passed = failed = 0
    try:
        url = pg.create_db("unit")
        for name in DB_TESTS:
            exe = os.path.join(build, "tests", "test_center_" + name)
            if not os.path.exists(exe):
                print("FAIL: %s is not built" % exe)
                failed += 1
                continue
            env = dict(os.environ, VIGIL_TEST_PG=url)
            out = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=300)
            if out.returncode == 0:
                print("ok: test_center_%s on PostgreSQL" % name)
                passed += 1
            else:
                print("FAIL: test_center_%s on PostgreSQL\n%s%s" % (name, out.stdout[-4000:],
                                                                  out.stderr[-4000:]))
                failed += 1
    finally:
        pg.stop()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


sys.exit(main())
