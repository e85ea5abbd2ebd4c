/* Unit tests for detect/netattack/netconf: durations, numbers with ranges,
 * sizes and address lists read from a configuration tree, and the errors
 * that name the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "detect/netattack/netconf.h"

static config_t *config_of(const char *json)
{
        config_t *c = config_new_empty();
        json_t *doc = json_loads(json, 0, NULL);

        assert_non_null(c);
        assert_non_null(doc);
        json_decref(c->root);
        c->root = doc;
        return c;
}

static void test_parse_seconds(void **state)
{
        static const struct {
                const char *s;
                int r;
                uint64_t v;
        } cases[] = {
                { "0", 0, 0 },
                { "90", 0, 90 },
                { "90s", 0, 90 },
                { "10m", 0, 600 },
                { "12h", 0, 43200 },
                { "1d", 0, 86400 },
                { "", -EINVAL, 0 },
                { "h", -EINVAL, 0 },
                { "5 m", -EINVAL, 0 },
                { "5ms", -EINVAL, 0 },
                { "-5", -EINVAL, 0 },
                { "5w", -EINVAL, 0 },
                { "99999999999999999999", -EINVAL, 0 },
                { "999999999999999999d", -EINVAL, 0 },
        };
        (void)state;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint64_t v = 12345;
                assert_int_equal(netconf_parse_seconds(cases[i].s, &v), cases[i].r);
                if (cases[i].r == 0)
                        assert_int_equal(v, cases[i].v);
        }
}

static void test_getters(void **state)
{
        config_t *c = config_of("{\"a\": {\"n\": 7, \"s\": \"2h\", \"b\": true, \"neg\": -1,"
                                " \"str\": \"x\", \"size\": \"4MiB\", \"nul\": null,"
                                " \"nets\": [\"10.0.0.0/8\", \"::1\"], \"net\": \"192.0.2.1\"}}");
        uint64_t v;
        bool b;
        const char *s;
        char *err = NULL;
        ipnet_t *nets = NULL;
        size_t n = 0;
        static const char *const def[] = { "127.0.0.0/8", NULL };
        (void)state;

        assert_int_equal(netconf_uint(c, "a.n", 1, 0, 10, &v, &err), 0);
        assert_int_equal(v, 7);
        assert_int_equal(netconf_uint(c, "a.missing", 3, 0, 10, &v, &err), 0);
        assert_int_equal(v, 3);
        assert_int_equal(netconf_uint(c, "a.nul", 4, 0, 10, &v, &err), 0);
        assert_int_equal(v, 4);
        assert_int_equal(netconf_uint(c, "a.n", 1, 8, 10, &v, &err), -EINVAL);
        assert_string_equal(err, "a.n: must be between 8 and 10");
        free(err);
        err = NULL;
        assert_int_equal(netconf_uint(c, "a.neg", 1, 0, 10, &v, &err), -EINVAL);
        free(err);
        err = NULL;
        assert_int_equal(netconf_uint(c, "a.s", 1, 0, 10, &v, NULL), -EINVAL);

        assert_int_equal(netconf_seconds(c, "a.s", 1, 0, 86400, &v, &err), 0);
        assert_int_equal(v, 7200);
        assert_int_equal(netconf_seconds(c, "a.n", 1, 0, 86400, &v, &err), 0);
        assert_int_equal(v, 7);
        assert_int_equal(netconf_seconds(c, "a.b", 1, 0, 86400, &v, &err), -EINVAL);
        assert_non_null(strstr(err, "a.b: expected a duration"));
        free(err);
        err = NULL;

        assert_int_equal(netconf_bool(c, "a.b", false, &b, &err), 0);
        assert_true(b);
        assert_int_equal(netconf_bool(c, "a.n", false, &b, &err), -EINVAL);
        free(err);
        err = NULL;

        assert_int_equal(netconf_str(c, "a.str", "d", &s, &err), 0);
        assert_string_equal(s, "x");
        assert_int_equal(netconf_str(c, "a.missing", "d", &s, &err), 0);
        assert_string_equal(s, "d");
        assert_int_equal(netconf_str(c, "a.n", "d", &s, &err), -EINVAL);
        free(err);
        err = NULL;

        assert_int_equal(netconf_size(c, "a.size", 1, 0, 1ULL << 30, &v, &err), 0);
        assert_int_equal(v, 4 * 1024 * 1024);
        assert_int_equal(netconf_size(c, "a.nul", 9, 0, 1ULL << 30, &v, &err), 0);
        assert_int_equal(v, 9);
        assert_int_equal(netconf_size(c, "a.size", 1, 0, 1024, &v, &err), -EINVAL);
        free(err);
        err = NULL;

        assert_int_equal(netconf_nets(c, "a.nets", def, &nets, &n, &err), 0);
        assert_int_equal(n, 2);
        free(nets);
        assert_int_equal(netconf_nets(c, "a.net", def, &nets, &n, &err), 0);
        assert_int_equal(n, 1);
        free(nets);
        assert_int_equal(netconf_nets(c, "a.missing", def, &nets, &n, &err), 0);
        assert_int_equal(n, 1);
        free(nets);
        assert_int_equal(netconf_nets(c, "a.missing", NULL, &nets, &n, &err), 0);
        assert_int_equal(n, 0);
        assert_null(nets);
        assert_int_equal(netconf_nets(c, "a.n", NULL, &nets, &n, &err), -EINVAL);
        free(err);
        config_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_seconds),
                cmocka_unit_test(test_getters),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
