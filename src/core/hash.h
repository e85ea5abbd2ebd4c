/* Hashing helpers on top of OpenSSL: SHA-256 as bytes or lowercase hex, and
 * a fast non-cryptographic hash for in-memory tables. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define HASH_SHA256_LEN 32
#define HASH_SHA256_HEX (HASH_SHA256_LEN * 2 + 1)

/* SHA-256 of N bytes at P into OUT. */
void hash_sha256(const void *p, size_t n, uint8_t out[HASH_SHA256_LEN]);

/* Lowercase hex of N bytes into OUT, which must have room for 2N+1 chars. */
void hash_hex(const uint8_t *p, size_t n, char *out);

/* 64-bit FNV-1a of N bytes; for hash tables, not for security. */
uint64_t hash_fnv1a(const void *p, size_t n);
