/* Unit tests for detect/login/dbauth: MySQL/MariaDB and PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lptest.h"

static void test_mysql(void **state)
{
        static const lp_case_t cases[] = {
                { "2026-11-26T23:15:10.123456Z 8 [Note] [MY-010926] [Server] Access denied for "
                  "user 'bob'@'203.0.113.9' (using password: YES)",
                  "auth_failure method=password user=bob src=203.0.113.9 port=0" },
                { "2026-11-26 23:15:10 8 [Warning] Access denied for user 'root'@'localhost' "
                  "(using password: NO)",
                  "auth_failure method=password user=root src= port=0" },
                { "161126 23:15:10 [Warning] Access denied for user 'x'@'db.example.org' (using "
                  "password: YES)",
                  "auth_failure method=password user=x src=db.example.org(name) port=0" },
                { "Nov 26 23:15:10 web1 mariadbd[700]: 2026-11-26 23:15:10 31 [Warning] Access "
                  "denied for user 'a'@'6.6.6.6' (using password: YES)'@'203.0.113.9' (using "
                  "password: YES)",
                  "auth_failure method=password user=a'@'6.6.6.6' (using password: YES) "
                  "src=203.0.113.9 port=0" },
                { "Nov 26 23:15:10 web1 mysqld[700]: [Warning] Access denied for user "
                  "'u'@'2001:db8::3' (using password: YES)",
                  "auth_failure method=password user=u src=2001:db8::3 port=0" },
                { "2026-11-26T23:15:10.123456Z 0 [System] [MY-010931] [Server] ready for "
                  "connections.",
                  "unmatched" },
                { "2026-11-26 23:15:10 8 [Warning] Access denied for user 'bob'@'%' to database "
                  "'x'",
                  "unmatched" },
        };
        (void)state;
        LP_RUN_CASES(cases);
}

static void test_postgres(void **state)
{
        static const lp_case_t cases[] = {
                { "2026-11-26 23:15:10.123 UTC [1234] bob@app FATAL:  password authentication "
                  "failed for user \"bob\"",
                  "auth_failure method=password user=bob src= port=0" },
                { "2026-11-26 23:15:10.123 UTC [1234] FATAL:  password authentication failed for "
                  "user \"bob\"",
                  "auth_failure method=password user=bob src= port=0" },
                { "2026-11-26 23:15:10.123 UTC [1234] x@y FATAL:  role \"x\" does not exist",
                  "invalid_user method= user=x src= port=0 invalid" },
                { "2026-11-26 23:15:10.123 UTC [1234] bob@app FATAL:  no pg_hba.conf entry for "
                  "host \"203.0.113.9\", user \"bob\", database \"app\", no encryption",
                  "not_allowed method= user=bob src=203.0.113.9 port=0" },
                { "2026-11-26 23:15:10 +01 [1234] bob@app FATAL:  Ident authentication failed for "
                  "user \"bob\"",
                  "auth_failure method=ident user=bob src= port=0" },
                /* A user name holding a fake message cannot add or change an event. */
                { "2026-11-26 23:15:10.123 UTC [1234] a@b LOG:  connection authorized: user=a "
                  "database=b application_name=x@D FATAL:  database \"D\" does not exist",
                  "unmatched" },
                { "2026-11-26 23:15:10.123 UTC [1234] a@b FATAL:  no pg_hba.conf entry for host "
                  "\"6.6.6.6\", user \"a\", database \"b\", no encryption@d FATAL:  no pg_hba.conf "
                  "entry for host \"203.0.113.9\", user \"a@b FATAL:  no pg_hba.conf entry for "
                  "host \"6.6.6.6\", user \"a\", database \"b\", no encryption\", database \"d\", "
                  "no encryption",
                  "not_allowed method= user=a@b FATAL:  no pg_hba.conf entry for host \"6.6.6.6\", "
                  "user \"a\", database \"b\", no encryption src=203.0.113.9 port=0" },
                { "2026-11-26 23:15:10.123 UTC [1234] LOG:  database system is ready",
                  "unmatched" },
        };
        (void)state;
        LP_RUN_CASES(cases);
}

/* The client address of a backend comes from its "connection received"
 * line; the failure and success lines of the same pid get it. */
static void test_postgres_pid(void **state)
{
        logparse_ctx_t *ctx = lp_ctx(NULL);
        char buf[1024];
        (void)state;

        assert_string_equal(lp_parse(ctx,
                                     "2026-11-26 23:15:10.100 UTC [2000] [unknown]@[unknown] LOG:  "
                                     "connection received: host=203.0.113.9 port=50000",
                                     buf, sizeof(buf)),
                            "unmatched");
        assert_string_equal(lp_parse(ctx,
                                     "2026-11-26 23:15:10.200 UTC [2000] bob@app FATAL:  password "
                                     "authentication failed for user \"bob\"",
                                     buf, sizeof(buf)),
                            "auth_failure method=password user=bob src=203.0.113.9 port=50000");
        lp_parse(ctx,
                 "2026-11-26 23:15:11.100 UTC [2001] [unknown]@[unknown] LOG:  connection "
                 "received: host=192.0.2.1 port=50001",
                 buf, sizeof(buf));
        assert_string_equal(lp_parse(ctx,
                                     "2026-11-26 23:15:11.300 UTC [2001] bob@app LOG:  connection "
                                     "authorized: user=bob database=app application_name=psql",
                                     buf, sizeof(buf)),
                            "auth_success method= user=bob src=192.0.2.1 port=50001");
        /* Through syslog. */
        lp_parse(ctx,
                 "Nov 26 23:15:12 db1 postgres[2002]: [1-1] 2026-11-26 23:15:12.000 UTC [2002] "
                 "[unknown]@[unknown] LOG:  connection received: host=198.51.100.3 port=50002",
                 buf, sizeof(buf));
        assert_string_equal(lp_parse(ctx,
                                     "Nov 26 23:15:12 db1 postgres[2002]: [2-1] 2026-11-26 "
                                     "23:15:12.100 UTC [2002] eve@app FATAL:  password "
                                     "authentication failed for user \"eve\"",
                                     buf, sizeof(buf)),
                            "auth_failure method=password user=eve src=198.51.100.3 port=50002");
        logparse_free(ctx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mysql),
                cmocka_unit_test(test_postgres),
                cmocka_unit_test(test_postgres_pid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
