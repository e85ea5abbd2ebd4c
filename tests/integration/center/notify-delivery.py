#!/usr/bin/env python3
"""Notifications end to end on SQLite and on a real PostgreSQL: channels and
settings through the API, alerts and findings through the real agent
intake, and what local receivers started here get: the generic webhook's
JSON (the alert exactly as stored), Slack/DingTalk/Feishu text messages, a
mail over SMTP (a small SMTP server in this file, checked with Python's
email parser), RFC 5424 syslog over UDP and over TCP with octet counting,
and the console inbox. Each item arrives exactly once per channel, also
when two center processes deliver at the same time; held notifications
wait for their window, digests are queued for their time, the per-host
daily limit suppresses, and a failing receiver is retried and counted in
/metrics."""

import base64
import email
import email.policy
import http.server
import json
import os
import re
import socket
import socketserver
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from centerlib import Agent, Center, Runner, alert, check, expect_error, finding  # noqa: E402

HOSTILE = "evil\r\nBcc: victim@example.org\r\n\"quoted\" <b>&amp; 日本語 \\ \x1b[31m"
# Host names must be printable; still quotes, brackets and non-ASCII.
HOSTNAME = "web\"<b>&amp;] 日本語 \\ x"


class Receivers:
    """An HTTP receiver (records POSTs per path; /fail answers 500), an SMTP
    receiver, and syslog listeners on UDP and TCP."""

    def __init__(self):
        self.lock = threading.Lock()
        self.posts = {}
        self.mails = []
        self.auth = []
        self.udp = []
        self.tcp = []
        rec = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with rec.lock:
                    rec.posts.setdefault(self.path, []).append(
                        (self.headers.get("Content-Type"), body))
                self.send_response(500 if self.path == "/fail" else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *a):
                pass

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)

        class S(socketserver.StreamRequestHandler):
            def handle(self):
                w = self.wfile.write
                w(b"220 test ESMTP\r\n")
                env = {"from": None, "to": []}
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    cmd = line.decode("ascii", "replace").strip()
                    up = cmd.upper()
                    if up.startswith("EHLO") or up.startswith("HELO"):
                        w(b"250-test\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")
                    elif up.startswith("AUTH PLAIN"):
                        arg = cmd[10:].strip()
                        if not arg:
                            w(b"334 \r\n")
                            arg = self.rfile.readline().decode("ascii", "replace").strip()
                        with rec.lock:
                            rec.auth.append(base64.b64decode(arg))
                        w(b"235 ok\r\n")
                    elif up.startswith("MAIL FROM:"):
                        env["from"] = cmd[10:].strip()
                        w(b"250 ok\r\n")
                    elif up.startswith("RCPT TO:"):
                        env["to"].append(cmd[8:].strip())
                        w(b"250 ok\r\n")
                    elif up == "DATA":
                        w(b"354 go\r\n")
                        data = b""
                        while True:
                            dl = self.rfile.readline()
                            if not dl or dl == b".\r\n":
                                break
                            if dl.startswith(b".."):
                                dl = dl[1:]
                            data += dl
                        with rec.lock:
                            rec.mails.append((env["from"], list(env["to"]), data))
                        env = {"from": None, "to": []}
                        w(b"250 queued\r\n")
                    elif up == "QUIT":
                        w(b"221 bye\r\n")
                        return
                    else:
                        w(b"250 ok\r\n")

        class TS(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.smtp = TS(("127.0.0.1", 0), S)

        class T(socketserver.StreamRequestHandler):
            def handle(self):
                buf = b""
                while True:
                    chunk = self.request.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
                    # Octet counting: "LEN SP MSG".
                    while True:
                        m = re.match(rb"(\d+) ", buf)
                        if not m or len(buf) < m.end() + int(m.group(1)):
                            break
                        n = int(m.group(1))
                        with rec.lock:
                            rec.tcp.append(buf[m.end():m.end() + n])
                        buf = buf[m.end() + n:]
                if buf:
                    with rec.lock:
                        rec.tcp.append(b"UNFRAMED:" + buf)

        self.syslog_tcp = TS(("127.0.0.1", 0), T)
        self.udp_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp_sock.bind(("127.0.0.1", 0))
        self.udp_sock.settimeout(0.2)
        self.running = True
        for srv in (self.http, self.smtp, self.syslog_tcp):
            threading.Thread(target=srv.serve_forever, daemon=True).start()
        threading.Thread(target=self._udp, daemon=True).start()

    def _udp(self):
        while self.running:
            try:
                data, _ = self.udp_sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.udp.append(data)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.http.server_address[1], path)

    def got(self, path):
        with self.lock:
            return list(self.posts.get(path, []))

    def stop(self):
        self.running = False
        for srv in (self.http, self.smtp, self.syslog_tcp):
            srv.shutdown()
            srv.server_close()
        self.udp_sock.close()


