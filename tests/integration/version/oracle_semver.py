#!/usr/bin/python3
"""Oracle test: vigil's npm version order against node-semver itself, the
copy npm bundles (or Debian's node-semver), called as
semver.compare(a, b, true) -- loose mode, which takes "v1.2.3", "=1.2.3",
surrounding white space and "1.2.3beta" the way npm does. version_check
must agree on every version with whether node-semver's loose parser (the
SemVer constructor, which compare() uses) accepts it.

Pairs node-semver refuses (it throws on invalid versions) must contain a
version version_check rejects; vigil puts those before all valid versions,
which node-semver has no opinion on.
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vercmp_oracle as vo  # noqa: E402

SEED = 20240614
N_RANDOM = 20000

TYPICAL = [
    "1.2.3", "v1.2.3", "=1.2.3", "v=1.2.3", "=v1.2.3", "vv1.2.3", " 1.2.3 ", "\t1.2.3\n",
    "v 1.2.3", "\u00a01.2.3", "1.2.3\ufeff", "1.2.3\u2028", "\u30001.2.3", "1.2.3\u200b",
    "1.2.3-alpha", "1.2.3-alpha.1", "1.2.3-alpha.beta", "1.2.3-beta", "1.2.3-beta.2",
    "1.2.3-beta.11", "1.2.3-rc.1", "1.2.3-0", "1.2.3-0.0", "1.2.3-00", "1.2.3-01", "1.2.3-1",
    "1.2.3-a1", "1.2.3-1a", "1.2.3--", "1.2.3-a-b", "1.2.3-A", "1.2.3-a", "1.2.3-Z.1",
    "1.2.3+build", "1.2.3+build.1", "1.2.3-alpha+build", "1.2.3+", "1.2.3-", "1.2.3-.a",
    "1.2.3-a.", "1.2.3-a..b", "1.2.3beta", "1.2.3beta.1", "1.2.3-beta_1", "01.02.03",
    "1.2", "1", "1.2.3.4", "1.2.34.5", "1.2.3.4.5", "0.0.0", "0.0.0-0",
    "9007199254740991.0.0", "9007199254740992.0.0", "0.9007199254740991.0",
    "1.0.0-9007199254740990", "1.0.0-9007199254740991", "1.0.0-9007199254740992",
    "1.0.0-9007199254740993", "1.0.0-99999999999999999999", "1.0.0-99999999999999999998",
    "1.0.0-100000000000000000000", "", " ", "v", "=", "a.b.c", "1.2.x", "^1.2.3", "~1.2.3",
    "1.2.3 - 2", "1." + "0" * 250 + ".0", "1.0." + "1" * 251, "1.0.0-" + "a" * 250,
    "1.0.0-" + "a" * 251,
]

NODE_SCRIPT = r"""
const fs = require('fs');
const candidates = process.argv.slice(1);
let semver = null;
for (const c of candidates) {
  try { semver = require(c); break; } catch (e) {}
}
if (!semver) { console.log(JSON.stringify({error: 'no semver'})); process.exit(0); }
const lines = fs.readFileSync(0, 'latin1').split('\n').filter((l) => l.length > 0);
const dec = (h) => Buffer.from(h, 'hex').toString('utf8');
const out = [];
for (const line of lines) {
  const [kind, ha, hb] = line.split(' ');
  const a = dec(ha || '');
  if (kind === 'v') {
    // The constructor is what compare() parses with; semver.valid agrees with
    // it in current releases, but older ones (Debian's 7.3) pre-check the
    // untrimmed string and call " 1.2.3 " invalid while comparing it fine.
    try { new semver.SemVer(a, true); out.push(1); } catch (e) { out.push(0); }
  } else {
    const b = dec(hb || '');
    try { out.push(semver.compare(a, b, true)); } catch (e) { out.push(null); }
  }
}
console.log(JSON.stringify({version: require(candidates.find((c) => {
  try { require.resolve(c); return true; } catch (e) { return false; } }) + '/package.json').version,
  out: out}));
