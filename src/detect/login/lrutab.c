#include "detect/login/lrutab.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* One entry: chained in its bucket, linked in the recency list (head = most
 * recently used). The value follows the header, the key follows the value,
 * both in the same allocation. */
typedef struct lru_entry {
        struct lru_entry *next;  /* bucket chain */
        struct lru_entry *newer; /* towards the head of the recency list */
        struct lru_entry *older; /* towards the tail */
        uint64_t hash;
        uint32_t klen;
        _Alignas(16) unsigned char data[]; /* value, then key */
} lru_entry_t;

struct lrutab {
        lru_entry_t **buckets;
        size_t mask; /* buckets - 1 (a power of two) */
        size_t cap;
        size_t count;
        size_t value_size; /* rounded up to 16 so the key offset stays aligned */
        uint64_t evictions;
        lru_entry_t *head; /* most recently used */
        lru_entry_t *tail; /* least recently used */
        uint8_t seed[16];
};

static inline uint64_t rotl(uint64_t x, int b)
{
        return (x << b) | (x >> (64 - b));
}

#define SIPROUND                                                                                   \
        do {                                                                                       \
                v0 += v1;                                                                          \
                v1 = rotl(v1, 13);                                                                 \
                v1 ^= v0;                                                                          \
                v0 = rotl(v0, 32);                                                                 \
                v2 += v3;                                                                          \
                v3 = rotl(v3, 16);                                                                 \
                v3 ^= v2;                                                                          \
                v0 += v3;                                                                          \
                v3 = rotl(v3, 21);                                                                 \
                v3 ^= v0;                                                                          \
                v2 += v1;                                                                          \
                v1 = rotl(v1, 17);                                                                 \
                v1 ^= v2;                                                                          \
                v2 = rotl(v2, 32);                                                                 \
        } while (0)

static inline uint64_t load_le64(const uint8_t *p)
{
        uint64_t v;

        memcpy(&v, p, sizeof(v));
        return le64toh(v);
}

uint64_t lrutab_siphash(const uint8_t k[16], const void *data, size_t n)
{
        const uint8_t *p = data;
        uint64_t k0 = load_le64(k), k1 = load_le64(k + 8);
        uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
        uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
        uint64_t b = (uint64_t)n << 56, m;
        size_t i, whole = n & ~(size_t)7;

        for (i = 0; i < whole; i += 8) {
                m = load_le64(p + i);
                v3 ^= m;
                SIPROUND;
                SIPROUND;
                v0 ^= m;
        }
        for (size_t j = 0; i + j < n; j++)
                b |= (uint64_t)p[i + j] << (8 * j);
        v3 ^= b;
        SIPROUND;
        SIPROUND;
        v0 ^= b;
        v2 ^= 0xff;
        SIPROUND;
        SIPROUND;
        SIPROUND;
        SIPROUND;
        return v0 ^ v1 ^ v2 ^ v3;
}

int lrutab_new(size_t cap, size_t value_size, lrutab_t **ret)
{
        lrutab_t *t;
        size_t nb = 16;

        if (cap == 0 || cap > LRUTAB_CAP_MAX || value_size == 0 || value_size > 64 * KiB)
                return -EINVAL;
        while (nb < cap)
                nb <<= 1;
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->buckets = calloc(nb, sizeof(*t->buckets));
        if (!t->buckets) {
                free(t);
                return -ENOMEM;
        }
        if (getrandom(t->seed, sizeof(t->seed), 0) != (ssize_t)sizeof(t->seed)) {
                free(t->buckets);
                free(t);
                return -EIO;
        }
        t->mask = nb - 1;
        t->cap = cap;
        t->value_size = (value_size + 15) & ~(size_t)15;
        *ret = t;
        return 0;
}

void lrutab_free(lrutab_t *t)
{
        lru_entry_t *e, *next;

        if (!t)
                return;
        for (e = t->head; e; e = next) {
                next = e->older;
                free(e);
        }
        free(t->buckets);
        free(t);
}

