/* The terminal report: score and band first, then findings grouped by level
 * with counts, each with its evidence and the exact fix, then alerts, then
 * what could not be read. Every string that came from the host is printed
 * through text_put_escaped, so no file name or log line can steer the
 * terminal. */
#include <errno.h>
#include <string.h>

#include "core/report.h"
#include "core/text.h"
#include "core/timeutil.h"

#define C_RESET  "\033[0m"
#define C_BOLD   "\033[1m"
#define C_RED    "\033[31m"
#define C_YELLOW "\033[33m"
#define C_CYAN   "\033[36m"
#define C_GREEN  "\033[32m"
#define C_DIM    "\033[2m"

struct tw {
        FILE *out;
        bool color;
};

static void paint(const struct tw *w, const char *code)
{
        if (w->color)
                fputs(code, w->out);
}

static const char *finding_color(finding_level_t l)
{
        return l == FINDING_HIGH ? C_RED : l == FINDING_MEDIUM ? C_YELLOW : C_CYAN;
}

static const char *alert_color(alert_level_t l)
{
        return l == ALERT_URGENT ? C_RED : l == ALERT_SUSPICIOUS ? C_YELLOW : C_CYAN;
}

static const char *band_color(score_band_t b)
{
        switch (b) {
        case SCORE_SECURE:
                return C_GREEN;
        case SCORE_FEW_RISKS:
                return C_CYAN;
        case SCORE_MANY_RISKS:
                return C_YELLOW;
        default:
                return C_RED;
        }
}

