#include "core/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/text.h"

int store_exec(sqlite3 *db, const char *sql, char **ret_error)
{
        char *msg = NULL;

        if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
                if (ret_error)
                        *ret_error = strdup(msg ? msg : sqlite3_errmsg(db));
                sqlite3_free(msg);
                return -EIO;
        }
        return 0;
}

static int get_version(sqlite3 *db, int *ret)
{
        sqlite3_stmt *st;
        int rc;

        if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? 0 : -EIO;
}

int store_open(const char *path, bool create, const char *const *migrations, unsigned n,
               sqlite3 **ret, char **ret_error)
{
        sqlite3 *db = NULL;
        int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
        int version = 0, r;
        char *err = NULL;

        *ret_error = NULL;
        if (!create && access(path, F_OK) < 0) {
                *ret_error = str_printf("%s: %s", path, strerror(errno));
                return -errno;
        }
        if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
                *ret_error = str_printf("%s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
                sqlite3_close(db);
                return -EIO;
        }
        sqlite3_busy_timeout(db, 10000);
        if (store_exec(
                    db,
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                    &err) < 0 ||
            get_version(db, &version) < 0) {
                *ret_error = str_printf("%s: %s", path, err ? err : sqlite3_errmsg(db));
                free(err);
                sqlite3_close(db);
                return -EIO;
        }
        if (version > (int)n) {
                *ret_error =
                        str_printf("%s: written by a newer vigil (schema %d, this one knows %u)",
                                   path, version, n);
                sqlite3_close(db);
                return -EPROTO;
        }
        for (unsigned i = (unsigned)version; i < n; i++) {
                char pragma[64];
                snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%u;", i + 1);
                if (store_exec(db, "BEGIN IMMEDIATE;", &err) < 0 ||
                    store_exec(db, migrations[i], &err) < 0 || store_exec(db, pragma, &err) < 0 ||
                    store_exec(db, "COMMIT;", &err) < 0) {
                        *ret_error = str_printf("%s: schema migration %u failed: %s", path, i + 1,
                                                err ? err : "unknown error");
                        free(err);
                        sqlite3_exec(db, "ROLLBACK;", NULL, NULL, NULL);
                        sqlite3_close(db);
                        return -EIO;
                }
        }
        r = 0;
        *ret = db;
        return r;
}

void store_close(sqlite3 *db)
{
        if (db)
                sqlite3_close(db);
}

int store_mkdir_p(const char *dir)
{
        char *p = strdup(dir);
        int r = 0;

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                        r = -errno;
                        break;
                }
                *s = '/';
        }
        if (r == 0 && mkdir(p, 0700) < 0 && errno != EEXIST)
                r = -errno;
        free(p);
        return r;
}
