/* Unit tests for center/ratelimit: token buckets per key, refill, costs
 * above the burst, and a disabled limit. Times are given, not read. */
#include "ctest.h"

#include <errno.h>

#include "center/ratelimit.h"

static void test_buckets(void **state)
{
        ratelimit_t *rl = ratelimit_new(10, 100);
        int64_t retry = 0;

        assert_non_null(rl);
        assert_int_equal(ratelimit_take(rl, 1, 60, 0, NULL), 0);
        assert_int_equal(ratelimit_take(rl, 1, 40, 0, NULL), 0);
        assert_int_equal(ratelimit_take(rl, 1, 1, 0, &retry), -EAGAIN);
        assert_true(retry > 0 && retry <= 100001);
        /* Another key has its own bucket. */
        assert_int_equal(ratelimit_take(rl, 2, 100, 0, NULL), 0);
        /* 1 s later: 10 tokens back. */
        assert_int_equal(ratelimit_take(rl, 1, 10, 1000000, NULL), 0);
        assert_int_equal(ratelimit_take(rl, 1, 1, 1000000, NULL), -EAGAIN);
        /* Never more than the burst. */
        assert_int_equal(ratelimit_take(rl, 1, 100, 1000000000, NULL), 0);
        assert_int_equal(ratelimit_take(rl, 1, 1, 1000000000, NULL), -EAGAIN);
        assert_int_equal(ratelimit_take(rl, 3, 101, 0, NULL), -E2BIG);
        ratelimit_free(rl);

        rl = ratelimit_new(0, 0);
        for (int i = 0; i < 1000; i++)
                assert_int_equal(ratelimit_take(rl, 1, 1e9, 0, NULL), 0);
        ratelimit_free(rl);
}

static void test_many_keys(void **state)
{
        ratelimit_t *rl = ratelimit_new(1, 5);

        /* More keys than the table holds: it empties and goes on. */
        for (int64_t k = 1; k <= (int64_t)RATELIMIT_MAX_KEYS + 100; k++)
                assert_int_equal(ratelimit_take(rl, k, 5, 0, NULL), 0);
        ratelimit_free(rl);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_buckets),
                cmocka_unit_test(test_many_keys),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
