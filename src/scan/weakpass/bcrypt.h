/* bcrypt ($2a$, $2b$, $2x$, $2y$) computed for several candidate passwords
 * at once. Blowfish's round function is a chain of dependent table lookups,
 * so one computation leaves most of a CPU core idle; running BCRYPT_LANES
 * independent computations in the same loop lets the core overlap them.
 * This is what makes checking a bcrypt hash against a list about as fast
 * per core as John the Ripper, where libxcrypt's one-at-a-time crypt_rn
 * reaches about half of that (bench/RESULTS.md).
 *
 * Only 7-bit passwords are handled here: for them the four prefixes give
 * the same hash, while 8-bit characters are where $2a$ and $2x$ differ
 * (the historic sign-extension bug); the checker hands those to libxcrypt.
 * The unit tests compare every result with libxcrypt's. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BCRYPT_LANES   4
#define BCRYPT_DIGEST  23 /* bytes of hash that a bcrypt string carries */
#define BCRYPT_KEY_MAX 72

typedef struct bcrypt_setting {
        unsigned cost;    /* log2 of the rounds, 4..31 */
        uint32_t salt[4]; /* the 128-bit salt as Blowfish words */
} bcrypt_setting_t;

/* Take apart a bcrypt string "$2b$CC$<22 salt><31 hash>": the setting and
 * the 23 hash bytes it holds (DIGEST may be NULL). Returns 0 or -EINVAL
 * when HASH is not a well-formed bcrypt string. */
int bcrypt_parse(const char *hash, bcrypt_setting_t *ret, uint8_t digest[BCRYPT_DIGEST]);

/* True when PW can be computed here (every byte below 0x80). */
bool bcrypt_supported(const char *pw, size_t len);

/* Hash N (1..BCRYPT_LANES) passwords with setting S; OUT[i] gets the 23
 * bytes for PW[i]. Lanes beyond N are not touched. */
void bcrypt_hash(const bcrypt_setting_t *s, const char *const pw[], const size_t len[], size_t n,
                 uint8_t out[][BCRYPT_DIGEST]);
