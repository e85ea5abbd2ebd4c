#include "center/retention.h"

#include <errno.h>
#include <stdlib.h>

#include "center/hosts.h"
#include "core/macro.h"

/* Delete up to RETENTION_CHUNK rows of one statement per transaction until
 * none is left. The statements select their victims in a subquery with a
 * LIMIT, which both engines accept. */
static int chunked(cdb_t *db, const char *sql, int64_t cutoff, int64_t *total)
{
        for (;;) {
                _cleanup_conn_ cdb_conn_t *c = NULL;
                int64_t n = 0;
                cdb_param_t p[] = { CDB_INT(cutoff), CDB_INT(RETENTION_CHUNK) };
                int r = cdb_acquire(db, &c);

                if (r < 0)
                        return r;
                r = cdb_exec(c, sql, p, ELEMENTSOF(p), &n);
                if (r < 0)
                        return r;
                *total += n;
                if (n < RETENTION_CHUNK)
                        return 0;
        }
}

/* Like chunked, with the parameters P (N of them, the chunk size last). */
static int chunked_params(cdb_t *db, const char *sql, cdb_param_t *p, size_t n, int64_t *total)
{
        for (;;) {
                _cleanup_conn_ cdb_conn_t *c = NULL;
                int64_t changed = 0;
                int r = cdb_acquire(db, &c);

                if (r < 0)
                        return r;
                r = cdb_exec(c, sql, p, n, &changed);
                if (r < 0)
                        return r;
                *total += changed;
                if (changed < RETENTION_CHUNK)
                        return 0;
        }
}

int retention_notify(cdb_t *db, int64_t keep_us, int64_t unread_max, int64_t now_us,
                     int64_t *ret_deleted)
{
        _cleanup_conn_ cdb_conn_t *c = NULL;
        _cleanup_res_ cdb_res_t *res = NULL;
        int64_t total = 0, cutoff, edge_t = 0, edge_id = 0;
        bool edge = false;
        int r;

        if (keep_us <= 0) {
                if (ret_deleted)
                        *ret_deleted = 0;
                return 0;
        }
        cutoff = now_us - MAX(keep_us, RETENTION_NOTIFY_KEEP_MIN_US);
        r = chunked(db,
                    "DELETE FROM notify_queue WHERE (channel_id, kind, host_id, item_id) IN"
                    " (SELECT channel_id, kind, host_id, item_id FROM notify_queue"
                    " WHERE status IN ('sent', 'failed', 'suppressed', 'dropped')"
                    " AND created_at < $1 LIMIT $2)",
                    cutoff, &total);
        if (r == 0)
                r = chunked(db,
                            "DELETE FROM notify_inbox WHERE id IN (SELECT id FROM notify_inbox"
                            " WHERE read_at IS NOT NULL AND created_at < $1 LIMIT $2)",
                            cutoff, &total);
        if (r < 0)
                return r;
        /* The newest unread message past the cap: it and everything older
         * that is unread and past the age limit goes. */
        r = cdb_acquire(db, &c);
        if (r == 0) {
                cdb_param_t p[] = { CDB_INT(MAX(unread_max, 0)) };
                r = cdb_query(c,
                              "SELECT created_at, id FROM notify_inbox WHERE read_at IS NULL"
                              " ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET $1",
                              p, 1, &res);
        }
        if (r == 0 && (r = cdb_next(res)) > 0) {
                edge = true;
                edge_t = cdb_get_int(res, 0);
                edge_id = cdb_get_int(res, 1);
                r = 0;
        }
        cdb_res_free(TAKE_PTR(res));
        cdb_release(TAKE_PTR(c));
        if (r == 0 && edge) {
                cdb_param_t p[] = { CDB_INT(cutoff), CDB_INT(edge_t), CDB_INT(edge_id),
                                    CDB_INT(RETENTION_CHUNK) };
                r = chunked_params(db,
                                   "DELETE FROM notify_inbox WHERE id IN (SELECT id FROM"
                                   " notify_inbox WHERE read_at IS NULL AND created_at < $1"
                                   " AND (created_at, id) <= ($2, $3) LIMIT $4)",
                                   p, ELEMENTSOF(p), &total);
        }
        if (r == 0 && ret_deleted)
                *ret_deleted = total;
        return r;
}

