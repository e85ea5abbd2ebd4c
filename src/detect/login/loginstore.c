#include "detect/login/loginstore.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/store.h"
#include "core/text.h"

/* A transaction is committed after this many writes even without a call to
 * loginstore_commit, so a crash loses little. */
#define WRITES_PER_TX 4096

static const char *const migrations[] = {
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
        "CREATE TABLE known (account TEXT NOT NULL, kind INTEGER NOT NULL, value TEXT NOT NULL,"
        " count INTEGER NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL,"
        " alerted INTEGER NOT NULL, usual INTEGER NOT NULL,"
        " PRIMARY KEY (account, kind, value));"
        "CREATE INDEX known_last ON known (last);"
        "CREATE TABLE snap (tab INTEGER NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,"
        " PRIMARY KEY (tab, key));",
};

enum {
        ST_META_GET,
        ST_META_SET,
        ST_KNOWN_GET,
        ST_KNOWN_PUT,
        ST_KNOWN_PRUNE,
        ST_SNAP_CLEAR,
        ST_SNAP_PUT,
        ST_SNAP_LOAD,
        ST_SNAP_DEL,
        ST__MAX,
};

static const char *const sql[ST__MAX] = {
        [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
        [ST_META_SET] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
        [ST_KNOWN_GET] = "SELECT count, first, last, alerted, usual FROM known"
                         " WHERE account = ?1 AND kind = ?2 AND value = ?3",
        [ST_KNOWN_PUT] = "INSERT OR REPLACE INTO known"
                         " (account, kind, value, count, first, last, alerted, usual)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        [ST_KNOWN_PRUNE] = "DELETE FROM known WHERE rowid IN"
                           " (SELECT rowid FROM known ORDER BY last LIMIT ?1)",
        [ST_SNAP_CLEAR] = "DELETE FROM snap WHERE tab = ?1",
        [ST_SNAP_PUT] = "INSERT OR REPLACE INTO snap (tab, key, value) VALUES (?1, ?2, ?3)",
        [ST_SNAP_LOAD] = "SELECT key, value FROM snap WHERE tab = ?1",
        [ST_SNAP_DEL] = "DELETE FROM snap WHERE tab = ?1 AND key = ?2",
};

struct loginstore {
        sqlite3 *db;
        sqlite3_stmt *st[ST__MAX];
        bool in_tx;
        unsigned writes;
        int64_t known_rows;
};

static sqlite3_stmt *stmt(loginstore_t *s, int which)
{
        sqlite3_stmt *st = s->st[which];

        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return st;
}

int loginstore_commit(loginstore_t *s)
{
        if (!s || !s->in_tx)
                return 0;
        s->in_tx = false;
        s->writes = 0;
        return sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

/* Make sure a write transaction is open. */
static int begin_write(loginstore_t *s)
{
        if (s->in_tx && ++s->writes >= WRITES_PER_TX) {
                int r = loginstore_commit(s);
                if (r < 0)
                        return r;
        }
        if (!s->in_tx) {
                if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
                        return -EIO;
                s->in_tx = true;
        }
        return 0;
}

static int step_done(sqlite3_stmt *st)
{
        int rc = sqlite3_step(st);

        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : -EIO;
}

int loginstore_open(const char *state_dir, loginstore_t **ret, char **ret_error)
{
        _cleanup_free_ char *path = NULL;
        loginstore_t *s;
        sqlite3_stmt *st;
        int r;

        *ret_error = NULL;
        if (state_dir) {
                r = store_mkdir_p(state_dir);
                if (r < 0) {
                        *ret_error = str_printf("%s: %s", state_dir, strerror(-r));
                        return r;
                }
                path = str_printf("%s/%s", state_dir, LOGINSTORE_FILE);
                if (!path)
                        return -ENOMEM;
        }
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        r = store_open(path ? path : ":memory:", true, migrations, ELEMENTSOF(migrations), &s->db,
                       ret_error);
        if (r < 0) {
                free(s);
                return r;
        }
        for (int i = 0; i < ST__MAX; i++)
                if (sqlite3_prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
                                       NULL) != SQLITE_OK) {
                        *ret_error = str_printf("%s: %s", path ? path : "login store",
                                                sqlite3_errmsg(s->db));
                        loginstore_close(s);
                        return -EIO;
                }
        if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM known", -1, &st, NULL) == SQLITE_OK) {
                if (sqlite3_step(st) == SQLITE_ROW)
                        s->known_rows = sqlite3_column_int64(st, 0);
                sqlite3_finalize(st);
        }
        *ret = s;
        return 0;
}

void loginstore_close(loginstore_t *s)
{
        if (!s)
                return;
        (void)loginstore_commit(s);
        for (int i = 0; i < ST__MAX; i++)
                sqlite3_finalize(s->st[i]);
        store_close(s->db);
        free(s);
}

int loginstore_get_meta(loginstore_t *s, const char *key, int64_t *ret)
{
        sqlite3_stmt *st = stmt(s, ST_META_GET);
        int rc;

        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *ret = sqlite3_column_int64(st, 0);
                sqlite3_reset(st);
                return 0;
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int loginstore_set_meta(loginstore_t *s, const char *key, int64_t value)
{
        sqlite3_stmt *st;
        int r = begin_write(s);

        if (r < 0)
                return r;
        st = stmt(s, ST_META_SET);
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, value);
        return step_done(st);
}

