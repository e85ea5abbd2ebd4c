/* A bounded hash table with least-recently-used eviction, for the login
 * detectors' per-source, per-account and per-connection state. Keys are
 * byte strings chosen by attackers (addresses, user names), so the table
 * hashes them with SipHash-1-3 under a random key (nobody can aim many keys
 * at one part of the index), compares them in full (a collision never
 * merges two sources), and never holds more than the capacity it was given:
 * inserting into a full table drops the entry that was used least
 * recently. Values are fixed-size blocks of VALUE_SIZE bytes, zeroed on
 * insertion, owned by the table.
 *
 * Memory: 28 bytes per unit of capacity up front (two 8-byte buckets of
 * the index and a 12-byte recency record), plus for each entry a slot of 8
 * bytes of header, 40 bytes of key area and the value, rounded up to a
 * multiple of 64 (slots are aligned to cache lines); slots are allocated
 * 256 at a time as the table fills and kept until it is freed, and a key
 * longer than 40 bytes is allocated apart. Nothing is allocated per put or
 * remove once a table has been as full as it gets. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"

/* Keys longer than this are refused. */
#define LRUTAB_KEY_MAX 512
/* Largest capacity a table may be given. */
#define LRUTAB_CAP_MAX (16u * 1024 * 1024)

typedef struct lrutab lrutab_t;

/* A table of at most CAP entries (1..LRUTAB_CAP_MAX) with values of
 * VALUE_SIZE bytes (1..64 KiB). Returns 0, -EINVAL or -ENOMEM. Free with
 * lrutab_free. */
int lrutab_new(size_t cap, size_t value_size, lrutab_t **ret);
void lrutab_free(lrutab_t *t);

/* Replace the table's random hash key with KEY (16 bytes), e.g. one kept
 * across restarts, so that hashes saved beside the table's contents keep
 * matching the entries after a reload. Only while the table is empty:
 * returns 0, or -EBUSY when it holds entries. */
int lrutab_set_key(lrutab_t *t, const uint8_t key[16]);
static inline void lrutab_freep(lrutab_t **t)
{
        lrutab_free(*t);
}
#define _cleanup_lrutab_ _cleanup_(lrutab_freep)

/* The value stored under KEY (KLEN bytes), marked as the most recently
 * used, or NULL when missing. Borrowed: valid until the entry is removed or
 * evicted (any lrutab_put may evict). */
void *lrutab_get(lrutab_t *t, const void *key, size_t klen);

/* Like lrutab_get, but insert a zeroed value when KEY is missing, evicting
 * the least recently used entry when the table is full. *RET_CREATED (when
 * not NULL) tells whether the value is new. Returns NULL when out of memory
 * or when KLEN is 0 or over LRUTAB_KEY_MAX. */
void *lrutab_put(lrutab_t *t, const void *key, size_t klen, bool *ret_created);

/* Remove KEY; does nothing when missing. */
void lrutab_remove(lrutab_t *t, const void *key, size_t klen);

/* The table's hash of KEY: SipHash-1-3 under the table's random key. A
 * caller that looks up the same key more than once, or that also needs a
 * fingerprint of the key that nobody can make collide, computes it once and
 * passes it to the _hashed forms, which behave as lrutab_get and
 * lrutab_put and lrutab_remove. H must be lrutab_hash(T, KEY, KLEN). */
uint64_t lrutab_hash(const lrutab_t *t, const void *key, size_t klen);
void *lrutab_get_hashed(lrutab_t *t, uint64_t h, const void *key, size_t klen);
void *lrutab_put_hashed(lrutab_t *t, uint64_t h, const void *key, size_t klen, bool *ret_created);
void lrutab_remove_hashed(lrutab_t *t, uint64_t h, const void *key, size_t klen);

/* Hints that change nothing but the CPU's cache. A caller that will look
 * up several keys in a row (in several tables) asks for all of them first,
 * so that their memory is fetched in parallel rather than one lookup at a
 * time: lrutab_prefetch for the part of the index where hash H lives, then,
 * once that had time to arrive, lrutab_prefetch_value for the entry found
 * there (its key, the first 80 bytes of its value and the LEN bytes from
 * OFF in the value; nothing when H's entry is not first in its probe). */
void lrutab_prefetch(const lrutab_t *t, uint64_t h);
void lrutab_prefetch_value(const lrutab_t *t, uint64_t h, size_t off, size_t len);

/* Entries held now, and entries dropped to make room since creation. */
size_t lrutab_count(const lrutab_t *t);
uint64_t lrutab_evictions(const lrutab_t *t);

/* Called for each entry from the least to the most recently used. Return
 * 0 to go on, 1 to remove the entry and go on, or a negative errno to stop
 * (lrutab_foreach then returns it). The visit must not add entries. */
typedef int (*lrutab_visit_fn)(const void *key, size_t klen, void *value, void *userdata);
int lrutab_foreach(lrutab_t *t, lrutab_visit_fn fn, void *userdata);

/* Change tracking, for saving a table incrementally: with ON, every entry
 * got or put is marked as changed, and the keys of entries removed (also
 * evicted or swept) are remembered, until the next lrutab_drain_changes.
 * Switching on unmarks what is in the table (it is the starting point);
 * switching off forgets the removed keys. */
void lrutab_track_changes(lrutab_t *t, bool on);

/* Called with the key of a removed entry. Return 0, or a negative errno to
 * stop. */
typedef int (*lrutab_key_fn)(const void *key, size_t klen, void *userdata);

/* Hand over what changed since the last drain: GONE for each removed key
 * (in removal order; a key may come again when it was removed, put and
 * removed again), then CHANGED for each marked entry still in the table
 * (from the least to the most recently used; its return value 1 is taken
 * as 0: nothing is removed here), unmarking them. Apply the removals before
 * the changes: a key removed and put again is in both. Returns 0, the
 * negative errno a callback stopped with (the removed keys and the entries
 * not yet handed over come again at the next drain), or -ENOBUFS when
 * a removed key could not be recorded for lack of memory: the caller must
 * then save the whole table instead. */
int lrutab_drain_changes(lrutab_t *t, lrutab_key_fn gone, lrutab_visit_fn changed, void *userdata);

/* SipHash-2-4 and SipHash-1-3 of N bytes at P under the 16-byte key K.
 * Exposed so that the detectors can keep short fingerprints of
 * attacker-chosen strings (user names in a spraying window) that an
 * attacker cannot make collide.
 *
 * The tables and the detectors use SipHash-1-3: one compression round per
 * 8-byte block and three to finish instead of two and four, about 40 % less
 * work on the short keys here. It is the reduced-round variant that Rust's
 * standard HashMap and CPython (3.11 and later, for str and bytes) use for
 * the same purpose. What the tables need is that whoever does not know the
 * random key cannot choose inputs that collide, and no known attack on
 * SipHash-1-3 gives that; nothing here needs a MAC. */
uint64_t lrutab_siphash(const uint8_t k[16], const void *p, size_t n);
uint64_t lrutab_siphash13(const uint8_t k[16], const void *p, size_t n);
