#include "center/notify.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "center/cutil.h"
#include "center/notify_conf.h"
#include "center/notify_render.h"
#include "center/notify_send.h"
#include "center/retention.h"
#include "core/jsonx.h"
#include "core/text.h"
#include "core/timeutil.h"

#define MAX_CHANNELS   256
#define CHANNEL_BODY   (16 * KiB)
#define SEND_BODY_MAX  (1 * MiB)
#define ERROR_MAX      500
#define INBOX_MAX_LIST 500

int64_t notify_backoff_us(int attempts)
{
        int64_t d = NOTIFY_RETRY_BASE_US;

        for (int i = 1; i < attempts && d < NOTIFY_RETRY_MAX_US; i++)
                d *= 2;
        return MIN(d, NOTIFY_RETRY_MAX_US);
}

/* ---- settings and channels in the database ---- */

static int settings_load(cdb_conn_t *conn, notify_settings_t *ret, bool *ret_saved)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        _cleanup_free_ char *err = NULL;
        int r;

        r = cdb_query(conn, "SELECT doc FROM notify_settings WHERE id = 1", NULL, 0, &res);
        if (r == 0)
                r = cdb_next(res);
        if (r < 0)
                return r;
        if (ret_saved)
                *ret_saved = r > 0;
        if (r == 0) {
                notify_settings_init(ret);
                return 0;
        }
        /* The document was checked before it was stored; failing here means
         * it was edited by hand, and the defaults (all off) are safer than
         * guessing. */
        const char *doc = cdb_get_text(res, 0);
        r = notify_settings_parse(doc ? doc : "", doc ? strlen(doc) : 0, ret, &err);
        if (r == -EINVAL || r == -E2BIG) {
                notify_settings_init(ret);
                return 0;
        }
        return r;
}

typedef struct chanlist {
        notify_channel_t ch[MAX_CHANNELS];
        size_t n;
} chanlist_t;

static void chanlist_clear(chanlist_t *l)
{
        for (size_t i = 0; i < l->n; i++)
                notify_channel_clear(&l->ch[i]);
        l->n = 0;
}

static int channel_from_row(int64_t id, const char *config, notify_channel_t *ret)
{
        _cleanup_free_ char *err = NULL;
        json_t *o = json_loads(config ? config : "", 0, NULL);
        int r;

        if (!o)
                return -EINVAL;
        r = notify_channel_parse(o, ret, &err);
        json_decref(o);
        if (r == 0)
                ret->id = id;
        return r;
}

static int channels_load(cdb_conn_t *conn, chanlist_t *l)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        int r;

        l->n = 0;
        r = cdb_query(conn, "SELECT id, config FROM notify_channels ORDER BY name", NULL, 0, &res);
        while (r == 0 && l->n < MAX_CHANNELS && (r = cdb_next(res)) > 0) {
                r = channel_from_row(cdb_get_int(res, 0), cdb_get_text(res, 1), &l->ch[l->n]);
                if (r == 0)
                        l->n++;
                else if (r == -EINVAL)
                        r = 0; /* a row edited by hand: skipped */
        }
        return r < 0 ? r : 0;
}

static const notify_channel_t *chanlist_find(const chanlist_t *l, const char *name)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->ch[i].name, name) == 0)
                        return &l->ch[i];
        return NULL;
}

/* ---- queueing new alerts and findings ---- */

struct source {
        const char *name; /* cursor row */
        bool alert;
        const char *sql; /* rows after the cursor: host_id, id, level, t */
};

static const struct source sources[] = {
        { "alert", true,
          "SELECT host_id, id, level, received FROM alerts"
          " WHERE (received, host_id, id) > ($1, $2, $3) AND received <= $4"
          " AND status = 'open' ORDER BY received, host_id, id LIMIT $5" },
        { "finding", false,
          "SELECT host_id, id, level, updated_at FROM findings"
          " WHERE (updated_at, host_id, id) > ($1, $2, $3) AND updated_at <= $4"
          " AND status = 'open' ORDER BY updated_at, host_id, id LIMIT $5" },
};

struct queue_ctx {
        const struct source *src;
        const notify_settings_t *s;
        const chanlist_t *chans;
        int64_t now, limit;
        int64_t queued;
        bool more;
};

