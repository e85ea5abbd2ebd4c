/* Streaming file hashing for file integrity monitoring. One pass over a
 * file feeds every digest asked for: SHA-256 (vigil's own baseline), MD5
 * (dpkg md5sums) and SHA-1 (apk "Q1" checksums), so a package-owned file
 * is read once even when it is checked against both. Reading uses a fixed
 * buffer owned by the hashing context, never the size of the file, and is
 * capped in bytes and in time so a huge or very slow file cannot stall a
 * check. A context is not thread-safe: each worker thread owns one. The
 * digests come from libnettle (no OpenSSL in the agent daemon). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"
#include "core/macro.h"

/* Bytes read per read(2) call. */
#define FIMHASH_BUF_SIZE (256 * KiB)

#define FIMHASH_MD5_LEN  16
#define FIMHASH_SHA1_LEN 20
/* The largest digest any algorithm gives. */
#define FIMHASH_MAX_LEN HASH_SHA256_LEN

typedef enum fimhash_algo {
        FIMHASH_SHA256 = 1u << 0,
        FIMHASH_MD5 = 1u << 1,
        FIMHASH_SHA1 = 1u << 2,
} fimhash_algo_t;

typedef struct fimhash_digests {
        unsigned algos; /* the FIMHASH_* bits that are filled in */
        uint8_t sha256[HASH_SHA256_LEN];
        uint8_t md5[FIMHASH_MD5_LEN];
        uint8_t sha1[FIMHASH_SHA1_LEN];
        uint64_t bytes; /* bytes hashed */
} fimhash_digests_t;

typedef struct fimhash fimhash_t;

/* A hashing context with its read buffer. Returns 0 or -ENOMEM. Free with
 * fimhash_free (accepts NULL). */
int fimhash_new(fimhash_t **ret);
void fimhash_free(fimhash_t *h);
static inline void fimhash_freep(fimhash_t **h)
{
        fimhash_free(*h);
}

/* Hash what FD (opened for reading) holds from its current offset to the
 * end, feeding every algorithm in ALGOS (FIMHASH_* bits; SHA-256 is always
 * computed). More than MAX_SIZE bytes gives -EFBIG (0: no cap); a read that
 * has not reached the end after MAX_TIME_US microseconds gives -ETIMEDOUT
 * (0: no cap); a read error its negative errno. *RET is written only on
 * success. */
int fimhash_fd(fimhash_t *h, int fd, unsigned algos, uint64_t max_size, int64_t max_time_us,
               fimhash_digests_t *ret);

/* The same over N bytes at P (a symlink's target, a test vector). Always
 * returns 0. */
int fimhash_bytes(fimhash_t *h, const void *p, size_t n, unsigned algos, fimhash_digests_t *ret);

/* The digest of algorithm ALGO (one FIMHASH_* bit) in D and its length in
 * bytes, or NULL when D does not hold it. */
const uint8_t *fimhash_get(const fimhash_digests_t *d, fimhash_algo_t algo, size_t *ret_len);

/* "sha256", "md5", "sha1". */
const char *fimhash_algo_name(fimhash_algo_t algo);
/* Length in bytes of ALGO's digest. */
size_t fimhash_algo_len(fimhash_algo_t algo);
