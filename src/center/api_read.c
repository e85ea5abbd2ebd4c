#include "center/api_read.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "center/center.h"
#include "center/commands.h"
#include "center/cutil.h"
#include "center/hosts.h"
#include "core/alert.h"
#include "core/finding.h"
#include "core/jsonx.h"
#include "core/score.h"
#include "core/text.h"
#include "core/timeutil.h"

#define QB_MAX_PARAMS 48

/* What row functions of a list need besides the row. */
struct list_ctx {
        int64_t now, offline;
        int sort;
};
#define LIST_MAX 8 /* entries in a comma-separated filter */

static const char *const alert_levels[4] = { NULL, "reminder", "suspicious", "urgent" };
static const char *const finding_levels[4] = { NULL, "low", "medium", "high" };

/* ---- a small SQL builder for filtered queries ---- */

struct qb {
        buf_t sql;
        cdb_param_t p[QB_MAX_PARAMS];
        char *owned[QB_MAX_PARAMS]; /* text parameters this builder copied */
        size_t n;
        int err;
};

static void qb_init(struct qb *q, const char *base)
{
        memset(q, 0, sizeof(*q));
        buf_init(&q->sql, 16 * KiB);
        if (buf_append_str(&q->sql, base) < 0)
                q->err = -ENOMEM;
}

static void qb_free(struct qb *q)
{
        buf_free(&q->sql);
        for (size_t i = 0; i < q->n; i++)
                free(q->owned[i]);
}

/* Add a parameter; returns its number ($N). */
static int qb_param(struct qb *q, cdb_param_t v)
{
        if (q->n >= QB_MAX_PARAMS) {
                q->err = -E2BIG;
                return 1;
        }
        if (v.type == CDB_T_TEXT) {
                q->owned[q->n] = strdup(v.s);
                if (!q->owned[q->n]) {
                        q->err = -ENOMEM;
                        return 1;
                }
                v.s = q->owned[q->n];
        }
        q->p[q->n++] = v;
        return (int)q->n;
}

