/* The JSON report: one document, {"host":…, "score":N, "findings":[…],
 * "alerts":[…]} plus the band, counts, notes and statistics. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/jsonx.h"
#include "core/report.h"
#include "core/timeutil.h"

static json_t *notes_to_json(const report_t *r)
{
        static const char *const kinds[] = { "info", "warning", "error" };
        json_t *arr = json_array();

        for (size_t i = 0; arr && i < r->n_notes; i++) {
                json_t *n = json_object();
                if (!n || jsonx_set_str(n, "kind", kinds[r->notes[i].kind]) < 0 ||
                    jsonx_set_str(n, "source", r->notes[i].source) < 0 ||
                    jsonx_set_str(n, "message", r->notes[i].message) < 0) {
                        json_decref(n);
                        json_decref(arr);
                        return NULL;
                }
                /* json_array_append_new drops N itself when it fails. */
                if (json_array_append_new(arr, n) < 0) {
                        json_decref(arr);
                        return NULL;
                }
        }
        return arr;
}

json_t *report_to_json(const report_t *r)
{
        char started[TIMEUTIL_ISO_LEN], finished[TIMEUTIL_ISO_LEN];
        json_t *doc, *findings, *alerts, *notes, *counts;
        score_input_t in;
        int score;

        report_score_input(r, &in);
        score = score_compute(&in);
        timeutil_format_iso(r->started_us, started, sizeof(started));
        timeutil_format_iso(r->finished_us ? r->finished_us : timeutil_now_us(), finished,
                            sizeof(finished));
        findings = json_array();
        alerts = json_array();
        notes = notes_to_json(r);
        counts = json_pack("{s:{s:I,s:I,s:I},s:{s:I,s:I,s:I}}", "findings", "high",
                           (json_int_t)in.findings[FINDING_HIGH], "medium",
                           (json_int_t)in.findings[FINDING_MEDIUM], "low",
                           (json_int_t)in.findings[FINDING_LOW], "alerts", "urgent",
                           (json_int_t)in.alerts[ALERT_URGENT], "suspicious",
                           (json_int_t)in.alerts[ALERT_SUSPICIOUS], "reminder",
                           (json_int_t)in.alerts[ALERT_REMINDER]);
        doc = json_object();
        if (!findings || !alerts || !notes || !counts || !doc)
                goto fail;
        /* Each finding carries its object too, which finding_to_json leaves
         * out: with it (and the alerts' subjects) the document holds
         * everything report_from_json needs to rebuild the report (the agent
         * reads the report of a child `vigil scan` this way). */
        for (size_t i = 0; i < r->n_findings; i++) {
                json_t *f = finding_to_json(r->findings[i]);
                if (!f || jsonx_set_str(f, "object", r->findings[i]->object) < 0) {
                        json_decref(f);
                        goto fail;
                }
                if (json_array_append_new(findings, f) < 0)
                        goto fail;
        }
        for (size_t i = 0; i < r->n_alerts; i++)
                if (json_array_append_new(alerts, alert_to_json(r->alerts[i])) < 0)
                        goto fail;
        if (jsonx_set_str(doc, "host", r->host) < 0 || jsonx_set_str(doc, "root", r->root) < 0 ||
            jsonx_set_str(doc, "started", started) < 0 ||
            jsonx_set_str(doc, "finished", finished) < 0 ||
            json_object_set_new(doc, "score", json_integer(score)) < 0 ||
            jsonx_set_str(doc, "band", score_band_name(score_band(score))) < 0 ||
            json_object_set_new(doc, "counts", counts) < 0 ||
            json_object_set(doc, "os", r->os ? r->os : json_null()) < 0 ||
            json_object_set_new(doc, "findings", findings) < 0 ||
            json_object_set_new(doc, "alerts", alerts) < 0 ||
            json_object_set_new(doc, "notes", notes) < 0 ||
            json_object_set(doc, "stats", r->stats) < 0) {
                json_decref(doc);
                return NULL;
        }
        return doc;
fail:
        json_decref(findings);
        json_decref(alerts);
        json_decref(notes);
        json_decref(counts);
        json_decref(doc);
        return NULL;
}

int report_write_json(const report_t *r, FILE *out)
{
        json_t *doc = report_to_json(r);
        int ret;

        if (!doc)
                return -ENOMEM;
        ret = json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(doc);
        if (ret < 0)
                return -EIO;
        fputc('\n', out);
        return ferror(out) ? -EIO : 0;
}

