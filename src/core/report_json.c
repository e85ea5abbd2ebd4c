/* The JSON report: one document, {"host":…, "score":N, "findings":[…],
 * "alerts":[…]} plus the band, counts, notes and statistics. */
#include <errno.h>

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
                    jsonx_set_str(n, "message", r->notes[i].message) < 0 ||
                    json_array_append_new(arr, n) < 0) {
                        json_decref(n);
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
        for (size_t i = 0; i < r->n_findings; i++)
                if (json_array_append_new(findings, finding_to_json(r->findings[i])) < 0)
                        goto fail;
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
