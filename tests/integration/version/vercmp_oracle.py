"""Shared plumbing for the version-order oracle tests.

Each oracle_<scheme>.py script builds a fixed (seeded) set of version pairs,
asks the ecosystem's own tool how they compare, asks vigil (through the
vercmp-tool helper built next to this file) the same, and fails on any
disagreement. This module holds what they share: finding and driving the
helper, seeded mutation of version strings, and the pass/fail report.
"""

import os
import random
import shutil
import subprocess
import sys

SKIP = 77  # meson's "test skipped" exit status


def tool_path():
    """The vercmp-tool helper: $VERCMP_TOOL, else from the build tree."""
    if os.environ.get("VERCMP_TOOL"):
        return os.environ["VERCMP_TOOL"]
    build = os.environ.get("VIGIL_BUILD")
    if not build:
        sys.exit("VIGIL_BUILD is not set (run me through meson test)")
    return os.path.join(build, "tests", "integration", "version", "vercmp-tool")


def _enc(s):
    return (s.encode("utf-8", "surrogateescape") if isinstance(s, str) else s).hex()


def _run(scheme, mode, lines):
    data = "".join(line + "\n" for line in lines).encode()
    res = subprocess.run([tool_path(), scheme, mode], input=data, capture_output=True, check=False)
    if res.returncode != 0:
        sys.exit("vercmp-tool failed: %s" % res.stderr.decode(errors="replace"))
    out = res.stdout.decode().split("\n")[:-1]
    if len(out) != len(lines):
        sys.exit("vercmp-tool answered %d of %d requests" % (len(out), len(lines)))
    return out


def vigil_cmp(scheme, pairs):
    """vigil's answer (-1, 0, 1) for each (a, b) pair."""
    return [int(x) for x in _run(scheme, "cmp", ["%s %s" % (_enc(a), _enc(b)) for a, b in pairs])]


def vigil_check(scheme, versions):
    """True/False (well-formed or not) for each version, per version_check."""
    return [x == "ok" for x in _run(scheme, "check", [_enc(v) for v in versions])]


def vigil_normalize(versions):
    """Composer normal form per version: ("version"|"branch", text) or None."""
    res = []
    for x in _run("composer", "normalize", [_enc(v) for v in versions]):
        if x == "invalid":
            res.append(None)
        else:
            kind, _, hexs = x.partition(" ")
            res.append((kind, bytes.fromhex(hexs).decode("utf-8", "surrogateescape")))
    return res


def missing(what):
    """A tool the oracle needs is not installed: skip the test (exit 77) on
    a developer's machine, but fail under CI (CI=true), where
    scripts/deps.sh is supposed to have installed it, so a broken install
    list cannot turn the oracle off unnoticed."""
    if os.environ.get("CI") == "true":
        print("FAIL: %s is not installed (see scripts/deps.sh)" % what)
        sys.exit(1)
    print("SKIP: %s is not installed" % what)
    sys.exit(SKIP)


def need(*programs):
    """Call missing() unless every program is installed."""
    for p in programs:
        if not (os.path.isabs(p) and os.access(p, os.X_OK)) and not shutil.which(p):
            missing(p)


def sign(x):
    return (x > 0) - (x < 0)


class Report:
    """Collects agreements and disagreements; exits non-zero on any of the
    latter, printing the first few so a failure says what went wrong."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failures = []

    def expect(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)

    def finish(self):
        for f in self.failures[:40]:
            print("MISMATCH %s: %s" % (self.name, f))
        if len(self.failures) > 40:
            print("... and %d more" % (len(self.failures) - 40))
        print("%d passed, %d failed" % (self.passed, len(self.failures)))
        sys.exit(1 if self.failures else 0)


def pairs_from(versions, variants, rng, n_random):
    """A deterministic mix of pairs: each version against each of its
    variants, neighbours in sorted order, variants against each other, each
    version against itself, and N_RANDOM random pairs."""
    pairs = []
    for v in versions:
        pairs.append((v, v))
        for i, m in enumerate(variants.get(v, [])):
            # Both directions are asked of vigil anyway (antisymmetry).
            pairs.append((v, m) if i % 2 else (m, v))
        vs = variants.get(v, [])
        for i in range(len(vs) - 1):
            pairs.append((vs[i], vs[i + 1]))
    s = sorted(versions)
    pairs.extend(zip(s, s[1:]))
    pool = list(versions) + [m for v in versions for m in variants.get(v, [])]
    for _ in range(n_random):
        pairs.append((rng.choice(pool), rng.choice(pool)))
    # Drop exact duplicates but keep the order deterministic.
    seen = set()
    out = []
    for p in pairs:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def mutate(v, rng, alphabet, n):
    """N seeded random edits of V: insert, delete or replace one character
    drawn from ALPHABET, or double / cut a digit run."""
    out = []
    for _ in range(n):
        s = list(v)
        op = rng.randrange(5)
        pos = rng.randrange(len(s) + 1)
        if op == 0 or not s:
            s.insert(pos, rng.choice(alphabet))
        elif op == 1:
            del s[min(pos, len(s) - 1)]
        elif op == 2:
            s[min(pos, len(s) - 1)] = rng.choice(alphabet)
        elif op == 3:
            digits = [i for i, c in enumerate(s) if c.isdigit()]
            if digits:
                i = rng.choice(digits)
                s[i] = str((int(s[i]) + rng.choice([1, 9])) % 10)
            else:
                s.insert(pos, rng.choice("0123456789"))
        else:
            s.insert(pos, rng.choice(["0", "00", "10", "99", "1"]))
        out.append("".join(s))
    return out


def seeded(seed):
    return random.Random(seed)
