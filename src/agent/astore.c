#include "agent/astore.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/jsonx.h"
#include "core/store.h"
#include "core/timeutil.h"

static const char *const migrations[] = {
        /* 1: positions, counters, alerts (the spool), consumers, findings,
         * scans, responses. */
        "CREATE TABLE positions ("
        "  source TEXT NOT NULL, slot INTEGER NOT NULL,"
        "  dev INTEGER NOT NULL DEFAULT 0, ino INTEGER NOT NULL DEFAULT 0,"
        "  offset INTEGER NOT NULL DEFAULT 0, lineno INTEGER NOT NULL DEFAULT 0,"
        "  head_hash INTEGER NOT NULL DEFAULT 0, head_len INTEGER NOT NULL DEFAULT 0,"
        "  cursor TEXT, updated_us INTEGER NOT NULL,"
        "  PRIMARY KEY (source, slot));"
        "CREATE TABLE sources ("
        "  source TEXT PRIMARY KEY, kind TEXT NOT NULL,"
        "  records INTEGER NOT NULL DEFAULT 0, events INTEGER NOT NULL DEFAULT 0,"
        "  oversized INTEGER NOT NULL DEFAULT 0, alerts INTEGER NOT NULL DEFAULT 0,"
        "  first_us INTEGER NOT NULL, updated_us INTEGER NOT NULL);"
        "CREATE TABLE alerts ("
        "  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
        "  dedupe TEXT NOT NULL, rule TEXT NOT NULL, type TEXT NOT NULL,"
        "  level INTEGER NOT NULL, time_us INTEGER NOT NULL, stored_us INTEGER NOT NULL,"
        "  source TEXT, status TEXT NOT NULL DEFAULT 'open', json TEXT NOT NULL,"
        "  UNIQUE (dedupe, time_us));"
        "CREATE INDEX alerts_stored ON alerts(stored_us);"
        "CREATE TABLE consumers (name TEXT PRIMARY KEY, seq INTEGER NOT NULL,"
        "  updated_us INTEGER NOT NULL);"
        "CREATE TABLE findings ("
        "  id TEXT PRIMARY KEY, category TEXT NOT NULL, check_id TEXT NOT NULL,"
        "  level INTEGER NOT NULL, title TEXT, json TEXT NOT NULL,"
        "  status TEXT NOT NULL DEFAULT 'open', first_us INTEGER NOT NULL,"
        "  last_us INTEGER NOT NULL, fixed_us INTEGER, scan INTEGER);"
        "CREATE INDEX findings_cat ON findings(category, status);"
        "CREATE TABLE scans ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT, schedule TEXT NOT NULL,"
        "  scanners TEXT NOT NULL, completed TEXT NOT NULL,"
        "  started_us INTEGER NOT NULL, finished_us INTEGER NOT NULL,"
        "  findings INTEGER NOT NULL, new_open INTEGER NOT NULL, fixed INTEGER NOT NULL,"
        "  alerts INTEGER NOT NULL, notes TEXT);"
        "CREATE INDEX scans_schedule ON scans(schedule, started_us);"
        "CREATE TABLE responses ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT, action TEXT NOT NULL,"
        "  target TEXT, command TEXT, result TEXT NOT NULL, time_us INTEGER NOT NULL);",
        /* 2: reporting to a center (spool.h): the items still to send, the
         * shipper's counters and in-flight batch, and the commands taken
         * from the center with their outcome. */
        "CREATE TABLE spool ("
        "  seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, item_id TEXT NOT NULL,"
        "  prio INTEGER NOT NULL, bytes INTEGER NOT NULL, stored_us INTEGER NOT NULL,"
        "  json TEXT NOT NULL, UNIQUE (kind, item_id));"
        "CREATE INDEX spool_prio ON spool(prio, seq);"
        "CREATE TABLE ship_state (key TEXT PRIMARY KEY, ival INTEGER NOT NULL DEFAULT 0,"
        "  sval TEXT);"
        "CREATE TABLE center_commands ("
        "  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, result TEXT,"
        "  received_us INTEGER NOT NULL, done_us INTEGER, acked INTEGER NOT NULL DEFAULT 0);",
};

enum {
        ST_PUT_POS,
        ST_DEL_POS,
        ST_GET_POS,
        ST_PUT_CURSOR,
        ST_ADD_COUNTS,
        ST_PUT_ALERT,
        ST_ALERTS_AFTER,
        ST__MAX,
};

