/* Unit tests for center/intake: gzip with its caps, validation of every
 * field of a batch, and storing: idempotent by batch and by item, counts
 * and score kept, scans closing findings, events, heartbeats. Runs on
 * SQLite, and on PostgreSQL with VIGIL_TEST_PG. */
#include "ctest.h"

#include <errno.h>
#include <jansson.h>
#include <zlib.h>

#include "center/enroll.h"
#include "center/intake.h"

#define NOW 1800000000000000LL /* 2027-01-15 */

static const intake_limits_t lim = { .max_json = 1 << 20, .max_items = 100 };

static char *gz(const char *s, size_t n, size_t *ret_len)
{
        z_stream zs = { 0 };
        size_t cap = n + 1024;
        char *out = malloc(cap);

        assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
                         Z_OK);
        zs.next_in = (Bytef *)s;
        zs.avail_in = (uInt)n;
        zs.next_out = (Bytef *)out;
        zs.avail_out = (uInt)cap;
        assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
        *ret_len = cap - zs.avail_out;
        deflateEnd(&zs);
        return out;
}

static void test_gunzip(void **state)
{
        const char *doc = "{\"hello\": \"world\"}";
        size_t zn, n;
        char *z = gz(doc, strlen(doc), &zn), *out = NULL;

        assert_int_equal(intake_gunzip(z, zn, 1000, &out, &n), 0);
        assert_int_equal(n, strlen(doc));
        assert_string_equal(out, doc);
        free(out);
        /* Exactly at the cap passes; one byte less fails. */
        assert_int_equal(intake_gunzip(z, zn, strlen(doc), &out, &n), 0);
        free(out);
        assert_int_equal(intake_gunzip(z, zn, strlen(doc) - 1, &out, &n), -E2BIG);
        /* Truncated, trailing garbage, not gzip. */
        assert_int_equal(intake_gunzip(z, zn - 4, 1000, &out, &n), -EINVAL);
        {
                char *t = malloc(zn + 3);
                memcpy(t, z, zn);
                memcpy(t + zn, "xyz", 3);
                assert_int_equal(intake_gunzip(t, zn + 3, 1000, &out, &n), -EINVAL);
                free(t);
        }
        assert_int_equal(intake_gunzip("plain text", 10, 1000, &out, &n), -EINVAL);
        assert_int_equal(intake_gunzip("", 0, 1000, &out, &n), -EINVAL);
        free(z);
        /* A bomb: 64 MiB of zeros stops at the cap without inflating it all. */
        {
                size_t big = 64u << 20;
                char *zeros = calloc(1, big);
                char *b = gz(zeros, big, &zn);
                free(zeros);
                assert_true(zn < 100000);
                assert_int_equal(intake_gunzip(b, zn, 1 << 20, &out, &n), -E2BIG);
                free(b);
        }
}

static const char *alert_item(int i, const char *level)
{
        static char buf[8][512];
        char *b = buf[i % 8];

        snprintf(b, 512,
                 "{\"kind\":\"alert\",\"id\":\"al-%d\",\"type\":\"abnormal_login\","
                 "\"rule\":\"ssh.brute_force\",\"level\":\"%s\",\"time\":"
                 "\"2027-01-15T08:00:00Z\",\"title\":\"t%d\",\"evidence\":{\"src\":\"203.0.113.%"
                 "d\"}}",
                 i, level, i, i % 250);
        return b;
}

static int parse(const char *json, intake_batch_t **ret, char **err)
{
        *err = NULL;
        return intake_parse(json, strlen(json), &lim, NOW, ret, err);
}

static void expect_bad(const char *json, const char *fragment)
{
        intake_batch_t *b = NULL;
        char *err = NULL;
        int r = parse(json, &b, &err);

        if (r >= 0 || !err || (fragment && !strstr(err, fragment))) {
                fprintf(stderr, "input: %s\nresult %d, error: %s\n", json, r, err ? err : "-");
                fail();
        }
        assert_null(b);
        free(err);
}

