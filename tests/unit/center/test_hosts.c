/* Unit tests for center/hosts: counting open findings and alerts again,
 * the score from core/score.h, score history samples, online state, and
 * the fleet's figures and hourly sample. */
#include "ctest.h"

#include <errno.h>
#include <jansson.h>

#include "center/cutil.h"
#include "center/enroll.h"
#include "center/hosts.h"

#define NOW 1800000000000000LL

static int64_t enroll(cdb_conn_t *c, const char *name)
{
        char *token = NULL, id[17], secret[65];
        const char *reason;
        int64_t host;
        enroll_info_t info = { .hostname = name };

        assert_int_equal(enroll_token_create(c, 1, USEC_PER_DAY, NULL, "t", NOW, &token, id), 0);
        assert_int_equal(enroll_agent(c, token, &info, NOW, &host, secret, &reason), 0);
        free(token);
        return host;
}

static void add_finding(cdb_conn_t *c, int64_t host, const char *id, const char *cat, int level,
                        const char *status)
{
        cdb_param_t p[] = { CDB_INT(host),  CDB_TEXT(id),     CDB_TEXT(cat),
                            CDB_INT(level), CDB_TEXT(status), CDB_INT(NOW) };
        assert_int_equal(cdb_exec(c,
                                  "INSERT INTO findings (host_id, id, category, check_id, level,"
                                  " title, evidence, refs, tags, status, first_seen, last_seen,"
                                  " updated_at) VALUES ($1, $2, $3, 'c', $4, 't', '{}', '[]',"
                                  " '[]', $5, $6, $6, $6)",
                                  p, ELEMENTSOF(p), NULL),
                         0);
}

static void add_alert(cdb_conn_t *c, int64_t host, const char *id, int level, const char *status)
{
        cdb_param_t p[] = { CDB_INT(host), CDB_TEXT(id), CDB_INT(level), CDB_TEXT(status),
                            CDB_INT(NOW) };
        assert_int_equal(cdb_exec(c,
                                  "INSERT INTO alerts (host_id, id, type, rule, level, time,"
                                  " received, title, evidence, status, updated_at) VALUES ($1, $2,"
                                  " 'abnormal_login', 'r', $3, $5, $5, 't', '{}', $4, $5)",
                                  p, ELEMENTSOF(p), NULL),
                         0);
}

static void test_recount(void **state)
{
        cdb_t *db = ctest_open_db(1);
        cdb_conn_t *c;
        int64_t h, v;
        int score = 0;

        assert_int_equal(cdb_acquire(db, &c), 0);
        h = enroll(c, "h");
        add_finding(c, h, "f1", "vulnerability", 3, "open");
        add_finding(c, h, "f2", "baseline", 1, "open");
        add_finding(c, h, "f3", "baseline", 2, "fixed");
        add_finding(c, h, "f4", "secret", 2, "ignored");
        add_alert(c, h, "a1", 2, "open");
        add_alert(c, h, "a2", 3, "handled");
        add_alert(c, h, "a3", 1, "open");
        assert_int_equal(cdb_begin(c), 0);
        assert_int_equal(hosts_recount(c, h, NOW + USEC_PER_HOUR, &score), 0);
        assert_int_equal(cdb_commit(c), 0);
        /* 100 - 10 - 1 - 5 - 1 = 83, capped at 80 by the high risk. */
        assert_int_equal(score, 80);
        cdb_param_t p[] = { CDB_INT(h) };
        assert_int_equal(cdb_query_int(c,
                                       "SELECT f_high * 1000 + f_medium * 100 + f_low * 10 +"
                                       " f_baseline FROM hosts WHERE id = $1",
                                       p, 1, &v),
                         0);
        assert_int_equal(v, 1011);
        assert_int_equal(cdb_query_int(c,
                                       "SELECT a_urgent * 100 + a_suspicious * 10 + a_reminder"
                                       " FROM hosts WHERE id = $1",
                                       p, 1, &v),
                         0);
        assert_int_equal(v, 11);
        /* History: the enrollment's 100 and this hour's 80. */
        assert_int_equal(
                cdb_query_int(c, "SELECT count(*) FROM score_history WHERE host_id = $1", p, 1, &v),
                0);
        assert_int_equal(v, 2);
        assert_int_equal(cdb_query_int(c,
                                       "SELECT score FROM score_history WHERE host_id = $1"
                                       " ORDER BY bucket DESC LIMIT 1",
                                       p, 1, &v),
                         0);
        assert_int_equal(v, 80);
        assert_int_equal(hosts_recount(c, 424242, NOW, &score), -ENOENT);
        cdb_release(c);
        cdb_close(db);
}