static void qb_sql(struct qb *q, const char *fmt, ...) _printf_(2, 3);
static void qb_sql(struct qb *q, const char *fmt, ...)
{
        char tmp[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        if (buf_append_str(&q->sql, tmp) < 0)
                q->err = -ENOMEM;
}

/* ---- request parameters ---- */

static int bad_filter(http_resp_t *resp, const char *name, const char *fmt, ...) _printf_(3, 4);
static int bad_filter(http_resp_t *resp, const char *name, const char *fmt, ...)
{
        char msg[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        http_resp_error(resp, 400, "invalid_filter", "%s: %s", name, msg);
        return -EINVAL;
}

static int get_limit(const http_req_t *req, http_resp_t *resp, size_t *ret)
{
        const char *s = http_req_query(req, "limit");
        unsigned long long v;

        *ret = API_READ_DEFAULT_LIMIT;
        if (!s)
                return 0;
        if (str_to_u64(s, &v) < 0 || v < 1 || v > API_READ_MAX_LIMIT)
                return bad_filter(resp, "limit", "must be from 1 to %d", API_READ_MAX_LIMIT);
        *ret = (size_t)v;
        return 0;
}

/* A comma list from the query into OUT (copies into BUF). */
static int get_list(const http_req_t *req, http_resp_t *resp, const char *name, char *buf,
                    size_t bufsize, const char **out, size_t *n)
{
        const char *s = http_req_query(req, name);
        char *p;

        *n = 0;
        if (!s)
                return 0;
        if (strlen(s) >= bufsize)
                return bad_filter(resp, name, "too long");
        memcpy(buf, s, strlen(s) + 1);
        p = buf;
        for (;;) {
                char *comma = strchr(p, ',');
                if (comma)
                        *comma = 0;
                if (!*p)
                        return bad_filter(resp, name, "has an empty entry");
                if (*n >= LIST_MAX)
                        return bad_filter(resp, name, "has more than %d entries", LIST_MAX);
                out[(*n)++] = p;
                if (!comma)
                        break;
                p = comma + 1;
        }
        return 0;
}

static int level_value(const char *const *names, const char *s)
{
        for (int l = 1; l <= 3; l++)
                if (strcmp(names[l], s) == 0)
                        return l;
        return 0;
}

/* Filter "COL IN (...)" on the level names in ?NAME. */
static int filter_levels(struct qb *q, const http_req_t *req, http_resp_t *resp, const char *name,
                         const char *col, const char *const *names)
{
        const char *v[LIST_MAX];
        char buf[256];
        size_t n;
        int r = get_list(req, resp, name, buf, sizeof(buf), v, &n);

        if (r < 0 || n == 0)
                return r;
        qb_sql(q, " AND %s IN (", col);
        for (size_t i = 0; i < n; i++) {
                int l = level_value(names, v[i]);
                if (!l)
                        return bad_filter(resp, name, "'%s' is not %s, %s or %s", v[i], names[3],
                                          names[2], names[1]);
                qb_sql(q, i ? ", $%d" : "$%d", qb_param(q, CDB_INT(l)));
        }
        qb_sql(q, ")");
        return 0;
}

/* Filter "COL IN (...)" on names checked by VALID. */
static int filter_names(struct qb *q, const http_req_t *req, http_resp_t *resp, const char *name,
                        const char *col, bool (*valid)(const char *))
{
        const char *v[LIST_MAX];
        char buf[1024];
        size_t n;
        int r = get_list(req, resp, name, buf, sizeof(buf), v, &n);

        if (r < 0 || n == 0)
                return r;
        qb_sql(q, " AND %s IN (", col);
        for (size_t i = 0; i < n; i++) {
                if (!valid(v[i]))
                        return bad_filter(resp, name, "'%s' is not a known value", v[i]);
                qb_sql(q, i ? ", $%d" : "$%d", qb_param(q, CDB_TEXT(v[i])));
        }
        qb_sql(q, ")");
        return 0;
}

static bool valid_alert_type(const char *s)
{
        alert_type_t t;
        return alert_type_from_name(s, &t) == 0;
}

static bool valid_category(const char *s)
{
        finding_category_t c;
        return finding_category_from_name(s, &c) == 0;
}

static bool valid_finding_status(const char *s)
{
        return strcmp(s, "open") == 0 || strcmp(s, "fixed") == 0 || strcmp(s, "ignored") == 0;
}

static bool valid_alert_status(const char *s)
{
        return strcmp(s, "open") == 0 || strcmp(s, "handled") == 0 || strcmp(s, "ignored") == 0 ||
               strcmp(s, "allowlisted") == 0;
}

static bool valid_name(const char *s)
{
        size_t n = 0;

        for (; *s; s++, n++)
                if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || n >= 128)
                        return false;
        return n > 0;
}

/* ?host=ID[,ID...] */
static int filter_hosts(struct qb *q, const http_req_t *req, http_resp_t *resp, const char *col)
{
        const char *v[LIST_MAX];
        char buf[256];
        size_t n;
        int r = get_list(req, resp, "host", buf, sizeof(buf), v, &n);

        if (r < 0 || n == 0)
                return r;
        qb_sql(q, " AND %s IN (", col);
        for (size_t i = 0; i < n; i++) {
                int64_t id;
                if (cutil_parse_id(v[i], &id) < 0)
                        return bad_filter(resp, "host", "'%s' is not a host id", v[i]);
                qb_sql(q, i ? ", $%d" : "$%d", qb_param(q, CDB_INT(id)));
        }
        qb_sql(q, ")");
        return 0;
}

/* ?since= and ?until= on COL (inclusive since, exclusive until). */
static int filter_time(struct qb *q, const http_req_t *req, http_resp_t *resp, const char *col)
{
        const char *since = http_req_query(req, "since"), *until = http_req_query(req, "until");
        int64_t t;

        if (since) {
                if (cutil_parse_time_param(since, &t) < 0)
                        return bad_filter(resp, "since", "must be an ISO 8601 time or seconds");
                qb_sql(q, " AND %s >= $%d", col, qb_param(q, CDB_INT(t)));
        }
        if (until) {
                if (cutil_parse_time_param(until, &t) < 0)
                        return bad_filter(resp, "until", "must be an ISO 8601 time or seconds");
                qb_sql(q, " AND %s < $%d", col, qb_param(q, CDB_INT(t)));
        }
        return 0;
}

/* A cursor is base64url of a JSON array of the last row's sort key. */
static json_t *cursor_decode(const http_req_t *req, http_resp_t *resp, const char *types)
{
        const char *s = http_req_query(req, "cursor");
        _cleanup_free_ char *raw = NULL;
        size_t n, len = strlen(types);
        json_t *arr;

        if (!s)
                return NULL;
        if (cutil_b64url_decode(s, 1024, &raw, &n) < 0)
                goto bad;
        arr = json_loadb(raw, n, 0, NULL);
        if (!json_is_array(arr) || json_array_size(arr) != len) {
                json_decref(arr);
                goto bad;
        }
        for (size_t i = 0; i < len; i++) {
                json_t *e = json_array_get(arr, i);
                if ((types[i] == 'i' && !json_is_integer(e)) ||
                    (types[i] == 's' && !json_is_string(e))) {
                        json_decref(arr);
                        goto bad;
                }
        }
        return arr;
bad:
        bad_filter(resp, "cursor", "not a cursor from this API");
        return json_null(); /* a marker: the caller checks resp->status */
}

static json_t *cursor_encode(json_t *key)
{
        _cleanup_free_ char *text = NULL;
        char *enc;
        json_t *j;

        if (!key)
                return json_null();
        text = json_dumps(key, JSON_COMPACT);
        json_decref(key);
        if (!text)
                return NULL;
        enc = cutil_b64url_encode(text, strlen(text));
        if (!enc)
                return NULL;
        j = json_string(enc);
        free(enc);
        return j;
}

static json_t *stored_json(const char *s)
{
        json_t *j = s ? json_loads(s, 0, NULL) : NULL;

        return j ? j : json_null();
}

static json_t *text_or_null(const char *s)
{
        return s ? jsonx_string_lossy(s) : json_null();
}

static int db_fail(center_t *c, http_resp_t *resp, cdb_conn_t *conn, int r)
{
        center_log(c, CENTER_LOG_ERROR, "read API: %s", conn ? cdb_errmsg(conn) : strerror(-r));
        http_resp_error(resp, 503, "unavailable", "the database is unavailable");
        return r;
}

/* ---- /api/v1/alerts ---- */

static json_t *alert_row(cdb_res_t *r, const struct list_ctx *lc)
{
        int64_t level = cdb_get_int(r, 6);

        return json_pack(
                "{s:I, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "host_id",
                (json_int_t)cdb_get_int(r, 0), "hostname", text_or_null(cdb_get_text(r, 1)), "id",
                text_or_null(cdb_get_text(r, 2)), "type", text_or_null(cdb_get_text(r, 3)), "rule",
                text_or_null(cdb_get_text(r, 4)), "subject", text_or_null(cdb_get_text(r, 5)),
                "level", level >= 1 && level <= 3 ? alert_levels[level] : "unknown", "time",
                cutil_json_time(cdb_get_int(r, 7)), "received", cutil_json_time(cdb_get_int(r, 8)),
                "title", text_or_null(cdb_get_text(r, 9)), "remediation",
                text_or_null(cdb_get_text(r, 10)), "evidence", stored_json(cdb_get_text(r, 11)),
                "status", text_or_null(cdb_get_text(r, 12)), "status_reason",
                text_or_null(cdb_get_text(r, 13)));
}

/* Run a list query built in Q: rows go through ROW_FN, the sort key of the
 * last row through KEY_FN. */
static int run_list(center_t *c, http_resp_t *resp, struct qb *q, size_t limit,
                    json_t *(*row_fn)(cdb_res_t *, const struct list_ctx *),
                    json_t *(*key_fn)(cdb_res_t *, const struct list_ctx *),
                    const struct list_ctx *lc)
{
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        _cleanup_res_ cdb_res_t *res = NULL;
        json_t *items = json_array(), *next = NULL;
        size_t n = 0;
        int r;

        if (!items)
                return -ENOMEM;
        qb_sql(q, " LIMIT $%d", qb_param(q, CDB_INT((int64_t)limit + 1)));
        if (q->err) {
                json_decref(items);
                http_resp_error(resp, 500, "internal_error", "query too complex");
                return q->err;
        }
        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = cdb_query(conn, q->sql.data, q->p, q->n, &res);
        while (r == 0 && (r = cdb_next(res)) > 0) {
                json_t *o;
                if (n == limit) {
                        /* One more row than asked: there is a next page. */
                        break;
                }
                o = row_fn(res, lc);
                if (!o || json_array_append_new(items, o) < 0) {
                        r = -ENOMEM;
                        break;
                }
                n++;
                if (n == limit) {
                        json_decref(next);
                        next = key_fn(res, lc);
                }
                r = 0;
        }
        if (r < 0) {
                json_decref(items);
                json_decref(next);
                return db_fail(c, resp, conn, r);
        }
        /* r > 0 here means the extra row exists; otherwise no next page. */
        if (r == 0) {
                json_decref(next);
                next = NULL;
        }
        return http_resp_json(
                resp, 200,
                json_pack("{s:o, s:o}", "items", items, "next_cursor", cursor_encode(next)));
}

static json_t *alert_key(cdb_res_t *r, const struct list_ctx *lc)
{
        return json_pack("[I, I, s]", (json_int_t)cdb_get_int(r, 7), (json_int_t)cdb_get_int(r, 0),
                         cdb_get_text(r, 2));
}

static int h_alerts(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        struct qb q;
        size_t limit;
        json_t *cur;
        int r;

        qb_init(&q, "SELECT a.host_id, h.hostname, a.id, a.type, a.rule, a.subject, a.level,"
                    " a.time, a.received, a.title, a.remediation, a.evidence, a.status,"
                    " a.status_reason FROM alerts a JOIN hosts h ON h.id = a.host_id"
                    " WHERE 1 = 1");
        if ((r = get_limit(req, resp, &limit)) < 0 ||
            (r = filter_levels(&q, req, resp, "level", "a.level", alert_levels)) < 0 ||
            (r = filter_names(&q, req, resp, "type", "a.type", valid_alert_type)) < 0 ||
            (r = filter_names(&q, req, resp, "status", "a.status", valid_alert_status)) < 0 ||
            (r = filter_names(&q, req, resp, "rule", "a.rule", valid_name)) < 0 ||
            (r = filter_hosts(&q, req, resp, "a.host_id")) < 0 ||
            (r = filter_time(&q, req, resp, "a.time")) < 0)
                goto out;
        cur = cursor_decode(req, resp, "iis");
        if (resp->status) {
                r = -EINVAL;
                goto out;
        }
        if (cur) {
                int a = qb_param(&q, CDB_INT(json_integer_value(json_array_get(cur, 0))));
                int b = qb_param(&q, CDB_INT(json_integer_value(json_array_get(cur, 1))));
                int d = qb_param(&q, CDB_TEXT(json_string_value(json_array_get(cur, 2))));
                qb_sql(&q, " AND (a.time, a.host_id, a.id) < ($%d, $%d, $%d)", a, b, d);
                json_decref(cur);
        }
        qb_sql(&q, " ORDER BY a.time DESC, a.host_id DESC, a.id DESC");
        r = run_list(c, resp, &q, limit, alert_row, alert_key, NULL);
out:
        qb_free(&q);
        return r;
}

/* ---- /api/v1/findings ---- */

static json_t *finding_row(cdb_res_t *r, const struct list_ctx *lc)
{
        int64_t level = cdb_get_int(r, 5);

        return json_pack(
                "{s:I, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
                " s:o, s:o}",
                "host_id", (json_int_t)cdb_get_int(r, 0), "hostname",
                text_or_null(cdb_get_text(r, 1)), "id", text_or_null(cdb_get_text(r, 2)),
                "category", text_or_null(cdb_get_text(r, 3)), "check",
                text_or_null(cdb_get_text(r, 4)), "level",
                level >= 1 && level <= 3 ? finding_levels[level] : "unknown", "title",
                text_or_null(cdb_get_text(r, 6)), "detail", text_or_null(cdb_get_text(r, 7)),
                "remediation", text_or_null(cdb_get_text(r, 8)), "evidence",
                stored_json(cdb_get_text(r, 9)), "references", stored_json(cdb_get_text(r, 10)),
                "tags", stored_json(cdb_get_text(r, 11)), "status",
                text_or_null(cdb_get_text(r, 12)), "status_reason",
                text_or_null(cdb_get_text(r, 13)), "first_seen",
                cutil_json_time(cdb_get_int(r, 14)), "last_seen",
                cutil_json_time(cdb_get_int(r, 15)), "fixed_at",
                cutil_json_time(cdb_is_null(r, 16) ? 0 : cdb_get_int(r, 16)), "scan_id",
                text_or_null(cdb_get_text(r, 17)));
}

static json_t *finding_key(cdb_res_t *r, const struct list_ctx *lc)
{
        return json_pack("[I, I, s]", (json_int_t)cdb_get_int(r, 15), (json_int_t)cdb_get_int(r, 0),
                         cdb_get_text(r, 2));
}

static int h_findings(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        struct qb q;
        size_t limit;
        json_t *cur;
        int r;

        qb_init(&q, "SELECT f.host_id, h.hostname, f.id, f.category, f.check_id, f.level,"
                    " f.title, f.detail, f.remediation, f.evidence, f.refs, f.tags, f.status,"
                    " f.status_reason, f.first_seen, f.last_seen, f.fixed_at, f.scan_id"
                    " FROM findings f JOIN hosts h ON h.id = f.host_id WHERE 1 = 1");
        if ((r = get_limit(req, resp, &limit)) < 0 ||
            (r = filter_levels(&q, req, resp, "level", "f.level", finding_levels)) < 0 ||
            (r = filter_names(&q, req, resp, "category", "f.category", valid_category)) < 0 ||
            (r = filter_names(&q, req, resp, "status", "f.status", valid_finding_status)) < 0 ||
            (r = filter_names(&q, req, resp, "check", "f.check_id", valid_name)) < 0 ||
            (r = filter_hosts(&q, req, resp, "f.host_id")) < 0 ||
            (r = filter_time(&q, req, resp, "f.last_seen")) < 0)
                goto out;
        cur = cursor_decode(req, resp, "iis");
        if (resp->status) {
                r = -EINVAL;
                goto out;
        }
        if (cur) {
                int a = qb_param(&q, CDB_INT(json_integer_value(json_array_get(cur, 0))));
                int b = qb_param(&q, CDB_INT(json_integer_value(json_array_get(cur, 1))));
                int d = qb_param(&q, CDB_TEXT(json_string_value(json_array_get(cur, 2))));
                qb_sql(&q, " AND (f.last_seen, f.host_id, f.id) < ($%d, $%d, $%d)", a, b, d);
                json_decref(cur);
        }
        qb_sql(&q, " ORDER BY f.last_seen DESC, f.host_id DESC, f.id DESC");
        r = run_list(c, resp, &q, limit, finding_row, finding_key, NULL);
out:
        qb_free(&q);
        return r;
}

/* ---- /api/v1/events ---- */

static json_t *event_row(cdb_res_t *r, const struct list_ctx *lc)
{
        return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "host_id",
                         (json_int_t)cdb_get_int(r, 0), "hostname",
                         text_or_null(cdb_get_text(r, 1)), "id", text_or_null(cdb_get_text(r, 2)),
                         "time", cutil_json_time(cdb_get_int(r, 3)), "received",
                         cutil_json_time(cdb_get_int(r, 4)), "event",
                         text_or_null(cdb_get_text(r, 5)), "data", stored_json(cdb_get_text(r, 6)));
}

