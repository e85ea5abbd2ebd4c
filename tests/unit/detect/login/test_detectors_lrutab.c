/* The bounded LRU table under the login detectors: SipHash-2-4 against the
 * reference vectors, lookups by full key, eviction of the least recently
 * used entry at the cap, removal while iterating, and a long random run of
 * puts, gets and removals (short and long keys, a full table) checked step
 * by step against a plain model of an LRU table; change tracking for
 * incremental saves (marks, removed and evicted keys, long keys). */
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

/* A reference model: every key the table should hold, with its value
 * and the time of its latest use. */
#define MODEL_KEYS 300
#define MODEL_CAP  37

typedef struct model_entry {
        bool present;
        uint64_t used; /* larger: more recent */
        uint64_t value;
} model_entry_t;

static uint64_t rng_next(uint64_t *x)
{
        /* xorshift64: a fixed sequence, so the test is the same every run. */
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        return *x;
}

/* Key I: short ones like the detectors' address keys, and every seventh
 * longer than what a slot holds in place (kept apart by the table). */
static size_t model_key(unsigned i, char *buf, size_t cap)
{
        int n = i % 7 == 0 ? snprintf(buf, cap, "long-key-%u-%s", i,
                                      "0123456789abcdef0123456789abcdef0123456789abcdef")
                           : snprintf(buf, cap, "k%u", i);

        return (size_t)n;
}

typedef struct order_check {
        const model_entry_t *m;
        uint64_t last_used;
        unsigned seen;
} order_check_t;

static int check_order(const void *key, size_t klen, void *value, void *userdata)
{
        order_check_t *oc = userdata;
        char buf[128];
        unsigned i;

        /* Keys are "k<i>" or "long-key-<i>-…": find I back. */
        assert_true(klen < sizeof(buf));
        memcpy(buf, key, klen);
        buf[klen] = 0;
        assert_int_equal(sscanf(buf[0] == 'k' ? buf + 1 : buf + 9, "%u", &i), 1);
        assert_true(i < MODEL_KEYS);
        assert_true(oc->m[i].present);
        /* From the least to the most recently used. */
        assert_true(oc->m[i].used > oc->last_used);
        oc->last_used = oc->m[i].used;
        assert_true(*(uint64_t *)value == oc->m[i].value);
        oc->seen++;
        return 0;
}

static void matches_model(void **state)
{
        model_entry_t m[MODEL_KEYS] = { { 0 } };
        uint64_t x = 0x9e3779b97f4a7c15ULL, clock = 0, next_value = 1, evictions = 0;
        size_t count = 0;
        lrutab_t *t = NULL;
        char key[128];

        assert_int_equal(lrutab_new(MODEL_CAP, sizeof(uint64_t), &t), 0);
        for (int step = 0; step < 200000; step++) {
                unsigned i = (unsigned)(rng_next(&x) % MODEL_KEYS), op = rng_next(&x) % 10;
                size_t n = model_key(i, key, sizeof(key));
                uint64_t h = lrutab_hash(t, key, n);
                uint64_t *v;

                if (op == 9) {
                        /* Hints must change nothing. */
                        lrutab_prefetch(t, h);
                        lrutab_prefetch_value(t, h, 0, sizeof(uint64_t));
                }
                if (op < 5) {
                        bool created;

                        v = lrutab_put_hashed(t, h, key, n, &created);
                        assert_non_null(v);
                        assert_true(created == !m[i].present);
                        if (created) {
                                assert_true(*v == 0);
                                if (count == MODEL_CAP) {
                                        /* The least recently used goes. */
                                        unsigned lru = MODEL_KEYS;
                                        for (unsigned k = 0; k < MODEL_KEYS; k++)
                                                if (m[k].present &&
                                                    (lru == MODEL_KEYS || m[k].used < m[lru].used))
                                                        lru = k;
                                        m[lru].present = false;
                                        count--;
                                        evictions++;
                                }
                                *v = next_value;
                                m[i].value = next_value++;
                                m[i].present = true;
                                count++;
                        } else
                                assert_true(*v == m[i].value);
                        m[i].used = ++clock;
                } else if (op < 8) {
                        v = lrutab_get(t, key, n);
                        if (m[i].present) {
                                assert_non_null(v);
                                assert_true(*v == m[i].value);
                                m[i].used = ++clock;
                        } else
                                assert_null(v);
                } else {
                        lrutab_remove_hashed(t, h, key, n);
                        if (m[i].present) {
                                m[i].present = false;
                                count--;
                        }
                        assert_null(lrutab_get(t, key, n));
                }
                assert_int_equal(lrutab_count(t), count);
                assert_true(lrutab_evictions(t) == evictions);
                if (step % 1000 == 0) {
                        order_check_t oc = { .m = m };

                        assert_int_equal(lrutab_foreach(t, check_order, &oc), 0);
                        assert_int_equal(oc.seen, count);
                }
        }
        /* Every key the model holds is there with its value. */
        for (unsigned i = 0; i < MODEL_KEYS; i++) {
                size_t n = model_key(i, key, sizeof(key));
                uint64_t *v = lrutab_get(t, key, n);

                if (m[i].present) {
                        assert_non_null(v);
                        assert_true(*v == m[i].value);
                } else
                        assert_null(v);
        }
        lrutab_free(t);
}

