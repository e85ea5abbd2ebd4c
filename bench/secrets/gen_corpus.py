#!/usr/bin/env python3
"""Generate the secret-scanning benchmark corpus: a tree of mixed text files
(source code, configuration, logs, prose, minified JSON, base64 data) with
fake but well-formed secrets planted at known places.

Usage: gen_corpus.py OUT_DIR [--size MiB] [--seed N] [--small-files N]

Everything is drawn from a PRNG with a fixed seed, so the same arguments
give the same bytes. OUT_DIR/manifest.tsv lists every planted secret as
"path<TAB>line<TAB>column<TAB>rule" (the secrets themselves are not written
there; they are in the files). The secrets are random, never real keys.
"""
import argparse
import os
import random
import string

UP = string.ascii_uppercase
LO = string.ascii_lowercase
DG = string.digits
AN = UP + LO + DG
B64 = AN + "+/"
B64U = AN + "-_"
B32 = UP + "234567"
HEX = "0123456789abcdef"

WORDS = """the of and to in is you that it he was for on are as with his they at be this
have from or one had by word but not what all were we when your can said there use an each
which she do how their if will up other about out many then them these so some her would
make like him into time has look two more write go see number no way could people my than
first water been call who oil its now find long down day did get come made may part over
new sound take only little work know place year live me back give most very after thing our
just name good sentence man think say great where help through much before line right too
mean old any same tell boy follow came want show also around form three small set put end
does another well large must big even such because turn here why ask went men read need
land different home us move try kind hand picture again change off play spell air away
animal house point page letter mother answer found study still learn should america world
server request response client cache buffer queue thread process memory disk network socket
config value default option parse error warning timeout retry connect listen service deploy
release build image container volume cluster node route handler session cookie header
payload message event stream record index query table column schema migration backup
""".split()

