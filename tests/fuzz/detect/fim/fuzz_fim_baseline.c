/* Fuzz target: the baseline reader. The input describes rows of the files
 * table and values of the meta table with SQLite storage classes chosen by
 * the input (NULL, integer, real, text, blob), so stored data of any shape,
 * as a damaged or edited fim.db would hold, is read back through fimdb_load
 * and fimdb_meta_get. Every entry that is accepted must satisfy the
 * invariants the check relies on. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "detect/fim/fimdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct in {
        const uint8_t *p;
        size_t n;
};

static uint8_t take_byte(struct in *in)
{
        uint8_t b = 0;
        if (in->n) {
                b = *in->p++;
                in->n--;
        }
        return b;
}

/* Bind one value whose storage class and bytes come from the input. */
static void bind_value(sqlite3_stmt *st, int col, struct in *in)
{
        uint8_t kind = take_byte(in) % 5;
        size_t len = take_byte(in);

        if (len > in->n)
                len = in->n;
        switch (kind) {
        case 0:
                sqlite3_bind_null(st, col);
                break;
        case 1: {
                int64_t v = 0;
                memcpy(&v, in->p, len < 8 ? len : 8);
                sqlite3_bind_int64(st, col, v);
                break;
        }
        case 2: {
                double v = 0;
                memcpy(&v, in->p, len < 8 ? len : 8);
                sqlite3_bind_double(st, col, v);
                break;
        }
        case 3:
                sqlite3_bind_text(st, col, (const char *)in->p, (int)len, SQLITE_TRANSIENT);
                break;
        default:
                sqlite3_bind_blob(st, col, in->p, (int)len, SQLITE_TRANSIENT);
                break;
        }
        in->p += len;
        in->n -= len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct in in = { data, size };
        fimdb_t *db = NULL;
        sqlite3_stmt *st = NULL;
        char *err = NULL, *v = NULL;
        fimtab_t t = { 0 };
        int64_t iv;

        if (fimdb_open(":memory:", true, &db, &err) < 0) {
                free(err);
                return 0;
        }
        if (sqlite3_prepare_v2(fimdb_sqlite(db),
                               "INSERT OR IGNORE INTO files VALUES "
                               "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                               -1, &st, NULL) != SQLITE_OK)
                goto out;
        for (int row = 0; row < 64 && in.n; row++) {
                sqlite3_reset(st);
                for (int col = 1; col <= 16; col++)
                        bind_value(st, col, &in);
                (void)sqlite3_step(st);
        }
        sqlite3_finalize(st);
        st = NULL;
        if (sqlite3_prepare_v2(fimdb_sqlite(db),
                               "INSERT OR REPLACE INTO meta VALUES ('created_at', ?), "
                               "('root', ?)",
                               -1, &st, NULL) == SQLITE_OK) {
                bind_value(st, 1, &in);
                bind_value(st, 2, &in);
                (void)sqlite3_step(st);
                sqlite3_finalize(st);
                st = NULL;
        }
        if (fimdb_load(db, "fim.db", &t, NULL, NULL) == 0) {
                for (size_t i = 0; i < t.cap; i++) {
                        const fimtab_entry_t *e = fimtab_at(&t, i);
                        if (!e)
                                continue;
                        if (e->path[0] != '/' || strlen(e->path) > FIMTAB_PATH_MAX ||
                            e->pkg_state > FIM_PKG_MISMATCH || e->source > FIM_SOURCE_PACKAGE)
                                abort();
                        switch (e->mode & S_IFMT) {
                        case S_IFREG:
                        case S_IFDIR:
                        case S_IFLNK:
                        case S_IFCHR:
                        case S_IFBLK:
                        case S_IFIFO:
                        case S_IFSOCK:
                                break;
                        default:
                                abort();
                        }
                }
        }
        (void)fimdb_meta_get_int(db, "created_at", &iv);
        if (fimdb_meta_get(db, "root", &v) == 0)
                free(v);
out:
        fimtab_clear(&t);
        fimdb_close(db);
        return 0;
}
