#!/usr/bin/env python3
"""Console users over the REST API against a real `vigil center`, on SQLite
and on a real PostgreSQL: an admin (logged in at the console, with its
session cookie and CSRF token, or with an API key) lists, creates,
changes, unlocks, resets and deletes users; a viewer reads only itself and
is refused (403) every change; no credential is 401, a missing or wrong
CSRF token is 401. The last admin can be neither demoted nor deleted, and
nobody deletes themself. Every change is in the audit log, and no password
shows in the audit log, the list or the center's log. Role changes,
password resets and deletion end the user's sessions. The database is read
directly as the oracle."""

import http.client
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from centerlib import Center, Runner, Skip, check, expect_error  # noqa: E402

USER_KEYS = {"name", "role", "totp", "locked", "created_at", "last_login"}


class Session:
    """A console login: its cookie and CSRF token."""

    def __init__(self, c, user, password):
        st, body, r = c.request("POST", "/api/v1/session", {"user": user, "password": password})
        check(st == 200, "login %s: %d %s" % (user, st, body))
        self.cookie = r.getheader("Set-Cookie").split(";")[0]
        self.csrf = body["csrf"]
        self.c = c
        self.user = user

    def call(self, method, path, body=None, csrf=True):
        h = {"Cookie": self.cookie}
        if csrf is True:
            h["X-CSRF-Token"] = self.csrf
        elif csrf:
            h["X-CSRF-Token"] = csrf
        return self.c.request(method, path, body, h)

    def alive(self):
        st, _, _ = self.call("GET", "/api/v1/session")
        return st == 200


def key_call(c, key, method, path, body=None):
    return c.request(method, path, body, {"Authorization": "Bearer " + key})


def ok(res, status, what):
    st, body, _ = res
    check(st == status, "%s: wanted %d, got %d %s" % (what, status, st, body))
    return body


def add_user(c, name, role):
    return c.cli("user", "add", name, "--role", role).stdout.strip()


def setup(eng, centers):
    c = Center(eng)
    centers.append(c)
    c.start()
    pw = add_user(c, "root-admin", "admin")
    return c, pw, Session(c, "root-admin", pw)


def role_of(eng, name):
    rows = eng.query("SELECT role FROM users WHERE name = '%s'" % name)
    return rows[0][0] if rows else None


def audit_rows(eng):
    return eng.query("SELECT action, actor, role, target_type, target, before_state,"
                     " after_state FROM audit_log WHERE target_type = 'user' ORDER BY time, id")


