/* Unit tests for scan/baseline/rule: every syntax form of the rule
 * language, its errors, variables, and line matching. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan/baseline/rule.h"

static rule_t *parse_ok(const char *text, rule_dialect_t d)
{
        rule_t *r = NULL;
        char *err = NULL;
        int rc = rule_parse(text, d, NULL, &r, &err);
        if (rc != 0)
                fail_msg("'%s' did not parse: %s", text, err ? err : "?");
        free(err);
        return r;
}

static void parse_bad(const char *text, const char *needle)
{
        rule_t *r = NULL;
        char *err = NULL;
        assert_int_equal(rule_parse(text, RULE_DIALECT_OSREGEX, NULL, &r, &err), -EINVAL);
        assert_null(r);
        assert_non_null(err);
        if (!strstr(err, needle))
                fail_msg("error for '%s' is '%s', wanted '%s'", text, err, needle);
        free(err);
}

static bool line(const rule_t *r, const char *s)
{
        return rule_match_line(r, s, strlen(s));
}

static void test_types(void **state)
{
        rule_t *r;
        (void)state;

        r = parse_ok("f:/etc/passwd", RULE_DIALECT_OSREGEX);
        assert_int_equal(r->type, RULE_FILE);
        assert_false(r->negate);
        assert_int_equal(r->targets.n, 1);
        assert_int_equal(r->n_tests, 0);
        rule_free(r);

        r = parse_ok("not f:/etc/a, /etc/b -> r:x", RULE_DIALECT_OSREGEX);
        assert_true(r->negate);
        assert_int_equal(r->targets.n, 2);
        assert_string_equal(r->targets.v[1], "/etc/b");
        rule_free(r);

        r = parse_ok("NOT d:/etc/cron.d", RULE_DIALECT_OSREGEX);
        assert_true(r->negate);
        assert_int_equal(r->type, RULE_DIR);
        assert_null(r->name);
        rule_free(r);

        r = parse_ok("d:/etc/sysctl.d -> r:\\.conf$ -> r:^net.ipv4.ip_forward\\s*=\\s*0",
                     RULE_DIALECT_OSREGEX);
        assert_non_null(r->name);
        assert_true(rule_test_line(r->name, "10-x.conf", 9));
        assert_false(rule_test_line(r->name, "10-x.conf.bak", 13));
        assert_int_equal(r->n_tests, 1);
        rule_free(r);

        /* A plain name in a d: rule is an OS_Match substring. */
        r = parse_ok("d:/etc/cron.d -> backup", RULE_DIALECT_OSREGEX);
        assert_true(rule_test_line(r->name, "nightly-BACKUP", 14));
        assert_int_equal(r->n_tests, 0);
        rule_free(r);

        r = parse_ok("c:sshd -T -> r:^permitrootlogin no", RULE_DIALECT_OSREGEX);
        assert_int_equal(r->type, RULE_COMMAND);
        assert_string_equal(r->target, "sshd -T");
        rule_free(r);

        r = parse_ok("p:sshd", RULE_DIALECT_OSREGEX);
        assert_int_equal(r->type, RULE_PROCESS);
        assert_true(line(r, "SSHD"));
        assert_false(line(r, "sshd-session"));
        rule_free(r);

        r = parse_ok("r:HKLM\\SYSTEM\\x -> Start -> 4", RULE_DIALECT_OSREGEX);
        assert_int_equal(r->type, RULE_REGISTRY);
        rule_free(r);

        r = parse_ok("stat:/etc/shadow -> mode <= 0640 && uid == 0 && group == root|shadow",
                     RULE_DIALECT_PCRE2);
        assert_int_equal(r->type, RULE_STAT);
        assert_int_equal(r->n_tests, 3);
        assert_int_equal(r->tests[0].field, RULE_STAT_MODE);
        assert_int_equal(r->tests[0].value, 0640);
        assert_int_equal(r->tests[2].names.n, 2);
        rule_free(r);

        r = parse_ok("sysctl:net.ipv4.ip_forward -> r:^0$", RULE_DIALECT_PCRE2);
        assert_int_equal(r->type, RULE_SYSCTL);
        rule_free(r);
        r = parse_ok("sshd:PermitRootLogin -> r:^(?i)no$", RULE_DIALECT_PCRE2);
        assert_int_equal(r->type, RULE_SSHD);
        assert_true(line(r, "No"));
        rule_free(r);
        r = parse_ok("x:duplicate_uids", RULE_DIALECT_PCRE2);
        assert_int_equal(r->type, RULE_BUILTIN);
        rule_free(r);
        /* Wazuh ignores a '!' before the type. */
        r = parse_ok("!f:/etc/x", RULE_DIALECT_OSREGEX);
        assert_false(r->negate);
        rule_free(r);
}