def wait_for(cond, what, timeout=30):
    """Poll COND until it holds; delivery is synchronous in /deliver, so this
    normally returns at once (the wait only covers a notifier thread that
    took the rows first)."""
    deadline = time.time() + timeout
    while not cond():
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def call(c, key, method, path, body=None):
    return c.request(method, path, body, {"Authorization": "Bearer " + key})


def ok(res, status, what):
    st, body, _ = res
    check(st == status, "%s: wanted %d, got %d %s" % (what, status, st, body))
    return body


def deliver(c, key):
    return ok(call(c, key, "POST", "/api/v1/notifications/deliver"), 200, "deliver")


def add_channel(c, key, ch):
    return ok(call(c, key, "POST", "/api/v1/notifications/channels", ch), 201,
              "channel " + ch["name"])


def setup(c, key, rx, settings_extra=None):
    add_channel(c, key, {"name": "box", "type": "inbox"})
    add_channel(c, key, {"name": "hook", "type": "webhook", "url": rx.url("/hook")})
    add_channel(c, key, {"name": "slack", "type": "slack", "url": rx.url("/slack?token=s3cret")})
    add_channel(c, key, {"name": "ding", "type": "dingtalk", "url": rx.url("/ding")})
    add_channel(c, key, {"name": "feishu", "type": "feishu", "url": rx.url("/feishu")})
    add_channel(c, key, {"name": "mail", "type": "email",
                         "url": "smtp://127.0.0.1:%d" % rx.smtp.server_address[1],
                         "from": "vigil@example.com", "username": "vigil",
                         "password": "mail-pw-1",
                         "to": ["ops@example.com", "sec@example.com"]})
    add_channel(c, key, {"name": "sys-udp", "type": "syslog",
                         "address": "127.0.0.1:%d" % rx.udp_sock.getsockname()[1],
                         "facility": "local0"})
    add_channel(c, key, {"name": "sys-tcp", "type": "syslog", "transport": "tcp",
                         "address": "127.0.0.1:%d" % rx.syslog_tcp.server_address[1],
                         "facility": "auth"})
    settings = {"settle_seconds": 0, "alerts": {"urgent": {
        "enabled": True,
        "channels": ["box", "hook", "slack", "ding", "feishu", "mail", "sys-udp", "sys-tcp"]}}}
    for k, v in (settings_extra or {}).items():
        settings.setdefault(k, {}).update(v)
    return ok(call(c, key, "PUT", "/api/v1/notifications/settings", settings), 200, "settings")


SYSLOG_RE = re.compile(rb"^<(\d+)>1 (\S+) (\S+) vigil - alert "
                       rb"\[vigil@32473 host_id=\"(\d+)\" host=\"((?:[^\"\\\]]|\\.)*)\" "
                       rb"id=\"([^\"]*)\" level=\"urgent\"\] \xef\xbb\xbf(\{.*\})$", re.S)


