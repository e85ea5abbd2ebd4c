#include "agent/spool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/buf.h"
#include "core/text.h"
#include "core/timeutil.h"

/* Every statement here is short; they are prepared per call, which keeps
 * this module independent of astore's statement cache. */

static int prepare(astore_t *s, const char *sql, sqlite3_stmt **ret)
{
        return sqlite3_prepare_v2(astore_db(s), sql, -1, ret, NULL) == SQLITE_OK ? 0 : -EIO;
}

static int exec_done(sqlite3_stmt *st)
{
        int rc = sqlite3_step(st);

        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : -EIO;
}

/* Run F inside a transaction unless one is open already. */
static int begin_own(astore_t *s, bool *ret_own)
{
        int r;

        *ret_own = false;
        if (astore_in_tx(s))
                return 0;
        if ((r = astore_begin(s)) < 0)
                return r;
        *ret_own = true;
        return 0;
}

static int end_own(astore_t *s, bool own, int r)
{
        if (!own)
                return r;
        if (r < 0) {
                astore_rollback(s);
                return r;
        }
        return astore_commit(s);
}

static bool valid_id(const char *id)
{
        size_t n = 0;

        if (!id)
                return false;
        for (const char *p = id; *p; p++, n++) {
                unsigned char c = (unsigned char)*p;
                if (n >= SPOOL_ID_MAX || c <= 0x20 || c >= 0x7f || c == '"' || c == '\\')
                        return false;
        }
        return n > 0;
}

/* ---- counters ---- */

static int state_get(astore_t *s, const char *key, int64_t *ret_ival, char **ret_sval)
{
        sqlite3_stmt *st = NULL;
        int rc;

        if (prepare(s, "SELECT ival, sval FROM ship_state WHERE key = ?", &st) < 0)
                return -EIO;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                if (ret_ival)
                        *ret_ival = sqlite3_column_int64(st, 0);
                if (ret_sval) {
                        const char *v = (const char *)sqlite3_column_text(st, 1);
                        *ret_sval = v ? strdup(v) : NULL;
                        if (v && !*ret_sval) {
                                sqlite3_finalize(st);
                                return -ENOMEM;
                        }
                }
        }
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

static int state_set(astore_t *s, const char *key, int64_t ival, const char *sval)
{
        sqlite3_stmt *st = NULL;

        if (prepare(s,
                    "INSERT INTO ship_state (key, ival, sval) VALUES (?1, ?2, ?3)"
                    " ON CONFLICT (key) DO UPDATE SET ival = ?2, sval = ?3",
                    &st) < 0)
                return -EIO;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, ival);
        if (sval)
                sqlite3_bind_text(st, 3, sval, -1, SQLITE_STATIC);
        return exec_done(st);
}

static int state_add(astore_t *s, const char *key, int64_t n)
{
        sqlite3_stmt *st = NULL;

        if (prepare(s,
                    "INSERT INTO ship_state (key, ival) VALUES (?1, ?2)"
                    " ON CONFLICT (key) DO UPDATE SET ival = ival + ?2",
                    &st) < 0)
                return -EIO;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, n);
        return exec_done(st);
}

static int state_del(astore_t *s, const char *key)
{
        sqlite3_stmt *st = NULL;

        if (prepare(s, "DELETE FROM ship_state WHERE key = ?", &st) < 0)
                return -EIO;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        return exec_done(st);
}

/* ---- items ---- */