static void test_parse_ok(void **state)
{
        intake_batch_t *b = NULL;
        char *err = NULL;
        char json[16384];

        snprintf(json, sizeof(json),
                 "{\"agent_id\":7,\"batch_id\":\"b1\",\"seq\":3,\"items\":[%s,%s,"
                 "{\"kind\":\"finding\",\"id\":\"%032d\",\"category\":\"baseline\","
                 "\"check\":\"ssh.root-login\",\"level\":\"medium\",\"title\":\"root\","
                 "\"references\":[\"https://x\"],\"tags\":[\"cis:5.2\"],\"scan_id\":\"s1\"},"
                 "{\"kind\":\"scan_result\",\"id\":\"s1\",\"started\":\"2027-01-15T07:00:00Z\","
                 "\"finished\":\"2027-01-15T07:01:00+00:00\",\"categories\":[\"baseline\"]},"
                 "{\"kind\":\"event\",\"id\":\"e1\",\"event\":\"auth_failure\","
                 "\"time\":\"2027-01-15T08:00:01Z\",\"user\":\"root\",\"line\":12},"
                 "{\"kind\":\"heartbeat\",\"spool_items\":4,\"agent_version\":\"0.1.0\"}]}",
                 alert_item(1, "urgent"), alert_item(2, "reminder"), 5);
        assert_int_equal(parse(json, &b, &err), 0);
        assert_int_equal(b->agent_id, 7);
        assert_string_equal(b->batch_id, "b1");
        assert_int_equal(b->seq, 3);
        assert_int_equal(b->n_items, 6);
        assert_int_equal(b->n_alerts, 2);
        assert_int_equal(b->alerts[0].level, 3);
        assert_int_equal(b->alerts[1].level, 1);
        assert_string_equal(b->alerts[0].evidence, "{\"src\":\"203.0.113.1\"}");
        assert_int_equal(b->n_findings, 1);
        assert_int_equal(b->findings[0].time, NOW);
        assert_string_equal(b->findings[0].tags, "[\"cis:5.2\"]");
        assert_int_equal(b->n_scans, 1);
        assert_int_equal(b->scans[0].finished - b->scans[0].started, 60000000);
        assert_int_equal(b->n_events, 1);
        assert_non_null(strstr(b->events[0].data, "\"user\":\"root\""));
        assert_true(b->heartbeat.present);
        assert_int_equal(b->heartbeat.spool_items, 4);
        assert_int_equal(b->heartbeat.spool_bytes, -1);
        intake_batch_free(b);

        /* A time far in the future is taken as the time received. */
        snprintf(json, sizeof(json),
                 "{\"agent_id\":7,\"batch_id\":\"b1\",\"seq\":3,\"items\":[{\"kind\":\"alert\","
                 "\"id\":\"x\",\"type\":\"data_leak\",\"rule\":\"r\",\"level\":\"urgent\","
                 "\"time\":\"2099-01-01T00:00:00Z\",\"title\":\"t\"}]}");
        assert_int_equal(parse(json, &b, &err), 0);
        assert_int_equal(b->alerts[0].time, NOW);
        assert_string_equal(b->alerts[0].evidence, "{}");
        intake_batch_free(b);
        /* An empty batch is fine (a keep-alive). */
        assert_int_equal(
                parse("{\"agent_id\":1,\"batch_id\":\"e\",\"seq\":0,\"items\":[]}", &b, &err), 0);
        intake_batch_free(b);
}

