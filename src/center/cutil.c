#include "center/cutil.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/text.h"
#include "core/timeutil.h"

static bool digits(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

static int num(const char *s, size_t n)
{
        int v = 0;

        for (size_t i = 0; i < n; i++)
                v = v * 10 + (s[i] - '0');
        return v;
}

/* Days from 1970-01-01 to Y-M-D in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
        int64_t era, yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
        static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

        return m == 2 && leap ? 29 : dm[m - 1];
}

int cutil_parse_time(const char *s, size_t n, int64_t *ret)
{
        int y, mo, d, h, mi, sec;
        int64_t frac_us = 0, t, off = 0;
        size_t i = 19;

        /* YYYY-MM-DDTHH:MM:SS */
        if (n < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
            !digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2) ||
            s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
                return -EINVAL;
        y = num(s, 4);
        mo = num(s + 5, 2);
        d = num(s + 8, 2);
        h = num(s + 11, 2);
        mi = num(s + 14, 2);
        sec = num(s + 17, 2);
        if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
            mi > 59 || sec > 60)
                return -EINVAL;
        if (sec == 60) /* a leap second reads as the next second's start */
                sec = 59, frac_us = 999999;
        else if (s[i] == '.') {
                size_t k = 0;
                int64_t scale = 100000;

                i++;
                while (i < n && s[i] >= '0' && s[i] <= '9') {
                        if (++k > 9)
                                return -EINVAL;
                        frac_us += (s[i] - '0') * scale;
                        scale /= 10;
                        i++;
                }
                if (k == 0)
                        return -EINVAL;
        }
        if (i == n - 1 && (s[i] == 'Z' || s[i] == 'z')) {
                off = 0;
        } else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && digits(s + i + 1, 2) &&
                   s[i + 3] == ':' && digits(s + i + 4, 2)) {
                int oh = num(s + i + 1, 2), om = num(s + i + 4, 2);
                if (oh > 23 || om > 59)
                        return -EINVAL;
                off = (oh * 3600LL + om * 60LL) * USEC_PER_SEC;
                if (s[i] == '-')
                        off = -off;
        } else {
                return -EINVAL;
        }
        t = days_from_civil(y, mo, d) * USEC_PER_DAY +
            ((int64_t)h * 3600 + mi * 60 + sec) * USEC_PER_SEC + frac_us - off;
        if (t < 0)
                return -EINVAL;
        *ret = t;
        return 0;
}

int cutil_parse_time_param(const char *s, int64_t *ret)
{
        unsigned long long v;

        if (!s || !*s)
                return -EINVAL;
        if (str_to_u64(s, &v) == 0) {
                if (v > 253402300799ULL) /* 9999-12-31 */
                        return -EINVAL;
                *ret = (int64_t)v * USEC_PER_SEC;
                return 0;
        }
        return cutil_parse_time(s, strlen(s), ret);
}

int cutil_parse_duration(const char *s, int64_t *ret_us)
{
        unsigned long long v = 0;
        size_t i = 0;
        int64_t unit = USEC_PER_SEC;

        if (!s)
                return -EINVAL;
        while (s[i] >= '0' && s[i] <= '9') {
                v = v * 10 + (unsigned)(s[i] - '0');
                if (v > 100ULL * 366 * 86400)
                        return -EINVAL;
                i++;
        }
        if (i == 0)
                return -EINVAL;
        if (s[i]) {
                if (s[i + 1])
                        return -EINVAL;
                switch (s[i]) {
                case 's':
                        unit = USEC_PER_SEC;
                        break;
                case 'm':
                        unit = 60 * USEC_PER_SEC;
                        break;
                case 'h':
                        unit = USEC_PER_HOUR;
                        break;
                case 'd':
                        unit = USEC_PER_DAY;
                        break;
                case 'w':
                        unit = 7 * USEC_PER_DAY;
                        break;
                default:
                        return -EINVAL;
                }
        }
        if (v == 0 || (int64_t)v * (unit / USEC_PER_SEC) > 100LL * 366 * 86400)
                return -EINVAL;
        *ret_us = (int64_t)v * unit;
        return 0;
}