static json_t *event_key(cdb_res_t *r, const struct list_ctx *lc)
{
        return json_pack("[I, I, s]", (json_int_t)cdb_get_int(r, 3), (json_int_t)cdb_get_int(r, 0),
                         cdb_get_text(r, 2));
}

static int h_events(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        struct qb q;
        size_t limit;
        json_t *cur;
        int r;

        qb_init(&q, "SELECT e.host_id, h.hostname, e.id, e.time, e.received, e.type, e.data"
                    " FROM events e JOIN hosts h ON h.id = e.host_id WHERE 1 = 1");
        if ((r = get_limit(req, resp, &limit)) < 0 ||
            (r = filter_names(&q, req, resp, "event", "e.type", valid_name)) < 0 ||
            (r = filter_hosts(&q, req, resp, "e.host_id")) < 0 ||
            (r = filter_time(&q, req, resp, "e.time")) < 0)
                goto out;
        cur = cursor_decode(req, resp, "iis");
        if (resp->status) {
                r = -EINVAL;
                goto out;
        }
        if (cur) {
                int a = qb_param(&q, CDB_INT(json_integer_value(json_array_get(cur, 0))));
                int b = qb_param(&q, CDB_INT(json_integer_value(json_array_get(cur, 1))));
                int d = qb_param(&q, CDB_TEXT(json_string_value(json_array_get(cur, 2))));
                qb_sql(&q, " AND (e.time, e.host_id, e.id) < ($%d, $%d, $%d)", a, b, d);
                json_decref(cur);
        }
        qb_sql(&q, " ORDER BY e.time DESC, e.host_id DESC, e.id DESC");
        r = run_list(c, resp, &q, limit, event_row, event_key, NULL);
out:
        qb_free(&q);
        return r;
}

