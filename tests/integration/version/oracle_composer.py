#!/usr/bin/python3
"""Oracle test: vigil's Packagist version order against Composer's own code
(Debian's php-composer-semver and php-cli): VersionParser::normalize and
PHP's version_compare on the normalised strings, which is how Composer's
constraints compare two versions.

Checked per version: vigil's normal form equals Composer's byte for byte
(or both reject the string). Checked per pair: vigil's order equals
version_compare's whenever both sides normalise, except between two named
branches ("dev-..."), which Composer never orders and vigil orders by name.
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vercmp_oracle as vo  # noqa: E402

SEED = 20240616
N_RANDOM = 15000
AUTOLOAD = "/usr/share/php/Composer/Semver/autoload.php"

TYPICAL = [
    "1", "1.0", "1.0.0", "1.0.0.0", "v1.0.0", "V1.0", "1.0.0.0.0", "12345", "123456", "1.2.3.4",
    "01.02", "1.0-dev", "1.0.x-dev", "1.x-dev", "1.*-dev", "1.X-dev", "v1.x-dev", "1.0.*",
    "dev-master", "dev-main", "master", "trunk", "default", "DEV-foo", "dev-feature/x", "dev-",
    "1.0-alpha", "1.0-alpha1", "1.0alpha1", "1.0-a1", "1.0-A1", "1.0-beta", "1.0-b2",
    "1.0-beta.2", "1.0-beta-2", "1.0-beta.1.2", "1.0-RC1", "1.0-rc1", "1.0-Rc1", "1.0rc",
    "1.0-patch1", "1.0-pl1", "1.0-p1", "1.0-p", "1.0-stable", "1.0-Stable", "1.0-STABLE",
    "1.0-stable-dev", "1.0-beta-dev", "1.0-beta1-dev", "1.0.dev", "1.0_dev", "1.0-DEV",
    "1.0-alphadev", "1.0-beta.-1", "1.0--1", "1.0+build", "1.0+build.1", "1.0-beta+b",
    "1.0@dev", "1.0@stable", "1.0@RC", "1.0@beta", "1.0@alpha", "1.0@foo", "1.0 as 2.0",
    "1.0  as  2.0", "dev-x as 1.0", "1.0 as", "2020-01-31", "20200131", "2020.01.31",
    "2020-01-31-1234", "2020-01-31 12:34", "202001311234", "2020-01-31T12:34", "2020-01",
    "2020", "20200", "v2020-01-31", "2020-01-31-beta1", "2020-01-31.1", "2020-01-31.123",
    "2020-01-31.1234", "1.0.0-alpha.beta", "1.0foo", "1.0-foo", "foo", "", " ", " 1.0 ",
    "\t1.0\n", "1.0,2.0", "1.0 1.1", "1.99999999999999999999", "1.99999999999999999998",
    "9223372036854775807", "1.9223372036854775808", "1.0-beta99999999999999999999",
    "1.0.0-RC1.2", "1.0.0-rc.1", "1.0-alpha.1.beta", "x\n1.0-dev", "1.0-dev\n@dev",
]

PHP_SCRIPT = r"""
require getenv('COMPOSER_AUTOLOAD');
$p = new Composer\Semver\VersionParser();
$out = [];
while (($line = fgets(STDIN)) !== false) {
    $f = explode(' ', rtrim($line, "\n"));
    if ($f[0] === 'n') {
        try { $out[] = bin2hex($p->normalize(hex2bin($f[1]))); }
        catch (Exception $e) { $out[] = null; }
    } else {
        $out[] = version_compare(hex2bin($f[1]), hex2bin($f[2]));
    }
}
echo json_encode($out);
"""


def php(requests):
    data = "".join(r + "\n" for r in requests).encode()
    res = subprocess.run(["php", "-r", PHP_SCRIPT], input=data, capture_output=True, check=True,
                         env=dict(os.environ, COMPOSER_AUTOLOAD=AUTOLOAD))
    return json.loads(res.stdout)


def enc(s):
    return s.encode().hex()


def main():
    vo.need("php")
    if not os.path.exists(AUTOLOAD):
        vo.missing("php-composer-semver")
    rng = vo.seeded(SEED)
    alphabet = "0123456789.-_+@ abdeprstvxAXDR*"
    variants = {v: vo.mutate(v, rng, alphabet, 5) for v in TYPICAL}
    pairs = vo.pairs_from(TYPICAL, variants, rng, N_RANDOM)
    versions = sorted({x for p in pairs for x in p})

    norm_php = [bytes.fromhex(h).decode() if h is not None else None
                for h in php(["n %s" % enc(v) for v in versions])]
    ours = vo.vigil_normalize(versions)
    rep = vo.Report("composer")
    normal = {}
    for v, theirs, mine in zip(versions, norm_php, ours):
        normal[v] = theirs
        rep.expect((mine[1] if mine else None) == theirs,
                   "normalize(%r): Composer %r, vigil %r" % (v, theirs, mine and mine[1]))
        if mine:
            rep.expect((mine[0] == "branch") == theirs.startswith("dev-"),
                       "normalize(%r): branch kind %s" % (v, mine[0]))

    cmp_pairs = [(a, b) for a, b in pairs if normal[a] is not None and normal[b] is not None and
                 not (normal[a].startswith("dev-") and normal[b].startswith("dev-"))]
    expected = php(["c %s %s" % (enc(normal[a]), enc(normal[b])) for a, b in cmp_pairs])
    got = vo.vigil_cmp("composer", cmp_pairs)
    for (a, b), want, g in zip(cmp_pairs, expected, got):
        rep.expect(g == want, "%r vs %r (%r vs %r): version_compare says %d, vigil %d" %
                   (a, b, normal[a], normal[b], want, g))
    got = vo.vigil_cmp("composer", pairs)
    back = vo.vigil_cmp("composer", [(b, a) for a, b in pairs])
    for (a, b), g, r in zip(pairs, got, back):
        rep.expect(g == -r, "not antisymmetric: %r vs %r gives %d and %d" % (a, b, g, r))
    ok = dict(zip(versions, vo.vigil_check("composer", versions)))
    for v in versions:
        rep.expect(ok[v] == (normal[v] is not None), "version_check(%r) = %s" % (v, ok[v]))
    print("composer oracle: %d versions, %d pairs, %d compared with version_compare" %
          (len(versions), len(pairs), len(cmp_pairs)))
    rep.finish()


if __name__ == "__main__":
    main()
