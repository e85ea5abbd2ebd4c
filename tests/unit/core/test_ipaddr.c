/* Unit tests for core/ipaddr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <errno.h>

#include "core/ipaddr.h"

static void test_parse_and_fold_mapped(void **state)
{
        ipaddr_t a, b;
        char s[IPADDR_STR_MAX];
        (void)state;

        assert_int_equal(ipaddr_parse("::ffff:203.0.113.9", &a), 0);
        assert_int_equal(a.family, AF_INET);
        assert_string_equal(ipaddr_format(&a, s), "203.0.113.9");
        assert_int_equal(ipaddr_parse("203.0.113.9", &b), 0);
        assert_true(ipaddr_equal(&a, &b));
        assert_int_equal(ipaddr_parse("2001:DB8::1", &a), 0);
        assert_string_equal(ipaddr_format(&a, s), "2001:db8::1");
        assert_int_equal(ipaddr_parse("fe80::1%eth0", &a), -EINVAL);
        assert_int_equal(ipaddr_parse("1.2.3", &a), -EINVAL);
        assert_int_equal(ipaddr_parse("", &a), -EINVAL);
        assert_int_equal(ipaddr_parse_n("1.2.3.4 port", 7, &a), 0);
        assert_string_equal(ipaddr_format(&a, s), "1.2.3.4");
        assert_int_equal(ipaddr_parse_n("1.2.3.4\0x", 9, &a), -EINVAL);
}

static void test_networks(void **state)
{
        ipnet_t n;
        ipaddr_t a;
        char s[IPADDR_STR_MAX + 4];
        (void)state;

        assert_int_equal(ipnet_parse("10.1.2.3/8", &n), 0);
        assert_string_equal(ipnet_format(&n, s), "10.0.0.0/8");
        ipaddr_parse("10.200.0.1", &a);
        assert_true(ipnet_contains(&n, &a));
        ipaddr_parse("11.0.0.1", &a);
        assert_false(ipnet_contains(&n, &a));
        assert_int_equal(ipnet_parse("2001:db8:1:2::/64", &n), 0);
        ipaddr_parse("2001:db8:1:2:ffff::9", &a);
        assert_true(ipnet_contains(&n, &a));
        assert_int_equal(ipnet_parse("::ffff:192.168.0.0/112", &n), 0);
        assert_string_equal(ipnet_format(&n, s), "192.168.0.0/16");
        assert_int_equal(ipnet_parse("1.2.3.4/33", &n), -EINVAL);
        assert_int_equal(ipnet_parse("1.2.3.4/", &n), -EINVAL);
        assert_int_equal(ipnet_parse("6.6.6.6", &n), 0);
        assert_int_equal(n.prefix, 32);
        ipaddr_parse("6.6.6.6", &a);
        ipnet_of(&a, 24, &n);
        assert_string_equal(ipnet_format(&n, s), "6.6.6.0/24");
}

static void test_public(void **state)
{
        static const char *const not_public[] = { "10.0.0.1",    "192.168.1.1",    "172.31.255.255",
                                                  "127.0.0.1",   "100.64.0.1",     "169.254.1.1",
                                                  "::1",         "fd00::1",        "fe80::1",
                                                  "203.0.113.5", "::ffff:10.0.0.1" };
        static const char *const public[] = { "6.6.6.6", "8.8.8.8", "172.32.0.1",
                                              "2a00:1450:4001::1", "100.128.0.1" };
        ipaddr_t a;
        (void)state;

        for (size_t i = 0; i < sizeof(not_public) / sizeof(*not_public); i++) {
                assert_int_equal(ipaddr_parse(not_public[i], &a), 0);
                if (ipaddr_is_public(&a))
                        fail_msg("%s judged public", not_public[i]);
        }
        for (size_t i = 0; i < sizeof(public) / sizeof(*public); i++) {
                assert_int_equal(ipaddr_parse(public[i], &a), 0);
                if (!ipaddr_is_public(&a))
                        fail_msg("%s judged not public", public[i]);
        }
        ipaddr_parse("::1", &a);
        assert_true(ipaddr_is_loopback(&a));
        ipaddr_parse("127.1.2.3", &a);
        assert_true(ipaddr_is_loopback(&a));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_and_fold_mapped),
                cmocka_unit_test(test_networks),
                cmocka_unit_test(test_public),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
