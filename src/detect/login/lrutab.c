#include "detect/login/lrutab.h"

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* Layout. Entries are numbered 0..cap-1 and never move. The index is an
 * open-addressing table (linear probing, at most half full) of 8-byte
 * buckets, each an entry number and 32 bits of the entry's hash: a lookup
 * reads one bucket, and compares a key only when those 32 bits match, so
 * it reads one line of the index and, for a hit, the entry's slot, which it
 * needs anyway. Removal shifts the following buckets back (no tombstones),
 * so a table with much turnover (connections) never degrades.
 *
 * The recency list is a separate array of 12-byte records (links and the
 * hash bits that locate the entry's bucket): relinking the neighbours of an
 * entry touches that small array, not the neighbours' slots.
 *
 * A slot holds the key length, the key (up to KEY_INLINE bytes; a longer
 * one is allocated apart and the slot holds a pointer to it) and the value
 * at VALUE_OFFSET, in whole cache lines: the key compare of a hit brings
 * the start of the value with it. Slots come from chunks of CHUNK_SLOTS
 * allocated when first needed and kept until the table is freed: a table
 * that has held N entries holds the memory of N rounded up to a chunk
 * (never more than its capacity), and putting and removing entries allocates nothing after
 * that. Free slots are chained through their records' NEWER field. */
#define NIL          UINT32_MAX
#define KEY_OFFSET   8
#define KEY_INLINE   40
#define VALUE_OFFSET (KEY_OFFSET + KEY_INLINE)
#define CHUNK_SHIFT  8
#define CHUNK_SLOTS  (1u << CHUNK_SHIFT)
#define SLOT_ALIGN   64
/* The byte after the key length, unused by the layout otherwise: set when
 * the entry changed since the last lrutab_drain_changes. */
#define MARK_OFFSET 4
/* The small helpers below run several times per lookup; inlined even in
 * unoptimised (sanitizer) builds, whose tests feed hundreds of thousands
 * of events. */
#define ALWAYS_INLINE inline __attribute__((always_inline))

typedef struct lru_bucket {
        uint32_t ref; /* entry number + 1, 0 when empty (a zeroed index is empty) */
        uint32_t tag; /* hash >> 32; its low bits are the entry's home bucket */
} lru_bucket_t;

/* The entry in bucket B, NIL when it is empty. */
static ALWAYS_INLINE uint32_t bucket_idx(const lru_bucket_t *b)
{
        return b->ref - 1;
}

typedef struct lru_rec {
        uint32_t newer; /* towards the head of the recency list; the free list */
        uint32_t older; /* towards the tail */
        uint32_t tag;   /* as in the entry's bucket */
} lru_rec_t;

struct lrutab {
        lru_bucket_t *buckets;
        lru_rec_t *recs; /* cap records */
        unsigned char **chunks;
        size_t mask; /* buckets - 1 (a power of two) */
        size_t cap;
        size_t count;
        size_t used; /* slots handed out at least once: 0..used-1 */
        size_t value_size;
        size_t stride; /* bytes per slot */
        uint64_t evictions;
        uint32_t head;      /* most recently used */
        uint32_t tail;      /* least recently used */
        uint32_t free_list; /* slots below USED that hold nothing */
        uint8_t seed[16];
        /* Change tracking (lrutab_track_changes): entries got or put since
         * the last drain carry a mark in their slot; the keys of entries
         * removed since then are kept here as (u32 length, bytes) records. */
        bool track;
        bool gone_lost; /* a removed key could not be recorded */
        unsigned char *gone;
        size_t gone_len, gone_cap;
};

static ALWAYS_INLINE uint64_t rotl(uint64_t x, int b)
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

static ALWAYS_INLINE uint64_t load_le64(const uint8_t *p)
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
        /* At most half full: probes stay short. */
        while (nb < 2 * cap)
                nb <<= 1;
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        /* Empty before anything else, for lrutab_free on the error paths. */
        t->head = t->tail = t->free_list = NIL;
        t->cap = cap;
        /* Zeroed, so that a large table's index costs memory only where
         * it is used. */
        t->buckets = calloc(nb, sizeof(*t->buckets));
        t->recs = malloc(cap * sizeof(*t->recs));
        t->chunks = calloc((cap + CHUNK_SLOTS - 1) / CHUNK_SLOTS, sizeof(*t->chunks));
        if (!t->buckets || !t->recs || !t->chunks) {
                lrutab_free(t);
                return -ENOMEM;
        }
        if (getrandom(t->seed, sizeof(t->seed), 0) != (ssize_t)sizeof(t->seed)) {
                lrutab_free(t);
                return -EIO;
        }
        t->mask = nb - 1;
        t->value_size = value_size;
        t->stride = (VALUE_OFFSET + value_size + SLOT_ALIGN - 1) & ~(size_t)(SLOT_ALIGN - 1);
        *ret = t;
        return 0;
}

