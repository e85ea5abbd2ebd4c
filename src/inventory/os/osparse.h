/* Helpers shared by the OS package database parsers (dpkg, apk, rpm) and the
 * os-release reader: warnings about bad records that name the input and line
 * and stop listing after a cap (so a file of a million broken records cannot
 * flood a report), quoting of hostile bytes for messages, and moving parsed
 * packages into a caller's list all at once. Internal to src/inventory/os. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/macro.h"
#include "core/report.h"
#include "inventory/pkg.h"

/* At most this many warnings are listed per input; the rest are counted in
 * one final note. */
#define OSPARSE_MAX_NOTES 50

typedef struct osparse_notes {
        report_t *report;    /* may be NULL: then nothing is recorded */
        const char *display; /* the input as a user knows it; borrowed */
        char sep;            /* between DISPLAY and the line or record number; 0 is ':' */
        unsigned listed;     /* warnings recorded so far */
        unsigned dropped;    /* warnings past OSPARSE_MAX_NOTES */
} osparse_notes_t;

/* Record a warning with source "DISPLAY:LINE" (or DISPLAY SEP LINE; LINE 0:
 * DISPLAY alone). */
void osparse_warn(osparse_notes_t *n, size_t line, const char *fmt, ...) _printf_(3, 4);
/* Add the final "N more problems" note when warnings were dropped. */
void osparse_finish(osparse_notes_t *n);

/* Write into OUT (SIZE bytes, SIZE >= 8) a printable-ASCII rendering of the N
 * bytes at P for use in a message: other bytes become \xNN and the result is
 * cut to about 60 characters with "..." appended. Returns OUT. */
const char *osparse_quote(char *out, size_t size, const char *p, size_t n);

/* True when the N bytes at P are valid UTF-8 without C0/C1 controls (tab
 * excepted). */
bool osparse_text_ok(const char *p, size_t n);

/* Append every package of SRC to DST and leave SRC empty. Returns 0, or
 * -ENOMEM with both lists unchanged. */
int osparse_list_move(pkg_list_t *dst, pkg_list_t *src);

/* Count DELTA under the "inventory" statistics of REPORT (may be NULL). */
void osparse_count(report_t *report, const char *name, long long delta);