def test_users_routes(eng, centers):
    c, root_pw, admin = setup(eng, centers)
    passwords = [root_pw]

    # No credential: 401 everywhere, before anything is read or changed.
    for method, path, body in [("GET", "/api/v1/users", None),
                               ("GET", "/api/v1/users/root-admin", None),
                               ("POST", "/api/v1/users", {"name": "x1", "role": "viewer"}),
                               ("PATCH", "/api/v1/users/root-admin", {"role": "viewer"}),
                               ("POST", "/api/v1/users/root-admin/password", {}),
                               ("DELETE", "/api/v1/users/root-admin", None)]:
        expect_error(c.request(method, path, body), 401, "no session %s %s" % (method, path))

    # The list: every user, the fields of users_list and nothing secret.
    listed = ok(admin.call("GET", "/api/v1/users"), 200, "list")
    check([u["name"] for u in listed["items"]] == ["root-admin"], "list: %s" % listed)
    check(set(listed["items"][0]) == USER_KEYS, "user fields: %s" % listed["items"][0])
    check(listed["items"][0]["role"] == "admin" and listed["items"][0]["last_login"],
          "list: %s" % listed)

    # Create with a generated password (returned once) and with a chosen one.
    vera = ok(admin.call("POST", "/api/v1/users", {"name": "vera", "role": "viewer"}), 201,
              "create vera")
    check(vera["name"] == "vera" and vera["role"] == "viewer", "create: %s" % vera)
    check(isinstance(vera.get("password"), str) and len(vera["password"]) == 20,
          "generated password: %s" % vera)
    passwords.append(vera["password"])
    chosen = "correct horse battery"
    al = ok(admin.call("POST", "/api/v1/users",
                       {"name": "al.ice@example", "role": "admin", "password": chosen}),
            201, "create with a password")
    check("password" not in al, "a chosen password was echoed: %s" % al)
    passwords.append(chosen)
    check(role_of(eng, "vera") == "viewer" and role_of(eng, "al.ice@example") == "admin",
          "rows after create")
    hashes = [r[0] for r in eng.query("SELECT pw_hash FROM users")]
    check(all(h.startswith("$y$") for h in hashes), "stored hashes: %s" % hashes)

    # What a create may not be.
    for body, status, what in [
            ({"name": "vera", "role": "viewer"}, 409, "a taken name"),
            ({"name": "-bad", "role": "viewer"}, 400, "a bad name"),
            ({"name": "x" * 65, "role": "viewer"}, 400, "a long name"),
            ({"role": "viewer"}, 400, "no name"),
            ({"name": "bob"}, 400, "no role"),
            ({"name": "bob", "role": "root"}, 400, "a bad role"),
            ({"name": "bob", "role": "viewer", "password": "short"}, 400, "a short password"),
            ({"name": "bob", "role": "viewer", "password": "a\nlong enough pw"}, 400,
             "a control character"),
            ({"name": "bob", "role": "viewer", "password": 12345678901234}, 400,
             "a number as password"),
            ({"name": "bob", "role": "viewer", "admin": True}, 400, "an unknown field")]:
        expect_error(admin.call("POST", "/api/v1/users", body), status, what)
    expect_error(admin.call("POST", "/api/v1/users", "[1]"), 400, "not an object")
    check(role_of(eng, "bob") is None, "a refused create left a user")

    # A viewer reads itself only and changes nothing.
    vs = Session(c, "vera", vera["password"])
    mine = ok(vs.call("GET", "/api/v1/users"), 200, "viewer list")
    check([u["name"] for u in mine["items"]] == ["vera"], "viewer list: %s" % mine)
    ok(vs.call("GET", "/api/v1/users/vera"), 200, "viewer reads itself")
    expect_error(vs.call("GET", "/api/v1/users/root-admin"), 403, "viewer reads another")
    expect_error(vs.call("GET", "/api/v1/users/nobody"), 403, "viewer probes a name")
    for method, path, body in [("POST", "/api/v1/users", {"name": "x2", "role": "admin"}),
                               ("PATCH", "/api/v1/users/vera", {"role": "admin"}),
                               ("PATCH", "/api/v1/users/root-admin", {"unlock": True}),
                               ("POST", "/api/v1/users/root-admin/password", {}),
                               ("POST", "/api/v1/users/vera/password", {}),
                               ("DELETE", "/api/v1/users/root-admin", None)]:
        expect_error(vs.call(method, path, body), 403, "viewer %s %s" % (method, path))
    check(role_of(eng, "vera") == "viewer" and role_of(eng, "x2") is None,
          "a viewer changed something")
    viewer_key = c.apikey("viewer")
    keyed = ok(key_call(c, viewer_key, "GET", "/api/v1/users"), 200, "viewer key list")
    check(keyed["items"] == [], "a viewer key sees users: %s" % keyed)
    expect_error(key_call(c, viewer_key, "DELETE", "/api/v1/users/vera"), 403, "viewer key")

    # CSRF: the cookie alone changes nothing.
    expect_error(admin.call("PATCH", "/api/v1/users/vera", {"role": "admin"}, csrf=False), 401,
                 "no CSRF token")
    expect_error(admin.call("DELETE", "/api/v1/users/vera", csrf="0" * 64), 401,
                 "a wrong CSRF token")
    expect_error(admin.call("POST", "/api/v1/users", {"name": "x3", "role": "viewer"},
                            csrf=vs.csrf), 401, "another session's CSRF token")
    check(role_of(eng, "vera") == "viewer" and role_of(eng, "x3") is None, "CSRF let through")

    # Change a role: the user's sessions end.
    body = ok(admin.call("PATCH", "/api/v1/users/vera", {"role": "admin"}), 200, "promote")
    check(body["role"] == "admin" and body["changed"] is True, "promote: %s" % body)
    check(role_of(eng, "vera") == "admin", "role in db")
    check(not vs.alive(), "vera's session outlived a role change")
    body = ok(admin.call("PATCH", "/api/v1/users/vera", {"role": "admin"}), 200, "same role")
    check(body["changed"] is False, "same role: %s" % body)
    ok(admin.call("PATCH", "/api/v1/users/vera", {"role": "viewer"}), 200, "demote")
    for body, what in [({}, "nothing to change"), ({"role": "boss"}, "a bad role"),
                       ({"unlock": "yes"}, "unlock not a boolean"),
                       ({"name": "v2"}, "a rename")]:
        expect_error(admin.call("PATCH", "/api/v1/users/vera", body), 400, what)
    expect_error(admin.call("PATCH", "/api/v1/users/nobody", {"role": "admin"}), 404,
                 "unknown user")

    # Unlock: five wrong passwords lock vera; the admin clears it.
    for _ in range(5):
        st, _, _ = c.request("POST", "/api/v1/session", {"user": "vera", "password": "wrong" * 3})
        check(st == 401, "a wrong password was taken")
    st, _, _ = c.request("POST", "/api/v1/session", {"user": "vera", "password": vera["password"]})
    check(st == 401, "a locked account logged in")
    listed = ok(admin.call("GET", "/api/v1/users/vera"), 200, "get vera")
    check(listed["locked"] is True, "vera not locked: %s" % listed)
    body = ok(admin.call("PATCH", "/api/v1/users/vera", {"unlock": True}), 200, "unlock")
    check(body["locked"] is False and body["changed"] is True, "unlock: %s" % body)
    vs = Session(c, "vera", vera["password"])

    # Reset a password: generated and shown once; sessions end; the old
    # password stops working.
    reset = ok(admin.call("POST", "/api/v1/users/vera/password", {}), 200, "reset")
    check(len(reset.get("password", "")) == 20 and reset["password"] != vera["password"],
          "reset: %s" % reset)
    passwords.append(reset["password"])
    check(not vs.alive(), "vera's session outlived a password reset")
    st, _, _ = c.request("POST", "/api/v1/session", {"user": "vera", "password": vera["password"]})
    check(st == 401, "the old password still works")
    vs = Session(c, "vera", reset["password"])
    chosen2 = "another fine passphrase"
    body = ok(admin.call("POST", "/api/v1/users/vera/password", {"password": chosen2}), 200,
              "reset to a chosen password")
    check("password" not in body, "a chosen password was echoed")
    passwords.append(chosen2)
    Session(c, "vera", chosen2)
    expect_error(admin.call("POST", "/api/v1/users/vera/password", {"password": "short"}), 400,
                 "a short password")
    expect_error(admin.call("POST", "/api/v1/users/nobody/password", {}), 404, "unknown user")

    # An API key admin needs no CSRF token.
    admin_key = c.apikey("admin")
    ok(key_call(c, admin_key, "POST", "/api/v1/users", {"name": "keyed", "role": "viewer"}), 201,
       "create with a key")

    # Delete: the user's sessions stop working at once.
    ks = Session(c, "vera", chosen2)
    ok(admin.call("DELETE", "/api/v1/users/vera"), 200, "delete vera")
    check(role_of(eng, "vera") is None, "vera still in db")
    check(eng.scalar("SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id"
                     " WHERE u.name = 'vera'") in (0, None), "vera's sessions kept")
    expect_error(ks.call("GET", "/api/v1/users/vera"), 401, "a deleted user's session")
    check(not ks.alive(), "a deleted user's session is alive")
    expect_error(admin.call("DELETE", "/api/v1/users/vera"), 404, "delete twice")
    expect_error(admin.call("DELETE", "/api/v1/users/no%20such"), 404, "a bad name")

    # The refused calls above wrote nothing; every change is one row, by
    # its actor, on its target, and no row holds a password.
    rows = audit_rows(eng)
    actions = [(r[0], r[1], r[4]) for r in rows]
    want = [("user.create", "user:root-admin", "vera"),
            ("user.create", "user:root-admin", "al.ice@example"),
            ("user.update", "user:root-admin", "vera"),
            ("user.update", "user:root-admin", "vera"),
            ("user.unlock", "user:root-admin", "vera"),
            ("user.password", "user:root-admin", "vera"),
            ("user.password", "user:root-admin", "vera"),
            ("user.delete", "user:root-admin", "vera")]
    got = [a for a in actions if a[0] != "user.create" or a[2] != "keyed"]
    check(got == want, "audit rows: %s" % actions)
    check([a for a in actions if a[2] == "keyed"] == [("user.create", a[1], "keyed")
                                                      for a in actions if a[2] == "keyed"] and
          any(a[2] == "keyed" and a[1].startswith("key:") for a in actions),
          "the key's create is not audited as the key: %s" % actions)
    promote = rows[2]
    check(json.loads(promote[5])["role"] == "viewer" and json.loads(promote[6])["role"] == "admin",
          "before/after of the promotion: %s" % promote)
    check(rows[-1][6] in (None, "") and json.loads(rows[-1][5])["name"] == "vera",
          "delete's before/after: %s" % rows[-1])
    everything = json.dumps(eng.query("SELECT * FROM audit_log"))
    everything += json.dumps(ok(admin.call("GET", "/api/v1/users"), 200, "list"))
    everything += json.dumps(ok(admin.call("GET", "/api/v1/audit"), 200, "audit"))
    everything += open(c.log).read()
    for pw in passwords:
        check(pw not in everything, "a password shows in the audit log, list or log")
    check("pw_hash" not in everything and "$y$" not in everything, "a hash shows")