struct affected {
        int64_t *ids;
        size_t n, cap;
};

static int collect_hosts(cdb_t *db, int64_t cutoff, struct affected *a)
{
        _cleanup_conn_ cdb_conn_t *c = NULL;
        _cleanup_res_ cdb_res_t *res = NULL;
        cdb_param_t p[] = { CDB_INT(cutoff) };
        int r = cdb_acquire(db, &c);

        if (r < 0)
                return r;
        r = cdb_query(c, "SELECT DISTINCT host_id FROM alerts WHERE time < $1 AND status = 'open'",
                      p, 1, &res);
        while (r == 0 && (r = cdb_next(res)) > 0) {
                if (a->n == a->cap) {
                        size_t cap = a->cap ? a->cap * 2 : 64;
                        int64_t *v = realloc(a->ids, cap * sizeof(*v));
                        if (!v)
                                return -ENOMEM;
                        a->ids = v;
                        a->cap = cap;
                }
                a->ids[a->n++] = cdb_get_int(res, 0);
                r = 0;
        }
        return r;
}

static int recount_body(cdb_conn_t *c, void *userdata)
{
        int64_t *io = userdata;

        return hosts_recount(c, io[0], io[1], NULL);
}

int retention_run(cdb_t *db, const retention_policy_t *p, int64_t now_us, int64_t *ret_deleted)
{
        struct affected a = { 0 };
        int64_t total = 0;
        int r = 0;

        if (p->alerts_us > 0) {
                int64_t cutoff = now_us - p->alerts_us;
                r = collect_hosts(db, cutoff, &a);
                if (r == 0)
                        r = chunked(db,
                                    "DELETE FROM alerts WHERE (host_id, id) IN (SELECT host_id, id"
                                    " FROM alerts WHERE time < $1 LIMIT $2)",
                                    cutoff, &total);
                for (size_t i = 0; r == 0 && i < a.n; i++) {
                        _cleanup_conn_ cdb_conn_t *c = NULL;
                        int64_t io[2] = { a.ids[i], now_us };
                        r = cdb_acquire(db, &c);
                        if (r == 0)
                                r = cdb_transact(c, 5, recount_body, io);
                        if (r == -ENOENT)
                                r = 0;
                }
                if (r == 0)
                        r = chunked(db,
                                    "DELETE FROM alert_counts WHERE (host_id, bucket, level) IN"
                                    " (SELECT host_id, bucket, level FROM alert_counts"
                                    " WHERE bucket < $1 LIMIT $2)",
                                    cutoff, &total);
        }
        if (r == 0 && p->events_us > 0)
                r = chunked(db,
                            "DELETE FROM events WHERE (host_id, id) IN (SELECT host_id, id"
                            " FROM events WHERE time < $1 LIMIT $2)",
                            now_us - p->events_us, &total);
        if (r == 0 && p->batches_us > 0) {
                r = chunked(db,
                            "DELETE FROM batches WHERE (host_id, batch_id) IN (SELECT host_id,"
                            " batch_id FROM batches WHERE received < $1 LIMIT $2)",
                            now_us - p->batches_us, &total);
                if (r == 0)
                        r = chunked(db,
                                    "DELETE FROM scans WHERE (host_id, id) IN (SELECT host_id, id"
                                    " FROM scans WHERE received < $1 LIMIT $2)",
                                    now_us - p->batches_us, &total);
        }
        if (r == 0 && p->history_us > 0) {
                r = chunked(db,
                            "DELETE FROM score_history WHERE (host_id, bucket) IN (SELECT host_id,"
                            " bucket FROM score_history WHERE bucket < $1 LIMIT $2)",
                            now_us - p->history_us, &total);
                if (r == 0)
                        r = chunked(db,
                                    "DELETE FROM fleet_history WHERE bucket IN (SELECT bucket"
                                    " FROM fleet_history WHERE bucket < $1 LIMIT $2)",
                                    now_us - p->history_us, &total);
        }
        free(a.ids);
        if (r == 0 && ret_deleted)
                *ret_deleted = total;
        return r;
}
