/* Unit tests for core/yamljson and core/config. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/yamljson.h"

static json_t *parse_ok(const char *y)
{
        json_t *j = NULL;
        yamljson_error_t e;
        int r = yamljson_parse(y, strlen(y), &j, &e);
        if (r != 0)
                fail_msg("parse failed at %lu:%lu: %s", e.line, e.column, e.message);
        return j;
}

static void test_types(void **state)
{
        json_t *j = parse_ok("a: 1\nb: -7\nc: true\nd: ~\ne: '12'\nf: [x, 2]\ng: {h: i}\nj: 1.5\n");
        (void)state;

        assert_int_equal(json_integer_value(json_object_get(j, "a")), 1);
        assert_int_equal(json_integer_value(json_object_get(j, "b")), -7);
        assert_true(json_is_true(json_object_get(j, "c")));
        assert_true(json_is_null(json_object_get(j, "d")));
        /* Quoted scalars stay strings. */
        assert_string_equal(json_string_value(json_object_get(j, "e")), "12");
        assert_int_equal(json_array_size(json_object_get(j, "f")), 2);
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "g"), "h")), "i");
        assert_string_equal(json_string_value(json_object_get(j, "j")), "1.5");
        json_decref(j);
}

static void expect_error(const char *y, unsigned long line, const char *msg_part)
{
        json_t *j = NULL;
        yamljson_error_t e;

        assert_int_equal(yamljson_parse(y, strlen(y), &j, &e), -EINVAL);
        assert_null(j);
        assert_int_equal(e.line, line);
        assert_true(e.column > 0);
        if (!strstr(e.message, msg_part))
                fail_msg("message '%s' lacks '%s'", e.message, msg_part);
}

static void test_errors_have_positions(void **state)
{
        (void)state;
        expect_error("a: 1\nb: [1, 2\n", 3, "");
        expect_error("a: 1\na: 2\n", 2, "duplicate key");
        expect_error("a: &x 1\nb: *x\n", 1, "anchors");
        expect_error("a: 1\n---\nb: 2\n", 2, "more than one");
        expect_error("? [a]\n: 1\n", 1, "mapping keys");
}

static void test_depth_limit(void **state)
{
        char deep[400];
        size_t n = 0;
        (void)state;

        for (int i = 0; i < 100; i++)
                deep[n++] = '[';
        for (int i = 0; i < 100; i++)
                deep[n++] = ']';
        deep[n] = 0;
        expect_error(deep, 1, "too deep");
}

static void test_config_file(void **state)
{
        char path[] = "/tmp/vigil-config-XXXXXX";
        int fd = mkstemp(path);
        config_t *c = NULL;
        char *err = NULL;
        strv_t roots = { 0 };
        unsigned long long size;
        (void)state;

        assert_true(fd >= 0);
        dprintf(fd, "scan:\n  apps:\n    roots: [/srv, /opt]\n    max_file_size: 64MiB\n"
                    "    max_depth: 5\n  quick: yes\n");
        close(fd);
        assert_int_equal(config_load(path, true, &c, &err), 0);
        assert_int_equal(config_get_strv(c, "scan.apps.roots", &roots), 0);
        assert_int_equal(roots.n, 2);
        assert_string_equal(roots.v[1], "/opt");
        assert_int_equal(config_get_size(c, "scan.apps.max_file_size", &size), 0);
        assert_true(size == 64ULL << 20);
        assert_int_equal(config_get_int(c, "scan.apps.max_depth", 0), 5);
        assert_true(config_get_bool(c, "scan.quick", false));
        assert_int_equal(config_get_int(c, "scan.missing", 42), 42);
        assert_int_equal(config_get_size(c, "scan.none", &size), -ENOENT);
        assert_int_equal(config_get_strv(c, "scan.apps.max_depth", &roots), -EINVAL);
        strv_clear(&roots);
        config_free(c);

        fd = open(path, O_WRONLY | O_TRUNC);
        dprintf(fd, "scan:\n  apps: [\n");
        close(fd);
        assert_int_equal(config_load(path, true, &c, &err), -EINVAL);
        assert_non_null(err);
        assert_non_null(strstr(err, path));
        assert_non_null(strstr(err, ":3:"));
        free(err);
        unlink(path);

        assert_int_equal(config_load(path, false, &c, &err), 0);
        assert_int_equal(json_object_size(c->root), 0);
        config_free(c);
        assert_int_equal(config_load(path, true, &c, &err), -ENOENT);
        free(err);
}

static void test_sizes(void **state)
{
        unsigned long long v;
        (void)state;
        assert_int_equal(config_parse_size("512k", &v), 0);
        assert_true(v == 512 * 1024);
        assert_int_equal(config_parse_size("2 GiB", &v), 0);
        assert_true(v == 2ULL << 30);
        assert_int_equal(config_parse_size("10", &v), 0);
        assert_true(v == 10);
        assert_int_equal(config_parse_size("10 parsecs", &v), -EINVAL);
        assert_int_equal(config_parse_size("-1", &v), -EINVAL);
        assert_int_equal(config_parse_size("99999999999999999999G", &v), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_types),       cmocka_unit_test(test_errors_have_positions),
                cmocka_unit_test(test_depth_limit), cmocka_unit_test(test_config_file),
                cmocka_unit_test(test_sizes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
