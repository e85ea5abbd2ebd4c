/* Unit tests for scan/baseline/policy: loading the SCA format with vigil's
 * extensions, and the positions and check ids in every error message. */
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

#include "scan/baseline/policy.h"

static int load(const char *text, policy_t **p, strv_t *diags)
{
        *p = NULL;
        return policy_load(text, strlen(text), "t.yml", p, diags);
}

static bool has_diag(const strv_t *d, const char *s)
{
        for (size_t i = 0; i < d->n; i++)
                if (strcmp(d->v[i], s) == 0)
                        return true;
        return false;
}

static void dump(const strv_t *d)
{
        for (size_t i = 0; i < d->n; i++)
                print_message("diag: %s\n", d->v[i]);
}

static const char good[] = "policy:\n"
                           "  id: demo\n"
                           "  file: demo.yml\n"
                           "  name: Demo policy\n"
                           "  description: for tests\n"
                           "  references:\n"
                           "    - https://example.invalid/\n"
                           "requirements:\n"
                           "  title: needs passwd\n"
                           "  description: a Linux system\n"
                           "  condition: any\n"
                           "  rules:\n"
                           "    - 'f:$passwd'\n"
                           "variables:\n"
                           "  $passwd: /etc/passwd\n"
                           "  $pam: /etc/pam.d/a,/etc/pam.d/b\n"
                           "checks:\n"
                           "  - id: 100\n"
                           "    title: First\n"
                           "    description: d\n"
                           "    rationale: r\n"
                           "    remediation: fix it\n"
                           "    compliance:\n"
                           "      - cis: [\"5.2.10\", 5.2.11]\n"
                           "      - gdpr: [\"32\"]\n"
                           "      - mlps2.0-l3: [\"8.1.4.1\"]\n"
                           "    condition: all\n"
                           "    rules:\n"
                           "      - 'f:$pam -> r:pam_unix'\n"
                           "  - id: ssh-root\n"
                           "    title: Second\n"
                           "    level: high\n"
                           "    tags: [ssh, remote]\n"
                           "    missing: no-match\n"
                           "    regex_type: pcre2\n"
                           "    condition: none\n"
                           "    rules:\n"
                           "      - 'not c:echo hi -> r:^hi$'\n"
                           "      - 'p:sshd'\n";

static void test_load_good(void **state)
{
        policy_t *p;
        strv_t d = { 0 };
        (void)state;

        assert_int_equal(load(good, &p, &d), 0);
        dump(&d);
        assert_int_equal(d.n, 0);
        assert_string_equal(p->id, "demo");
        assert_string_equal(p->name, "Demo policy");
        assert_string_equal(p->file, "demo.yml");
        assert_int_equal(p->references.n, 1);
        assert_int_equal(p->dialect, RULE_DIALECT_OSREGEX);
        assert_true(p->has_requirements);
        assert_int_equal(p->requirements.condition, POLICY_ANY);
        assert_string_equal(p->requirements.rules[0]->target, "/etc/passwd");
        assert_int_equal(p->n_checks, 2);

        policy_check_t *c = &p->checks[0];
        assert_string_equal(c->id, "100");
        assert_int_equal(c->line, 18);
        assert_int_equal(c->column, 5);
        assert_int_equal(c->level, FINDING_LOW); /* no level: low */
        assert_false(c->level_given);
        assert_int_equal(c->compliance.n, 4);
        assert_string_equal(c->compliance.v[0], "cis:5.2.10");
        assert_string_equal(c->compliance.v[1], "cis:5.2.11");
        assert_string_equal(c->compliance.v[2], "gdpr:32");
        assert_string_equal(c->compliance.v[3], "mlps2.0-l3:8.1.4.1");
        assert_int_equal(c->rules[0]->targets.n, 2);
        assert_false(c->missing_no_match);

        c = &p->checks[1];
        assert_int_equal(c->level, FINDING_HIGH);
        assert_int_equal(c->condition, POLICY_NONE);
        assert_int_equal(c->tags.n, 2);
        assert_true(c->missing_no_match);
        assert_true(c->rules[0]->negate);
        assert_int_equal(c->rules[0]->type, RULE_COMMAND);
        /* regex_type: pcre2 on the check: case-sensitive */
        assert_false(rule_match_line(c->rules[0], "HI", 2));
        policy_free(p);
        strv_clear(&d);
}

