#include "detect/fim/fimdb.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/store.h"
#include "core/text.h"

static const char *const migrations[] = {
        "CREATE TABLE meta ("
        "  key TEXT PRIMARY KEY,"
        "  value TEXT NOT NULL"
        ") WITHOUT ROWID;"
        "CREATE TABLE files ("
        "  path TEXT PRIMARY KEY,"
        "  mode INTEGER NOT NULL,"
        "  uid INTEGER NOT NULL,"
        "  gid INTEGER NOT NULL,"
        "  size INTEGER NOT NULL,"
        "  mtime_ns INTEGER NOT NULL,"
        "  ctime_ns INTEGER NOT NULL,"
        "  ino INTEGER NOT NULL,"
        "  dev INTEGER NOT NULL,"
        "  sha256 BLOB,"
        "  source INTEGER NOT NULL DEFAULT 0,"
        "  pkg TEXT,"
        "  pkg_digest TEXT,"
        "  pkg_state INTEGER NOT NULL DEFAULT 0,"
        "  hashed_at INTEGER NOT NULL DEFAULT 0,"
        "  rehash_at INTEGER NOT NULL DEFAULT 0"
        ") WITHOUT ROWID;",
};

#define COLUMNS                                                                                    \
        "path, mode, uid, gid, size, mtime_ns, ctime_ns, ino, dev, sha256, source, pkg, "          \
        "pkg_digest, pkg_state, hashed_at, rehash_at"

/* The package digests of the running check, in a TEMP table: private to
 * this connection, gone when it closes, and kept by SQLite in a temporary
 * file rather than in the process's memory. PKG indexes the package list of
 * the pkgverify_t the rows were copied from. */
#define PKGFILES_SCHEMA                                                                            \
        "CREATE TEMP TABLE IF NOT EXISTS pkgfiles ("                                               \
        "  path TEXT PRIMARY KEY,"                                                                 \
        "  pkg INTEGER NOT NULL,"                                                                  \
        "  algo INTEGER NOT NULL,"                                                                 \
        "  digest BLOB NOT NULL"                                                                   \
        ") WITHOUT ROWID;"

/* Pages SQLite may cache per database, in KiB (its default is 2000). The
 * watcher reads one row per event; the operating system caches the file
 * anyway, so a large private cache would only add to the daemon's size. */
#define CACHE_PRAGMA(schema) "PRAGMA " schema ".cache_size=-256;"

struct fimdb {
        sqlite3 *db;
        sqlite3_stmt *put;
        sqlite3_stmt *del;
        sqlite3_stmt *get;    /* prepared on first use */
        sqlite3_stmt *pk_get; /* prepared on first use */
        bool pkgfiles;        /* the TEMP table exists */
};

