/* Web roots: the directories that a web server on the scanned system serves
 * to anyone who asks, read from nginx (root, alias, include) and Apache
 * (DocumentRoot, Alias, Include, IncludeOptional, ServerRoot) configuration
 * inside the root filesystem. A secret in such a directory, or a git
 * repository there (an exposed .git/), can be downloaded over HTTP, so the
 * secret scanner raises its level by one.
 *
 * The parsers read only those directives; location blocks that deny access
 * are not evaluated, so a served directory is counted as exposed even when
 * a rule hides part of it (the safe side for a leak). Paths with variables
 * ($host) are cut at the first variable. Includes are expanded with a
 * wildcard in the last path component only. Caps: 128 configuration files
 * of at most 1 MiB, includes 8 deep, 256 roots. */
#pragma once

#include "core/report.h"
#include "core/rootfs.h"
#include "core/text.h"

typedef struct secrets_webroots {
        strv_t roots;    /* paths inside the root, without trailing '/', as configured */
        strv_t resolved; /* the same with symlinks resolved (inside the root), when different */
        strv_t sources;  /* "FILE:LINE" of each root in ROOTS, same index */
} secrets_webroots_t;

/* Read the nginx and Apache configuration under ROOT and collect the web
 * roots into W (which must be zeroed). Unreadable or oversized files become
 * warnings in REPORT (which may be NULL) and are skipped. Returns 0 or
 * -ENOMEM. */
int secrets_webroots_find(const rootfs_t *root, report_t *report, secrets_webroots_t *w);

/* The web root (borrowed) that serves PATH (a path inside the root), or
 * NULL. PATH itself counts as served when it equals a root. */
const char *secrets_webroots_match(const secrets_webroots_t *w, const char *path);

/* Add one root by hand (tests, configuration). Returns 0 or -ENOMEM. */
int secrets_webroots_add(secrets_webroots_t *w, const rootfs_t *root, const char *path,
                         const char *source);

void secrets_webroots_clear(secrets_webroots_t *w);
