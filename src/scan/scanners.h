/* The registry of posture scanners that `vigil scan` can run, in the order
 * they run. Each entry names the category it produces (the --only name). */
#pragma once

#include <stddef.h>

#include "core/scanctx.h"

typedef struct scanner {
        const char *name;        /* --only name: a finding category, or "process" */
        const char *description; /* one line for --help */
        /* Run the scanner. Returns 0 when it did its job (findings and notes
         * are in ctx->report), or a negative errno when it could not run at
         * all; it adds a note saying why in either case of trouble. */
        int (*run)(scan_ctx_t *ctx);
} scanner_t;

/* All scanners; *RET_N gets their count. */
const scanner_t *scanners_all(size_t *ret_n);
/* The scanner named NAME, or NULL. */
const scanner_t *scanner_find(const char *name);
