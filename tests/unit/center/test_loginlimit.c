/* Unit tests for center/loginlimit: failures per address within a window,
 * the refusal and its Retry-After, the end of the window, addresses
 * grouped by IPv4 address and IPv6 /64, the bounded table dropping the
 * oldest entry, a limit turned off, and the settings. Times are given,
 * not read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "center/loginlimit.h"
#include "core/config.h"

#define S 1000000LL /* a second in microseconds */

static void test_window(void **state)
{
        loginlimit_t *l = NULL;
        int64_t retry = 0;

        assert_int_equal(loginlimit_new(3, 600 * S, 16, &l), 0);
        /* Three failures are allowed; the limit bites on the fourth try. */
        for (int i = 0; i < 3; i++) {
                assert_int_equal(loginlimit_check(l, "192.0.2.7", 100 * S + i, NULL), 0);
                loginlimit_fail(l, "192.0.2.7", 100 * S + i);
        }
        assert_int_equal(loginlimit_check(l, "192.0.2.7", 160 * S, &retry), -EAGAIN);
        /* The window began at the first failure (100 s) and lasts 600 s. */
        assert_int_equal(retry, 540 * S);
        /* Another address is not affected. */
        assert_int_equal(loginlimit_check(l, "192.0.2.8", 160 * S, NULL), 0);
        /* Near the end, the wait is still at least a second. */
        assert_int_equal(loginlimit_check(l, "192.0.2.7", 700 * S - 10, &retry), -EAGAIN);
        assert_int_equal(retry, S);
        /* When the window is over, the address may try again, and a new
         * failure starts a new window with a count of one. */
        assert_int_equal(loginlimit_check(l, "192.0.2.7", 700 * S, NULL), 0);
        loginlimit_fail(l, "192.0.2.7", 700 * S);
        assert_int_equal(loginlimit_check(l, "192.0.2.7", 701 * S, NULL), 0);
        loginlimit_fail(l, "192.0.2.7", 701 * S);
        loginlimit_fail(l, "192.0.2.7", 702 * S);
        assert_int_equal(loginlimit_check(l, "192.0.2.7", 703 * S, &retry), -EAGAIN);
        assert_int_equal(retry, 597 * S);
        /* A clock that goes back does not lock anyone out for longer. */
        assert_int_equal(loginlimit_check(l, "192.0.2.7", 10 * S, NULL), 0);
        loginlimit_free(l);
}

static void test_grouping(void **state)
{
        loginlimit_t *l = NULL;

        assert_int_equal(loginlimit_new(2, 60 * S, 16, &l), 0);
        /* Two addresses of one IPv6 /64 share a count. */
        loginlimit_fail(l, "2001:db8:1:2::1", 0);
        loginlimit_fail(l, "2001:db8:1:2:ffff:ffff:ffff:fffe", 0);
        assert_int_equal(loginlimit_check(l, "2001:db8:1:2::abcd", S, NULL), -EAGAIN);
        /* The next /64 is another network. */
        assert_int_equal(loginlimit_check(l, "2001:db8:1:3::1", S, NULL), 0);
        /* An IPv4 address written as IPv4-mapped IPv6 is the same address. */
        loginlimit_fail(l, "::ffff:198.51.100.9", 0);
        loginlimit_fail(l, "198.51.100.9", 0);
        assert_int_equal(loginlimit_check(l, "198.51.100.9", S, NULL), -EAGAIN);
        assert_int_equal(loginlimit_check(l, "::ffff:198.51.100.9", S, NULL), -EAGAIN);
        /* Neighbouring IPv4 addresses are not grouped. */
        assert_int_equal(loginlimit_check(l, "198.51.100.10", S, NULL), 0);
        /* Text that is no address counts as it is, NULL as "". */
        loginlimit_fail(l, NULL, 0);
        loginlimit_fail(l, "", 0);
        assert_int_equal(loginlimit_check(l, NULL, S, NULL), -EAGAIN);
        assert_int_equal(loginlimit_check(l, "unix", S, NULL), 0);
        assert_int_equal(loginlimit_size(l), 3);
        loginlimit_free(l);
}

