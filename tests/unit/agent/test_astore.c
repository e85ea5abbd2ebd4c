/* Unit tests for agent/astore: positions, counters, alerts as a spool with
 * consumer cursors, the (dedupe, time) uniqueness, transactions, scans and
 * their findings, retention and the status object. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/astore.h"
#include "core/timeutil.h"

static char dir[64];

static int setup(void **state)
{
        (void)state;
        snprintf(dir, sizeof(dir), "/tmp/vigil-astore.XXXXXX");
        assert_non_null(mkdtemp(dir));
        return 0;
}

static int teardown(void **state)
{
        char cmd[128];

        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

static astore_t *open_store(const char *sub)
{
        _cleanup_free_ char *p = str_printf("%s/%s", dir, sub), *err = NULL;
        astore_t *s;

        assert_int_equal(astore_open(p, true, &s, &err), 0);
        return s;
}

static alert_t *mk(const char *rule, const char *subject, int64_t t)
{
        alert_t *a = alert_new(ALERT_ABNORMAL_LOGIN, rule, subject, ALERT_SUSPICIOUS, t);

        assert_non_null(a);
        assert_int_equal(alert_set_host(a, "h"), 0);
        assert_int_equal(alert_set_title(a, "t %s", subject), 0);
        return a;
}

static void test_positions(void **state)
{
        astore_t *s = open_store("pos");
        tail_pos_t p = { .dev = 1,
                         .ino = UINT64_MAX - 5,
                         .offset = 1234,
                         .lineno = 7,
                         .head_hash = 0xfedcba9876543210ULL,
                         .head_len = 1024 },
                   q;
        _cleanup_free_ char *c = NULL;
        astore_counts_t n;

        (void)state;
        assert_int_equal(astore_get_pos(s, "/var/log/auth.log", 0, &q), -ENOENT);
        assert_int_equal(astore_begin(s), 0);
        assert_int_equal(astore_put_pos(s, "/var/log/auth.log", 0, &p), 0);
        assert_int_equal(astore_put_pos(s, "/var/log/auth.log", 1, &p), 0);
        assert_int_equal(astore_add_counts(s, "/var/log/auth.log", "text", 10, 3, 1, 2), 0);
        assert_int_equal(astore_add_counts(s, "/var/log/auth.log", "text", 5, 1, 0, 0), 0);
        assert_int_equal(astore_put_cursor(s, "journal", "s=abc;i=1"), 0);
        assert_int_equal(astore_commit(s), 0);
        assert_int_equal(astore_get_pos(s, "/var/log/auth.log", 0, &q), 0);
        assert_int_equal(q.dev, p.dev);
        assert_true(q.ino == p.ino);
        assert_int_equal(q.offset, p.offset);
        assert_int_equal(q.lineno, p.lineno);
        assert_true(q.head_hash == p.head_hash);
        assert_int_equal(q.head_len, p.head_len);
        assert_int_equal(astore_get_counts(s, "/var/log/auth.log", &n), 0);
        assert_int_equal(n.records, 15);
        assert_int_equal(n.events, 4);
        assert_int_equal(n.oversized, 1);
        assert_int_equal(n.alerts, 2);
        assert_int_equal(astore_get_cursor(s, "journal", &c), 0);
        assert_string_equal(c, "s=abc;i=1");
        /* A rolled back batch leaves nothing behind. */
        p.offset = 99999;
        assert_int_equal(astore_begin(s), 0);
        assert_int_equal(astore_put_pos(s, "/var/log/auth.log", 0, &p), 0);
        assert_int_equal(astore_put_pos(s, "/var/log/auth.log", 1, NULL), 0);
        astore_rollback(s);
        assert_int_equal(astore_get_pos(s, "/var/log/auth.log", 0, &q), 0);
        assert_int_equal(q.offset, 1234);
        assert_int_equal(astore_get_pos(s, "/var/log/auth.log", 1, &q), 0);
        astore_close(s);
        /* And it is all there after reopening. */
        s = open_store("pos");
        assert_int_equal(astore_get_pos(s, "/var/log/auth.log", 0, &q), 0);
        assert_int_equal(q.lineno, 7);
        astore_close(s);
}

typedef struct collected {
        strv_t json;
        int stop_after;
} collected_t;

static int collect(int64_t seq, const char *json, size_t len, void *userdata)
{
        collected_t *c = userdata;

        (void)seq;
        assert_int_equal(strlen(json), len);
        if (c->stop_after && (int)c->json.n >= c->stop_after)
                return -EAGAIN;
        assert_int_equal(strv_push(&c->json, json), 0);
        return 0;
}

