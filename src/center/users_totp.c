#include "center/users_totp.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int users_totp_hotp(const uint8_t *key, size_t key_len, uint64_t counter, unsigned digits,
                    uint32_t *ret)
{
        uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
        unsigned mac_len = 0, off;
        uint32_t bin, mod = 1;

        if (!key || key_len == 0 || key_len > USERS_TOTP_MAX_KEY || digits < 6 || digits > 8)
                return -EINVAL;
        for (int i = 7; i >= 0; i--) {
                msg[i] = (uint8_t)(counter & 0xff);
                counter >>= 8;
        }
        if (!HMAC(EVP_sha1(), key, (int)key_len, msg, sizeof(msg), mac, &mac_len) || mac_len != 20)
                return -EIO;
        /* Dynamic truncation (RFC 4226 section 5.3). */
        off = mac[19] & 0x0f;
        bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
              ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
        for (unsigned i = 0; i < digits; i++)
                mod *= 10;
        *ret = bin % mod;
        return 0;
}

int64_t users_totp_step(int64_t unix_time)
{
        /* Floor division, so that times before the epoch (only in tests)
         * still map to distinct steps. */
        if (unix_time >= 0)
                return unix_time / USERS_TOTP_STEP_S;
        return -((-unix_time + USERS_TOTP_STEP_S - 1) / USERS_TOTP_STEP_S);
}

int users_totp_base32_encode(const uint8_t *p, size_t n, char *out, size_t out_size)
{
        size_t need = (n * 8 + 4) / 5, k = 0;
        uint32_t acc = 0;
        int bits = 0;

        if (need + 1 > out_size)
                return -ENOBUFS;
        for (size_t i = 0; i < n; i++) {
                acc = (acc << 8) | p[i];
                bits += 8;
                while (bits >= 5) {
                        out[k++] = b32_alphabet[(acc >> (bits - 5)) & 31];
                        bits -= 5;
                }
        }
        if (bits > 0)
                out[k++] = b32_alphabet[(acc << (5 - bits)) & 31];
        out[k] = 0;
        return 0;
}

int users_totp_base32_decode(const char *s, uint8_t *out, size_t cap, size_t *ret_len)
{
        uint32_t acc = 0;
        int bits = 0;
        size_t k = 0;

        for (; *s; s++) {
                int v;
                char ch = *s;

                if (ch == ' ' || ch == '=')
                        continue;
                if (ch >= 'a' && ch <= 'z')
                        ch = (char)(ch - 'a' + 'A');
                if (ch >= 'A' && ch <= 'Z')
                        v = ch - 'A';
                else if (ch >= '2' && ch <= '7')
                        v = ch - '2' + 26;
                else
                        return -EINVAL;
                acc = (acc << 5) | (uint32_t)v;
                bits += 5;
                if (bits >= 8) {
                        if (k >= cap)
                                return -ENOBUFS;
                        out[k++] = (uint8_t)(acc >> (bits - 8));
                        bits -= 8;
                }
                acc &= 0xff; /* keep only the bits not yet used */
        }
        *ret_len = k;
        return 0;
}

int users_totp_new_secret(char ret[USERS_TOTP_SECRET_LEN + 1])
{
        uint8_t key[USERS_TOTP_KEY_BYTES];
        int r;

        if (RAND_bytes(key, sizeof(key)) != 1)
                return -EIO;
        r = users_totp_base32_encode(key, sizeof(key), ret, USERS_TOTP_SECRET_LEN + 1);
        OPENSSL_cleanse(key, sizeof(key));
        return r;
}

int users_totp_check(const char *secret, const char *code, int64_t unix_time, int64_t last_step,
                     int64_t *ret_step)
{
        uint8_t key[USERS_TOTP_MAX_KEY];
        size_t key_len = 0;
        uint32_t want = 0, got;
        int64_t step = users_totp_step(unix_time);
        int r, found = 0;
        int64_t found_step = 0;

        if (!code || strlen(code) != USERS_TOTP_DIGITS)
                return -EACCES;
        for (const char *p = code; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EACCES;
                want = want * 10 + (uint32_t)(*p - '0');
        }
        if (!secret || users_totp_base32_decode(secret, key, sizeof(key), &key_len) < 0 ||
            key_len == 0)
                return -EINVAL;
        /* Look at all three steps whatever matches, so the time taken
         * does not tell which one did. */
        for (int64_t d = -1; d <= 1; d++) {
                r = users_totp_hotp(key, key_len, (uint64_t)(step + d), USERS_TOTP_DIGITS, &got);
                if (r < 0) {
                        OPENSSL_cleanse(key, sizeof(key));
                        return r;
                }
                if (got == want && step + d > last_step && !found) {
                        found = 1;
                        found_step = step + d;
                }
        }
        OPENSSL_cleanse(key, sizeof(key));
        if (!found)
                return -EACCES;
        *ret_step = found_step;
        return 0;
}
