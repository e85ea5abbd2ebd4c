/* What every posture scanner receives: the filesystem to look at, the
 * options that apply to it, where findings go, and where it may keep state.
 * Scanners never print; they add findings, alerts and notes to the report. */
#pragma once

#include "core/config.h"
#include "core/progress.h"
#include "core/report.h"
#include "core/rootfs.h"
#include "core/text.h"

typedef struct scan_ctx {
        const rootfs_t *root;   /* the scanned filesystem */
        const config_t *config; /* never NULL (empty when no file) */
        const char *state_dir;  /* vigil's state directory (feeds, baselines) */
        report_t *report;       /* results go here */
        progress_t *progress;   /* may be NULL */
        const strv_t *paths;    /* PATH arguments limiting file-content scanners; may be empty */
        unsigned threads;       /* worker threads a scanner may use (>= 1) */
} scan_ctx_t;
