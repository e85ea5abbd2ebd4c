#!/usr/bin/env python3
"""Plant fake, well-formed secrets of every rule type into a directory for
the secret scanner's integration test, and decoys that must not be found.

Usage: plant.py DIR SEED

Writes DIR/tree/... and DIR/expected.tsv with one line per planted secret:
"rule<TAB>path<TAB>line<TAB>column<TAB>secret", and DIR/secrets.txt with the
secrets alone (for checking that no output contains them). The secrets are
random (from SEED), never real credentials, and are created at test time so
none is committed to the repository.
"""
import os
import random
import string
import sys

UP, LO, DG = string.ascii_uppercase, string.ascii_lowercase, string.digits
AN = UP + LO + DG
B64 = AN + "+/"
B64U = AN + "-_"
B32 = UP + "234567"
HEX = "0123456789abcdef"

out = sys.argv[1]
r = random.Random(int(sys.argv[2]))
expected = []
tree = os.path.join(out, "tree")


def s(chars, n):
    # Avoid the placeholder markers by chance (test, fake, xxxx, ...).
    while True:
        v = "".join(r.choice(chars) for _ in range(n))
        low = v.lower()
        if not any(m in low for m in ("test", "fake", "xxxx", "your", "dummy", "sample", "example")):
            return v


class File:
    def __init__(self, rel):
        self.rel = rel
        self.lines = []

    def add(self, line):
        self.lines.append(line)

    def plant(self, rule, before, secret, after="", secret_in_line=None):
        """A line BEFORE + SECRET + AFTER; the secret's column is after BEFORE."""
        self.lines.append(before + secret + after)
        expected.append((rule, self.path(), len(self.lines), len(before) + 1,
                         secret_in_line or secret))

    def path(self):
        return os.path.join(tree, self.rel)

    def write(self, mode=None):
        p = self.path()
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write("\n".join(self.lines) + "\n")
        if mode:
            os.chmod(p, mode)


def pem_body(n_lines):
    return [s(B64, 64) for _ in range(n_lines)] + [s(B64, 20) + "=="]


files = []

