/* Unit tests for scan/vuln/fjson: the strict JSON reader feeds are parsed
 * with (grammar, strings, positions, streaming, caps). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scan/vuln/fjson.h"

static int parse(fj_arena_t *a, const char *s, fj_value_t **v, fj_error_t *e)
{
        return fj_parse(a, s, 0, strlen(s), 0, v, e);
}

static void test_values(void **state)
{
        _cleanup_fj_arena_ fj_arena_t a;
        fj_value_t *v;
        fj_error_t e;
        const fj_value_t *x;
        (void)state;

        fj_arena_init(&a, 1 << 20);
        assert_int_equal(
                parse(&a, " {\"a\": [1, -2.5e3, true, false, null, \"s\"], \"b\": {}}\n", &v, &e),
                0);
        assert_int_equal(v->type, FJ_OBJECT);
        assert_int_equal(v->n, 2);
        x = fj_get(v, "a");
        assert_non_null(x);
        assert_int_equal(x->type, FJ_ARRAY);
        assert_int_equal(x->n, 6);
        assert_int_equal(x->u.items[0].type, FJ_NUMBER);
        assert_string_equal(x->u.items[1].u.str, "-2.5e3");
        assert_int_equal(x->u.items[2].type, FJ_TRUE);
        assert_int_equal(x->u.items[3].type, FJ_FALSE);
        assert_int_equal(x->u.items[4].type, FJ_NULL);
        assert_string_equal(fj_str(&x->u.items[5]), "s");
        assert_int_equal(x->pos, 7);
        assert_int_equal(fj_get(v, "b")->type, FJ_OBJECT);
        assert_null(fj_get(v, "c"));
        assert_null(fj_get(x, "a")); /* not an object */
}

static void test_strings(void **state)
{
        _cleanup_fj_arena_ fj_arena_t a;
        fj_value_t *v;
        fj_error_t e;
        (void)state;

        fj_arena_init(&a, 1 << 20);
        assert_int_equal(parse(&a, "\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u20ac\\ud83d\\ude00\"", &v, &e),
                         0);
        assert_string_equal(v->u.str, "a\"b\\c/d\n\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
        assert_int_equal(v->n, strlen(v->u.str));
        /* Raw UTF-8 passes; invalid UTF-8, controls, NUL, lone surrogates do not. */
        assert_int_equal(parse(&a, "\"caf\xc3\xa9\"", &v, &e), 0);
        assert_string_equal(v->u.str, "caf\xc3\xa9");
        assert_int_equal(parse(&a, "\"\xc3\x28\"", &v, &e), -EINVAL);
        assert_int_equal(e.pos, 1);
        assert_int_equal(parse(&a, "\"\xed\xa0\x80\"", &v, &e), -EINVAL);
        assert_int_equal(parse(&a, "\"\xc0\xaf\"", &v, &e), -EINVAL);
        assert_int_equal(parse(&a, "\"a\nb\"", &v, &e), -EINVAL);
        assert_int_equal(parse(&a, "\"a\\u0000b\"", &v, &e), -EINVAL);
        assert_int_equal(parse(&a, "\"\\ud83d\"", &v, &e), -EINVAL);
        assert_int_equal(parse(&a, "\"\\ude00\"", &v, &e), -EINVAL);
        assert_int_equal(parse(&a, "\"\\x41\"", &v, &e), -EINVAL);
        assert_int_equal(parse(&a, "\"\\u12g4\"", &v, &e), -EINVAL);
        assert_int_equal(parse(&a, "\"abc", &v, &e), -EINVAL);
        assert_int_equal(parse(&a, "\"abc\\", &v, &e), -EINVAL);
}

static void test_grammar_errors(void **state)
{
        static const struct {
                const char *text;
                size_t pos;
        } bad[] = {
                { "", 0 },          { "{", 1 },          { "[1,]", 3 },         { "[1 2]", 3 },
                { "{\"a\" 1}", 5 }, { "{a:1}", 1 },      { "01", 1 },           { "1.", 2 },
                { "-", 1 },         { "1e", 2 },         { "tru", 0 },          { "nul", 0 },
                { "[1] x", 4 },     { "{\"a\":1,}", 7 }, { "[\"a\"\"b\"]", 4 },
        };
        _cleanup_fj_arena_ fj_arena_t a;
        fj_value_t *v;
        fj_error_t e;
        (void)state;

        fj_arena_init(&a, 1 << 20);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                memset(&e, 0, sizeof(e));
                assert_int_equal(parse(&a, bad[i].text, &v, &e), -EINVAL);
                if (e.pos != bad[i].pos)
                        fail_msg("\"%s\": error at %zu (%s), expected %zu", bad[i].text, e.pos,
                                 e.msg, bad[i].pos);
                assert_true(e.msg[0] != 0);
        }
}

static void test_depth_and_cap(void **state)
{
        _cleanup_fj_arena_ fj_arena_t a, small;
        char deep[300];
        fj_value_t *v;
        fj_error_t e;
        (void)state;

        fj_arena_init(&a, 1 << 20);
        memset(deep, '[', 100);
        memset(deep + 100, ']', 100);
        deep[200] = 0;
        assert_int_equal(parse(&a, deep, &v, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "nesting"));
        assert_int_equal(fj_parse(&a, deep, 0, 200, 128, &v, &e), 0);

        fj_arena_init(&small, 256);
        assert_int_equal(parse(&small,
                               "[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]",
                               &v, &e),
                         -E2BIG);
}

