/* Unit tests for center/cdb: the same queries on SQLite and (with
 * VIGIL_TEST_PG) PostgreSQL: placeholders, value types, NULL, unique
 * violations, transactions, RETURNING, multi-row VALUES, the statement
 * cache, the pool and versioned migrations. */
#include "ctest.h"

#include <errno.h>
#include <pthread.h>

#include "core/buf.h"

static cdb_t *open_plain(unsigned n)
{
        cdb_t *db = NULL;
        char *err = NULL;

        assert_int_equal(cdb_open(ctest_fresh_db(), n, false, &db, &err), 0);
        return db;
}

static void test_bad_urls(void **state)
{
        cdb_t *db = NULL;
        char *err = NULL;

        assert_int_equal(cdb_open("mysql://x", 1, false, &db, &err), -EINVAL);
        assert_non_null(strstr(err, "unknown database"));
        free(err);
        err = NULL;
        assert_int_equal(cdb_open("sqlite:", 1, false, &db, &err), -EINVAL);
        free(err);
        err = NULL;
        assert_int_equal(cdb_open("sqlite:/nonexistent/dir/x.db", 1, false, &db, &err), -EIO);
        assert_non_null(err);
        free(err);
        err = NULL;
        /* A PostgreSQL that is not there: a clear error, no hang. */
        assert_int_equal(cdb_open("postgres://nobody@/x?host=/nonexistent&connect_timeout=2", 1,
                                  false, &db, &err),
                         -EIO);
        assert_non_null(strstr(err, "PostgreSQL"));
        free(err);
}

