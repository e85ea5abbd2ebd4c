#!/usr/bin/env python3
"""The center's enrollment and agent authentication, on SQLite and on a real
PostgreSQL: tokens (single use, N uses, expiry, revocation), intake with a
valid credential, and every forged or malformed request refused with a 4xx
JSON error and nothing stored."""

import gzip
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from centerlib import (Agent, Center, Runner, alert, check, expect_error)  # noqa: E402


def stored(eng):
    return (eng.scalar("SELECT count(*) FROM alerts") + eng.scalar("SELECT count(*) FROM batches")
            + eng.scalar("SELECT count(*) FROM events") + eng.scalar("SELECT count(*) FROM findings"))


def test_tokens(eng, centers):
    c = Center(eng)
    centers.append(c)
    one = c.token(uses=1)
    three = c.token(uses=3)
    short = c.token(uses=5, expires="1m")
    c.start()
    a = Agent(c, one, "h1")
    check(a.id > 0 and len(a.secret) == 64, "enrollment gives an id and a 256-bit secret")
    expect_error(c.request("POST", "/api/v1/agent/enroll", {"token": one, "hostname": "h2"}),
                 403, "a single-use token used twice")
    for i in range(3):
        Agent(c, three, "n%d" % i)
    body = expect_error(c.request("POST", "/api/v1/agent/enroll",
                                  {"token": three, "hostname": "n3"}), 403, "exhausted token")
    check("used up" in body["message"], "says the token is used up: %r" % body)
    expect_error(c.request("POST", "/api/v1/agent/enroll", {"token": "vet1." + "0" * 64,
                                                            "hostname": "x"}), 403, "unknown")
    # Expiry: move the token's expiry into the past in the database.
    eng.execute("UPDATE enroll_tokens SET expires_at = 1000 WHERE uses_total = 5")
    body = expect_error(c.request("POST", "/api/v1/agent/enroll",
                                  {"token": short, "hostname": "late"}), 403, "expired token")
    check("expired" in body["message"], "says expired: %r" % body)
    # Revocation through the CLI.
    rev = c.cli("token", "create", "--uses", "2", "--json").stdout
    rev = json.loads(rev)
    c.cli("token", "revoke", rev["id"])
    body = expect_error(c.request("POST", "/api/v1/agent/enroll",
                                  {"token": rev["token"], "hostname": "r"}), 403, "revoked")
    check("revoked" in body["message"], "says revoked: %r" % body)
    # Malformed enrollment requests.
    expect_error(c.request("POST", "/api/v1/agent/enroll", {"token": three}), 400, "no hostname")
    expect_error(c.request("POST", "/api/v1/agent/enroll", {"token": 5, "hostname": "x"}), 400,
                 "token of the wrong type")
    expect_error(c.request("POST", "/api/v1/agent/enroll", "{not json",
                           {"Content-Type": "application/json"}), 400, "bad JSON")
    check(eng.scalar("SELECT count(*) FROM hosts") == 4, "four hosts enrolled")
    # The token list through the API (admin key) and the CLI.
    key = c.apikey("admin")
    toks = c.api(key, "/api/v1/enroll-tokens")["tokens"]
    states = sorted(t["state"] for t in toks)
    check(states == ["expired", "revoked", "used up", "used up"],
          "token states: %r" % states)
    check(all("token" not in t for t in toks), "the list has no secrets")
    # Tokens through the API: viewers may not create them.
    viewer = c.apikey("viewer")
    expect_error(c.request("POST", "/api/v1/enroll-tokens", {"uses": 2},
                           {"Authorization": "Bearer " + viewer}), 403, "viewer creates a token")
    st, t, _ = c.request("POST", "/api/v1/enroll-tokens", {"uses": 2, "expires_in": "2h"},
                         {"Authorization": "Bearer " + key})
    check(st == 201 and t["token"].startswith("vet1."), "admin creates a token: %r" % t)
    Agent(c, t["token"], "api-made")
    st, _, _ = c.request("DELETE", "/api/v1/enroll-tokens/" + t["id"], None,
                         {"Authorization": "Bearer " + key})
    check(st == 200, "revoke through the API")
    expect_error(c.request("POST", "/api/v1/agent/enroll", {"token": t["token"],
                                                            "hostname": "z"}), 403, "revoked")