static const char *const stmt_sql[ST__MAX] = {
        [ST_PUT_POS] = "INSERT INTO positions (source, slot, dev, ino, offset, lineno, head_hash,"
                       " head_len, updated_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                       " ON CONFLICT (source, slot) DO UPDATE SET dev = ?3, ino = ?4,"
                       " offset = ?5, lineno = ?6, head_hash = ?7, head_len = ?8,"
                       " updated_us = ?9",
        [ST_DEL_POS] = "DELETE FROM positions WHERE source = ?1 AND slot = ?2",
        [ST_GET_POS] = "SELECT dev, ino, offset, lineno, head_hash, head_len, cursor"
                       " FROM positions WHERE source = ?1 AND slot = ?2",
        [ST_PUT_CURSOR] = "INSERT INTO positions (source, slot, cursor, updated_us)"
                          " VALUES (?1, 0, ?2, ?3) ON CONFLICT (source, slot) DO UPDATE"
                          " SET cursor = ?2, updated_us = ?3",
        [ST_ADD_COUNTS] = "INSERT INTO sources (source, kind, records, events, oversized, alerts,"
                          " first_us, updated_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
                          " ON CONFLICT (source) DO UPDATE SET records = records + ?3,"
                          " events = events + ?4, oversized = oversized + ?5,"
                          " alerts = alerts + ?6, updated_us = ?7",
        [ST_PUT_ALERT] = "INSERT OR IGNORE INTO alerts (id, dedupe, rule, type, level, time_us,"
                         " stored_us, source, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        [ST_ALERTS_AFTER] = "SELECT seq, json FROM alerts WHERE seq > ?1 ORDER BY seq LIMIT ?2",
};

struct astore {
        sqlite3 *db;
        sqlite3_stmt *st[ST__MAX];
        bool in_tx;
};

static sqlite3_stmt *stmt(astore_t *s, int which)
{
        if (!s->st[which] &&
            sqlite3_prepare_v3(s->db, stmt_sql[which], -1, SQLITE_PREPARE_PERSISTENT, &s->st[which],
                               NULL) != SQLITE_OK)
                return NULL;
        sqlite3_reset(s->st[which]);
        sqlite3_clear_bindings(s->st[which]);
        return s->st[which];
}

/* Run ST to completion (no rows expected). Returns 0 or -EIO. */
static int step_done(sqlite3_stmt *st)
{
        int rc = sqlite3_step(st);

        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : -EIO;
}

int astore_open(const char *state_dir, bool create, astore_t **ret, char **ret_error)
{
        _cleanup_free_ char *path = NULL;
        astore_t *s;
        int r;

        *ret_error = NULL;
        if (create && (r = store_mkdir_p(state_dir)) < 0) {
                *ret_error = str_printf("%s: %s", state_dir, strerror(-r));
                return r;
        }
        path = str_printf("%s/%s", state_dir, ASTORE_FILE);
        s = calloc(1, sizeof(*s));
        if (!path || !s) {
                free(s);
                return -ENOMEM;
        }
        r = store_open(path, create, migrations, ELEMENTSOF(migrations), &s->db, ret_error);
        if (r < 0) {
                free(s);
                return r;
        }
        /* A small page cache: the agent's working set is a few rows, and
         * its memory budget is small (docs/agent.md). */
        (void)store_exec(s->db, "PRAGMA cache_size=-256;", NULL);
        *ret = s;
        return 0;
}

void astore_close(astore_t *s)
{
        if (!s)
                return;
        astore_rollback(s);
        for (int i = 0; i < ST__MAX; i++)
                sqlite3_finalize(s->st[i]);
        store_close(s->db);
        free(s);
}

const char *astore_errmsg(astore_t *s)
{
        return sqlite3_errmsg(s->db);
}

sqlite3 *astore_db(astore_t *s)
{
        return s->db;
}

int astore_begin(astore_t *s)
{
        if (s->in_tx)
                return -EIO;
        if (store_exec(s->db, "BEGIN IMMEDIATE;", NULL) < 0)
                return -EIO;
        s->in_tx = true;
        return 0;
}

int astore_commit(astore_t *s)
{
        if (!s->in_tx)
                return -EIO;
        if (store_exec(s->db, "COMMIT;", NULL) < 0) {
                astore_rollback(s);
                return -EIO;
        }
        s->in_tx = false;
        return 0;
}