/* ---- /api/v1/hosts ---- */

/* Whether a host (the row of "hosts" in the query) has been scanned: the
 * center has a scan result from it, or a finding, which only scans send.
 * Findings count too because retention deletes old scan results but never
 * findings, and because an agent whose spool is full drops a scan result
 * (its lowest priority) before the findings. A host enrolled but not
 * scanned yet has no findings because nothing looked, not because nothing
 * is wrong: its score is unknown, not 100 (docs/api.md, the HOST object).
 * Both tests are lookups on the tables' primary keys. */
#define HOST_SCANNED_SQL                                                                           \
        "(EXISTS (SELECT 1 FROM scans s WHERE s.host_id = hosts.id) OR"                            \
        " EXISTS (SELECT 1 FROM findings f WHERE f.host_id = hosts.id))"
/* The score hosts sort by: hosts not scanned yet after every scanned one
 * (101 is HOST_SCORE_KEY_UNSCANNED, the key the cursor carries for them). */
#define HOST_SCORE_KEY_SQL       "(CASE WHEN " HOST_SCANNED_SQL " THEN score ELSE 101 END)"
#define HOST_SCORE_KEY_UNSCANNED 101
/* HOSTS_COLUMNS and then whether the host was scanned (1 or 0), at column
 * HOSTS_N_COLUMNS. */
#define HOST_SELECT                                                                                \
        "SELECT " HOSTS_COLUMNS ", CASE WHEN " HOST_SCANNED_SQL " THEN 1 ELSE 0 END FROM hosts"
#define HOST_COL_SCANNED HOSTS_N_COLUMNS
#define HOST_COL_SCORE   11 /* "score" in HOSTS_COLUMNS */

/* The band of a host or fleet without a score (docs/api.md). */
#define BAND_NOT_SCANNED "not scanned"

/* A host row selected with HOST_SELECT as JSON: hosts_row_json's object,
 * with "scanned", and with score null and band "not scanned" for a host
 * that has not been scanned yet. New reference or NULL. */
static json_t *host_json(cdb_res_t *r, int64_t now, int64_t offline)
{
        json_t *o = hosts_row_json(r, 0, now, offline);
        bool scanned = cdb_get_int(r, HOST_COL_SCANNED) != 0;

        if (!o)
                return NULL;
        if (json_object_set_new(o, "scanned", json_boolean(scanned)) < 0 ||
            (!scanned && (json_object_set_new(o, "score", json_null()) < 0 ||
                          json_object_set_new(o, "band", json_string(BAND_NOT_SCANNED)) < 0))) {
                json_decref(o);
                return NULL;
        }
        return o;
}

enum { SORT_HOSTNAME, SORT_SCORE, SORT_LAST_SEEN };

static json_t *host_row(cdb_res_t *r, const struct list_ctx *lc)
{
        return host_json(r, lc->now, lc->offline);
}