static void test_alerts(void **state)
{
        astore_t *s = open_store("alerts");
        collected_t c = { 0 };
        int64_t seq1 = 0, seq2 = 0, last = 0, cur;
        alert_t *a1 = mk("login.brute_force", "203.0.113.9", 1000000);
        alert_t *a2 = mk("login.brute_force", "203.0.113.9", 1000000);
        alert_t *a3 = mk("login.brute_force", "203.0.113.9", 2000000);

        (void)state;
        assert_int_equal(astore_max_seq(s), 0);
        assert_int_equal(astore_begin(s), 0);
        assert_int_equal(astore_put_alert(s, a1, "/var/log/auth.log", &seq1), 0);
        /* The same rule, host, subject and time: the same event again. */
        assert_int_equal(astore_put_alert(s, a2, "/var/log/auth.log", NULL), 1);
        assert_int_equal(astore_put_alert(s, a3, NULL, &seq2), 0);
        assert_int_equal(astore_commit(s), 0);
        assert_true(seq2 > seq1);
        assert_int_equal(astore_alert_count(s), 2);
        assert_int_equal(astore_max_seq(s), seq2);
        assert_int_equal(astore_alerts_after(s, 0, 10, collect, &c, &last), 0);
        assert_int_equal(c.json.n, 2);
        assert_int_equal(last, seq2);
        assert_non_null(strstr(c.json.v[0], a1->id));
        assert_non_null(strstr(c.json.v[0], "\"rule\":\"login.brute_force\""));
        strv_clear(&c.json);
        c.stop_after = 1;
        assert_int_equal(astore_alerts_after(s, 0, 10, collect, &c, &last), -EAGAIN);
        assert_int_equal(last, seq1);
        strv_clear(&c.json);
        assert_int_equal(astore_consumer_get(s, "jsonl:x", &cur), -ENOENT);
        assert_int_equal(astore_consumer_set(s, "jsonl:x", seq1), 0);
        assert_int_equal(astore_consumer_get(s, "jsonl:x", &cur), 0);
        assert_int_equal(cur, seq1);
        /* Retention: everything stored before now goes; the seq goes on. */
        assert_int_equal(astore_prune(s, timeutil_now_us() + 1000000, 0, &last), 0);
        assert_int_equal(last, 2);
        assert_int_equal(astore_alert_count(s), 0);
        assert_int_equal(astore_max_seq(s), seq2);
        alert_free(a1);
        alert_free(a2);
        alert_free(a3);
        astore_close(s);
}

static void test_max_alerts(void **state)
{
        astore_t *s = open_store("cap");
        collected_t c = { 0 };

        (void)state;
        assert_int_equal(astore_begin(s), 0);
        for (int i = 0; i < 150; i++) {
                alert_t *a = mk("network.port_scan", "198.51.100.7", 1000000LL * (i + 1));
                assert_int_equal(astore_put_alert(s, a, "capture", NULL), 0);
                alert_free(a);
        }
        assert_int_equal(astore_commit(s), 0);
        assert_int_equal(astore_prune(s, 0, 100, NULL), 0);
        assert_int_equal(astore_alert_count(s), 100);
        /* The newest are kept. */
        assert_int_equal(astore_alerts_after(s, 0, 1, collect, &c, NULL), 0);
        assert_non_null(strstr(c.json.v[0], "1970-01-01T00:00:51Z"));
        strv_clear(&c.json);
        astore_close(s);
}

static report_t *scan_report(const char *check, finding_category_t cat)
{
        report_t *r = report_new("h", "/");
        finding_t *f = finding_new(cat, check, "/etc/ssh/sshd_config", FINDING_MEDIUM);

        assert_non_null(r);
        assert_non_null(f);
        assert_int_equal(finding_set_title(f, "title of %s", check), 0);
        assert_int_equal(report_add_finding(r, f), 0);
        return r;
}

static void test_scans(void **state)
{
        astore_t *s = open_store("scans");
        strv_t only = { 0 }, done = { 0 };
        astore_scan_result_t res;
        report_t *r;
        int64_t last;
        json_t *st;

        (void)state;
        assert_int_equal(strv_push(&only, "baseline"), 0);
        assert_int_equal(strv_push(&done, "baseline"), 0);
        astore_scan_t sc = { .schedule = "baseline/172800s",
                             .scanners = &only,
                             .completed = &done,
                             .started_us = 5000000,
                             .finished_us = 6000000 };
        assert_int_equal(astore_last_scan(s, sc.schedule, &last), -ENOENT);
        r = scan_report("ssh.root-login", CAT_BASELINE);
        assert_int_equal(report_add_alert(r, mk("process.miner", "pid 1", 7)), 0);
        assert_int_equal(astore_put_scan(s, &sc, r, &res), 0);
        report_free(r);
        assert_int_equal(res.findings, 1);
        assert_int_equal(res.new_open, 1);
        assert_int_equal(res.fixed, 0);
        assert_int_equal(res.alerts, 1);
        assert_int_equal(astore_last_scan(s, sc.schedule, &last), 0);
        assert_int_equal(last, 5000000);
        /* Seen again: not new. */
        r = scan_report("ssh.root-login", CAT_BASELINE);
        sc.started_us = 7000000;
        assert_int_equal(astore_put_scan(s, &sc, r, &res), 0);
        report_free(r);
        assert_int_equal(res.new_open, 0);
        /* Gone from a completed scan: fixed. Another scanner's failure
         * (not completed) fixes nothing. */
        r = scan_report("ssh.password-auth", CAT_BASELINE);
        sc.started_us = 8000000;
        assert_int_equal(astore_put_scan(s, &sc, r, &res), 0);
        report_free(r);
        assert_int_equal(res.new_open, 1);
        assert_int_equal(res.fixed, 1);
        strv_clear(&done);
        r = report_new("h", "/");
        sc.started_us = 9000000;
        assert_int_equal(astore_put_scan(s, &sc, r, &res), 0);
        report_free(r);
        assert_int_equal(res.fixed, 0);
        assert_int_equal(astore_last_scan(s, sc.schedule, &last), 0);
        assert_int_equal(last, 9000000);

        st = astore_status(s);
        assert_non_null(st);
        assert_int_equal(
                json_integer_value(json_object_get(
                        json_object_get(json_object_get(st, "findings"), "open"), "medium")),
                1);
        assert_int_equal(
                json_integer_value(json_object_get(json_object_get(st, "findings"), "fixed")), 1);
        assert_int_equal(json_array_size(json_object_get(st, "scans")), 4);
        assert_int_equal(
                json_integer_value(json_object_get(json_object_get(st, "alerts"), "total")), 1);
        json_decref(st);
        strv_clear(&only);
        astore_close(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_positions),
                cmocka_unit_test(test_alerts),
                cmocka_unit_test(test_max_alerts),
                cmocka_unit_test(test_scans),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
