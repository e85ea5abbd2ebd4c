#!/usr/bin/env python3
"""Write a realistic auth.log of OpenSSH 9 (Debian 12) messages with rsyslog's
ISO 8601 stamps, for benchmarking `vigil logscan`.

Usage: gen-sshd-log.py SIZE_MB OUT [SEED]

The mix follows what internet-facing hosts see: mostly brute force against
invalid users and root (with PAM lines, maximum-attempt and disconnect
messages), scanners that close before authenticating, a few legitimate
public key and password logins with their sessions, and about one line in
ten from other programs (CRON, systemd-logind). Deterministic for a seed.
"""
import random
import sys
import time

USERS = ["admin", "test", "user", "oracle", "ubuntu", "postgres", "git", "guest", "ftpuser",
         "deploy1", "support", "www", "jenkins", "hadoop", "pi", "minecraft", "steam", "vagrant"]
GOOD = ["alice", "bob", "deploy"]
KEYS = ["ED25519 SHA256:Hk2p9Wm3cQ8xZr1TnV5bL7yU4sE6aD0fG2hJ3kL9mN0",
        "RSA SHA256:pYf5Qb9mN2xL7kR3tW8vZ1cE4aG6hJ0sD2uI5oP9qX3"]


def main():
    size = int(sys.argv[1]) * 1024 * 1024
    out = sys.argv[2]
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 20261126)
    attackers = ["%d.%d.%d.%d" % (rnd.randrange(1, 224), rnd.randrange(256), rnd.randrange(256),
                                  rnd.randrange(1, 255)) for _ in range(5000)]
    attackers += ["2001:db8:%x::%x" % (rnd.randrange(65536), rnd.randrange(65536)) for _ in range(200)]
    friends = ["192.0.2.%d" % i for i in range(10, 20)]
    t = 1795734000.0  # 2026-11-26T20:20:00Z
    pid = 10000
    written = 0
    buf = []
    host = "web1"

    def stamp():
        s = int(t)
        us = int((t - s) * 1e6)
        g = time.gmtime(s)
        return "%04d-%02d-%02dT%02d:%02d:%02d.%06d+00:00" % (g.tm_year, g.tm_mon, g.tm_mday,
                                                             g.tm_hour, g.tm_min, g.tm_sec, us)

    with open(out, "w") as f:
        while written < size:
            pid = pid + 1 if pid < 4000000 else 10000
            p = "%s %s sshd[%d]: " % (stamp(), host, pid)
            port = rnd.randrange(1024, 65536)
            r = rnd.random()
            lines = []
            if r < 0.45:
                a = rnd.choice(attackers)
                u = rnd.choice(USERS)
                lines = [
                    "Invalid user %s from %s port %d" % (u, a, port),
                    "pam_unix(sshd:auth): check pass; user unknown",
                    "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s" % a,
                    "Failed password for invalid user %s from %s port %d ssh2" % (u, a, port),
                    "Received disconnect from %s port %d:11: Bye Bye [preauth]" % (a, port),
                    "Disconnected from invalid user %s %s port %d [preauth]" % (u, a, port),
                ]
            elif r < 0.65:
                a = rnd.choice(attackers)
                n = rnd.randrange(1, 7)
                lines = ["pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s  user=root" % a]
                lines += ["Failed password for root from %s port %d ssh2" % (a, port)] * n
                if n == 6:
                    lines += ["error: maximum authentication attempts exceeded for root from %s port %d ssh2 [preauth]" % (a, port),
                              "Disconnecting authenticating user root %s port %d: Too many authentication failures [preauth]" % (a, port),
                              "PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s  user=root" % a]
                else:
                    lines += ["Connection closed by authenticating user root %s port %d [preauth]" % (a, port)]
            elif r < 0.80:
                a = rnd.choice(attackers)
                lines = [rnd.choice([
                    "Connection closed by %s port %d [preauth]" % (a, port),
                    "Connection reset by %s port %d [preauth]" % (a, port),
                    "Timeout before authentication for %s port %d" % (a, port),
                    "banner exchange: Connection from %s port %d: invalid format" % (a, port),
                    "error: kex_exchange_identification: Connection closed by remote host",
                    "Unable to negotiate with %s port %d: no matching host key type found. Their offer: ssh-rsa,ssh-dss [preauth]" % (a, port),
                ])]
            elif r < 0.90:
                a = rnd.choice(friends)
                u = rnd.choice(GOOD)
                if rnd.random() < 0.7:
                    lines = ["Accepted publickey for %s from %s port %d ssh2: %s" % (u, a, port, rnd.choice(KEYS))]
                else:
                    lines = ["Accepted password for %s from %s port %d ssh2" % (u, a, port)]
                lines += ["pam_unix(sshd:session): session opened for user %s(uid=1000) by (uid=0)" % u,
                          "Received disconnect from %s port %d:11: disconnected by user" % (a, port),
                          "Disconnected from user %s %s port %d" % (u, a, port),
                          "pam_unix(sshd:session): session closed for user %s" % u]
            else:
                s = stamp()
                buf.append(rnd.choice([
                    "%s %s CRON[%d]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)\n" % (s, host, pid),
                    "%s %s CRON[%d]: pam_unix(cron:session): session closed for user root\n" % (s, host, pid),
                    "%s %s systemd-logind[512]: New session %d of user alice.\n" % (s, host, pid),
                    "%s %s systemd-logind[512]: Session %d logged out. Waiting for processes to exit.\n" % (s, host, pid),
                ]))
            for ln in lines:
                t += rnd.random() * 0.05
                buf.append("%s %s sshd[%d]: %s\n" % (stamp(), host, pid, ln))
            t += rnd.random() * 0.2
            if len(buf) > 20000:
                chunk = "".join(buf)
                f.write(chunk)
                written += len(chunk)
                buf = []
        if buf:
            f.write("".join(buf))


if __name__ == "__main__":
    main()
