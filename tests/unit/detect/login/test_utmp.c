/* Unit tests for detect/login/utmp: records written through glibc's own
 * struct utmp, so the fixed offsets are checked against the real layout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <utmp.h>

#include "detect/login/utmp.h"

_Static_assert(sizeof(struct utmp) == UTMP_RECORD_SIZE, "utmp record size");
_Static_assert(offsetof(struct utmp, ut_user) == 44, "ut_user offset");
_Static_assert(offsetof(struct utmp, ut_host) == 76, "ut_host offset");
_Static_assert(offsetof(struct utmp, ut_tv) == 340, "ut_tv offset");
_Static_assert(offsetof(struct utmp, ut_addr_v6) == 348, "ut_addr_v6 offset");

static struct utmp rec(short type, const char *line, const char *user, const char *host,
                       const char *addr, int32_t sec)
{
        struct utmp u;

        memset(&u, 0, sizeof(u));
        u.ut_type = type;
        u.ut_pid = 4242;
        strncpy(u.ut_line, line, sizeof(u.ut_line));
        strncpy(u.ut_user, user, sizeof(u.ut_user));
        strncpy(u.ut_host, host, sizeof(u.ut_host));
        u.ut_tv.tv_sec = sec;
        u.ut_tv.tv_usec = 250;
        if (addr) {
                if (strchr(addr, ':'))
                        inet_pton(AF_INET6, addr, u.ut_addr_v6);
                else
                        inet_pton(AF_INET, addr, u.ut_addr_v6);
        }
        return u;
}

static int parse(const struct utmp *u, bool btmp, logevent_t *e)
{
        return utmp_parse_record((const uint8_t *)u, sizeof(*u), btmp, "wtmp", 1, e);
}

static void test_wtmp(void **state)
{
        logevent_t e;
        struct utmp u;
        (void)state;

        u = rec(USER_PROCESS, "pts/0", "alice", "203.0.113.9", "203.0.113.9", 1795000000);
        assert_int_equal(parse(&u, false, &e), 1);
        assert_int_equal(e.kind, LOGEVENT_AUTH_SUCCESS);
        assert_string_equal(e.user, "alice");
        assert_string_equal(e.src, "203.0.113.9");
        assert_true(e.has_ip);
        assert_string_equal(e.service, "login");
        assert_int_equal(e.pid, 4242);
        assert_int_equal(e.time_us, 1795000000LL * 1000000 + 250);

        u = rec(USER_PROCESS, "ssh:notty", "bob", "2001:db8::1", "2001:db8::1", 1795000000);
        assert_int_equal(parse(&u, false, &e), 1);
        assert_string_equal(e.src, "2001:db8::1");
        assert_string_equal(e.service, "sshd");

        /* A host name without an address is kept as a name. */
        u = rec(USER_PROCESS, "pts/1", "carol", "gw.example.net", NULL, 1795000000);
        assert_int_equal(parse(&u, false, &e), 1);
        assert_string_equal(e.src, "gw.example.net");
        assert_false(e.has_ip);

        /* Local sessions and other record types are not logins from afar. */
        u = rec(USER_PROCESS, "tty1", "dave", "", NULL, 1795000000);
        assert_int_equal(parse(&u, false, &e), 0);
        u = rec(USER_PROCESS, "pts/2", "dave", ":0", NULL, 1795000000);
        assert_int_equal(parse(&u, false, &e), 0);
        u = rec(USER_PROCESS, "pts/3", "dave", "tmux(1234).%0", NULL, 1795000000);
        assert_int_equal(parse(&u, false, &e), 0);
        u = rec(DEAD_PROCESS, "pts/0", "", "", NULL, 1795000000);
        assert_int_equal(parse(&u, false, &e), 0);
        u = rec(BOOT_TIME, "~", "reboot", "6.1.0", NULL, 1795000000);
        assert_int_equal(parse(&u, false, &e), 0);
}

static void test_btmp(void **state)
{
        logevent_t e;
        struct utmp u;
        (void)state;

        u = rec(LOGIN_PROCESS, "ssh:notty", "root", "203.0.113.9", "203.0.113.9", 1795000001);
        assert_int_equal(parse(&u, true, &e), 1);
        assert_int_equal(e.kind, LOGEVENT_AUTH_FAILURE);
        assert_string_equal(e.user, "root");
        assert_string_equal(e.service, "sshd");
        assert_string_equal(e.src, "203.0.113.9");
        /* IPv4-mapped addresses are folded. */
        u = rec(LOGIN_PROCESS, "ssh:notty", "root", "", "::ffff:198.51.100.1", 1795000001);
        assert_int_equal(parse(&u, true, &e), 1);
        assert_string_equal(e.src, "198.51.100.1");
}

static void test_hostile(void **state)
{
        logevent_t e;
        struct utmp u;
        uint8_t raw[UTMP_RECORD_SIZE];
        (void)state;

        /* Full-width fields without terminators. */
        u = rec(USER_PROCESS, "pts/0", "", "", "203.0.113.9", 1);
        memset(u.ut_user, 'A', sizeof(u.ut_user));
        memset(u.ut_host, 'h', sizeof(u.ut_host));
        assert_int_equal(parse(&u, false, &e), 1);
        assert_int_equal(strlen(e.user), 32);
        /* Bad type, bad microseconds, short record. */
        memset(raw, 0xff, sizeof(raw));
        assert_int_equal(utmp_parse_record(raw, sizeof(raw), false, "x", 1, &e), -EINVAL);
        u = rec(USER_PROCESS, "pts/0", "a", "h", NULL, 1);
        u.ut_tv.tv_usec = 1000000;
        assert_int_equal(parse(&u, false, &e), -EINVAL);
        assert_int_equal(utmp_parse_record(raw, 100, false, "x", 1, &e), -EINVAL);
        u = rec(USER_PROCESS, "pts/0", "a", "h", NULL, 1);
        assert_true(utmp_looks_like((const uint8_t *)&u, sizeof(u)));
        assert_false(utmp_looks_like(raw, sizeof(raw)));
        assert_false(utmp_looks_like((const uint8_t *)"Nov 26 23:15:10 x", 17));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_wtmp),
                cmocka_unit_test(test_btmp),
                cmocka_unit_test(test_hostile),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
