/* Reading a whole log source offline: a text log (syslog or a daemon's own
 * format), a journald export or JSON stream, or a wtmp/btmp file, plain or
 * gzip-compressed (rotated "auth.log.2.gz"), from a descriptor. The reader
 * frames records (lines with memchr over a large buffer, journald entries,
 * 384-byte utmp records), hands text to a logparse context and passes the
 * resulting events to a callback. `vigil logscan` reads every FILE through
 * it; tests read fixtures through it.
 *
 * A line longer than LOGPARSE_LINE_MAX is skipped whole (counted, never
 * parsed in part); the last line of a file is parsed even without a
 * newline; a utmp file whose size is not a multiple of the record size has
 * its incomplete tail counted as bad. Nothing is allocated per record. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/login/logevent.h"
#include "detect/login/logparse.h"

typedef enum logread_input {
        LOGREAD_AUTO,   /* tell by content (and gzip magic) */
        LOGREAD_TEXT,   /* log lines */
        LOGREAD_EXPORT, /* journalctl -o export */
        LOGREAD_JSON,   /* journalctl -o json */
        LOGREAD_WTMP,   /* wtmp records: successful logins */
        LOGREAD_BTMP,   /* btmp records: failed logins */
} logread_input_t;

/* "auto", "text", "export", "json", "wtmp", "btmp". */
const char *logread_input_name(logread_input_t in);
/* Parse a name as above. Returns 0 or -EINVAL. */
int logread_input_from_name(const char *s, logread_input_t *ret);
/* The input a file name suggests: names starting with "btmp" are BTMP,
 * "wtmp"/"utmp" WTMP, anything else AUTO. */
logread_input_t logread_input_for_path(const char *path);

typedef struct logread_cb {
        /* Each event, in input order. A negative return stops reading and
         * is returned. */
        int (*on_event)(const logevent_t *e, void *userdata);
        /* Each text line of a login program that gave no event (may be
         * NULL). TEXT is N bytes, not NUL-terminated, unescaped. */
        int (*on_unmatched)(const char *file, uint64_t line, const char *text, size_t n,
                            void *userdata);
        void *userdata;
} logread_cb_t;

typedef struct logread_stats {
        uint64_t bytes;        /* bytes read (after decompression) */
        uint64_t records;      /* lines, entries or utmp records */
        uint64_t events;       /* events passed to on_event */
        uint64_t oversized;    /* lines over LOGPARSE_LINE_MAX */
        uint64_t bad;          /* malformed entries or records */
        bool compressed;       /* the input was gzip */
        logread_input_t input; /* what was read (never AUTO) */
} logread_stats_t;

/* Read everything from FD (not closed) as INPUT. NAME is the file name put
 * into events (borrowed; must outlive the callbacks). Text and journal input
 * go through CTX, which the caller resets between unrelated files. STATS
 * (may be NULL) is filled in also on error. Returns 0, a negative errno
 * from read(2), -EBADMSG for a corrupt gzip stream, -ENOMEM, or a negative
 * return of a callback. */
int logread_fd(int fd, const char *name, logread_input_t input, logparse_ctx_t *ctx,
               const logread_cb_t *cb, logread_stats_t *stats);
