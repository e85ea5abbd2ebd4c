/* md5crypt ("$1$", the FreeBSD MD5 scheme) computed for several candidate
 * passwords at once with SIMD. Its 1000 rounds of MD5 are the whole cost;
 * here MD5CRYPT_LANES passwords of the same length run through them in
 * vector registers (GCC/clang vector extensions, so the code is plain C
 * and uses whatever vector width the target has). Every round's input fits
 * one 64-byte block when the password has at most MD5CRYPT_MAX_LEN bytes
 * and the salt at most 8, and its layout depends only on the round number
 * and the lengths, so the blocks are prepared once per batch and each
 * round only drops the previous digest into place.
 *
 * Longer passwords are left to libxcrypt by the checker. The unit tests
 * compare every result with libxcrypt's. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MD5CRYPT_LANES   8
#define MD5CRYPT_MAX_LEN 15
#define MD5CRYPT_ENCODED 22 /* characters of the hash part of a $1$ string */

typedef struct md5crypt_setting {
        char salt[9];
        size_t salt_len;
        size_t prefix_len; /* length of "$1$salt$", where the hash part starts */
} md5crypt_setting_t;

/* Take apart "$1$salt$hash". Returns 0 or -EINVAL when HASH is not a
 * well-formed md5crypt string. */
int md5crypt_parse(const char *hash, md5crypt_setting_t *ret);

/* True when a password of LEN bytes can be computed here. */
static inline bool md5crypt_supported(size_t len)
{
        return len <= MD5CRYPT_MAX_LEN;
}

/* Hash N (1..MD5CRYPT_LANES) passwords that all have LEN bytes with
 * setting S; OUT[i] gets the 22 characters of the hash part for PW[i] (not
 * NUL-terminated), to compare with the stored string. */
void md5crypt_hash(const md5crypt_setting_t *s, const char *const pw[], size_t len, size_t n,
                   char out[][MD5CRYPT_ENCODED]);