/* One page of a source into the queue, in one transaction. */
static int queue_page(cdb_conn_t *c, void *userdata)
{
        struct queue_ctx *q = userdata;
        _cleanup_res_ cdb_res_t *cur = NULL, *res = NULL;
        _cleanup_free_ char *cur_id = NULL, *last_id = NULL;
        int64_t cur_t, cur_h, last_t = 0, last_h = 0, rows = 0;
        struct row {
                int64_t host, level, t;
                char *id;
        } *page = NULL;
        int r;

        q->more = false;
        cdb_param_t pc[] = { CDB_TEXT(q->src->name) };
        r = cdb_query(c, "SELECT t, host_id, item_id FROM notify_cursor WHERE source = $1", pc, 1,
                      &cur);
        if (r == 0)
                r = cdb_next(cur);
        if (r <= 0)
                return r < 0 ? r : 1; /* never configured: nothing to do */
        cur_t = cdb_get_int(cur, 0);
        cur_h = cdb_get_int(cur, 1);
        cur_id = strdup(cdb_get_text(cur, 2) ? cdb_get_text(cur, 2) : "");
        cdb_res_free(TAKE_PTR(cur));
        if (!cur_id)
                return -ENOMEM;

        page = calloc(NOTIFY_PAGE, sizeof(*page));
        if (!page)
                return -ENOMEM;
        cdb_param_t p[] = { CDB_INT(cur_t), CDB_INT(cur_h), CDB_TEXT(cur_id), CDB_INT(q->limit),
                            CDB_INT(NOTIFY_PAGE) };
        r = cdb_query(c, q->src->sql, p, ELEMENTSOF(p), &res);
        while (r == 0 && (r = cdb_next(res)) > 0) {
                struct row *w = &page[rows];
                w->host = cdb_get_int(res, 0);
                w->id = strdup(cdb_get_text(res, 1) ? cdb_get_text(res, 1) : "");
                w->level = cdb_get_int(res, 2);
                w->t = cdb_get_int(res, 3);
                rows++;
                r = w->id ? 0 : -ENOMEM;
        }
        cdb_res_free(TAKE_PTR(res));
        for (int64_t i = 0; r == 0 && i < rows; i++) {
                struct row *w = &page[i];
                const notify_rule_t *ru;
                if (w->level < 1 || w->level > 3)
                        continue;
                ru = q->src->alert ? &q->s->alert[w->level] : &q->s->finding[w->level];
                if (!ru->enabled)
                        continue;
                for (size_t k = 0; r == 0 && k < ru->n_channels; k++) {
                        const notify_channel_t *ch = chanlist_find(q->chans, ru->channels[k]);
                        int64_t due, changed = 0;
                        if (!ch)
                                continue;
                        due = notify_due(ru->mode, &ru->sched, MAX(w->t, q->now));
                        cdb_param_t pi[] = {
                                CDB_INT(ch->id),   CDB_TEXT(q->src->name),
                                CDB_INT(w->host),  CDB_TEXT(w->id),
                                CDB_INT(w->level), CDB_INT(ru->mode != NOTIFY_IMMEDIATE),
                                CDB_INT(q->now),   CDB_INT(due)
                        };
                        r = cdb_exec(c,
                                     "INSERT INTO notify_queue (channel_id, kind, host_id, item_id,"
                                     " level, digest, created_at, due_at, status, next_try)"
                                     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $8)"
                                     " ON CONFLICT (channel_id, kind, host_id, item_id) DO NOTHING",
                                     pi, ELEMENTSOF(pi), &changed);
                        q->queued += changed;
                }
        }
        if (r == 0 && rows > 0) {
                struct row *w = &page[rows - 1];
                last_t = w->t;
                last_h = w->host;
                last_id = strdup(w->id);
                if (!last_id)
                        r = -ENOMEM;
        }
        if (r == 0 && rows > 0) {
                /* Compare-and-set: when another process moved the cursor
                 * meanwhile, its rows and ours were the same, and the queue's
                 * key kept them single. */
                cdb_param_t pu[] = { CDB_INT(last_t),        CDB_INT(last_h), CDB_TEXT(last_id),
                                     CDB_TEXT(q->src->name), CDB_INT(cur_t),  CDB_INT(cur_h),
                                     CDB_TEXT(cur_id) };
                r = cdb_exec(c,
                             "UPDATE notify_cursor SET t = $1, host_id = $2, item_id = $3"
                             " WHERE source = $4 AND t = $5 AND host_id = $6 AND item_id = $7",
                             pu, ELEMENTSOF(pu), NULL);
                q->more = rows == NOTIFY_PAGE;
        }
        for (int64_t i = 0; i < rows; i++)
                free(page[i].id);
        free(page);
        return r;
}

/* ---- building the items ---- */

static json_t *stored_json(const char *s)
{
        json_t *j = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
        return j ? j : json_null();
}

static json_t *text_or_null(const char *s)
{
        return s ? jsonx_string_lossy(s) : json_null();
}

/* The item KIND/HOST/ID as the renderers want it, or -ENOENT when it is
 * gone (retention, a deleted host). */
static int item_load(cdb_conn_t *c, const char *kind, int64_t host, const char *id, json_t **ret)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        bool alert = strcmp(kind, "alert") == 0;
        cdb_param_t p[] = { CDB_INT(host), CDB_TEXT(id) };
        json_t *o;
        int r;

        r = cdb_query(c,
                      alert ? "SELECT a.id, a.level, a.title, h.hostname, a.type, a.rule,"
                              " a.subject, a.remediation, a.evidence, a.time, a.received,"
                              " a.status FROM alerts a JOIN hosts h ON h.id = a.host_id"
                              " WHERE a.host_id = $1 AND a.id = $2"
                            : "SELECT f.id, f.level, f.title, h.hostname, f.category,"
                              " f.check_id, f.detail, f.remediation, f.evidence, f.first_seen,"
                              " f.last_seen, f.status FROM findings f"
                              " JOIN hosts h ON h.id = f.host_id"
                              " WHERE f.host_id = $1 AND f.id = $2",
                      p, ELEMENTSOF(p), &res);
        if (r == 0)
                r = cdb_next(res);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        int level = (int)cdb_get_int(res, 1);
        const char *lname = notify_level_name(alert, level);
        o = json_pack("{s:s, s:o, s:s, s:o, s:{s:I, s:o}, s:o, s:o, s:o}", "kind", kind, "id",
                      jsonx_string_lossy(cdb_get_text(res, 0)), "level", lname ? lname : "?",
                      "title", jsonx_string_lossy(cdb_get_text(res, 2)), "host", "id",
                      (json_int_t)host, "hostname", jsonx_string_lossy(cdb_get_text(res, 3)),
                      "remediation", text_or_null(cdb_get_text(res, 7)), "evidence",
                      stored_json(cdb_get_text(res, 8)), "status",
                      jsonx_string_lossy(cdb_get_text(res, 11)));
        if (!o)
                return -ENOMEM;
        if (alert)
                r = json_object_set_new(o, "type", text_or_null(cdb_get_text(res, 4))) |
                    json_object_set_new(o, "rule", text_or_null(cdb_get_text(res, 5))) |
                    json_object_set_new(o, "subject", text_or_null(cdb_get_text(res, 6))) |
                    json_object_set_new(o, "time", cutil_json_time(cdb_get_int(res, 9))) |
                    json_object_set_new(o, "received", cutil_json_time(cdb_get_int(res, 10)));
        else
                r = json_object_set_new(o, "category", text_or_null(cdb_get_text(res, 4))) |
                    json_object_set_new(o, "check", text_or_null(cdb_get_text(res, 5))) |
                    json_object_set_new(o, "detail", text_or_null(cdb_get_text(res, 6))) |
                    json_object_set_new(o, "first_seen", cutil_json_time(cdb_get_int(res, 9))) |
                    json_object_set_new(o, "last_seen", cutil_json_time(cdb_get_int(res, 10)));
        if (r) {
                json_decref(o);
                return -ENOMEM;
        }
        *ret = o;
        return 0;
}

