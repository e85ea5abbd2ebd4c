/* Hashing helpers: SHA-256 as bytes or lowercase hex, one-shot or streamed,
 * and a fast non-cryptographic hash for in-memory tables.
 *
 * SHA-256 comes from libnettle rather than OpenSSL: the agent daemon links
 * core and must idle in a few megabytes, and merely initialising OpenSSL 3
 * (its provider tables) maps about 3 MB of libcrypto; nettle's SHA-256 has
 * no global state and uses the CPU's SHA instructions when there are any.
 * Nothing here allocates and nothing can fail. */
#pragma once

#include <nettle/sha2.h>
#include <stddef.h>
#include <stdint.h>

#define HASH_SHA256_LEN 32
#define HASH_SHA256_HEX (HASH_SHA256_LEN * 2 + 1)

/* SHA-256 of N bytes at P into OUT. P may be NULL when N is 0. */
void hash_sha256(const void *p, size_t n, uint8_t out[HASH_SHA256_LEN]);

/* A SHA-256 computation fed in pieces: init, any number of updates, final.
 * The struct lives wherever the caller puts it (stack, inside another
 * struct) and owns nothing, so it needs no destructor; copying it forks
 * the computation. One context is not for two threads at once. */
typedef struct hash_sha256_ctx {
        struct sha256_ctx ctx;
} hash_sha256_ctx_t;

/* Start (or restart) a computation in C. */
void hash_sha256_init(hash_sha256_ctx_t *c);

/* Feed N bytes at P (P may be NULL when N is 0). */
void hash_sha256_update(hash_sha256_ctx_t *c, const void *p, size_t n);

/* The digest of everything fed since the last init into OUT; C is then
 * started again, as after hash_sha256_init. */
void hash_sha256_final(hash_sha256_ctx_t *c, uint8_t out[HASH_SHA256_LEN]);

/* Lowercase hex of N bytes into OUT, which must have room for 2N+1 chars. */
void hash_hex(const uint8_t *p, size_t n, char *out);

/* 64-bit FNV-1a of N bytes; for hash tables, not for security. */
uint64_t hash_fnv1a(const void *p, size_t n);
