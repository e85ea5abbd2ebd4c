/* Unit tests for scan/baseline/osregex: the OS_Regex and OS_Match dialects
 * of Wazuh policies, translated to PCRE2 and run against sample lines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "scan/baseline/osregex.h"

/* Does the OS_Regex PATTERN match LINE? Fails the test when it does not
 * translate or compile. */
static bool osr(const char *pattern, const char *line)
{
        char *t = NULL;
        const char *why = NULL;
        int errcode;
        PCRE2_SIZE off;
        pcre2_code *re;
        pcre2_match_data *md;
        int rc;

        assert_int_equal(osregex_to_pcre2(pattern, &t, &why), 0);
        re = pcre2_compile((PCRE2_SPTR)t, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &errcode, &off,
                           NULL);
        assert_non_null(re);
        md = pcre2_match_data_create_from_pattern(re, NULL);
        rc = pcre2_match(re, (PCRE2_SPTR)line, strlen(line), 0, 0, md, NULL);
        pcre2_match_data_free(md);
        pcre2_code_free(re);
        free(t);
        return rc > 0;
}

static bool osm(const char *pattern, const char *name)
{
        char *t = NULL;
        int errcode;
        PCRE2_SIZE off;
        pcre2_code *re;
        pcre2_match_data *md;
        int rc;

        assert_int_equal(osmatch_to_pcre2(pattern, &t), 0);
        re = pcre2_compile((PCRE2_SPTR)t, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &errcode, &off,
                           NULL);
        assert_non_null(re);
        md = pcre2_match_data_create_from_pattern(re, NULL);
        rc = pcre2_match(re, (PCRE2_SPTR)name, strlen(name), 0, 0, md, NULL);
        pcre2_match_data_free(md);
        pcre2_code_free(re);
        free(t);
        return rc > 0;
}

static void test_escapes(void **state)
{
        (void)state;
        /* \s is the space character only, not a tab. */
        assert_true(osr("a\\sb", "a b"));
        assert_false(osr("a\\sb", "a\tb"));
        assert_true(osr("a\\tb", "a\tb"));
        /* \w has letters, digits and @ _ - */
        assert_true(osr("^\\w+$", "user-name_1@host"));
        assert_false(osr("^\\w+$", "a.b"));
        assert_true(osr("^\\W$", "."));
        /* \d and \D */
        assert_true(osr("^\\d\\d\\d$", "027"));
        assert_false(osr("^\\d+$", "02x"));
        assert_true(osr("^\\D+$", "abc"));
        /* \p is punctuation from a fixed list; '/' and '_' are not in it */
        assert_true(osr("^\\p+$", "()*+,-.:;<=>?[]!\"'#$%&|{}"));
        assert_false(osr("^\\p$", "/"));
        assert_false(osr("^\\p$", "_"));
        /* \. is any character; a plain '.' is a literal dot */
        assert_true(osr("^a\\.c$", "abc"));
        assert_true(osr("^a.c$", "a.c"));
        assert_false(osr("^a.c$", "abc"));
        /* escaped literals */
        assert_true(osr("\\(x\\)", "(x)"));
        assert_true(osr("a\\$", "a$"));
        assert_true(osr("a\\|b", "a|b"));
        assert_true(osr("\\<tag", "<tag"));
        assert_true(osr("c:\\\\", "c:\\"));
}

static void test_anchors_and_alternation(void **state)
{
        (void)state;
        assert_true(osr("^PermitRootLogin\\s+no", "PermitRootLogin no"));
        assert_false(osr("^PermitRootLogin", "#PermitRootLogin no"));
        assert_true(osr("22$", "Port 22"));
        assert_false(osr("22$", "Port 2222x"));
        /* ^ and $ only anchor at the ends of an alternative */
        assert_true(osr("a^b", "a^b"));
        assert_true(osr("a$b", "a$b"));
        assert_true(osr("^yes$|^no$", "no"));
        assert_false(osr("^yes$|^no$", "nope"));
        assert_true(osr("^$", ""));
        /* + and * only after an escape; elsewhere literal */
        assert_true(osr("a+b", "a+b"));
        assert_false(osr("a+b", "aab"));
        assert_true(osr("x\\s*y", "xy"));
        assert_true(osr("x\\s*y", "x   y"));
        /* case is ignored */
        assert_true(osr("^permitrootlogin NO$", "PermitRootLogin no"));
        /* brackets and braces are literal */
        assert_true(osr("r:[/tmp]", "r:[/tmp]"));
        /* one level of capture groups */
        assert_true(osr("^PASS_MAX_DAYS\\s*\\t*(\\d+)$", "PASS_MAX_DAYS\t90"));
}

static void test_invalid(void **state)
{
        const char *why = NULL;
        char *t = NULL;
        (void)state;
        assert_int_equal(osregex_to_pcre2("a\\/b", &t, &why), -EINVAL);
        assert_non_null(why);
        assert_int_equal(osregex_to_pcre2("((a))", &t, &why), -EINVAL);
        assert_int_equal(osregex_to_pcre2("(a", &t, &why), -EINVAL);
        assert_int_equal(osregex_to_pcre2("a)", &t, &why), -EINVAL);
        assert_int_equal(osregex_to_pcre2("(a|b)", &t, &why), -EINVAL);
        assert_int_equal(osregex_to_pcre2("abc\\", &t, &why), -EINVAL);
        assert_null(t);
}

static void test_osmatch(void **state)
{
        (void)state;
        assert_true(osm("sshd", "50-sshd.conf"));
        assert_true(osm("SSHD", "50-sshd.conf"));
        assert_true(osm("^50-", "50-sshd.conf"));
        assert_false(osm("^sshd", "50-sshd.conf"));
        assert_true(osm(".conf$", "50-sshd.conf"));
        assert_false(osm(".conf$", "50-sshd.conf.bak"));
        assert_true(osm("^a.b$", "a.b"));
        assert_false(osm("^a.b$", "axb"));
        assert_true(osm("x|conf", "f.conf"));
        assert_true(osm("", "anything"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_escapes),
                cmocka_unit_test(test_anchors_and_alternation),
                cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_osmatch),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