IDENT = """ctx req res buf len size count idx item items node list map key val data err rc ret
opts cfg conf state mgr handle fd path name user id uid gid flags mode offset limit total
result status code msg text line col row cell value token session secret auth password hash
salt nonce cipher client server host port addr url uri query body header cookie cache pool
worker job task queue event timer loop""".split()


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.since = 0  # bytes written since the last planted secret

    def s(self, chars, n):
        return "".join(self.r.choice(chars) for _ in range(n))

    def words(self, lo, hi):
        return " ".join(self.r.choice(WORDS) for _ in range(self.r.randint(lo, hi)))

    def ident(self):
        a = self.r.choice(IDENT)
        if self.r.random() < 0.5:
            a += "_" + self.r.choice(IDENT)
        return a

    def ip(self):
        return "%d.%d.%d.%d" % tuple(self.r.randint(1, 254) for _ in range(4))

    # One line of each kind of content.
    def prose(self):
        w = self.words(6, 18)
        return w[0].upper() + w[1:] + "."

    def code(self):
        r = self.r
        k = r.randint(0, 9)
        ind = "    " * r.randint(0, 3)
        a, b = self.ident(), self.ident()
        if k == 0:
            return "%sif (%s->%s > %d) {" % (ind, a, b, r.randint(0, 4096))
        if k == 1:
            return "%sdef %s(self, %s, %s=None):" % (ind, a, b, self.ident())
        if k == 2:
            return "%sconst %s = %s.%s || '%s';" % (ind, a, b, self.ident(), r.choice(WORDS))
        if k == 3:
            return "%sreturn %s(%s, %d);" % (ind, a, b, r.randint(0, 99))
        if k == 4:
            return "%s/* %s */" % (ind, self.words(4, 12))
        if k == 5:
            return "%s%s = %s.get(\"%s\")" % (ind, a, b, self.ident())
        if k == 6:
            return "%sfor (size_t i = 0; i < %s; i++)" % (ind, a)
        if k == 7:
            return "%s} else if (!%s) {" % (ind, a)
        if k == 8:
            return "%slog.debug(\"%s %%s\", %s)" % (ind, self.words(3, 7), a)
        return "%s%s(%s);" % (ind, a, b)

    def log(self):
        r = self.r
        if r.random() < 0.6:
            return '%s - - [%02d/Oct/2024:%02d:%02d:%02d +0000] "%s /%s/%s?id=%d HTTP/1.1" %d %d "-" "Mozilla/5.0 (X11; Linux x86_64)"' % (
                self.ip(), r.randint(1, 28), r.randint(0, 23), r.randint(0, 59), r.randint(0, 59),
                r.choice(["GET", "POST", "PUT"]), r.choice(WORDS), r.choice(WORDS), r.randint(1, 99999),
                r.choice([200, 200, 200, 301, 404, 500]), r.randint(100, 90000))
        return "2024-10-%02dT%02d:%02d:%02d.%06d+00:00 web%d %s[%d]: %s" % (
            r.randint(1, 28), r.randint(0, 23), r.randint(0, 59), r.randint(0, 59), r.randint(0, 999999),
            r.randint(1, 9), r.choice(["sshd", "nginx", "cron", "systemd", "app"]), r.randint(100, 65000),
            self.words(4, 14))

    def config(self):
        r = self.r
        k = r.randint(0, 7)
        key = self.ident()
        if k == 0:
            return "%s: %s" % (key, r.choice(WORDS))
        if k == 1:
            return "%s = %d" % (key, r.randint(0, 100000))
        if k == 2:
            return "[%s]" % r.choice(WORDS)
        if k == 3:
            return "  %s: \"%s\"" % (key, self.words(1, 4))
        if k == 4:
            return "%s.%s=%s" % (r.choice(WORDS), key, r.choice(["true", "false", "on", str(r.randint(0, 9))]))
        if k == 5:
            return "password: ${DB_PASSWORD}" if r.random() < 0.1 else "# %s" % self.words(3, 9)
        if k == 6:
            return "url: https://%s.example.org/%s" % (r.choice(WORDS), r.choice(WORDS))
        return "%s_%s=%s" % (key.upper(), r.choice(WORDS).upper(), r.choice(WORDS))

    def json_line(self, n):
        r = self.r
        parts = []
        for _ in range(n):
            parts.append('{"id":%d,"name":"%s","tags":["%s","%s"],"score":%d.%d,"url":"https://cdn.example.org/%s/%d"}' % (
                r.randint(1, 10**6), self.words(1, 3), r.choice(WORDS), r.choice(WORDS), r.randint(0, 99),
                r.randint(0, 99), r.choice(WORDS), r.randint(0, 9999)))
        return "[" + ",".join(parts) + "]"

    def b64_line(self):
        return self.s(B64, 76)

    # A planted secret: (rule, line, prefix length before the secret).
    def secret(self):
        r = self.r
        kind = r.randint(0, 13)
        if kind == 0:
            v = "AKIA" + self.s(B32, 16)
            return "aws-access-key-id", "aws_access_key_id = " + v, len("aws_access_key_id = ")
        if kind == 1:
            v = self.s(B64, 40)
            return "aws-secret-access-key", "aws_secret_access_key = " + v, len("aws_secret_access_key = ")
        if kind == 2:
            v = "LTAI" + self.s(AN, 20)
            return "alibaba-accesskey-id", "access_key_id: " + v, len("access_key_id: ")
        if kind == 3:
            v = "ghp_" + self.s(AN, 36)
            return "github-token", "GITHUB_TOKEN=" + v, len("GITHUB_TOKEN=")
        if kind == 4:
            v = "glpat-" + self.s(B64U, 20)
            return "gitlab-token", "gitlab_token: " + v, len("gitlab_token: ")
        if kind == 5:
            v = "xoxb-" + self.s(DG, 12) + "-" + self.s(DG, 13) + "-" + self.s(AN, 24)
            return "slack-token", "SLACK_BOT_TOKEN=" + v, len("SLACK_BOT_TOKEN=")
        if kind == 6:
            v = "sk_live_" + self.s(AN, 24)
            return "stripe-secret-key", "stripe_key = \"" + v + "\"", len("stripe_key = \"")
        if kind == 7:
            v = "AIza" + self.s(B64U, 35)
            return "gcp-api-key", "maps_api_key: " + v, len("maps_api_key: ")
        if kind == 8:
            v = self.s(AN, 18)
            return "database-url-password", "DATABASE_URL=postgres://app:" + v + "@db.internal:5432/app", len("DATABASE_URL=postgres://app:")
        if kind == 9:
            v = "eyJ" + self.s(B64U, 30) + ".eyJ" + self.s(B64U, 60) + "." + self.s(B64U, 43)
            return "jwt", "Authorization: Bearer " + v, len("Authorization: Bearer ")
        if kind == 10:
            v = self.s(AN, 20)
            return "generic-secret", "DB_PASSWORD=" + v, len("DB_PASSWORD=")
        if kind == 11:
            v = "npm_" + self.s(AN, 36)
            return "npm-token", "//registry.npmjs.org/:_authToken=" + v, len("//registry.npmjs.org/:_authToken=")
        if kind == 12:
            v = self.s(AN, 14)
            return "mysql-cli-password", "mysql -u root -p" + v + " shop", len("mysql -u root -p")
        v = "SG." + self.s(B64U, 22) + "." + self.s(B64U, 43)
        return "sendgrid-api-key", "SENDGRID_API_KEY=" + v, len("SENDGRID_API_KEY=")