"""


def semver_candidates():
    roots = []
    try:
        roots.append(subprocess.run(["npm", "root", "-g"], capture_output=True, check=True,
                                    text=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        pass
    roots += ["/usr/lib/node_modules", "/usr/local/lib/node_modules"]
    cands = [os.path.join(r, "npm", "node_modules", "semver") for r in roots]
    cands.append("/usr/share/nodejs/semver")
    return [c for c in cands if os.path.isdir(c)]


def node_answers(requests):
    cands = semver_candidates()
    if not cands:
        vo.missing("node-semver (npm or Debian node-semver)")
    data = "".join(r + "\n" for r in requests).encode()
    # Debian's node-semver needs its siblings in /usr/share/nodejs, which a
    # Node.js not built by Debian does not search by itself.
    env = dict(os.environ)
    env["NODE_PATH"] = ":".join(x for x in [env.get("NODE_PATH"), "/usr/share/nodejs"] if x)
    res = subprocess.run(["node", "-e", NODE_SCRIPT] + cands, input=data, capture_output=True,
                         check=True, env=env)
    ans = json.loads(res.stdout)
    if "error" in ans:
        vo.missing("node-semver")
    return ans["version"], ans["out"]


def random_semver(rng):
    """A version node-semver (loose) mostly accepts, built to collide often:
    small numbers, shared identifiers, optional prefix and build."""
    core = ".".join(rng.choice(["0", "1", "2", "01", "10"]) for _ in range(3))
    pre = ""
    if rng.random() < 0.7:
        ids = [rng.choice(["alpha", "beta", "rc", "0", "1", "2", "10", "01", "a1", "1a", "-",
                           "x-y", "Alpha", "9007199254740992", "9007199254740993"])
               for _ in range(rng.randrange(1, 4))]
        pre = rng.choice(["-", "-", ""]) + ".".join(ids)
    build = rng.choice(["", "", "+b1", "+b.2"])
    return rng.choice(["", "", "v", "="]) + core + pre + build


def enc(s):
    return s.encode().hex()


def main():
    vo.need("node")
    rng = vo.seeded(SEED)
    bases = TYPICAL + [random_semver(rng) for _ in range(400)]
    variants = {v: vo.mutate(v, rng, "0123456789.-+abvAZ= ", 3) for v in bases}
    pairs = vo.pairs_from(bases, variants, rng, N_RANDOM)
    versions = sorted({x for p in pairs for x in p})

    reqs = ["c %s %s" % (enc(a), enc(b)) for a, b in pairs] + ["v %s" % enc(v) for v in versions]
    lib_version, out = node_answers(reqs)
    expected, valid = out[:len(pairs)], out[len(pairs):]
    got = vo.vigil_cmp("semver", pairs)
    back = vo.vigil_cmp("semver", [(b, a) for a, b in pairs])
    ok = dict(zip(versions, vo.vigil_check("semver", versions)))

    rep = vo.Report("semver")
    refused = 0
    for (a, b), want, g, r in zip(pairs, expected, got, back):
        rep.expect(g == -r, "not antisymmetric: %r vs %r gives %d and %d" % (a, b, g, r))
        if want is None:
            refused += 1
            rep.expect(not ok[a] or not ok[b],
                       "node-semver refuses %r vs %r but version_check accepts both" % (a, b))
            continue
        rep.expect(g == want, "%r vs %r: node-semver says %d, vigil %d" % (a, b, want, g))
    for v, val in zip(versions, valid):
        rep.expect(ok[v] == bool(val), "version_check(%r) = %s, node-semver says %s" %
                   (v, ok[v], bool(val)))
    print("semver oracle: %d pairs (%d refused), %d versions, node-semver %s" %
          (len(pairs), refused, len(versions), lib_version))
    rep.finish()


if __name__ == "__main__":
    main()
