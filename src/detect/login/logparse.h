/* The entry point for turning log text into login events: one context per
 * log source, fed one line (or one journald entry) at a time, in order.
 *
 * A line is split into a syslog header and a message (syslog.h: RFC 3164,
 * RFC 5424, ISO 8601 as rsyslog writes it); the program tag in the header,
 * never the message text, chooses the message parser (sshd.h, pam.h,
 * privesc.h, ftp.h, dbauth.h), so a message that merely looks like sshd's
 * from another program is not read as sshd's. Lines without a syslog header
 * are tried as the own log formats of vsftpd, ProFTPD, MySQL/MariaDB and
 * PostgreSQL, and, when the context was told which program wrote them (the
 * output of `sshd -E`), as that program's bare messages.
 *
 * The context holds what parsing needs across lines: the year inference
 * state for classic stamps (syslog.h) and the per-process table that lets
 * lines without an address be attributed (pidtab.h). It is cheap to create
 * (the table is allocated on first use) and safe to rebuild: a fresh context
 * fed from the middle of a log leaves the first address-less lines without a
 * source, and never gives them a wrong one. A tailing reader feeds complete
 * lines as they come and keeps one context per file across rotations (call
 * logparse_reset only when starting on an unrelated log).
 *
 * Nothing here allocates per line; events are written into the caller's
 * array. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"
#include "detect/login/logevent.h"
#include "detect/login/logmsg.h"

/* A line longer than this is not parsed at all (-E2BIG), so a partial parse
 * can never attribute anything. Real log lines are under 8 KiB (rsyslog's
 * default maximum message size). */
#define LOGPARSE_LINE_MAX (64 * KiB)
/* One line gives at most this many events. */
#define LOGPARSE_EVENTS_MAX 1

typedef struct logparse_opts {
        int64_t ref_time_us; /* reference for the year of classic stamps (file mtime); 0 = now */
        int year;            /* year of the first classic stamp; 0 = infer */
        bool utc;            /* stamps without a zone are UTC, not local time */
        /* Program that wrote lines without a syslog header ("sshd" for the
         * output of `sshd -E` or `sshd -e`), or NULL: such lines are then
         * only tried as the own formats of the FTP and database servers. */
        const char *service;
} logparse_opts_t;

/* What a line was. */
typedef enum logparse_class {
        LOGPARSE_OTHER = 0, /* not from a program vigil reads, or no known header */
        LOGPARSE_UNMATCHED, /* from a login-related program, message not recognised */
        LOGPARSE_EVENT,     /* gave one or more events */
} logparse_class_t;

typedef struct logparse_stats {
        uint64_t lines;     /* lines and journal entries fed */
        uint64_t events;    /* events produced */
        uint64_t unmatched; /* LOGPARSE_UNMATCHED lines */
        uint64_t other;     /* LOGPARSE_OTHER lines (including binary ones) */
        uint64_t oversized; /* lines over LOGPARSE_LINE_MAX, not parsed */
        uint64_t binary;    /* lines with NUL bytes, not parsed */
} logparse_stats_t;

typedef struct logparse_ctx logparse_ctx_t;

/* A new context (OPTS may be NULL for defaults; the service string is
 * copied). Returns NULL when out of memory. Free with logparse_free. */
logparse_ctx_t *logparse_new(const logparse_opts_t *opts);
void logparse_free(logparse_ctx_t *ctx);
static inline void logparse_freep(logparse_ctx_t **c)
{
        logparse_free(*c);
}
#define _cleanup_logparse_ _cleanup_(logparse_freep)

/* Start over for an unrelated log: year inference restarts from REF_TIME_US
 * (0 = now), the process table is emptied. Statistics are kept. */
void logparse_reset(logparse_ctx_t *ctx, int64_t ref_time_us);

/* Parse one line: LINE is N bytes without the newline (a trailing CR is
 * ignored; leading NULs, the hole copytruncate leaves, are skipped). FILE
 * (borrowed, must outlive the events) and LINENO (1-based) are copied into
 * the events. Up to MAX events go to EVENTS, their number to *RET_N.
 * Returns a logparse_class_t (>= 0), or -E2BIG for a line over
 * LOGPARSE_LINE_MAX (*RET_N is 0), or -EINVAL when MAX is 0. */
int logparse_line(logparse_ctx_t *ctx, const char *line, size_t n, const char *file,
                  uint64_t lineno, logevent_t *events, size_t max, size_t *ret_n);

/* Parse a message whose header is already known (a journald entry): M's
 * prog, pid, host, time, file and line are used as given. Same returns as
 * logparse_line. */
int logparse_message(logparse_ctx_t *ctx, const logmsg_t *m, logevent_t *events, size_t max,
                     size_t *ret_n);

/* Counters since the context was made. Borrowed. */
const logparse_stats_t *logparse_stats(const logparse_ctx_t *ctx);
