#include "inventory/apps/appnote.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void appnote_init(appnote_t *n, report_t *report, size_t max)
{
        *n = (appnote_t){ .report = report, .max = max };
}

void appnote_warn(appnote_t *n, const char *source, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        n->problems++;
        if (!n->report || n->problems > n->max)
                return;
        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0) {
                msg = NULL;
                n->oom = true;
                return;
        }
        if (report_note(n->report, REPORT_NOTE_WARNING, source ? source : "apps", "%s", msg) < 0)
                n->oom = true;
}

void appnote_finish(appnote_t *n, const char *source)
{
        if (!n->report || n->problems <= n->max)
                return;
        if (report_note(n->report, REPORT_NOTE_WARNING, source, "%zu more problems not listed",
                        n->problems - n->max) < 0)
                n->oom = true;
}
