#!/usr/bin/python3
"""Oracle test: vigil's RPM version order against rpm's own, through
python3-rpm (rpm 4.18): rpm.ver splits "[epoch:]version[-release]" exactly
as rpm does, and rpm.labelCompare orders the (epoch, version, release)
triples with rpmvercmp, a missing release sorting first.

Run with Debian's /usr/bin/python3 (python3-rpm is not in other Pythons).
The versions are typical RHEL, Fedora and SUSE EVRs, this machine's Debian
versions (a different but rich alphabet), and seeded mutations of both that
stress '~', '^', separators, leading zeros, letters against digits and the
epoch/release split.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vercmp_oracle as vo  # noqa: E402

try:
    import rpm
except ImportError:
    vo.missing("python3-rpm (for %s)" % sys.executable)

SEED = 20240612
N_RANDOM = 20000

TYPICAL = [
    "1.2.3-4.el9", "0:1.2.3-4.el9", "2:1.0.2k-25.el7_9", "1.0.2k-26.el7_9", "4.18.0-1.fc38",
    "4.18.0-1.fc38.1", "1.0~rc1-1", "1.0-1", "1.0^20230101git1234-1", "1.0^-1", "1.0~-1",
    "0.9.8~beta2^post1-3", "3.6.8-51.el8_8.2", "3.6.8-51.el8_8.10", "5.14.0-362.8.1.el9_3",
    "1.1.1w-1.el8", "1.1.1k-9.el8_7", "2.28-225.el8", "2.28-225.el8_8.6", "7.61.1-30.el8_8.3",
    "1:9.18.10-2.module+el9.2.0+18221+c0f6f8ae", "15.3-150300.3.15.1", "2.31-150300.46.1",
    "1.0", "1.0.0", "1.00", "1.0a", "1.0.a", "1.0_1", "1_0", "1.0+1", "1..0", "a", "A", "Z",
    "1", "01", "001", "10", "9", "", "~", "^", "~~", "^^", "~^", "^~", "-", ":", "1:", ":1",
    "1-", "-1", "1:1-1", "01:1", "1:1:1", "1-1-1", "1.0-1.0-1", "1.0~rc1^post", "1.0^post~rc1",
    "2.0.0-0.1.beta1.fc39", "2.0.0-1.fc39", "20230101", "0.20230101", "1.ab", "1.aB", "1.ä",
    "18446744073709551616", "18446744073709551617", "1.99999999999999999999999999",
]


def debian_versions():
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}\n"], capture_output=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return sorted({v for v in out.decode("utf-8", "replace").split("\n") if v})


def evr(s):
    """(epoch, version, release) as rpm splits S; None for a missing part."""
    if s == "":
        return (None, "", None)
    v = rpm.ver(s)
    return (v.e, v.v, v.r)


def vercmp(x, y):
    """rpm's rpmvercmp on two strings, reached through the release slot of
    labelCompare, which (unlike the version slot) takes empty strings."""
    return vo.sign(rpm.labelCompare(("0", "1", x), ("0", "1", y)))


def label_compare(a, b):
    """rpm.labelCompare on the EVRs of A and B. labelCompare refuses an empty
    version ("1:", "-1"); for those the same rule is applied part by part,
    each part still compared by rpm's own rpmvercmp."""
    ta, tb = evr(a), evr(b)
    if ta[1] and tb[1]:
        return vo.sign(rpm.labelCompare(ta, tb))
    r = vercmp(ta[0] or "0", tb[0] or "0") or vercmp(ta[1], tb[1])
    if r:
        return r
    if ta[2] is None or tb[2] is None:
        return (ta[2] is not None) - (tb[2] is not None)
    return vercmp(ta[2], tb[2])


def main():
    rng = vo.seeded(SEED)
    deb = debian_versions()
    bases = TYPICAL + sorted(rng.sample(deb, min(150, len(deb))))
    variants = {v: vo.mutate(v, rng, "0123456789.~^_+-:abAZ", 5) for v in bases}
    pairs = vo.pairs_from(bases, variants, rng, N_RANDOM)

    rep = vo.Report("rpm")
    expected = []
    for a, b in pairs:
        expected.append(label_compare(a, b))
    got = vo.vigil_cmp("rpm", pairs)
    back = vo.vigil_cmp("rpm", [(b, a) for a, b in pairs])
    for (a, b), want, g, r in zip(pairs, expected, got, back):
        rep.expect(g == -r, "not antisymmetric: %r vs %r gives %d and %d" % (a, b, g, r))
        rep.expect(g == want, "%r vs %r: rpm says %d, vigil %d" % (a, b, want, g))
    print("rpm oracle: %d pairs, rpm %s" % (len(pairs), rpm.__version__))
    rep.finish()


if __name__ == "__main__":
    main()
