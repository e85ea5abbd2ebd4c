/* The Debian security tracker's JSON export
 * (https://security-tracker.debian.org/tracker/data/json): one object
 * {source package: {CVE id: {"description", "scope", "releases":
 * {codename: {"status", "fixed_version", "urgency", "repositories"}}}}}.
 *
 * vigil stores one advisory per CVE id (source "debian-tracker") whose
 * affected packages are the source packages listed for it, one entry per
 * release: code names map to "Debian:N" (buster 10, bullseye 11, bookworm
 * 12, trixie 13, forky 14; sid to "Debian:unstable"). Status "resolved"
 * with a fixed version gives the range [0, fixed); fixed version "0" means
 * the release was never affected and gives nothing; "open" gives [0, ∞)
 * (no fix yet); "undetermined" and unknown code names are left out and
 * counted. The release's urgency becomes the package's severity word. */
#pragma once

#include "scan/vuln/feeddb.h"
#include "scan/vuln/fjson.h"

#define DEBTRACKER_MAX_DESCRIPTION 65536

/* One CVE entry as it appears under one source package. */
typedef struct debtracker_part {
        const char *package;     /* the source package (object key) */
        size_t package_pos;      /* where the package's key is in the text */
        const fj_value_t *value; /* the CVE's object under that package */
} debtracker_part_t;

/* Build the advisory for CVE from its N entries (strings in A; the record
 * borrows from the parts). RET->hash is left 0. *RET_IGNORED (may be NULL)
 * counts releases left out. Returns 0, -EINVAL with *ERR filled for a
 * malformed entry, -ENOMEM/-E2BIG. */
int debtracker_parse_cve(fj_arena_t *a, const char *cve, const debtracker_part_t *parts, size_t n,
                         feed_advisory_t *ret, unsigned *ret_ignored, feed_error_t *err);