static json_t *host_key(cdb_res_t *r, const struct list_ctx *lc)
{
        switch (lc->sort) {
        case SORT_SCORE:
                return json_pack("[I, I]",
                                 (json_int_t)(cdb_get_int(r, HOST_COL_SCANNED)
                                                      ? cdb_get_int(r, HOST_COL_SCORE)
                                                      : HOST_SCORE_KEY_UNSCANNED),
                                 (json_int_t)cdb_get_int(r, 0));
        case SORT_LAST_SEEN:
                return json_pack("[I, I]", (json_int_t)cdb_get_int(r, 8),
                                 (json_int_t)cdb_get_int(r, 0));
        }
        return json_pack("[s, I]", cdb_get_text(r, 1), (json_int_t)cdb_get_int(r, 0));
}

static int h_hosts(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        const char *status = http_req_query(req, "status"), *sort = http_req_query(req, "sort");
        const char *band = http_req_query(req, "band"), *name = http_req_query(req, "hostname");
        const char *revoked = http_req_query(req, "revoked");
        struct qb q;
        size_t limit;
        json_t *cur;
        int r;

        struct list_ctx lc = { .now = timeutil_now_us(),
                               .offline = c->cfg.offline_after_us,
                               .sort = SORT_HOSTNAME };

        qb_init(&q, HOST_SELECT " WHERE 1 = 1");
        if ((r = get_limit(req, resp, &limit)) < 0)
                goto out;
        if (!revoked || strcmp(revoked, "false") == 0)
                qb_sql(&q, " AND revoked = 0");
        else if (strcmp(revoked, "true") == 0)
                qb_sql(&q, " AND revoked = 1");
        else if (strcmp(revoked, "any") != 0) {
                r = bad_filter(resp, "revoked", "must be true, false or any");
                goto out;
        }
        if (status) {
                int k = qb_param(&q, CDB_INT(lc.now - lc.offline));
                if (strcmp(status, "online") == 0)
                        qb_sql(&q, " AND last_seen >= $%d", k);
                else if (strcmp(status, "offline") == 0)
                        qb_sql(&q, " AND last_seen < $%d", k);
                else {
                        r = bad_filter(resp, "status", "must be online or offline");
                        goto out;
                }
        }
        if (band) {
                static const struct {
                        const char *name;
                        int lo, hi;
                } bands[] = { { "secure", 95, 100 },
                              { "few_risks", 85, 94 },
                              { "many_risks", 70, 84 },
                              { "high_risk", 0, 69 } };
                size_t i;
                for (i = 0; i < ELEMENTSOF(bands); i++)
                        if (strcmp(band, bands[i].name) == 0)
                                break;
                if (strcmp(band, "not_scanned") == 0)
                        qb_sql(&q, " AND NOT " HOST_SCANNED_SQL);
                else if (i == ELEMENTSOF(bands)) {
                        r = bad_filter(resp, "band",
                                       "must be secure, few_risks, many_risks, high_risk or "
                                       "not_scanned");
                        goto out;
                } else {
                        qb_sql(&q, " AND " HOST_SCANNED_SQL);
                        qb_sql(&q, " AND score BETWEEN $%d", qb_param(&q, CDB_INT(bands[i].lo)));
                        qb_sql(&q, " AND $%d", qb_param(&q, CDB_INT(bands[i].hi)));
                }
        }
        if (name) {
                if (strlen(name) > 253) {
                        r = bad_filter(resp, "hostname", "too long");
                        goto out;
                }
                qb_sql(&q, " AND hostname = $%d", qb_param(&q, CDB_TEXT(name)));
        }
        if (sort) {
                if (strcmp(sort, "score") == 0)
                        lc.sort = SORT_SCORE;
                else if (strcmp(sort, "last_seen") == 0)
                        lc.sort = SORT_LAST_SEEN;
                else if (strcmp(sort, "hostname") != 0) {
                        r = bad_filter(resp, "sort", "must be hostname, score or last_seen");
                        goto out;
                }
        }
        cur = cursor_decode(req, resp, lc.sort == SORT_HOSTNAME ? "si" : "ii");
        if (resp->status) {
                r = -EINVAL;
                goto out;
        }
        if (cur) {
                json_t *k0 = json_array_get(cur, 0);
                int a = qb_param(&q, lc.sort == SORT_HOSTNAME ? CDB_TEXT(json_string_value(k0))
                                                              : CDB_INT(json_integer_value(k0)));
                int b = qb_param(&q, CDB_INT(json_integer_value(json_array_get(cur, 1))));
                if (lc.sort == SORT_HOSTNAME)
                        qb_sql(&q, " AND (hostname, id) > ($%d, $%d)", a, b);
                else if (lc.sort == SORT_SCORE)
                        qb_sql(&q, " AND (" HOST_SCORE_KEY_SQL ", id) > ($%d, $%d)", a, b);
                else
                        qb_sql(&q, " AND (last_seen, id) < ($%d, $%d)", a, b);
                json_decref(cur);
        }
        if (lc.sort == SORT_HOSTNAME)
                qb_sql(&q, " ORDER BY hostname, id");
        else if (lc.sort == SORT_SCORE)
                qb_sql(&q, " ORDER BY " HOST_SCORE_KEY_SQL ", id");
        else
                qb_sql(&q, " ORDER BY last_seen DESC, id DESC");
        r = run_list(c, resp, &q, limit, host_row, host_key, &lc);
out:
        qb_free(&q);
        return r;
}

static int host_id_param(const http_req_t *req, http_resp_t *resp, int64_t *ret)
{
        if (cutil_parse_id(req->params[0], ret) < 0) {
                http_resp_error(resp, 404, "not_found", "no such host");
                return -ENOENT;
        }
        return 0;
}