static void test_bounded(void **state)
{
        loginlimit_t *l = NULL;
        char a[32];

        assert_int_equal(loginlimit_new(1, 100 * S, 4, &l), 0);
        /* Four addresses fill the table, each refused from then on. */
        for (int i = 0; i < 4; i++) {
                snprintf(a, sizeof(a), "203.0.113.%d", i);
                loginlimit_fail(l, a, i * S);
        }
        assert_int_equal(loginlimit_size(l), 4);
        for (int i = 0; i < 4; i++) {
                snprintf(a, sizeof(a), "203.0.113.%d", i);
                assert_int_equal(loginlimit_check(l, a, 10 * S, NULL), -EAGAIN);
        }
        /* A fifth drops the one whose window began first (.0). */
        loginlimit_fail(l, "203.0.113.4", 10 * S);
        assert_int_equal(loginlimit_size(l), 4);
        assert_int_equal(loginlimit_check(l, "203.0.113.0", 11 * S, NULL), 0);
        assert_int_equal(loginlimit_check(l, "203.0.113.1", 11 * S, NULL), -EAGAIN);
        assert_int_equal(loginlimit_check(l, "203.0.113.4", 11 * S, NULL), -EAGAIN);
        /* An entry whose window is over is reused before a live one is
         * dropped: at 101.5 s only .1's window (from 1 s) has ended. */
        loginlimit_fail(l, "203.0.113.5", 101 * S + S / 2);
        assert_int_equal(loginlimit_check(l, "203.0.113.2", 101 * S + S / 2, NULL), -EAGAIN);
        assert_int_equal(loginlimit_check(l, "203.0.113.3", 101 * S + S / 2, NULL), -EAGAIN);
        assert_int_equal(loginlimit_check(l, "203.0.113.5", 101 * S + S / 2, NULL), -EAGAIN);
        loginlimit_free(l);

        /* Many more addresses than the table holds: it stays at its size. */
        assert_int_equal(loginlimit_new(5, 100 * S, LOGINLIMIT_MAX_ADDRS, &l), 0);
        for (int i = 0; i < LOGINLIMIT_MAX_ADDRS + 500; i++) {
                snprintf(a, sizeof(a), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
                loginlimit_fail(l, a, i);
        }
        assert_int_equal(loginlimit_size(l), LOGINLIMIT_MAX_ADDRS);
        loginlimit_free(l);
}

static void test_off_and_args(void **state)
{
        loginlimit_t *l = NULL;

        assert_int_equal(loginlimit_new(0, 60 * S, 4, &l), 0);
        for (int i = 0; i < 100; i++)
                loginlimit_fail(l, "192.0.2.1", 0);
        assert_int_equal(loginlimit_check(l, "192.0.2.1", 0, NULL), 0);
        assert_int_equal(loginlimit_size(l), 0);
        loginlimit_free(l);
        /* No table: no limit. */
        assert_int_equal(loginlimit_check(NULL, "192.0.2.1", 0, NULL), 0);
        loginlimit_fail(NULL, "192.0.2.1", 0);
        loginlimit_free(NULL);
        assert_int_equal(loginlimit_new(5, 0, 4, &l), -EINVAL);
        assert_int_equal(loginlimit_new(5, S, 0, &l), -EINVAL);
        assert_int_equal(loginlimit_new(5, S, LOGINLIMIT_MAX_ADDRS + 1, &l), -EINVAL);
}

static void test_refuse(void **state)
{
        static const struct {
                int64_t retry;
                const char *secs;
        } cases[] = { { 540 * S, "540" }, { 540 * S + 1, "541" }, { 1, "1" }, { 0, "1" } };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                http_resp_t resp;
                json_t *body;

                http_resp_init(&resp);
                assert_int_equal(loginlimit_refuse(&resp, cases[i].retry), 0);
                assert_int_equal(resp.status, 429);
                assert_int_equal(resp.n_headers, 1);
                assert_string_equal(resp.headers[0][0], "Retry-After");
                assert_string_equal(resp.headers[0][1], cases[i].secs);
                body = json_loadb(resp.body.data, resp.body.len, 0, NULL);
                assert_non_null(body);
                assert_string_equal(json_string_value(json_object_get(body, "error")),
                                    "rate_limited");
                json_decref(body);
                http_resp_free(&resp);
        }
}

/* A configuration whose center.console.login_limit is the JSON LIMIT. */
static config_t *cfg_with(const char *limit)
{
        config_t *c = config_new_empty();
        json_t *j = json_loads(limit, 0, NULL);

        assert_non_null(c);
        assert_non_null(j);
        json_decref(c->root);
        c->root = json_pack("{s:{s:{s:o}}}", "center", "console", "login_limit", j);
        assert_non_null(c->root);
        return c;
}

static void test_config(void **state)
{
        static const char *const bad[] = {
                "{\"failures\": -1}",     "{\"failures\": \"20\"}", "{\"failures\": 1000001}",
                "{\"window\": 0}",        "{\"window\": \"0\"}",    "{\"window\": \"8d\"}",
                "{\"window\": \"soon\"}", "{\"window\": true}",     "{\"window\": 604801}",
        };
        unsigned f = 0;
        int64_t w = 0;
        char *err = NULL;
        config_t *c;

        assert_int_equal(loginlimit_config(NULL, &f, &w, &err), 0);
        assert_int_equal(f, LOGINLIMIT_DEFAULT_FAILURES);
        assert_int_equal(w, LOGINLIMIT_DEFAULT_WINDOW_US);

        c = cfg_with("{\"failures\": 5, \"window\": \"30m\"}");
        assert_int_equal(loginlimit_config(c, &f, &w, &err), 0);
        assert_int_equal(f, 5);
        assert_int_equal(w, 1800 * S);
        config_free(c);

        c = cfg_with("{\"failures\": 0, \"window\": 90}");
        assert_int_equal(loginlimit_config(c, &f, &w, &err), 0);
        assert_int_equal(f, 0);
        assert_int_equal(w, 90 * S);
        config_free(c);

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                c = cfg_with(bad[i]);
                f = 7;
                assert_int_equal(loginlimit_config(c, &f, &w, &err), -EINVAL);
                assert_non_null(err);
                assert_non_null(strstr(err, "center.console.login_limit."));
                assert_int_equal(f, 7); /* untouched on error */
                free(err);
                err = NULL;
                config_free(c);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_window),  cmocka_unit_test(test_grouping),
                cmocka_unit_test(test_bounded), cmocka_unit_test(test_off_and_args),
                cmocka_unit_test(test_config),  cmocka_unit_test(test_refuse),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