int spool_put(astore_t *s, const char *kind, const char *id, int prio, const char *json, size_t len)
{
        sqlite3_stmt *st = NULL;
        int r;

        if (!kind || !*kind || strlen(kind) > 32 || !valid_id(id) || prio < SPOOL_PRIO_EXPENDABLE ||
            prio > SPOOL_PRIO_HIGH || !json)
                return -EINVAL;
        if (len > SPOOL_ITEM_MAX)
                return -E2BIG;
        if (prepare(s,
                    strcmp(kind, "finding") == 0
                            ? "INSERT OR REPLACE INTO spool (kind, item_id, prio, bytes,"
                              " stored_us, json) VALUES (?, ?, ?, ?, ?, ?)"
                            : "INSERT OR IGNORE INTO spool (kind, item_id, prio, bytes,"
                              " stored_us, json) VALUES (?, ?, ?, ?, ?, ?)",
                    &st) < 0)
                return -EIO;
        sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, prio);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)len);
        sqlite3_bind_int64(st, 5, timeutil_now_us());
        sqlite3_bind_text(st, 6, json, (int)len, SQLITE_STATIC);
        r = exec_done(st);
        if (r < 0)
                return r;
        return sqlite3_changes(astore_db(s)) == 0 ? 1 : 0;
}

int spool_put_alert(astore_t *s, const char *json, size_t len)
{
        static const char head[] = "{\"kind\":\"alert\"";
        _cleanup_free_ char *item = NULL;
        json_t *o, *lv;
        const char *id, *level;
        int prio = 0;
        size_t n;
        int r;

        if (len < 2 || json[0] != '{' || json[len - 1] != '}' || len > SPOOL_ITEM_MAX)
                return len > SPOOL_ITEM_MAX ? -E2BIG : -EINVAL;
        o = json_loadb(json, len, 0, NULL);
        id = json_string_value(json_object_get(o, "id"));
        lv = json_object_get(o, "level");
        level = json_string_value(lv);
        if (level && strcmp(level, "urgent") == 0)
                prio = SPOOL_PRIO_HIGH;
        else if (level && strcmp(level, "suspicious") == 0)
                prio = SPOOL_PRIO_MEDIUM;
        else if (level && strcmp(level, "reminder") == 0)
                prio = SPOOL_PRIO_LOW;
        if (!json_is_object(o) || !valid_id(id) || !prio || json_object_get(o, "kind")) {
                json_decref(o);
                return -EINVAL;
        }
        /* The stored object with "kind" put first, the rest as it is. */
        n = STRLEN(head) + 1 + (len - 2) + 1;
        item = malloc(n + 1);
        if (!item) {
                json_decref(o);
                return -ENOMEM;
        }
        memcpy(item, head, STRLEN(head));
        n = STRLEN(head);
        if (len > 2)
                item[n++] = ',';
        memcpy(item + n, json + 1, len - 2);
        n += len - 2;
        item[n++] = '}';
        item[n] = 0;
        r = spool_put(s, "alert", id, prio, item, n);
        json_decref(o);
        return r;
}