def test_last_admin(eng, centers):
    c, root_pw, admin = setup(eng, centers)
    key = c.apikey("admin")
    ok(admin.call("POST", "/api/v1/users", {"name": "vic", "role": "viewer"}), 201, "vic")

    # The only admin: neither demoted nor deleted, by itself or by a key.
    body = expect_error(admin.call("PATCH", "/api/v1/users/root-admin", {"role": "viewer"}),
                        409, "demote the last admin")
    check(body["error"] == "last_admin" and "last admin" in body["message"], "%s" % body)
    expect_error(key_call(c, key, "PATCH", "/api/v1/users/root-admin", {"role": "viewer"}), 409,
                 "demote the last admin with a key")
    body = expect_error(key_call(c, key, "DELETE", "/api/v1/users/root-admin"), 409,
                        "delete the last admin")
    check(body["error"] == "last_admin", "%s" % body)
    body = expect_error(admin.call("DELETE", "/api/v1/users/root-admin"), 409, "delete oneself")
    check("yourself" in body["message"], "%s" % body)
    check(role_of(eng, "root-admin") == "admin", "the last admin changed")
    check(admin.alive(), "a refused change ended the admin's session")
    # Unlocking the last admin is fine.
    ok(admin.call("PATCH", "/api/v1/users/root-admin", {"unlock": True}), 200, "unlock oneself")

    # With a second admin, the first may step down, and then be deleted by
    # the second; the second may not delete itself.
    pw = ok(key_call(c, key, "POST", "/api/v1/users", {"name": "ada", "role": "admin"}), 201,
            "ada")["password"]
    ada = Session(c, "ada", pw)
    ok(admin.call("PATCH", "/api/v1/users/root-admin", {"role": "viewer"}), 200, "step down")
    check(not admin.alive(), "the demoted admin's session lives on")
    expect_error(ada.call("PATCH", "/api/v1/users/ada", {"role": "viewer"}), 409,
                 "demote the new last admin")
    expect_error(ada.call("DELETE", "/api/v1/users/ada"), 409, "ada deletes herself")
    ok(ada.call("DELETE", "/api/v1/users/root-admin"), 200, "delete the former admin")
    users = ok(ada.call("GET", "/api/v1/users"), 200, "list")
    check([u["name"] for u in users["items"]] == ["ada", "vic"], "users: %s" % users)
    check(eng.scalar("SELECT count(*) FROM users WHERE role = 'admin'") == 1, "admins")
    actions = [r[0] for r in audit_rows(eng)]
    check(actions == ["user.create", "user.unlock", "user.create", "user.update", "user.delete"],
          "audit: %s" % actions)


