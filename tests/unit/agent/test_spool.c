/* Unit tests for agent/spool: items unique by (kind, id) with findings
 * replaced, batches that the center's own validator (center/intake.h)
 * accepts, the in-flight batch formed again with the same id until it is
 * acknowledged (also after reopening the store), the caps on items and
 * bytes, the disk cap dropping the oldest lowest-priority items first, a
 * refused item set aside, and the command records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/spool.h"
#include "center/intake.h"
#include "core/alert.h"

static char dir[64];

static int setup(void **state)
{
        (void)state;
        snprintf(dir, sizeof(dir), "/tmp/vigil-spool.XXXXXX");
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

static astore_t *open_store(void)
{
        astore_t *s = NULL;
        char *err = NULL;

        assert_int_equal(astore_open(dir, true, &s, &err), 0);
        assert_null(err);
        return s;
}

/* An alert item as the agent spools it: from a real alert's JSON. */
static void put_alert(astore_t *s, int i, alert_level_t level)
{
        char subj[32];
        alert_t *a;
        json_t *j;
        char *text;

        snprintf(subj, sizeof(subj), "198.18.0.%d", i);
        a = alert_new(ALERT_ABNORMAL_LOGIN, "login.brute_force", subj, level,
                      1700000000000000LL + i);
        assert_non_null(a);
        assert_int_equal(alert_set_title(a, "brute force %d", i), 0);
        assert_int_equal(alert_set_host(a, "web1"), 0);
        assert_int_equal(alert_add_evidence_str(a, "src", subj), 0);
        j = alert_to_json(a);
        text = json_dumps(j, JSON_COMPACT);
        assert_non_null(text);
        assert_int_equal(spool_put_alert(s, text, strlen(text)), 0);
        /* The same alert again (a crash before the cursor moved): kept once. */
        assert_int_equal(spool_put_alert(s, text, strlen(text)), 1);
        free(text);
        json_decref(j);
        alert_free(a);
}

static void put_finding(astore_t *s, const char *id, const char *title, int prio)
{
        char *text = NULL;
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kind", "finding", "id", id,
                              "category", "baseline", "check", "ssh.root-login", "level", "medium",
                              "title", title, "time", "2026-11-27T03:00:00Z");

        text = json_dumps(o, JSON_COMPACT);
        assert_int_equal(spool_put(s, "finding", id, prio, text, strlen(text)), 0);
        free(text);
        json_decref(o);
}

/* Parse B with the center's validator. */
static intake_batch_t *parse(const spool_batch_t *b)
{
        intake_limits_t lim = { .max_json = 16 * MiB, .max_items = 1000 };
        intake_batch_t *ib = NULL;
        char *err = NULL;
        int r = intake_parse(b->json, b->len, &lim, 1800000000000000LL, &ib, &err);

        if (r < 0)
                fail_msg("the center refuses the batch: %s\n%s", err ? err : "?", b->json);
        free(err);
        return ib;
}

