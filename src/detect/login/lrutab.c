#include "detect/login/lrutab.h"

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* One entry: chained in its bucket, linked in the recency list (head = most
 * recently used). The key follows the header and the value follows the key
 * (at the next multiple of 16), all in one allocation aligned to a cache
 * line: a lookup then reads the hash and a key of up to 28 bytes (every
 * address key of the detectors) from one line. In a table of thousands of
 * entries nearly every lookup misses the cache, so lines read are what a
 * lookup costs. */
typedef struct lru_entry {
        struct lru_entry *next;  /* bucket chain */
        struct lru_entry *newer; /* towards the head of the recency list */
        struct lru_entry *older; /* towards the tail */
        uint64_t hash;
        uint32_t klen;
        unsigned char key[]; /* then the value, at VALUE_OFFSET(klen) */
} lru_entry_t;

#define ENTRY_ALIGN 64
/* Where the value starts, from the start of the entry. */
#define VALUE_OFFSET(klen) ((offsetof(lru_entry_t, key) + (klen) + 15) & ~(size_t)15)

struct lrutab {
        lru_entry_t **buckets;
        size_t mask; /* buckets - 1 (a power of two) */
        size_t cap;
        size_t count;
        size_t value_size;
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

/* SipHash-C-D: C rounds per 8-byte block, D rounds to finish. */
static inline uint64_t siphash(const uint8_t k[16], const void *data, size_t n, int c, int dr)
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
                for (int r = 0; r < c; r++)
                        SIPROUND;
                v0 ^= m;
        }
        /* The last 0-7 bytes, as the reference implementation reads them. */
        switch (n & 7) {
        case 7:
                b |= (uint64_t)p[i + 6] << 48;
                __attribute__((fallthrough));
        case 6:
                b |= (uint64_t)p[i + 5] << 40;
                __attribute__((fallthrough));
        case 5:
                b |= (uint64_t)p[i + 4] << 32;
                __attribute__((fallthrough));
        case 4:
                b |= (uint64_t)p[i + 3] << 24;
                __attribute__((fallthrough));
        case 3:
                b |= (uint64_t)p[i + 2] << 16;
                __attribute__((fallthrough));
        case 2:
                b |= (uint64_t)p[i + 1] << 8;
                __attribute__((fallthrough));
        case 1:
                b |= (uint64_t)p[i];
                break;
        default:
                break;
        }
        v3 ^= b;
        for (int r = 0; r < c; r++)
                SIPROUND;
        v0 ^= b;
        v2 ^= 0xff;
        for (int r = 0; r < dr; r++)
                SIPROUND;
        return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t lrutab_siphash(const uint8_t k[16], const void *data, size_t n)
{
        return siphash(k, data, n, 2, 4);
}

uint64_t lrutab_siphash13(const uint8_t k[16], const void *data, size_t n)
{
        return siphash(k, data, n, 1, 3);
}

int lrutab_new(size_t cap, size_t value_size, lrutab_t **ret)
{
        lrutab_t *t;
        size_t nb = 16;

        if (cap == 0 || cap > LRUTAB_CAP_MAX || value_size == 0 || value_size > 64 * KiB)
                return -EINVAL;
        /* Twice the capacity: chains of about one entry even when full. */
        while (nb < 2 * cap)
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
        t->value_size = value_size;
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

uint64_t lrutab_hash(const lrutab_t *t, const void *key, size_t klen)
{
        return lrutab_siphash13(t->seed, key, klen);
}

static inline void *entry_value(lru_entry_t *e)
{
        return (unsigned char *)e + VALUE_OFFSET(e->klen);
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
                if ((*pp)->hash == h && (*pp)->klen == klen && memcmp((*pp)->key, key, klen) == 0)
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

void *lrutab_get_hashed(lrutab_t *t, uint64_t h, const void *key, size_t klen)
{
        lru_entry_t *e;

        if (klen == 0 || klen > LRUTAB_KEY_MAX)
                return NULL;
        e = *find_slot(t, h, key, klen);
        if (!e)
                return NULL;
        if (t->head != e) {
                list_unlink(t, e);
                list_push_head(t, e);
        }
        return entry_value(e);
}

void *lrutab_get(lrutab_t *t, const void *key, size_t klen)
{
        if (klen == 0 || klen > LRUTAB_KEY_MAX)
                return NULL;
        return lrutab_get_hashed(t, lrutab_hash(t, key, klen), key, klen);
}

void *lrutab_put_hashed(lrutab_t *t, uint64_t h, const void *key, size_t klen, bool *ret_created)
{
        lru_entry_t **pp, *e;
        size_t size;

        if (klen == 0 || klen > LRUTAB_KEY_MAX)
                return NULL;
        pp = find_slot(t, h, key, klen);
        if (*pp) {
                e = *pp;
                if (t->head != e) {
                        list_unlink(t, e);
                        list_push_head(t, e);
                }
                if (ret_created)
                        *ret_created = false;
                return entry_value(e);
        }
        size = VALUE_OFFSET(klen) + t->value_size;
        size = (size + ENTRY_ALIGN - 1) & ~(size_t)(ENTRY_ALIGN - 1);
        e = aligned_alloc(ENTRY_ALIGN, size);
        if (!e)
                return NULL;
        memset(e, 0, size);
        if (t->count >= t->cap) {
                remove_entry(t, t->tail);
                t->evictions++;
                /* The removal may have changed the chain PP pointed into. */
                pp = find_slot(t, h, key, klen);
        }
        e->hash = h;
        e->klen = (uint32_t)klen;
        memcpy(e->key, key, klen);
        *pp = e;
        list_push_head(t, e);
        t->count++;
        if (ret_created)
                *ret_created = true;
        return entry_value(e);
}

void *lrutab_put(lrutab_t *t, const void *key, size_t klen, bool *ret_created)
{
        if (klen == 0 || klen > LRUTAB_KEY_MAX)
                return NULL;
        return lrutab_put_hashed(t, lrutab_hash(t, key, klen), key, klen, ret_created);
}

void lrutab_remove_hashed(lrutab_t *t, uint64_t h, const void *key, size_t klen)
{
        lru_entry_t *e;

        if (klen == 0 || klen > LRUTAB_KEY_MAX)
                return;
        e = *find_slot(t, h, key, klen);
        if (e)
                remove_entry(t, e);
}

void lrutab_remove(lrutab_t *t, const void *key, size_t klen)
{
        if (klen == 0 || klen > LRUTAB_KEY_MAX)
                return;
        lrutab_remove_hashed(t, lrutab_hash(t, key, klen), key, klen);
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
                r = fn(e->key, e->klen, entry_value(e), userdata);
                if (r < 0)
                        return r;
                if (r > 0)
                        remove_entry(t, e);
        }
        return 0;
}