static int64_t query_i64(astore_t *s, const char *sql)
{
        sqlite3_stmt *st = NULL;
        int64_t v = -1;

        if (prepare(s, sql, &st) < 0)
                return -1;
        if (sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
}

int spool_enforce_cap(astore_t *s, uint64_t max_bytes, uint64_t *ret_dropped)
{
        sqlite3_stmt *sel = NULL, *del = NULL;
        int64_t total = query_i64(s, "SELECT COALESCE(SUM(bytes), 0) FROM spool");
        uint64_t dropped = 0, target;
        bool own;
        int r;

        if (total < 0)
                return -EIO;
        if ((uint64_t)total <= max_bytes) {
                if (ret_dropped)
                        *ret_dropped = 0;
                return 0;
        }
        /* Down to 90%, so a spool at its cap does not drop one item for
         * every item added. */
        target = max_bytes - max_bytes / 10;
        if ((r = begin_own(s, &own)) < 0)
                return r;
        r = -EIO;
        if (prepare(s, "SELECT seq, bytes FROM spool ORDER BY prio, seq", &sel) < 0 ||
            prepare(s, "DELETE FROM spool WHERE seq = ?", &del) < 0)
                goto out;
        while ((uint64_t)total > target && sqlite3_step(sel) == SQLITE_ROW) {
                int64_t seq = sqlite3_column_int64(sel, 0), bytes = sqlite3_column_int64(sel, 1);
                sqlite3_reset(del);
                sqlite3_bind_int64(del, 1, seq);
                if (sqlite3_step(del) != SQLITE_DONE)
                        goto out;
                total -= bytes;
                dropped++;
        }
        sqlite3_finalize(sel);
        sqlite3_finalize(del);
        sel = del = NULL;
        r = state_add(s, "dropped", (int64_t)dropped);
out:
        sqlite3_finalize(sel);
        sqlite3_finalize(del);
        r = end_own(s, own, r);
        if (r == 0 && ret_dropped)
                *ret_dropped = dropped;
        return r;
}

int spool_stats(astore_t *s, spool_stats_t *ret)
{
        spool_stats_t st = { 0 };
        sqlite3_stmt *q = NULL;
        int64_t v;

        if (prepare(s, "SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM spool", &q) < 0)
                return -EIO;
        if (sqlite3_step(q) != SQLITE_ROW) {
                sqlite3_finalize(q);
                return -EIO;
        }
        st.items = (uint64_t)sqlite3_column_int64(q, 0);
        st.bytes = (uint64_t)sqlite3_column_int64(q, 1);
        sqlite3_finalize(q);
        if (state_get(s, "shipped", &v, NULL) == 0)
                st.shipped = (uint64_t)v;
        if (state_get(s, "dropped", &v, NULL) == 0)
                st.dropped = (uint64_t)v;
        if (state_get(s, "rejected", &v, NULL) == 0)
                st.rejected = (uint64_t)v;
        if (state_get(s, "batch_seq", &v, NULL) == 0)
                st.batches = (uint64_t)v;
        *ret = st;
        return 0;
}

/* ---- batches ---- */

void spool_batch_clear(spool_batch_t *b)
{
        if (!b)
                return;
        free(b->json);
        memset(b, 0, sizeof(*b));
}

static int random_hex(char *out, size_t nbytes)
{
        unsigned char rnd[16];

        if (nbytes > sizeof(rnd) || getrandom(rnd, nbytes, 0) != (ssize_t)nbytes)
                return -EIO;
        for (size_t i = 0; i < nbytes; i++)
                snprintf(out + 2 * i, 3, "%02x", rnd[i]);
        return 0;
}

typedef struct inflight {
        char *batch_id;
        int64_t seq, lo, hi, n;
} inflight_t;

static void inflight_clear(inflight_t *f)
{
        free(f->batch_id);
        memset(f, 0, sizeof(*f));
}

/* Returns 0, -ENOENT when there is none. */
static int inflight_load(astore_t *s, inflight_t *ret)
{
        inflight_t f = { 0 };
        int r;

        r = state_get(s, "inflight", &f.seq, &f.batch_id);
        if (r < 0)
                return r;
        if (!f.batch_id || state_get(s, "inflight_lo", &f.lo, NULL) < 0 ||
            state_get(s, "inflight_hi", &f.hi, NULL) < 0 ||
            state_get(s, "inflight_n", &f.n, NULL) < 0) {
                inflight_clear(&f);
                return -ENOENT;
        }
        *ret = f;
        return 0;
}

static int inflight_forget(astore_t *s)
{
        int r = state_del(s, "inflight");

        if (r == 0)
                r = state_del(s, "inflight_lo");
        if (r == 0)
                r = state_del(s, "inflight_hi");
        if (r == 0)
                r = state_del(s, "inflight_n");
        return r;
}

/* Append the items of seq LO..HI (at most MAX_ITEMS, MAX_BYTES of JSON but
 * at least one) to B. EXACT: take exactly that range (the in-flight batch).
 * *RET_N, *RET_LO, *RET_HI: what was taken. */
static int add_items(astore_t *s, buf_t *b, int64_t lo, int64_t hi, size_t max_items,
                     size_t max_bytes, size_t *ret_n, int64_t *ret_lo, int64_t *ret_hi)
{
        sqlite3_stmt *st = NULL;
        size_t n = 0, bytes = 0;
        int64_t first = 0, last = 0;
        int rc, r = 0;

        if (prepare(s,
                    "SELECT seq, json FROM spool WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq"
                    " LIMIT ?3",
                    &st) < 0)
                return -EIO;
        sqlite3_bind_int64(st, 1, lo);
        sqlite3_bind_int64(st, 2, hi);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)max_items);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *j = (const char *)sqlite3_column_text(st, 1);
                size_t len = (size_t)sqlite3_column_bytes(st, 1);
                if (n > 0 && bytes + len > max_bytes)
                        break;
                if (n > 0)
                        r = buf_append(b, ",", 1);
                if (r == 0)
                        r = buf_append(b, j ? j : "{}", j ? len : 2);
                if (r < 0)
                        break;
                if (n == 0)
                        first = sqlite3_column_int64(st, 0);
                last = sqlite3_column_int64(st, 0);
                bytes += len;
                n++;
        }
        if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
                r = -EIO;
        sqlite3_finalize(st);
        if (r < 0)
                return r;
        *ret_n = n;
        *ret_lo = first;
        *ret_hi = last;
        return 0;
}