f = File("cloud/alibaba.env")
f.add("# Alibaba Cloud")
f.plant("alibaba-accesskey-id", "ALIBABA_CLOUD_ACCESS_KEY_ID=", "LTAI" + s(AN, 20))
f.plant("alibaba-accesskey-secret", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=", s(AN, 30))
files.append(f)

f = File("home/ops/.aws/credentials")
f.add("[default]")
f.plant("aws-access-key-id", "aws_access_key_id = ", "AKIA" + s(B32, 16))
f.plant("aws-secret-access-key", "aws_secret_access_key = ", s(B64, 40))
files.append(f)

f = File("cloud/tencent.ini")
f.plant("tencent-cloud-secret-id", "SecretId = ", "AKID" + s(AN, 32))
files.append(f)

f = File("cloud/azure.env")
f.plant("azure-storage-account-key", "AZURE_STORAGE_KEY=", s(B64, 86) + "==")
files.append(f)

f = File("home/ops/.pypirc")
f.add("[pypi]")
f.add("username = __token__")
f.plant("pypi-token", "password = ", "pypi-AgEIcHlwaS5vcmc" + s(B64U, 120))
files.append(f)

f = File("home/ops/.ssh/id_enc")
f.add("-----BEGIN ENCRYPTED PRIVATE KEY-----")
body = pem_body(4)
f.plant("private-key-encrypted", "", body[0], "", secret_in_line=body[0])
for line in body[1:]:
    f.add(line)
f.add("-----END ENCRYPTED PRIVATE KEY-----")
files.append(f)

f = File("cloud/maps.json")
f.add("{")
f.plant("gcp-api-key", '  "key": "', "AIza" + s(B64U, 35), '",')
f.add('  "region": "asia-east1"')
f.add("}")
files.append(f)

f = File("cloud/service-account.json")
body = pem_body(3)
f.add("{")
f.add('  "type": "service_account",')
f.add('  "project_id": "demo-project",')
f.plant("gcp-service-account-key", '  "private_key_id": "', s(HEX, 40), '",')
pk = "\\n".join(body)
f.plant("private-key", '  "private_key": "-----BEGIN PRIVATE KEY-----\\n', pk,
        '\\n-----END PRIVATE KEY-----\\n",', secret_in_line=body[0])
f.add('  "client_email": "svc@demo-project.iam.gserviceaccount.com"')
f.add("}")
files.append(f)

f = File("cloud/azure.cfg")
f.plant("azure-storage-connection-string",
        "conn = DefaultEndpointsProtocol=https;AccountName=demo;AccountKey=", s(B64, 86) + "==",
        ";EndpointSuffix=core.windows.net")
files.append(f)

f = File("ci/tokens.txt")
f.plant("github-token", "GITHUB_TOKEN=", "ghp_" + s(AN, 36))
f.plant("github-fine-grained-token", "GH_PAT=", "github_pat_" + s(AN, 22) + "_" + s(AN, 59))
f.plant("gitlab-token", "GITLAB_TOKEN=", "glpat-" + s(B64U, 20))
f.plant("slack-token", "SLACK_BOT_TOKEN=", "xoxb-" + s(DG, 12) + "-" + s(DG, 13) + "-" + s(AN, 24))
f.plant("slack-webhook", "SLACK_WEBHOOK=",
        "https://hooks.slack.com/services/T" + s(UP, 8) + "/B" + s(UP, 8) + "/" + s(AN, 24))
f.plant("stripe-secret-key", "STRIPE_SECRET_KEY=", "sk_live_" + s(AN, 32))
f.plant("sendgrid-api-key", "SENDGRID=", "SG." + s(B64U, 22) + "." + s(B64U, 43))
f.plant("npm-token", "//registry.npmjs.org/:_authToken=", "npm_" + s(AN, 36))
files.append(f)

for name, kind in (("home/ops/.ssh/id_rsa", "RSA "), ("home/ops/.ssh/id_ed25519", "OPENSSH ")):
    f = File(name)
    f.add("-----BEGIN %sPRIVATE KEY-----" % kind)
    body = pem_body(4)
    f.plant("private-key", "", body[0], "", secret_in_line=body[0])
    for line in body[1:]:
        f.add(line)
    f.add("-----END %sPRIVATE KEY-----" % kind)
    files.append(f)

f = File("home/ops/keys/server.ppk")
f.add("PuTTY-User-Key-File-3: ssh-ed25519")
f.add("Encryption: none")
f.add("Comment: ops")
f.add("Public-Lines: 2")
f.add(s(B64, 64))
f.add(s(B64, 20))
f.add("Private-Lines: 1")
priv = s(B64, 48)
f.plant("putty-private-key", "", priv)
f.add("Private-MAC: " + s(HEX, 64))
files.append(f)

f = File("srv/api/jwt.txt")
f.plant("jwt", "Authorization: Bearer ",
        "eyJ" + s(B64U, 30) + ".eyJ" + s(B64U, 60) + "." + s(B64U, 43))
files.append(f)

f = File("srv/api/db.conf")
f.plant("database-url-password", "primary = mysql://shop:", s(AN, 16), "@127.0.0.1:3306/shop")
f.plant("database-url-password", "replica = postgres://report:", s(AN, 20), "@db2.internal/reports")
files.append(f)

f = File("home/ops/.netrc")
f.plant("netrc-password", "machine ftp.internal login ops password ", s(AN, 14))
files.append(f)

f = File("home/ops/.git-credentials")
f.plant("url-credentials", "https://ops:", s(AN, 28), "@git.internal")
files.append(f)

f = File("home/ops/.docker/config.json")
f.add("{")
f.add('  "auths": {')
f.add('    "registry.internal": {')
f.plant("docker-config-auth", '      "auth": "', s(B64, 32), '"')
f.add("    }")
f.add("  }")
f.add("}")
files.append(f)

f = File("home/ops/.kube/config")
f.add("apiVersion: v1")
f.add("kind: Config")
f.add("users:")
f.add("- name: admin")
f.add("  user:")
f.plant("kubeconfig-client-key", "    client-key-data: ", s(B64, 120))
f.plant("kubeconfig-token", "    token: ", s(AN, 6) + "." + s(AN, 16))
files.append(f)

f = File("srv/app/.env")
f.add("APP_ENV=production")
f.plant("generic-secret", "DB_PASSWORD=", s(AN, 20))
files.append(f)
f = File("srv/app/config.yaml")
f.add("database:")
f.plant("generic-secret", "  password: ", s(AN, 18))
files.append(f)
f = File("srv/app/app.ini")
f.add("[oauth]")
f.plant("generic-secret", "client_secret = ", s(B64U, 32))
files.append(f)
f = File("srv/app/app.properties")
f.plant("generic-secret", "mail.smtp.password=", s(AN, 16))
files.append(f)
f = File("srv/app/settings.json")
f.add("{")
f.plant("generic-secret", '  "apiKey": "', s(AN, 32), '",')
f.add("}")
files.append(f)

f = File("root/.bash_history")
f.add("ls -la")
f.plant("mysql-cli-password", "mysql -u root -p", s(AN, 14), " shop")
f.plant("aws-secret-access-key", "export AWS_SECRET_ACCESS_KEY=", s(B64, 40))
f.plant("sshpass-password", "sshpass -p ", s(AN, 12), " ssh root@10.0.0.5")
f.plant("redis-cli-password", "redis-cli -h 127.0.0.1 -a ", s(AN, 16), " info")
f.plant("curl-user-password", "curl -s -u admin:", s(AN, 14), " https://jenkins.internal/api/json")
f.add("history | tail")
files.append(f)

# Decoys: documented examples and placeholders; none may be reported.
f = File("srv/app/examples.env")
for line in ("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
             "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
             "DB_PASSWORD=changeme", "API_KEY=<your-api-key>", "TOKEN=${TOKEN}",
             "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
             "password: {{ vault_db_password }}", "secret = REPLACE_ME_WITH_REAL_SECRET",
             "DATABASE_URL=postgres://user:password@localhost/db",
             "client_secret = dummy-client-secret", "password = get_password_from_env"):
    f.add(line)
files.append(f)

for f in files:
    f.write()

# A binary file (NUL early) with a key inside: skipped by content.
binkey = "AKIA" + s(B32, 16)
with open(os.path.join(tree, "srv/app/cache.bin"), "wb") as fh:
    fh.write(b"\x00\x01\x02BINARY" + b"\x00" * 100 + ("\naws_access_key_id=%s\n" % binkey).encode())

# A 20 MB minified file on one line, with a key near its end.
mini = os.path.join(tree, "srv/www/static/app.min.js")
os.makedirs(os.path.dirname(mini), exist_ok=True)
unit = 'function a(b){return b.map(function(c){return{id:c.id,v:"abc"}})};'
n = 20 * 1024 * 1024 // len(unit)
key = "ghp_" + s(AN, 36)
with open(mini, "w") as fh:
    body = unit * n
    fh.write(body + 'var t="' + key + '";' + "\n")
expected.append(("github-token", mini, 1, len(body) + len('var t="') + 1, key))

with open(os.path.join(out, "expected.tsv"), "w") as fh:
    for rule, path, line, col, secret in expected:
        fh.write("%s\t%s\t%d\t%d\t%s\n" % (rule, path, line, col, secret))
with open(os.path.join(out, "secrets.txt"), "w") as fh:
    for e in expected:
        fh.write(e[4] + "\n")
    fh.write(binkey + "\n")
