/* Unit tests for core/text and core/buf: escaping of untrusted text, string
 * vectors, bounded buffers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/text.h"

static char *escaped(const char *s, size_t n)
{
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        assert_non_null(f);
        text_put_escaped_n(f, s, n);
        fclose(f);
        return out;
}

static void test_escape_controls(void **state)
{
        char *e;
        (void)state;

        e = escaped("a\033[31mred\n", 10);
        assert_string_equal(e, "a\\x1b[31mred\\x0a");
        free(e);
        e = escaped("nul\0x", 5);
        assert_string_equal(e, "nul\\x00x");
        free(e);
}

static void test_escape_utf8(void **state)
{
        char *e;
        (void)state;

        /* Valid UTF-8 passes, invalid bytes and C1 controls are escaped. */
        e = escaped("h\xc3\xa9llo \xe6\x97\xa5", 10);
        assert_string_equal(e, "h\xc3\xa9llo \xe6\x97\xa5");
        free(e);
        e = escaped("\xff\xc0\xaf", 3);
        assert_string_equal(e, "\\xff\\xc0\\xaf");
        free(e);
        e = escaped("\xc2\x9b", 2); /* U+009B CSI */
        assert_string_equal(e, "\\xc2\\x9b");
        free(e);
        e = escaped("\xed\xa0\x80", 3); /* surrogate */
        assert_string_equal(e, "\\xed\\xa0\\x80");
        free(e);
}

static void test_strv(void **state)
{
        strv_t sv = { 0 };
        (void)state;

        assert_int_equal(strv_split(&sv, ",a,,bc,", ","), 0);
        assert_int_equal(sv.n, 2);
        assert_string_equal(sv.v[0], "a");
        assert_string_equal(sv.v[1], "bc");
        assert_null(sv.v[2]);
        assert_true(strv_contains(&sv, "bc"));
        assert_false(strv_contains(&sv, "b"));
        strv_clear(&sv);
        assert_int_equal(sv.n, 0);
}

static void test_u64(void **state)
{
        unsigned long long v;
        (void)state;

        assert_int_equal(str_to_u64("18446744073709551615", &v), 0);
        assert_true(v == 18446744073709551615ULL);
        assert_int_equal(str_to_u64("18446744073709551616", &v), -ERANGE);
        assert_int_equal(str_to_u64("12a", &v), -EINVAL);
        assert_int_equal(str_to_u64("", &v), -EINVAL);
}

static void test_buf_cap(void **state)
{
        buf_t b;
        (void)state;

        buf_init(&b, 8);
        assert_int_equal(buf_append_str(&b, "12345"), 0);
        assert_int_equal(buf_append_str(&b, "6789"), -E2BIG);
        /* Nothing of the refused append is kept. */
        assert_int_equal(b.len, 5);
        assert_string_equal(b.data, "12345");
        assert_int_equal(buf_printf(&b, "%d", 678), 0);
        assert_string_equal(b.data, "12345678");
        assert_int_equal(buf_printf(&b, "x"), -E2BIG);
        char *s = buf_take(&b);
        assert_string_equal(s, "12345678");
        assert_null(b.data);
        free(s);
        buf_free(&b);
}

static void test_strip(void **state)
{
        char s[] = "  \t x y \n";
        (void)state;
        assert_string_equal(str_strip(s), "x y");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_escape_controls),
                cmocka_unit_test(test_escape_utf8),
                cmocka_unit_test(test_strv),
                cmocka_unit_test(test_u64),
                cmocka_unit_test(test_buf_cap),
                cmocka_unit_test(test_strip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