int fimdb_open(const char *path, bool create, fimdb_t **ret, char **ret_error)
{
        fimdb_t *db = calloc(1, sizeof(*db));
        int r;

        *ret_error = NULL;
        if (!db)
                return -ENOMEM;
        r = store_open(path, create, migrations, ELEMENTSOF(migrations), &db->db, ret_error);
        if (r < 0) {
                free(db);
                return r;
        }
        if (sqlite3_prepare_v3(db->db,
                               "INSERT OR REPLACE INTO files (" COLUMNS ") VALUES "
                               "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                               -1, SQLITE_PREPARE_PERSISTENT, &db->put, NULL) != SQLITE_OK ||
            sqlite3_prepare_v3(db->db, "DELETE FROM files WHERE path = ?", -1,
                               SQLITE_PREPARE_PERSISTENT, &db->del, NULL) != SQLITE_OK ||
            store_exec(db->db, CACHE_PRAGMA("main") "PRAGMA temp_store=FILE;", NULL) < 0) {
                *ret_error = str_printf("%s: %s", path, sqlite3_errmsg(db->db));
                fimdb_close(db);
                return -EIO;
        }
        *ret = db;
        return 0;
}

void fimdb_close(fimdb_t *db)
{
        if (!db)
                return;
        sqlite3_finalize(db->put);
        sqlite3_finalize(db->del);
        sqlite3_finalize(db->get);
        sqlite3_finalize(db->pk_get);
        store_close(db->db);
        free(db);
}

sqlite3 *fimdb_sqlite(fimdb_t *db)
{
        return db->db;
}

const char *fimdb_errmsg(fimdb_t *db)
{
        return sqlite3_errmsg(db->db);
}

int fimdb_begin(fimdb_t *db)
{
        return store_exec(db->db, "BEGIN IMMEDIATE;", NULL);
}

int fimdb_commit(fimdb_t *db)
{
        return store_exec(db->db, "COMMIT;", NULL);
}

void fimdb_rollback(fimdb_t *db)
{
        (void)sqlite3_exec(db->db, "ROLLBACK;", NULL, NULL, NULL);
}

int fimdb_clear(fimdb_t *db)
{
        return store_exec(db->db, "DELETE FROM files; DELETE FROM meta;", NULL);
}

/* The end of the key range of PATH's subtree: PATH itself and everything
 * below it sort from PATH up to (not including) PATH + "0", the character
 * after '/'. Siblings such as PATH + "-old" fall in the range too and are
 * left out by under(). */
static char *range_end(const char *path)
{
        return strcmp(path, "/") == 0 ? strdup("0") : str_printf("%s0", path);
}

static bool under(const char *path, const char *dir)
{
        size_t n = strlen(dir);

        if (strcmp(dir, "/") == 0)
                return true;
        return strncmp(path, dir, n) == 0 && (path[n] == 0 || path[n] == '/');
}

int fimdb_put(fimdb_t *db, const fimtab_entry_t *e)
{
        sqlite3_stmt *st = db->put;
        int rc;

        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, e->path, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, e->mode);
        sqlite3_bind_int64(st, 3, e->uid);
        sqlite3_bind_int64(st, 4, e->gid);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)e->size);
        sqlite3_bind_int64(st, 6, e->mtime_ns);
        sqlite3_bind_int64(st, 7, e->ctime_ns);
        sqlite3_bind_int64(st, 8, (sqlite3_int64)e->ino);
        sqlite3_bind_int64(st, 9, (sqlite3_int64)e->dev);
        if (e->has_sha256)
                sqlite3_bind_blob(st, 10, e->sha256, HASH_SHA256_LEN, SQLITE_STATIC);
        else
                sqlite3_bind_null(st, 10);
        sqlite3_bind_int(st, 11, (int)e->source);
        if (e->pkg)
                sqlite3_bind_text(st, 12, e->pkg, -1, SQLITE_STATIC);
        else
                sqlite3_bind_null(st, 12);
        if (e->pkg_digest)
                sqlite3_bind_text(st, 13, e->pkg_digest, -1, SQLITE_STATIC);
        else
                sqlite3_bind_null(st, 13);
        sqlite3_bind_int(st, 14, (int)e->pkg_state);
        sqlite3_bind_int64(st, 15, e->hashed_at);
        sqlite3_bind_int64(st, 16, e->rehash_at);
        rc = sqlite3_step(st);
        sqlite3_clear_bindings(st);
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : -EIO;
}

int fimdb_delete(fimdb_t *db, const char *path)
{
        int rc;

        sqlite3_reset(db->del);
        sqlite3_bind_text(db->del, 1, path, -1, SQLITE_STATIC);
        rc = sqlite3_step(db->del);
        sqlite3_clear_bindings(db->del);
        sqlite3_reset(db->del);
        return rc == SQLITE_DONE ? 0 : -EIO;
}