/* Print a JSON scalar as text. */
static void put_value(const struct tw *w, json_t *v)
{
        if (json_is_string(v))
                text_put_escaped_n(w->out, json_string_value(v), json_string_length(v));
        else if (json_is_integer(v))
                fprintf(w->out, "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v))
                fprintf(w->out, "%g", json_real_value(v));
        else if (json_is_true(v))
                fputs("yes", w->out);
        else if (json_is_false(v))
                fputs("no", w->out);
        else {
                char *s = json_dumps(v, JSON_COMPACT);
                text_put_escaped(w->out, s ? s : "?");
                free(s);
        }
}

static void put_evidence(const struct tw *w, json_t *ev)
{
        const char *key;
        json_t *v;
        bool first = true;

        if (!json_object_size(ev))
                return;
        fputs("      ", w->out);
        paint(w, C_DIM);
        json_object_foreach (ev, key, v) {
                if (!first)
                        fputs("  ", w->out);
                first = false;
                text_put_escaped(w->out, key);
                fputc('=', w->out);
                put_value(w, v);
        }
        paint(w, C_RESET);
        fputc('\n', w->out);
}

/* Print multi-line text indented, each line escaped on its own. */
static void put_block(const struct tw *w, const char *label, const char *s)
{
        const char *p = s;

        while (*p) {
                size_t n = strcspn(p, "\n");
                fputs("      ", w->out);
                if (p == s && label) {
                        paint(w, C_BOLD);
                        fputs(label, w->out);
                        paint(w, C_RESET);
                } else if (label)
                        fprintf(w->out, "%*s", (int)strlen(label), "");
                text_put_escaped_n(w->out, p, n);
                fputc('\n', w->out);
                p += n;
                if (*p)
                        p++;
        }
}

static void put_finding(const struct tw *w, const finding_t *f)
{
        size_t nref = json_array_size(f->references);

        fputs("  ", w->out);
        paint(w, finding_color(f->level));
        fputs("● ", w->out);
        paint(w, C_RESET);
        paint(w, C_BOLD);
        text_put_escaped(w->out, f->title ? f->title : f->check);
        paint(w, C_RESET);
        paint(w, C_DIM);
        fprintf(w->out, "  [%s]", finding_category_name(f->category));
        paint(w, C_RESET);
        fputc('\n', w->out);
        if (f->detail)
                put_block(w, NULL, f->detail);
        put_evidence(w, f->evidence);
        if (f->remediation)
                put_block(w, "fix: ", f->remediation);
        if (nref) {
                size_t shown = nref > 4 ? 4 : nref;
                fputs("      ", w->out);
                paint(w, C_DIM);
                fputs("see: ", w->out);
                for (size_t i = 0; i < shown; i++) {
                        if (i)
                                fputs(", ", w->out);
                        text_put_escaped(w->out,
                                         json_string_value(json_array_get(f->references, i)));
                }
                if (nref > shown)
                        fprintf(w->out, " (+%zu more)", nref - shown);
                paint(w, C_RESET);
                fputc('\n', w->out);
        }
}

static void put_alert(const struct tw *w, const alert_t *a)
{
        char when[TIMEUTIL_ISO_LEN];

        timeutil_format_iso(a->time_us, when, sizeof(when));
        fputs("  ", w->out);
        paint(w, alert_color(a->level));
        fputs("▲ ", w->out);
        paint(w, C_RESET);
        paint(w, C_BOLD);
        text_put_escaped(w->out, a->title ? a->title : a->rule);
        paint(w, C_RESET);
        paint(w, C_DIM);
        fprintf(w->out, "  [%s] %s", alert_type_name(a->type), when);
        paint(w, C_RESET);
        fputc('\n', w->out);
        put_evidence(w, a->evidence);
        if (a->remediation)
                put_block(w, "fix: ", a->remediation);
}

int report_write_text(const report_t *r, FILE *out, const report_text_opts_t *opts)
{
        struct tw w = { out, opts && opts->color };
        score_input_t in;
        int score;
        score_band_t band;
        size_t warn, err;

        report_score_input(r, &in);
        score = score_compute(&in);
        band = score_band(score);

        paint(&w, C_BOLD);
        fputs("vigil scan of ", out);
        text_put_escaped(out, r->host);
        paint(&w, C_RESET);
        if (strcmp(r->root, "/") != 0) {
                fputs(" (root ", out);
                text_put_escaped(out, r->root);
                fputc(')', out);
        }
        if (r->os && json_is_string(json_object_get(r->os, "pretty_name"))) {
                fputs(" — ", out);
                text_put_escaped(out, json_string_value(json_object_get(r->os, "pretty_name")));
        }
        fputc('\n', out);

        fputs("Score: ", out);
        paint(&w, band_color(band));
        paint(&w, C_BOLD);
        fprintf(out, "%d/100 (%s)", score, score_band_name(band));
        paint(&w, C_RESET);
        fprintf(out, "   risks: %u high, %u medium, %u low", in.findings[FINDING_HIGH],
                in.findings[FINDING_MEDIUM], in.findings[FINDING_LOW]);
        if (r->n_alerts)
                fprintf(out, "   alerts: %u urgent, %u suspicious, %u reminder",
                        in.alerts[ALERT_URGENT], in.alerts[ALERT_SUSPICIOUS],
                        in.alerts[ALERT_REMINDER]);
        fputc('\n', out);

        for (int l = FINDING_HIGH; l >= FINDING_LOW; l--) {
                if (!in.findings[l])
                        continue;
                fputc('\n', out);
                paint(&w, finding_color((finding_level_t)l));
                paint(&w, C_BOLD);
                fprintf(out, "%s risks (%u)",
                        l == FINDING_HIGH     ? "High"
                        : l == FINDING_MEDIUM ? "Medium"
                                              : "Low",
                        in.findings[l]);
                paint(&w, C_RESET);
                fputc('\n', out);
                for (size_t i = 0; i < r->n_findings; i++)
                        if ((int)r->findings[i]->level == l)
                                put_finding(&w, r->findings[i]);
        }
        if (r->n_alerts) {
                fputc('\n', out);
                paint(&w, C_BOLD);
                fprintf(out, "Alerts (%zu)\n", r->n_alerts);
                paint(&w, C_RESET);
                for (size_t i = 0; i < r->n_alerts; i++)
                        put_alert(&w, r->alerts[i]);
        }
        if (!r->n_findings && !r->n_alerts)
                fputs("\nNo risks found.\n", out);

        warn = report_count_notes(r, REPORT_NOTE_WARNING);
        err = report_count_notes(r, REPORT_NOTE_ERROR);
        bool first_info = true;
        for (size_t i = 0; i < r->n_notes; i++) {
                const report_note_t *n = &r->notes[i];
                if (n->kind == REPORT_NOTE_INFO) {
                        if (first_info)
                                fputc('\n', out);
                        first_info = false;
                        paint(&w, C_BOLD);
                        fputs("note: ", out);
                        paint(&w, C_RESET);
                        text_put_escaped(out, n->message);
                        fputc('\n', out);
                }
        }
        if (warn || err) {
                size_t shown = 0, limit = opts && opts->verbose ? (size_t)-1 : 20;
                fputc('\n', out);
                paint(&w, C_YELLOW);
                fprintf(out, "Not fully scanned: %zu error(s), %zu warning(s)\n", err, warn);
                paint(&w, C_RESET);
                for (size_t i = 0; i < r->n_notes && shown < limit; i++) {
                        const report_note_t *n = &r->notes[i];
                        if (n->kind == REPORT_NOTE_INFO)
                                continue;
                        fputs(n->kind == REPORT_NOTE_ERROR ? "  error: " : "  warning: ", out);
                        text_put_escaped(out, n->source);
                        fputs(": ", out);
                        text_put_escaped(out, n->message);
                        fputc('\n', out);
                        shown++;
                }
                if (warn + err > shown)
                        fprintf(out, "  … %zu more (use --verbose or --format json)\n",
                                warn + err - shown);
        }
        if (opts && opts->verbose && json_object_size(r->stats)) {
                const char *scanner;
                json_t *counters;
                fputs("\nStatistics\n", out);
                json_object_foreach (r->stats, scanner, counters) {
                        const char *k;
                        json_t *v;
                        fputs("  ", out);
                        text_put_escaped(out, scanner);
                        fputc(':', out);
                        json_object_foreach (counters, k, v) {
                                fputc(' ', out);
                                text_put_escaped(out, k);
                                fputc('=', out);
                                put_value(&w, v);
                        }
                        fputc('\n', out);
                }
        }
        fflush(out);
        return ferror(out) ? -EIO : 0;
}