static void test_fleet(void **state)
{
        cdb_t *db = ctest_open_db(1);
        cdb_conn_t *c;
        hosts_fleet_t f;
        int64_t a, b, d, v;

        assert_int_equal(cdb_acquire(db, &c), 0);
        assert_int_equal(hosts_fleet(c, NOW, USEC_PER_HOUR, &f), 0);
        assert_int_equal(f.hosts, 0);
        assert_int_equal(f.score, 100);
        a = enroll(c, "a");
        b = enroll(c, "b");
        d = enroll(c, "d");
        add_alert(c, a, "x", 3, "open");
        add_finding(c, b, "y", "baseline", 1, "open");
        assert_int_equal(hosts_recount(c, a, NOW, NULL), 0);
        assert_int_equal(hosts_recount(c, b, NOW, NULL), 0);
        cdb_param_t p[] = { CDB_INT(d), CDB_INT(NOW - 2 * USEC_PER_HOUR) };
        assert_int_equal(cdb_exec(c, "UPDATE hosts SET last_seen = $2, revoked = 0 WHERE id = $1",
                                  p, 2, NULL),
                         0);
        assert_int_equal(hosts_fleet(c, NOW, USEC_PER_HOUR, &f), 0);
        assert_int_equal(f.hosts, 3);
        assert_int_equal(f.online, 2);
        assert_int_equal(f.alerts[3], 1);
        assert_int_equal(f.findings[1], 1);
        assert_int_equal(f.baseline, 1);
        /* a: 60, b: 90, d: 100. Fleet: 100 - 20 - 1 = 79, capped at 60. */
        assert_true(f.mean_score > 83.33 && f.mean_score < 83.34);
        assert_int_equal(f.score, 60);
        assert_int_equal(f.bands[SCORE_SECURE], 1);
        assert_int_equal(f.bands[SCORE_FEW_RISKS], 1);
        assert_int_equal(f.bands[SCORE_HIGH_RISK], 1);
        assert_true(hosts_online(NOW, NOW + USEC_PER_HOUR, USEC_PER_HOUR));
        assert_false(hosts_online(NOW, NOW + USEC_PER_HOUR + 1, USEC_PER_HOUR));
        assert_false(hosts_online(0, NOW, USEC_PER_HOUR));
        /* The hourly sample, written twice, is one row. */
        assert_int_equal(hosts_fleet_sample(c, NOW, USEC_PER_HOUR), 0);
        assert_int_equal(hosts_fleet_sample(c, NOW + 1000, USEC_PER_HOUR), 0);
        assert_int_equal(cdb_query_int(c, "SELECT count(*) * 1000 + max(score) FROM fleet_history",
                                       NULL, 0, &v),
                         0);
        assert_int_equal(v, 1060);
        cdb_release(c);
        cdb_close(db);
}

static void test_row_json(void **state)
{
        cdb_t *db = ctest_open_db(1);
        cdb_conn_t *c;
        cdb_res_t *r;
        int64_t h;
        json_t *j;

        assert_int_equal(cdb_acquire(db, &c), 0);
        h = enroll(c, "<b>x</b>");
        cdb_param_t p[] = { CDB_INT(h) };
        assert_int_equal(
                cdb_query(c, "SELECT " HOSTS_COLUMNS " FROM hosts WHERE id = $1", p, 1, &r), 0);
        assert_int_equal(cdb_next(r), 1);
        j = hosts_row_json(r, 0, NOW, USEC_PER_HOUR);
        cdb_res_free(r);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "hostname")), "<b>x</b>");
        assert_int_equal(json_integer_value(json_object_get(j, "id")), h);
        assert_true(json_is_true(json_object_get(j, "online")));
        assert_string_equal(json_string_value(json_object_get(j, "band")), "secure");
        assert_true(json_is_null(json_object_get(j, "os")));
        json_decref(j);
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
                cmocka_unit_test(test_recount),
                cmocka_unit_test(test_fleet),
                cmocka_unit_test(test_row_json),
        };
        return cmocka_run_group_tests_name(ctest_pg() ? "center_hosts (postgresql)"
                                                      : "center_hosts (sqlite)",
                                           tests, NULL, teardown);
}
