#!/usr/bin/env python3
"""The center over TLS: a certificate and key from the configuration, TLS
1.2 and 1.3 accepted, older versions refused, enrollment and intake over
HTTPS; and plain HTTP refused on an address that is not loopback."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from centerlib import Agent, Center, Runner, alert, check  # noqa: E402


def handshake(c, *flags):
    out = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % c.port,
                          "-brief"] + list(flags), input="", capture_output=True, text=True,
                         timeout=30)
    return out.returncode == 0 and "Protocol version" in out.stdout + out.stderr, \
        out.stdout + out.stderr


def test_tls(eng, centers):
    cert = os.path.join(eng.work, "cert.pem")
    key = os.path.join(eng.work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                    "/CN=localhost", "-keyout", key, "-out", cert], check=True,
                   capture_output=True)
    c = Center(eng, config="  tls:\n    cert: %s\n    key: %s\n" % (cert, key))
    centers.append(c)
    tok = c.token()
    c.start()
    check(c.scheme == "https", "the center says https")
    a = Agent(c, tok, "tls-host")
    st, r, _ = a.send([alert()])
    check(st == 200 and r["stored"]["alerts"] == 1, "intake over TLS: %r" % r)
    ok, out = handshake(c, "-tls1_2")
    check(ok and "TLSv1.2" in out, "TLS 1.2 accepted: %s" % out[-500:])
    ok, out = handshake(c, "-tls1_3")
    check(ok and "TLSv1.3" in out, "TLS 1.3 accepted: %s" % out[-500:])
    for old in ("-tls1_1", "-tls1"):
        ok, out = handshake(c, old, "-cipher", "DEFAULT:@SECLEVEL=0")
        check(not ok, "%s refused: %s" % (old, out[-500:]))
    # Plain HTTP to the TLS port gets nothing useful.
    try:
        import http.client
        h = http.client.HTTPConnection("127.0.0.1", c.port, timeout=10)
        h.request("GET", "/healthz")
        status = h.getresponse().status
    except Exception:
        status = None
    check(status != 200, "no plain HTTP on the TLS port")


def test_plain_refused(eng, centers):
    c = Center(eng, listen="0.0.0.0:0")
    centers.append(c)
    out = c.cli("--listen", "0.0.0.0:0", check=False)
    check(out.returncode == 2 and "refusing plain HTTP" in out.stderr,
          "plain HTTP on all addresses refused: %d %s" % (out.returncode, out.stderr))
    c2 = Center(eng, listen="0.0.0.0:0", config="  tls:\n    cert: /nonexistent.pem\n"
                                                  "    key: /nonexistent.pem\n", name="c2")
    out = c2.cli("--listen", "0.0.0.0:0", check=False)
    check(out.returncode == 2 and "/nonexistent.pem" in out.stderr,
          "a missing certificate is named: %s" % out.stderr)


Runner(kinds=["sqlite"]).run([test_tls, test_plain_refused])
