/* What file integrity monitoring knows about one file, and a table of those
 * keyed by path. An entry holds the stat tuple that decides whether a file
 * must be hashed again (device, inode, size, mtime and ctime in nanoseconds,
 * mode, owner), the SHA-256 of its content (of its target for a symlink),
 * where the expected state comes from (vigil's own baseline, or a package
 * database), and when it was hashed and is due to be hashed again.
 *
 * The table owns its entries and their strings. It is a single-threaded
 * open-addressing hash table: lookups and inserts are O(1) on average,
 * removal keeps probe chains intact by shifting entries back. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "core/hash.h"
#include "core/macro.h"

/* Where an entry's expected content comes from. */
typedef enum fim_source {
        FIM_SOURCE_BASELINE = 0, /* recorded by vigil (fim init, or an accepted change) */
        FIM_SOURCE_PACKAGE = 1,  /* owned by a package whose digest it matched */
} fim_source_t;

/* The result of the last comparison with a package digest. */
typedef enum fim_pkgstate {
        FIM_PKG_NONE = 0,     /* not owned by a package, or not verified */
        FIM_PKG_OK = 1,       /* matched PKG_DIGEST */
        FIM_PKG_MISMATCH = 2, /* differed from PKG_DIGEST */
} fim_pkgstate_t;

/* Bits of fimtab_stat_diff: which parts of the stat tuple differ. */
enum {
        FIMTAB_DIFF_TYPE = 1u << 0,
        FIMTAB_DIFF_MODE = 1u << 1, /* permission bits, setuid/setgid/sticky */
        FIMTAB_DIFF_UID = 1u << 2,
        FIMTAB_DIFF_GID = 1u << 3,
        FIMTAB_DIFF_SIZE = 1u << 4,
        FIMTAB_DIFF_MTIME = 1u << 5,
        FIMTAB_DIFF_CTIME = 1u << 6,
        FIMTAB_DIFF_INODE = 1u << 7,
        FIMTAB_DIFF_DEV = 1u << 8,
};
/* Differences that are alerts on their own (the rest only say "hash again"). */
#define FIMTAB_DIFF_META (FIMTAB_DIFF_TYPE | FIMTAB_DIFF_MODE | FIMTAB_DIFF_UID | FIMTAB_DIFF_GID)

/* Longest path an entry may hold (inside the root). */
#define FIMTAB_PATH_MAX 4096

typedef struct fimtab_entry {
        char *path;    /* absolute, inside the root; owned */
        uint32_t mode; /* st_mode with the file type bits */
        uint32_t uid, gid;
        uint64_t size, ino, dev;
        int64_t mtime_ns, ctime_ns;
        bool has_sha256; /* false for directories, special files and files not hashed */
        uint8_t sha256[HASH_SHA256_LEN];
        fim_source_t source;
        char *pkg;        /* owning package, or NULL; owned */
        char *pkg_digest; /* "md5:HEX" the file was last compared with, or NULL; owned */
        fim_pkgstate_t pkg_state;
        int64_t hashed_at; /* seconds since the epoch; 0 never */
        int64_t rehash_at; /* seconds since the epoch: hash again from then on, even unchanged */
} fimtab_entry_t;

/* A new entry for PATH (copied) with everything else zero. Returns NULL
 * when out of memory or when PATH is longer than FIMTAB_PATH_MAX. Free with
 * fimtab_entry_free (accepts NULL). */
fimtab_entry_t *fimtab_entry_new(const char *path);
/* A deep copy, or NULL when out of memory. */
fimtab_entry_t *fimtab_entry_dup(const fimtab_entry_t *e);
void fimtab_entry_free(fimtab_entry_t *e);
static inline void fimtab_entry_freep(fimtab_entry_t **e)
{
        fimtab_entry_free(*e);
}
#define _cleanup_fimtab_entry_ _cleanup_(fimtab_entry_freep)

/* Set PKG and PKG_DIGEST (copied; NULL clears). Returns 0 or -ENOMEM. */
int fimtab_entry_set_pkg(fimtab_entry_t *e, const char *pkg, const char *pkg_digest);

/* Copy the stat tuple of ST into E. */
void fimtab_entry_set_stat(fimtab_entry_t *e, const struct stat *st);

/* Compare E's stat tuple with ST. Returns FIMTAB_DIFF_* bits, 0 when the
 * tuple is the same. For directories only type, mode and owner count: their
 * size and times change whenever an entry inside them does. */
unsigned fimtab_stat_diff(const fimtab_entry_t *e, const struct stat *st);
/* The same between two entries. */
unsigned fimtab_entry_diff(const fimtab_entry_t *a, const fimtab_entry_t *b);

/* True when E may be trusted without reading the file again at NOW (seconds):
 * the tuple matches ST, the entry has a hash (or needs none: not a regular
 * file), and it is not due for its scheduled re-hash. */
bool fimtab_can_skip(const fimtab_entry_t *e, const struct stat *st, int64_t now);

/* When a file hashed at NOW should be hashed again, for a schedule of one
 * hash every INTERVAL seconds. FIRST spreads the first re-hash evenly over
 * the interval by a hash of PATH, so a baseline built at one moment does not
 * come due all at once. INTERVAL <= 0 gives 0 (never). */
int64_t fimtab_rehash_time(const char *path, int64_t now, int64_t interval, bool first);

typedef struct fimtab {
        fimtab_entry_t **slots;
        size_t cap; /* power of two, or 0 */
        size_t n;
} fimtab_t;

/* The entry for PATH, or NULL. Borrowed. */
fimtab_entry_t *fimtab_get(const fimtab_t *t, const char *path);
/* Insert E, taking ownership in every case; an entry for the same path is
 * replaced and freed. Returns 0 or -ENOMEM (E freed). */
int fimtab_put(fimtab_t *t, fimtab_entry_t *e);
/* Remove and free the entry for PATH. Returns true when there was one. */
bool fimtab_remove(fimtab_t *t, const char *path);
/* Take the entry for PATH out of the table without freeing it (caller
 * frees), or NULL. */
fimtab_entry_t *fimtab_take(fimtab_t *t, const char *path);
/* Iterate: slot index I from 0 to T->cap; fimtab_at returns NULL for empty
 * slots. The table must not change during an iteration. */
static inline fimtab_entry_t *fimtab_at(const fimtab_t *t, size_t i)
{
        return t->slots[i];
}
/* Free every entry; the table is left empty and reusable. */
void fimtab_clear(fimtab_t *t);
static inline void fimtab_clearp(fimtab_t *t)
{
        fimtab_clear(t);
}
#define _cleanup_fimtab_ _cleanup_(fimtab_clearp)
