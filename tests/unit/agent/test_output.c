/* Unit tests for agent/output: the alert line, the JSON lines writer's
 * cursor (resuming after a restart, starting after the history), and a
 * shipper that is away (-EAGAIN) losing nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/output.h"

static char dir[64];

static int setup(void **state)
{
        (void)state;
        snprintf(dir, sizeof(dir), "/tmp/vigil-output.XXXXXX");
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

static void put(astore_t *s, int i)
{
        char subj[32];
        alert_t *a;

        snprintf(subj, sizeof(subj), "192.0.2.%d", i);
        a = alert_new(ALERT_NETWORK_ATTACK, "network.port_scan", subj, ALERT_REMINDER, i);
        assert_non_null(a);
        assert_int_equal(astore_begin(s), 0);
        assert_int_equal(astore_put_alert(s, a, "capture", NULL), 0);
        assert_int_equal(astore_commit(s), 0);
        alert_free(a);
}

static size_t count_lines(const char *path)
{
        FILE *f = fopen(path, "r");
        size_t n = 0;
        int c;

        if (!f)
                return 0;
        while ((c = fgetc(f)) != EOF)
                n += c == '\n';
        fclose(f);
        return n;
}

static void test_line(void **state)
{
        char *s;
        size_t n;

        (void)state;
        assert_int_equal(output_alert_line("{\"id\":\"x\"}", 10, &s, &n), 0);
        assert_string_equal(s, "{\"kind\":\"alert\",\"id\":\"x\"}\n");
        assert_int_equal(n, strlen(s));
        free(s);
        assert_int_equal(output_alert_line("{}", 2, &s, &n), 0);
        assert_string_equal(s, "{\"kind\":\"alert\"}\n");
        free(s);
        assert_int_equal(output_alert_line("[1]", 3, &s, &n), -EINVAL);
}

static void test_jsonl_resume(void **state)
{
        _cleanup_free_ char *err = NULL, *file = str_printf("%s/alerts.jsonl", dir);
        astore_t *s;
        output_t *o;

        (void)state;
        assert_int_equal(astore_open(dir, true, &s, &err), 0);
        put(s, 1);
        put(s, 2);
        /* A new writer starts after what is stored. */
        o = output_new(s);
        assert_int_equal(output_add_jsonl(o, file), 0);
        assert_int_equal(output_pump(o, NULL), 0);
        assert_int_equal(count_lines(file), 0);
        put(s, 3);
        put(s, 4);
        assert_int_equal(output_pump(o, NULL), 0);
        assert_int_equal(count_lines(file), 2);
        output_free(o);
        /* Alerts stored while no writer ran are written at the next start. */
        put(s, 5);
        o = output_new(s);
        assert_int_equal(output_add_jsonl(o, file), 0);
        assert_int_equal(output_pump(o, NULL), 0);
        assert_int_equal(count_lines(file), 3);
        {
                json_t *st = astore_status(s);
                char *k = str_printf("jsonl:%s", file);
                assert_int_equal(
                        json_integer_value(json_object_get(json_object_get(st, "consumers"), k)),
                        5);
                free(k);
                json_decref(st);
        }
        output_free(o);
        astore_close(s);
}

typedef struct away {
        bool up;
        int got;
        int64_t last;
} away_t;

static int away_deliver(void *userdata, int64_t seq, const char *json, size_t len)
{
        away_t *a = userdata;

        (void)json;
        (void)len;
        if (!a->up)
                return -EAGAIN;
        assert_true(seq > a->last);
        a->last = seq;
        a->got++;
        return 0;
}

static void test_shipper(void **state)
{
        _cleanup_free_ char *err = NULL, *sub = str_printf("%s/ship", dir);
        away_t aw = { 0 };
        shipper_t sh = {
                .name = "center", .persistent = true, .deliver = away_deliver, .userdata = &aw
        };
        bool pending;
        astore_t *s;
        output_t *o;

        (void)state;
        assert_int_equal(astore_open(sub, true, &s, &err), 0);
        o = output_new(s);
        assert_int_equal(output_add(o, &sh), 0);
        assert_int_equal(output_add(o, &sh), -EEXIST);
        for (int i = 1; i <= 1200; i++)
                put(s, i);
        assert_int_equal(output_pump(o, &pending), 0);
        assert_true(pending);
        assert_int_equal(aw.got, 0);
        aw.up = true;
        /* More than one batch: all of it, in order, once. */
        assert_int_equal(output_pump(o, &pending), 0);
        assert_false(pending);
        assert_int_equal(aw.got, 1200);
        assert_int_equal(output_pump(o, &pending), 0);
        assert_int_equal(aw.got, 1200);
        output_free(o);
        astore_close(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_line),
                cmocka_unit_test(test_jsonl_resume),
                cmocka_unit_test(test_shipper),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
