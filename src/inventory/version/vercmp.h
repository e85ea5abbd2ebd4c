/* Version ordering, exactly as each ecosystem's own tool orders versions:
 * dpkg (Debian, Ubuntu), rpm (RHEL family, SUSE), apk (Alpine), Maven
 * (ComparableVersion), SemVer 2.0 / npm, PyPI (PEP 440) and Composer
 * (Packagist). Comparison never allocates and never fails: every string,
 * valid or not, has a place in each order (documented per scheme in
 * docs/versions.md), so a malformed feed entry can never crash a scan.
 * Use version_check to tell users a version is malformed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum version_scheme {
        VERSION_DPKG,
        VERSION_RPM,
        VERSION_APK,
        VERSION_MAVEN,
        VERSION_SEMVER,
        VERSION_PEP440,
        VERSION_COMPOSER,
        VERSION_SCHEME__MAX,
} version_scheme_t;

/* Compare A and B in SCHEME: negative when A sorts before B, 0 when they are
 * equal in that ecosystem (e.g. "1.0" and "1.0.0" in Maven), positive when A
 * sorts after B. The vercmp_* functions return exactly -1, 0 or 1. NULL is
 * taken as the empty string; a SCHEME outside the enum compares bytewise.
 * Every scheme is a total preorder except Maven, whose ComparableVersion is
 * itself not transitive for a few odd strings (docs/versions.md); vigil
 * follows Maven there rather than invent an order Maven does not have. */
int vercmp(version_scheme_t scheme, const char *a, const char *b);

int vercmp_dpkg(const char *a, const char *b);
int vercmp_rpm(const char *a, const char *b);
int vercmp_apk(const char *a, const char *b);
int vercmp_maven(const char *a, const char *b);
int vercmp_semver(const char *a, const char *b);
int vercmp_pep440(const char *a, const char *b);
int vercmp_composer(const char *a, const char *b);

/* Is V a well-formed version in SCHEME, one the ecosystem's own tool accepts
 * without complaint? Returns 0, or -EINVAL and, when RET_POS is not NULL, the
 * byte offset of the first offending character (the length of V when the
 * problem is that something is missing at the end). A NULL V or a SCHEME
 * outside the enum gives -EINVAL with offset 0. */
int version_check(version_scheme_t scheme, const char *v, size_t *ret_pos);

/* "dpkg", "rpm", "apk", "maven", "semver", "pep440", "composer"; NULL for a
 * value outside the enum. The string is static. */
const char *version_scheme_name(version_scheme_t scheme);

/* The scheme called NAME (one of the strings version_scheme_name returns).
 * Returns 0 or -ENOENT. */
int version_scheme_from_name(const char *name, version_scheme_t *ret);

/* The scheme of an OSV ecosystem name ("Debian:12" -> dpkg, "Ubuntu:22.04:LTS"
 * -> dpkg, "Alpine:v3.19" -> apk, "Rocky Linux:9", "AlmaLinux:9",
 * "Red Hat:…", "openSUSE:…", "SUSE:…" -> rpm, "Maven" -> maven, "npm" ->
 * semver, "PyPI" -> pep440, "Packagist" -> composer; also "Wolfi" and
 * "Chainguard" -> apk, "Mageia" and "openEuler" -> rpm). Only the part before
 * the first ':' counts and it must be spelled as OSV spells it. Returns 0 or
 * -ENOENT for an ecosystem vigil does not order. */
int version_scheme_for_ecosystem(const char *ecosystem, version_scheme_t *ret);