int fimdb_count(fimdb_t *db, int64_t *ret)
{
        sqlite3_stmt *st;
        int rc;

        if (sqlite3_prepare_v2(db->db, "SELECT count(*) FROM files", -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? 0 : -EIO;
}

/* An integer column, refusing any other storage class. */
static bool col_int(sqlite3_stmt *st, int i, int64_t lo, int64_t hi, int64_t *ret)
{
        int64_t v;

        if (sqlite3_column_type(st, i) != SQLITE_INTEGER)
                return false;
        v = sqlite3_column_int64(st, i);
        if (v < lo || v > hi)
                return false;
        *ret = v;
        return true;
}

/* A text column without NULs of at most MAX bytes, or NULL when NULLABLE. */
static bool col_text(sqlite3_stmt *st, int i, size_t max, bool nullable, const char **ret)
{
        const unsigned char *s;
        int n;

        if (sqlite3_column_type(st, i) == SQLITE_NULL) {
                *ret = NULL;
                return nullable;
        }
        if (sqlite3_column_type(st, i) != SQLITE_TEXT)
                return false;
        s = sqlite3_column_text(st, i);
        n = sqlite3_column_bytes(st, i);
        if (!s || n < 0 || (size_t)n > max || strlen((const char *)s) != (size_t)n)
                return false;
        *ret = (const char *)s;
        return true;
}

static bool path_ok(const char *p)
{
        if (p[0] != '/')
                return false;
        if (strcmp(p, "/") == 0)
                return true;
        if (str_endswith(p, "/") || strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../") ||
            str_endswith(p, "/.") || str_endswith(p, "/.."))
                return false;
        return !strchr(p, '\n');
}

static bool type_ok(int64_t mode)
{
        switch (mode & S_IFMT) {
        case S_IFREG:
        case S_IFDIR:
        case S_IFLNK:
        case S_IFCHR:
        case S_IFBLK:
        case S_IFIFO:
        case S_IFSOCK:
                return (mode & ~(int64_t)(S_IFMT | 07777)) == 0;
        }
        return false;
}

int fimdb_decode_row(sqlite3_stmt *st, fimtab_entry_t **ret, const char **ret_why)
{
        _cleanup_fimtab_entry_ fimtab_entry_t *e = NULL;
        const char *path, *pkg, *digest;
        int64_t v[16];

        if (sqlite3_column_count(st) < 16) {
                *ret_why = "too few columns";
                return -EINVAL;
        }
        if (!col_text(st, 0, FIMTAB_PATH_MAX, false, &path) || !path_ok(path)) {
                *ret_why = "bad path";
                return -EINVAL;
        }
        if (!col_int(st, 1, 0, UINT32_MAX, &v[1]) || !type_ok(v[1])) {
                *ret_why = "bad mode";
                return -EINVAL;
        }
        if (!col_int(st, 2, 0, UINT32_MAX, &v[2]) || !col_int(st, 3, 0, UINT32_MAX, &v[3])) {
                *ret_why = "bad owner";
                return -EINVAL;
        }
        /* Size, inode and device are unsigned 64-bit values stored in
         * SQLite's signed integers; every bit pattern is valid. Times may be
         * before 1970. */
        for (int i = 4; i <= 8; i++)
                if (!col_int(st, i, INT64_MIN, INT64_MAX, &v[i])) {
                        *ret_why = "bad stat value";
                        return -EINVAL;
                }
        if (!col_int(st, 10, 0, 1, &v[10]) || !col_int(st, 13, 0, 2, &v[13]) ||
            !col_int(st, 14, 0, INT64_MAX, &v[14]) || !col_int(st, 15, 0, INT64_MAX, &v[15])) {
                *ret_why = "bad source or schedule";
                return -EINVAL;
        }
        if (!col_text(st, 11, FIMDB_PKG_MAX, true, &pkg) ||
            !col_text(st, 12, FIMDB_DIGEST_MAX, true, &digest)) {
                *ret_why = "bad package";
                return -EINVAL;
        }
        e = fimtab_entry_new(path);
        if (!e)
                return -ENOMEM;
        if (sqlite3_column_type(st, 9) == SQLITE_BLOB &&
            sqlite3_column_bytes(st, 9) == HASH_SHA256_LEN) {
                memcpy(e->sha256, sqlite3_column_blob(st, 9), HASH_SHA256_LEN);
                e->has_sha256 = true;
        } else if (sqlite3_column_type(st, 9) != SQLITE_NULL) {
                *ret_why = "bad SHA-256";
                return -EINVAL;
        }
        e->mode = (uint32_t)v[1];
        e->uid = (uint32_t)v[2];
        e->gid = (uint32_t)v[3];
        e->size = (uint64_t)v[4];
        e->mtime_ns = v[5];
        e->ctime_ns = v[6];
        e->ino = (uint64_t)v[7];
        e->dev = (uint64_t)v[8];
        e->source = (fim_source_t)v[10];
        e->pkg_state = (fim_pkgstate_t)v[13];
        e->hashed_at = v[14];
        e->rehash_at = v[15];
        if (fimtab_entry_set_pkg(e, pkg, digest) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(e);
        return 0;
}

int fimdb_get(fimdb_t *db, const char *path, fimtab_entry_t **ret)
{
        fimtab_entry_t *e = NULL;
        const char *why;
        int rc, r;

        if (!db->get &&
            sqlite3_prepare_v3(db->db, "SELECT " COLUMNS " FROM files WHERE path = ?", -1,
                               SQLITE_PREPARE_PERSISTENT, &db->get, NULL) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_text(db->get, 1, path, -1, SQLITE_STATIC);
        rc = sqlite3_step(db->get);
        if (rc == SQLITE_ROW) {
                r = fimdb_decode_row(db->get, &e, &why);
                if (r == -EINVAL)
                        r = -ENOENT;
        } else
                r = rc == SQLITE_DONE ? -ENOENT : -EIO;
        sqlite3_clear_bindings(db->get);
        sqlite3_reset(db->get);
        if (r == 0)
                *ret = e;
        return r;
}

int fimdb_has(fimdb_t *db, const char *path)
{
        _cleanup_fimtab_entry_ fimtab_entry_t *e = NULL;
        int r = fimdb_get(db, path, &e);

        return r == 0 ? 1 : r == -ENOENT ? 0 : r;
}

int fimdb_foreach_under(fimdb_t *db, const char *dir, fimdb_row_fn fn, void *userdata)
{
        _cleanup_free_ char *end = range_end(dir);
        sqlite3_stmt *st;
        int rc, r = 0;

        if (!end)
                return -ENOMEM;
        if (sqlite3_prepare_v2(db->db,
                               "SELECT path, mode FROM files WHERE path >= ? AND path < ? "
                               "ORDER BY path",
                               -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, end, -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *path;
                int64_t mode;
                /* The same checks as a loaded row, so both ways agree. */
                if (!col_text(st, 0, FIMTAB_PATH_MAX, false, &path) || !path_ok(path) ||
                    !col_int(st, 1, 0, UINT32_MAX, &mode) || !type_ok(mode) || !under(path, dir))
                        continue;
                if ((r = fn(path, (uint32_t)mode, userdata)) < 0)
                        break;
        }
        sqlite3_finalize(st);
        if (r == 0 && rc != SQLITE_DONE)
                r = -EIO;
        return r;
}

/* ---- package digests ---- */

static int pkgfiles_open(fimdb_t *db)
{
        if (db->pkgfiles)
                return 0;
        if (store_exec(db->db, PKGFILES_SCHEMA CACHE_PRAGMA("temp"), NULL) < 0)
                return -EIO;
        db->pkgfiles = true;
        return 0;
}

int fimdb_pkgfiles_set(fimdb_t *db, const pkgverify_t *pv)
{
        sqlite3_stmt *st = NULL;
        int r;

        if ((r = pkgfiles_open(db)) < 0)
                return r;
        if (store_exec(db->db, "BEGIN; DELETE FROM temp.pkgfiles;", NULL) < 0)
                return -EIO;
        if (sqlite3_prepare_v2(db->db, "INSERT OR IGNORE INTO temp.pkgfiles VALUES (?,?,?,?)", -1,
                               &st, NULL) != SQLITE_OK) {
                r = -EIO;
                goto out;
        }
        for (size_t i = 0; pv && i < pv->n_files; i++) {
                const pkgverify_file_t *f = &pv->files[i];
                sqlite3_reset(st);
                sqlite3_bind_text(st, 1, f->path, -1, SQLITE_STATIC);
                sqlite3_bind_int64(st, 2, f->pkg);
                sqlite3_bind_int(st, 3, (int)f->algo);
                sqlite3_bind_blob(st, 4, f->digest, (int)fimhash_algo_len(f->algo), SQLITE_STATIC);
                if (sqlite3_step(st) != SQLITE_DONE) {
                        r = -EIO;
                        goto out;
                }
        }
        sqlite3_finalize(st);
        st = NULL;
        r = store_exec(db->db, "COMMIT;", NULL);
out:
        sqlite3_finalize(st);
        if (r < 0)
                (void)sqlite3_exec(db->db, "ROLLBACK;", NULL, NULL, NULL);
        return r;
}

/* Decode a pkgfiles row (path, pkg, algo, digest) into *RET (path borrowed
 * from the statement). False for a row that makes no sense. */
static bool pkgfile_decode(sqlite3_stmt *st, pkgverify_file_t *ret)
{
        pkgverify_file_t f = { 0 };
        const char *path;
        int64_t pkg, algo;

        if (!col_text(st, 0, FIMTAB_PATH_MAX, false, &path) || !path_ok(path) ||
            !col_int(st, 1, 0, UINT32_MAX, &pkg) || !col_int(st, 2, 0, INT32_MAX, &algo))
                return false;
        if (algo != FIMHASH_MD5 && algo != FIMHASH_SHA1 && algo != FIMHASH_SHA256)
                return false;
        if (sqlite3_column_type(st, 3) != SQLITE_BLOB ||
            (size_t)sqlite3_column_bytes(st, 3) != fimhash_algo_len((fimhash_algo_t)algo))
                return false;
        f.path = (char *)path;
        f.pkg = (uint32_t)pkg;
        f.algo = (fimhash_algo_t)algo;
        memcpy(f.digest, sqlite3_column_blob(st, 3), fimhash_algo_len(f.algo));
        *ret = f;
        return true;
}

int fimdb_pkgfile_get(fimdb_t *db, const char *path, pkgverify_file_t *ret)
{
        pkgverify_file_t f;
        int rc, r;

        if (!db->pkgfiles)
                return -ENOENT;
        if (!db->pk_get &&
            sqlite3_prepare_v3(db->db, "SELECT * FROM temp.pkgfiles WHERE path = ?", -1,
                               SQLITE_PREPARE_PERSISTENT, &db->pk_get, NULL) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_text(db->pk_get, 1, path, -1, SQLITE_STATIC);
        rc = sqlite3_step(db->pk_get);
        if (rc == SQLITE_ROW)
                r = pkgfile_decode(db->pk_get, &f) ? 0 : -ENOENT;
        else
                r = rc == SQLITE_DONE ? -ENOENT : -EIO;
        sqlite3_clear_bindings(db->pk_get);
        sqlite3_reset(db->pk_get);
        if (r == 0) {
                f.path = NULL;
                *ret = f;
        }
        return r;
}

int fimdb_pkgfiles_foreach_under(fimdb_t *db, const char *dir, fimdb_pkgfile_fn fn, void *userdata)
{
        _cleanup_free_ char *end = range_end(dir);
        sqlite3_stmt *st;
        int rc, r = 0;

        if (!end)
                return -ENOMEM;
        if (!db->pkgfiles)
                return 0;
        if (sqlite3_prepare_v2(db->db,
                               "SELECT * FROM temp.pkgfiles WHERE path >= ? AND path < ? "
                               "ORDER BY path",
                               -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, end, -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                pkgverify_file_t f;
                if (!pkgfile_decode(st, &f) || !under(f.path, dir))
                        continue;
                if ((r = fn(&f, userdata)) < 0)
                        break;
        }
        sqlite3_finalize(st);
        if (r == 0 && rc != SQLITE_DONE)
                r = -EIO;
        return r;
}

int fimdb_load(fimdb_t *db, const char *display, fimtab_t *tab, report_t *report, size_t *ret_bad)
{
        sqlite3_stmt *st;
        size_t bad = 0, row = 0;
        int rc, r = 0;

        if (sqlite3_prepare_v2(db->db, "SELECT " COLUMNS " FROM files", -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                fimtab_entry_t *e = NULL;
                const char *why = NULL;
                row++;
                r = fimdb_decode_row(st, &e, &why);
                if (r == -ENOMEM)
                        break;
                if (r < 0) {
                        if (bad < FIMDB_NOTES_MAX && report)
                                (void)report_note(report, REPORT_NOTE_WARNING, display,
                                                  "baseline row %zu skipped: %s", row, why);
                        bad++;
                        r = 0;
                        continue;
                }
                if ((r = fimtab_put(tab, e)) < 0)
                        break;
        }
        sqlite3_finalize(st);
        if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
                r = -EIO;
        if (bad && report) {
                if (bad > FIMDB_NOTES_MAX)
                        (void)report_note(report, REPORT_NOTE_WARNING, display,
                                          "%zu bad baseline rows skipped in all", bad);
                (void)report_count(report, "fim", "baseline_bad_rows", (long long)bad);
        }
        if (ret_bad)
                *ret_bad = bad;
        return r;
}

int fimdb_meta_set(fimdb_t *db, const char *key, const char *value)
{
        sqlite3_stmt *st;
        int rc;

        if (sqlite3_prepare_v2(db->db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", -1,
                               &st, NULL) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : -EIO;
}

int fimdb_meta_get(fimdb_t *db, const char *key, char **ret)
{
        sqlite3_stmt *st;
        const char *v;
        int rc, r;

        if (sqlite3_prepare_v2(db->db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL) !=
            SQLITE_OK)
                return -EIO;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                r = -ENOENT;
        else if (rc != SQLITE_ROW)
                r = -EIO;
        else if (!col_text(st, 0, FIMDB_META_MAX, false, &v))
                r = -EINVAL;
        else {
                *ret = strdup(v);
                r = *ret ? 0 : -ENOMEM;
        }
        sqlite3_finalize(st);
        return r;
}

int fimdb_meta_set_int(fimdb_t *db, const char *key, int64_t value)
{
        char buf[32];

        snprintf(buf, sizeof(buf), "%" PRId64, value);
        return fimdb_meta_set(db, key, buf);
}

int fimdb_meta_get_int(fimdb_t *db, const char *key, int64_t *ret)
{
        _cleanup_free_ char *v = NULL;
        const char *s;
        unsigned long long u;
        int r = fimdb_meta_get(db, key, &v);

        if (r < 0)
                return r;
        s = v[0] == '-' ? v + 1 : v;
        if (str_to_u64(s, &u) < 0 || u > INT64_MAX)
                return -EINVAL;
        *ret = v[0] == '-' ? -(int64_t)u : (int64_t)u;
        return 0;
}
