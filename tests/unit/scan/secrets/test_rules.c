/* Unit tests for scan/secrets/rules: the rules file loader (structure,
 * errors naming the file, line and rule) and the test-text expander. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan/secrets/rules.h"

#ifndef VIGIL_SOURCE_RULES
#define VIGIL_SOURCE_RULES "rules"
#endif

#define HEAD "version: 1\nrules:\n"
#define RULE "- id: r1\n  title: T\n  level: high\n  keywords: [abc]\n  pattern: 'abc[0-9]{4}'\n"

static void expect_error(const char *yaml, const char *fragment)
{
        secrets_rules_t *rs = NULL;
        char *err = NULL;
        int r = secrets_rules_parse(yaml, strlen(yaml), "t.yml", &rs, &err);

        if (r != -EINVAL || !err || !strstr(err, fragment))
                fprintf(stderr, "input:\n%s\nwanted error containing '%s', got %d '%s'\n", yaml,
                        fragment, r, err ? err : "(none)");
        assert_int_equal(r, -EINVAL);
        assert_non_null(err);
        assert_non_null(strstr(err, fragment));
        assert_null(rs);
        free(err);
}

static void test_minimal(void **state)
{
        const char *y = HEAD RULE "  tests:\n    match: ['x abc1234']\n    no_match: ['abc12']\n";
        secrets_rules_t *rs = NULL;
        char *err = NULL;
        (void)state;

        assert_int_equal(secrets_rules_parse(y, strlen(y), "t.yml", &rs, &err), 0);
        assert_null(err);
        assert_int_equal(rs->n, 1);
        assert_string_equal(rs->rules[0].id, "r1");
        assert_int_equal(rs->rules[0].level, FINDING_HIGH);
        assert_null(rs->rules[0].trigger);
        assert_true(rs->rules[0].placeholders);
        assert_int_equal(rs->rules[0].tests_match.n, 1);
        assert_int_equal(rs->rules[0].tests_no_match.n, 1);
        assert_ptr_equal(secrets_rules_find(rs, "r1"), &rs->rules[0]);
        assert_null(secrets_rules_find(rs, "nope"));
        secrets_rules_free(rs);
}

static void test_full_rule(void **state)
{
        const char *y = "version: 1\n"
                        "placeholders:\n  exact: [EX]\n  contains: [dummy]\n"
                        "  regex: ['^x+$']\n  min_distinct: 3\n  contains_max_length: 40\n"
                        "rules:\n"
                        "- id: r.2-x\n  title: T\n  description: D\n  level: medium\n"
                        "  keywords: [k]\n  trigger: 'k'\n"
                        "  window: {lines_before: 2, lines_after: 3, bytes: 100}\n"
                        "  pattern: '(?<secret>[a-z]{8})'\n  entropy: 2.5\n  min_classes: 1\n"
                        "  normalize: true\n  placeholders: false\n"
                        "  ignore_secret: ['^a']\n  ignore_match: ['b$']\n"
                        "  remediation: fix it\n  references: [https://example.org/x]\n";
        secrets_rules_t *rs = NULL;
        char *err = NULL;
        const secrets_rule_t *r;
        (void)state;

        assert_int_equal(secrets_rules_parse(y, strlen(y), "t.yml", &rs, &err), 0);
        r = &rs->rules[0];
        assert_string_equal(r->trigger, "k");
        assert_int_equal(r->lines_before, 2);
        assert_int_equal(r->lines_after, 3);
        assert_int_equal(r->window_bytes, 100);
        assert_true(r->entropy > 2.49 && r->entropy < 2.51);
        assert_true(r->normalize);
        assert_false(r->placeholders);
        assert_int_equal(r->level, FINDING_MEDIUM);
        assert_int_equal(rs->ph_min_distinct, 3);
        assert_int_equal(rs->ph_contains_max_len, 40);
        assert_string_equal(rs->ph_exact.v[0], "EX");
        secrets_rules_free(rs);
}

static void test_errors(void **state)
{
        (void)state;
        expect_error("version: 1\nrules: [\n", "t.yml:3:1:");
        expect_error("- a\n", "must be a mapping");
        expect_error("version: 2\nrules: []\n", "'version' must be 1");
        expect_error("version: 1\nrules: []\n", "'rules' must be a non-empty list");
        expect_error("version: 1\nextra: 1\nrules: []\n", "unknown key 'extra'");
        expect_error(HEAD RULE "  colour: red\n", "rule 'r1': unknown key 'colour'");
        expect_error(HEAD "- id: Bad_Id\n  title: T\n  level: high\n  keywords: [a]\n"
                          "  pattern: a\n",
                     "lowercase letters");
        expect_error(HEAD RULE RULE, "rule 'r1': duplicate rule id");
        expect_error(HEAD "- id: r\n  title: T\n  level: severe\n  keywords: [a]\n  pattern: a\n",
                     "'level' must be high, medium or low");
        expect_error(HEAD "- id: r\n  title: T\n  level: low\n  pattern: a\n",
                     "'keywords' needs at least one literal");
        expect_error(HEAD "- id: r\n  title: T\n  level: low\n  keywords: [a]\n",
                     "rule 'r': 'pattern' is required");
        expect_error(HEAD "- id: r\n  level: low\n  keywords: [a]\n  pattern: a\n",
                     "'title' is required");
        expect_error(HEAD RULE "  window: {bytes: 10}\n", "'window' needs a 'trigger'");
        expect_error(HEAD RULE "  trigger: x\n  window: {bytes: 100000}\n",
                     "'bytes' must be an integer from 0 to 16384");
        expect_error(HEAD RULE "  trigger: x\n  window: {lines_after: 5000}\n",
                     "'lines_after' must be an integer");
        expect_error(HEAD RULE "  entropy: lots\n", "'entropy' must be a number");
        expect_error(HEAD RULE "  entropy: 9\n", "between 0 and 8");
        expect_error(HEAD RULE "  normalize: maybe\n", "'normalize' must be true or false");
        expect_error(HEAD RULE "  tests:\n    match: ['no keyword here']\n",
                     "test 1 contains none of the keywords");
        expect_error(HEAD RULE "  tests: [a]\n", "'tests' must be a mapping");
        expect_error("version: 1\nplaceholders: {contains: ['']}\nrules:\n" RULE,
                     "entries must not be empty");
        expect_error(HEAD "- 5\n", "rule #1: each rule must be a mapping");
}

static void test_caps(void **state)
{
        char *big = malloc(SECRETS_RULES_MAX_SIZE + 2);
        char *y;
        (void)state;

        assert_non_null(big);
        memset(big, '#', SECRETS_RULES_MAX_SIZE + 1);
        big[SECRETS_RULES_MAX_SIZE + 1] = 0;
        expect_error(big, "larger than");
        free(big);
        /* A pattern over the length cap. */
        y = malloc(SECRETS_RULES_MAX_REGEX + 200);
        assert_non_null(y);
        snprintf(y, 200, HEAD "- id: r\n  title: T\n  level: low\n  keywords: [a]\n  pattern: ");
        memset(y + strlen(y), 'a', SECRETS_RULES_MAX_REGEX + 1);
        y[strlen(HEAD "- id: r\n  title: T\n  level: low\n  keywords: [a]\n  pattern: ") +
          SECRETS_RULES_MAX_REGEX + 1] = 0;
        expect_error(y, "'pattern' is longer than");
        free(y);
}