bool astore_in_tx(const astore_t *s)
{
        return s->in_tx;
}

void astore_rollback(astore_t *s)
{
        if (!s->in_tx)
                return;
        (void)store_exec(s->db, "ROLLBACK;", NULL);
        s->in_tx = false;
}

/* ---- sources ---- */

int astore_put_pos(astore_t *s, const char *source, int slot, const tail_pos_t *pos)
{
        sqlite3_stmt *st = stmt(s, pos ? ST_PUT_POS : ST_DEL_POS);

        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, slot);
        if (pos) {
                sqlite3_bind_int64(st, 3, (sqlite3_int64)pos->dev);
                sqlite3_bind_int64(st, 4, (sqlite3_int64)pos->ino);
                sqlite3_bind_int64(st, 5, (sqlite3_int64)pos->offset);
                sqlite3_bind_int64(st, 6, (sqlite3_int64)pos->lineno);
                sqlite3_bind_int64(st, 7, (sqlite3_int64)pos->head_hash);
                sqlite3_bind_int64(st, 8, (sqlite3_int64)pos->head_len);
                sqlite3_bind_int64(st, 9, timeutil_now_us());
        }
        return step_done(st);
}

int astore_get_pos(astore_t *s, const char *source, int slot, tail_pos_t *ret)
{
        sqlite3_stmt *st = stmt(s, ST_GET_POS);
        int rc;

        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, slot);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                tail_pos_t p = {
                        .dev = (uint64_t)sqlite3_column_int64(st, 0),
                        .ino = (uint64_t)sqlite3_column_int64(st, 1),
                        .offset = (uint64_t)sqlite3_column_int64(st, 2),
                        .lineno = (uint64_t)sqlite3_column_int64(st, 3),
                        .head_hash = (uint64_t)sqlite3_column_int64(st, 4),
                        .head_len = (uint32_t)MIN(sqlite3_column_int64(st, 5), TAIL_HEAD_MAX),
                };
                sqlite3_reset(st);
                *ret = p;
                return 0;
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int astore_put_cursor(astore_t *s, const char *source, const char *cursor)
{
        sqlite3_stmt *st;

        if (!cursor)
                return astore_put_pos(s, source, 0, NULL);
        if (strlen(cursor) > ASTORE_CURSOR_MAX)
                return -E2BIG;
        st = stmt(s, ST_PUT_CURSOR);
        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, cursor, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, timeutil_now_us());
        return step_done(st);
}

int astore_get_cursor(astore_t *s, const char *source, char **ret)
{
        sqlite3_stmt *st = stmt(s, ST_GET_POS);
        int rc;

        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, 0);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && sqlite3_column_type(st, 6) == SQLITE_TEXT) {
                char *c = strdup((const char *)sqlite3_column_text(st, 6));
                sqlite3_reset(st);
                if (!c)
                        return -ENOMEM;
                *ret = c;
                return 0;
        }
        sqlite3_reset(st);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int astore_add_counts(astore_t *s, const char *source, const char *kind, uint64_t records,
                      uint64_t events, uint64_t oversized, uint64_t alerts)
{
        sqlite3_stmt *st = stmt(s, ST_ADD_COUNTS);

        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)records);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)events);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)oversized);
        sqlite3_bind_int64(st, 6, (sqlite3_int64)alerts);
        sqlite3_bind_int64(st, 7, timeutil_now_us());
        return step_done(st);
}

