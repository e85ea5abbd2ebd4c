/* Unit tests for center/cutil: ISO 8601 times (checked against the C
 * library's timegm), durations, ids, secrets and base64url. */
#include "ctest.h"

#include <errno.h>
#include <time.h>

#include "center/cutil.h"

static void test_times(void **state)
{
        int64_t t;
        struct tm tm = { .tm_year = 2026 - 1900,
                         .tm_mon = 10,
                         .tm_mday = 26,
                         .tm_hour = 23,
                         .tm_min = 15,
                         .tm_sec = 10 };
        int64_t want = (int64_t)timegm(&tm) * USEC_PER_SEC;
        const char *bad[] = { "",
                              "2026-11-26",
                              "2026-11-26T23:15:10",
                              "2026-11-26 23:15:10Z",
                              "2026-13-01T00:00:00Z",
                              "2026-02-29T00:00:00Z",
                              "2026-11-31T00:00:00Z",
                              "2026-11-26T24:00:00Z",
                              "2026-11-26T23:15:10.Z",
                              "2026-11-26T23:15:10.1234567890Z",
                              "2026-11-26T23:15:10+0100",
                              "2026-11-26T23:15:10Zjunk",
                              "1969-12-31T23:59:59Z",
                              "+026-11-26T23:15:10Z" };

        assert_int_equal(cutil_parse_time("2026-11-26T23:15:10Z", 20, &t), 0);
        assert_true(t == want);
        assert_int_equal(cutil_parse_time("2026-11-26T23:15:10.128954Z", 27, &t), 0);
        assert_true(t == want + 128954);
        assert_int_equal(cutil_parse_time("2026-11-26T23:15:10.5z", 22, &t), 0);
        assert_true(t == want + 500000);
        assert_int_equal(cutil_parse_time("2026-11-27T01:15:10+02:00", 25, &t), 0);
        assert_true(t == want);
        assert_int_equal(cutil_parse_time("2026-11-26T20:45:10-02:30", 25, &t), 0);
        assert_true(t == want);
        assert_int_equal(cutil_parse_time("2024-02-29T00:00:00Z", 20, &t), 0);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(cutil_parse_time(bad[i], strlen(bad[i]), &t), -EINVAL);
        assert_int_equal(cutil_parse_time_param("1700000000", &t), 0);
        assert_true(t == 1700000000LL * USEC_PER_SEC);
        assert_int_equal(cutil_parse_time_param("-1", &t), -EINVAL);
        assert_int_equal(cutil_parse_time_param("99999999999999", &t), -EINVAL);
        assert_int_equal(cutil_hour(want + 1234), want - (15 * 60 + 10) * USEC_PER_SEC);
}

static void test_durations(void **state)
{
        int64_t d;

        assert_int_equal(cutil_parse_duration("10m", &d), 0);
        assert_true(d == 600 * USEC_PER_SEC);
        assert_int_equal(cutil_parse_duration("180d", &d), 0);
        assert_true(d == 180 * USEC_PER_DAY);
        assert_int_equal(cutil_parse_duration("2w", &d), 0);
        assert_true(d == 14 * USEC_PER_DAY);
        assert_int_equal(cutil_parse_duration("45", &d), 0);
        assert_true(d == 45 * USEC_PER_SEC);
        const char *bad[] = { "",
                              "0",
                              "0s",
                              "m",
                              "10x",
                              "10mm",
                              "-5m",
                              "1.5h",
                              "99999999999d",
                              "1000000000000000000000s" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(cutil_parse_duration(bad[i], &d), -EINVAL);
}

static void test_ids(void **state)
{
        int64_t id;
        char hex[65], h2[65];

        assert_true(cutil_valid_id("b-0001", 64));
        assert_true(cutil_valid_id("a1:b.c_d-e", 64));
        assert_false(cutil_valid_id("", 64));
        assert_false(cutil_valid_id("-x", 64));
        assert_false(cutil_valid_id("a b", 64));
        assert_false(cutil_valid_id("a/b", 64));
        assert_false(cutil_valid_id("abc", 2));
        assert_false(cutil_valid_id("é", 64));
        assert_int_equal(cutil_parse_id("42", &id), 0);
        assert_int_equal(id, 42);
        assert_int_equal(cutil_parse_id("0", &id), -EINVAL);
        assert_int_equal(cutil_parse_id("042", &id), -EINVAL);
        assert_int_equal(cutil_parse_id("9007199254740992", &id), -EINVAL);
        assert_int_equal(cutil_parse_id("9007199254740991", &id), 0);
        for (int i = 0; i < 100; i++) {
                assert_int_equal(cutil_random_id(&id), 0);
                assert_true(id > 0 && id < CUTIL_ID_MAX);
        }
        assert_int_equal(cutil_random_hex(hex, 32), 0);
        assert_int_equal(strlen(hex), 64);
        assert_int_equal(cutil_random_hex(h2, 32), 0);
        assert_string_not_equal(hex, h2);
        cutil_sha256_hex("abc", hex);
        assert_string_equal(hex,
                            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_true(cutil_equal_ct("abc", "abc"));
        assert_false(cutil_equal_ct("abc", "abd"));
        assert_false(cutil_equal_ct("abc", "abcd"));
}

static void test_b64url(void **state)
{
        const char *in[] = { "", "a", "ab", "abc", "[1,2,\"x\"]", "\xff\xfe\xfd\x00" };

        for (size_t i = 1; i < ELEMENTSOF(in); i++) {
                size_t n = i == 5 ? 4 : strlen(in[i]), len;
                char *enc = cutil_b64url_encode(in[i], n), *dec = NULL;
                assert_non_null(enc);
                assert_null(strchr(enc, '='));
                assert_null(strchr(enc, '+'));
                assert_null(strchr(enc, '/'));
                assert_int_equal(cutil_b64url_decode(enc, 100, &dec, &len), 0);
                assert_int_equal(len, n);
                assert_memory_equal(dec, in[i], n);
                free(enc);
                free(dec);
        }
        char *dec = NULL;
        size_t len;
        assert_int_equal(cutil_b64url_decode("!!!!", 100, &dec, &len), -EINVAL);
        assert_int_equal(cutil_b64url_decode("a", 100, &dec, &len), -EINVAL);
        assert_int_equal(cutil_b64url_decode("", 100, &dec, &len), -EINVAL);
        assert_int_equal(cutil_b64url_decode("YWJjZGVmZ2g", 3, &dec, &len), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_times),
                cmocka_unit_test(test_durations),
                cmocka_unit_test(test_ids),
                cmocka_unit_test(test_b64url),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
