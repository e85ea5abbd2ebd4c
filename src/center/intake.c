#include "center/intake.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "center/center.h"
#include "center/cutil.h"
#include "center/handling.h"
#include "center/hosts.h"
#include "core/alert.h"
#include "core/buf.h"
#include "core/finding.h"
#include "core/text.h"
#include "core/timeutil.h"

/* Rows per multi-row INSERT: few round trips, far below the engines'
 * parameter limits (12 or 16 columns each). */
#define ALERT_CHUNK   64
#define FINDING_CHUNK 32
#define EVENT_CHUNK   64

/* ---- decompression ---- */

int intake_gunzip(const char *p, size_t n, size_t max, char **ret, size_t *ret_len)
{
        z_stream zs = { 0 };
        _cleanup_free_ char *out = NULL;
        size_t cap = n * 4 + 1024, len = 0;
        int zr;

        if (n > UINT_MAX)
                return -E2BIG;
        if (cap > max + 1)
                cap = max + 1;
        out = malloc(cap + 1);
        if (!out)
                return -ENOMEM;
        /* 16 + MAX_WBITS: a gzip wrapper, nothing else. */
        if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
                return -ENOMEM;
        zs.next_in = (Bytef *)p;
        zs.avail_in = (uInt)n;
        for (;;) {
                if (len == cap) {
                        size_t ncap;
                        char *nout;
                        if (cap > max) {
                                inflateEnd(&zs);
                                return -E2BIG;
                        }
                        ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
                        nout = realloc(out, ncap + 1);
                        if (!nout) {
                                inflateEnd(&zs);
                                return -ENOMEM;
                        }
                        out = nout;
                        cap = ncap;
                }
                zs.next_out = (Bytef *)out + len;
                zs.avail_out = (uInt)(cap - len);
                zr = inflate(&zs, Z_NO_FLUSH);
                len = cap - zs.avail_out;
                if (len > max) {
                        inflateEnd(&zs);
                        return -E2BIG;
                }
                if (zr == Z_STREAM_END)
                        break;
                if (zr == Z_BUF_ERROR && zs.avail_in == 0 && zs.avail_out > 0) {
                        /* The input ended before the stream did. */
                        inflateEnd(&zs);
                        return -EINVAL;
                }
                if (zr != Z_OK && zr != Z_BUF_ERROR) {
                        inflateEnd(&zs);
                        return zr == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
                }
        }
        inflateEnd(&zs);
        if (zs.avail_in != 0)
                return -EINVAL; /* bytes after the gzip member */
        out[len] = 0;
        *ret_len = len;
        *ret = TAKE_PTR(out);
        return 0;
}

/* ---- validation ---- */

struct vctx {
        char **err;
        size_t idx; /* item index, or SIZE_MAX for the top level */
        int64_t now;
};

