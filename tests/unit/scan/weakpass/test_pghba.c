/* Unit tests for scan/weakpass/pghba: tokens, record forms, address scopes,
 * include directives and malformed records. The integration test compares
 * the parser with PostgreSQL's own view (pg_hba_file_rules). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan/weakpass/pghba.h"

typedef struct seen {
        char rules[32][256];
        size_t n;
        char includes[8][128];
        size_t n_inc;
} seen_t;

static int on_rule(const pghba_rule_t *r, const char *where, void *userdata)
{
        seen_t *s = userdata;
        static const char *const scopes[] = { "socket", "loopback", "remote" };

        assert_true(s->n < 32);
        snprintf(s->rules[s->n++], 256, "%s|%s|%s|%s|%s|%s|%s", where, r->type, r->database,
                 r->user, r->address ? r->address : "-", r->method, scopes[r->scope]);
        return 0;
}

static int on_include(pghba_include_kind_t kind, const char *path, const char *where,
                      void *userdata)
{
        seen_t *s = userdata;
        snprintf(s->includes[s->n_inc++], 128, "%d|%s|%s", (int)kind, path, where);
        return 0;
}

static void test_fixture(void **state)
{
        char path[512];
        const char *dir = getenv("VIGIL_FIXTURES");
        FILE *f;
        char buf[8192];
        size_t len;
        seen_t s = { .n = 0 };
        report_t *r = report_new("h", "/");

        (void)state;
        snprintf(path, sizeof(path), "%s/weakpass/pg_hba.conf", dir ? dir : "tests/fixtures");
        f = fopen(path, "r");
        assert_non_null(f);
        len = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        assert_int_equal(pghba_parse(buf, len, "hba", r, on_rule, on_include, &s), 0);
        for (size_t i = 0; i < s.n; i++)
                print_message("%s\n", s.rules[i]);
        assert_int_equal(s.n, 10);
        assert_string_equal(s.rules[0], "hba:2|local|all|postgres|-|peer|socket");
        assert_string_equal(s.rules[1], "hba:3|local|all|all|-|trust|socket");
        assert_string_equal(s.rules[2], "hba:4|host|all|all|127.0.0.1/32|trust|loopback");
        assert_string_equal(s.rules[3], "hba:5|host|all|all|::1/128|trust|loopback");
        assert_string_equal(s.rules[4], "hba:6|host|all|all|0.0.0.0/0|trust|remote");
        assert_string_equal(s.rules[5],
                            "hba:7|hostssl|db one,db2|all|10.0.0.0 255.0.0.0|md5|remote");
        assert_string_equal(s.rules[6], "hba:8|hostnossl|all|all|samehost|trust|loopback");
        assert_string_equal(s.rules[7], "hba:9|host|all|all|samenet|trust|remote");
        assert_string_equal(s.rules[8], "hba:10|host|a,b|u|127.0.0.0 255.0.0.0|trust|loopback");
        assert_string_equal(s.rules[9], "hba:15|host|all|all|all|trust|remote");
        assert_int_equal(s.n_inc, 2);
        assert_string_equal(s.includes[0], "1|extra.conf|hba:16");
        assert_string_equal(s.includes[1], "2|conf.d|hba:17");
        /* line 12: bare IP without mask; 13: bad CIDR; 14: unknown type;
         * 18: unterminated quote. */
        assert_int_equal(r->n_notes, 4);
        assert_string_equal(r->notes[0].source, "hba:12");
        assert_string_equal(r->notes[1].source, "hba:13");
        assert_string_equal(r->notes[2].source, "hba:14");
        assert_string_equal(r->notes[3].source, "hba:18");
        report_free(r);
}

static void test_scopes(void **state)
{
        pghba_scope_t s;

        (void)state;
        assert_int_equal(pghba_address_scope("127.0.0.1/32", NULL, &s), 0);
        assert_int_equal(s, PGHBA_SCOPE_LOOPBACK);
        assert_int_equal(pghba_address_scope("127.0.0.0/8", NULL, &s), 0);
        assert_int_equal(s, PGHBA_SCOPE_LOOPBACK);
        /* A prefix wider than 127/8 reaches beyond loopback. */
        assert_int_equal(pghba_address_scope("127.0.0.0/7", NULL, &s), 0);
        assert_int_equal(s, PGHBA_SCOPE_REMOTE);
        assert_int_equal(pghba_address_scope("::1/128", NULL, &s), 0);
        assert_int_equal(s, PGHBA_SCOPE_LOOPBACK);
        assert_int_equal(pghba_address_scope("::1/127", NULL, &s), 0);
        assert_int_equal(s, PGHBA_SCOPE_REMOTE);
        assert_int_equal(pghba_address_scope("::ffff:127.0.0.1/128", NULL, &s), 0);
        assert_int_equal(s, PGHBA_SCOPE_LOOPBACK);
        assert_int_equal(pghba_address_scope("::/0", NULL, &s), 0);
        assert_int_equal(s, PGHBA_SCOPE_REMOTE);
        assert_int_equal(pghba_address_scope("192.168.1.0/24", NULL, &s), 0);
        assert_int_equal(s, PGHBA_SCOPE_REMOTE);
        assert_int_equal(pghba_address_scope("localhost", NULL, &s), 0);
        assert_int_equal(s, PGHBA_SCOPE_LOOPBACK);
        assert_int_equal(pghba_address_scope(".example.com", NULL, &s), 0);
        assert_int_equal(s, PGHBA_SCOPE_REMOTE);
        assert_int_equal(pghba_address_scope("127.0.0.1", "255.255.255.255", &s), 0);
        assert_int_equal(s, PGHBA_SCOPE_LOOPBACK);
        assert_int_equal(pghba_address_scope("127.0.0.1", "0.0.0.0", &s), 0);
        assert_int_equal(s, PGHBA_SCOPE_REMOTE);
        assert_int_equal(pghba_address_scope("127.0.0.1", "255.0.255.0", &s), -EINVAL);
        assert_int_equal(pghba_address_scope("10.0.0.1/33", NULL, &s), -EINVAL);
        assert_int_equal(pghba_address_scope("10.0.0.1/x", NULL, &s), -EINVAL);
        assert_int_equal(pghba_address_scope("10.0.0.1", NULL, &s), -EINVAL);
        assert_int_equal(pghba_address_scope("/8", NULL, &s), -EINVAL);
}

static void test_continuation_and_quotes(void **state)
{
        static const char text[] = "host all \\\n  all 0.0.0.0/0 \\\n  trust\n"
                                   "host \"all\" all \"localhost\" trust # comment\n"
                                   "host all all 10.0.0.0/8 \"trust\"\n";
        seen_t s = { .n = 0 };

        (void)state;
        assert_int_equal(pghba_parse(text, sizeof(text) - 1, "f", NULL, on_rule, NULL, &s), 0);
        assert_int_equal(s.n, 3);
        assert_string_equal(s.rules[0], "f:1|host|all|all|0.0.0.0/0|trust|remote");
        assert_string_equal(s.rules[1], "f:4|host|all|all|localhost|trust|loopback");
        assert_string_equal(s.rules[2], "f:5|host|all|all|10.0.0.0/8|trust|remote");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fixture),
                cmocka_unit_test(test_scopes),
                cmocka_unit_test(test_continuation_and_quotes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
