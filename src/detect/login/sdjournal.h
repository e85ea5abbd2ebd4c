/* Reading the systemd journal itself through libsystemd's sd-journal: the
 * local journal (hosts without syslog files), a journal directory, or
 * journal files. Entries of the login programs (matched by the trusted
 * _COMM field) become messages for a logparse context, in the journal's
 * time order, and the cursor of the last entry read is returned so a
 * later run (the agent) can resume after it.
 *
 * libsystemd is loaded at run time (dlopen of libsystemd.so.0), so vigil
 * builds and runs on hosts without it; there this returns -EOPNOTSUPP. The
 * build needs only the sd-journal.h header (Debian: libsystemd-dev) and
 * compiles the reader out when the header is missing. */
#pragma once

#include <stdint.h>

#include "detect/login/logparse.h"
#include "detect/login/logread.h"

typedef struct sdjournal_opts {
        const char *directory;    /* read this journal directory; NULL: see FILES */
        const char *const *files; /* NULL-terminated journal files; NULL: the local journal */
        const char *after_cursor; /* start after this cursor; NULL: from the start */
        int64_t since_us;         /* skip to this time (0: from the start); ignored with a cursor */
} sdjournal_opts_t;

/* Read to the end of the journal. NAME is put into events as the file
 * ("journal"). *RET_CURSOR (may be NULL) gets the last entry's cursor
 * (caller frees; NULL when nothing was read). Returns 0, -EOPNOTSUPP without
 * libsystemd, a negative errno from sd-journal, or a callback's return. */
int sdjournal_read(const sdjournal_opts_t *o, const char *name, logparse_ctx_t *ctx,
                   const logread_cb_t *cb, logread_stats_t *stats, char **ret_cursor);
