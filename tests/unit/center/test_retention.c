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

/* Notifications: finished queue rows and read inbox messages older than
 * the limit go; pending rows and new ones stay; old unread messages stay
 * up to the cap, the newest first. */
static void test_notify_prune(void **state)
{
        cdb_t *db = ctest_open_db(2);
        cdb_conn_t *c;
        int64_t v, deleted = -1;
        static const char *const statuses[] = { "sent", "failed", "suppressed", "dropped",
                                                "pending" };

        assert_int_equal(cdb_acquire(db, &c), 0);
        assert_int_equal(cdb_begin(c), 0);
        /* Each status twice: 40 days old and 10 days old. */
        for (size_t i = 0; i < 10; i++) {
                char item[16];
                int64_t t = NOW - (i < 5 ? 40 : 10) * USEC_PER_DAY;
                snprintf(item, sizeof(item), "i%zu", i);
                cdb_param_t p[] = { CDB_TEXT(item), CDB_INT(t), CDB_TEXT(statuses[i % 5]) };
                assert_int_equal(cdb_exec(c,
                                          "INSERT INTO notify_queue (channel_id, kind, host_id,"
                                          " item_id, level, digest, created_at, due_at, status,"
                                          " next_try) VALUES (1, 'alert', 1, $1, 3, 0, $2, $2,"
                                          " $3, $2)",
                                          p, ELEMENTSOF(p), NULL),
                                 0);
        }
        /* Inbox: ids 1..4 read (1, 2 old), ids 10..15 unread (10..13 old,
         * 10 the oldest). */
        for (int64_t id = 1; id <= 15; id++) {
                if (id > 4 && id < 10)
                        continue;
                bool old = id <= 2 || (id >= 10 && id <= 13);
                int64_t t = NOW - (old ? 60 : 1) * USEC_PER_DAY + id;
                cdb_param_t p[] = { CDB_INT(id), CDB_INT(t), CDB_INT(t + 1) };
                assert_int_equal(
                        cdb_exec(c,
                                 id < 10 ? "INSERT INTO notify_inbox (id, channel_id,"
                                           " created_at, kind, level, title, body, items,"
                                           " read_at) VALUES ($1, 1, $2, 'alert', 'urgent',"
                                           " 't', 'b', '[]', $3)"
                                         : "INSERT INTO notify_inbox (id, channel_id,"
                                           " created_at, kind, level, title, body, items)"
                                           " VALUES ($1, 1, $2, 'alert', 'urgent', 't',"
                                           " 'b', '[]')",
                                 p, id < 10 ? 3 : 2, NULL),
                        0);
        }
        assert_int_equal(cdb_commit(c), 0);
        cdb_release(c);

        /* Keeping for ever deletes nothing. */
        assert_int_equal(retention_notify(db, 0, 3, NOW, &deleted), 0);
        assert_int_equal(deleted, 0);
        /* 30 days, at most 3 unread: the 4 old finished queue rows, the 2
         * old read messages, and of the unread the oldest old ones beyond
         * the newest 3 (15, 14, 13 stay; 12, 11, 10 go). */
        assert_int_equal(retention_notify(db, RETENTION_NOTIFY_KEEP_US, 3, NOW, &deleted), 0);
        assert_int_equal(deleted, 4 + 2 + 3);
        assert_int_equal(cdb_acquire(db, &c), 0);
        assert_int_equal(cdb_query_int(c, "SELECT count(*) FROM notify_queue", NULL, 0, &v), 0);
        assert_int_equal(v, 6);
        assert_int_equal(cdb_query_int(c,
                                       "SELECT count(*) FROM notify_queue WHERE status = 'pending'",
                                       NULL, 0, &v),
                         0);
        assert_int_equal(v, 2);
        assert_int_equal(cdb_query_int(c, "SELECT sum(id) FROM notify_inbox", NULL, 0, &v), 0);
        assert_int_equal(v, 3 + 4 + 13 + 14 + 15);
        cdb_release(c);
        /* A second run finds nothing more. A limit of an hour is raised to
         * two days: the 10-day-old finished rows go, the 1-day-old inbox
         * messages and the pending rows stay. */
        assert_int_equal(retention_notify(db, RETENTION_NOTIFY_KEEP_US, 3, NOW, &deleted), 0);
        assert_int_equal(deleted, 0);
        assert_int_equal(retention_notify(db, USEC_PER_HOUR, 3, NOW, &deleted), 0);
        assert_int_equal(deleted, 4);
        assert_int_equal(cdb_acquire(db, &c), 0);
        assert_int_equal(cdb_query_int(c,
                                       "SELECT count(*) FROM notify_queue WHERE status = 'pending'",
                                       NULL, 0, &v),
                         0);
        assert_int_equal(v, 2);
        assert_int_equal(cdb_query_int(c, "SELECT count(*) FROM notify_queue", NULL, 0, &v), 0);
        assert_int_equal(v, 2);
        cdb_release(c);
        /* With a cap of 0, old unread messages go too; new ones stay. */
        assert_int_equal(retention_notify(db, RETENTION_NOTIFY_KEEP_US, 0, NOW, &deleted), 0);
        assert_int_equal(deleted, 1);
        assert_int_equal(cdb_acquire(db, &c), 0);
        assert_int_equal(cdb_query_int(c, "SELECT sum(id) FROM notify_inbox", NULL, 0, &v), 0);
        assert_int_equal(v, 3 + 4 + 14 + 15);
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
                cmocka_unit_test(test_notify_prune),
        };
        return cmocka_run_group_tests_name(ctest_pg() ? "center_retention (postgresql)"
                                                      : "center_retention (sqlite)",
                                           tests, NULL, teardown);
}