static void test_syntax_error_position(void **state)
{
        policy_t *p;
        strv_t d = { 0 };
        (void)state;

        assert_int_equal(load("policy:\n  id: x\n  name: [unclosed\nchecks: []\n", &p, &d),
                         -EINVAL);
        assert_null(p);
        assert_int_equal(d.n, 1);
        dump(&d);
        assert_true(strncmp(d.v[0], "t.yml:4:", 8) == 0 || strncmp(d.v[0], "t.yml:3:", 8) == 0);
        strv_clear(&d);

        /* Tabs for indentation are a YAML error with a position. */
        assert_int_equal(load("policy:\n\tid: x\n", &p, &d), -EINVAL);
        assert_true(strncmp(d.v[0], "t.yml:2:", 8) == 0);
        strv_clear(&d);

        /* Anchors and aliases are refused. */
        assert_int_equal(load("policy: &a\n  id: x\nchecks: *a\n", &p, &d), -EINVAL);
        assert_true(strncmp(d.v[0], "t.yml:1:", 8) == 0);
        strv_clear(&d);
}

static void test_structure_errors(void **state)
{
        policy_t *p;
        strv_t d = { 0 };
        (void)state;

        assert_int_equal(load("- a\n- b\n", &p, &d), -EINVAL);
        assert_true(has_diag(&d, "t.yml:1:1: a policy must be a mapping with 'policy' and "
                                 "'checks'"));
        strv_clear(&d);
        assert_int_equal(load("checks: []\n", &p, &d), -EINVAL);
        assert_true(has_diag(&d, "t.yml:1:1: missing the 'policy' section"));
        strv_clear(&d);
        assert_int_equal(load("policy:\n  id: x\n  name: n\n", &p, &d), -EINVAL);
        assert_true(has_diag(&d, "t.yml:1:1: missing the 'checks' section"));
        strv_clear(&d);
        assert_int_equal(load("policy:\n  id: 'bad id'\n  name: n\nchecks: []\n", &p, &d), -EINVAL);
        assert_true(has_diag(&d, "t.yml:2:7: the policy needs an 'id' of letters, digits, "
                                 "'.', '_', '-'"));
        strv_clear(&d);
        assert_int_equal(load("policy:\n  id: x\n  name: n\nchecks: {}\n", &p, &d), -EINVAL);
        assert_true(has_diag(&d, "t.yml:4:9: 'checks' must be a list"));
        strv_clear(&d);
        assert_int_equal(
                load("policy:\n  id: x\n  name: n\n  regex_type: perl\nchecks: []\n", &p, &d),
                -EINVAL);
        assert_true(has_diag(&d, "t.yml:4:15: 'regex_type' must be osregex or pcre2"));
        strv_clear(&d);
        assert_int_equal(load("policy:\n  id: x\n  name: n\nrequirements:\n  title: t\n"
                              "  condition: all\n  rules: ['q:/x']\nchecks: []\n",
                              &p, &d),
                         -EINVAL);
        assert_true(has_diag(&d, "t.yml:7:11: unknown rule type 'q:' (f, d, p, c, r, stat, "
                                 "sysctl, sshd, x) (check requirements)"));
        strv_clear(&d);
        assert_int_equal(
                load("policy:\n  id: x\n  name: n\nvariables:\n  name: v\nchecks: []\n", &p, &d),
                -EINVAL);
        assert_true(has_diag(&d, "t.yml:5:3: a variable name must start with '$'"));
        strv_clear(&d);
}