static void test_parse_bad(void **state)
{
        char json[16384];
#define HEAD "{\"agent_id\":7,\"batch_id\":\"b1\",\"seq\":1,\"items\":["
        expect_bad("", "not valid JSON");
        expect_bad("[]", "must be a JSON object");
        expect_bad("{\"agent_id\":7}", "batch_id");
        expect_bad("{\"agent_id\":0,\"batch_id\":\"b\",\"seq\":1,\"items\":[]}", "agent_id");
        expect_bad("{\"agent_id\":9007199254740992,\"batch_id\":\"b\",\"seq\":1,\"items\":[]}",
                   "agent_id");
        expect_bad("{\"agent_id\":1.5,\"batch_id\":\"b\",\"seq\":1,\"items\":[]}", "agent_id");
        expect_bad("{\"agent_id\":1,\"batch_id\":\"b\",\"seq\":-1,\"items\":[]}", "seq");
        expect_bad("{\"agent_id\":1,\"batch_id\":\"b\",\"seq\":1,\"items\":{}}", "items");
        expect_bad("{\"version\":2,\"agent_id\":1,\"batch_id\":\"b\",\"seq\":1,\"items\":[]}",
                   "version");
        expect_bad("{\"agent_id\":1,\"agent_id\":2,\"batch_id\":\"b\",\"seq\":1,\"items\":[]}",
                   "duplicate");
        expect_bad(HEAD "1]}", "items[0]");
        expect_bad(HEAD "{}]}", "items[0].kind");
        expect_bad(HEAD "{\"kind\":\"trojan\"}]}", "items[0].kind");
        expect_bad(HEAD "{\"kind\":\"alert\"}]}", "items[0].id");
        expect_bad(HEAD "{\"kind\":\"alert\",\"id\":\"a\\u0000b\"}]}", "JSON");
        /* Each alert field wrong in turn. */
        const char *alert_bad[][2] = {
                { "\"id\":\"a b\"", "id" },
                { "\"id\":\"\"", "id" },
                { "\"type\":\"virus\"", "type" },
                { "\"type\":1", "type" },
                { "\"rule\":\"has space\"", "rule" },
                { "\"level\":\"critical\"", "level" },
                { "\"level\":null", "level" },
                { "\"time\":\"today\"", "time" },
                { "\"time\":1700000000", "time" },
                { "\"title\":\"\"", "title" },
                { "\"title\":[]", "title" },
                { "\"evidence\":\"x\"", "evidence" },
                { "\"remediation\":5", "remediation" },
                { "\"subject\":{}", "subject" },
        };
        for (size_t i = 0; i < ELEMENTSOF(alert_bad); i++) {
                /* Later keys override earlier ones? No: duplicates are
                 * refused, so build the item with the bad field in place. */
                const char *fields[] = { "\"id\":\"a1\"",
                                         "\"type\":\"abnormal_login\"",
                                         "\"rule\":\"r\"",
                                         "\"level\":\"urgent\"",
                                         "\"time\":\"2027-01-15T08:00:00Z\"",
                                         "\"title\":\"t\"",
                                         "\"evidence\":{}",
                                         "\"remediation\":\"r\"",
                                         "\"subject\":\"s\"" };
                char item[1024] = "{\"kind\":\"alert\"";
                const char *key_end = strchr(alert_bad[i][0], ':');
                size_t klen = (size_t)(key_end - alert_bad[i][0]);
                for (size_t k = 0; k < ELEMENTSOF(fields); k++) {
                        const char *f = strncmp(fields[k], alert_bad[i][0], klen + 1) == 0
                                                ? alert_bad[i][0]
                                                : fields[k];
                        strncat(item, ",", sizeof(item) - strlen(item) - 1);
                        strncat(item, f, sizeof(item) - strlen(item) - 1);
                }
                snprintf(json, sizeof(json), HEAD "%s}]}", item);
                expect_bad(json, alert_bad[i][1]);
        }
        /* Caps. */
        {
                /* A path of PATH_MAX fits; more than 8 KiB does not. */
                char *t = malloc(9000);
                memset(t, 'x', 8500);
                t[8500] = 0;
                snprintf(json, sizeof(json),
                         HEAD "{\"kind\":\"alert\",\"id\":\"a\",\"type\":\"data_leak\","
                              "\"rule\":\"r\",\"level\":\"urgent\",\"time\":"
                              "\"2027-01-15T08:00:00Z\",\"title\":\"%s\"}]}",
                         t);
                expect_bad(json, "title: is longer than 8192");
                free(t);
        }
        expect_bad(HEAD "{\"kind\":\"finding\",\"id\":\"f\",\"category\":\"vulnerability\","
                        "\"check\":\"c\",\"level\":\"high\",\"title\":\"t\",\"tags\":[1]}]}",
                   "tags");
        expect_bad(HEAD "{\"kind\":\"finding\",\"id\":\"f\",\"category\":\"rootkit\","
                        "\"check\":\"c\",\"level\":\"high\",\"title\":\"t\"}]}",
                   "category");
        expect_bad(HEAD "{\"kind\":\"finding\",\"id\":\"f\",\"category\":\"malware\","
                        "\"check\":\"c\",\"level\":\"urgent\",\"title\":\"t\"}]}",
                   "level");
        expect_bad(HEAD "{\"kind\":\"scan_result\",\"id\":\"s\",\"started\":"
                        "\"2027-01-15T08:00:00Z\",\"finished\":\"2027-01-15T07:00:00Z\","
                        "\"categories\":[]}]}",
                   "finished");
        expect_bad(HEAD "{\"kind\":\"scan_result\",\"id\":\"s\",\"started\":"
                        "\"2027-01-15T07:00:00Z\",\"finished\":\"2027-01-15T08:00:00Z\","
                        "\"categories\":[\"malware\",\"malware\"]}]}",
                   "repeated");
        expect_bad(HEAD "{\"kind\":\"event\",\"id\":\"e\",\"event\":\"x\",\"time\":"
                        "\"2027-01-15T08:00:00Z\",\"nested\":{\"a\":1}}]}",
                   "nested");
        expect_bad(HEAD "{\"kind\":\"heartbeat\",\"spool_items\":-1}]}", "spool_items");
        expect_bad(HEAD "{\"kind\":\"heartbeat\",\"hostname\":\"\"}]}", "hostname");
        /* Duplicate ids within a batch. */
        snprintf(json, sizeof(json), HEAD "%s,%s]}", alert_item(1, "urgent"),
                 alert_item(1, "reminder"));
        expect_bad(json, "appears twice");
        /* Too many items, values, too deep. */
        {
                buf_t big;
                buf_init(&big, 1 << 20);
                buf_append_str(&big, HEAD);
                for (int i = 0; i < 101; i++)
                        buf_printf(&big, "%s%s", i ? "," : "", alert_item(i, "urgent"));
                buf_append_str(&big, "]}");
                expect_bad(big.data, "more than 100 items");
                buf_reset(&big);
                buf_append_str(&big, HEAD "{\"kind\":\"heartbeat\",\"x\":[");
                for (int i = 0; i < 40000; i++)
                        buf_append_str(&big, i ? ",1" : "1");
                buf_append_str(&big, "]}]}");
                expect_bad(big.data, "too many JSON values");
                buf_free(&big);
        }
        expect_bad(HEAD "[[[[[[[[1]]]]]]]]]}", "nested deeper");
#undef HEAD
}

