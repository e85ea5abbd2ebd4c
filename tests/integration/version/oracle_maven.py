#!/usr/bin/python3
"""Oracle test: vigil's Maven version order against Maven's own
ComparableVersion (from Debian's maven / libmaven3-core-java, Maven 3.8).

ComparableVersion has a main() that prints how each argument compares with
the one before it, so one JVM run orders a whole sequence: the sequence is
laid out so that consecutive entries are the pairs worth testing (a version
next to its seeded mutations, qualifier spellings next to each other, random
neighbours). Only printable ASCII is used: the JVM decodes arguments with the
locale's charset, and vigil documents non-ASCII as outside exact Maven
compatibility.
"""

import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vercmp_oracle as vo  # noqa: E402

SEED = 20240613
N_RANDOM = 3000
JARS = ["/usr/share/maven/lib/maven-artifact-*.jar", "/usr/share/java/maven3-artifact.jar"]

TYPICAL = [
    "1", "1.0", "1.0.0", "1.0.0.0", "1-0", "1.0-0", "1-0-0", "1.0.0-0.0", "0", "0.0", "", "-", ".",
    "1.0-SNAPSHOT", "1.0-snapshot", "1.0-alpha-1", "1.0-alpha1", "1.0alpha1", "1.0a1", "1.0-a1",
    "1.0-a", "1.0.a", "1.0-beta", "1.0-b2", "1.0b2", "1.0-milestone-1", "1.0-m1", "1.0M1",
    "1.0-rc1", "1.0-RC1", "1.0-cr1", "1.0-CR-1", "1.0-ga", "1.0.GA", "1.0-final", "1.0.Final",
    "1.0.0.RELEASE", "1.0-release", "1.0-sp", "1.0-sp1", "1.0-SP-1", "1.0-foo", "1.0-FOO",
    "1.0-bar", "1.0.foo", "1.0foo", "1.0-1", "1.0.1", "1-1", "1-alpha", "1-ga-1", "1.ga.1",
    "1.0.alpha.1", "2.0.0-M5", "3.0.0-M5", "1.0.0-20230101.123456-1", "1.0-1-SNAPSHOT",
    "1.0-SNAPSHOT-1", "1.0.0.0.0.0.1", "1.0.0.0.0.0", "1.0-alpha-1-SNAPSHOT", "1.0-x-1",
    "1.0-x1", "1.0x", "1.2.3_4", "1.2.3+4", "1.2.3+build.5", "1..1", "1.-1", "-1", "1-",
    "1.0.", "..", "--", "a", "A", "alpha", "beta", "1a", "a1", "a.1", "1-a.1", "1-1.a",
    "1.0-alpha.beta", "1.0-alpha.1.beta", "1.0000000000", "1.0000000000.5", "1.5",
    "1.123456789", "1.1234567890", "1.123456789012345678", "1.1234567890123456789",
    "1.99999999999999999999", "1.00000000000000000000", "1.000000000000000000001",
    "2147483647", "2147483648", "9223372036854775807", "9223372036854775808",
]


def find_jar():
    for pattern in JARS:
        for jar in sorted(glob.glob(pattern)):
            return jar
    return None


def maven_chain(seq, jar):
    """How Maven orders each SEQ[i] against SEQ[i+1]: a list of -1/0/1."""
    cmd = ["java", "-cp", jar, "org.apache.maven.artifact.versioning.ComparableVersion"] + seq
    out = subprocess.run(cmd, capture_output=True, check=True).stdout.decode()
    res = []
    ops = {"<": -1, "==": 0, ">": 1}
    for line in out.split("\n"):
        if not line.startswith("   "):
            continue
        i = len(res)
        prefix = "   " + seq[i] + " "
        if not line.startswith(prefix):
            sys.exit("cannot read Maven's line %r (expected %r...)" % (line, prefix))
        op = line[len(prefix):].split(" ", 1)[0]
        res.append(ops[op])
    if len(res) != len(seq) - 1:
        sys.exit("Maven answered %d of %d comparisons" % (len(res), len(seq) - 1))
    return res


def main():
    vo.need("java")
    jar = find_jar()
    if not jar:
        vo.missing("maven (maven-artifact jar)")
    rng = vo.seeded(SEED)
    alphabet = "0123456789.-abmcrspxAZ_+"
    seq = []
    for v in TYPICAL:
        seq.append(v)
        for m in vo.mutate(v, rng, alphabet, 4):
            seq += [m, v]
    for _ in range(N_RANDOM):
        seq.append(rng.choice(TYPICAL) if rng.random() < 0.5 else
                   vo.mutate(rng.choice(TYPICAL), rng, alphabet, 1)[0])
    # Java's launcher would take a leading "-" argument for itself only
    # before the class name, so any string is fine here; newlines are not.
    seq = [s for s in seq if "\n" not in s]

    expected = maven_chain(seq, jar)
    pairs = list(zip(seq, seq[1:]))
    got = vo.vigil_cmp("maven", pairs)
    back = vo.vigil_cmp("maven", [(b, a) for a, b in pairs])
    rep = vo.Report("maven")
    for (a, b), want, g, r in zip(pairs, expected, got, back):
        rep.expect(g == -r, "not antisymmetric: %r vs %r gives %d and %d" % (a, b, g, r))
        rep.expect(g == want, "%r vs %r: Maven says %d, vigil %d" % (a, b, want, g))
    print("maven oracle: %d pairs, %s" % (len(pairs), os.path.realpath(jar)))
    rep.finish()


if __name__ == "__main__":
    main()