static void test_put(void **state)
{
        astore_t *s = open_store();
        spool_stats_t st;

        (void)state;
        put_alert(s, 1, ALERT_URGENT);
        put_finding(s, "0123456789abcdef0123456789abcdef", "old title", SPOOL_PRIO_MEDIUM);
        /* A later sighting of the finding replaces the spooled one. */
        put_finding(s, "0123456789abcdef0123456789abcdef", "new title", SPOOL_PRIO_MEDIUM);
        assert_int_equal(spool_stats(s, &st), 0);
        assert_int_equal(st.items, 2);
        assert_true(st.bytes > 100);
        /* Bad arguments and oversized items are refused. */
        assert_int_equal(spool_put(s, "alert", "has space", 1, "{}", 2), -EINVAL);
        assert_int_equal(spool_put(s, "alert", "", 1, "{}", 2), -EINVAL);
        assert_int_equal(spool_put(s, "alert", "x", 4, "{}", 2), -EINVAL);
        assert_int_equal(spool_put(s, "", "x", 1, "{}", 2), -EINVAL);
        assert_int_equal(spool_put(s, "event", "x", 1, "{}", SPOOL_ITEM_MAX + 1), -E2BIG);
        assert_int_equal(spool_put_alert(s, "[1]", 3), -EINVAL);
        assert_int_equal(spool_put_alert(s, "{\"id\":\"a\"}", 10), -EINVAL); /* no level */
        assert_int_equal(
                spool_put_alert(s, "{\"id\":\"a\",\"level\":\"urgent\",\"kind\":\"x\"}", 39),
                -EINVAL);
        {
                spool_batch_t b;
                intake_batch_t *ib;
                assert_int_equal(spool_next_batch(s, 42, 10, 1 * MiB, NULL, &b), 0);
                ib = parse(&b);
                assert_int_equal(ib->n_alerts, 1);
                assert_int_equal(ib->n_findings, 1);
                assert_string_equal(ib->findings[0].title, "new title");
                assert_int_equal(ib->agent_id, 42);
                intake_batch_free(ib);
                spool_batch_clear(&b);
        }
        astore_close(s);
}

static void test_batches(void **state)
{
        astore_t *s = open_store();
        spool_batch_t a, b, c;
        spool_stats_t st;
        intake_batch_t *ib;
        json_t *hb = json_pack("{s:s, s:I}", "kind", "heartbeat", "spool_items", (json_int_t)7);

        (void)state;
        /* Nothing to send and no heartbeat. */
        assert_int_equal(spool_next_batch(s, 1, 10, 1 * MiB, NULL, &a), -ENOENT);
        /* A heartbeat alone: a batch of one item, no spool items. */
        assert_int_equal(spool_next_batch(s, 1, 10, 1 * MiB, hb, &a), 0);
        assert_int_equal(a.n, 0);
        ib = parse(&a);
        assert_true(ib->heartbeat.present);
        assert_int_equal(ib->heartbeat.spool_items, 7);
        intake_batch_free(ib);
        assert_int_equal(spool_ack(s, &a), 0);
        spool_batch_clear(&a);

        for (int i = 0; i < 25; i++)
                put_alert(s, i, ALERT_SUSPICIOUS);
        /* At most 10 items, oldest first, with the heartbeat last. */
        assert_int_equal(spool_next_batch(s, 1, 10, 1 * MiB, hb, &a), 0);
        assert_int_equal(a.n, 10);
        ib = parse(&a);
        assert_int_equal(ib->n_alerts, 10);
        assert_true(ib->heartbeat.present);
        assert_string_equal(ib->batch_id, a.batch_id);
        assert_int_equal(ib->seq, a.seq);
        intake_batch_free(ib);
        /* Not acknowledged: the same batch again, same id and items, even
         * with more items waiting and after reopening the store. */
        put_alert(s, 100, ALERT_URGENT);
        assert_int_equal(spool_next_batch(s, 1, 10, 1 * MiB, NULL, &b), 0);
        assert_string_equal(b.batch_id, a.batch_id);
        assert_int_equal(b.seq, a.seq);
        assert_int_equal(b.lo, a.lo);
        assert_int_equal(b.hi, a.hi);
        assert_true(b.reused);
        spool_batch_clear(&b);
        astore_close(s);
        s = open_store();
        assert_int_equal(spool_next_batch(s, 1, 10, 1 * MiB, NULL, &b), 0);
        assert_string_equal(b.batch_id, a.batch_id);
        spool_batch_clear(&b);
        /* Acknowledged: its items go, the next batch is new. */
        assert_int_equal(spool_ack(s, &a), 0);
        assert_int_equal(spool_stats(s, &st), 0);
        assert_int_equal(st.items, 16);
        assert_int_equal(st.shipped, 10);
        assert_int_equal(spool_next_batch(s, 1, 10, 1 * MiB, NULL, &b), 0);
        assert_string_not_equal(b.batch_id, a.batch_id);
        assert_true(b.seq > a.seq);
        assert_int_equal(b.n, 10);
        assert_true(b.lo > a.hi);
        /* Asked for smaller batches (the center refused this one): a new
         * batch of the first half. */
        assert_int_equal(spool_next_batch(s, 1, 5, 1 * MiB, NULL, &c), 0);
        assert_string_not_equal(c.batch_id, b.batch_id);
        assert_int_equal(c.n, 5);
        assert_int_equal(c.lo, b.lo);
        spool_batch_clear(&b);
        spool_batch_clear(&a);
        spool_batch_clear(&c);
        json_decref(hb);
        astore_close(s);
}