/* ---- storing ---- */

static int64_t enroll(cdb_conn_t *c, const char *name)
{
        char *token = NULL, id[17], secret[65];
        const char *reason;
        int64_t host;
        enroll_info_t info = { .hostname = name };

        assert_int_equal(enroll_token_create(c, 1, 3600000000LL, NULL, "test", NOW, &token, id), 0);
        assert_int_equal(enroll_agent(c, token, &info, NOW, &host, secret, &reason), 0);
        free(token);
        return host;
}

static intake_result_t store(cdb_conn_t *c, int64_t host, const char *json)
{
        intake_batch_t *b = NULL;
        intake_result_t res;
        char *err = NULL;

        if (parse(json, &b, &err) < 0) {
                fprintf(stderr, "%s\n", err);
                fail();
        }
        assert_int_equal(intake_store(c, host, b, "192.0.2.1", NOW, &res), 0);
        intake_batch_free(b);
        return res;
}

static int64_t q(cdb_conn_t *c, const char *sql, int64_t host)
{
        int64_t v = -1;
        cdb_param_t p[] = { CDB_INT(host) };
        assert_int_equal(cdb_query_int(c, sql, p, 1, &v), 0);
        return v;
}

static void test_store(void **state)
{
        cdb_t *db = ctest_open_db(2);
        cdb_conn_t *c;
        char json[16384];
        intake_result_t r;
        int64_t h1, h2;

        assert_int_equal(cdb_acquire(db, &c), 0);
        h1 = enroll(c, "one");
        h2 = enroll(c, "two");
        snprintf(json, sizeof(json),
                 "{\"agent_id\":%lld,\"batch_id\":\"b1\",\"seq\":1,\"items\":[%s,%s,%s]}",
                 (long long)h1, alert_item(1, "urgent"), alert_item(2, "suspicious"),
                 alert_item(3, "suspicious"));
        r = store(c, h1, json);
        assert_false(r.duplicate);
        assert_int_equal(r.alerts, 3);
        /* 100 - 20 - 10 = 70, capped at 60 by the urgent alert. */
        assert_int_equal(r.score, 60);
        r = store(c, h1, json);
        assert_true(r.duplicate);
        assert_int_equal(r.alerts, 0);
        /* Same items, new batch id: items are idempotent on their own. */
        snprintf(json, sizeof(json),
                 "{\"agent_id\":%lld,\"batch_id\":\"b2\",\"seq\":2,\"items\":[%s,%s]}",
                 (long long)h1, alert_item(1, "urgent"), alert_item(4, "reminder"));
        r = store(c, h1, json);
        assert_false(r.duplicate);
        assert_int_equal(r.alerts, 1);
        assert_int_equal(r.duplicate_items, 1);
        assert_int_equal(q(c, "SELECT count(*) FROM alerts WHERE host_id = $1", h1), 4);
        assert_int_equal(q(c,
                           "SELECT a_urgent * 100 + a_suspicious * 10 + a_reminder FROM hosts"
                           " WHERE id = $1",
                           h1),
                         121);
        assert_int_equal(q(c, "SELECT sum(n) FROM alert_counts WHERE host_id = $1", h1), 4);
        assert_int_equal(q(c, "SELECT last_seq FROM hosts WHERE id = $1", h1), 2);
        /* The other host is untouched; it may reuse the ids. */
        assert_int_equal(q(c, "SELECT count(*) FROM alerts WHERE host_id = $1", h2), 0);
        snprintf(json, sizeof(json),
                 "{\"agent_id\":%lld,\"batch_id\":\"b1\",\"seq\":1,\"items\":[%s]}", (long long)h2,
                 alert_item(1, "urgent"));
        r = store(c, h2, json);
        assert_int_equal(r.alerts, 1);
        assert_false(r.duplicate);
        /* A revoked host cannot store. */
        {
                intake_batch_t *b = NULL;
                char *err = NULL;
                cdb_param_t p[] = { CDB_INT(h2) };
                assert_int_equal(
                        cdb_exec(c, "UPDATE hosts SET revoked = 1 WHERE id = $1", p, 1, NULL), 0);
                snprintf(json, sizeof(json),
                         "{\"agent_id\":%lld,\"batch_id\":\"b9\",\"seq\":1,\"items\":[]}",
                         (long long)h2);
                assert_int_equal(parse(json, &b, &err), 0);
                assert_int_equal(intake_store(c, h2, b, NULL, NOW, &r), -ENOENT);
                intake_batch_free(b);
        }
        cdb_release(c);
        cdb_close(db);
}