def test_forged(eng, centers):
    c = Center(eng)
    centers.append(c)
    tok = c.token(uses=2)
    c.start()
    a = Agent(c, tok, "victim")
    b = Agent(c, tok, "attacker")
    st, res, _ = a.send([alert()])
    check(st == 200 and res["stored"]["alerts"] == 1, "a valid batch is stored: %r" % res)
    base = stored(eng)
    items = [alert()]

    def body_for(agent_id):
        return gzip.compress(json.dumps(a.batch_body(items, agent_id=agent_id)).encode())

    hdr = a.headers()
    cases = [
        ("no credential", {k: v for k, v in hdr.items() if k != "Authorization"}, body_for(a.id),
         401),
        ("wrong secret", dict(hdr, Authorization="Bearer %d.%s" % (a.id, "f" * 64)),
         body_for(a.id), 401),
        ("another agent's secret", dict(hdr, Authorization="Bearer %d.%s" % (a.id, b.secret)),
         body_for(a.id), 401),
        ("unknown agent", dict(hdr, Authorization="Bearer 12345.%s" % a.secret), body_for(12345),
         401),
        ("malformed credential", dict(hdr, Authorization="Bearer " + a.secret), body_for(a.id),
         401),
        ("short secret", dict(hdr, Authorization="Bearer %d.%s" % (a.id, a.secret[:32])),
         body_for(a.id), 401),
        ("basic auth", dict(hdr, Authorization="Basic %s" % a.secret), body_for(a.id), 401),
        ("an API key as an agent", dict(hdr, Authorization="Bearer " + c.apikey("admin")),
         body_for(a.id), 401),
        ("another agent's id in the body", b.headers(), body_for(a.id), 403),
        ("a string agent id", hdr, gzip.compress(json.dumps(
            dict(a.batch_body(items), agent_id=str(a.id))).encode()), 400),
    ]
    for what, h, raw, want in cases:
        expect_error(a.send(raw=raw, headers=h), want, what)
    check(stored(eng) == base, "nothing stored by forged requests")
    # An agent credential cannot read the API, and the API needs a key.
    expect_error(c.request("GET", "/api/v1/alerts", None,
                           {"Authorization": "Bearer " + a.credential}), 401, "agent reads API")
    expect_error(c.request("GET", "/api/v1/alerts"), 401, "anonymous reads API")
    expect_error(c.request("GET", "/api/v1/alerts", None,
                           {"Authorization": "Bearer vk1." + "0" * 64}), 401, "unknown key")
    # Revoked host: its credential stops working.
    eng.execute("UPDATE hosts SET revoked = 1 WHERE id = %d" % b.id)
    expect_error(b.send([alert()]), 401, "revoked agent")
    check(stored(eng) == base, "nothing stored for a revoked agent")