/* ---- sending ---- */

static int inbox_put(cdb_conn_t *c, const notify_channel_t *ch, const json_t *items, int64_t now,
                     char **ret_error)
{
        _cleanup_buf_ buf_t subject = { 0 }, text = { 0 };
        _cleanup_free_ char *items_s = NULL;
        const json_t *first = json_array_get(items, 0);
        const char *level = json_string_value(json_object_get(first, "level"));
        int64_t id;
        int r;

        buf_init(&subject, 1024);
        buf_init(&text, NOTIFY_TEXT_MAX + 64);
        if ((r = notify_render_subject(items, &subject)) < 0 ||
            (r = notify_render_text(items, false, &text)) < 0)
                return r;
        items_s = json_dumps(items, JSON_COMPACT);
        if (!items_s)
                return -ENOMEM;
        if (strlen(items_s) > SEND_BODY_MAX) {
                free(items_s);
                items_s = strdup("[]"); /* the text says what it was; keep the row small */
                if (!items_s)
                        return -ENOMEM;
        }
        if (cutil_random_id(&id) < 0)
                return -EIO;
        cdb_param_t p[] = { CDB_INT(id),
                            CDB_INT(ch->id),
                            CDB_INT(now),
                            CDB_TEXT(json_string_value(json_object_get(first, "kind"))),
                            CDB_TEXT(level ? level : "?"),
                            CDB_TEXT(subject.data ? subject.data : ""),
                            CDB_TEXT(text.data ? text.data : ""),
                            CDB_TEXT(items_s) };
        r = cdb_exec(c,
                     "INSERT INTO notify_inbox (id, channel_id, created_at, kind, level, title,"
                     " body, items) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                     p, ELEMENTSOF(p), NULL);
        if (r < 0)
                *ret_error = str_printf("inbox: %s", cdb_errmsg(c));
        return r;
}

/* Send ITEMS (an array) on CH. Returns 0 or a negative errno with
 * *RET_ERROR (caller frees, may be NULL). */
static int deliver(cdb_conn_t *c, const notify_channel_t *ch, const json_t *items, int64_t now,
                   char **ret_error)
{
        _cleanup_buf_ buf_t body = { 0 };
        int r = 0;

        *ret_error = NULL;
        buf_init(&body, SEND_BODY_MAX);
        switch (ch->kind) {
        case NOTIFY_INBOX:
                return inbox_put(c, ch, items, now, ret_error);
        case NOTIFY_EMAIL: {
                char msgid[33];
                if ((r = cutil_random_hex(msgid, 16)) < 0 ||
                    (r = notify_render_mail(ch, items, now, msgid, &body)) < 0)
                        break;
                return notify_send_mail(ch, body.data, body.len, ret_error);
        }
        case NOTIFY_WEBHOOK:
        case NOTIFY_SLACK:
        case NOTIFY_DINGTALK:
        case NOTIFY_FEISHU:
                r = notify_render_webhook(ch->kind, items, &body);
                if (r < 0)
                        break;
                return notify_send_http(ch->url, body.data, body.len, ret_error);
        case NOTIFY_SYSLOG: {
                char host[256] = "";
                size_t i;
                json_t *it;
                if (gethostname(host, sizeof(host) - 1) < 0)
                        host[0] = '\0';
                /* One syslog message per item, digest or not: receivers
                 * index messages, not lists. */
                json_array_foreach ((json_t *)items, i, it) {
                        buf_reset(&body);
                        r = notify_render_syslog(ch, it, host, now, &body);
                        if (r == 0)
                                r = notify_send_syslog(ch->address, ch->tcp, body.data, body.len,
                                                       ret_error);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        default:
                r = -EINVAL;
        }
        if (r < 0 && !*ret_error)
                *ret_error = str_printf("rendering the message: %s", strerror(-r));
        return r;
}

struct qrow {
        int64_t channel, host, level;
        int64_t attempts;
        bool digest;
        char kind[16];
        char *id;
        bool claimed; /* by this process, in this round */
        bool done;    /* looked at in this round */
};

static int claim(cdb_conn_t *c, const char *instance, struct qrow *q, int64_t now)
{
        int64_t changed = 0;
        cdb_param_t p[] = { CDB_TEXT(instance),  CDB_INT(now + NOTIFY_LEASE_US),
                            CDB_INT(q->channel), CDB_TEXT(q->kind),
                            CDB_INT(q->host),    CDB_TEXT(q->id),
                            CDB_INT(now) };
        int r = cdb_exec(c,
                         "UPDATE notify_queue SET claimed_by = $1, claimed_until = $2"
                         " WHERE channel_id = $3 AND kind = $4 AND host_id = $5 AND item_id = $6"
                         " AND status = 'pending'"
                         " AND (claimed_until IS NULL OR claimed_until < $7)",
                         p, ELEMENTSOF(p), &changed);
        if (r < 0)
                return r;
        q->claimed = changed == 1;
        return 0;
}

/* Record the outcome of one row: STATUS "sent", "suppressed", "dropped",
 * or NULL for a failure (retried later or, after the last attempt,
 * "failed"). */
static int finish(cdb_conn_t *c, const struct qrow *q, const char *status, const char *error,
                  int64_t now)
{
        int attempts = (int)q->attempts + (status && strcmp(status, "sent") != 0 ? 0 : 1);
        const char *st = status ? status : attempts >= NOTIFY_MAX_ATTEMPTS ? "failed" : "pending";
        _cleanup_free_ char *err = error ? str_ndup(error, strnlen(error, ERROR_MAX)) : NULL;
        /* The error may quote a receiver's answer: any bytes. Keep
         * printable ASCII only, so that it is valid text for PostgreSQL and
         * harmless where it is shown. */
        for (char *e = err; e && *e; e++)
                if ((unsigned char)*e < 0x20 || (unsigned char)*e >= 0x7f)
                        *e = '?';
        cdb_param_t p[] = { CDB_TEXT(st),
                            CDB_INT(attempts),
                            CDB_INT(now + notify_backoff_us(attempts)),
                            status && strcmp(status, "sent") == 0 ? CDB_INT(now) : CDB_NULL,
                            CDB_TEXT(err),
                            CDB_INT(q->channel),
                            CDB_TEXT(q->kind),
                            CDB_INT(q->host),
                            CDB_TEXT(q->id) };

        return cdb_exec(c,
                        "UPDATE notify_queue SET status = $1, attempts = $2, next_try = $3,"
                        " sent_at = $4, last_error = $5, claimed_by = NULL, claimed_until = NULL"
                        " WHERE channel_id = $6 AND kind = $7 AND host_id = $8 AND item_id = $9",
                        p, ELEMENTSOF(p), NULL);
}

static int over_limit(cdb_conn_t *c, const notify_channel_t *ch, int64_t host, int64_t now,
                      bool *ret)
{
        int64_t n = 0;
        int r;

        *ret = false;
        if (!ch->max_per_host_day)
                return 0;
        cdb_param_t p[] = { CDB_INT(ch->id), CDB_INT(host), CDB_INT(now - USEC_PER_DAY) };
        r = cdb_query_int(c,
                          "SELECT count(*) FROM notify_queue WHERE channel_id = $1"
                          " AND host_id = $2 AND status = 'sent' AND sent_at > $3",
                          p, ELEMENTSOF(p), &n);
        if (r < 0)
                return r;
        *ret = n >= ch->max_per_host_day;
        return 0;
}

/* Send a group of claimed rows (one immediate row, or the digest rows of
 * one channel and kind) as one message and record the outcome. */
static int send_group(center_t *center, cdb_conn_t *c, const notify_channel_t *ch,
                      struct qrow **rows, size_t n, int64_t now, notify_stats_t *st)
{
        json_t *items = json_array();
        _cleanup_free_ char *err = NULL;
        bool *loaded = calloc(n ? n : 1, sizeof(*loaded));
        int r = 0, sr;

        if (!items || !loaded) {
                json_decref(items);
                free(loaded);
                return -ENOMEM;
        }
        for (size_t i = 0; r == 0 && i < n; i++) {
                json_t *it = NULL;
                bool limited = false;
                if (!rows[i]->digest) {
                        r = over_limit(c, ch, rows[i]->host, now, &limited);
                        if (r == 0 && limited) {
                                r = finish(c, rows[i], "suppressed",
                                           "over the channel's daily limit for this host", now);
                                st->suppressed++;
                                continue;
                        }
                }
                if (r < 0)
                        break;
                r = item_load(c, rows[i]->kind, rows[i]->host, rows[i]->id, &it);
                if (r == -ENOENT) {
                        r = finish(c, rows[i], "dropped", "the item no longer exists", now);
                        st->dropped++;
                        continue;
                }
                if (r == 0 && json_array_append_new(items, it) < 0)
                        r = -ENOMEM;
                if (r == 0)
                        loaded[i] = true;
        }
        if (r == 0 && json_array_size(items) > 0) {
                sr = deliver(c, ch, items, now, &err);
                for (size_t i = 0; r == 0 && i < n; i++) {
                        if (!loaded[i])
                                continue;
                        r = finish(c, rows[i], sr == 0 ? "sent" : NULL, sr == 0 ? NULL : err, now);
                        if (sr == 0)
                                st->sent++;
                }
                if (sr < 0) {
                        st->failed++;
                        metrics_notification_failure(center->metrics, notify_kind_name(ch->kind));
                        center_log(center, CENTER_LOG_WARN, "notification on channel %s failed: %s",
                                   ch->name, err ? err : strerror(-sr));
                }
        }
        json_decref(items);
        free(loaded);
        return r;
}

static int send_due(center_t *center, cdb_conn_t *c, const char *instance, const chanlist_t *chans,
                    int64_t now, notify_stats_t *st)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        struct qrow *rows = calloc(NOTIFY_SEND_BATCH, sizeof(*rows));
        struct qrow **group = calloc(NOTIFY_SEND_BATCH, sizeof(*group));
        int64_t mono0 = timeutil_mono_us();
        size_t n = 0;
        int r;

        if (!rows || !group) {
                free(rows);
                free(group);
                return -ENOMEM;
        }
        cdb_param_t p[] = { CDB_INT(now), CDB_INT(NOTIFY_SEND_BATCH) };
        r = cdb_query(c,
                      "SELECT channel_id, kind, host_id, item_id, level, digest, attempts"
                      " FROM notify_queue WHERE status = 'pending' AND next_try <= $1"
                      " AND due_at <= $1 AND (claimed_until IS NULL OR claimed_until < $1)"
                      " ORDER BY due_at, channel_id, kind, host_id, item_id LIMIT $2",
                      p, ELEMENTSOF(p), &res);
        while (r == 0 && (r = cdb_next(res)) > 0) {
                struct qrow *q = &rows[n];
                q->channel = cdb_get_int(res, 0);
                snprintf(q->kind, sizeof(q->kind), "%s",
                         cdb_get_text(res, 1) ? cdb_get_text(res, 1) : "");
                q->host = cdb_get_int(res, 2);
                q->id = strdup(cdb_get_text(res, 3) ? cdb_get_text(res, 3) : "");
                q->level = cdb_get_int(res, 4);
                q->digest = cdb_get_int(res, 5) != 0;
                q->attempts = cdb_get_int(res, 6);
                n++;
                r = q->id ? 0 : -ENOMEM;
        }
        cdb_res_free(TAKE_PTR(res));
        /* Immediate rows go one by one; digest rows of one channel and kind
         * go together. Each is claimed just before it is sent, so that a
         * slow receiver cannot make the later rows' leases run out while
         * they wait in this round. The clock moves on with real time for
         * the same reason (NOW may be a test's explicit time). */
        for (size_t i = 0; r == 0 && i < n; i++) {
                const notify_channel_t *ch = NULL;
                int64_t t = now + (timeutil_mono_us() - mono0);
                size_t k = 0;
                if (rows[i].done)
                        continue;
                rows[i].done = true;
                r = claim(c, instance, &rows[i], t);
                if (r < 0 || !rows[i].claimed)
                        continue;
                for (size_t j = 0; j < chans->n; j++)
                        if (chans->ch[j].id == rows[i].channel)
                                ch = &chans->ch[j];
                group[k++] = &rows[i];
                for (size_t j = i + 1; r == 0 && rows[i].digest && j < n; j++)
                        if (!rows[j].done && rows[j].digest && rows[j].channel == rows[i].channel &&
                            strcmp(rows[j].kind, rows[i].kind) == 0) {
                                rows[j].done = true;
                                r = claim(c, instance, &rows[j], t);
                                if (r == 0 && rows[j].claimed)
                                        group[k++] = &rows[j];
                        }
                if (r == 0 && !ch) {
                        for (size_t j = 0; r == 0 && j < k; j++) {
                                r = finish(c, group[j], "dropped", "the channel no longer exists",
                                           t);
                                st->dropped++;
                        }
                        continue;
                }
                if (r == 0)
                        r = send_group(center, c, ch, group, k, t, st);
        }
        for (size_t i = 0; i < n; i++)
                free(rows[i].id);
        free(rows);
        free(group);
        return r;
}

int notify_round(center_t *center, const char *instance, int64_t now_us, notify_stats_t *ret_stats)
{
        _cleanup_conn_ cdb_conn_t *c = NULL;
        notify_settings_t s;
        chanlist_t *chans = calloc(1, sizeof(*chans));
        notify_stats_t st = { 0 };
        int r;

        if (!chans)
                return -ENOMEM;
        notify_settings_init(&s);
        r = cdb_acquire(center->db, &c);
        if (r == 0)
                r = settings_load(c, &s, NULL);
        if (r == 0)
                r = channels_load(c, chans);
        for (size_t i = 0; r == 0 && i < ELEMENTSOF(sources); i++) {
                struct queue_ctx q = { .src = &sources[i],
                                       .s = &s,
                                       .chans = chans,
                                       .now = now_us,
                                       .limit = now_us - s.settle_us };
                /* A bounded number of pages per round keeps one round short;
                 * the next round goes on where this one stopped. */
                for (int page = 0; page < 20; page++) {
                        r = cdb_transact(c, 5, queue_page, &q);
                        if (r > 0)
                                r = 0;
                        if (r < 0 || !q.more)
                                break;
                }
                st.queued += q.queued;
        }
        if (r == 0)
                r = send_due(center, c, instance, chans, now_us, &st);
        chanlist_clear(chans);
        free(chans);
        notify_settings_clear(&s);
        if (r < 0)
                return r;
        if (ret_stats)
                *ret_stats = st;
        return 0;
}

/* ---- the notifier thread ---- */

struct notifier {
        center_t *center;
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool stopping;
        char instance[33];
        int64_t last_prune_us;
};

/* Once an hour, finished queue rows and old inbox messages are pruned
 * (retention_notify). Several center processes may each do it: deleting
 * what is already gone is harmless. */
static void notifier_prune(notifier_t *n, int64_t now)
{
        int64_t deleted = 0;
        int r;

        if (now - n->last_prune_us < USEC_PER_HOUR)
                return;
        n->last_prune_us = now;
        r = retention_notify(n->center->db, n->center->cfg.notify_keep_us,
                             RETENTION_INBOX_UNREAD_MAX, now, &deleted);
        if (r < 0)
                center_log(n->center, CENTER_LOG_ERROR, "notifications: pruning: %s", strerror(-r));
        else if (deleted > 0)
                center_log(n->center, CENTER_LOG_INFO,
                           "notifications: pruned %lld old queue rows and inbox messages",
                           (long long)deleted);
}

static void *notifier_main(void *userdata)
{
        notifier_t *n = userdata;

        pthread_mutex_lock(&n->lock);
        while (!n->stopping) {
                struct timespec ts;
                int64_t wake = timeutil_now_us() + NOTIFY_ROUND_EVERY_US;
                pthread_mutex_unlock(&n->lock);
                int r = notify_round(n->center, n->instance, timeutil_now_us(), NULL);
                if (r < 0)
                        center_log(n->center, CENTER_LOG_ERROR, "notifications: %s", strerror(-r));
                notifier_prune(n, timeutil_now_us());
                pthread_mutex_lock(&n->lock);
                ts.tv_sec = wake / USEC_PER_SEC;
                ts.tv_nsec = (wake % USEC_PER_SEC) * 1000;
                while (!n->stopping && pthread_cond_timedwait(&n->cond, &n->lock, &ts) == 0)
                        ;
        }
        pthread_mutex_unlock(&n->lock);
        return NULL;
}

int notify_start(center_t *c, notifier_t **ret)
{
        notifier_t *n = calloc(1, sizeof(*n));

        if (!n)
                return -ENOMEM;
        n->center = c;
        if (cutil_random_hex(n->instance, 16) < 0) {
                free(n);
                return -EIO;
        }
        pthread_mutex_init(&n->lock, NULL);
        pthread_cond_init(&n->cond, NULL);
        if (pthread_create(&n->thread, NULL, notifier_main, n) != 0) {
                pthread_mutex_destroy(&n->lock);
                pthread_cond_destroy(&n->cond);
                free(n);
                return -EAGAIN;
        }
        *ret = n;
        return 0;
}

void notify_stop(notifier_t *n)
{
        if (!n)
                return;
        pthread_mutex_lock(&n->lock);
        n->stopping = true;
        pthread_cond_signal(&n->cond);
        pthread_mutex_unlock(&n->lock);
        pthread_join(n->thread, NULL);
        pthread_mutex_destroy(&n->lock);
        pthread_cond_destroy(&n->cond);
        free(n);
}

/* ---- HTTP ---- */

static int unavailable(http_resp_t *resp)
{
        http_resp_error(resp, 503, "unavailable", "the database is unavailable");
        http_resp_header(resp, "Retry-After", "5");
        return -EIO;
}

static int h_settings_get(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        notify_settings_t s;
        json_t *j;
        int r;

        notify_settings_init(&s);
        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = settings_load(conn, &s, NULL);
        if (r < 0)
                return unavailable(resp);
        j = notify_settings_json(&s);
        notify_settings_clear(&s);
        return http_resp_json(resp, 200, j);
}

struct put_ctx {
        const char *doc;
        int64_t now;
        const char *by;
};

static int settings_store(cdb_conn_t *c, void *userdata)
{
        struct put_ctx *p = userdata;
        int r;

        cdb_param_t ps[] = { CDB_TEXT(p->doc), CDB_INT(p->now), CDB_TEXT(p->by) };
        r = cdb_exec(c,
                     "INSERT INTO notify_settings (id, doc, updated_at, updated_by)"
                     " VALUES (1, $1, $2, $3) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc,"
                     " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                     ps, ELEMENTSOF(ps), NULL);
        /* Notifications cover what arrives once they were first set up,
         * not the history before. */
        for (size_t i = 0; r == 0 && i < ELEMENTSOF(sources); i++) {
                cdb_param_t pc[] = { CDB_TEXT(sources[i].name), CDB_INT(p->now) };
                r = cdb_exec(c,
                             "INSERT INTO notify_cursor (source, t, host_id, item_id)"
                             " VALUES ($1, $2, 0, '') ON CONFLICT (source) DO NOTHING",
                             pc, ELEMENTSOF(pc), NULL);
        }
        return r;
}

static int h_settings_put(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        _cleanup_free_ char *err = NULL, *doc = NULL;
        notify_settings_t s;
        chanlist_t *chans = NULL;
        json_t *j = NULL;
        int r;

        r = notify_settings_parse(req->body, req->body_len, &s, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return http_resp_error(resp, 400, "invalid_settings", "%s", err ? err : "invalid");
        chans = calloc(1, sizeof(*chans));
        r = chans ? cdb_acquire(c->db, &conn) : -ENOMEM;
        if (r == 0)
                r = channels_load(conn, chans);
        if (r < 0) {
                r = unavailable(resp);
                goto out;
        }
        for (int a = 0; a < 2; a++)
                for (int l = 1; l <= 3; l++) {
                        const notify_rule_t *ru = a ? &s.alert[l] : &s.finding[l];
                        for (size_t i = 0; i < ru->n_channels; i++)
                                if (!chanlist_find(chans, ru->channels[i])) {
                                        r = http_resp_error(resp, 400, "unknown_channel",
                                                            "%s.%s: no channel named %s",
                                                            a ? "alerts" : "findings",
                                                            notify_level_name(a, l),
                                                            ru->channels[i]);
                                        goto out;
                                }
                }
        j = notify_settings_json(&s);
        doc = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (!doc) {
                r = -ENOMEM;
                goto out;
        }
        struct put_ctx pc = { doc, timeutil_now_us(), req->principal.name };
        r = cdb_transact(conn, 5, settings_store, &pc);
        if (r < 0) {
                r = unavailable(resp);
                goto out;
        }
        r = http_resp_json(resp, 200, TAKE_PTR(j));
out:
        json_decref(j);
        if (chans)
                chanlist_clear(chans);
        free(chans);
        notify_settings_clear(&s);
        return r;
}

static int h_channels_get(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        chanlist_t *chans = calloc(1, sizeof(*chans));
        json_t *arr = json_array();
        int r = chans && arr ? 0 : -ENOMEM;

        if (r == 0 && (cdb_acquire(c->db, &conn) < 0 || channels_load(conn, chans) < 0))
                r = -EIO;
        for (size_t i = 0; r == 0 && chans && i < chans->n; i++)
                if (json_array_append_new(arr, notify_channel_json(&chans->ch[i], true)) < 0)
                        r = -ENOMEM;
        if (chans)
                chanlist_clear(chans);
        free(chans);
        if (r < 0) {
                json_decref(arr);
                return r == -EIO ? unavailable(resp) : r;
        }
        return http_resp_json(resp, 200, json_pack("{s:o}", "channels", arr));
}

static int h_channels_post(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        _cleanup_free_ char *err = NULL, *config = NULL;
        notify_channel_t ch;
        json_t *body, *j;
        int64_t n = 0;
        int r;

        body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
        r = notify_channel_parse(body, &ch, &err);
        json_decref(body);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return http_resp_error(resp, 400, "invalid_channel", "%s", err ? err : "invalid");
        if (cutil_random_id(&ch.id) < 0) {
                notify_channel_clear(&ch);
                return -EIO;
        }
        j = notify_channel_json(&ch, false);
        if (j)
                json_object_del(j, "id");
        config = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (!config) {
                notify_channel_clear(&ch);
                return -ENOMEM;
        }
        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = cdb_query_int(conn, "SELECT count(*) FROM notify_channels", NULL, 0, &n);
        if (r == 0 && n >= MAX_CHANNELS) {
                notify_channel_clear(&ch);
                return http_resp_error(resp, 409, "too_many", "at most %d channels", MAX_CHANNELS);
        }
        if (r == 0) {
                cdb_param_t p[] = { CDB_INT(ch.id),
                                    CDB_TEXT(ch.name),
                                    CDB_TEXT(notify_kind_name(ch.kind)),
                                    CDB_TEXT(config),
                                    CDB_INT(timeutil_now_us()),
                                    CDB_TEXT(req->principal.name) };
                r = cdb_exec(conn,
                             "INSERT INTO notify_channels (id, name, kind, config, created_at,"
                             " created_by) VALUES ($1, $2, $3, $4, $5, $6)",
                             p, ELEMENTSOF(p), NULL);
        }
        if (r == -EEXIST) {
                notify_channel_clear(&ch);
                return http_resp_error(resp, 409, "conflict", "a channel with this name exists");
        }
        if (r < 0) {
                notify_channel_clear(&ch);
                return unavailable(resp);
        }
        r = http_resp_json(resp, 201, notify_channel_json(&ch, true));
        notify_channel_clear(&ch);
        return r;
}

/* The channel with the id in REQ's path, or a 404/503 in RESP. */
static int channel_get(cdb_conn_t *conn, http_req_t *req, http_resp_t *resp, notify_channel_t *ret)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        int64_t id;
        int r;

        if (cutil_parse_id(req->params[0], &id) < 0) {
                http_resp_error(resp, 404, "not_found", "no such channel");
                return -ENOENT;
        }
        cdb_param_t p[] = { CDB_INT(id) };
        r = cdb_query(conn, "SELECT config FROM notify_channels WHERE id = $1", p, 1, &res);
        if (r == 0)
                r = cdb_next(res);
        if (r < 0)
                return unavailable(resp);
        if (r == 0 || channel_from_row(id, cdb_get_text(res, 0), ret) < 0) {
                http_resp_error(resp, 404, "not_found", "no such channel");
                return -ENOENT;
        }
        return 0;
}

static int h_channel_delete(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        notify_settings_t s;
        notify_channel_t ch;
        int r;

        notify_settings_init(&s);
        if (cdb_acquire(c->db, &conn) < 0)
                return unavailable(resp);
        r = channel_get(conn, req, resp, &ch);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        r = settings_load(conn, &s, NULL);
        for (int a = 0; r == 0 && a < 2; a++)
                for (int l = 1; r == 0 && l <= 3; l++) {
                        const notify_rule_t *ru = a ? &s.alert[l] : &s.finding[l];
                        for (size_t i = 0; r == 0 && i < ru->n_channels; i++)
                                if (strcmp(ru->channels[i], ch.name) == 0)
                                        r = -EBUSY;
                }
        notify_settings_clear(&s);
        if (r == -EBUSY) {
                r = http_resp_error(resp, 409, "in_use",
                                    "the settings still send to channel %s; remove it there first",
                                    ch.name);
                notify_channel_clear(&ch);
                return r;
        }
        if (r == 0) {
                cdb_param_t p[] = { CDB_INT(ch.id) };
                r = cdb_begin(conn);
                if (r == 0)
                        r = cdb_exec(conn, "DELETE FROM notify_queue WHERE channel_id = $1", p, 1,
                                     NULL);
                if (r == 0)
                        r = cdb_exec(conn, "DELETE FROM notify_channels WHERE id = $1", p, 1, NULL);
                if (r == 0)
                        r = cdb_commit(conn);
                if (r < 0)
                        cdb_rollback(conn);
        }
        notify_channel_clear(&ch);
        if (r < 0)
                return unavailable(resp);
        return http_resp_json(resp, 200, json_pack("{s:b}", "ok", 1));
}

static int h_channel_test(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        _cleanup_free_ char *err = NULL;
        char id[17];
        notify_channel_t ch;
        json_t *items;
        int r;

        if (cdb_acquire(c->db, &conn) < 0)
                return unavailable(resp);
        r = channel_get(conn, req, resp, &ch);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        if (cutil_random_hex(id, 8) < 0) {
                notify_channel_clear(&ch);
                return -EIO;
        }
        items = json_pack("[{s:s, s:s, s:s, s:s, s:{s:i, s:s}, s:s, s:s, s:o}]", "kind", "alert",
                          "id", id, "level", "reminder", "title",
                          "vigil test notification: this channel works", "host", "id", 0,
                          "hostname", "vigil-center", "rule", "notify.test", "type", "test", "time",
                          cutil_json_time(timeutil_now_us()));
        if (!items) {
                notify_channel_clear(&ch);
                return -ENOMEM;
        }
        /* A test is the one send that runs in a request: the admin is
         * waiting for its outcome. */
        r = deliver(conn, &ch, items, timeutil_now_us(), &err);
        json_decref(items);
        notify_channel_clear(&ch);
        if (r < 0)
                return http_resp_error(resp, 502, "delivery_failed", "%s",
                                       err ? err : strerror(-r));
        return http_resp_json(resp, 200, json_pack("{s:b, s:s}", "ok", 1, "id", id));
}

static int h_deliver(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        notify_stats_t st;
        char instance[33];
        int r;

        if (cutil_random_hex(instance, 16) < 0)
                return -EIO;
        r = notify_round(c, instance, timeutil_now_us(), &st);
        if (r < 0)
                return unavailable(resp);
        return http_resp_json(
                resp, 200,
                json_pack("{s:I, s:I, s:I, s:I, s:I}", "queued", (json_int_t)st.queued, "sent",
                          (json_int_t)st.sent, "failed", (json_int_t)st.failed, "suppressed",
                          (json_int_t)st.suppressed, "dropped", (json_int_t)st.dropped));
}

static int h_inbox(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        _cleanup_res_ cdb_res_t *res = NULL;
        const char *unread = http_req_query(req, "unread");
        const char *lim = http_req_query(req, "limit");
        unsigned long long limit = 100;
        bool only_unread = unread && (strcmp(unread, "1") == 0 || strcmp(unread, "true") == 0);
        int64_t n_unread = 0;
        json_t *arr;
        int r;

        if (lim && (str_to_u64(lim, &limit) < 0 || limit < 1 || limit > INBOX_MAX_LIST))
                return http_resp_error(resp, 400, "invalid_limit", "limit: 1 to %d",
                                       INBOX_MAX_LIST);
        if (cdb_acquire(c->db, &conn) < 0)
                return unavailable(resp);
        arr = json_array();
        if (!arr)
                return -ENOMEM;
        cdb_param_t p[] = { CDB_INT((int64_t)limit) };
        r = cdb_query(conn,
                      only_unread ? "SELECT id, channel_id, created_at, kind, level, title, body,"
                                    " items, read_at FROM notify_inbox WHERE read_at IS NULL"
                                    " ORDER BY created_at DESC, id DESC LIMIT $1"
                                  : "SELECT id, channel_id, created_at, kind, level, title, body,"
                                    " items, read_at FROM notify_inbox"
                                    " ORDER BY created_at DESC, id DESC LIMIT $1",
                      p, ELEMENTSOF(p), &res);
        while (r == 0 && (r = cdb_next(res)) > 0) {
                json_t *o =
                        json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
                                  (json_int_t)cdb_get_int(res, 0), "channel_id",
                                  (json_int_t)cdb_get_int(res, 1), "created_at",
                                  cutil_json_time(cdb_get_int(res, 2)), "kind",
                                  jsonx_string_lossy(cdb_get_text(res, 3)), "level",
                                  jsonx_string_lossy(cdb_get_text(res, 4)), "title",
                                  jsonx_string_lossy(cdb_get_text(res, 5)), "body",
                                  jsonx_string_lossy(cdb_get_text(res, 6)), "items",
                                  stored_json(cdb_get_text(res, 7)), "read_at",
                                  cutil_json_time(cdb_is_null(res, 8) ? 0 : cdb_get_int(res, 8)));
                r = o && json_array_append_new(arr, o) == 0 ? 0 : -ENOMEM;
        }
        cdb_res_free(TAKE_PTR(res));
        if (r == 0)
                r = cdb_query_int(conn, "SELECT count(*) FROM notify_inbox WHERE read_at IS NULL",
                                  NULL, 0, &n_unread);
        if (r < 0) {
                json_decref(arr);
                return r == -ENOMEM ? r : unavailable(resp);
        }
        return http_resp_json(
                resp, 200,
                json_pack("{s:o, s:I}", "messages", arr, "unread", (json_int_t)n_unread));
}

static int h_inbox_read(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        int64_t id = 0, changed = 0;
        int r;

        if (req->n_params > 0 && cutil_parse_id(req->params[0], &id) < 0)
                return http_resp_error(resp, 404, "not_found", "no such message");
        if (cdb_acquire(c->db, &conn) < 0)
                return unavailable(resp);
        cdb_param_t p[] = { CDB_INT(timeutil_now_us()), CDB_INT(id) };
        /* Two statements rather than "$2 = 0 OR id = $2": PostgreSQL would
         * type $2 from the literal 0 as a 32-bit integer. */
        r = cdb_exec(conn,
                     id ? "UPDATE notify_inbox SET read_at = $1 WHERE read_at IS NULL AND id = $2"
                        : "UPDATE notify_inbox SET read_at = $1 WHERE read_at IS NULL",
                     p, id ? 2 : 1, &changed);
        if (r < 0)
                return unavailable(resp);
        if (id && !changed) {
                int64_t exists = 0;
                cdb_param_t pe[] = { CDB_INT(id) };
                r = cdb_query_int(conn, "SELECT count(*) FROM notify_inbox WHERE id = $1", pe, 1,
                                  &exists);
                if (r < 0)
                        return unavailable(resp);
                if (!exists)
                        return http_resp_error(resp, 404, "not_found", "no such message");
        }
        return http_resp_json(resp, 200,
                              json_pack("{s:b, s:I}", "ok", 1, "marked", (json_int_t)changed));
}

const http_route_t notify_routes[] = {
        { "GET", "/api/v1/notifications/settings", HTTP_AUTH_VIEWER, 0, h_settings_get },
        { "PUT", "/api/v1/notifications/settings", HTTP_AUTH_ADMIN, NOTIFY_SETTINGS_MAX,
          h_settings_put },
        { "GET", "/api/v1/notifications/channels", HTTP_AUTH_VIEWER, 0, h_channels_get },
        { "POST", "/api/v1/notifications/channels", HTTP_AUTH_ADMIN, CHANNEL_BODY,
          h_channels_post },
        { "DELETE", "/api/v1/notifications/channels/{}", HTTP_AUTH_ADMIN, 0, h_channel_delete },
        { "POST", "/api/v1/notifications/channels/{}/test", HTTP_AUTH_ADMIN, 0, h_channel_test },
        { "POST", "/api/v1/notifications/deliver", HTTP_AUTH_ADMIN, 0, h_deliver },
        { "GET", "/api/v1/inbox", HTTP_AUTH_VIEWER, 0, h_inbox },
        { "POST", "/api/v1/inbox/read", HTTP_AUTH_VIEWER, 0, h_inbox_read },
        { "POST", "/api/v1/inbox/{}/read", HTTP_AUTH_VIEWER, 0, h_inbox_read },
};
const size_t notify_n_routes = ELEMENTSOF(notify_routes);