json_t *cutil_json_time(int64_t t_us)
{
        char iso[TIMEUTIL_ISO_LEN];

        if (t_us <= 0)
                return json_null();
        timeutil_format_iso(t_us, iso, sizeof(iso));
        return json_string(iso);
}

int cutil_random_hex(char *out, size_t nbytes)
{
        unsigned char b[64];

        if (nbytes > sizeof(b))
                return -EINVAL;
        if (RAND_bytes(b, (int)nbytes) != 1)
                return -EIO;
        hash_hex(b, nbytes, out);
        OPENSSL_cleanse(b, sizeof(b));
        return 0;
}

int cutil_random_id(int64_t *ret)
{
        uint64_t v = 0;

        do {
                if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
                        return -EIO;
                v &= (uint64_t)CUTIL_ID_MAX - 1;
        } while (v == 0);
        *ret = (int64_t)v;
        return 0;
}

void cutil_sha256_hex(const char *s, char out[65])
{
        uint8_t h[HASH_SHA256_LEN];

        hash_sha256(s, strlen(s), h);
        hash_hex(h, sizeof(h), out);
}

bool cutil_equal_ct(const char *a, const char *b)
{
        size_t n = strlen(a);

        if (n != strlen(b))
                return false;
        return CRYPTO_memcmp(a, b, n) == 0;
}

bool cutil_valid_id(const char *s, size_t max)
{
        size_t n = 0;

        if (!s)
                return false;
        for (const char *p = s; *p; p++, n++) {
                char c = *p;
                bool alnum =
                        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
                if (n >= max)
                        return false;
                if (!alnum && (n == 0 || (c != '.' && c != '_' && c != ':' && c != '-')))
                        return false;
        }
        return n > 0;
}

int cutil_parse_id(const char *s, int64_t *ret)
{
        unsigned long long v;

        if (!s || str_to_u64(s, &v) < 0 || v == 0 || v >= (unsigned long long)CUTIL_ID_MAX)
                return -EINVAL;
        /* "007" and "+7" are not ids: only the canonical spelling. */
        if (s[0] == '0')
                return -EINVAL;
        *ret = (int64_t)v;
        return 0;
}

char *cutil_b64url_encode(const void *p, size_t n)
{
        size_t cap = 4 * ((n + 2) / 3) + 1;
        char *out = malloc(cap);
        int len;

        if (!out)
                return NULL;
        len = EVP_EncodeBlock((unsigned char *)out, p, (int)n);
        while (len > 0 && out[len - 1] == '=')
                len--;
        out[len] = 0;
        for (char *c = out; *c; c++) {
                if (*c == '+')
                        *c = '-';
                else if (*c == '/')
                        *c = '_';
        }
        return out;
}

int cutil_b64url_decode(const char *s, size_t max, char **ret, size_t *ret_len)
{
        size_t n = strlen(s), padded;
        _cleanup_free_ char *in = NULL;
        _cleanup_free_ char *out = NULL;
        int len;

        if (n == 0 || n % 4 == 1 || n > 4 * (max / 3 + 1))
                return -EINVAL;
        padded = (n + 3) / 4 * 4;
        in = malloc(padded + 1);
        out = malloc(padded / 4 * 3 + 1);
        if (!in || !out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (c == '-')
                        c = '+';
                else if (c == '_')
                        c = '/';
                else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                           (c >= '0' && c <= '9')))
                        return -EINVAL;
                in[i] = c;
        }
        for (size_t i = n; i < padded; i++)
                in[i] = '=';
        in[padded] = 0;
        len = EVP_DecodeBlock((unsigned char *)out, (unsigned char *)in, (int)padded);
        if (len < 0)
                return -EINVAL;
        /* EVP_DecodeBlock counts the padding as zero bytes. */
        len -= (int)(padded - n);
        if (len < 0 || (size_t)len > max)
                return -EINVAL;
        out[len] = 0;
        *ret_len = (size_t)len;
        *ret = TAKE_PTR(out);
        return 0;
}