def test_malformed(eng, centers):
    c = Center(eng, config="  intake:\n    max_body: 64KiB\n    max_json: 1MiB\n"
                            "    max_items: 50\n")
    centers.append(c)
    c.start()
    a = Agent(c, c.token())
    base = stored(eng)
    good = a.batch_body([alert()])

    def item_with(**kw):
        it = alert()
        it.update(kw)
        return a.batch_body([it])

    cases = [
        ("malformed JSON", b"{\"agent_id\": ", 400),
        ("not an object", json.dumps([good]).encode(), 400),
        ("wrong type: seq", json.dumps(dict(good, seq="1")).encode(), 400),
        ("wrong type: items", json.dumps(dict(good, items={})).encode(), 400),
        ("missing batch_id", json.dumps({k: v for k, v in good.items()
                                         if k != "batch_id"}).encode(), 400),
        ("bad batch id", json.dumps(dict(good, batch_id="../x y")).encode(), 400),
        ("duplicate keys", b'{"agent_id": 1, "agent_id": 2}', 400),
        ("unknown kind", json.dumps(a.batch_body([{"kind": "rootkit"}])).encode(), 400),
        ("bad level", json.dumps(item_with(level="critical")).encode(), 400),
        ("bad type", json.dumps(item_with(type="evil")).encode(), 400),
        ("level not a string", json.dumps(item_with(level=3)).encode(), 400),
        ("bad time", json.dumps(item_with(time="yesterday")).encode(), 400),
        ("bad id", json.dumps(item_with(id="a b")).encode(), 400),
        ("NUL in a title", json.dumps(item_with(title="a\u0000b")).encode(), 400),
        ("evidence not an object", json.dumps(item_with(evidence=[1])).encode(), 400),
        ("huge title", json.dumps(item_with(title="x" * 9000)).encode(), 400),
        ("too many items", json.dumps(a.batch_body([alert() for _ in range(51)])).encode(),
         413),
        ("nested too deep", json.dumps(item_with(evidence={"a": {"b": {"c": {"d": 1}}}}))
         .encode(), 400),
        ("the same alert twice", json.dumps(a.batch_body([alert(id="x1"), alert(id="x1")]))
         .encode(), 400),
        ("a bad item after good ones", json.dumps(a.batch_body(
            [alert(), alert(), dict(alert(), level=None)])).encode(), 400),
    ]
    for what, raw, want in cases:
        body = expect_error(a.send(raw=gzip.compress(raw)), want, what)
        if what == "bad level":
            check("items[0].level" in body["message"], "names the field: %r" % body)
    # Sizes: a compressed body over the cap, a gzip bomb, not gzip at all.
    big = os.urandom(70 * 1024)
    expect_error(a.send(raw=big), 413, "oversized body")
    bomb = gzip.compress(b"[" + b" " * (50 * 1024 * 1024) + b"]", 9)
    check(len(bomb) < 64 * 1024, "the bomb is small")
    body = expect_error(a.send(raw=bomb), 413, "gzip bomb")
    check("inflates" in body["message"], "says it inflates too much: %r" % body)
    expect_error(a.send(raw=b"\x1f\x8b\x08garbage"), 400, "not gzip")
    expect_error(a.send(raw=gzip.compress(json.dumps(good).encode())[:-8]), 400, "cut gzip")
    expect_error(a.send(raw=json.dumps(good).encode(), headers=dict(a.headers(False),
                 **{"Content-Encoding": "br"})), 415, "unknown encoding")
    expect_error(a.send(raw=json.dumps(good).encode(), headers=dict(a.headers(False),
                 **{"Content-Type": "text/plain"})), 415, "not JSON")
    check(stored(eng) == base, "nothing stored from malformed batches")
    # The good batch still goes through, uncompressed too.
    st, res, _ = a.send(body=good, gz=False)
    check(st == 200 and res["stored"]["alerts"] == 1, "plain JSON works: %r" % res)
    # Unknown endpoints and methods.
    expect_error(c.request("GET", "/api/v1/nothing"), 404, "unknown path")
    expect_error(c.request("DELETE", "/api/v1/agent/batch"), 405, "wrong method")


def test_ratelimit(eng, centers):
    c = Center(eng, config="  intake:\n    rate: 1\n    burst: 30\n    max_items: 20\n")
    centers.append(c)
    c.start()
    a = Agent(c, c.token())
    st, _, _ = a.send([alert() for _ in range(20)])
    check(st == 200, "first batch within the burst")
    st, body, r = a.send([alert() for _ in range(20)])
    check(st == 429 and r.getheader("Retry-After"), "second batch limited: %d %r" % (st, body))
    check(eng.scalar("SELECT count(*) FROM alerts") == 20, "the limited batch was not stored")


Runner().run([test_tokens, test_forged, test_malformed, test_ratelimit])