static int count_range(astore_t *s, int64_t lo, int64_t hi, int64_t *ret)
{
        sqlite3_stmt *st = NULL;
        int r = -EIO;

        if (prepare(s, "SELECT COUNT(*) FROM spool WHERE seq >= ? AND seq <= ?", &st) < 0)
                return -EIO;
        sqlite3_bind_int64(st, 1, lo);
        sqlite3_bind_int64(st, 2, hi);
        if (sqlite3_step(st) == SQLITE_ROW) {
                *ret = sqlite3_column_int64(st, 0);
                r = 0;
        }
        sqlite3_finalize(st);
        return r;
}

int spool_next_batch(astore_t *s, int64_t agent_id, size_t max_items, size_t max_bytes,
                     json_t *heartbeat, spool_batch_t *ret)
{
        _cleanup_buf_ buf_t b;
        _cleanup_free_ char *hb = NULL;
        inflight_t f = { 0 };
        spool_batch_t out = { 0 };
        size_t n = 0;
        int64_t lo = 0, hi = 0, have = 0;
        bool own = false, reuse = false;
        int r;

        if (max_items == 0)
                return -EINVAL;
        /* Batches are capped by the intake's JSON cap, not by this buffer:
         * the items themselves are bounded by MAX_BYTES plus one item. */
        buf_init(&b, max_bytes + SPOOL_ITEM_MAX + 64 * KiB);
        if (heartbeat && !(hb = json_dumps(heartbeat, JSON_COMPACT)))
                return -ENOMEM;
        if ((r = begin_own(s, &own)) < 0)
                return r;
        r = inflight_load(s, &f);
        if (r < 0 && r != -ENOENT)
                goto out;
        if (r == 0 && f.n > 0 && (size_t)f.n <= max_items &&
            strlen(f.batch_id) < sizeof(out.batch_id) && count_range(s, f.lo, f.hi, &have) == 0 &&
            have == f.n)
                reuse = true;
        if ((r = buf_printf(&b, "{\"version\":1,\"agent_id\":%lld,\"batch_id\":\"",
                            (long long)agent_id)) < 0)
                goto out;
        /* The id is written below, once known; the items follow it. */
        {
                _cleanup_buf_ buf_t items;
                buf_init(&items, max_bytes + SPOOL_ITEM_MAX);
                if (reuse) {
                        r = add_items(s, &items, f.lo, f.hi, (size_t)f.n, max_bytes, &n, &lo, &hi);
                        if (r == -E2BIG || (r == 0 && (int64_t)n != f.n)) {
                                /* It no longer fits the caps: form a new one. */
                                buf_reset(&items);
                                reuse = false;
                                r = 0;
                        }
                }
                if (r == 0 && !reuse)
                        r = add_items(s, &items, 1, INT64_MAX, max_items, max_bytes, &n, &lo, &hi);
                if (r < 0)
                        goto out;
                if (n == 0 && !hb) {
                        r = -ENOENT;
                        goto out;
                }
                if (reuse) {
                        snprintf(out.batch_id, sizeof(out.batch_id), "%s", f.batch_id);
                        out.seq = f.seq;
                        out.reused = true;
                } else {
                        char rnd[17];
                        int64_t seq = 0;
                        r = state_get(s, "batch_seq", &seq, NULL);
                        if (r < 0 && r != -ENOENT)
                                goto out;
                        seq++;
                        if ((r = random_hex(rnd, 8)) < 0 ||
                            (r = state_set(s, "batch_seq", seq, NULL)) < 0)
                                goto out;
                        snprintf(out.batch_id, sizeof(out.batch_id), "b%lld-%s", (long long)seq,
                                 rnd);
                        out.seq = seq;
                        if (n > 0) {
                                if ((r = state_set(s, "inflight", seq, out.batch_id)) < 0 ||
                                    (r = state_set(s, "inflight_lo", lo, NULL)) < 0 ||
                                    (r = state_set(s, "inflight_hi", hi, NULL)) < 0 ||
                                    (r = state_set(s, "inflight_n", (int64_t)n, NULL)) < 0)
                                        goto out;
                        } else if ((r = inflight_forget(s)) < 0)
                                goto out;
                }
                if ((r = buf_printf(&b, "%s\",\"seq\":%lld,\"items\":[", out.batch_id,
                                    (long long)out.seq)) < 0 ||
                    (items.len && (r = buf_append(&b, items.data, items.len)) < 0) ||
                    (hb && n > 0 && (r = buf_append(&b, ",", 1)) < 0) ||
                    (hb && (r = buf_append_str(&b, hb)) < 0) || (r = buf_append(&b, "]}", 2)) < 0)
                        goto out;
        }
        out.lo = lo;
        out.hi = hi;
        out.n = n;
        out.len = b.len;
        out.json = buf_take(&b);
        if (!out.json) {
                r = -ENOMEM;
                goto out;
        }
        r = 0;
out:
        inflight_clear(&f);
        r = end_own(s, own, r);
        if (r < 0) {
                free(out.json);
                return r;
        }
        *ret = out;
        return 0;
}

