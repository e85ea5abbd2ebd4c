#include "core/hash.h"

_Static_assert(SHA256_DIGEST_SIZE == HASH_SHA256_LEN, "nettle's SHA-256 digest size");

void hash_sha256_init(hash_sha256_ctx_t *c)
{
        sha256_init(&c->ctx);
}

void hash_sha256_update(hash_sha256_ctx_t *c, const void *p, size_t n)
{
        /* nettle would memcpy from P even for no bytes; a NULL source is
         * undefined there, so an empty piece is simply not passed on. */
        if (n > 0)
                sha256_update(&c->ctx, n, p);
}

void hash_sha256_final(hash_sha256_ctx_t *c, uint8_t out[HASH_SHA256_LEN])
{
        sha256_digest(&c->ctx, HASH_SHA256_LEN, out);
}

void hash_sha256(const void *p, size_t n, uint8_t out[HASH_SHA256_LEN])
{
        hash_sha256_ctx_t c;

        hash_sha256_init(&c);
        hash_sha256_update(&c, p, n);
        hash_sha256_final(&c, out);
}

void hash_hex(const uint8_t *p, size_t n, char *out)
{
        static const char digits[] = "0123456789abcdef";

        for (size_t i = 0; i < n; i++) {
                out[2 * i] = digits[p[i] >> 4];
                out[2 * i + 1] = digits[p[i] & 15];
        }
        out[2 * n] = 0;
}

uint64_t hash_fnv1a(const void *p, size_t n)
{
        const unsigned char *s = p;
        uint64_t h = 0xcbf29ce484222325ULL;

        for (size_t i = 0; i < n; i++) {
                h ^= s[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}