/* A broken check is dropped with a message naming it; the rest load. */
static void test_check_errors(void **state)
{
        static const char text[] = "policy:\n"                              /* 1 */
                                   "  id: x\n"                              /* 2 */
                                   "  name: n\n"                            /* 3 */
                                   "checks:\n"                              /* 4 */
                                   "  - id: 1\n"                            /* 5 */
                                   "    title: ok\n"                        /* 6 */
                                   "    condition: all\n"                   /* 7 */
                                   "    rules: ['f:/etc/passwd']\n"         /* 8 */
                                   "  - id: 2\n"                            /* 9 */
                                   "    title: bad rule\n"                  /* 10 */
                                   "    condition: all\n"                   /* 11 */
                                   "    rules:\n"                           /* 12 */
                                   "      - 'f:/etc/passwd'\n"              /* 13 */
                                   "      - 'f:/x -> n:\\d+ compare > 1'\n" /* 14 */
                                   "  - id: 3\n"                            /* 15 */
                                   "    title: bad condition\n"             /* 16 */
                                   "    condition: most\n"                  /* 17 */
                                   "    rules: ['f:/etc/passwd']\n"         /* 18 */
                                   "  - id: 4\n"                            /* 19 */
                                   "    title: no rules\n"                  /* 20 */
                                   "    condition: all\n"                   /* 21 */
                                   "  - id: 1\n"                            /* 22 */
                                   "    title: duplicate\n"                 /* 23 */
                                   "    condition: all\n"                   /* 24 */
                                   "    rules: ['f:/etc/passwd']\n"         /* 25 */
                                   "  - title: no id\n"                     /* 26 */
                                   "    condition: all\n"                   /* 27 */
                                   "    rules: ['f:/etc/passwd']\n"         /* 28 */
                                   "  - id: 7\n"                            /* 29 */
                                   "    title: bad level\n"                 /* 30 */
                                   "    level: critical\n"                  /* 31 */
                                   "    condition: all\n"                   /* 32 */
                                   "    rules: ['f:/etc/passwd']\n"         /* 33 */
                                   "  - id: 8\n"                            /* 34 */
                                   "    title: bad compliance\n"            /* 35 */
                                   "    compliance: cis\n"                  /* 36 */
                                   "    condition: all\n"                   /* 37 */
                                   "    rules: ['f:/etc/passwd']\n"         /* 38 */
                                   "  - id: 9\n"                            /* 39 */
                                   "    title: warns only\n"                /* 40 */
                                   "    condition: all\n"                   /* 41 */
                                   "    rules: ['f:/x -> r:a\\/b']\n"       /* 42 */
                                   "  - just a string\n";                   /* 43 */
        policy_t *p;
        strv_t d = { 0 };
        (void)state;

        assert_int_equal(load(text, &p, &d), 0);
        dump(&d);
        assert_true(has_diag(&d, "t.yml:14:9: numeric test 'n:\\d+ compare > 1' needs a "
                                 "capture group around the number, e.g. (\\d+) (check 2)"));
        assert_true(has_diag(&d, "t.yml:17:16: 'condition' must be all, any or none (check 3)"));
        assert_true(has_diag(&d, "t.yml:19:5: missing 'rules' (check 4)"));
        assert_true(has_diag(&d, "t.yml:22:9: duplicate check id (first at line 5) (check 1)"));
        assert_true(has_diag(&d, "t.yml:26:5: missing 'id' (check #6)"));
        assert_true(has_diag(&d, "t.yml:31:12: 'level' must be high, medium or low (check 7)"));
        assert_true(has_diag(&d, "t.yml:36:17: 'compliance' must be a list of 'name: [ids]' "
                                 "entries (check 8)"));
        assert_true(has_diag(&d, "t.yml:42:13: OS_Regex pattern 'a\\/b' is invalid (unknown "
                                 "escape (OS_Regex knows \\d \\D \\w \\W \\s \\S \\p \\. \\t \\( "
                                 "\\) \\\\ \\$ \\| \\<)); it never matches (check 9)"));
        assert_true(has_diag(&d, "t.yml:43:5: a check must be a mapping (check #10)"));
        assert_int_equal(p->n_checks, 2);
        assert_string_equal(p->checks[0].id, "1");
        assert_string_equal(p->checks[1].id, "9");
        policy_free(p);
        strv_clear(&d);
}

static void test_shipped_policy_loads(void **state)
{
        const char *fx = getenv("VIGIL_FIXTURES");
        char path[1024], *data;
        policy_t *p;
        strv_t d = { 0 };
        FILE *f;
        long n;
        (void)state;

        snprintf(path, sizeof(path), "%s/../../rules/policies/vigil-linux.yml", fx ? fx : ".");
        f = fopen(path, "r");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        rewind(f);
        data = malloc((size_t)n + 1);
        assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
        fclose(f);
        assert_int_equal(policy_load(data, (size_t)n, path, &p, &d), 0);
        dump(&d);
        assert_int_equal(d.n, 0);
        assert_string_equal(p->id, "vigil-linux");
        assert_int_equal(p->dialect, RULE_DIALECT_PCRE2);
        assert_true(p->n_checks >= 40);
        for (size_t i = 0; i < p->n_checks; i++) {
                assert_true(p->checks[i].level_given);
                assert_non_null(p->checks[i].remediation);
                for (size_t j = 0; j < p->checks[i].n_rules; j++)
                        assert_int_not_equal(p->checks[i].rules[j]->type, RULE_COMMAND);
        }
        policy_free(p);
        strv_clear(&d);
        free(data);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_load_good),
                cmocka_unit_test(test_syntax_error_position),
                cmocka_unit_test(test_structure_errors),
                cmocka_unit_test(test_check_errors),
                cmocka_unit_test(test_shipped_policy_loads),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