static const char *finding_item(int n, const char *level, const char *scan, const char *time)
{
        static char buf[8][512];
        char *b = buf[n % 8];

        snprintf(b, 512,
                 "{\"kind\":\"finding\",\"id\":\"%032d\",\"category\":\"baseline\",\"check\":"
                 "\"c%d\",\"level\":\"%s\",\"title\":\"f%d\",\"scan_id\":\"%s\",\"time\":\"%s\"}",
                 n, n, level, n, scan, time);
        return b;
}

static void test_scans(void **state)
{
        cdb_t *db = ctest_open_db(1);
        cdb_conn_t *c;
        char json[16384];
        intake_result_t r;
        int64_t h;

        assert_int_equal(cdb_acquire(db, &c), 0);
        h = enroll(c, "scanned");
        snprintf(json, sizeof(json),
                 "{\"agent_id\":%lld,\"batch_id\":\"s1\",\"seq\":1,\"items\":[%s,%s,%s,"
                 "{\"kind\":\"scan_result\",\"id\":\"s1\",\"started\":\"2027-01-15T01:00:00Z\","
                 "\"finished\":\"2027-01-15T01:05:00Z\",\"categories\":[\"baseline\"]}]}",
                 (long long)h, finding_item(1, "high", "s1", "2027-01-15T01:01:00Z"),
                 finding_item(2, "low", "s1", "2027-01-15T01:01:00Z"),
                 finding_item(3, "low", "s1", "2027-01-15T01:01:00Z"));
        r = store(c, h, json);
        assert_int_equal(r.findings, 3);
        assert_int_equal(r.scans, 1);
        assert_int_equal(r.fixed, 0);
        /* high 10 + low 2 = 88, capped at 80 by the high risk. */
        assert_int_equal(r.score, 80);
        assert_int_equal(
                q(c, "SELECT f_high * 100 + f_low * 10 + f_baseline FROM hosts WHERE id = $1", h),
                100 + 20 + 3);
        /* The next scan sees only finding 2: 1 and 3 are fixed. */
        snprintf(json, sizeof(json),
                 "{\"agent_id\":%lld,\"batch_id\":\"s2\",\"seq\":2,\"items\":[%s,"
                 "{\"kind\":\"scan_result\",\"id\":\"s2\",\"started\":\"2027-01-15T02:00:00Z\","
                 "\"finished\":\"2027-01-15T02:05:00Z\",\"categories\":[\"baseline\"]}]}",
                 (long long)h, finding_item(2, "low", "s2", "2027-01-15T02:01:00Z"));
        r = store(c, h, json);
        assert_int_equal(r.fixed, 2);
        /* One low baseline failure: 99, capped at 90. */
        assert_int_equal(r.score, 90);
        assert_int_equal(
                q(c, "SELECT count(*) FROM findings WHERE host_id = $1 AND status = 'fixed'", h),
                2);
        /* A scan of other categories fixes nothing here. */
        snprintf(json, sizeof(json),
                 "{\"agent_id\":%lld,\"batch_id\":\"s3\",\"seq\":3,\"items\":["
                 "{\"kind\":\"scan_result\",\"id\":\"s3\",\"started\":\"2027-01-15T03:00:00Z\","
                 "\"finished\":\"2027-01-15T03:05:00Z\",\"categories\":[\"malware\"]}]}",
                 (long long)h);
        r = store(c, h, json);
        assert_int_equal(r.fixed, 0);
        /* An ignored finding stays ignored when seen again. */
        {
                cdb_param_t p[] = { CDB_INT(h) };
                assert_int_equal(
                        cdb_exec(c, "UPDATE findings SET status = 'ignored' WHERE host_id = $1", p,
                                 1, NULL),
                        0);
        }
        snprintf(json, sizeof(json),
                 "{\"agent_id\":%lld,\"batch_id\":\"s4\",\"seq\":4,\"items\":[%s]}", (long long)h,
                 finding_item(1, "high", "s4", "2027-01-15T04:01:00Z"));
        r = store(c, h, json);
        assert_int_equal(r.findings, 1);
        assert_int_equal(
                q(c, "SELECT count(*) FROM findings WHERE host_id = $1 AND status = 'ignored'", h),
                3);
        assert_int_equal(r.score, 100);
        /* Events and heartbeats. */
        snprintf(json, sizeof(json),
                 "{\"agent_id\":%lld,\"batch_id\":\"s5\",\"seq\":5,\"items\":["
                 "{\"kind\":\"event\",\"id\":\"e1\",\"event\":\"auth_failure\",\"time\":"
                 "\"2027-01-15T05:00:00Z\",\"user\":\"x\"},{\"kind\":\"heartbeat\","
                 "\"spool_items\":12,\"spool_bytes\":3400,\"hostname\":\"renamed\"}]}",
                 (long long)h);
        r = store(c, h, json);
        assert_int_equal(r.events, 1);
        assert_int_equal(r.heartbeats, 1);
        assert_int_equal(q(c, "SELECT spool_items + spool_bytes FROM hosts WHERE id = $1", h),
                         3412);
        {
                cdb_res_t *res;
                cdb_param_t p[] = { CDB_INT(h) };
                assert_int_equal(
                        cdb_query(c, "SELECT hostname FROM hosts WHERE id = $1", p, 1, &res), 0);
                assert_int_equal(cdb_next(res), 1);
                assert_string_equal(cdb_get_text(res, 0), "renamed");
                cdb_res_free(res);
        }
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
                cmocka_unit_test(test_gunzip),    cmocka_unit_test(test_parse_ok),
                cmocka_unit_test(test_parse_bad), cmocka_unit_test(test_store),
                cmocka_unit_test(test_scans),
        };
        return cmocka_run_group_tests_name(ctest_pg() ? "center_intake (postgresql)"
                                                      : "center_intake (sqlite)",
                                           tests, NULL, teardown);
}