static ALWAYS_INLINE unsigned char *slot_at(const lrutab_t *t, uint32_t i)
{
        return t->chunks[i >> CHUNK_SHIFT] + (size_t)(i & (CHUNK_SLOTS - 1)) * t->stride;
}

static ALWAYS_INLINE uint32_t slot_klen(const unsigned char *s)
{
        uint32_t n;

        memcpy(&n, s, sizeof(n));
        return n;
}

/* The key of a slot: in it, or behind a pointer stored in it. */
static ALWAYS_INLINE const unsigned char *slot_key(const unsigned char *s)
{
        const unsigned char *k;

        if (slot_klen(s) <= KEY_INLINE)
                return s + KEY_OFFSET;
        memcpy(&k, s + KEY_OFFSET, sizeof(k));
        return k;
}

static void slot_free_key(unsigned char *s)
{
        unsigned char *k;

        if (slot_klen(s) > KEY_INLINE) {
                memcpy(&k, s + KEY_OFFSET, sizeof(k));
                free(k);
        }
}

void lrutab_free(lrutab_t *t)
{
        if (!t)
                return;
        if (t->recs && t->chunks)
                for (uint32_t i = t->head; i != NIL; i = t->recs[i].older)
                        slot_free_key(slot_at(t, i));
        if (t->chunks)
                for (size_t c = 0; c < (t->cap + CHUNK_SLOTS - 1) / CHUNK_SLOTS; c++)
                        free(t->chunks[c]);
        free(t->chunks);
        free(t->gone);
        free(t->recs);
        free(t->buckets);
        free(t);
}

int lrutab_set_key(lrutab_t *t, const uint8_t key[16])
{
        if (t->count)
                return -EBUSY;
        memcpy(t->seed, key, sizeof(t->seed));
        return 0;
}

uint64_t lrutab_hash(const lrutab_t *t, const void *key, size_t klen)
{
        return lrutab_siphash13(t->seed, key, klen);
}

static ALWAYS_INLINE void list_unlink(lrutab_t *t, uint32_t i)
{
        lru_rec_t *r = &t->recs[i];

        if (r->newer != NIL)
                t->recs[r->newer].older = r->older;
        else
                t->head = r->older;
        if (r->older != NIL)
                t->recs[r->older].newer = r->newer;
        else
                t->tail = r->newer;
}

static ALWAYS_INLINE void list_push_head(lrutab_t *t, uint32_t i)
{
        lru_rec_t *r = &t->recs[i];

        r->newer = NIL;
        r->older = t->head;
        if (t->head != NIL)
                t->recs[t->head].newer = i;
        t->head = i;
        if (t->tail == NIL)
                t->tail = i;
}

static ALWAYS_INLINE void touch(lrutab_t *t, uint32_t i)
{
        if (t->head != i) {
                list_unlink(t, i);
                list_push_head(t, i);
        }
}

static ALWAYS_INLINE uint32_t hash_tag(uint64_t h)
{
        return (uint32_t)(h >> 32);
}

/* Whether the N bytes at A and B are the same: eight at a time for the
 * short keys of the detectors (the last word may overlap the one before),
 * without a call. */