def login_limit_wired():
    """Whether console.c calls the per-address login limit (src/center/
    loginlimit.c) yet; until it does, the test says so instead of passing."""
    src = os.environ.get("VIGIL_SOURCE") or os.path.join(os.path.dirname(__file__), "..", "..",
                                                         "..")
    with open(os.path.join(src, "src", "center", "console.c")) as f:
        return "loginlimit_check" in f.read()


def login(c, user, password):
    return c.request("POST", "/api/v1/session", {"user": user, "password": password})


def test_login_limit(eng, centers):
    if not login_limit_wired():
        raise Skip("console.c does not call loginlimit_check yet")
    c = Center(eng, config="  console:\n    login_limit:\n      failures: 4\n"
                           "      window: 1h\n")
    centers.append(c)
    c.start()
    pw = add_user(c, "sam", "viewer")
    # A spray: one wrong password on each of four names, none of them
    # locked by the per-account lockout.
    for name in ["sam", "root", "admin", "oracle"]:
        st, body, _ = login(c, name, "Summer2026!!")
        check(st == 401, "failure %s: %d %s" % (name, st, body))
    # Now this address is refused, before any password is checked: the
    # right password for sam included.
    st, body, r = login(c, "sam", pw)
    check(st == 429 and body["error"] == "rate_limited", "over the limit: %d %s" % (st, body))
    retry = int(r.getheader("Retry-After"))
    check(3500 <= retry <= 3600, "Retry-After %d" % retry)
    check(eng.scalar("SELECT fail_count FROM users WHERE name = 'sam'") == 1,
          "a refused attempt was counted against the account")
    # Another address is not limited: 127.0.0.2 is loopback too.
    other = http.client.HTTPConnection(c.host, c.port, timeout=60,
                                       source_address=("127.0.0.2", 0))
    st, body, _ = c.request("POST", "/api/v1/session", {"user": "sam", "password": pw},
                            conn=other)
    other.close()
    check(st == 200, "another address: %d %s" % (st, body))


def test_login_limit_settings(eng, centers):
    if not login_limit_wired():
        raise Skip("console.c does not call loginlimit_check yet")
    c = Center(eng, config="  console:\n    login_limit:\n      failures: 0\n")
    centers.append(c)
    c.start()
    pw = add_user(c, "sam", "viewer")
    for i in range(25):
        st, _, _ = login(c, "user%d" % i, "not the password")
        check(st == 401, "failure %d: %d" % (i, st))
    st, body, _ = login(c, "sam", pw)
    check(st == 200, "limit off, yet refused: %d %s" % (st, body))
    c.stop()
    bad = Center(eng, config="  console:\n    login_limit:\n      window: forever\n",
                 name="bad")
    centers.append(bad)
    try:
        bad.start()
    except AssertionError as e:
        check("center.console.login_limit.window" in str(e), "the error: %s" % e)
    else:
        raise AssertionError("a bad login_limit.window was accepted")


if __name__ == "__main__":
    Runner().run([test_users_routes, test_last_admin, test_login_limit,
                  test_login_limit_settings])
