/* Unit tests for detect/fim/fimdb: a baseline written and read back field
 * for field, meta values, deletion, and rows damaged in the database file
 * (wrong types, bad paths, digests of the wrong length) skipped and counted
 * while the good rows are kept. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "detect/fim/fimdb.h"

static fimtab_entry_t *make(const char *path, int i)
{
        fimtab_entry_t *e = fimtab_entry_new(path);

        e->mode = S_IFREG | 04755;
        e->uid = 1000 + (uint32_t)i;
        e->gid = UINT32_MAX;                /* the largest owner there is */
        e->size = UINT64_MAX - (uint64_t)i; /* beyond SQLite's signed range */
        e->ino = 1ULL << 63;
        e->dev = 0xfd01;
        e->mtime_ns = -5; /* before 1970 */
        e->ctime_ns = 1700000000123456789LL;
        e->has_sha256 = i % 2 == 0;
        for (int k = 0; k < HASH_SHA256_LEN; k++)
                e->sha256[k] = (uint8_t)(k + i);
        e->source = i % 2 ? FIM_SOURCE_PACKAGE : FIM_SOURCE_BASELINE;
        if (i % 2)
                assert_int_equal(fimtab_entry_set_pkg(e, "coreutils", "md5:0011"), 0);
        e->pkg_state = i % 2 ? FIM_PKG_MISMATCH : FIM_PKG_NONE;
        e->hashed_at = 1700000000 + i;
        e->rehash_at = 1700600000 + i;
        return e;
}

static void test_round_trip(void **state)
{
        fimdb_t *db = NULL;
        char *err = NULL, *v = NULL;
        fimtab_t t = { 0 };
        size_t bad = 9;
        int64_t n;

        (void)state;
        assert_int_equal(fimdb_open(":memory:", true, &db, &err), 0);
        assert_int_equal(fimdb_begin(db), 0);
        for (int i = 0; i < 100; i++) {
                char path[64];
                fimtab_entry_t *e;
                snprintf(path, sizeof(path), "/etc/file %d", i);
                e = make(path, i);
                assert_int_equal(fimdb_put(db, e), 0);
                fimtab_entry_free(e);
        }
        assert_int_equal(fimdb_commit(db), 0);
        assert_int_equal(fimdb_delete(db, "/etc/file 99"), 0);
        assert_int_equal(fimdb_delete(db, "/etc/none"), 0);
        assert_int_equal(fimdb_count(db, &n), 0);
        assert_int_equal(n, 99);
        assert_int_equal(fimdb_load(db, "fim.db", &t, NULL, &bad), 0);
        assert_int_equal(bad, 0);
        assert_int_equal(t.n, 99);
        for (int i = 0; i < 99; i++) {
                char path[64];
                fimtab_entry_t *want, *got;
                snprintf(path, sizeof(path), "/etc/file %d", i);
                want = make(path, i);
                got = fimtab_get(&t, path);
                assert_non_null(got);
                assert_int_equal(got->mode, want->mode);
                assert_int_equal(got->uid, want->uid);
                assert_int_equal(got->gid, want->gid);
                assert_true(got->size == want->size);
                assert_true(got->ino == want->ino);
                assert_int_equal(got->dev, want->dev);
                assert_int_equal(got->mtime_ns, want->mtime_ns);
                assert_int_equal(got->ctime_ns, want->ctime_ns);
                assert_int_equal(got->has_sha256, want->has_sha256);
                if (want->has_sha256)
                        assert_memory_equal(got->sha256, want->sha256, HASH_SHA256_LEN);
                assert_int_equal(got->source, want->source);
                assert_int_equal(got->pkg_state, want->pkg_state);
                if (want->pkg) {
                        assert_string_equal(got->pkg, want->pkg);
                        assert_string_equal(got->pkg_digest, want->pkg_digest);
                } else
                        assert_null(got->pkg);
                assert_int_equal(got->hashed_at, want->hashed_at);
                assert_int_equal(got->rehash_at, want->rehash_at);
                fimtab_entry_free(want);
        }
        fimtab_clear(&t);

        assert_int_equal(fimdb_meta_get(db, "root", &v), -ENOENT);
        assert_int_equal(fimdb_meta_set(db, "root", "/mnt/img"), 0);
        assert_int_equal(fimdb_meta_get(db, "root", &v), 0);
        assert_string_equal(v, "/mnt/img");
        free(v);
        assert_int_equal(fimdb_meta_set_int(db, "created_at", -42), 0);
        assert_int_equal(fimdb_meta_get_int(db, "created_at", &n), 0);
        assert_int_equal(n, -42);
        assert_int_equal(fimdb_meta_get_int(db, "root", &n), -EINVAL);
        assert_int_equal(fimdb_clear(db), 0);
        assert_int_equal(fimdb_count(db, &n), 0);
        assert_int_equal(n, 0);
        fimdb_close(db);
}

