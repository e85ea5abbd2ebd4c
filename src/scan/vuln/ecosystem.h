/* OSV ecosystem names as vigil stores and matches them. Feeds spell the
 * same release in several ways ("Ubuntu:22.04:LTS" in OSV, "Ubuntu:22.04"
 * from a host's os-release; "Maven:https://repo…" for a mirror; "Alpine:3.19"
 * without the "v"), so both the importer and the scanner pass every
 * ecosystem through ecosystem_normalise and compare the results. Package
 * names are normalised per ecosystem the same way (PyPI per PEP 503,
 * Packagist in lower case). The rules are listed in docs/feeds.md. */
#pragma once

#include <stddef.h>

#include "inventory/pkg.h"

/* Longest ecosystem or package name vigil accepts from a feed. */
#define ECOSYSTEM_MAX      256
#define ECOSYSTEM_NAME_MAX 512

/* Write the normalised form of ECOSYSTEM into OUT (N bytes). Returns 0,
 * -EINVAL for an empty name or one with control characters, -E2BIG when it
 * is longer than ECOSYSTEM_MAX or does not fit. */
int ecosystem_normalise(const char *ecosystem, char *out, size_t n);

/* Write NAME normalised for the (normalised) ECOSYSTEM into OUT. Returns 0,
 * -EINVAL (empty, control characters) or -E2BIG (over ECOSYSTEM_NAME_MAX or
 * does not fit). */
int ecosystem_normalise_name(const char *ecosystem, const char *name, char *out, size_t n);

/* "Debian:12" for a Debian release code name ("bookworm"); "Debian:unstable"
 * for "sid"; NULL for a name vigil does not know. Static string. */
const char *ecosystem_debian_release(const char *codename);

/* The ecosystem of application components of KIND ("Maven", "npm", "PyPI",
 * "Packagist"), or NULL for OS package kinds. */
const char *ecosystem_for_app_kind(pkg_kind_t kind);

/* The part of a normalised ecosystem before the first ':' ("Debian" for
 * "Debian:12"), copied into OUT. Returns 0 or -E2BIG. */
int ecosystem_base(const char *ecosystem, char *out, size_t n);
