#include "scan/weakpass/bcrypt.h"

#include <errno.h>
#include <string.h>

#include "core/macro.h"

/* Generated from the digits of pi by gen-tables.py (see meson.build). */
extern const uint32_t bcrypt_init_p[18];
extern const uint32_t bcrypt_init_s[4][256];

#define L BCRYPT_LANES

/* Blowfish state of every lane. S-boxes of one lane are kept together so
 * a lane's lookups stay in its own 4 KiB. */
typedef struct lanes {
        uint32_t s[L][4][256];
        uint32_t p[L][18];
        uint32_t key[L][18]; /* the password as 18 key words */
} lanes_t;

static const char b64[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static int b64_value(char c)
{
        const char *p = c ? strchr(b64, c) : NULL;
        return p ? (int)(p - b64) : -1;
}

/* Decode N bytes from bcrypt's base64 (no padding, most significant bits
 * first): 22 characters for the 16-byte salt, 31 for the 23-byte hash.
 * Returns 0 or -EINVAL. */
static int b64_decode(const char *in, uint8_t *out, size_t n)
{
        uint32_t acc = 0;
        unsigned bits = 0;
        size_t o = 0;

        while (o < n) {
                int v = b64_value(*in++);
                if (v < 0)
                        return -EINVAL;
                acc = (acc << 6) | (uint32_t)v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[o++] = (uint8_t)(acc >> bits);
                }
        }
        return 0;
}

int bcrypt_parse(const char *hash, bcrypt_setting_t *ret, uint8_t digest[BCRYPT_DIGEST])
{
        uint8_t salt[16], d[BCRYPT_DIGEST];
        unsigned cost;

        if (strlen(hash) != 60 || hash[0] != '$' || hash[1] != '2' || !strchr("abxy", hash[2]) ||
            hash[3] != '$' || hash[4] < '0' || hash[4] > '3' || hash[5] < '0' || hash[5] > '9' ||
            hash[6] != '$')
                return -EINVAL;
        cost = (unsigned)(hash[4] - '0') * 10 + (unsigned)(hash[5] - '0');
        if (cost < 4 || cost > 31)
                return -EINVAL;
        for (size_t i = 7; i < 60; i++)
                if (b64_value(hash[i]) < 0)
                        return -EINVAL;
        if (b64_decode(hash + 7, salt, sizeof(salt)) < 0 || b64_decode(hash + 29, d, sizeof(d)) < 0)
                return -EINVAL;
        ret->cost = cost;
        for (int i = 0; i < 4; i++)
                ret->salt[i] = ((uint32_t)salt[4 * i] << 24) | ((uint32_t)salt[4 * i + 1] << 16) |
                               ((uint32_t)salt[4 * i + 2] << 8) | salt[4 * i + 3];
        if (digest)
                memcpy(digest, d, sizeof(d));
        return 0;
}

bool bcrypt_supported(const char *pw, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)pw[i] >= 0x80)
                        return false;
        return true;
}

#define F(st, l, x)                                                                                \
        ((((st)->s[l][0][(x) >> 24] + (st)->s[l][1][((x) >> 16) & 0xff]) ^                         \
          (st)->s[l][2][((x) >> 8) & 0xff]) +                                                      \
         (st)->s[l][3][(x)&0xff])

/* Encrypt one block in every lane. The lane loops are innermost and fully
 * unrolled so the compiler interleaves the independent lookup chains; that
 * interleaving is the whole point of this module. */
static inline __attribute__((always_inline)) void encrypt(const lanes_t *st, uint32_t *xl,
                                                          uint32_t *xr)
{
        _Pragma("GCC unroll 8") for (int i = 0; i < 16; i += 2)
        {
                _Pragma("GCC unroll 8") for (int l = 0; l < L; l++)
                {
                        xl[l] ^= st->p[l][i];
                        xr[l] ^= F(st, l, xl[l]);
                }
                _Pragma("GCC unroll 8") for (int l = 0; l < L; l++)
                {
                        xr[l] ^= st->p[l][i + 1];
                        xl[l] ^= F(st, l, xr[l]);
                }
        }
        _Pragma("GCC unroll 8") for (int l = 0; l < L; l++)
        {
                uint32_t t = xl[l] ^ st->p[l][16];
                xl[l] = xr[l] ^ st->p[l][17];
                xr[l] = t;
        }
}

/* Store the block of every lane at word I of table T (P or an S-box). */
#define STORE(T, I)                                                                                \
        _Pragma("GCC unroll 8") for (int l = 0; l < L; l++)                                        \
        {                                                                                          \
                T[l][I] = xl[l];                                                                   \
                T[l][(I) + 1] = xr[l];                                                             \
        }

/* The first expansion of EksBlowfishSetup: XOR the key words into P, then
 * encrypt a chain through P and the S-boxes, mixing the salt words into
 * every block. */
