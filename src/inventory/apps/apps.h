/* Application components installed outside the package manager, found by
 * walking configurable roots: Java archives (jar, war, ear, nested jars:
 * META-INF/maven/.../pom.properties, MANIFEST.MF, the file name as a last
 * resort), npm (package-lock.json v1-v3, node_modules/.../package.json),
 * Python (*.dist-info/METADATA, *.egg-info/PKG-INFO) and PHP
 * (composer.lock). This is how a Struts2 or log4j inside a web app is found.
 *
 * Everything read here is untrusted: archive members are read into memory
 * with caps on size, total inflated bytes and nesting; nothing is extracted
 * to disk; symlinks are never followed. */
#pragma once

#include <stddef.h>

#include "core/progress.h"
#include "core/report.h"
#include "core/rootfs.h"
#include "core/text.h"
#include "inventory/pkg.h"

typedef struct apps_opts {
        const strv_t *roots;              /* directories inside the root to walk */
        unsigned max_depth;               /* directory depth below each root */
        unsigned long long max_file_size; /* larger files are skipped (counted) */
        unsigned max_archive_depth;       /* jar-in-war-in-ear nesting */
        unsigned long long max_inflated;  /* inflated bytes read from one top archive */
        size_t max_files;                 /* entries visited per root */
        progress_t *progress;             /* may be NULL */
} apps_opts_t;

/* Defaults: roots /opt /srv /var/www /usr/local /home /root, depth 12, files
 * up to 512 MiB, archive nesting 4, 1 GiB inflated per archive, 2 million
 * entries per root. ROOTS is left NULL (the caller supplies them; a NULL
 * ROOTS at collection time walks apps_default_roots). */
void apps_opts_default(apps_opts_t *o);

/* The default roots, NULL-terminated. */
extern const char *const apps_default_roots[];

/* Walk OPTS->roots under ROOT and append every component found to OUT
 * (location names the file, with "!/" between an archive and a member).
 * Missing roots are skipped silently; unreadable files and bad archives are
 * notes in REPORT (the first 500 of them; the rest are counted), and
 * counters "apps_*" of scanner "inventory" in its statistics. The same
 * component found twice in one project (a lock file and node_modules, a
 * dist-info and an egg-info) is appended once; what is appended is sorted by
 * location. REPORT may be NULL (problems are then only counted). Rules and
 * caps: docs/inventory-apps.md. Returns 0 or -ENOMEM. */
int apps_collect(const rootfs_t *root, const apps_opts_t *opts, pkg_list_t *out, report_t *report);