static void test_load_file(void **state)
{
        secrets_rules_t *rs = NULL;
        char *err = NULL;
        (void)state;

        assert_int_equal(secrets_rules_load("/nonexistent/rules.yml", &rs, &err), -ENOENT);
        assert_non_null(strstr(err, "/nonexistent/rules.yml"));
        free(err);
        err = NULL;
        assert_int_equal(secrets_rules_load(VIGIL_SOURCE_RULES "/secrets/rules.yml", &rs, &err), 0);
        assert_true(rs->n >= 25);
        /* Every shipped rule says how to fix it, where to read more, and
         * has examples both ways or at least a positive one. */
        for (size_t i = 0; i < rs->n; i++) {
                const secrets_rule_t *r = &rs->rules[i];
                if (!r->remediation || !r->references.n || !r->tests_match.n)
                        fprintf(stderr, "rule %s lacks remediation, references or tests\n", r->id);
                assert_non_null(r->remediation);
                assert_true(r->references.n > 0);
                assert_true(r->tests_match.n > 0);
        }
        /* The documented AWS example key is a placeholder. */
        {
                bool found = false;
                for (size_t i = 0; i < rs->ph_exact.n; i++)
                        found |= strcmp(rs->ph_exact.v[i], "AKIAIOSFODNN7EXAMPLE") == 0;
                assert_true(found);
        }
        secrets_rules_free(rs);
}

static void test_expand(void **state)
{
        uint64_t seed = 1, seed2 = 1;
        char *out = NULL, *out2 = NULL;
        size_t len, off, slen;
        (void)state;

        assert_int_equal(secrets_rules_expand_test("id=[[AKIA{{base32:16}}]];", &seed, &out, &len,
                                                   &off, &slen),
                         0);
        assert_int_equal(len, 24);
        assert_int_equal(off, 3);
        assert_int_equal(slen, 20);
        assert_memory_equal(out, "id=AKIA", 7);
        assert_int_equal(out[23], ';');
        for (size_t i = 7; i < 23; i++)
                assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", out[i]));
        /* Same seed, same text; the seed advances. */
        assert_int_equal(secrets_rules_expand_test("id=[[AKIA{{base32:16}}]];", &seed2, &out2, &len,
                                                   &off, &slen),
                         0);
        assert_string_equal(out, out2);
        assert_true(seed != 1);
        free(out);
        free(out2);
        assert_int_equal(secrets_rules_expand_test("plain", &seed, &out, &len, &off, &slen), 0);
        assert_string_equal(out, "plain");
        assert_int_equal(slen, 0);
        free(out);
        assert_int_equal(secrets_rules_expand_test("{{hex:4}}{{digit:3}}{{upper:2}}", &seed, &out,
                                                   &len, &off, &slen),
                         0);
        assert_int_equal(len, 9);
        free(out);
        assert_int_equal(secrets_rules_expand_test("{{nope:3}}", &seed, &out, &len, &off, &slen),
                         -EINVAL);
        assert_int_equal(secrets_rules_expand_test("{{hex:0}}", &seed, &out, &len, &off, &slen),
                         -EINVAL);
        assert_int_equal(secrets_rules_expand_test("{{hex:5", &seed, &out, &len, &off, &slen),
                         -EINVAL);
        assert_int_equal(secrets_rules_expand_test("[[a", &seed, &out, &len, &off, &slen), -EINVAL);
        assert_int_equal(secrets_rules_expand_test("[[a]][[b]]", &seed, &out, &len, &off, &slen),
                         -EINVAL);
        assert_int_equal(secrets_rules_expand_test("{{hex:99999}}", &seed, &out, &len, &off, &slen),
                         -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_minimal),   cmocka_unit_test(test_full_rule),
                cmocka_unit_test(test_errors),    cmocka_unit_test(test_caps),
                cmocka_unit_test(test_load_file), cmocka_unit_test(test_expand),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