static void test_bad_rows(void **state)
{
        static const char *const bad_rows[] = {
                "('relative/path', 33188, 0, 0, 1, 0, 0, 1, 1, NULL, 0, NULL, NULL, 0, 0, 0)",
                "('/a/../b', 33188, 0, 0, 1, 0, 0, 1, 1, NULL, 0, NULL, NULL, 0, 0, 0)",
                "('/trailing/', 33188, 0, 0, 1, 0, 0, 1, 1, NULL, 0, NULL, NULL, 0, 0, 0)",
                "('/bad-type', 12345678, 0, 0, 1, 0, 0, 1, 1, NULL, 0, NULL, NULL, 0, 0, 0)",
                "('/text-mode', '0644', 0, 0, 1, 0, 0, 1, 1, NULL, 0, NULL, NULL, 0, 0, 0)",
                "('/neg-uid', 33188, -1, 0, 1, 0, 0, 1, 1, NULL, 0, NULL, NULL, 0, 0, 0)",
                "('/short-sha', 33188, 0, 0, 1, 0, 0, 1, 1, x'0011', 0, NULL, NULL, 0, 0, 0)",
                "('/text-sha', 33188, 0, 0, 1, 0, 0, 1, 1, 'abc', 0, NULL, NULL, 0, 0, 0)",
                "('/bad-source', 33188, 0, 0, 1, 0, 0, 1, 1, NULL, 7, NULL, NULL, 0, 0, 0)",
                "('/bad-state', 33188, 0, 0, 1, 0, 0, 1, 1, NULL, 0, NULL, NULL, 3, 0, 0)",
                "('/blob-pkg', 33188, 0, 0, 1, 0, 0, 1, 1, NULL, 0, x'00', NULL, 0, 0, 0)",
                "('/real-size', 33188, 0, 0, 1.5, 0, 0, 1, 1, NULL, 0, NULL, NULL, 0, 0, 0)",
                "(x'2f6e756c00616d65', 33188, 0, 0, 1, 0, 0, 1, 1, NULL, 0, NULL, NULL, 0, 0, 0)",
        };
        fimdb_t *db = NULL;
        char *err = NULL, sql[512];
        fimtab_t t = { 0 };
        report_t *r = report_new("h", "/");
        size_t bad = 0;
        fimtab_entry_t *good = make("/etc/good", 0);

        (void)state;
        assert_int_equal(fimdb_open(":memory:", true, &db, &err), 0);
        assert_int_equal(fimdb_put(db, good), 0);
        fimtab_entry_free(good);
        for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
                snprintf(sql, sizeof(sql), "INSERT INTO files VALUES %s", bad_rows[i]);
                assert_int_equal(sqlite3_exec(fimdb_sqlite(db), sql, NULL, NULL, NULL), SQLITE_OK);
        }
        assert_int_equal(fimdb_load(db, "fim.db", &t, r, &bad), 0);
        assert_int_equal(bad, sizeof(bad_rows) / sizeof(bad_rows[0]));
        assert_int_equal(t.n, 1);
        assert_non_null(fimtab_get(&t, "/etc/good"));
        /* FIMDB_NOTES_MAX rows are noted one by one, then one summary. */
        assert_int_equal(r->n_notes, FIMDB_NOTES_MAX + 1);
        fimtab_clear(&t);
        report_free(r);
        fimdb_close(db);
}

static void test_newer_schema(void **state)
{
        char tmpl[] = "/tmp/vigil-fimdb.XXXXXX", path[256];
        const char *dir = mkdtemp(tmpl);
        fimdb_t *db = NULL;
        char *err = NULL;

        (void)state;
        snprintf(path, sizeof(path), "%s/fim.db", dir);
        assert_int_equal(fimdb_open(path, false, &db, &err), -ENOENT);
        free(err);
        assert_int_equal(fimdb_open(path, true, &db, &err), 0);
        assert_int_equal(sqlite3_exec(fimdb_sqlite(db), "PRAGMA user_version=99", NULL, NULL, NULL),
                         SQLITE_OK);
        fimdb_close(db);
        assert_int_equal(fimdb_open(path, false, &db, &err), -EPROTO);
        assert_non_null(strstr(err, "newer vigil"));
        free(err);
        unlink(path);
        {
                char cmd[300];
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
                assert_int_equal(system(cmd), 0);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_bad_rows),
                cmocka_unit_test(test_newer_schema),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