/* The byte cap, also when the in-flight batch no longer fits it. */
static void test_bytes(void **state)
{
        astore_t *s = open_store();
        spool_batch_t d;
        sqlite3_stmt *q;
        size_t three = 0;

        (void)state;
        for (int i = 0; i < 5; i++)
                put_alert(s, i, ALERT_URGENT);
        assert_int_equal(sqlite3_prepare_v2(astore_db(s),
                                            "SELECT bytes FROM spool ORDER BY seq LIMIT 3", -1, &q,
                                            NULL),
                         SQLITE_OK);
        while (sqlite3_step(q) == SQLITE_ROW)
                three += (size_t)sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
        assert_int_equal(spool_next_batch(s, 1, 10, three, NULL, &d), 0);
        assert_int_equal(d.n, 3);
        spool_batch_clear(&d);
        assert_int_equal(spool_next_batch(s, 1, 10, three - 1, NULL, &d), 0);
        assert_int_equal(d.n, 2);
        assert_false(d.reused);
        spool_batch_clear(&d);
        /* Always at least one item, however small the cap. */
        assert_int_equal(spool_next_batch(s, 1, 10, 10, NULL, &d), 0);
        assert_int_equal(d.n, 1);
        spool_batch_clear(&d);
        astore_close(s);
}

static void test_reject(void **state)
{
        astore_t *s = open_store();
        spool_batch_t b;
        spool_stats_t st;

        (void)state;
        put_alert(s, 1, ALERT_URGENT);
        put_alert(s, 2, ALERT_URGENT);
        assert_int_equal(spool_next_batch(s, 1, 2, 1 * MiB, NULL, &b), 0);
        assert_int_equal(spool_reject(s, &b), -EINVAL); /* two items: split it first */
        spool_batch_clear(&b);
        assert_int_equal(spool_next_batch(s, 1, 1, 1 * MiB, NULL, &b), 0);
        assert_int_equal(b.n, 1);
        assert_int_equal(spool_reject(s, &b), 0);
        spool_batch_clear(&b);
        assert_int_equal(spool_stats(s, &st), 0);
        assert_int_equal(st.items, 1);
        assert_int_equal(st.rejected, 1);
        assert_int_equal(st.shipped, 0);
        astore_close(s);
}

