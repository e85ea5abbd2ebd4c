#!/usr/bin/python3
"""Generate a synthetic OSV feed for the vulnerability benchmarks.

The feed imitates what osv.dev publishes for Debian (DSA/DLA advisories that
bundle CVEs and per-CVE DEBIAN-CVE records, each with an ECOSYSTEM range, an
explicit versions list, Markdown details and references, pretty-printed as
osv.dev does) for the ecosystem "Debian:12". It covers every source package
installed on this machine (dpkg-query) plus many invented names, so matching
this machine's real dpkg database against it does real work, and a known
share of this machine's packages comes out vulnerable.

Usage: gen-feed.py OUTDIR [--ranges N] [--seed S]
Writes OUTDIR/osv/*.json (one record per file), OUTDIR/all.zip (the same
records, as osv.dev's per-ecosystem archive) and OUTDIR/stats.json.
Deterministic for a given seed and package list.
"""
import argparse
import json
import os
import random
import subprocess
import zipfile

WORDS = ("lib", "core", "util", "net", "xml", "crypt", "image", "font", "audio", "video",
         "python", "perl", "ruby", "node", "java", "php", "gtk", "qt", "kde", "gnome",
         "ssl", "ssh", "http", "mail", "dns", "db", "sql", "zip", "compress", "parse")

DETAILS = ("Several vulnerabilities were discovered in {pkg}, which could result in denial "
           "of service, information disclosure or the execution of arbitrary code if a "
           "specially crafted file or network request is processed. ")


def installed_sources():
    out = subprocess.run(["dpkg-query", "-W", "-f=${source:Package}\t${source:Version}\n"],
                         check=True, capture_output=True, text=True).stdout
    seen = {}
    for line in out.splitlines():
        name, _, version = line.partition("\t")
        if name and version and name not in seen:
            seen[name] = version
    return seen


def lower(version, rng):
    """A version dpkg sorts before VERSION."""
    return version + "~old%d" % rng.randint(1, 9)


def higher(version, rng):
    """A version dpkg sorts after VERSION."""
    return version + "+sec%d" % rng.randint(1, 9)


def versions_list(installed, fixed, hit, n):
    """Affected versions as osv.dev enumerates them: all sort before the fix;
    the installed version is among them only when the record hits it."""
    top = fixed or installed
    out = ["%s~pre%d" % (top, k) for k in range(1, n + 1)]
    if hit:
        out.append(installed)
    return out


def record(rng, rid, pkgs, cves, modified, per_cve, hit):
    details = DETAILS.format(pkg=pkgs[0][0]) * rng.randint(1, 4)
    details += ("\n\nFor the stable distribution (bookworm), these problems have been fixed "
                "in version %s.\n\nWe recommend that you upgrade your %s packages.\n\n"
                "For the detailed security status of %s please refer to its security tracker "
                "page at:\n[https://security-tracker.debian.org/tracker/%s]"
                "(https://security-tracker.debian.org/tracker/%s)\n"
                % (pkgs[0][2] or "(unfixed)", pkgs[0][0], pkgs[0][0], pkgs[0][0], pkgs[0][0]))
    affected = []
    for name, installed, fixed in pkgs:
        events = [{"introduced": "0"}]
        if fixed:
            events.append({"fixed": fixed})
        affected.append({
            "package": {"ecosystem": "Debian:12", "name": name,
                        "purl": "pkg:deb/debian/%s?arch=source" % name},
            "ranges": [{"type": "ECOSYSTEM", "events": events}],
            "versions": versions_list(installed, fixed, hit, rng.randint(5, 40)),
            "database_specific": {
                "source": "https://storage.googleapis.com/debian-osv/dsa-osv/%s.json" % rid},
        })
    rec = {
        "schema_version": "1.6.0",
        "id": rid,
        "modified": "2025-%02d-%02dT%02d:00:00Z" % modified,
        "published": "2024-%02d-%02dT00:00:00Z" % (modified[0], modified[1]),
        "summary": "%s - security update" % pkgs[0][0],
        "details": details,
        "affected": affected,
        "references": [{"type": "ADVISORY",
                        "url": "https://www.debian.org/security/2024/%s" % rid.lower()}],
    }
    if per_cve:
        rec["upstream"] = cves
        rec["summary"] = "%s in %s" % (cves[0], pkgs[0][0])
    else:
        rec["related"] = cves
    if rng.random() < 0.3:
        rec["severity"] = [{"type": "CVSS_V3", "score": rng.choice((
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N",
            "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
            "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:L"))}]
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--ranges", type=int, default=220000)
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--vulnerable-share", type=float, default=0.003,
                    help="share of advisories on installed packages that hit them")
    args = ap.parse_args()
    rng = random.Random(args.seed)

    real = installed_sources()
    names = sorted(real)
    invented = ["%s-%s%d" % (rng.choice(WORDS), rng.choice(WORDS), i) for i in range(25000)]
    os.makedirs(os.path.join(args.outdir, "osv"), exist_ok=True)

    ranges = 0
    cve_seq = 10000
    dsa_seq = 4000
    n_records = 0
    vulnerable = set()
    zpath = os.path.join(args.outdir, "all.zip")
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        while ranges < args.ranges:
            # A third of the records are about this machine's packages (the
            # kernel source "linux" gets many, as in the real feed).
            if rng.random() < 0.33:
                name = "linux" if rng.random() < 0.1 else rng.choice(names)
                installed = real.get(name, "6.1.0-1")
            else:
                name = rng.choice(invented)
                installed = "%d.%d.%d-%d" % (rng.randint(0, 9), rng.randint(0, 30),
                                             rng.randint(0, 30), rng.randint(1, 5))
            hit = name in real and rng.random() < args.vulnerable_share
            if hit:
                fixed = higher(installed, rng) if rng.random() < 0.8 else None
                vulnerable.add(name)
            else:
                fixed = lower(installed, rng)
            per_cve = rng.random() < 0.6
            n_cves = 1 if per_cve else rng.randint(1, 6)
            cves = ["CVE-20%02d-%d" % (rng.randint(15, 25), cve_seq + k) for k in range(n_cves)]
            cve_seq += n_cves
            if per_cve:
                rid = "DEBIAN-" + cves[0]
            else:
                dsa_seq += 1
                rid = "%s-%d-1" % (rng.choice(("DSA", "DLA")), dsa_seq)
            pkgs = [(name, installed, fixed)]
            # Some advisories name several source packages.
            while rng.random() < 0.1:
                other = rng.choice(invented)
                pkgs.append((other, "1.0-1", "1.0-1+deb12u1"))
            rec = record(rng, rid, pkgs, cves, (rng.randint(1, 12), rng.randint(1, 28),
                                                rng.randint(0, 23)), per_cve, hit)
            text = json.dumps(rec, indent=2) + "\n"
            with open(os.path.join(args.outdir, "osv", rid + ".json"), "w") as f:
                f.write(text)
            zf.writestr(rid + ".json", text)
            ranges += len(pkgs)
            n_records += 1

    stats = {"records": n_records, "ranges": ranges, "installed_sources": len(names),
             "vulnerable_sources": sorted(vulnerable), "seed": args.seed}
    with open(os.path.join(args.outdir, "stats.json"), "w") as f:
        json.dump(stats, f, indent=2)
    print("%d records, %d ranges, %d installed sources (%d vulnerable)"
          % (n_records, ranges, len(names), len(vulnerable)))


if __name__ == "__main__":
    main()