static int h_host(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        _cleanup_res_ cdb_res_t *res = NULL;
        json_t *host = NULL, *cats = NULL, *timeline = NULL;
        int64_t id, now = timeutil_now_us(), since;
        int r;

        if (host_id_param(req, resp, &id) < 0)
                return 0;
        r = cdb_acquire(c->db, &conn);
        if (r < 0)
                return db_fail(c, resp, NULL, r);
        cdb_param_t p[] = { CDB_INT(id) };
        r = cdb_query(conn, HOST_SELECT " WHERE id = $1", p, 1, &res);
        if (r == 0)
                r = cdb_next(res);
        if (r < 0)
                return db_fail(c, resp, conn, r);
        if (r == 0)
                return http_resp_error(resp, 404, "not_found", "no such host");
        host = host_json(res, now, c->cfg.offline_after_us);
        cdb_res_free(TAKE_PTR(res));
        if (!host)
                return -ENOMEM;

        /* Open risks by category and level. */
        cats = json_object();
        for (int k = 0; cats && k < CAT__MAX; k++)
                json_object_set_new(cats, finding_category_name((finding_category_t)k),
                                    json_pack("{s:i, s:i, s:i}", "high", 0, "medium", 0, "low", 0));
        r = cdb_query(conn,
                      "SELECT category, level, count(*) FROM findings"
                      " WHERE host_id = $1 AND status = 'open' GROUP BY category, level",
                      p, 1, &res);
        while (r == 0 && (r = cdb_next(res)) > 0) {
                json_t *cat = json_object_get(cats, cdb_get_text(res, 0));
                int64_t l = cdb_get_int(res, 1);
                if (cat && l >= 1 && l <= 3)
                        json_object_set_new(cat, finding_levels[l],
                                            json_integer(cdb_get_int(res, 2)));
                r = 0;
        }
        cdb_res_free(TAKE_PTR(res));
        if (r < 0) {
                json_decref(host);
                json_decref(cats);
                return db_fail(c, resp, conn, r);
        }

        /* New alerts per day over the last 30 days. */
        since = cutil_hour(now) - 30 * USEC_PER_DAY;
        timeline = json_array();
        cdb_param_t tp[] = { CDB_INT(id), CDB_INT(since) };
        r = cdb_query(conn,
                      "SELECT bucket, level, n FROM alert_counts WHERE host_id = $1"
                      " AND bucket >= $2 ORDER BY bucket",
                      tp, ELEMENTSOF(tp), &res);
        {
                int64_t day = -1;
                json_t *cur = NULL;
                while (r == 0 && (r = cdb_next(res)) > 0) {
                        int64_t b = cdb_get_int(res, 0), l = cdb_get_int(res, 1);
                        int64_t d = b - b % USEC_PER_DAY;
                        r = 0;
                        if (l < 1 || l > 3)
                                continue;
                        if (d != day || !cur) {
                                day = d;
                                cur = json_pack("{s:o, s:i, s:i, s:i}", "day", cutil_json_time(d),
                                                "urgent", 0, "suspicious", 0, "reminder", 0);
                                if (!cur || json_array_append_new(timeline, cur) < 0) {
                                        r = -ENOMEM;
                                        break;
                                }
                        }
                        json_object_set_new(cur, alert_levels[l],
                                            json_integer(json_integer_value(json_object_get(
                                                                 cur, alert_levels[l])) +
                                                         cdb_get_int(res, 2)));
                }
        }
        cdb_res_free(TAKE_PTR(res));
        if (r < 0) {
                json_decref(host);
                json_decref(cats);
                json_decref(timeline);
                return db_fail(c, resp, conn, r);
        }
        json_object_set_new(host, "findings_by_category", cats);
        json_object_set_new(host, "alert_timeline", timeline);
        return http_resp_json(resp, 200, host);
}

static int h_host_commands(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        json_t *arr = NULL;
        size_t limit;
        int64_t id;
        int r;

        if (host_id_param(req, resp, &id) < 0 || get_limit(req, resp, &limit) < 0)
                return 0;
        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = commands_list(conn, id, limit, &arr);
        if (r < 0)
                return db_fail(c, resp, conn, r);
        return http_resp_json(resp, 200, json_pack("{s:o}", "items", arr));
}

/* ---- /api/v1/overview ---- */

static json_t *fleet_counts(const int64_t *v, const char *const *names)
{
        return json_pack("{s:I, s:I, s:I}", names[3], (json_int_t)v[3], names[2], (json_int_t)v[2],
                         names[1], (json_int_t)v[1]);
}

static int overview_trend(cdb_conn_t *conn, int64_t now, int days, json_t **ret, int64_t last24[4])
{
        _cleanup_res_ cdb_res_t *res = NULL;
        json_t *arr = json_array(), *cur = NULL;
        bool daily = days > 2;
        int64_t since = cutil_hour(now) - (int64_t)days * USEC_PER_DAY, day = -1;
        int r;

        if (!arr)
                return -ENOMEM;
        cdb_param_t p[] = { CDB_INT(since) };
        r = cdb_query(conn,
                      "SELECT bucket, score, mean_score, hosts, online, new_urgent,"
                      " new_suspicious, new_reminder FROM fleet_history WHERE bucket >= $1"
                      " ORDER BY bucket",
                      p, 1, &res);
        while (r == 0 && (r = cdb_next(res)) > 0) {
                int64_t b = cdb_get_int(res, 0), key = daily ? b - b % USEC_PER_DAY : b;
                int64_t nu = cdb_get_int(res, 5), ns = cdb_get_int(res, 6),
                        nr = cdb_get_int(res, 7);
                r = 0;
                if (b >= now - USEC_PER_DAY - USEC_PER_HOUR) {
                        last24[3] += nu;
                        last24[2] += ns;
                        last24[1] += nr;
                }
                if (key != day || !cur) {
                        day = key;
                        cur = json_pack("{s:o, s:I, s:f, s:I, s:I, s:{s:I, s:I, s:I}}", "time",
                                        cutil_json_time(key), "score",
                                        (json_int_t)cdb_get_int(res, 1), "mean_score",
                                        cdb_get_real(res, 2), "hosts",
                                        (json_int_t)cdb_get_int(res, 3), "online",
                                        (json_int_t)cdb_get_int(res, 4), "new_alerts", "urgent",
                                        (json_int_t)nu, "suspicious", (json_int_t)ns, "reminder",
                                        (json_int_t)nr);
                        if (!cur || json_array_append_new(arr, cur) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                        continue;
                }
                /* Later hours of the same day: the score is the day's last,
                 * new alerts add up. */
                {
                        json_t *na = json_object_get(cur, "new_alerts");
                        json_object_set_new(cur, "score", json_integer(cdb_get_int(res, 1)));
                        json_object_set_new(cur, "mean_score", json_real(cdb_get_real(res, 2)));
                        json_object_set_new(cur, "hosts", json_integer(cdb_get_int(res, 3)));
                        json_object_set_new(cur, "online", json_integer(cdb_get_int(res, 4)));
                        json_object_set_new(
                                na, "urgent",
                                json_integer(json_integer_value(json_object_get(na, "urgent")) +
                                             nu));
                        json_object_set_new(
                                na, "suspicious",
                                json_integer(json_integer_value(json_object_get(na, "suspicious")) +
                                             ns));
                        json_object_set_new(
                                na, "reminder",
                                json_integer(json_integer_value(json_object_get(na, "reminder")) +
                                             nr));
                }
        }
        if (r < 0) {
                json_decref(arr);
                return r;
        }
        *ret = arr;
        return 0;
}

static int host_list(cdb_conn_t *conn, const char *sql, bool param, int64_t now, int64_t offline,
                     json_t **ret)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        json_t *arr = json_array();
        cdb_param_t p[] = { CDB_INT(now - offline) };
        int r;

        if (!arr)
                return -ENOMEM;
        r = cdb_query(conn, sql, p, param ? 1 : 0, &res);
        while (r == 0 && (r = cdb_next(res)) > 0) {
                json_t *o = host_json(res, now, offline);
                if (!o || json_array_append_new(arr, o) < 0) {
                        r = -ENOMEM;
                        break;
                }
                r = 0;
        }
        if (r < 0) {
                json_decref(arr);
                return r;
        }
        *ret = arr;
        return 0;
}