/* ---- Reading a report back ---- */

static int bad(char **ret_error, const char *fmt, ...) _printf_(2, 3);
static int bad(char **ret_error, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(ret_error, fmt, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return *ret_error ? -EINVAL : -ENOMEM;
}

/* Read N decimal digits at *S into *RET and advance *S. */
static bool digits(const char **s, int n, int *ret)
{
        int v = 0;

        for (int i = 0; i < n; i++) {
                if ((*s)[i] < '0' || (*s)[i] > '9')
                        return false;
                v = v * 10 + ((*s)[i] - '0');
        }
        *s += n;
        *ret = v;
        return true;
}

/* Parse what timeutil_format_iso writes: "YYYY-MM-DDTHH:MM:SS[.ffffff]Z"
 * (a fraction of 1 to 6 digits is accepted). Returns 0 or -EINVAL. */
static int parse_iso(const char *s, int64_t *ret)
{
        struct tm tm = { 0 };
        int year, mon, day, hour, min, sec, frac = 0, nfrac = 0;
        time_t t;

        if (!digits(&s, 4, &year) || *s++ != '-' || !digits(&s, 2, &mon) || *s++ != '-' ||
            !digits(&s, 2, &day) || *s++ != 'T' || !digits(&s, 2, &hour) || *s++ != ':' ||
            !digits(&s, 2, &min) || *s++ != ':' || !digits(&s, 2, &sec))
                return -EINVAL;
        if (*s == '.') {
                s++;
                while (*s >= '0' && *s <= '9' && nfrac < 6) {
                        frac = frac * 10 + (*s++ - '0');
                        nfrac++;
                }
                if (nfrac == 0)
                        return -EINVAL;
                for (int i = nfrac; i < 6; i++)
                        frac *= 10;
        }
        if (strcmp(s, "Z") != 0)
                return -EINVAL;
        if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
                return -EINVAL;
        tm.tm_year = year - 1900;
        tm.tm_mon = mon - 1;
        tm.tm_mday = day;
        tm.tm_hour = hour;
        tm.tm_min = min;
        tm.tm_sec = sec;
        t = timegm(&tm);
        if (t == (time_t)-1 && !(year == 1969 && mon == 12 && day == 31))
                return -EINVAL;
        *ret = (int64_t)t * 1000000 + frac;
        return 0;
}

/* The string at KEY of O, or NULL for a missing or null value when
 * OPTIONAL. */
static int get_str(const json_t *o, const char *key, bool optional, size_t max, const char **ret,
                   char **ret_error)
{
        json_t *v = json_object_get(o, key);

        if (!v || json_is_null(v)) {
                if (!optional)
                        return bad(ret_error, "\"%s\" is missing", key);
                *ret = NULL;
                return 0;
        }
        if (!json_is_string(v))
                return bad(ret_error, "\"%s\" is not a string", key);
        if (json_string_length(v) > max)
                return bad(ret_error, "\"%s\" is longer than %zu bytes", key, max);
        *ret = json_string_value(v);
        return 0;
}

static int alert_level_from_name(const char *name, alert_level_t *ret)
{
        static const alert_level_t levels[] = { ALERT_REMINDER, ALERT_SUSPICIOUS, ALERT_URGENT };

        for (size_t i = 0; i < ELEMENTSOF(levels); i++)
                if (strcmp(name, alert_level_name(levels[i])) == 0) {
                        *ret = levels[i];
                        return 0;
                }
        return -EINVAL;
}

static int dup_field(char **field, const char *s)
{
        if (!s)
                return 0;
        *field = strdup(s);
        return *field ? 0 : -ENOMEM;
}

/* One alert as alert_to_json writes it (an alert without "subject" gets
 * ""). The id is kept: it is the alert's identity in every
 * store. */
static int alert_from_json(const json_t *o, alert_t **ret, char **ret_error)
{
        const char *id, *type, *rule, *subject, *level, *when, *host, *title, *remediation;
        _cleanup_alert_ alert_t *a = NULL;
        json_t *evidence = json_object_get(o, "evidence");
        alert_type_t ty;
        alert_level_t lv;
        int64_t time_us;
        int r;

        if (!json_is_object(o))
                return bad(ret_error, "not an object");
        if ((r = get_str(o, "id", false, ALERT_ID_HEX, &id, ret_error)) < 0 ||
            (r = get_str(o, "type", false, 64, &type, ret_error)) < 0 ||
            (r = get_str(o, "rule", false, FINDING_JSON_MAX_NAME, &rule, ret_error)) < 0 ||
            (r = get_str(o, "subject", true, FINDING_JSON_MAX_NAME, &subject, ret_error)) < 0 ||
            (r = get_str(o, "level", false, 64, &level, ret_error)) < 0 ||
            (r = get_str(o, "time", false, 64, &when, ret_error)) < 0 ||
            (r = get_str(o, "host", true, FINDING_JSON_MAX_NAME, &host, ret_error)) < 0 ||
            (r = get_str(o, "title", true, FINDING_JSON_MAX_TEXT, &title, ret_error)) < 0 ||
            (r = get_str(o, "remediation", true, FINDING_JSON_MAX_TEXT, &remediation, ret_error)) <
                    0)
                return r;
        if (strlen(id) != ALERT_ID_HEX || strspn(id, "0123456789abcdef") != ALERT_ID_HEX)
                return bad(ret_error, "\"id\" is not %d lowercase hex digits", ALERT_ID_HEX);
        if (alert_type_from_name(type, &ty) < 0)
                return bad(ret_error, "unknown type");
        if (alert_level_from_name(level, &lv) < 0)
                return bad(ret_error, "unknown level");
        if (parse_iso(when, &time_us) < 0)
                return bad(ret_error, "\"time\" is not an ISO 8601 UTC time");
        if (!evidence || json_is_null(evidence))
                evidence = NULL;
        else if ((r = finding_evidence_check(evidence, ret_error)) < 0)
                return r;
        a = alert_new(ty, rule, subject ? subject : "", lv, time_us);
        if (!a)
                return -ENOMEM;
        memcpy(a->id, id, ALERT_ID_HEX + 1);
        if (dup_field(&a->host, host) < 0 || dup_field(&a->title, title) < 0 ||
            dup_field(&a->remediation, remediation) < 0)
                return -ENOMEM;
        if (evidence) {
                json_t *copy = json_deep_copy(evidence);
                if (!copy)
                        return -ENOMEM;
                json_decref(a->evidence);
                a->evidence = copy;
        }
        *ret = TAKE_PTR(a);
        return 0;
}

static int note_from_json(report_t *r, const json_t *o, char **ret_error)
{
        static const char *const kinds[] = { "info", "warning", "error" };
        const char *kind, *source, *message;
        int ret;

        if (!json_is_object(o))
                return bad(ret_error, "not an object");
        if ((ret = get_str(o, "kind", false, 64, &kind, ret_error)) < 0 ||
            (ret = get_str(o, "source", false, FINDING_JSON_MAX_NAME, &source, ret_error)) < 0 ||
            (ret = get_str(o, "message", false, FINDING_JSON_MAX_TEXT, &message, ret_error)) < 0)
                return ret;
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                if (strcmp(kind, kinds[i]) == 0)
                        return report_note(r, (report_note_kind_t)i, source, "%s", message);
        return bad(ret_error, "unknown kind");
}

/* Note that item I of list WHAT was left out, and why. */
static int skipped(report_t *r, const char *what, size_t i, char *why)
{
        int ret = report_note(r, REPORT_NOTE_WARNING, "report", "%s[%zu] left out: %s", what, i,
                              why ? why : "out of memory");
        free(why);
        return ret;
}

static int stats_from_json(report_t *r, const json_t *stats, char **ret_error)
{
        size_t counters = 0;
        const char *scanner, *name;
        json_t *s, *v;

        json_object_foreach ((json_t *)stats, scanner, s) {
                json_t *copy;
                if (!json_is_object(s)) {
                        if (report_note(r, REPORT_NOTE_WARNING, "report",
                                        "stats.%s left out: not an object", scanner) < 0)
                                return -ENOMEM;
                        continue;
                }
                if (strlen(scanner) > FINDING_JSON_MAX_NAME)
                        return bad(ret_error, "a scanner name in \"stats\" is too long");
                copy = json_object();
                if (!copy || json_object_set_new(r->stats, scanner, copy) < 0)
                        return -ENOMEM;
                json_object_foreach (s, name, v) {
                        if (++counters > REPORT_JSON_MAX_COUNTERS)
                                return bad(ret_error, "\"stats\" has more than %d counters",
                                           REPORT_JSON_MAX_COUNTERS);
                        if (strlen(name) > FINDING_JSON_MAX_NAME)
                                return bad(ret_error, "a counter name in \"stats\" is too long");
                        if (!json_is_integer(v)) {
                                if (report_note(r, REPORT_NOTE_WARNING, "report",
                                                "stats.%s.%s left out: not an integer", scanner,
                                                name) < 0)
                                        return -ENOMEM;
                                continue;
                        }
                        if (json_object_set_new(copy, name, json_integer(json_integer_value(v))) <
                            0)
                                return -ENOMEM;
                }
        }
        return 0;
}

/* The array at KEY of DOC, or NULL when missing; at most MAX entries. */
static int get_list(const json_t *doc, const char *key, size_t max, json_t **ret, char **ret_error)
{
        json_t *v = json_object_get(doc, key);

        if (!v) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_array(v))
                return bad(ret_error, "\"%s\" is not a list", key);
        if (json_array_size(v) > max)
                return bad(ret_error, "\"%s\" has more than %zu entries", key, max);
        *ret = v;
        return 0;
}