static void test_content(void **state)
{
        rule_t *r;
        (void)state;

        /* A literal is the whole line, ignoring case. */
        r = parse_ok("f:/x -> Protocol 2", RULE_DIALECT_OSREGEX);
        assert_true(line(r, "protocol 2"));
        assert_false(line(r, "Protocol 2,1"));
        rule_free(r);

        /* && chains tests on one line; ! negates one test. */
        r = parse_ok("f:/x -> !r:^# && r:Port && !r:\\s*\\t*22$", RULE_DIALECT_OSREGEX);
        assert_true(line(r, "Port 2222 x"));
        assert_false(line(r, "Port 22"));
        assert_false(line(r, "# Port 2222 x"));
        rule_free(r);

        /* Numeric comparison with every operator. */
        struct {
                const char *op;
                bool lt, eq, gt;
        } ops[] = {
                { "<", true, false, false },  { "<=", true, true, false },
                { "==", false, true, false }, { "!=", true, false, true },
                { ">=", false, true, true },  { ">", false, false, true },
        };
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
                char text[128];
                snprintf(text, sizeof(text), "f:/x -> n:^MaxAuthTries\\s+(\\d+) compare %s 4",
                         ops[i].op);
                r = parse_ok(text, RULE_DIALECT_OSREGEX);
                assert_int_equal(line(r, "MaxAuthTries 3"), ops[i].lt);
                assert_int_equal(line(r, "MaxAuthTries 4"), ops[i].eq);
                assert_int_equal(line(r, "MaxAuthTries 5"), ops[i].gt);
                assert_false(line(r, "MaxSessions 3"));
                rule_free(r);
        }
        /* n: inside an && chain, with a negated regex */
        r = parse_ok("f:/x -> r:pam_pwquality.so && n:minlen=(\\d+) compare >= 8",
                     RULE_DIALECT_OSREGEX);
        assert_true(line(r, "password requisite pam_pwquality.so minlen=12"));
        assert_false(line(r, "password requisite pam_pwquality.so minlen=6"));
        rule_free(r);

        /* PCRE2 dialect is case-sensitive, OS_Regex is not. */
        r = parse_ok("f:/x -> r:^Yes", RULE_DIALECT_PCRE2);
        assert_false(line(r, "yes"));
        rule_free(r);
        r = parse_ok("f:/x -> r:^Yes", RULE_DIALECT_OSREGEX);
        assert_true(line(r, "yes"));
        rule_free(r);

        /* A line with a NUL byte is matched by length, not cut short. */
        r = parse_ok("f:/x -> r:after", RULE_DIALECT_PCRE2);
        assert_true(rule_match_line(r, "before\0after", 12));
        rule_free(r);
}

static void test_broken_patterns_warn(void **state)
{
        rule_t *r;
        (void)state;
        /* OS_Regex refuses \/ ; Wazuh then never matches. We keep the rule
         * and say so in a warning. */
        r = parse_ok("f:/x -> r:a\\/b", RULE_DIALECT_OSREGEX);
        assert_non_null(r->warning);
        assert_false(line(r, "a/b"));
        rule_free(r);
        r = parse_ok("f:/x -> r:(unclosed", RULE_DIALECT_PCRE2);
        assert_non_null(r->warning);
        assert_false(line(r, "(unclosed"));
        rule_free(r);
}

static void test_variables(void **state)
{
        rule_vars_t vars = { 0 };
        rule_t *r = NULL;
        char *err = NULL;
        (void)state;

        assert_int_equal(strv_push(&vars.names, "$sshd"), 0);
        assert_int_equal(strv_push(&vars.values, "/etc/ssh/sshd_config"), 0);
        assert_int_equal(strv_push(&vars.names, "$sshd_dir"), 0);
        assert_int_equal(strv_push(&vars.values, "/etc/ssh/sshd_config.d"), 0);
        assert_int_equal(rule_parse("f:$sshd -> r:$x", RULE_DIALECT_OSREGEX, &vars, &r, &err), 0);
        assert_string_equal(r->target, "/etc/ssh/sshd_config");
        /* variables are not replaced in the content */
        assert_string_equal(r->tests[0].text, "r:$x");
        rule_free(r);
        assert_int_equal(rule_parse("d:$sshd_dir", RULE_DIALECT_OSREGEX, &vars, &r, &err), 0);
        assert_string_equal(r->target, "/etc/ssh/sshd_config.d");
        rule_free(r);
        strv_clear(&vars.names);
        strv_clear(&vars.values);
}

static void test_errors(void **state)
{
        (void)state;
        parse_bad("/etc/passwd", "no TYPE");
        parse_bad("q:/etc/passwd", "unknown rule type");
        parse_bad("f:", "empty target");
        parse_bad("f:relative/path", "not absolute");
        parse_bad("f:$undefined -> r:x", "not absolute");
        parse_bad("f:/x -> ", "empty test");
        parse_bad("f:/x -> r:a &&  && r:b", "empty test");
        parse_bad("f:/x -> n:(\\d+)", "compare");
        parse_bad("f:/x -> n:(\\d+) compare ~ 3", "compare");
        parse_bad("f:/x -> n:\\d+ compare > 3", "capture group");
        parse_bad("stat:/x -> mode ~ 0640", "operator");
        parse_bad("stat:/x -> size < 3", "unknown stat test");
        parse_bad("stat:/x -> mode <= 99999", "bad number");
        parse_bad("stat:/x -> user <= root", "names compare");
        parse_bad("stat:/x", "needs ' -> '");
        parse_bad("sysctl:kernel.x", "needs ' -> '");
        parse_bad("x:no_such_check", "unknown built-in");
        parse_bad("p:", "names no process");
        char big[RULE_MAX_LEN + 16];
        memset(big, 'a', sizeof(big) - 1);
        big[0] = 'f';
        big[1] = ':';
        big[sizeof(big) - 1] = 0;
        parse_bad(big, "longer than");
        char many[2048] = "f:/x -> r:a";
        for (int i = 0; i < RULE_MAX_TESTS; i++)
                strncat(many, " && r:a", sizeof(many) - strlen(many) - 1);
        parse_bad(many, "more than 32");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_types),
                cmocka_unit_test(test_content),
                cmocka_unit_test(test_broken_patterns_warn),
                cmocka_unit_test(test_variables),
                cmocka_unit_test(test_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
