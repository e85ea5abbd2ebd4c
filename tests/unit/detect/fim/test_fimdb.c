/* Unit tests for detect/fim/fimdb: a baseline written and read back field
 * for field, meta values, deletion, and rows damaged in the database file
 * (wrong types, bad paths, digests of the wrong length) skipped and counted
 * while the good rows are kept, single rows and subtrees looked up in the
 * store, and package digests parked in it and read back. */
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

static int collect(const char *path, uint32_t mode, void *userdata)
{
        char *buf = userdata;
        size_t n = strlen(buf);

        snprintf(buf + n, 1024 - n, "%s%s:%o", n ? " " : "", path, (unsigned)(mode & 07777));
        return 0;
}

static int stop_at_two(const char *path, uint32_t mode, void *userdata)
{
        int *n = userdata;

        (void)path;
        (void)mode;
        return ++*n == 2 ? -ECANCELED : 0;
}

static void test_lookups(void **state)
{
        static const char *const paths[] = { "/etc/ssh",       "/etc/ssh/sshd_config",
                                             "/etc/ssh-old",   "/etc/ssh.d/x",
                                             "/etc/sshd",      "/etc/ssh/moduli",
                                             "/etc/ssh/a/b/c", "/etc/passwd" };
        fimdb_t *db = NULL;
        fimtab_entry_t *e = NULL;
        char *err = NULL, buf[1024] = "";
        int n = 0;

        (void)state;
        assert_int_equal(fimdb_open(":memory:", true, &db, &err), 0);
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
                fimtab_entry_t *x = make(paths[i], (int)i);
                x->mode = (i == 0 ? S_IFDIR : S_IFREG) | 0600 | (unsigned)i;
                assert_int_equal(fimdb_put(db, x), 0);
                fimtab_entry_free(x);
        }
        /* One row, field for field as written. */
        assert_int_equal(fimdb_get(db, "/etc/ssh/moduli", &e), 0);
        assert_string_equal(e->path, "/etc/ssh/moduli");
        assert_int_equal(e->uid, 1005);
        assert_int_equal(e->size, UINT64_MAX - 5);
        assert_string_equal(e->pkg, "coreutils");
        assert_int_equal(e->pkg_state, FIM_PKG_MISMATCH);
        fimtab_entry_free(e);
        e = NULL;
        assert_int_equal(fimdb_get(db, "/etc/nothing", &e), -ENOENT);
        assert_null(e);
        assert_int_equal(fimdb_has(db, "/etc/passwd"), 1);
        assert_int_equal(fimdb_has(db, "/etc/pass"), 0);
        /* A damaged row is no row, as when the whole table is loaded. */
        assert_int_equal(sqlite3_exec(fimdb_sqlite(db),
                                      "UPDATE files SET mode = 'x' WHERE path = '/etc/passwd'",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
        assert_int_equal(fimdb_has(db, "/etc/passwd"), 0);

        /* A subtree: the directory and what lies below it, not its
         * neighbours whose names start the same way. */
        assert_int_equal(fimdb_foreach_under(db, "/etc/ssh", collect, buf), 0);
        assert_string_equal(buf, "/etc/ssh:600 /etc/ssh/a/b/c:606 /etc/ssh/moduli:605 "
                                 "/etc/ssh/sshd_config:601");
        buf[0] = 0;
        assert_int_equal(fimdb_foreach_under(db, "/etc/ssh/sshd_config", collect, buf), 0);
        assert_string_equal(buf, "/etc/ssh/sshd_config:601");
        buf[0] = 0;
        assert_int_equal(fimdb_foreach_under(db, "/", collect, buf), 0);
        assert_int_equal(strlen(buf), strlen("/etc/ssh:600 /etc/ssh/a/b/c:606 /etc/ssh/moduli:605 "
                                             "/etc/ssh/sshd_config:601 /etc/ssh-old:602 "
                                             "/etc/ssh.d/x:603 /etc/sshd:604"));
        assert_null(strstr(buf, "/etc/passwd"));
        /* The callback's error stops the walk and comes back. */
        assert_int_equal(fimdb_foreach_under(db, "/", stop_at_two, &n), -ECANCELED);
        assert_int_equal(n, 2);
        fimdb_close(db);
}

static int collect_pk(const pkgverify_file_t *f, void *userdata)
{
        char *buf = userdata;
        size_t n = strlen(buf);

        snprintf(buf + n, 1024 - n, "%s%s:%u:%u:%02x", n ? " " : "", f->path, f->pkg,
                 (unsigned)f->algo, f->digest[0]);
        return 0;
}

static void test_pkgfiles(void **state)
{
        fimdb_t *db = NULL;
        pkgverify_t *pv = calloc(1, sizeof(*pv));
        pkgverify_file_t f;
        uint8_t d[FIMHASH_MAX_LEN];
        char *err = NULL, buf[1024] = "";

        (void)state;
        assert_non_null(pv);
        pv->pkgs = calloc(2, sizeof(*pv->pkgs));
        pv->n_pkgs = pv->cap_pkgs = 2;
        pv->pkgs[0] = (pkgverify_pkg_t){ PKG_DPKG, strdup("coreutils"), strdup("9.1-1") };
        pv->pkgs[1] = (pkgverify_pkg_t){ PKG_DPKG, strdup("bash"), NULL };
        for (int i = 0; i < FIMHASH_MAX_LEN; i++)
                d[i] = (uint8_t)(0xa0 + i);
        assert_int_equal(pkgverify_add_file(pv, "/usr/bin/ls", 0, FIMHASH_MD5, d), 0);
        d[0] = 0x11;
        assert_int_equal(pkgverify_add_file(pv, "/usr/bin/bash", 1, FIMHASH_SHA256, d), 0);
        assert_int_equal(pkgverify_add_file(pv, "/usr/bin-x/y", 1, FIMHASH_SHA1, d), 0);
        /* Only packages that exist, and the first package of a path. */
        assert_int_equal(pkgverify_add_file(pv, "/usr/bin/zz", 2, FIMHASH_MD5, d), -EINVAL);
        assert_int_equal(pkgverify_add_file(pv, "/usr/bin/ls", 1, FIMHASH_MD5, d), 0);
        assert_int_equal(pv->duplicates, 1);
        assert_int_equal(pv->n_files, 3);

        assert_int_equal(fimdb_open(":memory:", true, &db, &err), 0);
        /* Nothing parked yet. */
        assert_int_equal(fimdb_pkgfile_get(db, "/usr/bin/ls", &f), -ENOENT);
        assert_int_equal(fimdb_pkgfiles_foreach_under(db, "/", collect_pk, buf), 0);
        assert_string_equal(buf, "");
        assert_int_equal(fimdb_pkgfiles_set(db, pv), 0);
        pkgverify_drop_files(pv);
        assert_int_equal(pv->n_files, 0);
        assert_null(pkgverify_lookup(pv, "/usr/bin/ls"));
        /* The package list survives, moved into one block. */
        assert_non_null(pv->strings);
        assert_string_equal(pv->pkgs[0].name, "coreutils");
        assert_string_equal(pv->pkgs[0].version, "9.1-1");
        assert_string_equal(pv->pkgs[1].name, "bash");
        assert_null(pv->pkgs[1].version);

        assert_int_equal(fimdb_pkgfile_get(db, "/usr/bin/ls", &f), 0);
        assert_null(f.path);
        assert_int_equal(f.pkg, 0);
        assert_int_equal(f.algo, FIMHASH_MD5);
        assert_int_equal(f.digest[0], 0xa0);
        assert_int_equal(f.digest[15], 0xaf);
        assert_string_equal(pkgverify_pkg_of(pv, &f)->name, "coreutils");
        assert_int_equal(fimdb_pkgfile_get(db, "/usr/bin", &f), -ENOENT);
        assert_int_equal(fimdb_pkgfiles_foreach_under(db, "/usr/bin", collect_pk, buf), 0);
        assert_string_equal(buf, "/usr/bin/bash:1:1:11 /usr/bin/ls:0:2:a0");
        /* Files may be added back after the drop (a full pass in lean
         * mode does), packages may not. */
        assert_int_equal(pkgverify_add_file(pv, "/usr/bin/ls", 0, FIMHASH_MD5, d), 0);
        assert_non_null(pkgverify_lookup(pv, "/usr/bin/ls"));
        /* Parking again replaces what was there. */
        assert_int_equal(fimdb_pkgfiles_set(db, pv), 0);
        buf[0] = 0;
        assert_int_equal(fimdb_pkgfiles_foreach_under(db, "/", collect_pk, buf), 0);
        assert_string_equal(buf, "/usr/bin/ls:0:2:11");
        /* A damaged row is no row. */
        assert_int_equal(sqlite3_exec(fimdb_sqlite(db), "UPDATE temp.pkgfiles SET digest = x'00'",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
        assert_int_equal(fimdb_pkgfile_get(db, "/usr/bin/ls", &f), -ENOENT);
        assert_int_equal(fimdb_pkgfiles_set(db, NULL), 0);
        buf[0] = 0;
        assert_int_equal(fimdb_pkgfiles_foreach_under(db, "/", collect_pk, buf), 0);
        assert_string_equal(buf, "");
        fimdb_close(db);
        pkgverify_free(pv);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),   cmocka_unit_test(test_bad_rows),
                cmocka_unit_test(test_newer_schema), cmocka_unit_test(test_lookups),
                cmocka_unit_test(test_pkgfiles),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
