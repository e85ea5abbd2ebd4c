#!/usr/bin/python3
"""Oracle test: vigil's Debian version order against `dpkg --compare-versions`.

The versions are this machine's installed package versions (dpkg-query) plus
seeded mutations of them aimed at the tricky parts of dpkg's order: tildes,
epochs, revisions (missing, empty, "0"), letters against punctuation, leading
zeros, blanks and characters dpkg warns about. Every pair's order is asked
of dpkg itself, a few thousand processes spread over a small thread pool;
pairs dpkg refuses (exit 2) must contain a version vigil's version_check
rejects, and version_check must agree with dpkg's errors and warnings for
every version.
"""

import concurrent.futures
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vercmp_oracle as vo  # noqa: E402

SEED = 20240611
N_RANDOM = 800
MAX_BASES = 120

EXTRA = [
    "", "~", "~~", "~~a", "~a", "0", "00", "0:0", "0:", "1.0", "1.0-0", "1.0-", "1.0-0.0",
    ":1", "a", "a1", "1a", "1 ", " 1", "1.0\t", "\t1.0", "1.0 x", "1_0", "1.0-1_0", "1.0ä",
    "1.0+", "1.0.", "1.0~", "1.0~~", "1.0~a", "1.0a", "1.0A", "1.0+a", "1.0.a", "-1",
    "1:", "01:1", "+1:1", "\n1:1", "-0:1", "0x1:1", "2147483647:1", "2147483648:1",
    "1:2:3", "1-2-3", "1.0-a-b", "9", "10", "1.00", "1.000001", "1.0000000000000000000001",
    "1.0-1ubuntu0.22.04.1", "1:1.0~rc1+dfsg-2~bpo12+1", "1.0+really0.9-1", "<unknown>",
    "1.0\n", "1.0-\t",
]


def installed_versions():
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}\n"], capture_output=True,
                         check=True).stdout
    return sorted({v for v in out.decode("utf-8", "surrogateescape").split("\n") if v})


def variants_of(v, rng):
    """Edits that exercise dpkg's rules, plus a few random ones."""
    epoch, _, rest = v.rpartition(":") if ":" in v else ("", "", v)
    upstream, hy, rev = rest.rpartition("-")
    if not hy:
        upstream, rev = rest, ""
    out = [
        v + "~", v + "~rc1", v + "+b1", v + ".1", v + "a", v + "0",
        rest if epoch else "1:" + v,
        ("%d:%s" % (int(epoch) + 1, rest)) if epoch.isdigit() else "0:" + v,
        upstream if rev else v + "-0",
        upstream + "-" if rev else v + "-1",
        (epoch + ":" if epoch else "") + upstream + "~" + ("-" + rev if rev else ""),
        v.replace("~", "") if "~" in v else v.replace(".", "~", 1),
        v.replace("+", "~", 1) if "+" in v else v.replace(".", "+", 1),
        v.upper() if v.upper() != v else v + "A",
    ]
    out += vo.mutate(v, rng, "0123456789.~+-:abzAZ_ ", 4)
    return [m for m in out if m != v]


def dpkg_rel(a, op, b):
    return subprocess.run(["dpkg", "--compare-versions", "--", a, op, b],
                          capture_output=True, check=False).returncode


def dpkg_sign(pair):
    """dpkg's order for one pair: -1, 0, 1, or None when dpkg refuses."""
    a, b = pair
    rc = dpkg_rel(a, "lt", b)
    if rc == 0:
        return -1
    if rc != 1:
        return None
    rc = dpkg_rel(a, "gt", b)
    if rc == 2:
        return None
    return 1 if rc == 0 else 0


def dpkg_accepts(v):
    """Does dpkg take V without an error or a warning?"""
    res = subprocess.run(["dpkg", "--compare-versions", "--", v, "eq", v],
                         capture_output=True, check=False)
    return res.returncode == 0 and b"bad syntax" not in res.stderr


def main():
    vo.need("dpkg", "dpkg-query")
    rng = vo.seeded(SEED)
    bases = installed_versions()
    if len(bases) > MAX_BASES:
        bases = sorted(rng.sample(bases, MAX_BASES))
    bases += [e for e in EXTRA if e not in bases]
    variants = {v: variants_of(v, rng) for v in bases}
    pairs = vo.pairs_from(bases, variants, rng, N_RANDOM)
    versions = sorted({x for p in pairs for x in p})
    # Arguments with a NUL cannot reach dpkg; none are generated, but be sure.
    pairs = [p for p in pairs if "\0" not in p[0] + p[1]]

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        expected = list(pool.map(dpkg_sign, pairs, chunksize=64))
        accepted = list(pool.map(dpkg_accepts, versions, chunksize=64))
    got = vo.vigil_cmp("dpkg", pairs)
    back = vo.vigil_cmp("dpkg", [(b, a) for a, b in pairs])
    ok = dict(zip(versions, vo.vigil_check("dpkg", versions)))

    rep = vo.Report("dpkg")
    refused = 0
    for (a, b), want, g, r in zip(pairs, expected, got, back):
        rep.expect(g == -r, "not antisymmetric: %r vs %r gives %d and %d" % (a, b, g, r))
        if want is None:
            refused += 1
            rep.expect(not ok[a] or not ok[b],
                       "dpkg refuses %r vs %r but version_check accepts both" % (a, b))
            continue
        rep.expect(g == want, "%r vs %r: dpkg says %d, vigil %d" % (a, b, want, g))
    for v, acc in zip(versions, accepted):
        # dpkg --compare-versions takes "" and "<unknown>" as "no version";
        # as version strings they are malformed, and version_check says so.
        if v in ("", "<unknown>"):
            rep.expect(not ok[v], "version_check accepts %r" % v)
            continue
        rep.expect(ok[v] == acc, "version_check(%r) = %s but dpkg %s it" %
                   (v, ok[v], "accepts" if acc else "rejects"))
    print("dpkg oracle: %d pairs (%d refused by dpkg), %d versions" %
          (len(pairs), refused, len(versions)))
    rep.finish()


if __name__ == "__main__":
    main()