static void test_reader(void **state)
{
        const char *doc = "[ {\"id\": 1},\n {\"id\": 2} ,{\"id\":3}\n]\n";
        _cleanup_fj_arena_ fj_arena_t a;
        fj_reader_t r;
        fj_type_t t;
        fj_value_t *v;
        fj_error_t e;
        const char *key;
        int n = 0, rc;
        (void)state;

        fj_arena_init(&a, 1 << 20);
        assert_int_equal(fj_reader_open(&r, doc, 0, strlen(doc), 0, &t, &e), 0);
        assert_int_equal(t, FJ_ARRAY);
        while ((rc = fj_reader_next(&r, &a, &key, &v, &e)) == 1) {
                n++;
                assert_null(key);
                assert_int_equal(v->type, FJ_OBJECT);
                assert_string_equal(fj_get(v, "id")->u.str, n == 1 ? "1" : n == 2 ? "2" : "3");
        }
        assert_int_equal(rc, 0);
        assert_int_equal(n, 3);
        assert_int_equal(fj_reader_next(&r, &a, &key, &v, &e), 0);

        /* Objects, skipping values; the positions found parse on their own. */
        const char *obj = "{\"openssl\": {\"CVE-1\": {\"x\": [1, \"]}\"]}}, \"zlib\": {}}";
        size_t off, len;
        assert_int_equal(fj_reader_open(&r, obj, 0, strlen(obj), 0, &t, &e), 0);
        assert_int_equal(t, FJ_OBJECT);
        assert_int_equal(fj_reader_skip(&r, &a, &key, &off, &len, &e), 1);
        assert_string_equal(key, "openssl");
        assert_int_equal(fj_parse(&a, obj, off, len, 0, &v, &e), 0);
        assert_int_equal(v->type, FJ_OBJECT);
        assert_string_equal(fj_get(fj_get(v, "CVE-1"), "x")->u.items[1].u.str, "]}");
        assert_int_equal(fj_reader_skip(&r, &a, &key, &off, &len, &e), 1);
        assert_string_equal(key, "zlib");
        assert_int_equal(fj_reader_skip(&r, &a, &key, &off, &len, &e), 0);

        /* A broken member ends the reader with the position of the damage. */
        const char *bad = "[{\"a\":1}, {\"a\":}, {\"a\":3}]";
        assert_int_equal(fj_reader_open(&r, bad, 0, strlen(bad), 0, &t, &e), 0);
        assert_int_equal(fj_reader_next(&r, &a, &key, &v, &e), 1);
        assert_int_equal(fj_reader_next(&r, &a, &key, &v, &e), -EINVAL);
        assert_int_equal(e.pos, 15);
        assert_int_equal(fj_reader_next(&r, &a, &key, &v, &e), 0);

        assert_int_equal(fj_reader_open(&r, "[1,]", 0, 4, 0, &t, &e), 0);
        assert_int_equal(fj_reader_next(&r, &a, &key, &v, &e), 1);
        assert_int_equal(fj_reader_next(&r, &a, &key, &v, &e), -EINVAL);
        assert_int_equal(e.pos, 2);
        assert_int_equal(fj_reader_open(&r, "[1] 2", 0, 5, 0, &t, &e), 0);
        assert_int_equal(fj_reader_next(&r, &a, &key, &v, &e), 1);
        assert_int_equal(fj_reader_next(&r, &a, &key, &v, &e), -EINVAL);
        assert_int_equal(fj_reader_open(&r, "  \"x\"", 0, 5, 0, &t, &e), -EINVAL);
        assert_int_equal(e.pos, 2);
}

static void test_line_col(void **state)
{
        const char *s = "ab\ncd\n\nef";
        size_t line, col;
        (void)state;

        fj_line_col(s, 0, &line, &col);
        assert_int_equal(line, 1);
        assert_int_equal(col, 1);
        fj_line_col(s, 4, &line, &col);
        assert_int_equal(line, 2);
        assert_int_equal(col, 2);
        fj_line_col(s, 8, &line, &col);
        assert_int_equal(line, 4);
        assert_int_equal(col, 2);
}

static void test_arena_reuse(void **state)
{
        _cleanup_fj_arena_ fj_arena_t a;
        fj_value_t *v;
        fj_error_t e;
        (void)state;

        fj_arena_init(&a, 8 << 20);
        for (int i = 0; i < 50; i++) {
                char buf[200];
                snprintf(buf, sizeof(buf), "{\"k%d\": [\"%d\", {\"x\": null}]}", i, i);
                fj_arena_reset(&a);
                assert_int_equal(parse(&a, buf, &v, &e), 0);
                assert_int_equal(v->u.members[0].value.n, 2);
        }
        assert_non_null(fj_arena_strdup(&a, "hello"));
        assert_null(fj_arena_alloc(&a, 9 << 20));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_values),         cmocka_unit_test(test_strings),
                cmocka_unit_test(test_grammar_errors), cmocka_unit_test(test_depth_and_cap),
                cmocka_unit_test(test_reader),         cmocka_unit_test(test_line_col),
                cmocka_unit_test(test_arena_reuse),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
