#!/usr/bin/env python3
"""Mail notifications over TLS: a CA and a server certificate for 127.0.0.1
are made with openssl here, and two small SMTP receivers in this file use
them, one that offers STARTTLS on a plain connection and one that speaks
TLS from the first byte (smtps). The center is given the CA in each email
channel's "ca"; the test send and a real alert through the agent intake
arrive, and the receivers see that the mail came over TLS. Refused: a
channel without the CA (the certificate is not trusted by the system), and
a STARTTLS channel whose server does not offer STARTTLS (the mail must not
go in clear)."""

import email
import email.policy
import os
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from centerlib import Agent, Center, Runner, alert, check  # noqa: E402


def make_certs(d):
    """A CA, and a server certificate for IP 127.0.0.1 signed by it."""
    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True)
    ca_key, ca, key, csr, crt = (os.path.join(d, n) for n in
                                 ("ca.key", "ca.pem", "srv.key", "srv.csr", "srv.pem"))
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", ca_key, "-out", ca, "-subj", "/CN=vigil test mail CA", "-days", "2",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
        "-out", crt, "-days", "2", "-extfile", ext)
    return ca, crt, key


class Smtp:
    """An SMTP receiver. MODE is "starttls" (plain, offers STARTTLS),
    "smtps" (TLS from the start) or "plain" (offers no STARTTLS). Records
    (tls, mail from, rcpt to, data) per message."""

    def __init__(self, mode, crt, key):
        self.mails = []
        self.lock = threading.Lock()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        rec = self

        class H(socketserver.StreamRequestHandler):
            def setup(self):
                self.tls = False
                if mode == "smtps":
                    self.request = ctx.wrap_socket(self.request, server_side=True)
                    self.tls = True
                super().setup()

            def upgrade(self):
                self.wfile.flush()
                self.request = ctx.wrap_socket(self.request, server_side=True)
                self.tls = True
                self.rfile = self.request.makefile("rb")
                self.wfile = self.request.makefile("wb", buffering=0)

            def handle(self):
                self.wfile.write(b"220 test ESMTP\r\n")
                env = {"from": None, "to": []}
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    cmd = line.decode("ascii", "replace").strip()
                    up = cmd.upper()
                    w = self.wfile.write
                    if up.startswith("EHLO") or up.startswith("HELO"):
                        if mode == "starttls" and not self.tls:
                            w(b"250-test\r\n250-STARTTLS\r\n250 8BITMIME\r\n")
                        else:
                            w(b"250-test\r\n250 8BITMIME\r\n")
                    elif up == "STARTTLS" and mode == "starttls" and not self.tls:
                        w(b"220 go ahead\r\n")
                        self.upgrade()
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
                            rec.mails.append((self.tls, env["from"], list(env["to"]), data))
                        env = {"from": None, "to": []}
                        w(b"250 queued\r\n")
                    elif up == "QUIT":
                        w(b"221 bye\r\n")
                        return
                    else:
                        w(b"250 ok\r\n")

        class S(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

            def handle_error(self, request, client_address):
                pass  # a refused handshake is part of the test

        self.srv = S(("127.0.0.1", 0), H)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    @property
    def port(self):
        return self.srv.server_address[1]

    def got(self):
        with self.lock:
            return list(self.mails)

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


def call(c, key, method, path, body=None):
    return c.request(method, path, body, {"Authorization": "Bearer " + key})


def ok(res, status, what):
    st, body, _ = res
    check(st == status, "%s: wanted %d, got %d %s" % (what, status, st, body))
    return body


def test_smtp_tls(eng, centers):
    d = tempfile.mkdtemp(prefix="vigil-smtp-tls.")
    ca_path, crt, key = make_certs(d)
    with open(ca_path) as f:
        ca = f.read()
    starttls, smtps, plain = Smtp("starttls", crt, key), Smtp("smtps", crt, key), \
        Smtp("plain", crt, key)
    try:
        c = Center(eng)
        centers.append(c)
        c.start()
        key_ = c.apikey("admin")
        mk = lambda name, url, **kw: dict(name=name, type="email", url=url,
                                          **{"from": "vigil@example.com"},
                                          to=["ops@example.com"], **kw)
        chans = {}
        for ch in (mk("starttls", "smtp://127.0.0.1:%d" % starttls.port, starttls=True, ca=ca),
                   mk("smtps", "smtps://127.0.0.1:%d" % smtps.port, ca=ca),
                   mk("smtps-noca", "smtps://127.0.0.1:%d" % smtps.port),
                   mk("starttls-noca", "smtp://127.0.0.1:%d" % starttls.port, starttls=True),
                   mk("starttls-missing", "smtp://127.0.0.1:%d" % plain.port, starttls=True,
                      ca=ca)):
            res = ok(call(c, key_, "POST", "/api/v1/notifications/channels", ch), 201, ch["name"])
            chans[ch["name"]] = res["id"]
        # The CA is shown back (it is not a secret); a bad one is refused.
        st, body, _ = call(c, key_, "POST", "/api/v1/notifications/channels",
                           mk("bad-ca", "smtps://127.0.0.1:1", ca="not a certificate"))
        check(st == 400 and body["message"].startswith("ca:"), "bad ca: %d %r" % (st, body))
        lst = ok(call(c, key_, "GET", "/api/v1/notifications/channels"), 200, "list")
        check([x.get("ca") for x in lst["channels"] if x["name"] == "smtps"] == [ca],
              "ca read back")

        # Test sends: with the CA, both arrive over TLS.
        for name, rx in (("starttls", starttls), ("smtps", smtps)):
            ok(call(c, key_, "POST", "/api/v1/notifications/channels/%d/test" % chans[name]),
               200, "test send on " + name)
            mails = rx.got()
            check(len(mails) == 1 and mails[0][0] is True, "%s: %r" % (name, mails))
            check(mails[0][1] == "<vigil@example.com>" and mails[0][2] == ["<ops@example.com>"],
                  "%s envelope: %r" % (name, mails[0][1:3]))
            msg = email.message_from_bytes(mails[0][3], policy=email.policy.default)
            check("vigil test notification" in str(msg["Subject"]), "%s subject" % name)
        # Without the CA the server is not trusted; a STARTTLS channel never
        # sends in clear to a server that does not offer it.
        for name in ("smtps-noca", "starttls-noca", "starttls-missing"):
            st, body, _ = call(c, key_, "POST",
                               "/api/v1/notifications/channels/%d/test" % chans[name])
            check(st == 502 and body["error"] == "delivery_failed",
                  "%s must fail: %d %r" % (name, st, body))
        check(len(starttls.got()) == 1 and len(smtps.got()) == 1 and plain.got() == [],
              "nothing more arrived: %d %d %d" % (len(starttls.got()), len(smtps.got()),
                                                  len(plain.got())))

        # A real alert through the intake and a delivery round, to both.
        ok(call(c, key_, "PUT", "/api/v1/notifications/settings",
                {"settle_seconds": 0, "alerts": {"urgent": {
                    "enabled": True, "channels": ["starttls", "smtps"]}}}), 200, "settings")
        a = Agent(c, c.token(), "mailhost")
        urgent = alert(level="urgent", title="over TLS")
        st, res, _ = a.send([urgent])
        check(st == 200, "intake: %r" % res)
        ok(call(c, key_, "POST", "/api/v1/notifications/deliver"), 200, "deliver")
        deadline = time.time() + 30
        while (len(starttls.got()) < 2 or len(smtps.got()) < 2) and time.time() < deadline:
            time.sleep(0.05)
        for name, rx in (("starttls", starttls), ("smtps", smtps)):
            mails = rx.got()
            check(len(mails) == 2 and mails[1][0] is True, "%s alert mail: %r" % (name, mails))
            text = email.message_from_bytes(mails[1][3],
                                            policy=email.policy.default).get_content()
            check(urgent["id"] in text, "%s: the alert in the mail" % name)
        check(eng.scalar("SELECT count(*) FROM notify_queue WHERE status = 'sent'") == 2,
              "two queue rows sent")
    finally:
        for s in (starttls, smtps, plain):
            s.stop()


# TLS does not depend on the database: SQLite is enough.
Runner(["sqlite"]).run([test_smtp_tls])