int loginstore_known_get(loginstore_t *s, const char *account, loginstore_kind_t kind,
                         const char *value, loginstore_known_t *ret)
{
        sqlite3_stmt *st = stmt(s, ST_KNOWN_GET);
        int rc;

        sqlite3_bind_blob(st, 1, account, (int)strlen(account), SQLITE_STATIC);
        sqlite3_bind_int(st, 2, (int)kind);
        sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                ret->count = sqlite3_column_int64(st, 0);
                ret->first = sqlite3_column_int64(st, 1);
                ret->last = sqlite3_column_int64(st, 2);
                ret->alerted = sqlite3_column_int64(st, 3);
                ret->usual = sqlite3_column_int(st, 4) != 0;
                sqlite3_reset(st);
                return 0;
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int loginstore_known_put(loginstore_t *s, const char *account, loginstore_kind_t kind,
                         const char *value, const loginstore_known_t *k)
{
        loginstore_known_t old;
        sqlite3_stmt *st;
        bool is_new;
        int r = begin_write(s);

        if (r < 0)
                return r;
        is_new = loginstore_known_get(s, account, kind, value, &old) == -ENOENT;
        if (is_new && s->known_rows >= LOGINSTORE_KNOWN_MAX) {
                /* Drop the tenth seen least recently, in one statement. */
                st = stmt(s, ST_KNOWN_PRUNE);
                sqlite3_bind_int64(st, 1, LOGINSTORE_KNOWN_MAX / 10);
                if (step_done(st) < 0)
                        return -EIO;
                s->known_rows -= sqlite3_changes(s->db);
        }
        st = stmt(s, ST_KNOWN_PUT);
        /* Account names are attacker-chosen bytes, not always UTF-8: kept as
         * blobs so SQLite never reinterprets them. */
        sqlite3_bind_blob(st, 1, account, (int)strlen(account), SQLITE_STATIC);
        sqlite3_bind_int(st, 2, (int)kind);
        sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, k->count);
        sqlite3_bind_int64(st, 5, k->first);
        sqlite3_bind_int64(st, 6, k->last);
        sqlite3_bind_int64(st, 7, k->alerted);
        sqlite3_bind_int(st, 8, k->usual ? 1 : 0);
        r = step_done(st);
        if (r == 0 && is_new)
                s->known_rows++;
        return r;
}

int64_t loginstore_known_count(loginstore_t *s)
{
        return s->known_rows;
}

int loginstore_snap_clear(loginstore_t *s, int tab)
{
        sqlite3_stmt *st;
        int r = begin_write(s);

        if (r < 0)
                return r;
        st = stmt(s, ST_SNAP_CLEAR);
        sqlite3_bind_int(st, 1, tab);
        return step_done(st);
}

int loginstore_snap_put(loginstore_t *s, int tab, const void *key, size_t klen, const void *value,
                        size_t vlen)
{
        sqlite3_stmt *st;
        int r;

        if (klen > LOGINSTORE_BLOB_MAX || vlen > LOGINSTORE_BLOB_MAX)
                return -E2BIG;
        r = begin_write(s);
        if (r < 0)
                return r;
        st = stmt(s, ST_SNAP_PUT);
        sqlite3_bind_int(st, 1, tab);
        sqlite3_bind_blob(st, 2, key, (int)klen, SQLITE_STATIC);
        sqlite3_bind_blob(st, 3, value, (int)vlen, SQLITE_STATIC);
        return step_done(st);
}

int loginstore_snap_del(loginstore_t *s, int tab, const void *key, size_t klen)
{
        sqlite3_stmt *st;
        int r;

        if (klen > LOGINSTORE_BLOB_MAX)
                return 0; /* never stored */
        r = begin_write(s);
        if (r < 0)
                return r;
        st = stmt(s, ST_SNAP_DEL);
        sqlite3_bind_int(st, 1, tab);
        sqlite3_bind_blob(st, 2, key, (int)klen, SQLITE_STATIC);
        return step_done(st);
}

int loginstore_snap_load(loginstore_t *s, int tab, loginstore_snap_fn fn, void *userdata)
{
        sqlite3_stmt *st = stmt(s, ST_SNAP_LOAD);
        int rc, r = 0;

        sqlite3_bind_int(st, 1, tab);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const void *k = sqlite3_column_blob(st, 0), *v = sqlite3_column_blob(st, 1);
                int kl = sqlite3_column_bytes(st, 0), vl = sqlite3_column_bytes(st, 1);

                if (!k || !v || kl <= 0 || vl <= 0 || kl > LOGINSTORE_BLOB_MAX ||
                    vl > LOGINSTORE_BLOB_MAX)
                        continue;
                r = fn(k, (size_t)kl, v, (size_t)vl, userdata);
                if (r < 0)
                        break;
        }
        sqlite3_reset(st);
        if (r < 0)
                return r;
        return rc == SQLITE_DONE ? 0 : -EIO;
}