static int remove_batch(astore_t *s, const spool_batch_t *b, const char *counter)
{
        sqlite3_stmt *st = NULL;
        inflight_t f = { 0 };
        bool own;
        int r;

        if ((r = begin_own(s, &own)) < 0)
                return r;
        if (b->n > 0) {
                r = -EIO;
                if (prepare(s, "DELETE FROM spool WHERE seq >= ? AND seq <= ?", &st) < 0)
                        goto out;
                sqlite3_bind_int64(st, 1, b->lo);
                sqlite3_bind_int64(st, 2, b->hi);
                if ((r = exec_done(st)) < 0)
                        goto out;
                /* Items the cap dropped meanwhile were counted there. */
                if ((r = state_add(s, counter, sqlite3_changes(astore_db(s)))) < 0)
                        goto out;
        }
        r = inflight_load(s, &f);
        if (r == 0 && strcmp(f.batch_id, b->batch_id) == 0)
                r = inflight_forget(s);
        else if (r == -ENOENT || r == 0)
                r = 0;
out:
        inflight_clear(&f);
        return end_own(s, own, r);
}

int spool_ack(astore_t *s, const spool_batch_t *b)
{
        return remove_batch(s, b, "shipped");
}

int spool_reject(astore_t *s, const spool_batch_t *b)
{
        if (b->n > 1)
                return -EINVAL;
        return remove_batch(s, b, "rejected");
}

/* ---- commands ---- */