static int verr(struct vctx *v, int r, const char *field, const char *fmt, ...) _printf_(4, 5);
static int verr(struct vctx *v, int r, const char *field, const char *fmt, ...)
{
        char msg[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (v->idx == SIZE_MAX)
                *v->err = str_printf("%s: %s", field, msg);
        else
                *v->err = str_printf("items[%zu].%s: %s", v->idx, field, msg);
        return r;
}

/* A string member. NULL *RET when missing and optional (or JSON null). */
static int get_str(struct vctx *v, json_t *o, const char *key, bool required, size_t max,
                   const char **ret)
{
        json_t *j = json_object_get(o, key);
        size_t n;

        *ret = NULL;
        if (!j || json_is_null(j)) {
                if (required)
                        return verr(v, -EINVAL, key, "is required");
                return 0;
        }
        if (!json_is_string(j))
                return verr(v, -EINVAL, key, "must be a string");
        n = json_string_length(j);
        if (n > max)
                return verr(v, -EINVAL, key, "is longer than %zu bytes", max);
        if (required && n == 0)
                return verr(v, -EINVAL, key, "must not be empty");
        *ret = json_string_value(j);
        return 0;
}

static int get_id(struct vctx *v, json_t *o, const char *key, bool required, const char **ret)
{
        int r = get_str(v, o, key, required, INTAKE_ID_MAX, ret);

        if (r < 0)
                return r;
        if (*ret && !cutil_valid_id(*ret, INTAKE_ID_MAX))
                return verr(v, -EINVAL, key,
                            "must be 1-%d characters of A-Z a-z 0-9 . _ : - starting with a "
                            "letter or digit",
                            INTAKE_ID_MAX);
        return 0;
}

/* A name: a rule, check or version; printable ASCII without spaces. */
static int get_name(struct vctx *v, json_t *o, const char *key, bool required, const char **ret)
{
        int r = get_str(v, o, key, required, INTAKE_NAME_MAX, ret);

        if (r < 0 || !*ret)
                return r;
        for (const char *p = *ret; *p; p++)
                if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
                        return verr(v, -EINVAL, key, "must be printable ASCII without spaces");
        return 0;
}

static int get_int(struct vctx *v, json_t *o, const char *key, bool required, int64_t min,
                   int64_t max, int64_t *ret, bool *ret_present)
{
        json_t *j = json_object_get(o, key);
        json_int_t x;

        if (ret_present)
                *ret_present = false;
        if (!j || json_is_null(j)) {
                if (required)
                        return verr(v, -EINVAL, key, "is required");
                return 0;
        }
        if (!json_is_integer(j))
                return verr(v, -EINVAL, key, "must be an integer");
        x = json_integer_value(j);
        if (x < min || x > max)
                return verr(v, -EINVAL, key, "must be between %lld and %lld", (long long)min,
                            (long long)max);
        *ret = x;
        if (ret_present)
                *ret_present = true;
        return 0;
}

static int get_time(struct vctx *v, json_t *o, const char *key, bool required, int64_t *ret)
{
        const char *s;
        int64_t t;
        int r = get_str(v, o, key, required, 40, &s);

        if (r < 0)
                return r;
        if (!s) {
                *ret = v->now;
                return 0;
        }
        if (cutil_parse_time(s, strlen(s), &t) < 0)
                return verr(v, -EINVAL, key, "must be an ISO 8601 time like 2026-01-31T12:00:00Z");
        /* An agent's clock may be off; a time far in the future would pin
         * an alert at the top of every list and past retention. */
        if (t > v->now + INTAKE_FUTURE_SLACK_US)
                t = v->now;
        *ret = t;
        return 0;
}

struct dump {
        buf_t b;
        int err;
};

static int dump_cb(const char *p, size_t n, void *data)
{
        struct dump *d = data;
        int r = buf_append(&d->b, p, n);

        if (r < 0) {
                d->err = r;
                return -1;
        }
        return 0;
}

/* J serialised compactly into *RET (caller frees); -E2BIG over MAX. */
static int dump_capped(json_t *j, size_t max, char **ret)
{
        struct dump d = { .err = 0 };
        int r = 0;

        buf_init(&d.b, max);
        if (json_dump_callback(j, dump_cb, &d, JSON_COMPACT | JSON_PRESERVE_ORDER) < 0)
                r = d.err ? d.err : -ENOMEM;
        else if (!(*ret = buf_take(&d.b)))
                r = -ENOMEM;
        buf_free(&d.b);
        return r;
}

/* An object member (evidence), serialised; {} when missing. */
static int get_object(struct vctx *v, json_t *o, const char *key, size_t max, char **ret)
{
        json_t *j = json_object_get(o, key);
        int r;

        if (!j || json_is_null(j)) {
                *ret = strdup("{}");
                return *ret ? 0 : -ENOMEM;
        }
        if (!json_is_object(j))
                return verr(v, -EINVAL, key, "must be an object");
        r = dump_capped(j, max, ret);
        if (r == -E2BIG)
                return verr(v, -EINVAL, key, "is larger than %zu bytes", max);
        return r;
}

/* A list of strings (references, tags), serialised; [] when missing. */
static int get_str_list(struct vctx *v, json_t *o, const char *key, char **ret)
{
        json_t *j = json_object_get(o, key), *e;
        size_t i;

        if (!j || json_is_null(j)) {
                *ret = strdup("[]");
                return *ret ? 0 : -ENOMEM;
        }
        if (!json_is_array(j))
                return verr(v, -EINVAL, key, "must be an array of strings");
        if (json_array_size(j) > INTAKE_LIST_MAX)
                return verr(v, -EINVAL, key, "has more than %d entries", INTAKE_LIST_MAX);
        json_array_foreach (j, i, e) {
                if (!json_is_string(e))
                        return verr(v, -EINVAL, key, "entry %zu is not a string", i);
                if (json_string_length(e) > INTAKE_LIST_ITEM_MAX)
                        return verr(v, -EINVAL, key, "entry %zu is longer than %d bytes", i,
                                    INTAKE_LIST_ITEM_MAX);
        }
        return dump_capped(j, INTAKE_LIST_MAX * (INTAKE_LIST_ITEM_MAX * 6 + 3) + 2, ret);
}

static int alert_level(const char *s)
{
        if (strcmp(s, "urgent") == 0)
                return ALERT_URGENT;
        if (strcmp(s, "suspicious") == 0)
                return ALERT_SUSPICIOUS;
        if (strcmp(s, "reminder") == 0)
                return ALERT_REMINDER;
        return 0;
}

static int finding_level(const char *s)
{
        if (strcmp(s, "high") == 0)
                return FINDING_HIGH;
        if (strcmp(s, "medium") == 0)
                return FINDING_MEDIUM;
        if (strcmp(s, "low") == 0)
                return FINDING_LOW;
        return 0;
}

static int parse_alert(struct vctx *v, json_t *o, intake_alert_t *a)
{
        const char *level;
        alert_type_t type;
        int r;

        if ((r = get_id(v, o, "id", true, &a->id)) < 0 ||
            (r = get_str(v, o, "type", true, INTAKE_NAME_MAX, &a->type)) < 0 ||
            (r = get_name(v, o, "rule", true, &a->rule)) < 0 ||
            (r = get_str(v, o, "level", true, 16, &level)) < 0 ||
            (r = get_time(v, o, "time", true, &a->time)) < 0 ||
            (r = get_str(v, o, "title", true, INTAKE_TITLE_MAX, &a->title)) < 0 ||
            (r = get_str(v, o, "subject", false, INTAKE_SUBJECT_MAX, &a->subject)) < 0 ||
            (r = get_str(v, o, "remediation", false, INTAKE_TEXT_MAX, &a->remediation)) < 0 ||
            (r = get_object(v, o, "evidence", INTAKE_EVIDENCE_MAX, &a->evidence)) < 0)
                return r;
        if (alert_type_from_name(a->type, &type) < 0)
                return verr(v, -EINVAL, "type", "is not an alert type");
        a->level = alert_level(level);
        if (!a->level)
                return verr(v, -EINVAL, "level", "must be urgent, suspicious or reminder");
        return 0;
}

static int parse_finding(struct vctx *v, json_t *o, intake_finding_t *f)
{
        const char *level;
        finding_category_t cat;
        int r;

        if ((r = get_id(v, o, "id", true, &f->id)) < 0 ||
            (r = get_str(v, o, "category", true, INTAKE_NAME_MAX, &f->category)) < 0 ||
            (r = get_str(v, o, "check", true, INTAKE_NAME_MAX, &f->check)) < 0 ||
            (r = get_str(v, o, "level", true, 16, &level)) < 0 ||
            (r = get_str(v, o, "title", true, INTAKE_TITLE_MAX, &f->title)) < 0 ||
            (r = get_str(v, o, "detail", false, INTAKE_TEXT_MAX, &f->detail)) < 0 ||
            (r = get_str(v, o, "remediation", false, INTAKE_TEXT_MAX, &f->remediation)) < 0 ||
            (r = get_id(v, o, "scan_id", false, &f->scan_id)) < 0 ||
            (r = get_time(v, o, "time", false, &f->time)) < 0 ||
            (r = get_object(v, o, "evidence", INTAKE_EVIDENCE_MAX, &f->evidence)) < 0 ||
            (r = get_str_list(v, o, "references", &f->refs)) < 0 ||
            (r = get_str_list(v, o, "tags", &f->tags)) < 0)
                return r;
        if (finding_category_from_name(f->category, &cat) < 0)
                return verr(v, -EINVAL, "category", "is not a finding category");
        f->level = finding_level(level);
        if (!f->level)
                return verr(v, -EINVAL, "level", "must be high, medium or low");
        return 0;
}

static int parse_event(struct vctx *v, json_t *o, intake_event_t *e)
{
        const char *key;
        json_t *val;
        int r;

        if ((r = get_id(v, o, "id", true, &e->id)) < 0 ||
            (r = get_name(v, o, "event", true, &e->type)) < 0 ||
            (r = get_time(v, o, "time", true, &e->time)) < 0)
                return r;
        /* Events are flat records (the shape of `vigil logscan`): scalar
         * values only. */
        json_object_foreach (o, key, val) {
                if (json_is_object(val) || json_is_array(val))
                        return verr(v, -EINVAL, key, "must be a string, number, boolean or null");
        }
        r = dump_capped(o, INTAKE_EVENT_MAX, &e->data);
        if (r == -E2BIG)
                return verr(v, -EINVAL, "event", "the event is larger than %d bytes",
                            INTAKE_EVENT_MAX);
        return r;
}

static int parse_scan(struct vctx *v, json_t *o, intake_scan_t *s)
{
        json_t *cats, *c;
        size_t i;
        int r;

        if ((r = get_id(v, o, "id", true, &s->id)) < 0 ||
            (r = get_time(v, o, "started", true, &s->started)) < 0 ||
            (r = get_time(v, o, "finished", true, &s->finished)) < 0 ||
            (r = get_int(v, o, "findings", false, 0, 10000000, &s->findings, NULL)) < 0)
                return r;
        if (s->finished < s->started)
                return verr(v, -EINVAL, "finished", "is before started");
        cats = json_object_get(o, "categories");
        if (!json_is_array(cats))
                return verr(v, -EINVAL, "categories", "must be an array of finding categories");
        if (json_array_size(cats) > ELEMENTSOF(s->categories))
                return verr(v, -EINVAL, "categories", "has too many entries");
        json_array_foreach (cats, i, c) {
                finding_category_t fc;
                const char *name = json_string_value(c);
                if (!name || finding_category_from_name(name, &fc) < 0)
                        return verr(v, -EINVAL, "categories", "entry %zu is not a category", i);
                for (size_t k = 0; k < s->n_categories; k++)
                        if (strcmp(s->categories[k], name) == 0)
                                return verr(v, -EINVAL, "categories", "entry %zu is repeated", i);
                s->categories[s->n_categories++] = name;
        }
        return dump_capped(cats, 1024, &s->categories_json);
}

static int parse_heartbeat(struct vctx *v, json_t *o, intake_heartbeat_t *h)
{
        bool present;
        int r;

        h->spool_items = -1;
        h->spool_bytes = -1;
        if ((r = get_time(v, o, "time", false, &h->time)) < 0 ||
            (r = get_int(v, o, "spool_items", false, 0, INT64_MAX / 2, &h->spool_items, &present)) <
                    0)
                return r;
        if (!present)
                h->spool_items = -1;
        if ((r = get_int(v, o, "spool_bytes", false, 0, INT64_MAX / 2, &h->spool_bytes, &present)) <
            0)
                return r;
        if (!present)
                h->spool_bytes = -1;
        if ((r = get_name(v, o, "agent_version", false, &h->agent_version)) < 0 ||
            (r = get_str(v, o, "os", false, INTAKE_NAME_MAX, &h->os)) < 0 ||
            (r = get_str(v, o, "os_version", false, INTAKE_NAME_MAX, &h->os_version)) < 0 ||
            (r = get_str(v, o, "kernel", false, INTAKE_NAME_MAX, &h->kernel)) < 0 ||
            (r = get_str(v, o, "hostname", false, 253, &h->hostname)) < 0)
                return r;
        if (h->hostname && !*h->hostname)
                return verr(v, -EINVAL, "hostname", "must not be empty");
        h->present = true;
        return 0;
}

/* Cheap pass over the text before jansson builds a tree: count the values
 * and the nesting depth, so a document of a million tiny values or deep
 * nesting is refused without allocating for it. */
static int prescan(const char *p, size_t n, size_t max_values, int max_depth)
{
        size_t values = 0;
        int depth = 0;
        bool in_str = false;

        for (size_t i = 0; i < n; i++) {
                char ch = p[i];
                if (in_str) {
                        if (ch == '\\')
                                i++;
                        else if (ch == '"')
                                in_str = false;
                        continue;
                }
                switch (ch) {
                case '"':
                        in_str = true;
                        break;
                case '{':
                case '[':
                        if (++depth > max_depth)
                                return -EMLINK;
                        values++;
                        break;
                case '}':
                case ']':
                        depth--;
                        break;
                case ',':
                        values++;
                        break;
                }
                if (values > max_values)
                        return -E2BIG;
        }
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Item ids must be unique per kind within a batch: one statement may not
 * upsert the same row twice. */
static int check_unique(struct vctx *v, const char **ids, size_t n, const char *kind)
{
        if (n < 2)
                return 0;
        qsort(ids, n, sizeof(*ids), cmp_str);
        for (size_t i = 1; i < n; i++)
                if (strcmp(ids[i - 1], ids[i]) == 0) {
                        *v->err = str_printf("items: the %s id '%s' appears twice in the batch",
                                             kind, ids[i]);
                        return -EINVAL;
                }
        return 0;
}

void intake_batch_free(intake_batch_t *b)
{
        if (!b)
                return;
        for (size_t i = 0; i < b->n_alerts; i++)
                free(b->alerts[i].evidence);
        for (size_t i = 0; i < b->n_findings; i++) {
                free(b->findings[i].evidence);
                free(b->findings[i].refs);
                free(b->findings[i].tags);
        }
        for (size_t i = 0; i < b->n_events; i++)
                free(b->events[i].data);
        for (size_t i = 0; i < b->n_scans; i++)
                free(b->scans[i].categories_json);
        free(b->alerts);
        free(b->findings);
        free(b->events);
        free(b->scans);
        json_decref(b->root);
        free(b);
}

int intake_parse(const char *p, size_t n, const intake_limits_t *lim, int64_t now_us,
                 intake_batch_t **ret, char **ret_error)
{
        _cleanup_batch_ intake_batch_t *b = NULL;
        _cleanup_free_ const char **ids = NULL;
        struct vctx v = { .err = ret_error, .idx = SIZE_MAX, .now = now_us };
        json_error_t jerr;
        json_t *items, *it;
        size_t i, na = 0, nf = 0, ne = 0, ns = 0;
        int64_t version = 1;
        int r;

        *ret_error = NULL;
        if (n > lim->max_json) {
                *ret_error = str_printf("the batch is larger than %zu bytes", lim->max_json);
                return -E2BIG;
        }
        r = prescan(p, n, lim->max_items * INTAKE_VALUES_PER_ITEM + 64, INTAKE_DEPTH_MAX);
        if (r == -EMLINK) {
                *ret_error =
                        str_printf("the JSON is nested deeper than %d levels", INTAKE_DEPTH_MAX);
                return -EINVAL;
        }
        if (r < 0) {
                *ret_error = str_printf("the batch has too many JSON values");
                return -E2BIG;
        }
        b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        b->root = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);
        if (!b->root) {
                *ret_error = str_printf("not valid JSON: %s at line %d column %d", jerr.text,
                                        jerr.line, jerr.column);
                return -EINVAL;
        }
        if (!json_is_object(b->root)) {
                *ret_error = str_printf("the batch must be a JSON object");
                return -EINVAL;
        }
        if ((r = get_int(&v, b->root, "version", false, 1, 1, &version, NULL)) < 0 ||
            (r = get_int(&v, b->root, "agent_id", true, 1, CUTIL_ID_MAX - 1, &b->agent_id, NULL)) <
                    0 ||
            (r = get_id(&v, b->root, "batch_id", true, &b->batch_id)) < 0 ||
            (r = get_int(&v, b->root, "seq", true, 0, INT64_MAX, &b->seq, NULL)) < 0)
                return r;
        items = json_object_get(b->root, "items");
        if (!json_is_array(items)) {
                *ret_error = str_printf("items: must be an array");
                return -EINVAL;
        }
        b->n_items = json_array_size(items);
        if (b->n_items > lim->max_items) {
                *ret_error = str_printf("items: more than %zu items in one batch", lim->max_items);
                return -E2BIG;
        }
        /* Count by kind first, so each array is allocated once. */
        json_array_foreach (items, i, it) {
                const char *kind = json_string_value(json_object_get(it, "kind"));
                v.idx = i;
                if (!json_is_object(it))
                        return verr(&v, -EINVAL, "kind", "the item must be an object");
                if (!kind)
                        return verr(&v, -EINVAL, "kind", "is required (a string)");
                if (strcmp(kind, "alert") == 0)
                        na++;
                else if (strcmp(kind, "finding") == 0)
                        nf++;
                else if (strcmp(kind, "event") == 0)
                        ne++;
                else if (strcmp(kind, "scan_result") == 0)
                        ns++;
                else if (strcmp(kind, "heartbeat") != 0)
                        return verr(&v, -EINVAL, "kind",
                                    "must be alert, finding, event, scan_result or heartbeat");
        }
        b->alerts = calloc(na ? na : 1, sizeof(*b->alerts));
        b->findings = calloc(nf ? nf : 1, sizeof(*b->findings));
        b->events = calloc(ne ? ne : 1, sizeof(*b->events));
        b->scans = calloc(ns ? ns : 1, sizeof(*b->scans));
        ids = calloc(b->n_items ? b->n_items : 1, sizeof(*ids));
        if (!b->alerts || !b->findings || !b->events || !b->scans || !ids)
                return -ENOMEM;
        json_array_foreach (items, i, it) {
                const char *kind = json_string_value(json_object_get(it, "kind"));
                v.idx = i;
                if (strcmp(kind, "alert") == 0)
                        r = parse_alert(&v, it, &b->alerts[b->n_alerts++]);
                else if (strcmp(kind, "finding") == 0)
                        r = parse_finding(&v, it, &b->findings[b->n_findings++]);
                else if (strcmp(kind, "event") == 0)
                        r = parse_event(&v, it, &b->events[b->n_events++]);
                else if (strcmp(kind, "scan_result") == 0)
                        r = parse_scan(&v, it, &b->scans[b->n_scans++]);
                else {
                        memset(&b->heartbeat, 0, sizeof(b->heartbeat));
                        r = parse_heartbeat(&v, it, &b->heartbeat);
                }
                if (r < 0)
                        return r;
        }
        for (i = 0; i < b->n_alerts; i++)
                ids[i] = b->alerts[i].id;
        if ((r = check_unique(&v, ids, b->n_alerts, "alert")) < 0)
                return r;
        for (i = 0; i < b->n_findings; i++)
                ids[i] = b->findings[i].id;
        if ((r = check_unique(&v, ids, b->n_findings, "finding")) < 0)
                return r;
        for (i = 0; i < b->n_events; i++)
                ids[i] = b->events[i].id;
        if ((r = check_unique(&v, ids, b->n_events, "event")) < 0)
                return r;
        for (i = 0; i < b->n_scans; i++)
                ids[i] = b->scans[i].id;
        if ((r = check_unique(&v, ids, b->n_scans, "scan_result")) < 0)
                return r;
        *ret = TAKE_PTR(b);
        return 0;
}

/* ---- storing ---- */

struct store_ctx {
        int64_t host_id;
        const intake_batch_t *b;
        const char *remote;
        int64_t now;
        intake_result_t res;
};

static int store_alerts(cdb_conn_t *c, struct store_ctx *s, hosts_counts_t *counts)
{
        const intake_batch_t *b = s->b;
        int64_t added[4] = { 0 };
        int r;

        for (size_t off = 0; off < b->n_alerts; off += ALERT_CHUNK) {
                size_t k = MIN((size_t)ALERT_CHUNK, b->n_alerts - off), np = 0;
                _cleanup_free_ cdb_param_t *p = calloc(k * 12, sizeof(*p));
                _cleanup_buf_ buf_t sql;
                _cleanup_res_ cdb_res_t *res = NULL;

                if (!p)
                        return -ENOMEM;
                buf_init(&sql, 64 * KiB);
                r = buf_append_str(&sql, "INSERT INTO alerts (host_id, id, type, rule, subject,"
                                         " level, time, received, title, remediation, evidence,"
                                         " updated_at) VALUES ");
                if (r == 0)
                        r = cdb_values_list(&sql, k, 12, 1);
                if (r == 0)
                        r = buf_append_str(&sql,
                                           " ON CONFLICT (host_id, id) DO NOTHING RETURNING level");
                if (r < 0)
                        return r;
                for (size_t i = off; i < off + k; i++) {
                        const intake_alert_t *a = &b->alerts[i];
                        p[np++] = CDB_INT(s->host_id);
                        p[np++] = CDB_TEXT(a->id);
                        p[np++] = CDB_TEXT(a->type);
                        p[np++] = CDB_TEXT(a->rule);
                        p[np++] = CDB_TEXT(a->subject);
                        p[np++] = CDB_INT(a->level);
                        p[np++] = CDB_INT(a->time);
                        p[np++] = CDB_INT(s->now);
                        p[np++] = CDB_TEXT(a->title);
                        p[np++] = CDB_TEXT(a->remediation);
                        p[np++] = CDB_TEXT(a->evidence);
                        p[np++] = CDB_INT(s->now);
                }
                r = cdb_query(c, sql.data, p, np, &res);
                if (r < 0)
                        return r;
                while ((r = cdb_next(res)) > 0) {
                        int64_t l = cdb_get_int(res, 0);
                        if (l >= 1 && l <= 3)
                                added[l]++;
                }
                if (r < 0)
                        return r;
        }
        for (int l = 1; l <= 3; l++) {
                if (!added[l])
                        continue;
                counts->in.alerts[l] += (unsigned)added[l];
                s->res.alerts += (size_t)added[l];
                cdb_param_t p[] = { CDB_INT(s->host_id), CDB_INT(cutil_hour(s->now)), CDB_INT(l),
                                    CDB_INT(added[l]) };
                r = cdb_exec(c,
                             "INSERT INTO alert_counts (host_id, bucket, level, n)"
                             " VALUES ($1, $2, $3, $4) ON CONFLICT (host_id, bucket, level)"
                             " DO UPDATE SET n = alert_counts.n + excluded.n",
                             p, ELEMENTSOF(p), NULL);
                if (r < 0)
                        return r;
        }
        s->res.duplicate_items += b->n_alerts - s->res.alerts;
        return 0;
}

static int store_findings(cdb_conn_t *c, struct store_ctx *s)
{
        const intake_batch_t *b = s->b;
        int r;

        for (size_t off = 0; off < b->n_findings; off += FINDING_CHUNK) {
                size_t k = MIN((size_t)FINDING_CHUNK, b->n_findings - off), np = 0;
                _cleanup_free_ cdb_param_t *p = calloc(k * 16, sizeof(*p));
                _cleanup_buf_ buf_t sql;
                int64_t changed = 0;

                if (!p)
                        return -ENOMEM;
                buf_init(&sql, 64 * KiB);
                r = buf_append_str(&sql,
                                   "INSERT INTO findings (host_id, id, category, check_id, level,"
                                   " title, detail, remediation, evidence, refs, tags, status,"
                                   " first_seen, last_seen, scan_id, updated_at) VALUES ");
                if (r == 0)
                        r = cdb_values_list(&sql, k, 16, 1);
                /* A later sighting updates the finding and reopens it if a
                 * scan had closed it; a replay of an older one (not newer
                 * than what is stored) changes nothing. Ignored findings
                 * stay ignored. */
                if (r == 0)
                        r = buf_append_str(
                                &sql,
                                " ON CONFLICT (host_id, id) DO UPDATE SET"
                                " category = excluded.category, check_id = excluded.check_id,"
                                " level = excluded.level, title = excluded.title,"
                                " detail = excluded.detail, remediation = excluded.remediation,"
                                " evidence = excluded.evidence, refs = excluded.refs,"
                                " tags = excluded.tags, last_seen = excluded.last_seen,"
                                " scan_id = excluded.scan_id, updated_at = excluded.updated_at,"
                                " status = CASE WHEN findings.status = 'fixed' THEN 'open'"
                                " ELSE findings.status END,"
                                " fixed_at = CASE WHEN findings.status = 'fixed' THEN NULL"
                                " ELSE findings.fixed_at END"
                                " WHERE excluded.last_seen > findings.last_seen");
                if (r < 0)
                        return r;
                for (size_t i = off; i < off + k; i++) {
                        const intake_finding_t *f = &b->findings[i];
                        p[np++] = CDB_INT(s->host_id);
                        p[np++] = CDB_TEXT(f->id);
                        p[np++] = CDB_TEXT(f->category);
                        p[np++] = CDB_TEXT(f->check);
                        p[np++] = CDB_INT(f->level);
                        p[np++] = CDB_TEXT(f->title);
                        p[np++] = CDB_TEXT(f->detail);
                        p[np++] = CDB_TEXT(f->remediation);
                        p[np++] = CDB_TEXT(f->evidence);
                        p[np++] = CDB_TEXT(f->refs);
                        p[np++] = CDB_TEXT(f->tags);
                        p[np++] = CDB_TEXT("open");
                        p[np++] = CDB_INT(f->time);
                        p[np++] = CDB_INT(f->time);
                        p[np++] = CDB_TEXT(f->scan_id);
                        p[np++] = CDB_INT(s->now);
                }
                r = cdb_exec(c, sql.data, p, np, &changed);
                if (r < 0)
                        return r;
                s->res.findings += (size_t)changed;
                s->res.duplicate_items += k - (size_t)MIN((int64_t)k, changed);
        }
        return 0;
}

static int store_events(cdb_conn_t *c, struct store_ctx *s)
{
        const intake_batch_t *b = s->b;
        int r;

        for (size_t off = 0; off < b->n_events; off += EVENT_CHUNK) {
                size_t k = MIN((size_t)EVENT_CHUNK, b->n_events - off), np = 0;
                _cleanup_free_ cdb_param_t *p = calloc(k * 6, sizeof(*p));
                _cleanup_buf_ buf_t sql;
                int64_t changed = 0;

                if (!p)
                        return -ENOMEM;
                buf_init(&sql, 64 * KiB);
                r = buf_append_str(&sql, "INSERT INTO events (host_id, id, time, received, type,"
                                         " data) VALUES ");
                if (r == 0)
                        r = cdb_values_list(&sql, k, 6, 1);
                if (r == 0)
                        r = buf_append_str(&sql, " ON CONFLICT (host_id, id) DO NOTHING");
                if (r < 0)
                        return r;
                for (size_t i = off; i < off + k; i++) {
                        const intake_event_t *e = &b->events[i];
                        p[np++] = CDB_INT(s->host_id);
                        p[np++] = CDB_TEXT(e->id);
                        p[np++] = CDB_INT(e->time);
                        p[np++] = CDB_INT(s->now);
                        p[np++] = CDB_TEXT(e->type);
                        p[np++] = CDB_TEXT(e->data);
                }
                r = cdb_exec(c, sql.data, p, np, &changed);
                if (r < 0)
                        return r;
                s->res.events += (size_t)changed;
                s->res.duplicate_items += k - (size_t)MIN((int64_t)k, changed);
        }
        return 0;
}

/* A finished scan closes the open findings of its categories that it did
 * not see: findings last seen before the scan finished and not by it. */
static int store_scans(cdb_conn_t *c, struct store_ctx *s)
{
        const intake_batch_t *b = s->b;
        int r;

        for (size_t i = 0; i < b->n_scans; i++) {
                const intake_scan_t *sc = &b->scans[i];
                int64_t inserted = 0, fixed = 0;
                cdb_param_t p[] = { CDB_INT(s->host_id),
                                    CDB_TEXT(sc->id),
                                    CDB_INT(sc->started),
                                    CDB_INT(sc->finished),
                                    CDB_TEXT(sc->categories_json),
                                    CDB_INT(sc->findings),
                                    CDB_INT(s->now) };
                r = cdb_exec(c,
                             "INSERT INTO scans (host_id, id, started, finished, categories,"
                             " findings, fixed, received) VALUES ($1, $2, $3, $4, $5, $6, 0, $7)"
                             " ON CONFLICT (host_id, id) DO NOTHING",
                             p, ELEMENTSOF(p), &inserted);
                if (r < 0)
                        return r;
                if (inserted == 0) {
                        s->res.duplicate_items++;
                        continue;
                }
                s->res.scans++;
                if (sc->n_categories > 0) {
                        _cleanup_buf_ buf_t sql;
                        cdb_param_t q[5 + ELEMENTSOF(sc->categories)];
                        size_t nq = 0;

                        buf_init(&sql, 4 * KiB);
                        r = buf_append_str(&sql,
                                           "UPDATE findings SET status = 'fixed', fixed_at = $3,"
                                           " updated_at = $4 WHERE host_id = $1 AND status = 'open'"
                                           " AND (scan_id IS NULL OR scan_id <> $2)"
                                           " AND last_seen < $5 AND category IN (");
                        for (size_t k = 0; r == 0 && k < sc->n_categories; k++)
                                r = buf_printf(&sql, k ? ", $%zu" : "$%zu", k + 6);
                        if (r == 0)
                                r = buf_append_str(&sql, ")");
                        if (r < 0)
                                return r;
                        q[nq++] = CDB_INT(s->host_id);
                        q[nq++] = CDB_TEXT(sc->id);
                        q[nq++] = CDB_INT(sc->finished);
                        q[nq++] = CDB_INT(s->now);
                        q[nq++] = CDB_INT(sc->started);
                        for (size_t k = 0; k < sc->n_categories; k++)
                                q[nq++] = CDB_TEXT(sc->categories[k]);
                        r = cdb_exec(c, sql.data, q, nq, &fixed);
                        if (r < 0)
                                return r;
                }
                s->res.fixed += (size_t)fixed;
                if (fixed > 0) {
                        cdb_param_t u[] = { CDB_INT(s->host_id), CDB_TEXT(sc->id), CDB_INT(fixed) };
                        r = cdb_exec(c,
                                     "UPDATE scans SET fixed = $3 WHERE host_id = $1 AND id = $2",
                                     u, ELEMENTSOF(u), NULL);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int store_body(cdb_conn_t *c, void *userdata)
{
        struct store_ctx *s = userdata;
        const intake_batch_t *b = s->b;
        const intake_heartbeat_t *hb = &b->heartbeat;
        _cleanup_res_ cdb_res_t *res = NULL;
        hosts_counts_t counts = { 0 };
        int64_t inserted = 0;
        int old_score, r;

        memset(&s->res, 0, sizeof(s->res));
        /* Lock the host's row first: batches of one host are applied one
         * after the other, in every process, and always in this order, so
         * they cannot deadlock. */
        cdb_param_t hp[] = { CDB_INT(s->host_id), CDB_INT(s->now), CDB_TEXT(s->remote) };
        r = cdb_query(c,
                      "UPDATE hosts SET last_seen = $2, last_ip = $3, updated_at = $2"
                      " WHERE id = $1 AND revoked = 0 RETURNING f_high, f_medium, f_low,"
                      " f_baseline, a_urgent, a_suspicious, a_reminder, score",
                      hp, ELEMENTSOF(hp), &res);
        if (r < 0)
                return r;
        r = cdb_next(res);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        counts.in.findings[3] = (unsigned)cdb_get_int(res, 0);
        counts.in.findings[2] = (unsigned)cdb_get_int(res, 1);
        counts.in.findings[1] = (unsigned)cdb_get_int(res, 2);
        counts.in.baseline_failures = (unsigned)cdb_get_int(res, 3);
        counts.in.alerts[3] = (unsigned)cdb_get_int(res, 4);
        counts.in.alerts[2] = (unsigned)cdb_get_int(res, 5);
        counts.in.alerts[1] = (unsigned)cdb_get_int(res, 6);
        old_score = (int)cdb_get_int(res, 7);
        /* PostgreSQL needs the statement read to its end before the next. */
        while ((r = cdb_next(res)) > 0)
                ;
        cdb_res_free(TAKE_PTR(res));

        cdb_param_t bp[] = { CDB_INT(s->host_id), CDB_TEXT(b->batch_id), CDB_INT(b->seq),
                             CDB_INT((int64_t)b->n_items), CDB_INT(s->now) };
        r = cdb_exec(c,
                     "INSERT INTO batches (host_id, batch_id, seq, items, received)"
                     " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (host_id, batch_id) DO NOTHING",
                     bp, ELEMENTSOF(bp), &inserted);
        if (r < 0)
                return r;
        if (inserted == 0) {
                /* Seen before: keep the last_seen update, change nothing else. */
                s->res.duplicate = true;
                s->res.score = old_score;
                goto pending;
        }
        r = store_alerts(c, s, &counts);
        if (r == 0) /* alerts matching an allowlist rule leave the open counts */
                r = handling_intake_allowlist(c, s->host_id, b, s->now, counts.in.alerts, NULL);
        if (r == 0)
                r = store_findings(c, s);
        if (r == 0)
                r = store_scans(c, s);
        if (r == 0)
                r = store_events(c, s);
        if (r < 0)
                return r;
        if (s->res.findings > 0 || s->res.fixed > 0) {
                r = hosts_count_findings(c, s->host_id, &counts);
                if (r < 0)
                        return r;
        }
        r = hosts_score(c, s->host_id, old_score, s->now, &counts);
        if (r < 0)
                return r;
        s->res.score = counts.score;
        if (hb->present)
                s->res.heartbeats = 1;
        {
                cdb_param_t up[] = {
                        CDB_INT(s->host_id),
                        CDB_INT(counts.in.findings[3]),
                        CDB_INT(counts.in.findings[2]),
                        CDB_INT(counts.in.findings[1]),
                        CDB_INT(counts.in.baseline_failures),
                        CDB_INT(counts.in.alerts[3]),
                        CDB_INT(counts.in.alerts[2]),
                        CDB_INT(counts.in.alerts[1]),
                        CDB_INT(counts.score),
                        CDB_INT(b->seq),
                        hb->present && hb->spool_items >= 0 ? CDB_INT(hb->spool_items) : CDB_NULL,
                        hb->present && hb->spool_bytes >= 0 ? CDB_INT(hb->spool_bytes) : CDB_NULL,
                        CDB_TEXT(hb->present ? hb->agent_version : NULL),
                        CDB_TEXT(hb->present ? hb->os : NULL),
                        CDB_TEXT(hb->present ? hb->os_version : NULL),
                        CDB_TEXT(hb->present ? hb->kernel : NULL),
                        CDB_TEXT(hb->present ? hb->hostname : NULL),
                };
                r = cdb_exec(c,
                             "UPDATE hosts SET f_high = $2, f_medium = $3, f_low = $4,"
                             " f_baseline = $5, a_urgent = $6, a_suspicious = $7,"
                             " a_reminder = $8, score = $9,"
                             " last_seq = CASE WHEN last_seq < $10 THEN $10 ELSE last_seq END,"
                             " spool_items = COALESCE(CAST($11 AS BIGINT), spool_items),"
                             " spool_bytes = COALESCE(CAST($12 AS BIGINT), spool_bytes),"
                             " agent_version = COALESCE(CAST($13 AS TEXT), agent_version),"
                             " os = COALESCE(CAST($14 AS TEXT), os),"
                             " os_version = COALESCE(CAST($15 AS TEXT), os_version),"
                             " kernel = COALESCE(CAST($16 AS TEXT), kernel),"
                             " hostname = COALESCE(CAST($17 AS TEXT), hostname)"
                             " WHERE id = $1",
                             up, ELEMENTSOF(up), NULL);
                if (r < 0)
                        return r;
        }
pending : {
        cdb_param_t cp[] = { CDB_INT(s->host_id), CDB_INT(s->now) };
        r = cdb_query_int(c,
                          "SELECT count(*) FROM commands WHERE host_id = $1"
                          " AND status IN ('pending', 'sent') AND expires_at > $2",
                          cp, ELEMENTSOF(cp), &s->res.pending_commands);
        if (r < 0)
                return r;
}
        return 0;
}

int intake_store(cdb_conn_t *c, int64_t host_id, const intake_batch_t *b, const char *remote,
                 int64_t now_us, intake_result_t *ret)
{
        struct store_ctx s = { .host_id = host_id, .b = b, .remote = remote, .now = now_us };
        int r;

        r = cdb_transact(c, 5, store_body, &s);
        if (r < 0)
                return r;
        *ret = s.res;
        return 0;
}

/* ---- the endpoint ---- */

static bool inflight_take(center_t *c, size_t n)
{
        bool ok;

        pthread_mutex_lock(&c->inflight_lock);
        /* One batch always fits, however large, so a big one is never
         * starved; beyond that the total is bounded. */
        ok = c->inflight == 0 || c->inflight + n <= c->cfg.intake_inflight;
        if (ok)
                c->inflight += n;
        pthread_mutex_unlock(&c->inflight_lock);
        return ok;
}

static void inflight_give(center_t *c, size_t n)
{
        pthread_mutex_lock(&c->inflight_lock);
        c->inflight -= n;
        pthread_mutex_unlock(&c->inflight_lock);
}

static bool content_type_json(const char *ct)
{
        size_t n = STRLEN("application/json");

        return ct && strncasecmp(ct, "application/json", n) == 0 &&
               (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ');
}

static int reject(center_t *c, http_resp_t *resp, int status, const char *code, const char *msg)
{
        metrics_add(c->metrics, METRIC_BATCH_REJECTED, 1);
        http_resp_error(resp, status, code, "%s", msg);
        return 0;
}

static int h_batch(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        const char *enc = http_req_header(req, "Content-Encoding");
        _cleanup_free_ char *inflated = NULL, *err = NULL;
        _cleanup_batch_ intake_batch_t *b = NULL;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        intake_limits_t lim = { .max_json = c->cfg.intake_max_json,
                                .max_items = c->cfg.intake_max_items };
        const char *json = req->body;
        size_t len = req->body_len;
        intake_result_t res;
        int64_t now = timeutil_now_us(), retry_us = 0;
        int r;

        if (!content_type_json(http_req_header(req, "Content-Type")))
                return reject(c, resp, 415, "unsupported_media_type",
                              "the batch must be sent as application/json");
        if (enc && strcasecmp(enc, "gzip") == 0) {
                r = intake_gunzip(req->body, req->body_len, lim.max_json, &inflated, &len);
                if (r == -E2BIG) {
                        _cleanup_free_ char *m = str_printf(
                                "the batch inflates to more than %zu bytes", lim.max_json);
                        return reject(c, resp, 413, "body_too_large", m ? m : "too large");
                }
                if (r == -EINVAL)
                        return reject(c, resp, 400, "bad_encoding",
                                      "the body is not a complete gzip stream");
                if (r < 0)
                        goto fail;
                json = inflated;
        } else if (enc && *enc && strcasecmp(enc, "identity") != 0) {
                return reject(c, resp, 415, "unsupported_encoding",
                              "Content-Encoding must be gzip or identity");
        }
        if (!inflight_take(c, len)) {
                metrics_add(c->metrics, METRIC_BATCH_FAILED, 1);
                http_resp_error(resp, 503, "busy", "the center is busy; send again shortly");
                http_resp_header(resp, "Retry-After", "1");
                return 0;
        }
        r = intake_parse(json, len, &lim, now, &b, &err);
        if (r == -ENOMEM) {
                inflight_give(c, len);
                goto fail;
        }
        if (r < 0) {
                inflight_give(c, len);
                return reject(c, resp, r == -E2BIG ? 413 : 400,
                              r == -E2BIG ? "batch_too_large" : "invalid_batch",
                              err ? err : "invalid batch");
        }
        /* The document may be freed now; the batch keeps what it needs. */
        free(TAKE_PTR(inflated));
        if (b->agent_id != req->principal.agent_id) {
                inflight_give(c, len);
                return reject(c, resp, 403, "agent_mismatch",
                              "agent_id does not match the authenticated agent");
        }
        if (ratelimit_take(c->ratelimit, b->agent_id, (double)b->n_items + 1, timeutil_mono_us(),
                           &retry_us) < 0) {
                char secs[24];
                inflight_give(c, len);
                metrics_add(c->metrics, METRIC_RATE_LIMITED, 1);
                snprintf(secs, sizeof(secs), "%lld", (long long)(retry_us / 1000000 + 1));
                http_resp_error(resp, 429, "rate_limited",
                                "this agent sends more than its rate limit; send again later");
                http_resp_header(resp, "Retry-After", secs);
                return 0;
        }
        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = intake_store(conn, b->agent_id, b, req->remote, now, &res);
        inflight_give(c, len);
        if (r == -ENOENT) {
                metrics_add(c->metrics, METRIC_BATCH_REJECTED, 1);
                http_resp_error(resp, 401, "unauthorized", "the agent is not enrolled");
                return 0;
        }
        if (r < 0) {
                center_log(c, CENTER_LOG_ERROR, "intake from agent %lld: %s",
                           (long long)b->agent_id, conn ? cdb_errmsg(conn) : strerror(-r));
                goto fail;
        }
        metrics_add(c->metrics, res.duplicate ? METRIC_BATCH_DUPLICATE : METRIC_BATCH_OK, 1);
        metrics_add(c->metrics, METRIC_RECEIVED_ITEMS, b->n_items);
        metrics_add(c->metrics, METRIC_STORED_ALERT, res.alerts);
        metrics_add(c->metrics, METRIC_STORED_FINDING, res.findings);
        metrics_add(c->metrics, METRIC_STORED_EVENT, res.events);
        metrics_add(c->metrics, METRIC_STORED_SCAN, res.scans);
        metrics_add(c->metrics, METRIC_STORED_HEARTBEAT, res.heartbeats);
        metrics_add(c->metrics, METRIC_DUPLICATE_ITEMS,
                    res.duplicate ? b->n_items : res.duplicate_items);
        metrics_observe_intake(c->metrics, timeutil_mono_us() - req->start_us);
        return http_resp_json(
                resp, 200,
                json_pack("{s:b, s:s, s:I, s:b, s:{s:I, s:I, s:I, s:I}, s:I, s:I, s:i, s:I}", "ok",
                          1, "batch_id", b->batch_id, "seq", (json_int_t)b->seq, "duplicate",
                          res.duplicate, "stored", "alerts", (json_int_t)res.alerts, "findings",
                          (json_int_t)res.findings, "events", (json_int_t)res.events, "scans",
                          (json_int_t)res.scans, "duplicate_items",
                          (json_int_t)(res.duplicate ? b->n_items : res.duplicate_items), "fixed",
                          (json_int_t)res.fixed, "score", res.score, "commands",
                          (json_int_t)res.pending_commands));
fail:
        metrics_add(c->metrics, METRIC_BATCH_FAILED, 1);
        http_resp_error(resp, 503, "unavailable", "the batch could not be stored; send it again");
        http_resp_header(resp, "Retry-After", "5");
        return r < 0 ? r : -EIO;
}

/* The route's cap is the largest compressed body any configuration allows;
 * the handler checks the configured one. */
const http_route_t intake_routes[] = {
        { "POST", "/api/v1/agent/batch", HTTP_AUTH_AGENT, 64 * MiB, h_batch },
};
const size_t intake_n_routes = ELEMENTSOF(intake_routes);
