/* Unit tests for detect/netattack/hostaddr: the route table parsers on real
 * copies (tests/fixtures/netattack/proc/idle: a namespace with a default
 * route via 10.99.0.1) and on text written here for IPv6 and odd lines,
 * and the host's own addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "detect/netattack/hostaddr.h"

static bool has(const hostaddr_list_t *l, const char *s)
{
        ipaddr_t a;
        assert_int_equal(ipaddr_parse(s, &a), 0);
        return hostaddr_list_contains(l, &a);
}

static void test_gateways_from_copy(void **state)
{
        const char *fixtures = getenv("VIGIL_FIXTURES");
        char dir[1024];
        hostaddr_list_t l = { 0 };
        (void)state;

        assert_non_null(fixtures);
        snprintf(dir, sizeof(dir), "%s/netattack/proc/idle", fixtures);
        assert_int_equal(hostaddr_gateways(dir, &l), 0);
        assert_int_equal(l.n, 1);
        assert_true(has(&l, "10.99.0.1"));
        hostaddr_list_clear(&l);

        /* A directory without route tables adds nothing. */
        snprintf(dir, sizeof(dir), "%s/netattack/proc/old", fixtures);
        assert_int_equal(hostaddr_gateways(dir, &l), 0);
        assert_int_equal(l.n, 0);
}

static void test_route_text(void **state)
{
        static const char v4[] =
                "Iface\tDestination\tGateway "
                "\tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
                "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
                "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
                "eth1\t00000000\t01FE000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
                "eth2\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n" /* no gateway */
                "eth3\t00000000\t0G0200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" /* bad hex */
                "eth4\t00000000\t010200C0\t0003\n"                             /* short */
                "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
        static const char v6[] =
                "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 "
                "00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n"
                "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
                "fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0\n"
                "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
                "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n"
                "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
                "fe80000000000000000000000000001 00000400 00000002 00000000 00000003     eth0\n";
        hostaddr_list_t l = { 0 };
        size_t bad = 0;
        (void)state;

        assert_int_equal(hostaddr_parse_route(v4, sizeof(v4) - 1, &l, &bad), 0);
        assert_int_equal(l.n, 2); /* the repeated default is listed once */
        assert_true(has(&l, "192.0.2.1"));
        assert_true(has(&l, "10.0.254.1"));
        assert_int_equal(bad, 2);

        bad = 0;
        assert_int_equal(hostaddr_parse_ipv6_route(v6, sizeof(v6) - 1, &l, &bad), 0);
        assert_int_equal(l.n, 3);
        assert_true(has(&l, "fd00::1"));
        assert_int_equal(bad, 1); /* a next hop of 31 digits */
        hostaddr_list_clear(&l);
        assert_int_equal(l.n, 0);
        hostaddr_list_clear(&l);
}

static void test_local(void **state)
{
        hostaddr_list_t l = { 0 };
        (void)state;

        assert_int_equal(hostaddr_local(&l), 0);
        assert_true(has(&l, "127.0.0.1"));
        hostaddr_list_clear(&l);
}

static void test_cap(void **state)
{
        hostaddr_list_t l = { 0 };
        (void)state;

        for (unsigned i = 0; i < HOSTADDR_MAX; i++) {
                ipaddr_t a = { .family = AF_INET,
                               .bytes = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i } };
                assert_int_equal(hostaddr_list_add(&l, &a), 0);
        }
        {
                ipaddr_t a = { .family = AF_INET, .bytes = { 11, 0, 0, 1 } };
                assert_int_equal(hostaddr_list_add(&l, &a), -E2BIG);
                /* An address already there is not "more". */
                a.bytes[0] = 10;
                a.bytes[3] = 0;
                assert_int_equal(hostaddr_list_add(&l, &a), 0);
        }
        hostaddr_list_clear(&l);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_gateways_from_copy),
                cmocka_unit_test(test_route_text),
                cmocka_unit_test(test_local),
                cmocka_unit_test(test_cap),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