int spool_cmd_get(astore_t *s, int64_t id, char **ret_status, char **ret_result, bool *ret_acked)
{
        sqlite3_stmt *st = NULL;
        _cleanup_free_ char *status = NULL, *result = NULL;
        const char *stv;
        bool acked;
        int rc;

        if (prepare(s, "SELECT status, result, acked FROM center_commands WHERE id = ?", &st) < 0)
                return -EIO;
        sqlite3_bind_int64(st, 1, id);
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                sqlite3_finalize(st);
                return rc == SQLITE_DONE ? -ENOENT : -EIO;
        }
        stv = (const char *)sqlite3_column_text(st, 0);
        status = strdup(stv ? stv : "failed");
        if (sqlite3_column_type(st, 1) == SQLITE_TEXT)
                result = strdup((const char *)sqlite3_column_text(st, 1));
        acked = sqlite3_column_int(st, 2) != 0;
        if (!status || (sqlite3_column_type(st, 1) == SQLITE_TEXT && !result)) {
                sqlite3_finalize(st);
                return -ENOMEM;
        }
        sqlite3_finalize(st);
        if (ret_status)
                *ret_status = TAKE_PTR(status);
        if (ret_result)
                *ret_result = TAKE_PTR(result);
        if (ret_acked)
                *ret_acked = acked;
        return 0;
}

int spool_cmd_put(astore_t *s, int64_t id, const char *kind, const char *status, const char *result)
{
        sqlite3_stmt *st = NULL;
        int64_t now = timeutil_now_us();

        if (prepare(s,
                    "INSERT INTO center_commands (id, kind, status, result, received_us, done_us,"
                    " acked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0) ON CONFLICT (id) DO UPDATE SET"
                    " status = ?3, result = ?4, done_us = ?6, acked = 0",
                    &st) < 0)
                return -EIO;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
        if (result)
                sqlite3_bind_text(st, 4, result, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, now);
        if (strcmp(status, "running") != 0)
                sqlite3_bind_int64(st, 6, now);
        return exec_done(st);
}

int spool_cmd_set_acked(astore_t *s, int64_t id, bool acked)
{
        sqlite3_stmt *st = NULL;

        if (prepare(s, "UPDATE center_commands SET acked = ?2 WHERE id = ?1", &st) < 0)
                return -EIO;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int(st, 2, acked ? 1 : 0);
        return exec_done(st);
}

int spool_cmd_next_unacked(astore_t *s, int64_t *ret_id, char **ret_status, char **ret_result)
{
        sqlite3_stmt *st = NULL;
        _cleanup_free_ char *status = NULL, *result = NULL;
        const char *stv;
        int64_t id;
        int rc;

        if (prepare(s,
                    "SELECT id, status, result FROM center_commands WHERE acked = 0"
                    " ORDER BY received_us, id LIMIT 1",
                    &st) < 0)
                return -EIO;
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                sqlite3_finalize(st);
                return rc == SQLITE_DONE ? -ENOENT : -EIO;
        }
        id = sqlite3_column_int64(st, 0);
        stv = (const char *)sqlite3_column_text(st, 1);
        if (stv && strcmp(stv, "running") == 0) {
                /* It was running when the agent stopped: it may or may not
                 * have taken effect, and it is not run again. */
                status = strdup("failed");
                result = strdup("{\"error\":\"interrupted: the agent stopped while the command"
                                " ran; it was not run again\"}");
        } else {
                status = strdup(stv ? stv : "failed");
                if (sqlite3_column_type(st, 2) == SQLITE_TEXT)
                        result = strdup((const char *)sqlite3_column_text(st, 2));
                else
                        result = strdup("{}");
        }
        sqlite3_finalize(st);
        if (!status || !result)
                return -ENOMEM;
        *ret_id = id;
        *ret_status = TAKE_PTR(status);
        *ret_result = TAKE_PTR(result);
        return 0;
}

int spool_cmd_prune(astore_t *s, int64_t older_than_us)
{
        sqlite3_stmt *st = NULL;

        if (prepare(s, "DELETE FROM center_commands WHERE acked = 1 AND received_us < ?", &st) < 0)
                return -EIO;
        sqlite3_bind_int64(st, 1, older_than_us);
        return exec_done(st);
}