static void test_cap(void **state)
{
        astore_t *s = open_store();
        spool_stats_t st;
        uint64_t dropped = 0, cap;
        sqlite3_stmt *q;
        int urgent = 0, reminder = 0;

        (void)state;
        /* Reminders first (oldest), then urgent alerts, then more reminders. */
        for (int i = 0; i < 20; i++)
                put_alert(s, i, ALERT_REMINDER);
        for (int i = 20; i < 30; i++)
                put_alert(s, i, ALERT_URGENT);
        for (int i = 30; i < 40; i++)
                put_alert(s, i, ALERT_REMINDER);
        assert_int_equal(spool_stats(s, &st), 0);
        assert_int_equal(st.items, 40);
        /* Under the cap: nothing happens. */
        assert_int_equal(spool_enforce_cap(s, st.bytes, &dropped), 0);
        assert_int_equal(dropped, 0);
        /* A cap of half: the reminders go, oldest first; urgent ones stay. */
        cap = st.bytes / 2;
        assert_int_equal(spool_enforce_cap(s, cap, &dropped), 0);
        assert_true(dropped >= 20);
        assert_int_equal(spool_stats(s, &st), 0);
        assert_true(st.bytes <= cap - cap / 10);
        assert_int_equal(st.dropped, dropped);
        assert_int_equal(sqlite3_prepare_v2(astore_db(s),
                                            "SELECT prio, json_extract(json, '$.evidence.src')"
                                            " FROM spool ORDER BY seq",
                                            -1, &q, NULL),
                         SQLITE_OK);
        while (sqlite3_step(q) == SQLITE_ROW) {
                if (sqlite3_column_int(q, 0) == SPOOL_PRIO_HIGH)
                        urgent++;
                else {
                        /* Only the newest reminders may be left. */
                        int n = atoi(strrchr((const char *)sqlite3_column_text(q, 1), '.') + 1);
                        assert_true(n >= 30);
                        reminder++;
                }
        }
        sqlite3_finalize(q);
        assert_int_equal(urgent, 10);
        assert_int_equal((uint64_t)(urgent + reminder), st.items);
        /* A cap below the urgent ones' size drops them too: the cap holds. */
        assert_int_equal(spool_enforce_cap(s, 100, &dropped), 0);
        assert_int_equal(spool_stats(s, &st), 0);
        assert_true(st.bytes <= 100);
        astore_close(s);
}

static void test_commands(void **state)
{
        astore_t *s = open_store();
        char *status = NULL, *result = NULL;
        bool acked = true;
        int64_t id = 0;

        (void)state;
        assert_int_equal(spool_cmd_get(s, 5, NULL, NULL, NULL), -ENOENT);
        assert_int_equal(spool_cmd_next_unacked(s, &id, &status, &result), -ENOENT);
        /* Recorded as running, then the agent died: reported as failed,
         * never run again. */
        assert_int_equal(spool_cmd_put(s, 5, "kill", "running", NULL), 0);
        assert_int_equal(spool_cmd_put(s, 6, "block_ip", "done", "{\"ip\":\"203.0.113.9\"}"), 0);
        assert_int_equal(spool_cmd_next_unacked(s, &id, &status, &result), 0);
        assert_int_equal(id, 5);
        assert_string_equal(status, "failed");
        assert_non_null(strstr(result, "interrupted"));
        free(status);
        free(result);
        assert_int_equal(spool_cmd_set_acked(s, 5, true), 0);
        assert_int_equal(spool_cmd_next_unacked(s, &id, &status, &result), 0);
        assert_int_equal(id, 6);
        assert_string_equal(status, "done");
        assert_string_equal(result, "{\"ip\":\"203.0.113.9\"}");
        free(status);
        free(result);
        assert_int_equal(spool_cmd_set_acked(s, 6, true), 0);
        assert_int_equal(spool_cmd_next_unacked(s, &id, &status, &result), -ENOENT);
        assert_int_equal(spool_cmd_get(s, 6, &status, &result, &acked), 0);
        assert_true(acked);
        free(status);
        free(result);
        /* Handed out again: acknowledged again, with the same result. */
        assert_int_equal(spool_cmd_set_acked(s, 6, false), 0);
        assert_int_equal(spool_cmd_next_unacked(s, &id, &status, &result), 0);
        assert_int_equal(id, 6);
        free(status);
        free(result);
        assert_int_equal(spool_cmd_set_acked(s, 6, true), 0);
        /* Pruning keeps what is recent, drops what is old. */
        assert_int_equal(spool_cmd_prune(s, 0), 0);
        assert_int_equal(spool_cmd_get(s, 6, NULL, NULL, NULL), 0);
        assert_int_equal(spool_cmd_prune(s, INT64_MAX), 0);
        assert_int_equal(spool_cmd_get(s, 6, NULL, NULL, NULL), -ENOENT);
        astore_close(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_put, setup, teardown),
                cmocka_unit_test_setup_teardown(test_batches, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bytes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reject, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cap, setup, teardown),
                cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
