#!/usr/bin/env python3
"""The web console in a real browser: Debian's chromium, headless, driven by
playwright-core (console-browser.js) against a real `vigil center` on
SQLite. Data arrives the way it does in production, through enrollment and
the agent intake; one alert carries an HTML payload as its user name,
subject and title, and one host is named with it, so the test sees whether
the console shows hostile strings as the characters they are. A third host
has not been scanned yet and must show "no scan yet", and alerts written
by `vigil logscan` must show their subject.

Without chromium or playwright-core (tests/integration/center/node_modules,
installed by scripts/deps.sh with `npm ci`) the test is skipped with a
message, except on CI (CI=true), where it fails."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from centerlib import ON_CI, Agent, Center, Engine, alert, finding, iso  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PAYLOAD = "<img src=x onerror=alert(1)>"
CHROMIUM = os.environ.get("VIGIL_CHROMIUM", "/usr/bin/chromium")
LOGSCAN_SRC = "203.0.113.77"


def missing():
    if not os.path.exists(CHROMIUM):
        return "chromium is not installed (%s; apt install chromium)" % CHROMIUM
    if not shutil.which("node"):
        return "node is not installed"
    if not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        return ("playwright-core is not installed (cd tests/integration/center && npm ci; "
                "scripts/deps.sh does it)")
    return None


def seed(c):
    """Two hosts with findings and alerts and one not scanned yet, through the
    real intake."""
    tok = c.token(uses=2)
    web = Agent(c, tok, "web-1", os="debian", os_version="12")
    odd = Agent(c, tok, PAYLOAD, os="debian", os_version="12")
    now = time.time()
    vuln = finding("v" * 32, level="high", category="vulnerability", check="CVE-2024-6387",
                   title="openssh: CVE-2024-6387 (regreSSHion)",
                   evidence={"package": "openssh-server", "installed_version": "1:9.2p1-2",
                             "fixed_version": "1:9.2p1-2+deb12u3", "cves": "CVE-2024-6387"},
                   remediation="apt-get install --only-upgrade openssh-server")
    base = finding("b" * 32, level="medium", category="baseline", check="ssh.root-login",
                   title="SSH allows root login", remediation="PermitRootLogin no")
    secret = finding("s" * 32, level="medium", category="secret", check="aws.access-key",
                     title="AWS access key in a file",
                     evidence={"path": "/srv/app/.env", "line": 3, "rule": "aws.access-key",
                               "preview": "AKIA****************"})
    hostile = alert(level="urgent", type_="abnormal_login", rule="login.after_brute_force",
                    title=PAYLOAD, subject=PAYLOAD,
                    evidence={"user": PAYLOAD, "src": "203.0.113.9"},
                    remediation="passwd -l '%s'" % PAYLOAD)
    calm = alert(level="reminder", type_="network_attack", rule="netattack.portscan",
                 title="Port scan from 198.51.100.7", subject="198.51.100.7")
    # Alerts as a detector writes them (vigil logscan): their subject must
    # reach the console.
    log = os.path.join(c.engine.work, "auth.log")
    with open(log, "w") as f:
        for i in range(6):
            f.write("2026-11-26T23:15:%02d.000000+00:00 web-1 sshd[%d]: Failed password for "
                    "root from %s port %d ssh2\n" % (10 + i, 600 + i, LOGSCAN_SRC, 40000 + i))
    out = subprocess.run([os.environ["VIGIL"], "logscan", "--format", "jsonl", log],
                         capture_output=True, text=True, timeout=60)
    detected = [json.loads(x) for x in out.stdout.splitlines() if '"kind":"alert"' in x]
    if not detected:
        raise AssertionError("logscan raised no alert: %s" % out.stderr)
    # A third host that has not been scanned yet: "no scan yet", not 100.
    fresh = Agent(c, c.token(), "fresh-1", os="debian", os_version="12")
    st, res, _ = fresh.send([{"kind": "heartbeat", "time": iso(now), "agent_version": "0.1.0"}])
    if st != 200:
        raise AssertionError("intake: %d %r" % (st, res))
    for a, items in ((web, [vuln, base, secret, hostile, calm] + detected),
                     (odd, [dict(vuln), alert(level="suspicious", title="odd host alert")])):
        items.append({"kind": "heartbeat", "time": iso(now), "agent_version": "0.1.0"})
        st, res, _ = a.send(items)
        if st != 200:
            raise AssertionError("intake: %d %r" % (st, res))
    return web, odd, hostile, fresh


def main():
    why = missing()
    if why:
        if ON_CI:
            print("FAIL: console browser test cannot run on CI: %s" % why)
            print("0 passed, 1 failed")
            return 1
        print("skip: %s" % why)
        return 77
    work = tempfile.mkdtemp(prefix="vigil-console-it.")
    c = None
    ok = False
    try:
        eng = Engine("sqlite", work)
        c = Center(eng)
        c.start()
        password = c.cli("user", "add", "root-admin", "--role", "admin").stdout.strip()
        web, odd, hostile, fresh = seed(c)
        has_handling = c.request("GET", "/api/v1/hosts/1/alerts/x/handle")[0] == 405
        env = dict(os.environ, CONSOLE_URL="%s://%s:%d" % (c.scheme, c.host, c.port),
                   CONSOLE_USER="root-admin", CONSOLE_PASSWORD=password, PAYLOAD=PAYLOAD,
                   WEB_HOST_ID=str(web.id), ODD_HOST_ID=str(odd.id), ALERT_ID=hostile["id"],
                   FRESH_HOST_ID=str(fresh.id), LOGSCAN_SRC=LOGSCAN_SRC,
                   CHROMIUM=CHROMIUM, SHOTS=os.environ.get("VIGIL_CONSOLE_SHOTS", ""))
        out = subprocess.run(["node", os.path.join(HERE, "console-browser.js")], env=env,
                             capture_output=True, text=True, timeout=300)
        sys.stdout.write(out.stdout)
        if out.returncode != 0:
            sys.stdout.write(out.stderr[-4000:])
            raise AssertionError("the browser script failed (exit %d)" % out.returncode)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        # The oracle is the database: the alert was handled through the UI
        # when the center has handling, the notification change was saved
        # when it has notifications, and the session is gone after logout.
        status = eng.query("SELECT status FROM alerts WHERE host_id = %d AND id = '%s'" %
                           (web.id, hostile["id"]))[0][0]
        if has_handling:
            if not result.get("handled") or status != "handled":
                raise AssertionError("handling through the console: %r, stored %r" %
                                     (result.get("handled"), status))
        elif status != "open":
            raise AssertionError("alert status changed without handling: %r" % status)
        if result.get("notifications"):
            key = c.apikey("viewer")
            rule = c.api(key, "/api/v1/notifications/settings")["alerts"]["reminder"]
            want = result["notifications"]["reminder_enabled"]
            if rule.get("enabled") != want:
                raise AssertionError("notification setting not saved: %r, wanted %r" %
                                     (rule, want))
        if eng.scalar("SELECT count(*) FROM sessions") != 0:
            raise AssertionError("a session is left after logout")
        if eng.scalar("SELECT count(*) FROM enroll_tokens WHERE created_by = 'user:root-admin'") != 1:
            raise AssertionError("the install page did not create a token as the user")
        # The install command works: its token enrolls another host with the
        # real agent command (run here directly, not through a shell or sudo);
        # it is the fourth host.
        m = re.match(r"^echo '(vet1\.[0-9a-f]{64})' \| sudo vigil agent enroll '([^']+)' - ",
                     result["install_command"])
        if not m:
            raise AssertionError("install command: %r" % result["install_command"])
        agent_state = os.path.join(work, "agent-state")
        os.makedirs(agent_state)
        enr = subprocess.run([os.environ["VIGIL"], "--state", agent_state, "agent", "enroll",
                              m.group(2), "-"], input=m.group(1) + "\n", capture_output=True,
                             text=True, timeout=60)
        if enr.returncode != 0 or eng.scalar("SELECT count(*) FROM hosts") != 4:
            raise AssertionError("enrolling with the console's command: %d %s" %
                                 (enr.returncode, enr.stderr))
        print("ok: console in chromium (handling %s, notifications %s)" %
              ("tested" if has_handling else "not offered by this center",
               "tested" if result.get("notifications") else "not offered by this center"))
        ok = True
    except Exception as e:  # noqa: BLE001
        print("FAIL: %s" % e)
        if c:
            try:
                print("--- center log:\n%s" % open(c.log).read()[-3000:])
            except OSError:
                pass
    finally:
        if c:
            c.stop()
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (1 if ok else 0, 0 if ok else 1))
    return 0 if ok else 1


sys.exit(main())
