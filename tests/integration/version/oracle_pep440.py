#!/usr/bin/python3
"""Oracle test: vigil's PyPI version order against the "packaging" library
(Debian's python3-packaging, the PEP 440 implementation pip vendors):
packaging.version.Version orders valid versions and raises InvalidVersion
for the rest, and version_check must agree with it on every string.

Run with Debian's /usr/bin/python3. The versions are typical PyPI versions,
a seeded generator that spells epochs, pre/post/dev releases and local
versions in every way PEP 440 normalises (case, separators, alpha/beta/c/
pre/preview/rev/r, implicit numbers, "-N" post releases, 'v', white space),
and seeded mutations of both.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vercmp_oracle as vo  # noqa: E402

try:
    import packaging
    from packaging.version import InvalidVersion, Version
except ImportError:
    vo.missing("python3-packaging (for %s)" % sys.executable)

SEED = 20240615
N_RANDOM = 25000

TYPICAL = [
    "1.0", "1.0.0", "1", "1.0.post1", "1.0.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0c1",
    "1.0.dev0", "1.0a1.dev1", "1.0a1.post1", "1.0a1.post1.dev1", "1.0.post1.dev1", "1.0+local",
    "1.0+local.1", "1.0+1", "1.0+a.b", "1.0+A", "1.0+1.a", "1.0+a.1", "1.0+01", "1!1.0", "0!1.0",
    "2!0.1", "v1.0", "V1.0", " 1.0 ", "\t1.0\n", "1.0\x0b", "\x1c1.0", "\u00a01.0", "\u30001.0",
    "\u20281.0", "1.0\u0085", "1.0\ufeff", "1.0-1", "1.0-post1", "1.0_post1", "1.0.post",
    "1.0post", "1.0-r1", "1.0rev1", "1.0.rev", "1.0-dev", "1.0_dev_1", "1.0dev", "1.0.dev.1",
    "1.0alpha1", "1.0ALPHA1", "1.0beta", "1.0-beta-2", "1.0.pre1", "1.0preview1", "1.0_c_1",
    "1.0a-1", "1.0a.post1", "1.0a.1", "1.0a_1", "1.0-a1", "1.0.a1", "1.0.a.1", "1.0rc", "1.0r",
    "1.0-1-1", "1.0.post1-1", "1.0a1-1", "1.0+", "1.0+.a", "1.0+a.", "1.0+a..b", "1.0+a-b_c.d",
    "1.0.", ".1.0", "1..0", "1.0a1a1", "1.0.post1.post2", "1.0.dev1.dev2", "a1.0", "1.0x", "",
    " ", "v", "1!", "!1", "1!v1.0", "01.00.000", "1.0.0.0.0.1", "1.0.0.0.0.0", "0", "0.0",
    "1" * 40, "1." + "9" * 40, "1.0+" + "9" * 40, "1.0a" + "0" * 30 + "1",
]


def spell(rng):
    """One PEP 440 version in a random (mostly valid) spelling."""
    sep = lambda: rng.choice(["", ".", "-", "_"])  # noqa: E731
    num = lambda: rng.choice(["0", "1", "2", "10", "01", "00"])  # noqa: E731
    s = rng.choice(["", "", "", "v", "V"])
    if rng.random() < 0.15:
        s += rng.choice(["0", "1", "01", "2"]) + "!"
    s += ".".join(num() for _ in range(rng.randrange(1, 5)))
    if rng.random() < 0.4:
        s += sep() + rng.choice(["a", "b", "c", "rc", "alpha", "beta", "pre", "preview", "A",
                                 "Beta", "RC"])
        if rng.random() < 0.8:
            s += sep() + num()
    if rng.random() < 0.3:
        if rng.random() < 0.3:
            s += "-" + num()
        else:
            s += sep() + rng.choice(["post", "rev", "r", "POST"])
            if rng.random() < 0.8:
                s += sep() + num()
    if rng.random() < 0.3:
        s += sep() + rng.choice(["dev", "DEV"])
        if rng.random() < 0.8:
            s += sep() + num()
    if rng.random() < 0.2:
        s += "+" + rng.choice(["-", ".", "_"]).join(
            rng.choice(["a", "b", "1", "01", "abc", "Z9", "0"]) for _ in range(rng.randrange(1, 4)))
    if rng.random() < 0.05:
        s = rng.choice([" ", "\t", "\n"]) + s + rng.choice([" ", "\n", ""])
    return s


def key(v):
    try:
        return Version(v)
    except InvalidVersion:
        return None


def main():
    rng = vo.seeded(SEED)
    bases = TYPICAL + [spell(rng) for _ in range(800)]
    variants = {v: vo.mutate(v, rng, "0123456789.-_+!abcrdevposAV ", 3) for v in bases}
    pairs = vo.pairs_from(bases, variants, rng, N_RANDOM)
    versions = sorted({x for p in pairs for x in p})
    parsed = {v: key(v) for v in versions}

    got = vo.vigil_cmp("pep440", pairs)
    back = vo.vigil_cmp("pep440", [(b, a) for a, b in pairs])
    ok = dict(zip(versions, vo.vigil_check("pep440", versions)))

    rep = vo.Report("pep440")
    refused = 0
    for (a, b), g, r in zip(pairs, got, back):
        rep.expect(g == -r, "not antisymmetric: %r vs %r gives %d and %d" % (a, b, g, r))
        va, vb = parsed[a], parsed[b]
        if va is None or vb is None:
            refused += 1
            continue
        want = (va > vb) - (va < vb)
        rep.expect(g == want, "%r vs %r: packaging says %d, vigil %d" % (a, b, want, g))
    for v in versions:
        rep.expect(ok[v] == (parsed[v] is not None),
                   "version_check(%r) = %s, packaging %s it" %
                   (v, ok[v], "accepts" if parsed[v] is not None else "rejects"))
    print("pep440 oracle: %d pairs (%d with an invalid side), %d versions, packaging %s" %
          (len(pairs), refused, len(versions), packaging.__version__))
    rep.finish()


if __name__ == "__main__":
    main()
