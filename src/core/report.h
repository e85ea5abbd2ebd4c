/* The report of one run: the findings and alerts it produced, notes about
 * inputs that could not be read (so a bad input is counted, never silently
 * skipped), per-scanner statistics, and the host it describes.
 *
 * Adding to a report is thread-safe, so scanners may work in parallel.
 * A finding whose id is already in the report is merged into the existing
 * one (references and tags are joined, the higher level wins), so the same
 * risk seen twice is reported once. */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/alert.h"
#include "core/finding.h"
#include "core/score.h"

typedef enum report_note_kind {
        REPORT_NOTE_INFO,    /* context for the reader, e.g. "no vulnerability feed" */
        REPORT_NOTE_WARNING, /* an input that was skipped or only partly read */
        REPORT_NOTE_ERROR,   /* a scanner that could not do its job */
} report_note_kind_t;

typedef struct report_note {
        report_note_kind_t kind;
        char *source; /* scanner or input, e.g. "vulnerability" or "/var/lib/dpkg/status:12" */
        char *message;
} report_note_t;

typedef struct report {
        char *host;
        char *root; /* scanned root, "/" for the running host */
        int64_t started_us;
        int64_t finished_us;
        finding_t **findings;
        size_t n_findings, cap_findings;
        alert_t **alerts;
        size_t n_alerts, cap_alerts;
        report_note_t *notes;
        size_t n_notes, cap_notes;
        json_t *stats; /* { scanner: { counter: n, ... }, ... } */
        json_t *os;    /* identity of the scanned system, or NULL */
        /* Open-addressing index from finding id to position in findings[];
         * slots hold position + 1, 0 is empty. Size is a power of two. */
        size_t *index;
        size_t index_size;
        pthread_mutex_t lock;
} report_t;

/* Create an empty report for HOST scanning ROOT. Returns NULL when out of
 * memory. Free with report_free. */
report_t *report_new(const char *host, const char *root);
void report_free(report_t *r);

/* Add F, taking ownership in every case (F is freed when merged or on error).
 * Returns 0 or -ENOMEM. */
int report_add_finding(report_t *r, finding_t *f);
/* Add A, taking ownership in every case. Returns 0 or -ENOMEM. */
int report_add_alert(report_t *r, alert_t *a);
/* Record a note. SOURCE names the scanner or the input and position. */
int report_note(report_t *r, report_note_kind_t kind, const char *source, const char *fmt, ...)
        _printf_(4, 5);
/* Add DELTA to counter NAME of SCANNER in the statistics. */
int report_count(report_t *r, const char *scanner, const char *name, long long delta);
/* Set the OS identity object (taken over). */
void report_set_os(report_t *r, json_t *os);

/* Keep only findings that carry TAG: a tag equal to it, or one that starts
 * with "TAG:" ("cis" keeps "cis:5.2.10"). Alerts are kept. Returns the
 * number of findings removed. */
size_t report_keep_tagged(report_t *r, const char *tag);

/* Sort findings by level (high first), category, title; alerts by level then
 * time. Call once all scanners are done. */
void report_sort(report_t *r);

/* Counts for the score from the report's content. */
void report_score_input(const report_t *r, score_input_t *ret);
int report_score(const report_t *r);
bool report_has_high(const report_t *r);
size_t report_count_notes(const report_t *r, report_note_kind_t kind);

/* Writers. Each returns 0 or a negative errno (-EIO when the stream failed). */
typedef struct report_text_opts {
        bool color;   /* ANSI colour; set only when the output is a terminal */
        bool verbose; /* also list informational notes and statistics */
} report_text_opts_t;
int report_write_text(const report_t *r, FILE *out, const report_text_opts_t *opts);
/* {"host":…, "score":N, "band":…, "findings":[…], "alerts":[…], …}; each
 * finding also carries its "object", so report_from_json can read it all
 * back. */
int report_write_json(const report_t *r, FILE *out);
json_t *report_to_json(const report_t *r);

/* Caps of report_from_json: a document over one of them is refused. */
#define REPORT_JSON_MAX_FINDINGS (1000 * 1000)
#define REPORT_JSON_MAX_ALERTS   (1000 * 1000)
#define REPORT_JSON_MAX_NOTES    (100 * 1000)
#define REPORT_JSON_MAX_COUNTERS 10000 /* statistics counters in all */

/* Rebuild a report from DOC, the document report_to_json writes: host,
 * root, start and finish times, findings (with their objects), alerts,
 * notes, statistics and the OS identity; the score, band and counts are
 * derived again from the content. DOC is untrusted: types are checked,
 * sizes capped (the caps above, FINDING_JSON_* for each finding and alert)
 * and unknown keys ignored. A finding, alert, note or counter that cannot
 * be read is left out and a warning note with source "report" says which
 * and why; the rest is read. Returns 0 and the report in *RET (caller frees
 * with report_free), -EINVAL with a reason in *RET_ERROR (caller frees)
 * when DOC is not such a document or passes a cap, or -ENOMEM. */
int report_from_json(const json_t *doc, report_t **ret, char **ret_error);

/* SARIF 2.1.0, one run, one rule per check. */
int report_write_sarif(const report_t *r, FILE *out);