def write_file(g, path, size, kind, manifest, plant_every):
    lines = []
    total = 0
    makers = {
        "prose": g.prose, "code": g.code, "log": g.log, "config": g.config, "b64": g.b64_line,
    }
    if kind == "minified":
        # One line: a JSON array of objects, secrets planted inside strings.
        parts = []
        col = 1
        while total < size:
            if g.since >= plant_every:
                rule, text, off = g.secret()
                piece = ',"note":"%s"' % text.replace('"', "'")
                manifest.append((path, 1, col + 9 + off, rule))
                g.since = 0
            else:
                piece = g.json_line(4)
            parts.append(piece)
            col += len(piece)
            total += len(piece)
            g.since += len(piece)
        with open(path, "w") as f:
            f.write("".join(parts) + "\n")
        return total
    make = makers[kind]
    while total < size:
        if g.since >= plant_every:
            rule, text, off = g.secret()
            manifest.append((path, len(lines) + 1, off + 1, rule))
            line = text
            g.since = 0
        else:
            line = make()
        lines.append(line)
        total += len(line) + 1
        g.since += len(line) + 1
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--size", type=int, default=1024, help="total MiB (default 1024)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--plant-every", type=int, default=4 * 1024 * 1024,
                    help="bytes between planted secrets (default 4 MiB)")
    args = ap.parse_args()
    g = Gen(args.seed)
    target = args.size * 1024 * 1024
    manifest = []
    total = 0
    n = 0
    kinds = ["code", "code", "config", "log", "log", "prose", "b64", "minified"]
    while total < target:
        kind = kinds[n % len(kinds)]
        d = os.path.join(args.out, kind, "d%03d" % (n // 64))
        os.makedirs(d, exist_ok=True)
        # Mostly small and medium files, a few big ones, like a real tree.
        x = g.r.random()
        if kind == "minified":
            size = g.r.randint(4, 24) * 1024 * 1024
        elif x < 0.80:
            size = g.r.randint(2, 256) * 1024
        elif x < 0.97:
            size = g.r.randint(1, 8) * 1024 * 1024
        else:
            size = g.r.randint(16, 48) * 1024 * 1024
        size = min(size, target - total + 1)
        ext = {"code": ".c", "config": ".yml", "log": ".log", "prose": ".txt", "b64": ".b64",
               "minified": ".min.json"}[kind]
        path = os.path.join(d, "f%05d%s" % (n, ext))
        total += write_file(g, path, size, kind, manifest, args.plant_every)
        n += 1
    with open(os.path.join(args.out, "manifest.tsv"), "w") as f:
        for p, line, col, rule in manifest:
            f.write("%s\t%d\t%d\t%s\n" % (os.path.abspath(p), line, col, rule))
    print("%d files, %.1f MiB, %d planted secrets" % (n, total / 1048576, len(manifest)))


if __name__ == "__main__":
    main()
