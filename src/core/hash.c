#include "core/hash.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

void hash_sha256(const void *p, size_t n, uint8_t out[HASH_SHA256_LEN])
{
        SHA256(p, n, out);
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
