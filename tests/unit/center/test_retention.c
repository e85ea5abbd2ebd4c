/* Unit tests for center/retention: old alerts, events, batches and
 * history go, in chunks; new ones stay; hosts that lost open alerts are
 * counted again; zero ages keep everything. */
#include "ctest.h"

#include "center/cutil.h"
#include "center/enroll.h"
#include "center/retention.h"

#define NOW 1800000000000000LL

static void test_retention(void **state)
{
        cdb_t *db = ctest_open_db(2);
        cdb_conn_t *c;
        char *token = NULL, id[17], secret[65];
        const char *reason;
        int64_t h, v, deleted = 0;
        enroll_info_t info = { .hostname = "h" };
        retention_policy_t keep = { 0 };
        retention_policy_t p = { .alerts_us = 10 * USEC_PER_DAY,
                                 .events_us = 5 * USEC_PER_DAY,
                                 .batches_us = USEC_PER_DAY,
                                 .history_us = 30 * USEC_PER_DAY };

        assert_int_equal(cdb_acquire(db, &c), 0);
        assert_int_equal(enroll_token_create(c, 1, USEC_PER_DAY, NULL, "t", NOW, &token, id), 0);
        assert_int_equal(enroll_agent(c, token, &info, NOW, &h, secret, &reason), 0);
        free(token);
        /* 12000 old alerts (more than two chunks) and 5 new, all open. */
        assert_int_equal(cdb_begin(c), 0);
        for (int i = 0; i < 12005; i++) {
                char aid[32];
                int64_t t = i < 12000 ? NOW - 20 * USEC_PER_DAY + i : NOW - USEC_PER_DAY;
                snprintf(aid, sizeof(aid), "a%d", i);
                cdb_param_t ap[] = { CDB_INT(h), CDB_TEXT(aid), CDB_INT(t) };
                assert_int_equal(cdb_exec(c,
                                          "INSERT INTO alerts (host_id, id, type, rule, level,"
                                          " time, received, title, evidence, updated_at)"
                                          " VALUES ($1, $2, 'data_leak', 'r', 2, $3, $3, 't',"
                                          " '{}', $3)",
                                          ap, 3, NULL),
                                 0);
        }
        for (int i = 0; i < 4; i++) {
                char eid[32];
                int64_t t = NOW - (i < 2 ? 6 : 1) * USEC_PER_DAY;
                snprintf(eid, sizeof(eid), "e%d", i);
                cdb_param_t ep[] = { CDB_INT(h), CDB_TEXT(eid), CDB_INT(t) };
                assert_int_equal(cdb_exec(c,
                                          "INSERT INTO events (host_id, id, time, received, type,"
                                          " data) VALUES ($1, $2, $3, $3, 'x', '{}')",
                                          ep, 3, NULL),
                                 0);
                assert_int_equal(cdb_exec(c,
                                          "INSERT INTO batches (host_id, batch_id, seq, items,"
                                          " received) VALUES ($1, $2, 1, 1, $3)",
                                          ep, 3, NULL),
                                 0);
        }
        cdb_param_t hp[] = { CDB_INT(h), CDB_INT(NOW - 40 * USEC_PER_DAY) };
        assert_int_equal(cdb_exec(c,
                                  "INSERT INTO score_history (host_id, bucket, score)"
                                  " VALUES ($1, $2, 50)",
                                  hp, 2, NULL),
                         0);
        assert_int_equal(
                cdb_exec(c, "UPDATE hosts SET a_suspicious = 12005 WHERE id = $1", hp, 1, NULL), 0);
        assert_int_equal(cdb_commit(c), 0);
        cdb_release(c);

        assert_int_equal(retention_run(db, &keep, NOW, &deleted), 0);
        assert_int_equal(deleted, 0);
        assert_int_equal(retention_run(db, &p, NOW, &deleted), 0);
        /* 12000 alerts, 2 events, 4 batches (1 or 6 days old > 1 day? the
         * 1-day-old ones are exactly at the cutoff and stay), 1 sample. */
        assert_int_equal(cdb_acquire(db, &c), 0);
        assert_int_equal(cdb_query_int(c, "SELECT count(*) FROM alerts", NULL, 0, &v), 0);
        assert_int_equal(v, 5);
        assert_int_equal(cdb_query_int(c, "SELECT count(*) FROM events", NULL, 0, &v), 0);
        assert_int_equal(v, 2);
        assert_int_equal(cdb_query_int(c, "SELECT count(*) FROM batches", NULL, 0, &v), 0);
        assert_int_equal(v, 2);
        assert_int_equal(cdb_query_int(c, "SELECT count(*) FROM score_history WHERE score = 50",
                                       NULL, 0, &v),
                         0);
        assert_int_equal(v, 0);
        assert_int_equal(deleted, 12000 + 2 + 2 + 1);
        /* The host's open count follows: 5 suspicious, score 75. */
        assert_int_equal(
                cdb_query_int(c, "SELECT a_suspicious * 1000 + score FROM hosts", NULL, 0, &v), 0);
        assert_int_equal(v, 5075);
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
                cmocka_unit_test(test_retention),
        };
        return cmocka_run_group_tests_name(ctest_pg() ? "center_retention (postgresql)"
                                                      : "center_retention (sqlite)",
                                           tests, NULL, teardown);
}