def test_channels(eng, centers):
    rx = Receivers()
    try:
        c = Center(eng)
        centers.append(c)
        c.start()
        key = c.apikey("admin")
        viewer = c.apikey("viewer")
        # Admin only for changes; viewers may read.
        expect_error(call(c, viewer, "PUT", "/api/v1/notifications/settings", {}), 403,
                     "viewer PUT settings")
        expect_error(call(c, viewer, "POST", "/api/v1/notifications/channels",
                          {"name": "x", "type": "inbox"}), 403, "viewer POST channel")
        expect_error(call(c, key, "PUT", "/api/v1/notifications/settings",
                          {"alerts": {"urgent": {"enabled": True, "channels": ["nope"]}}}), 400,
                     "unknown channel")
        expect_error(call(c, key, "PUT", "/api/v1/notifications/settings",
                          {"alerts": {"urgent": {"mode": "daily"}}}), 400, "alert digest")
        expect_error(call(c, key, "POST", "/api/v1/notifications/channels",
                          {"name": "m", "type": "email", "url": "smtp://x", "from": "a@b.c",
                           "to": ["x@y.z\r\nBcc: v@w.x"]}), 400, "CRLF in a recipient")
        setup(c, key, rx)
        expect_error(call(c, key, "POST", "/api/v1/notifications/channels",
                          {"name": "box", "type": "inbox"}), 409, "duplicate name")
        chans = ok(call(c, viewer, "GET", "/api/v1/notifications/channels"), 200, "list")
        slack = [x for x in chans["channels"] if x["name"] == "slack"][0]
        check("s3cret" not in json.dumps(chans) and "mail-pw-1" not in json.dumps(chans),
              "webhook tokens and passwords are not shown: %r" % chans)
        got = ok(call(c, viewer, "GET", "/api/v1/notifications/settings"), 200, "get settings")
        check(got["alerts"]["urgent"]["enabled"] and len(got["alerts"]["urgent"]["channels"]) == 8,
              "settings read back: %r" % got)
        # A channel still in the settings cannot be deleted.
        expect_error(call(c, key, "DELETE", "/api/v1/notifications/channels/%d" % slack["id"]),
                     409, "delete a channel in use")

        a = Agent(c, c.token(), HOSTNAME)
        urgent = alert(level="urgent", title=HOSTILE, evidence={"cmd": HOSTILE})
        other = alert(level="suspicious")  # no rule for suspicious: never sent
        st, res, _ = a.send([urgent, other])
        check(st == 200 and res["stored"]["alerts"] == 2, "intake: %r" % res)
        deliver(c, key)
        wait_for(lambda: all(len(rx.got(p)) >= 1 for p in ("/hook", "/slack?token=s3cret",
                                                           "/ding", "/feishu")) and
                 len(rx.mails) >= 1 and len(rx.udp) >= 1 and len(rx.tcp) >= 1 and
                 eng.scalar("SELECT count(*) FROM notify_queue WHERE status = 'sent'") == 8,
                 "the first deliveries")

        # Generic webhook: the alert as stored, host data exactly as sent.
        ctype, body = rx.got("/hook")[0]
        check(ctype.startswith("application/json"), "webhook content type %r" % ctype)
        doc = json.loads(body)
        check(doc["kind"] == "alert" and doc["id"] == urgent["id"] and doc["title"] == HOSTILE and
              doc["level"] == "urgent" and doc["host"]["hostname"] == HOSTNAME and
              doc["host"]["id"] == a.id and doc["evidence"] == {"cmd": HOSTILE} and
              doc["rule"] == urgent["rule"], "webhook body: %r" % doc)
        # Chat services: their text-message shapes, host data made harmless.
        sl = json.loads(rx.got("/slack?token=s3cret")[0][1])
        check(set(sl) == {"text"} and "&lt;b&gt;&amp;amp;" in sl["text"] and "\x1b" not in
              sl["text"] and "evil  Bcc" in sl["text"], "slack body: %r" % sl)
        dt = json.loads(rx.got("/ding")[0][1])
        check(dt["msgtype"] == "text" and "<b>&amp;" in dt["text"]["content"] and
              urgent["id"] in dt["text"]["content"], "dingtalk body: %r" % dt)
        fs = json.loads(rx.got("/feishu")[0][1])
        check(fs["msg_type"] == "text" and "日本語" in fs["content"]["text"], "feishu: %r" % fs)

        # Mail: envelope, headers without injected lines, decoded body.
        mfrom, mto, data = rx.mails[0]
        check(mfrom == "<vigil@example.com>" and
              sorted(mto) == ["<ops@example.com>", "<sec@example.com>"],
              "envelope %r %r" % (mfrom, mto))
        msg = email.message_from_bytes(data, policy=email.policy.default)
        check(msg["Bcc"] is None and "victim" not in str(msg["To"]),
              "no header injected: %r" % data[:600])
        subj = str(msg["Subject"])
        check("\r" not in subj and "\n" not in subj and "URGENT" in subj and "日本語" in subj,
              "subject %r" % subj)
        text = msg.get_content()
        check(urgent["id"] in text and "ssh.brute_force" in text, "mail body %r" % text)
        check(msg["Message-ID"] and msg["Date"], "Message-ID and Date")
        check(rx.auth == [b"\0vigil\0mail-pw-1"], "SMTP AUTH PLAIN: %r" % rx.auth)

        # Syslog: RFC 5424, PRI = facility * 8 + severity (local0 16, auth 4;
        # urgent is critical, 2), the item as JSON after a BOM.
        for line, pri, framing in ((rx.udp[0], 16 * 8 + 2, "udp"), (rx.tcp[0], 4 * 8 + 2, "tcp")):
            m = SYSLOG_RE.match(line)
            check(m, "%s syslog line: %r" % (framing, line))
            check(int(m.group(1)) == pri, "%s PRI %s" % (framing, m.group(1)))
            check(re.match(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", m.group(2)),
                  "timestamp %r" % m.group(2))
            check(m.group(6).decode() == urgent["id"] and int(m.group(4)) == a.id, "SD ids")
            check(b"\r" not in line and b"\n" not in line, "one line")
            check(json.loads(m.group(7))["title"] == HOSTILE, "MSG JSON")
        # Inbox: one message, then marked read.
        inbox = ok(call(c, viewer, "GET", "/api/v1/inbox"), 200, "inbox")
        check(inbox["unread"] == 1 and len(inbox["messages"]) == 1 and
              inbox["messages"][0]["items"][0]["id"] == urgent["id"], "inbox: %r" % inbox)
        mid = inbox["messages"][0]["id"]
        ok(call(c, viewer, "POST", "/api/v1/inbox/%d/read" % mid), 200, "mark read")
        inbox = ok(call(c, viewer, "GET", "/api/v1/inbox?unread=1"), 200, "inbox")
        check(inbox["unread"] == 0 and inbox["messages"] == [], "read: %r" % inbox)
        expect_error(call(c, viewer, "POST", "/api/v1/inbox/12345/read"), 404, "no message")

        # Exactly once: more rounds, the same batch again, the same alert id
        # in a new batch: nothing more goes out.
        deliver(c, key)
        a.send([urgent])
        deliver(c, key)
        counts = (len(rx.got("/hook")), len(rx.got("/slack?token=s3cret")), len(rx.got("/ding")),
                  len(rx.got("/feishu")), len(rx.mails), len(rx.udp), len(rx.tcp))
        check(counts == (1,) * 7, "each channel got the alert once: %r" % (counts,))
        check(eng.scalar("SELECT count(*) FROM notify_queue WHERE status = 'sent'") == 8,
              "8 queue rows sent")

        # Test-send on a channel.
        res = ok(call(c, key, "POST", "/api/v1/notifications/channels/%d/test" % slack["id"]),
                 200, "test send")
        check(len(rx.got("/slack?token=s3cret")) == 2 and
              "test notification" in json.loads(rx.got("/slack?token=s3cret")[1][1])["text"],
              "test message arrived")
    finally:
        rx.stop()


def test_schedule_digest_limit_failure(eng, centers):
    rx = Receivers()
    try:
        c = Center(eng)
        centers.append(c)
        c.start()
        key = c.apikey("admin")
        add_channel(c, key, {"name": "held", "type": "webhook", "url": rx.url("/held")})
        add_channel(c, key, {"name": "digest", "type": "webhook", "url": rx.url("/digest")})
        add_channel(c, key, {"name": "limited", "type": "webhook", "url": rx.url("/limited"),
                             "max_per_host_per_day": 1})
        add_channel(c, key, {"name": "broken", "type": "webhook", "url": rx.url("/fail")})
        now = time.time()
        hhmm = lambda t: time.strftime("%H:%M", time.gmtime(t))
        # A window that opens two hours from now (in +08:00: the same
        # instant), so the suspicious alert is held.
        win_from, win_to = hhmm(now + 2 * 3600 + 8 * 3600), hhmm(now + 3 * 3600 + 8 * 3600)
        settings = {"settle_seconds": 0,
                    "alerts": {
                        "suspicious": {"enabled": True, "channels": ["held"],
                                       "schedule": {"tz": "+08:00", "from": win_from,
                                                    "to": win_to}},
                        "reminder": {"enabled": True, "channels": ["limited"]},
                        "urgent": {"enabled": True, "channels": ["broken"]}},
                    "findings": {"high": {"enabled": True, "channels": ["digest"],
                                          "mode": "daily",
                                          "schedule": {"tz": "UTC", "digest_at": "07:30"}}}}
        ok(call(c, key, "PUT", "/api/v1/notifications/settings", settings), 200, "settings")
        a = Agent(c, c.token(), "web-1")
        b = Agent(c, c.token(), "web-2")
        sus = alert(level="suspicious")
        r1, r2, r3 = alert(level="reminder"), alert(level="reminder"), alert(level="reminder")
        urg = alert(level="urgent")
        a.send([sus, r1, r2, urg, finding("f" * 32, level="high")])
        b.send([r3])
        st = deliver(c, key)
        wait_for(lambda: len(rx.got("/limited")) >= 2 and
                 eng.scalar("SELECT count(*) FROM notify_queue WHERE status = 'suppressed'"
                            " OR attempts > 0") == 4, "the limited and broken channels")
        # Held: queued with its due time at the window's opening, not sent.
        check(rx.got("/held") == [], "held alert not sent")
        due = eng.scalar("SELECT due_at FROM notify_queue q JOIN notify_channels c"
                         " ON c.id = q.channel_id WHERE c.name = 'held'")
        want = (int(now // 60) * 60 + 2 * 3600)
        check(abs(int(due) / 1e6 - want) <= 60, "held until the window opens: %s vs %s" %
              (due, want))
        # Digest: queued for the next 07:30 UTC.
        due = int(eng.scalar("SELECT due_at FROM notify_queue WHERE kind = 'finding'")) / 1e6
        check(time.strftime("%H:%M:%S", time.gmtime(due)) == "07:30:00" and
              now - 60 <= due <= now + 86400, "digest due at 07:30 UTC: %s" % due)
        check(rx.got("/digest") == [], "digest not sent yet")
        # Limit: one per host per day on "limited": web-1's second reminder
        # is suppressed, web-2's goes out.
        ids = sorted(json.loads(x[1])["id"] for x in rx.got("/limited"))
        check(len(ids) == 2 and r3["id"] in ids and (r1["id"] in ids) != (r2["id"] in ids),
              "limited: %r" % ids)
        check(eng.scalar("SELECT count(*) FROM notify_queue WHERE status = 'suppressed'") == 1,
              "one suppressed")
        # Failure: retried later (attempts counted, next try in the future),
        # counted in /metrics.
        row = eng.query("SELECT status, attempts, next_try, last_error FROM notify_queue q"
                        " JOIN notify_channels c ON c.id = q.channel_id WHERE c.name = 'broken'")
        check(row and row[0][0] == "pending" and row[0][1] == "1" and
              int(row[0][2]) / 1e6 > now + 20 and "500" in row[0][3], "failure row: %r" % row)
        check(len(rx.got("/fail")) == 1, "tried once")
        metrics = ok(call(c, key, "GET", "/metrics"), 200, "metrics")
        check(re.search(r'vigil_center_notification_failures_total\{channel="webhook"\} [1-9]',
                        metrics), "failure counted: %s" % metrics[-1500:])
        deliver(c, key)
        check(len(rx.got("/fail")) == 1, "not retried before its time")
        check(st["suppressed"] >= 0, "stats present")
    finally:
        rx.stop()


def test_two_centers(eng, centers):
    """Two processes on one database deliver at the same time; every alert
    reaches the webhook once."""
    rx = Receivers()
    try:
        c1 = Center(eng, name="c1")
        centers.append(c1)
        c1.start()
        key = c1.apikey("admin")
        c2 = Center(eng, name="c2")
        centers.append(c2)
        c2.start()
        add_channel(c1, key, {"name": "hook", "type": "webhook", "url": rx.url("/hook")})
        ok(call(c1, key, "PUT", "/api/v1/notifications/settings",
                {"settle_seconds": 0,
                 "alerts": {"urgent": {"enabled": True, "channels": ["hook"]}}}), 200, "settings")
        a = Agent(c1, c1.token(), "db-1")
        sent = [alert(level="urgent") for _ in range(40)]
        for i in range(0, 40, 10):
            a.send(sent[i:i + 10])
        errors = []

        def run(c):
            try:
                for _ in range(3):
                    deliver(c, key)
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        ts = [threading.Thread(target=run, args=(c,)) for c in (c1, c2, c1, c2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        check(not errors, "deliver errors: %r" % errors)
        wait_for(lambda: len(rx.got("/hook")) >= 40, "40 webhooks")
        deliver(c2, key)
        ids = [json.loads(b)["id"] for _, b in rx.got("/hook")]
        check(sorted(ids) == sorted(x["id"] for x in sent),
              "each alert once: %d posts, %d distinct" % (len(ids), len(set(ids))))
    finally:
        rx.stop()


# NOTIFY_ENGINES=sqlite (or postgres) runs on one engine only, for quick
# runs while developing.
Runner(os.environ["NOTIFY_ENGINES"].split(",") if os.environ.get("NOTIFY_ENGINES") else None).run(
    [test_channels, test_schedule_digest_limit_failure, test_two_centers])