/* The part of the fleet's figures that only scanned hosts count in. */
struct scored_fleet {
        int64_t hosts;     /* active hosts scanned */
        int64_t bands[4];  /* of them, per score_band_t */
        double mean_score; /* over them; meaningless when hosts is 0 */
        int score;         /* score_compute over their open counts */
};

/* The fleet score applies the host rules to the open risks and alerts of
 * the active hosts that have been scanned (docs/score.md): a host not
 * scanned yet would count as a clean one and lift the score, and its
 * alerts alone would make a score that says nothing about its risks. */
static int scored_fleet(cdb_conn_t *conn, struct scored_fleet *ret)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        struct scored_fleet f = { 0 };
        score_input_t in = { 0 };
        int r;

        r = cdb_query(conn,
                      "SELECT count(*), sum(f_high), sum(f_medium), sum(f_low), sum(f_baseline),"
                      " sum(a_urgent), sum(a_suspicious), sum(a_reminder), sum(score),"
                      " sum(CASE WHEN score >= 95 THEN 1 ELSE 0 END),"
                      " sum(CASE WHEN score >= 85 AND score < 95 THEN 1 ELSE 0 END),"
                      " sum(CASE WHEN score >= 70 AND score < 85 THEN 1 ELSE 0 END),"
                      " sum(CASE WHEN score < 70 THEN 1 ELSE 0 END)"
                      " FROM hosts WHERE revoked = 0 AND " HOST_SCANNED_SQL,
                      NULL, 0, &res);
        if (r == 0)
                r = cdb_next(res);
        if (r < 0)
                return r;
        if (r > 0) {
                int64_t v[8];
                for (int k = 0; k < 8; k++)
                        v[k] = cdb_get_int(res, k + 1);
                f.hosts = cdb_get_int(res, 0);
                in.findings[3] = (unsigned)MIN(v[0], (int64_t)UINT32_MAX);
                in.findings[2] = (unsigned)MIN(v[1], (int64_t)UINT32_MAX);
                in.findings[1] = (unsigned)MIN(v[2], (int64_t)UINT32_MAX);
                in.baseline_failures = (unsigned)MIN(v[3], (int64_t)UINT32_MAX);
                in.alerts[3] = (unsigned)MIN(v[4], (int64_t)UINT32_MAX);
                in.alerts[2] = (unsigned)MIN(v[5], (int64_t)UINT32_MAX);
                in.alerts[1] = (unsigned)MIN(v[6], (int64_t)UINT32_MAX);
                f.mean_score = f.hosts ? (double)v[7] / (double)f.hosts : 0;
                f.bands[SCORE_SECURE] = cdb_get_int(res, 9);
                f.bands[SCORE_FEW_RISKS] = cdb_get_int(res, 10);
                f.bands[SCORE_MANY_RISKS] = cdb_get_int(res, 11);
                f.bands[SCORE_HIGH_RISK] = cdb_get_int(res, 12);
        }
        f.score = score_compute(&in);
        *ret = f;
        return 0;
}

