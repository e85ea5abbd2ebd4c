/* Unit tests for detect/login/evjson: byte-for-byte what jansson prints for
 * logevent_to_json, for ordinary and hostile field contents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "core/macro.h"
#include "detect/login/evjson.h"

static void check(const logevent_t *e)
{
        json_t *o = logevent_to_json(e);
        char *want, *got;
        size_t n;

        assert_non_null(o);
        want = json_dumps(o, JSON_COMPACT);
        assert_non_null(want);
        got = malloc(evjson_max_len(e) + 1);
        assert_non_null(got);
        n = evjson_write(e, got);
        assert_true(n <= evjson_max_len(e));
        got[n] = 0;
        if (strcmp(got, want) != 0)
                fail_msg("\n got: %s\nwant: %s", got, want);
        free(got);
        free(want);
        json_decref(o);
}

static void test_fields(void **state)
{
        logevent_t e;
        (void)state;

        memset(&e, 0, sizeof(e));
        e.file = "/var/log/auth.log";
        e.line = 12;
        check(&e);
        e.time_us = 1795000000LL * 1000000;
        snprintf(e.service, sizeof(e.service), "sshd");
        e.kind = LOGEVENT_AUTH_FAILURE;
        snprintf(e.method, sizeof(e.method), "password");
        snprintf(e.user, sizeof(e.user), "root");
        snprintf(e.src, sizeof(e.src), "203.0.113.9");
        e.port = 65535;
        e.pid = 622;
        check(&e);
        e.time_us += 128954;
        snprintf(e.host, sizeof(e.host), "web1");
        snprintf(e.target_user, sizeof(e.target_user), "postgres");
        e.invalid_user = true;
        e.truncated = true;
        e.kind = LOGEVENT_PAM_FAILURE;
        check(&e);
        e.file = NULL;
        e.time_us = 1;
        check(&e);
        /* Every day of a few years, to test the date arithmetic. */
        for (int64_t t = 0; t < 3LL * 366 * 86400; t += 86400 + 3601)
                for (int64_t base = 0; base <= 2000000000LL; base += 1000000000LL) {
                        e.time_us = (base + t) * 1000000 + 7;
                        check(&e);
                }
}

static void test_hostile_text(void **state)
{
        logevent_t e;
        static const char *const users[] = {
                "quote\" backslash\\ slash/",
                "ctl \x01\x02\x1b[31m\x7f tab\t nl\n cr\r bs\b ff\f",
                "utf8 caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91",
                "bad \xff\xfe \xc3 \xe2\x82 \xed\xa0\x80 \xf4\x90\x80\x80 \xc0\xaf",
                "c1 \xc2\x85 \xc2\x9f",
                "",
        };
        (void)state;

        memset(&e, 0, sizeof(e));
        e.file = "f\x1b\xff";
        for (size_t i = 0; i < ELEMENTSOF(users); i++) {
                snprintf(e.user, sizeof(e.user), "%s", users[i]);
                snprintf(e.src, sizeof(e.src), "%s", users[i]);
                snprintf(e.host, sizeof(e.host), "%s", users[i]);
                check(&e);
        }
        /* Random bytes. */
        srand(7);
        for (int k = 0; k < 2000; k++) {
                size_t n = (size_t)rand() % (sizeof(e.user) - 1);
                for (size_t i = 0; i < n; i++)
                        e.user[i] = (char)(1 + rand() % 255);
                e.user[n] = 0;
                check(&e);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fields),
                cmocka_unit_test(test_hostile_text),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