static ALWAYS_INLINE bool same_bytes(const unsigned char *a, const unsigned char *b, size_t n)
{
        uint64_t x, y;

        if (n < 8 || n > KEY_INLINE)
                return memcmp(a, b, n) == 0;
        for (size_t i = 0; i + 8 < n; i += 8) {
                memcpy(&x, a + i, 8);
                memcpy(&y, b + i, 8);
                if (x != y)
                        return false;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
}

/* The bucket that holds KEY, or the empty bucket that ends its probe when
 * it is missing. */
static size_t find_bucket(const lrutab_t *t, uint64_t h, const void *key, size_t klen)
{
        uint32_t tag = hash_tag(h);
        size_t b = tag & t->mask;

        for (;; b = (b + 1) & t->mask) {
                const lru_bucket_t *bk = &t->buckets[b];
                const unsigned char *s;

                if (!bk->ref)
                        return b;
                if (bk->tag != tag)
                        continue;
                s = slot_at(t, bucket_idx(bk));
                if (slot_klen(s) == klen && same_bytes(slot_key(s), key, klen))
                        return b;
        }
}

/* Empty bucket B and shift back the entries after it whose probe passed
 * through it, so that every probe still finds its entry. */
static void bucket_clear(lrutab_t *t, size_t b)
{
        size_t j = b;

        for (;;) {
                size_t home;
                bool stays;

                j = (j + 1) & t->mask;
                if (!t->buckets[j].ref)
                        break;
                home = t->buckets[j].tag & t->mask;
                /* The entry at J stays when its home lies in (B, J],
                 * cyclically: its probe does not pass B. */
                stays = b < j ? home > b && home <= j : home > b || home <= j;
                if (!stays) {
                        t->buckets[b] = t->buckets[j];
                        b = j;
                }
        }
        t->buckets[b].ref = 0;
}

/* Remember the key of a removed entry for the next drain. */
static void note_gone(lrutab_t *t, const unsigned char *key, uint32_t klen)
{
        size_t need = sizeof(klen) + klen;

        if (t->gone_lost)
                return;
        if (t->gone_cap - t->gone_len < need) {
                size_t cap = MAX(t->gone_cap * 2, t->gone_len + need + 4096);
                unsigned char *p = realloc(t->gone, cap);
                if (!p) {
                        t->gone_lost = true;
                        return;
                }
                t->gone = p;
                t->gone_cap = cap;
        }
        memcpy(t->gone + t->gone_len, &klen, sizeof(klen));
        memcpy(t->gone + t->gone_len + sizeof(klen), key, klen);
        t->gone_len += need;
}

/* Take entry I (held in bucket B) out of the index and the recency list
 * and put its slot on the free list. */
static void remove_at(lrutab_t *t, size_t b, uint32_t i)
{
        if (t->track) {
                const unsigned char *s = slot_at(t, i);
                note_gone(t, slot_key(s), slot_klen(s));
        }
        bucket_clear(t, b);
        list_unlink(t, i);
        slot_free_key(slot_at(t, i));
        t->recs[i].newer = t->free_list;
        t->free_list = i;
        t->count--;
}

/* Remove entry I, found through its hash bits. */
static void remove_entry(lrutab_t *t, uint32_t i)
{
        size_t b = t->recs[i].tag & t->mask;

        while (bucket_idx(&t->buckets[b]) != i)
                b = (b + 1) & t->mask;
        remove_at(t, b, i);
}

/* A slot for a new entry: a free one, a fresh one, or (table full) the
 * least recently used entry's. NIL when out of memory. */
static uint32_t slot_take(lrutab_t *t)
{
        uint32_t i;

        if (t->count >= t->cap) {
                remove_entry(t, t->tail);
                t->evictions++;
        }
        if (t->free_list != NIL) {
                i = t->free_list;
                t->free_list = t->recs[i].newer;
                return i;
        }
        i = (uint32_t)t->used;
        if (!t->chunks[i >> CHUNK_SHIFT]) {
                /* A table smaller than a chunk gets only what it can use. */
                size_t n = MIN(t->cap - i, (size_t)CHUNK_SLOTS);
                unsigned char *c = aligned_alloc(SLOT_ALIGN, n * t->stride);

                if (!c)
                        return NIL;
                t->chunks[i >> CHUNK_SHIFT] = c;
        }
        t->used++;
        return i;
}

void *lrutab_get_hashed(lrutab_t *t, uint64_t h, const void *key, size_t klen)
{
        uint32_t i;

        if (klen == 0 || klen > LRUTAB_KEY_MAX)
                return NULL;
        i = bucket_idx(&t->buckets[find_bucket(t, h, key, klen)]);
        if (i == NIL)
                return NULL;
        touch(t, i);
        if (t->track)
                slot_at(t, i)[MARK_OFFSET] = 1;
        return slot_at(t, i) + VALUE_OFFSET;
}

void *lrutab_get(lrutab_t *t, const void *key, size_t klen)
{
        if (klen == 0 || klen > LRUTAB_KEY_MAX)
                return NULL;
        return lrutab_get_hashed(t, lrutab_hash(t, key, klen), key, klen);
}

void *lrutab_put_hashed(lrutab_t *t, uint64_t h, const void *key, size_t klen, bool *ret_created)
{
        unsigned char *s, *heap_key = NULL;
        uint32_t i, n32 = (uint32_t)klen;
        size_t b;

        if (klen == 0 || klen > LRUTAB_KEY_MAX)
                return NULL;
        b = find_bucket(t, h, key, klen);
        i = bucket_idx(&t->buckets[b]);
        if (i != NIL) {
                touch(t, i);
                if (t->track)
                        slot_at(t, i)[MARK_OFFSET] = 1;
                if (ret_created)
                        *ret_created = false;
                return slot_at(t, i) + VALUE_OFFSET;
        }
        if (klen > KEY_INLINE && !(heap_key = malloc(klen)))
                return NULL;
        if (t->count >= t->cap) {
                /* The eviction may shift buckets: probe again after it. */
                i = slot_take(t);
                b = find_bucket(t, h, key, klen);
        } else
                i = slot_take(t);
        if (i == NIL) {
                free(heap_key);
                return NULL;
        }
        s = slot_at(t, i);
        memcpy(s, &n32, sizeof(n32));
        s[MARK_OFFSET] = t->track;
        if (heap_key) {
                memcpy(heap_key, key, klen);
                memcpy(s + KEY_OFFSET, &heap_key, sizeof(heap_key));
        } else
                memcpy(s + KEY_OFFSET, key, klen);
        memset(s + VALUE_OFFSET, 0, t->value_size);
        t->buckets[b].ref = i + 1;
        t->buckets[b].tag = hash_tag(h);
        t->recs[i].tag = hash_tag(h);
        list_push_head(t, i);
        t->count++;
        if (ret_created)
                *ret_created = true;
        return s + VALUE_OFFSET;
}

void *lrutab_put(lrutab_t *t, const void *key, size_t klen, bool *ret_created)
{
        if (klen == 0 || klen > LRUTAB_KEY_MAX)
                return NULL;
        return lrutab_put_hashed(t, lrutab_hash(t, key, klen), key, klen, ret_created);
}

void lrutab_remove_hashed(lrutab_t *t, uint64_t h, const void *key, size_t klen)
{
        size_t b;

        if (klen == 0 || klen > LRUTAB_KEY_MAX)
                return;
        b = find_bucket(t, h, key, klen);
        if (t->buckets[b].ref)
                remove_at(t, b, bucket_idx(&t->buckets[b]));
}

void lrutab_remove(lrutab_t *t, const void *key, size_t klen)
{
        if (klen == 0 || klen > LRUTAB_KEY_MAX)
                return;
        lrutab_remove_hashed(t, lrutab_hash(t, key, klen), key, klen);
}

void lrutab_prefetch(const lrutab_t *t, uint64_t h)
{
        __builtin_prefetch(&t->buckets[hash_tag(h) & t->mask]);
}

void lrutab_prefetch_value(const lrutab_t *t, uint64_t h, size_t off, size_t len)
{
        uint32_t tag = hash_tag(h);
        const lru_bucket_t *bk = &t->buckets[tag & t->mask];
        const unsigned char *s, *p, *end;

        if (!bk->ref || bk->tag != tag)
                return;
        s = slot_at(t, bucket_idx(bk));
        /* The recency record is written on every hit. */
        __builtin_prefetch(&t->recs[bucket_idx(bk)], 1);
        __builtin_prefetch(s, 1);
        __builtin_prefetch(s + SLOT_ALIGN, 1);
        if (off >= t->value_size || !len)
                return;
        len = MIN(len, t->value_size - off);
        p = (const unsigned char *)((uintptr_t)(s + VALUE_OFFSET + off) &
                                    ~(uintptr_t)(SLOT_ALIGN - 1));
        end = s + VALUE_OFFSET + off + len;
        for (; p < end; p += SLOT_ALIGN)
                __builtin_prefetch(p, 1);
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
        uint32_t i = t->tail, next;

        for (; i != NIL; i = next) {
                unsigned char *s = slot_at(t, i);
                int r;

                next = t->recs[i].newer;
                r = fn(slot_key(s), slot_klen(s), s + VALUE_OFFSET, userdata);
                if (r < 0)
                        return r;
                if (r > 0)
                        remove_entry(t, i);
        }
        return 0;
}

void lrutab_track_changes(lrutab_t *t, bool on)
{
        t->track = on;
        if (!on) {
                free(t->gone);
                t->gone = NULL;
                t->gone_len = t->gone_cap = 0;
                t->gone_lost = false;
        }
        /* What is in the table now is the starting point: unmarked. */
        for (uint32_t i = t->head; i != NIL; i = t->recs[i].older)
                slot_at(t, i)[MARK_OFFSET] = 0;
}

int lrutab_drain_changes(lrutab_t *t, lrutab_key_fn gone, lrutab_visit_fn changed, void *userdata)
{
        bool lost = t->gone_lost;
        int r;

        for (size_t off = 0; off < t->gone_len;) {
                uint32_t klen;

                memcpy(&klen, t->gone + off, sizeof(klen));
                r = gone(t->gone + off + sizeof(klen), klen, userdata);
                if (r < 0)
                        return r;
                off += sizeof(klen) + klen;
        }
        t->gone_len = 0;
        t->gone_lost = false;
        for (uint32_t i = t->tail; i != NIL; i = t->recs[i].newer) {
                unsigned char *s = slot_at(t, i);

                if (!s[MARK_OFFSET])
                        continue;
                r = changed(slot_key(s), slot_klen(s), s + VALUE_OFFSET, userdata);
                if (r < 0)
                        return r;
                s[MARK_OFFSET] = 0;
        }
        return lost ? -ENOBUFS : 0;
}