int report_from_json(const json_t *doc, report_t **ret, char **ret_error)
{
        const char *host, *root, *started, *finished;
        json_t *findings, *alerts, *notes, *stats, *os, *v;
        int64_t started_us, finished_us;
        report_t *r;
        size_t i;
        int ret_r;

        *ret_error = NULL;
        if (!json_is_object(doc))
                return bad(ret_error, "the report is not a JSON object");
        if ((ret_r = get_str(doc, "host", false, FINDING_JSON_MAX_NAME, &host, ret_error)) < 0 ||
            (ret_r = get_str(doc, "root", false, FINDING_JSON_MAX_NAME, &root, ret_error)) < 0 ||
            (ret_r = get_str(doc, "started", false, 64, &started, ret_error)) < 0 ||
            (ret_r = get_str(doc, "finished", false, 64, &finished, ret_error)) < 0 ||
            (ret_r = get_list(doc, "findings", REPORT_JSON_MAX_FINDINGS, &findings, ret_error)) <
                    0 ||
            (ret_r = get_list(doc, "alerts", REPORT_JSON_MAX_ALERTS, &alerts, ret_error)) < 0 ||
            (ret_r = get_list(doc, "notes", REPORT_JSON_MAX_NOTES, &notes, ret_error)) < 0)
                return ret_r;
        if (parse_iso(started, &started_us) < 0 || parse_iso(finished, &finished_us) < 0)
                return bad(ret_error, "\"started\" or \"finished\" is not an ISO 8601 UTC time");
        stats = json_object_get(doc, "stats");
        if (stats && !json_is_object(stats))
                return bad(ret_error, "\"stats\" is not an object");
        os = json_object_get(doc, "os");
        if (os && json_is_null(os))
                os = NULL;
        if (os && (ret_r = finding_evidence_check(os, ret_error)) < 0) {
                char *why = *ret_error;
                ret_r = bad(ret_error, "\"os\": %s", why ? why : "not an object");
                free(why);
                return ret_r;
        }

        r = report_new(host, root);
        if (!r)
                return -ENOMEM;
        r->started_us = started_us;
        r->finished_us = finished_us;
        if (os) {
                json_t *copy = json_deep_copy(os);
                if (!copy)
                        goto oom;
                report_set_os(r, copy);
        }
        /* Notes first, so the report's own notes come in their order and
         * the notes about left-out items follow them. */
        json_array_foreach (notes, i, v) {
                char *why = NULL;
                int k = note_from_json(r, v, &why);
                if (k == -ENOMEM || (k < 0 && skipped(r, "notes", i, why) < 0))
                        goto oom;
        }
        json_array_foreach (findings, i, v) {
                finding_t *f = NULL;
                char *why = NULL;
                int k = finding_from_json(v, &f, &why);
                if (k == -ENOMEM || (k < 0 && skipped(r, "findings", i, why) < 0))
                        goto oom;
                if (k == 0 && report_add_finding(r, f) < 0)
                        goto oom;
        }
        json_array_foreach (alerts, i, v) {
                alert_t *a = NULL;
                char *why = NULL;
                int k = alert_from_json(v, &a, &why);
                if (k == -ENOMEM || (k < 0 && skipped(r, "alerts", i, why) < 0))
                        goto oom;
                if (k == 0 && report_add_alert(r, a) < 0)
                        goto oom;
        }
        if (stats && (ret_r = stats_from_json(r, stats, ret_error)) < 0) {
                report_free(r);
                return ret_r;
        }
        *ret = r;
        return 0;
oom:
        report_free(r);
        return -ENOMEM;
}
