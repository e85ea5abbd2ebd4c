/* Problem notes for the application inventory. Every parser in apps/ reports
 * a bad input (an unreadable file, a corrupt archive, a record without a
 * version) through one appnote_t, which writes a warning note to the report
 * and counts it. A hostile tree can hold millions of bad files, so only the
 * first MAX problems become notes; the rest are counted and summed up in one
 * last note by appnote_finish. Notes are best effort: a note lost to a
 * failed allocation sets OOM, which the caller turns into -ENOMEM. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/macro.h"
#include "core/report.h"

typedef struct appnote {
        report_t *report; /* borrowed; NULL: problems are only counted */
        size_t max;       /* notes written before the rest are only counted */
        size_t problems;  /* problems seen, written as notes or not */
        bool oom;         /* a note could not be stored */
} appnote_t;

/* Start counting problems for REPORT (may be NULL), writing at most MAX notes. */
void appnote_init(appnote_t *n, report_t *report, size_t max);

/* Count one problem with input SOURCE (a path, or an archive member chain
 * "a.war!/WEB-INF/lib/b.jar") and, while under the cap, add it to the report
 * as a REPORT_NOTE_WARNING. Never fails; see OOM. */
void appnote_warn(appnote_t *n, const char *source, const char *fmt, ...) _printf_(3, 4);

/* Write one note under SOURCE saying how many problems were not listed, if
 * any. */
void appnote_finish(appnote_t *n, const char *source);
