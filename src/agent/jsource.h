/* Following the systemd journal live: the entries of the login programs
 * (matched on the trusted _COMM field, as detect/login/sdjournal.c does for
 * offline reading), in journal order, each handed out as a logmsg_t for a
 * logparse context, with the cursor of the last entry handed out so the
 * agent can save it with the alerts of that entry and resume after it.
 *
 * libsystemd is loaded at run time (dlopen of libsystemd.so.0), like the
 * offline reader: vigil runs on hosts without it, and there jsource_open
 * returns -EOPNOTSUPP. The journal's descriptor (sd_journal_get_fd) is
 * what the agent polls; when it is readable, jsource_process and then
 * jsource_read. */
#pragma once

#include <stdbool.h>

#include "core/macro.h"
#include "detect/login/logmsg.h"

typedef struct jsource jsource_t;

typedef struct jsource_opts {
        const char *directory;    /* a journal directory (tests); NULL: the local journal */
        const char *after_cursor; /* resume after this entry; NULL: see FROM_START */
        bool from_start;          /* without a cursor: from the oldest entry (else the end) */
} jsource_opts_t;

/* Returns 0, -EOPNOTSUPP without libsystemd, or a negative errno from
 * sd-journal. A cursor that no longer exists (the journal was vacuumed)
 * is not an error: reading starts at the oldest entry after it, or at the
 * start. */
int jsource_open(const jsource_opts_t *o, jsource_t **ret);
void jsource_free(jsource_t *j);
static inline void jsource_freep(jsource_t **j)
{
        jsource_free(*j);
}

/* The descriptor to poll (borrowed), or a negative errno. */
int jsource_fd(jsource_t *j);

/* Tell the journal its descriptor woke us (sd_journal_process). Returns
 * >= 0 or a negative errno. */
int jsource_process(jsource_t *j);

/* Called for each entry; M lives until the call returns. A negative
 * return stops jsource_read, which returns it; that entry is read again by
 * the next jsource_read. */
typedef int (*jsource_fn)(const logmsg_t *m, void *userdata);

/* Hand out up to MAX entries (0: all that are there). *RET_MORE (may be
 * NULL) is set when MAX was reached. Returns the number handed out or a
 * negative errno. */
int jsource_read(jsource_t *j, unsigned max, jsource_fn fn, void *userdata, bool *ret_more);

/* The cursor of the last entry handed out (borrowed; NULL when none since
 * the start). */
const char *jsource_cursor(const jsource_t *j);