typedef struct seen {
        char changed[16][64];
        size_t n_changed;
        char gone[16][64];
        size_t n_gone;
} seen_t;

static int on_changed(const void *key, size_t klen, void *value, void *userdata)
{
        seen_t *s = userdata;

        assert_true(s->n_changed < 16 && klen < 64);
        memcpy(s->changed[s->n_changed], key, klen);
        s->changed[s->n_changed++][klen] = 0;
        return 1; /* must not remove anything */
}

static int on_gone(const void *key, size_t klen, void *userdata)
{
        seen_t *s = userdata;

        assert_true(s->n_gone < 16 && klen < 64);
        memcpy(s->gone[s->n_gone], key, klen);
        s->gone[s->n_gone++][klen] = 0;
        return 0;
}

static void tracks_changes(void **state)
{
        static const char long_key[] = "a key longer than the forty bytes kept in a slot";
        lrutab_t *t = NULL;
        seen_t s = { 0 };
        int *v;

        assert_int_equal(lrutab_new(3, sizeof(int), &t), 0);
        *(int *)lrutab_put(t, "before", 6, NULL) = 1;
        /* Switching on: what is there is the starting point. */
        lrutab_track_changes(t, true);
        assert_int_equal(lrutab_drain_changes(t, on_gone, on_changed, &s), 0);
        assert_int_equal(s.n_changed + s.n_gone, 0);

        *(int *)lrutab_put(t, "a", 1, NULL) = 2;
        *(int *)lrutab_put(t, long_key, strlen(long_key), NULL) = 3;
        assert_int_equal(lrutab_drain_changes(t, on_gone, on_changed, &s), 0);
        assert_int_equal(s.n_changed, 2);
        assert_string_equal(s.changed[0], "a");
        assert_string_equal(s.changed[1], long_key);
        assert_int_equal(lrutab_count(t), 3); /* the visit's 1 removed nothing */

        /* Only what was touched since. */
        memset(&s, 0, sizeof(s));
        v = lrutab_get(t, "before", 6);
        assert_non_null(v);
        assert_int_equal(lrutab_drain_changes(t, on_gone, on_changed, &s), 0);
        assert_int_equal(s.n_changed, 1);
        assert_string_equal(s.changed[0], "before");

        /* Removed, evicted (the table holds 3), and removed then put again. */
        memset(&s, 0, sizeof(s));
        lrutab_remove(t, long_key, strlen(long_key));
        *(int *)lrutab_put(t, "b", 1, NULL) = 4;
        *(int *)lrutab_put(t, "c", 1, NULL) = 5; /* evicts "a", the least recent */
        lrutab_remove(t, "b", 1);
        *(int *)lrutab_put(t, "b", 1, NULL) = 6;
        assert_int_equal(lrutab_drain_changes(t, on_gone, on_changed, &s), 0);
        assert_int_equal(s.n_gone, 3);
        assert_string_equal(s.gone[0], long_key);
        assert_string_equal(s.gone[1], "a");
        assert_string_equal(s.gone[2], "b");
        assert_int_equal(s.n_changed, 2);
        assert_string_equal(s.changed[0], "c");
        assert_string_equal(s.changed[1], "b");

        /* Nothing new: nothing handed over; off: nothing recorded. */
        memset(&s, 0, sizeof(s));
        assert_int_equal(lrutab_drain_changes(t, on_gone, on_changed, &s), 0);
        assert_int_equal(s.n_changed + s.n_gone, 0);
        lrutab_track_changes(t, false);
        lrutab_remove(t, "c", 1);
        *(int *)lrutab_put(t, "d", 1, NULL) = 7;
        assert_int_equal(lrutab_drain_changes(t, on_gone, on_changed, &s), 0);
        assert_int_equal(s.n_changed + s.n_gone, 0);
        lrutab_free(t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(siphash_vectors),     cmocka_unit_test(put_get_remove),
                cmocka_unit_test(evicts_least_recent), cmocka_unit_test(foreach_removes),
                cmocka_unit_test(matches_model),       cmocka_unit_test(tracks_changes),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