static void expand_salted(lanes_t *st, const uint32_t *salt)
{
        uint32_t xl[L] = { 0 }, xr[L] = { 0 };
        unsigned b = 0;

        for (int l = 0; l < L; l++)
                for (int i = 0; i < 18; i++)
                        st->p[l][i] ^= st->key[l][i];
        for (int i = 0; i < 18; i += 2, b++) {
                for (int l = 0; l < L; l++) {
                        xl[l] ^= salt[(2 * b) & 3];
                        xr[l] ^= salt[(2 * b + 1) & 3];
                }
                encrypt(st, xl, xr);
                for (int l = 0; l < L; l++) {
                        st->p[l][i] = xl[l];
                        st->p[l][i + 1] = xr[l];
                }
        }
        for (int s = 0; s < 4; s++)
                for (int i = 0; i < 256; i += 2, b++) {
                        for (int l = 0; l < L; l++) {
                                xl[l] ^= salt[(2 * b) & 3];
                                xr[l] ^= salt[(2 * b + 1) & 3];
                        }
                        encrypt(st, xl, xr);
                        for (int l = 0; l < L; l++) {
                                st->s[l][s][i] = xl[l];
                                st->s[l][s][i + 1] = xr[l];
                        }
                }
}

/* The expansion of the cost loop: XOR KEY (per lane) into P and encrypt
 * the chain from a zero block. This runs 2 x 2^cost times. */
static void expand(lanes_t *st, const uint32_t (*key)[18])
{
        uint32_t xl[L] = { 0 }, xr[L] = { 0 };

        _Pragma("GCC unroll 8") for (int l = 0; l < L; l++)
        {
                _Pragma("GCC unroll 18") for (int i = 0; i < 18; i++) st->p[l][i] ^= key[l][i];
        }
        _Pragma("GCC unroll 9") for (int i = 0; i < 18; i += 2)
        {
                encrypt(st, xl, xr);
                _Pragma("GCC unroll 8") for (int l = 0; l < L; l++)
                {
                        st->p[l][i] = xl[l];
                        st->p[l][i + 1] = xr[l];
                }
        }
        for (int s = 0; s < 4; s++)
                for (int i = 0; i < 256; i += 2) {
                        encrypt(st, xl, xr);
                        _Pragma("GCC unroll 8") for (int l = 0; l < L; l++)
                        {
                                st->s[l][s][i] = xl[l];
                                st->s[l][s][i + 1] = xr[l];
                        }
                }
}

/* The password as key words: its bytes and the terminating NUL, repeated,
 * big-endian, 72 bytes in all. */
static void key_words(const char *pw, size_t len, uint32_t out[18])
{
        size_t k = 0, n = MIN(len + 1, (size_t)BCRYPT_KEY_MAX);

        for (int i = 0; i < 18; i++) {
                uint32_t w = 0;
                for (int j = 0; j < 4; j++) {
                        w = (w << 8) | (uint8_t)(k < len ? pw[k] : 0);
                        k = (k + 1) % n;
                }
                out[i] = w;
        }
}

void bcrypt_hash(const bcrypt_setting_t *s, const char *const pw[], const size_t len[], size_t n,
                 uint8_t out[][BCRYPT_DIGEST])
{
        static const char magic[] = "OrpheanBeholderScryDoubt";
        lanes_t st;
        uint32_t salt_key[L][18];
        uint32_t c[L][6];

        /* Unused lanes compute the empty password and are not reported. */
        for (int l = 0; l < L; l++) {
                size_t i = (size_t)l < n ? (size_t)l : 0;
                key_words(pw[i], len[i], st.key[l]);
                memcpy(st.p[l], bcrypt_init_p, sizeof(st.p[l]));
                memcpy(st.s[l], bcrypt_init_s, sizeof(st.s[l]));
                for (int k = 0; k < 18; k++)
                        salt_key[l][k] = s->salt[k & 3];
        }
        expand_salted(&st, s->salt);
        for (uint64_t r = (uint64_t)1 << s->cost; r > 0; r--) {
                expand(&st, (const uint32_t(*)[18])st.key);
                expand(&st, (const uint32_t(*)[18])salt_key);
        }
        for (int l = 0; l < L; l++)
                for (int k = 0; k < 6; k++)
                        c[l][k] = ((uint32_t)(uint8_t)magic[4 * k] << 24) |
                                  ((uint32_t)(uint8_t)magic[4 * k + 1] << 16) |
                                  ((uint32_t)(uint8_t)magic[4 * k + 2] << 8) |
                                  (uint8_t)magic[4 * k + 3];
        for (int round = 0; round < 64; round++)
                for (int k = 0; k < 6; k += 2) {
                        uint32_t xl[L], xr[L];
                        for (int l = 0; l < L; l++) {
                                xl[l] = c[l][k];
                                xr[l] = c[l][k + 1];
                        }
                        encrypt(&st, xl, xr);
                        for (int l = 0; l < L; l++) {
                                c[l][k] = xl[l];
                                c[l][k + 1] = xr[l];
                        }
                }
        for (size_t l = 0; l < n; l++)
                for (int k = 0; k < BCRYPT_DIGEST; k++)
                        out[l][k] = (uint8_t)(c[l][k / 4] >> (24 - 8 * (k % 4)));
        /* The state is derived from the candidates. */
        explicit_bzero(&st, sizeof(st));
        explicit_bzero(c, sizeof(c));
}