static void test_types(void **state)
{
        cdb_t *db = open_plain(1);
        cdb_conn_t *c;
        cdb_res_t *r;
        const char *texts[] = { "plain", "it's \"quoted\" $1 ?1", "日本語 ✓", "'; DROP TABLE t; --",
                                "" };

        assert_int_equal(cdb_acquire(db, &c), 0);
        assert_int_equal(
                cdb_exec(c,
                         "CREATE TABLE t (k BIGINT PRIMARY KEY, s TEXT, d DOUBLE PRECISION,"
                         " n BIGINT)",
                         NULL, 0, NULL),
                0);
        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                cdb_param_t p[] = { CDB_INT((int64_t)i - 2), CDB_TEXT(texts[i]), CDB_REAL(i / 4.0),
                                    i == 1 ? CDB_NULL : CDB_INT(INT64_MAX - (int64_t)i) };
                assert_int_equal(cdb_exec(c, "INSERT INTO t (k, s, d, n) VALUES ($1, $2, $3, $4)",
                                          p, 4, NULL),
                                 0);
        }
        /* Placeholders used twice and out of order. */
        cdb_param_t q[] = { CDB_INT(10), CDB_INT(-5) };
        assert_int_equal(cdb_query(c,
                                   "SELECT k, s, d, n FROM t WHERE k > $2 AND k < $1"
                                   " AND k <> $2 ORDER BY k",
                                   q, 2, &r),
                         0);
        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                assert_int_equal(cdb_next(r), 1);
                assert_int_equal(cdb_get_int(r, 0), (int64_t)i - 2);
                assert_string_equal(cdb_get_text(r, 1), texts[i]);
                assert_true(cdb_get_real(r, 2) == i / 4.0);
                if (i == 1) {
                        assert_true(cdb_is_null(r, 3));
                        assert_null(cdb_get_text(r, 3));
                } else {
                        assert_false(cdb_is_null(r, 3));
                        assert_true(cdb_get_int(r, 3) == INT64_MAX - (int64_t)i);
                }
        }
        assert_int_equal(cdb_next(r), 0);
        /* One result open at a time. */
        assert_int_equal(cdb_exec(c, "SELECT 1", NULL, 0, NULL), -EBUSY);
        cdb_res_free(r);
        /* sum() is numeric in PostgreSQL; it still reads as an integer. */
        int64_t v = 0;
        assert_int_equal(cdb_query_int(c, "SELECT sum(k) FROM t", NULL, 0, &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(cdb_query_int(c, "SELECT k FROM t WHERE k = 99", NULL, 0, &v), -ENOENT);
        cdb_release(c);
        cdb_close(db);
}

static void test_errors_and_tx(void **state)
{
        cdb_t *db = open_plain(1);
        cdb_conn_t *c;
        int64_t n = -1, v = 0;

        assert_int_equal(cdb_acquire(db, &c), 0);
        assert_int_equal(cdb_exec(c, "CREATE TABLE u (a TEXT NOT NULL, b BIGINT, PRIMARY KEY (a))",
                                  NULL, 0, NULL),
                         0);
        cdb_param_t p[] = { CDB_TEXT("x"), CDB_INT(1) };
        assert_int_equal(cdb_exec(c, "INSERT INTO u (a, b) VALUES ($1, $2)", p, 2, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(cdb_exec(c, "INSERT INTO u (a, b) VALUES ($1, $2)", p, 2, NULL), -EEXIST);
        assert_int_equal(cdb_exec(c,
                                  "INSERT INTO u (a, b) VALUES ($1, $2) ON CONFLICT (a) DO NOTHING",
                                  p, 2, &n),
                         0);
        assert_int_equal(n, 0);
        assert_int_equal(cdb_exec(c, "SELECT nonsense FROM nowhere", NULL, 0, NULL), -EIO);
        assert_true(strlen(cdb_errmsg(c)) > 0);

        /* Rollback undoes, commit keeps. */
        assert_int_equal(cdb_begin(c), 0);
        assert_true(cdb_in_transaction(c));
        assert_int_equal(cdb_begin(c), -EBUSY);
        cdb_param_t p2[] = { CDB_TEXT("y"), CDB_INT(2) };
        assert_int_equal(cdb_exec(c, "INSERT INTO u (a, b) VALUES ($1, $2)", p2, 2, NULL), 0);
        cdb_rollback(c);
        assert_int_equal(cdb_query_int(c, "SELECT count(*) FROM u", NULL, 0, &v), 0);
        assert_int_equal(v, 1);
        assert_int_equal(cdb_begin(c), 0);
        assert_int_equal(cdb_exec(c, "INSERT INTO u (a, b) VALUES ($1, $2)", p2, 2, NULL), 0);
        assert_int_equal(cdb_commit(c), 0);
        assert_int_equal(cdb_query_int(c, "SELECT count(*) FROM u", NULL, 0, &v), 0);
        assert_int_equal(v, 2);
        /* A failed statement inside a transaction; rollback recovers. */
        assert_int_equal(cdb_begin(c), 0);
        assert_int_equal(cdb_exec(c, "INSERT INTO u (a, b) VALUES ($1, $2)", p2, 2, NULL), -EEXIST);
        cdb_rollback(c);
        assert_int_equal(cdb_query_int(c, "SELECT count(*) FROM u", NULL, 0, &v), 0);
        assert_int_equal(v, 2);

        /* RETURNING with a multi-row VALUES list and ON CONFLICT. */
        {
                buf_t sql;
                cdb_res_t *r;
                cdb_param_t m[6] = { CDB_TEXT("x"), CDB_INT(10),   CDB_TEXT("z"),
                                     CDB_INT(20),   CDB_TEXT("w"), CDB_INT(30) };
                int64_t sum = 0;
                int k = 0;

                buf_init(&sql, 4096);
                assert_int_equal(buf_append_str(&sql, "INSERT INTO u (a, b) VALUES "), 0);
                assert_int_equal(cdb_values_list(&sql, 3, 2, 1), 0);
                assert_string_equal(sql.data,
                                    "INSERT INTO u (a, b) VALUES ($1, $2), ($3, $4), ($5, $6)");
                assert_int_equal(buf_append_str(&sql, " ON CONFLICT (a) DO NOTHING RETURNING b"),
                                 0);
                assert_int_equal(cdb_query(c, sql.data, m, 6, &r), 0);
                while (cdb_next(r) > 0) {
                        sum += cdb_get_int(r, 0);
                        k++;
                }
                cdb_res_free(r);
                buf_free(&sql);
                assert_int_equal(k, 2); /* x was there */
                assert_int_equal(sum, 50);
        }
        cdb_release(c);
        cdb_close(db);
}

static int body_calls;
static int tx_body(cdb_conn_t *c, void *userdata)
{
        body_calls++;
        if (body_calls == 1)
                return -EAGAIN; /* a conflict: run again */
        cdb_param_t p[] = { CDB_TEXT("t"), CDB_INT(1) };
        return cdb_exec(c, "INSERT INTO u (a, b) VALUES ($1, $2)", p, 2, NULL);
}

static void test_transact(void **state)
{
        cdb_t *db = open_plain(1);
        cdb_conn_t *c;
        int64_t v = 0;

        assert_int_equal(cdb_acquire(db, &c), 0);
        assert_int_equal(
                cdb_exec(c, "CREATE TABLE u (a TEXT PRIMARY KEY, b BIGINT)", NULL, 0, NULL), 0);
        body_calls = 0;
        assert_int_equal(cdb_transact(c, 3, tx_body, NULL), 0);
        assert_int_equal(body_calls, 2);
        assert_int_equal(cdb_query_int(c, "SELECT count(*) FROM u", NULL, 0, &v), 0);
        assert_int_equal(v, 1);
        body_calls = 5; /* the body now inserts a duplicate */
        assert_int_equal(cdb_transact(c, 3, tx_body, NULL), -EEXIST);
        assert_false(cdb_in_transaction(c));
        cdb_release(c);
        cdb_close(db);
}

static void test_cache_overflow(void **state)
{
        cdb_t *db = open_plain(1);
        cdb_conn_t *c;

        assert_int_equal(cdb_acquire(db, &c), 0);
        /* More distinct statements than the cache holds, twice over. */
        for (int round = 0; round < 2; round++)
                for (int i = 0; i < 900; i++) {
                        char sql[64];
                        int64_t v = 0;
                        snprintf(sql, sizeof(sql), "SELECT %d + CAST($1 AS BIGINT)", i);
                        cdb_param_t p[] = { CDB_INT(round) };
                        assert_int_equal(cdb_query_int(c, sql, p, 1, &v), 0);
                        assert_int_equal(v, i + round);
                }
        cdb_release(c);
        cdb_close(db);
}

struct worker {
        cdb_t *db;
        int id;
};

static void *writer(void *arg)
{
        struct worker *w = arg;

        for (int i = 0; i < 50; i++) {
                cdb_conn_t *c;
                char key[32];
                assert_int_equal(cdb_acquire(w->db, &c), 0);
                snprintf(key, sizeof(key), "%d-%d", w->id, i);
                cdb_param_t p[] = { CDB_TEXT(key), CDB_INT(i) };
                assert_int_equal(cdb_begin(c), 0);
                assert_int_equal(cdb_exec(c, "INSERT INTO u (a, b) VALUES ($1, $2)", p, 2, NULL),
                                 0);
                assert_int_equal(cdb_commit(c), 0);
                cdb_release(c);
        }
        return NULL;
}

static void test_pool_threads(void **state)
{
        cdb_t *db = open_plain(3);
        struct worker w[6];
        pthread_t t[6];
        cdb_conn_t *c;
        int64_t v = 0;

        assert_int_equal(cdb_acquire(db, &c), 0);
        assert_int_equal(
                cdb_exec(c, "CREATE TABLE u (a TEXT PRIMARY KEY, b BIGINT)", NULL, 0, NULL), 0);
        cdb_release(c);
        for (int i = 0; i < 6; i++) {
                w[i] = (struct worker){ db, i };
                pthread_create(&t[i], NULL, writer, &w[i]);
        }
        for (int i = 0; i < 6; i++)
                pthread_join(t[i], NULL);
        assert_int_equal(cdb_acquire(db, &c), 0);
        assert_int_equal(cdb_query_int(c, "SELECT count(*) FROM u", NULL, 0, &v), 0);
        assert_int_equal(v, 300);
        cdb_release(c);
        cdb_close(db);
}

static void test_migrations(void **state)
{
        static const cdb_migration_t m[] = {
                { 1, "one", "CREATE TABLE m1 (a INTEGER); CREATE TABLE m2 (b TEXT)" },
                { 2, "two", "INSERT INTO m1 (a) VALUES (7)" },
        };
        static const cdb_migration_t bad[] = {
                { 1, "one", "CREATE TABLE m1 (a INTEGER); CREATE TABLE m2 (b TEXT)" },
                { 2, "two", "INSERT INTO m1 (a) VALUES (7)" },
                { 3, "broken", "CREATE TABLE m3 (x INTEGER); THIS IS NOT SQL" },
        };
        cdb_t *db = open_plain(1);
        cdb_conn_t *c;
        unsigned applied = 99;
        char *err = NULL;
        int version = -1;
        int64_t v = 0;

        assert_int_equal(cdb_migrate(db, m, 1, &applied, &err), 0);
        assert_int_equal(applied, 1);
        assert_int_equal(cdb_migrate(db, m, 2, &applied, &err), 0);
        assert_int_equal(applied, 1);
        assert_int_equal(cdb_migrate(db, m, 2, &applied, &err), 0);
        assert_int_equal(applied, 0);
        /* A broken migration is rolled back whole and named. */
        assert_true(cdb_migrate(db, bad, 3, &applied, &err) < 0);
        assert_non_null(strstr(err, "migration 3 (broken)"));
        free(err);
        err = NULL;
        assert_int_equal(cdb_acquire(db, &c), 0);
        assert_int_equal(cdb_schema_version(c, &version), 0);
        assert_int_equal(version, 2);
        assert_int_equal(cdb_query_int(c, "SELECT count(*) FROM m1", NULL, 0, &v), 0);
        assert_int_equal(v, 1);
        assert_int_equal(cdb_exec(c, "SELECT * FROM m3", NULL, 0, NULL), -EIO);
        cdb_release(c);
        /* A database from a newer vigil is refused. */
        assert_int_equal(cdb_migrate(db, m, 1, &applied, &err), -EPROTO);
        assert_non_null(strstr(err, "newer"));
        free(err);
        cdb_close(db);

        /* The center's own schema applies cleanly on this engine. */
        db = ctest_open_db(1);
        assert_int_equal(cdb_acquire(db, &c), 0);
        assert_int_equal(cdb_schema_version(c, &version), 0);
        assert_int_equal(version, schema_migrations[schema_n_migrations - 1].version);
        cdb_release(c);
        cdb_close(db);
}

static int teardown(void **state)
{
        ctest_cleanup();
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bad_urls),       cmocka_unit_test(test_types),
                cmocka_unit_test(test_errors_and_tx),  cmocka_unit_test(test_transact),
                cmocka_unit_test(test_cache_overflow), cmocka_unit_test(test_pool_threads),
                cmocka_unit_test(test_migrations),
        };
        return cmocka_run_group_tests_name(ctest_pg() ? "center_cdb (postgresql)"
                                                      : "center_cdb (sqlite)",
                                           tests, NULL, teardown);
}
