/* The bounded LRU table under the login detectors: SipHash-2-4 against the
 * reference vectors, lookups by full key, eviction of the least recently
 * used entry at the cap, removal while iterating. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "detect/login/lrutab.h"

static void siphash_vectors(void **state)
{
        uint8_t k[16], m[64];

        for (int i = 0; i < 16; i++)
                k[i] = (uint8_t)i;
        for (int i = 0; i < 64; i++)
                m[i] = (uint8_t)i;
        /* From the SipHash paper's reference implementation (vectors.h). */
        assert_true(lrutab_siphash(k, m, 0) == 0x726fdb47dd0e0e31ULL);
        assert_true(lrutab_siphash(k, m, 1) == 0x74f839c593dc67fdULL);
        assert_true(lrutab_siphash(k, m, 15) == 0xa129ca6149be45e5ULL);
        assert_true(lrutab_siphash(k, m, 8) == 0x93f5f5799a932462ULL);
}

static void put_get_remove(void **state)
{
        lrutab_t *t = NULL;
        bool created;
        int *v;

        assert_int_equal(lrutab_new(0, 4, &t), -EINVAL);
        assert_int_equal(lrutab_new(8, 0, &t), -EINVAL);
        assert_int_equal(lrutab_new(8, sizeof(int), &t), 0);
        v = lrutab_put(t, "alpha", 5, &created);
        assert_non_null(v);
        assert_true(created);
        assert_int_equal(*v, 0);
        *v = 42;
        v = lrutab_put(t, "alpha", 5, &created);
        assert_false(created);
        assert_int_equal(*v, 42);
        /* A prefix or a longer key is another key. */
        assert_null(lrutab_get(t, "alph", 4));
        assert_null(lrutab_get(t, "alphab", 6));
        /* Keys are bytes: NULs count. */
        assert_non_null(lrutab_put(t, "a\0b", 3, NULL));
        assert_null(lrutab_get(t, "a\0c", 3));
        assert_int_equal(lrutab_count(t), 2);
        lrutab_remove(t, "alpha", 5);
        assert_null(lrutab_get(t, "alpha", 5));
        assert_int_equal(lrutab_count(t), 1);
        assert_null(lrutab_put(t, "", 0, NULL));
        lrutab_free(t);
}

static void evicts_least_recent(void **state)
{
        lrutab_t *t = NULL;
        char key[16];

        assert_int_equal(lrutab_new(4, 8, &t), 0);
        for (int i = 0; i < 4; i++) {
                snprintf(key, sizeof(key), "k%d", i);
                assert_non_null(lrutab_put(t, key, strlen(key), NULL));
        }
        /* Touch k0: k1 is now the least recently used. */
        assert_non_null(lrutab_get(t, "k0", 2));
        assert_non_null(lrutab_put(t, "k4", 2, NULL));
        assert_int_equal(lrutab_count(t), 4);
        assert_int_equal(lrutab_evictions(t), 1);
        assert_null(lrutab_get(t, "k1", 2));
        assert_non_null(lrutab_get(t, "k0", 2));
        /* A flood keeps the count at the cap. */
        for (int i = 0; i < 100000; i++) {
                snprintf(key, sizeof(key), "f%d", i);
                assert_non_null(lrutab_put(t, key, strlen(key), NULL));
        }
        assert_int_equal(lrutab_count(t), 4);
        assert_non_null(lrutab_get(t, "f99999", 6));
        lrutab_free(t);
}

static int drop_odd(const void *key, size_t klen, void *value, void *userdata)
{
        int *seen = userdata;
        int n = ((const char *)key)[1] - '0';

        (*seen)++;
        return n % 2 ? 1 : 0;
}

static void foreach_removes(void **state)
{
        lrutab_t *t = NULL;
        char key[4];
        int seen = 0;

        assert_int_equal(lrutab_new(16, 8, &t), 0);
        for (int i = 0; i < 8; i++) {
                snprintf(key, sizeof(key), "k%d", i);
                assert_non_null(lrutab_put(t, key, 2, NULL));
        }
        assert_int_equal(lrutab_foreach(t, drop_odd, &seen), 0);
        assert_int_equal(seen, 8);
        assert_int_equal(lrutab_count(t), 4);
        assert_null(lrutab_get(t, "k1", 2));
        assert_non_null(lrutab_get(t, "k2", 2));
        lrutab_free(t);
        lrutab_free(NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(siphash_vectors),
                cmocka_unit_test(put_get_remove),
                cmocka_unit_test(evicts_least_recent),
                cmocka_unit_test(foreach_removes),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
