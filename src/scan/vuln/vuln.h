/* The `vulnerability` posture scanner: installed OS packages (dpkg, rpm,
 * apk), the running kernel and application components (Maven, npm, PyPI,
 * Packagist) matched against the feed store, one finding per advisory group,
 * package and location, with the exact command or change that fixes it.
 * How packages are matched, levels, remediation, grouping and the kernel
 * are described in docs/vulnerabilities.md. */
#pragma once

#include <sqlite3.h>

#include "core/scanctx.h"
#include "inventory/os/ospkg.h"
#include "inventory/pkg.h"

/* What is matched: the inventory of one system. */
typedef struct vuln_input {
        const char *os_ecosystem;    /* normalised OSV ecosystem, NULL when unknown */
        const char *os_id;           /* os-release ID, may be NULL */
        const char *os_version_id;   /* os-release VERSION_ID, may be NULL */
        const pkg_list_t *os_pkgs;   /* may be NULL */
        const pkg_list_t *apps;      /* may be NULL */
        const kernel_info_t *kernel; /* may be NULL */
        progress_t *progress;        /* may be NULL */
} vuln_input_t;

/* Match IN against the feed store DB and add findings, notes and the
 * counters of scanner "vulnerability" to REPORT. Returns 0, or -EIO/-ENOMEM
 * when the store cannot be read (a note says so). */
int vuln_match(sqlite3 *db, const vuln_input_t *in, report_t *report);

/* The scanner entry: reads the OS identity, packages, kernel and
 * application components under ctx->root, opens STATE_DIR/feeds.db and
 * matches. Without a feed it adds an informational note saying how to get
 * one and returns 0, so the other scanners still run. */
int vuln_scan(scan_ctx_t *ctx);