static int h_overview(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        const char *ds = http_req_query(req, "days");
        int64_t now = timeutil_now_us(), last24[4] = { 0 };
        json_t *trend = NULL, *attention = NULL, *offline = NULL;
        unsigned long long days = 7;
        struct scored_fleet sf = { 0 };
        hosts_fleet_t f;
        json_t *fleet;
        int r;

        if (ds && (str_to_u64(ds, &days) < 0 || days < 1 || days > 400))
                return bad_filter(resp, "days", "must be from 1 to 400");
        r = cdb_acquire(c->db, &conn);
        if (r < 0)
                return db_fail(c, resp, NULL, r);
        /* One snapshot, so the numbers agree with each other. */
        r = cdb_begin_read(conn);
        if (r == 0)
                r = hosts_fleet(conn, now, c->cfg.offline_after_us, &f);
        if (r == 0)
                r = scored_fleet(conn, &sf);
        if (r == 0)
                r = overview_trend(conn, now, (int)days, &trend, last24);
        if (r == 0)
                r = host_list(conn,
                              HOST_SELECT " WHERE revoked = 0"
                                          " AND score < 95 ORDER BY score, id LIMIT 10",
                              false, now, c->cfg.offline_after_us, &attention);
        if (r == 0)
                r = host_list(conn,
                              HOST_SELECT " WHERE revoked = 0"
                                          " AND last_seen < $1 ORDER BY last_seen, id LIMIT 10",
                              true, now, c->cfg.offline_after_us, &offline);
        cdb_rollback(conn);
        if (r < 0) {
                json_decref(trend);
                json_decref(attention);
                return db_fail(c, resp, conn, r);
        }
        /* With no host scanned there is no fleet score either. */
        if (sf.hosts > 0)
                fleet = json_pack("{s:i, s:s, s:f}", "score", sf.score, "band",
                                  score_band_name(score_band(sf.score)), "mean_host_score",
                                  sf.mean_score);
        else
                fleet = json_pack("{s:n, s:s, s:n}", "score", "band", BAND_NOT_SCANNED,
                                  "mean_host_score");
        return http_resp_json(
                resp, 200,
                json_pack("{s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I, "
                          "s:I}}, s:{s:o, s:I}, s:{s:o, s:o}, s:o, s:o, s:o}",
                          "generated_at", cutil_json_time(now), "fleet", fleet, "hosts", "total",
                          (json_int_t)f.hosts, "online", (json_int_t)f.online, "offline",
                          (json_int_t)(f.hosts - f.online), "revoked", (json_int_t)f.revoked,
                          "scanned", (json_int_t)sf.hosts, "not_scanned",
                          (json_int_t)(f.hosts - sf.hosts), "by_band", "secure",
                          (json_int_t)sf.bands[SCORE_SECURE], "few_risks",
                          (json_int_t)sf.bands[SCORE_FEW_RISKS], "many_risks",
                          (json_int_t)sf.bands[SCORE_MANY_RISKS], "high_risk",
                          (json_int_t)sf.bands[SCORE_HIGH_RISK], "not_scanned",
                          (json_int_t)(f.hosts - sf.hosts), "findings", "open",
                          fleet_counts(f.findings, finding_levels), "baseline",
                          (json_int_t)f.baseline, "alerts", "open",
                          fleet_counts(f.alerts, alert_levels), "last_24h",
                          fleet_counts(last24, alert_levels), "trend", trend, "attention",
                          attention, "offline_hosts", offline));
}

/* ---- /api/v1/scores/history ---- */

static int h_history(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        _cleanup_res_ cdb_res_t *res = NULL;
        const char *hs = http_req_query(req, "host"), *ss = http_req_query(req, "since"),
                   *us = http_req_query(req, "until");
        int64_t now = timeutil_now_us(), since = now - 7 * USEC_PER_DAY, until = now + 1, host = 0;
        json_t *arr = json_array();
        int r;

        if (!arr)
                return -ENOMEM;
        if ((hs && cutil_parse_id(hs, &host) < 0) ||
            (ss && cutil_parse_time_param(ss, &since) < 0) ||
            (us && cutil_parse_time_param(us, &until) < 0) || until <= since ||
            until - since > 800 * USEC_PER_DAY) {
                json_decref(arr);
                return bad_filter(resp, "host/since/until",
                                  "host must be a host id, since and until times (at most 800 "
                                  "days apart, since first)");
        }
        r = cdb_acquire(c->db, &conn);
        if (r < 0) {
                json_decref(arr);
                return db_fail(c, resp, NULL, r);
        }
        if (host) {
                int64_t prev = -1;
                cdb_param_t p[] = { CDB_INT(host), CDB_INT(since), CDB_INT(until) };
                /* The last sample before SINCE is the score at SINCE. */
                r = cdb_query_int(conn,
                                  "SELECT score FROM score_history WHERE host_id = $1"
                                  " AND bucket < $2 ORDER BY bucket DESC LIMIT 1",
                                  p, 2, &prev);
                if (r == -ENOENT)
                        r = 0, prev = -1;
                if (r == 0 && prev >= 0)
                        json_array_append_new(arr, json_pack("{s:o, s:I}", "time",
                                                             cutil_json_time(since), "score",
                                                             (json_int_t)prev));
                if (r == 0)
                        r = cdb_query(conn,
                                      "SELECT bucket, score FROM score_history WHERE host_id = $1"
                                      " AND bucket >= $2 AND bucket < $3 ORDER BY bucket",
                                      p, ELEMENTSOF(p), &res);
                while (r == 0 && (r = cdb_next(res)) > 0) {
                        json_array_append_new(arr,
                                              json_pack("{s:o, s:I}", "time",
                                                        cutil_json_time(cdb_get_int(res, 0)),
                                                        "score", (json_int_t)cdb_get_int(res, 1)));
                        r = 0;
                }
        } else {
                cdb_param_t p[] = { CDB_INT(since), CDB_INT(until) };
                r = cdb_query(conn,
                              "SELECT bucket, score, mean_score FROM fleet_history"
                              " WHERE bucket >= $1 AND bucket < $2 ORDER BY bucket",
                              p, ELEMENTSOF(p), &res);
                while (r == 0 && (r = cdb_next(res)) > 0) {
                        json_array_append_new(arr,
                                              json_pack("{s:o, s:I, s:f}", "time",
                                                        cutil_json_time(cdb_get_int(res, 0)),
                                                        "score", (json_int_t)cdb_get_int(res, 1),
                                                        "mean_score", cdb_get_real(res, 2)));
                        r = 0;
                }
        }
        if (r < 0) {
                json_decref(arr);
                return db_fail(c, resp, conn, r);
        }
        return http_resp_json(resp, 200,
                              json_pack("{s:o, s:o}", "host",
                                        host ? json_integer(host) : json_null(), "points", arr));
}

const http_route_t api_read_routes[] = {
        { "GET", "/api/v1/overview", HTTP_AUTH_VIEWER, 0, h_overview },
        { "GET", "/api/v1/hosts", HTTP_AUTH_VIEWER, 0, h_hosts },
        { "GET", "/api/v1/hosts/{}", HTTP_AUTH_VIEWER, 0, h_host },
        { "GET", "/api/v1/hosts/{}/commands", HTTP_AUTH_VIEWER, 0, h_host_commands },
        { "GET", "/api/v1/findings", HTTP_AUTH_VIEWER, 0, h_findings },
        { "GET", "/api/v1/alerts", HTTP_AUTH_VIEWER, 0, h_alerts },
        { "GET", "/api/v1/events", HTTP_AUTH_VIEWER, 0, h_events },
        { "GET", "/api/v1/scores/history", HTTP_AUTH_VIEWER, 0, h_history },
};
const size_t api_read_n_routes = ELEMENTSOF(api_read_routes);