int astore_get_counts(astore_t *s, const char *source, astore_counts_t *ret)
{
        sqlite3_stmt *st = NULL;
        int rc;

        if (sqlite3_prepare_v2(s->db,
                               "SELECT records, events, oversized, alerts FROM sources"
                               " WHERE source = ?",
                               -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                ret->records = (uint64_t)sqlite3_column_int64(st, 0);
                ret->events = (uint64_t)sqlite3_column_int64(st, 1);
                ret->oversized = (uint64_t)sqlite3_column_int64(st, 2);
                ret->alerts = (uint64_t)sqlite3_column_int64(st, 3);
        }
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

/* ---- alerts ---- */

int astore_put_alert(astore_t *s, const alert_t *a, const char *source, int64_t *ret_seq)
{
        _cleanup_free_ char *dedupe = alert_dedupe_key(a), *text = NULL;
        json_t *j = alert_to_json(a);
        sqlite3_stmt *st;
        size_t len;
        int r;

        if (j)
                text = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        if (!dedupe || !text)
                return -ENOMEM;
        len = strlen(text);
        if (len > ASTORE_ALERT_MAX)
                return -E2BIG;
        st = stmt(s, ST_PUT_ALERT);
        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, dedupe, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, a->rule ? a->rule : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, alert_type_name(a->type), -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 5, (int)a->level);
        sqlite3_bind_int64(st, 6, a->time_us);
        sqlite3_bind_int64(st, 7, timeutil_now_us());
        if (source)
                sqlite3_bind_text(st, 8, source, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, text, (int)len, SQLITE_STATIC);
        if ((r = step_done(st)) < 0)
                return r;
        if (sqlite3_changes(s->db) == 0)
                return 1;
        if (ret_seq)
                *ret_seq = sqlite3_last_insert_rowid(s->db);
        return 0;
}

int astore_put_response(astore_t *s, const char *alert_id, const char *action, const char *target,
                        const char *command, const char *result)
{
        sqlite3_stmt *st = NULL;
        int r;

        if (sqlite3_prepare_v2(s->db,
                               "INSERT INTO responses (alert_id, action, target, command, result,"
                               " time_us) VALUES (?, ?, ?, ?, ?, ?)",
                               -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_text(st, 1, alert_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, action, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, target, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, command, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, result, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, timeutil_now_us());
        r = step_done(st);
        sqlite3_finalize(st);
        return r;
}

int astore_alerts_after(astore_t *s, int64_t after, unsigned max, astore_alert_fn fn,
                        void *userdata, int64_t *ret_last)
{
        sqlite3_stmt *st = stmt(s, ST_ALERTS_AFTER);
        int64_t last = after;
        int rc, r = 0;

        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, after);
        sqlite3_bind_int(st, 2, (int)MIN(max, (unsigned)INT32_MAX));
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                int64_t seq = sqlite3_column_int64(st, 0);
                const char *json = (const char *)sqlite3_column_text(st, 1);
                size_t len = (size_t)sqlite3_column_bytes(st, 1);
                if ((r = fn(seq, json ? json : "{}", json ? len : 2, userdata)) < 0)
                        break;
                last = seq;
        }
        sqlite3_reset(st);
        if (r == 0 && rc != SQLITE_DONE)
                r = -EIO;
        if (ret_last)
                *ret_last = last;
        return r;
}

static int64_t query_int(astore_t *s, const char *sql, const char *arg)
{
        sqlite3_stmt *st = NULL;
        int64_t v = -1;

        if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
                return -1;
        if (arg)
                sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
}

int64_t astore_max_seq(astore_t *s)
{
        int64_t v = query_int(s, "SELECT MAX(seq) FROM alerts", NULL);
        /* Deleted alerts keep their seq in sqlite_sequence; resuming from
         * there never hands out a seq twice. */
        int64_t q = query_int(s, "SELECT seq FROM sqlite_sequence WHERE name = 'alerts'", NULL);

        return MAX(MAX(v, q), 0);
}

int64_t astore_alert_count(astore_t *s)
{
        return query_int(s, "SELECT COUNT(*) FROM alerts", NULL);
}

int astore_consumer_get(astore_t *s, const char *name, int64_t *ret)
{
        sqlite3_stmt *st = NULL;
        int rc;

        if (sqlite3_prepare_v2(s->db, "SELECT seq FROM consumers WHERE name = ?", -1, &st, NULL) !=
            SQLITE_OK)
                return -EIO;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int astore_consumer_set(astore_t *s, const char *name, int64_t seq)
{
        sqlite3_stmt *st = NULL;
        int r;

        if (sqlite3_prepare_v2(s->db,
                               "INSERT INTO consumers (name, seq, updated_us) VALUES (?1, ?2, ?3)"
                               " ON CONFLICT (name) DO UPDATE SET seq = ?2, updated_us = ?3",
                               -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, seq);
        sqlite3_bind_int64(st, 3, timeutil_now_us());
        r = step_done(st);
        sqlite3_finalize(st);
        return r;
}

/* ---- scans ---- */

static char *strv_join(const strv_t *v)
{
        buf_t b;

        buf_init(&b, 64 * KiB);
        for (size_t i = 0; v && i < v->n; i++)
                if (buf_printf(&b, "%s%s", i ? "," : "", v->v[i]) < 0) {
                        buf_free(&b);
                        return NULL;
                }
        return buf_take(&b);
}

static int put_finding(astore_t *s, sqlite3_stmt *get, sqlite3_stmt *put, const finding_t *f,
                       int64_t now, int64_t scan_id, bool *ret_new)
{
        json_t *j = finding_to_json(f);
        _cleanup_free_ char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        const char *status = NULL;
        int rc;

        json_decref(j);
        if (!text)
                return -ENOMEM;
        sqlite3_reset(get);
        sqlite3_bind_text(get, 1, f->id, -1, SQLITE_STATIC);
        rc = sqlite3_step(get);
        if (rc == SQLITE_ROW)
                status = (const char *)sqlite3_column_text(get, 0);
        else if (rc != SQLITE_DONE)
                return -EIO;
        *ret_new = !status || strcmp(status, "open") != 0;
        if (status && strcmp(status, "ignored") == 0) {
                *ret_new = false;
                status = "ignored";
        } else
                status = "open";
        sqlite3_reset(put);
        sqlite3_bind_text(put, 1, f->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(put, 2, finding_category_name(f->category), -1, SQLITE_STATIC);
        sqlite3_bind_text(put, 3, f->check ? f->check : "", -1, SQLITE_STATIC);
        sqlite3_bind_int(put, 4, (int)f->level);
        sqlite3_bind_text(put, 5, f->title, -1, SQLITE_STATIC);
        sqlite3_bind_text(put, 6, text, -1, SQLITE_STATIC);
        sqlite3_bind_text(put, 7, status, -1, SQLITE_STATIC);
        sqlite3_bind_int64(put, 8, now);
        sqlite3_bind_int64(put, 9, scan_id);
        rc = sqlite3_step(put);
        sqlite3_reset(get);
        sqlite3_reset(put);
        return rc == SQLITE_DONE ? 0 : -EIO;
}

int astore_put_scan(astore_t *s, const astore_scan_t *scan, const report_t *rep,
                    astore_scan_result_t *ret)
{
        _cleanup_free_ char *scanners = strv_join(scan->scanners),
                            *completed = strv_join(scan->completed), *notes = NULL;
        astore_scan_result_t res = { 0 };
        sqlite3_stmt *get = NULL, *put = NULL, *fix = NULL, *ins = NULL;
        json_t *nj = json_array();
        int64_t now = timeutil_now_us();
        int r = -EIO;

        if (!scanners || !completed || !nj) {
                json_decref(nj);
                return -ENOMEM;
        }
        for (size_t i = 0; i < rep->n_notes; i++) {
                const report_note_t *n = &rep->notes[i];
                if (n->kind == REPORT_NOTE_INFO)
                        continue;
                if (json_array_size(nj) >= 50)
                        break;
                json_t *o = json_object();
                if (o) {
                        jsonx_set_str(o, "kind",
                                      n->kind == REPORT_NOTE_ERROR ? "error" : "warning");
                        jsonx_set_str(o, "source", n->source);
                        jsonx_set_str(o, "message", n->message);
                        json_array_append_new(nj, o);
                }
        }
        notes = json_dumps(nj, JSON_COMPACT);
        json_decref(nj);
        if ((r = astore_begin(s)) < 0)
                return r;
        r = -EIO;
        if (sqlite3_prepare_v2(s->db,
                               "INSERT INTO scans (schedule, scanners, completed, started_us,"
                               " finished_us, findings, new_open, fixed, alerts, notes)"
                               " VALUES (?, ?, ?, ?, ?, 0, 0, 0, 0, ?)",
                               -1, &ins, NULL) != SQLITE_OK)
                goto out;
        sqlite3_bind_text(ins, 1, scan->schedule, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, scanners, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, completed, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 4, scan->started_us);
        sqlite3_bind_int64(ins, 5, scan->finished_us);
        sqlite3_bind_text(ins, 6, notes, -1, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE)
                goto out;
        res.id = sqlite3_last_insert_rowid(s->db);
        if (sqlite3_prepare_v2(s->db, "SELECT status FROM findings WHERE id = ?", -1, &get, NULL) !=
                    SQLITE_OK ||
            sqlite3_prepare_v2(
                    s->db,
                    "INSERT INTO findings (id, category, check_id, level, title, json, status,"
                    " first_us, last_us, scan) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)"
                    " ON CONFLICT (id) DO UPDATE SET level = ?4, title = ?5, json = ?6,"
                    " status = ?7, last_us = ?8, fixed_us = NULL, scan = ?9",
                    -1, &put, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(s->db,
                               "UPDATE findings SET status = 'fixed', fixed_us = ?1"
                               " WHERE category = ?2 AND status = 'open' AND scan IS NOT ?3",
                               -1, &fix, NULL) != SQLITE_OK)
                goto out;
        for (size_t i = 0; i < rep->n_findings; i++) {
                bool is_new;
                if ((r = put_finding(s, get, put, rep->findings[i], now, res.id, &is_new)) < 0)
                        goto out;
                res.findings++;
                res.new_open += is_new;
        }
        for (size_t i = 0; scan->completed && i < scan->completed->n; i++) {
                finding_category_t cat;
                if (finding_category_from_name(scan->completed->v[i], &cat) < 0)
                        continue;
                sqlite3_reset(fix);
                sqlite3_bind_int64(fix, 1, now);
                sqlite3_bind_text(fix, 2, finding_category_name(cat), -1, SQLITE_STATIC);
                sqlite3_bind_int64(fix, 3, res.id);
                r = -EIO;
                if (sqlite3_step(fix) != SQLITE_DONE)
                        goto out;
                res.fixed += (size_t)sqlite3_changes(s->db);
        }
        for (size_t i = 0; i < rep->n_alerts; i++) {
                r = astore_put_alert(s, rep->alerts[i], "scan", NULL);
                if (r < 0)
                        goto out;
                res.alerts += r == 0;
        }
        {
                char sql[256];
                snprintf(sql, sizeof(sql),
                         "UPDATE scans SET findings = %zu, new_open = %zu, fixed = %zu,"
                         " alerts = %zu WHERE id = %lld",
                         res.findings, res.new_open, res.fixed, res.alerts, (long long)res.id);
                r = -EIO;
                if (store_exec(s->db, sql, NULL) < 0)
                        goto out;
        }
        sqlite3_finalize(ins);
        sqlite3_finalize(get);
        sqlite3_finalize(put);
        sqlite3_finalize(fix);
        ins = get = put = fix = NULL;
        if ((r = astore_commit(s)) < 0)
                return r;
        if (ret)
                *ret = res;
        return 0;
out:
        sqlite3_finalize(ins);
        sqlite3_finalize(get);
        sqlite3_finalize(put);
        sqlite3_finalize(fix);
        astore_rollback(s);
        return r < 0 ? r : -EIO;
}

int astore_last_scan(astore_t *s, const char *key, int64_t *ret_started_us)
{
        sqlite3_stmt *st = NULL;
        int rc;

        if (sqlite3_prepare_v2(s->db, "SELECT MAX(started_us) FROM scans WHERE schedule = ?", -1,
                               &st, NULL) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
                *ret_started_us = sqlite3_column_int64(st, 0);
                sqlite3_finalize(st);
                return 0;
        }
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? -ENOENT : -EIO;
}

/* ---- upkeep and status ---- */

int astore_prune(astore_t *s, int64_t older_than_us, int64_t max_alerts, int64_t *ret_deleted)
{
        char sql[512];
        int64_t deleted = 0;
        int r;

        if ((r = astore_begin(s)) < 0)
                return r;
        snprintf(sql, sizeof(sql), "DELETE FROM alerts WHERE stored_us < %lld;",
                 (long long)older_than_us);
        if (store_exec(s->db, sql, NULL) < 0)
                goto fail;
        deleted += sqlite3_changes(s->db);
        if (max_alerts > 0) {
                snprintf(sql, sizeof(sql),
                         "DELETE FROM alerts WHERE seq <= (SELECT seq FROM alerts ORDER BY seq"
                         " DESC LIMIT 1 OFFSET %lld);",
                         (long long)max_alerts);
                if (store_exec(s->db, sql, NULL) < 0)
                        goto fail;
                deleted += sqlite3_changes(s->db);
        }
        snprintf(sql, sizeof(sql),
                 "DELETE FROM findings WHERE status = 'fixed' AND fixed_us < %lld;"
                 "DELETE FROM scans WHERE id <= (SELECT id FROM scans ORDER BY id DESC"
                 " LIMIT 1 OFFSET 1000);"
                 "DELETE FROM responses WHERE time_us < %lld;",
                 (long long)older_than_us, (long long)older_than_us);
        if (store_exec(s->db, sql, NULL) < 0)
                goto fail;
        if ((r = astore_commit(s)) < 0)
                return r;
        if (ret_deleted)
                *ret_deleted = deleted;
        return 0;
fail:
        astore_rollback(s);
        return -EIO;
}

static json_t *iso(int64_t t)
{
        char b[TIMEUTIL_ISO_LEN];

        if (!t)
                return json_null();
        timeutil_format_iso(t, b, sizeof(b));
        return json_string(b);
}

static json_t *status_sources(astore_t *s)
{
        sqlite3_stmt *st = NULL, *pos = NULL;
        json_t *arr = json_array();

        if (!arr ||
            sqlite3_prepare_v2(s->db,
                               "SELECT source, kind, records, events, oversized, alerts,"
                               " updated_us FROM sources ORDER BY source",
                               -1, &st, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(s->db,
                               "SELECT slot, offset, lineno, ino, cursor FROM positions"
                               " WHERE source = ? ORDER BY slot",
                               -1, &pos, NULL) != SQLITE_OK)
                goto fail;
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *src = (const char *)sqlite3_column_text(st, 0);
                json_t *o = json_object(), *pa = json_array();
                if (!o || !pa) {
                        json_decref(o);
                        json_decref(pa);
                        goto fail;
                }
                jsonx_set_str(o, "source", src);
                jsonx_set_str(o, "kind", (const char *)sqlite3_column_text(st, 1));
                json_object_set_new(o, "records", json_integer(sqlite3_column_int64(st, 2)));
                json_object_set_new(o, "events", json_integer(sqlite3_column_int64(st, 3)));
                json_object_set_new(o, "oversized", json_integer(sqlite3_column_int64(st, 4)));
                json_object_set_new(o, "alerts", json_integer(sqlite3_column_int64(st, 5)));
                json_object_set_new(o, "updated", iso(sqlite3_column_int64(st, 6)));
                sqlite3_reset(pos);
                sqlite3_bind_text(pos, 1, src, -1, SQLITE_TRANSIENT);
                while (sqlite3_step(pos) == SQLITE_ROW) {
                        if (sqlite3_column_type(pos, 4) == SQLITE_TEXT) {
                                jsonx_set_str(o, "cursor",
                                              (const char *)sqlite3_column_text(pos, 4));
                                continue;
                        }
                        json_array_append_new(
                                pa, json_pack("{s:I, s:I, s:I, s:I}", "slot",
                                              (json_int_t)sqlite3_column_int64(pos, 0), "offset",
                                              (json_int_t)sqlite3_column_int64(pos, 1), "line",
                                              (json_int_t)sqlite3_column_int64(pos, 2), "inode",
                                              (json_int_t)sqlite3_column_int64(pos, 3)));
                }
                json_object_set_new(o, "positions", pa);
                json_array_append_new(arr, o);
        }
        sqlite3_finalize(st);
        sqlite3_finalize(pos);
        return arr;
fail:
        sqlite3_finalize(st);
        sqlite3_finalize(pos);
        json_decref(arr);
        return NULL;
}

static json_t *status_alerts(astore_t *s)
{
        sqlite3_stmt *st = NULL;
        json_t *o = json_object(), *latest = json_array();
        static const char *const names[] = { NULL, "reminder", "suspicious", "urgent" };

        if (!o || !latest)
                goto fail;
        json_object_set_new(o, "total", json_integer(astore_alert_count(s)));
        for (int l = 1; l <= 3; l++) {
                char sql[96];
                snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM alerts WHERE level = %d", l);
                json_object_set_new(o, names[l], json_integer(query_int(s, sql, NULL)));
        }
        if (sqlite3_prepare_v2(s->db,
                               "SELECT seq, rule, level, time_us, json_extract(json, '$.title')"
                               " FROM alerts ORDER BY seq DESC LIMIT 10",
                               -1, &st, NULL) != SQLITE_OK)
                goto fail;
        while (sqlite3_step(st) == SQLITE_ROW) {
                int lv = sqlite3_column_int(st, 2);
                json_t *a = json_object();
                if (!a)
                        goto fail;
                json_object_set_new(a, "seq", json_integer(sqlite3_column_int64(st, 0)));
                jsonx_set_str(a, "rule", (const char *)sqlite3_column_text(st, 1));
                jsonx_set_str(a, "level", lv >= 1 && lv <= 3 ? names[lv] : "?");
                json_object_set_new(a, "time", iso(sqlite3_column_int64(st, 3)));
                jsonx_set_str(a, "title", (const char *)sqlite3_column_text(st, 4));
                json_array_append_new(latest, a);
        }
        sqlite3_finalize(st);
        json_object_set_new(o, "latest", latest);
        return o;
fail:
        sqlite3_finalize(st);
        json_decref(latest);
        json_decref(o);
        return NULL;
}

static json_t *status_scans(astore_t *s)
{
        sqlite3_stmt *st = NULL;
        json_t *arr = json_array();

        if (!arr || sqlite3_prepare_v2(s->db,
                                       "SELECT id, schedule, scanners, completed, started_us,"
                                       " finished_us, findings, new_open, fixed, alerts"
                                       " FROM scans ORDER BY id DESC LIMIT 10",
                                       -1, &st, NULL) != SQLITE_OK) {
                json_decref(arr);
                return NULL;
        }
        while (sqlite3_step(st) == SQLITE_ROW) {
                json_t *o = json_object();
                if (!o)
                        break;
                json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
                jsonx_set_str(o, "schedule", (const char *)sqlite3_column_text(st, 1));
                jsonx_set_str(o, "scanners", (const char *)sqlite3_column_text(st, 2));
                jsonx_set_str(o, "completed", (const char *)sqlite3_column_text(st, 3));
                json_object_set_new(o, "started", iso(sqlite3_column_int64(st, 4)));
                json_object_set_new(o, "finished", iso(sqlite3_column_int64(st, 5)));
                json_object_set_new(o, "findings", json_integer(sqlite3_column_int64(st, 6)));
                json_object_set_new(o, "new", json_integer(sqlite3_column_int64(st, 7)));
                json_object_set_new(o, "fixed", json_integer(sqlite3_column_int64(st, 8)));
                json_object_set_new(o, "alerts", json_integer(sqlite3_column_int64(st, 9)));
                json_array_append_new(arr, o);
        }
        sqlite3_finalize(st);
        return arr;
}

json_t *astore_status(astore_t *s)
{
        json_t *o = json_object(), *f = json_object(), *open = json_object(), *cons = json_object();
        sqlite3_stmt *st = NULL;

        if (!o || !f || !open || !cons)
                goto fail;
        jsonx_set_str(o, "store", sqlite3_db_filename(s->db, "main"));
        json_object_set_new(o, "sources", status_sources(s));
        json_object_set_new(o, "alerts", status_alerts(s));
        json_object_set_new(open, "high",
                            json_integer(query_int(s,
                                                   "SELECT COUNT(*) FROM findings WHERE"
                                                   " status = 'open' AND level = 3",
                                                   NULL)));
        json_object_set_new(open, "medium",
                            json_integer(query_int(s,
                                                   "SELECT COUNT(*) FROM findings WHERE"
                                                   " status = 'open' AND level = 2",
                                                   NULL)));
        json_object_set_new(open, "low",
                            json_integer(query_int(s,
                                                   "SELECT COUNT(*) FROM findings WHERE"
                                                   " status = 'open' AND level = 1",
                                                   NULL)));
        json_object_set_new(f, "open", open);
        open = NULL;
        json_object_set_new(f, "fixed",
                            json_integer(query_int(
                                    s, "SELECT COUNT(*) FROM findings WHERE status = ?", "fixed")));
        json_object_set_new(
                f, "ignored",
                json_integer(
                        query_int(s, "SELECT COUNT(*) FROM findings WHERE status = ?", "ignored")));
        json_object_set_new(o, "findings", f);
        f = NULL;
        json_object_set_new(o, "scans", status_scans(s));
        json_object_set_new(o, "responses",
                            json_integer(query_int(s, "SELECT COUNT(*) FROM responses", NULL)));
        if (sqlite3_prepare_v2(s->db, "SELECT name, seq FROM consumers ORDER BY name", -1, &st,
                               NULL) == SQLITE_OK) {
                while (sqlite3_step(st) == SQLITE_ROW)
                        json_object_set_new(cons, (const char *)sqlite3_column_text(st, 0),
                                            json_integer(sqlite3_column_int64(st, 1)));
                sqlite3_finalize(st);
        }
        json_object_set_new(o, "consumers", cons);
        return o;
fail:
        json_decref(o);
        json_decref(f);
        json_decref(open);
        json_decref(cons);
        return NULL;
}