static inline unsigned char *entry_key(const lrutab_t *t, lru_entry_t *e)
{
        return e->data + t->value_size;
}

static void list_unlink(lrutab_t *t, lru_entry_t *e)
{
        if (e->newer)
                e->newer->older = e->older;
        else
                t->head = e->older;
        if (e->older)
                e->older->newer = e->newer;
        else
                t->tail = e->newer;
        e->newer = e->older = NULL;
}

static void list_push_head(lrutab_t *t, lru_entry_t *e)
{
        e->newer = NULL;
        e->older = t->head;
        if (t->head)
                t->head->newer = e;
        t->head = e;
        if (!t->tail)
                t->tail = e;
}

static lru_entry_t **find_slot(lrutab_t *t, uint64_t h, const void *key, size_t klen)
{
        lru_entry_t **pp = &t->buckets[h & t->mask];

        for (; *pp; pp = &(*pp)->next)
                if ((*pp)->hash == h && (*pp)->klen == klen &&
                    memcmp(entry_key(t, *pp), key, klen) == 0)
                        return pp;
        return pp;
}

static void remove_entry(lrutab_t *t, lru_entry_t *e)
{
        lru_entry_t **pp = &t->buckets[e->hash & t->mask];

        while (*pp && *pp != e)
                pp = &(*pp)->next;
        if (*pp)
                *pp = e->next;
        list_unlink(t, e);
        t->count--;
        free(e);
}

void *lrutab_get(lrutab_t *t, const void *key, size_t klen)
{
        lru_entry_t *e;

        if (klen == 0 || klen > LRUTAB_KEY_MAX)
                return NULL;
        e = *find_slot(t, lrutab_siphash(t->seed, key, klen), key, klen);
        if (!e)
                return NULL;
        if (t->head != e) {
                list_unlink(t, e);
                list_push_head(t, e);
        }
        return e->data;
}

void *lrutab_put(lrutab_t *t, const void *key, size_t klen, bool *ret_created)
{
        uint64_t h;
        lru_entry_t **pp, *e;

        if (klen == 0 || klen > LRUTAB_KEY_MAX)
                return NULL;
        h = lrutab_siphash(t->seed, key, klen);
        pp = find_slot(t, h, key, klen);
        if (*pp) {
                e = *pp;
                if (t->head != e) {
                        list_unlink(t, e);
                        list_push_head(t, e);
                }
                if (ret_created)
                        *ret_created = false;
                return e->data;
        }
        e = calloc(1, sizeof(*e) + t->value_size + klen);
        if (!e)
                return NULL;
        if (t->count >= t->cap) {
                remove_entry(t, t->tail);
                t->evictions++;
                /* The removal may have changed the chain PP pointed into. */
                pp = find_slot(t, h, key, klen);
        }
        e->hash = h;
        e->klen = (uint32_t)klen;
        memcpy(entry_key(t, e), key, klen);
        *pp = e;
        list_push_head(t, e);
        t->count++;
        if (ret_created)
                *ret_created = true;
        return e->data;
}

void lrutab_remove(lrutab_t *t, const void *key, size_t klen)
{
        lru_entry_t *e;

        if (klen == 0 || klen > LRUTAB_KEY_MAX)
                return;
        e = *find_slot(t, lrutab_siphash(t->seed, key, klen), key, klen);
        if (e)
                remove_entry(t, e);
}

size_t lrutab_count(const lrutab_t *t)
{
        return t->count;
}

uint64_t lrutab_evictions(const lrutab_t *t)
{
        return t->evictions;
}

int lrutab_foreach(lrutab_t *t, lrutab_visit_fn fn, void *userdata)
{
        lru_entry_t *e = t->tail, *next;

        for (; e; e = next) {
                int r;

                next = e->newer;
                r = fn(entry_key(t, e), e->klen, e->data, userdata);
                if (r < 0)
                        return r;
                if (r > 0)
                        remove_entry(t, e);
        }
        return 0;
}
