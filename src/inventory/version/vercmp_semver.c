/* npm version order: node-semver 7 (the copy npm bundles), parsing the way
 * semver.compare(a, b, true) does, i.e. in "loose" mode.
 *
 * Loose mode takes MAJOR.MINOR.PATCH with optional leading zeros, optionally
 * preceded by any run of 'v', '=' and white space, then an optional
 * pre-release (the '-' may be left out: "1.2.3beta1") and optional build
 * metadata after '+', which never affects the order. The whole string is at
 * most 256 UTF-16 code units and each of major, minor and patch at most
 * 2^53 - 1. Versions compare by major, minor, patch, then a version without
 * a pre-release sorts after one with; pre-releases compare identifier by
 * identifier, numeric ones as JavaScript numbers (so two numerals too long
 * for a double can tie), numeric before alphanumeric, alphanumeric ones
 * ASCII-wise, and a shorter list of identifiers sorts first when it is a
 * prefix of the longer.
 *
 * node-semver throws on anything else. Here such strings sort before every
 * valid version and among themselves byte by byte. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/version/vercmp_internal.h"

#define SEMVER_MAX_LENGTH 256
#define SEMVER_MAX_SAFE   UINT64_C(9007199254740991)

/* A parsed version. PRE..PRE_END is the pre-release text without the
 * leading '-' (empty when there is none). BAD is the offset of the first
 * offending byte when VALID is false. */
struct semver {
        bool valid;
        uint64_t num[3];
        const char *pre, *pre_end;
        size_t bad;
};

/* Length in bytes of the JavaScript white space character (\s, and what
 * String.prototype.trim removes) starting at P, or 0. */
static size_t js_space(const unsigned char *p, const unsigned char *e)
{
        size_t n = (size_t)(e - p);

        if (n == 0)
                return 0;
        if (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r'))
                return 1;
        if (n >= 2 && p[0] == 0xc2 && p[1] == 0xa0)
                return 2;
        if (n < 3)
                return 0;
        if ((p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80) ||
            (p[0] == 0xe2 && p[1] == 0x80 &&
             (p[2] <= 0x8a || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf) && p[2] >= 0x80) ||
            (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f) ||
            (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) ||
            (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf))
                return 3;
        return 0;
}

/* Length of the white space character that ends just before E, or 0. */
static size_t js_space_back(const unsigned char *s, const unsigned char *e)
{
        for (size_t k = 1; k <= 3 && k <= (size_t)(e - s); k++)
                if (js_space(e - k, e) == k)
                        return k;
        return 0;
}

/* The string's length in UTF-16 code units, as JavaScript counts it. */
static size_t js_length(const unsigned char *s)
{
        size_t n = 0;

        for (; *s; s++) {
                if ((*s & 0xc0) != 0x80)
                        n++;
                if (*s >= 0xf0)
                        n++;
        }
        return n;
}

static inline bool ident_char(unsigned char c)
{
        return vc_isalnum(c) || c == '-';
}

/* Do S..E form dot-separated non-empty identifiers of [0-9A-Za-z-]? On
 * failure *RET_BAD is where it went wrong. */
static bool idents_ok(const char *s, const char *e, const char **ret_bad)
{
        const char *p = s;

        for (;;) {
                const char *start = p;

                while (p < e && ident_char((unsigned char)*p))
                        p++;
                if (p == start || (p < e && *p != '.')) {
                        *ret_bad = p;
                        return false;
                }
                if (p == e)
                        return true;
                p++;
        }
}

/* Does S..E match "(PRE)?(+BUILD)?" end, with PRE starting right at S?
 * With WANT_PRE the pre-release is required. */
static bool tail_ok(const char *s, const char *e, bool want_pre, const char **ret_pre_end,
                    const char **ret_bad)
{
        const char *plus = memchr(s, '+', (size_t)(e - s));
        const char *pre_end = plus ? plus : e;

        if (want_pre) {
                if (!idents_ok(s, pre_end, ret_bad))
                        return false;
        } else if (pre_end != s) {
                *ret_bad = s;
                return false;
        }
        if (plus && !idents_ok(plus + 1, e, ret_bad))
                return false;
        *ret_pre_end = pre_end;
        return true;
}

/* Read a run of digits as a number, saturating just above the largest safe
 * integer (which is all the range check needs). */
static uint64_t semver_number(const char *s, size_t len)
{
        uint64_t v = 0;

        for (size_t i = 0; i < len; i++) {
                v = v * 10 + (uint64_t)(s[i] - '0');
                if (v > SEMVER_MAX_SAFE)
                        return SEMVER_MAX_SAFE + 1;
        }
        return v;
}

static void semver_parse(const char *str, struct semver *v)
{
        const unsigned char *us = (const unsigned char *)str;
        const char *s = str, *e = str + strlen(str), *p, *digits[3], *bad = NULL;
        size_t n, k, plen;

        *v = (struct semver){ .valid = false };
        if (js_length(us) > SEMVER_MAX_LENGTH) {
                v->bad = (size_t)(e - str);
                return;
        }
        while ((n = js_space((const unsigned char *)s, (const unsigned char *)e)) > 0)
                s += n;
        while (e > s && (n = js_space_back((const unsigned char *)s, (const unsigned char *)e)) > 0)
                e -= n;
        /* [v=\s]* */
        for (p = s; p < e;) {
                if (*p == 'v' || *p == '=')
                        p++;
                else if ((n = js_space((const unsigned char *)p, (const unsigned char *)e)) > 0)
                        p += n;
                else
                        break;
        }
        for (int i = 0; i < 3; i++) {
                digits[i] = p;
                n = vc_digits(p, e);
                if (n == 0) {
                        v->bad = (size_t)(p - str);
                        return;
                }
                p += n;
                if (i < 2) {
                        if (p == e || *p != '.') {
                                v->bad = (size_t)(p - str);
                                return;
                        }
                        p++;
                }
        }
        /* The regex's patch is greedy: try the whole digit run first, then
         * give trailing digits to the pre-release, as backtracking would. */
        plen = (size_t)(p - digits[2]);
        for (k = plen; k >= 1; k--) {
                const char *t = digits[2] + k, *pre_end;

                if (k == plen && t < e && *t == '-' && tail_ok(t + 1, e, true, &pre_end, &bad)) {
                        v->pre = t + 1;
                        v->pre_end = pre_end;
                } else if (tail_ok(t, e, true, &pre_end, &bad)) {
                        v->pre = t;
                        v->pre_end = pre_end;
                } else if (tail_ok(t, e, false, &pre_end, &bad)) {
                        v->pre = v->pre_end = t;
                } else {
                        continue;
                }
                v->num[2] = semver_number(digits[2], k);
                break;
        }
        if (k == 0) {
                /* Report where the tail after the full patch went wrong. */
                const char *pe;
                bad = NULL;
                if (!tail_ok(p, e, p < e && *p != '+', &pe, &bad) && bad)
                        v->bad = (size_t)(bad - str);
                else
                        v->bad = (size_t)(p - str);
                return;
        }
        v->num[0] = semver_number(digits[0], vc_digits(digits[0], e));
        v->num[1] = semver_number(digits[1], vc_digits(digits[1], e));
        for (int i = 0; i < 3; i++)
                if (v->num[i] > SEMVER_MAX_SAFE) {
                        v->bad = (size_t)(digits[i] - str);
                        return;
                }
        v->valid = true;
}

/* The value JavaScript gives the numeral S..S+LEN (at most 256 digits). */
static double js_number(const char *s, size_t len)
{
        char buf[SEMVER_MAX_LENGTH + 1];
        uint64_t v = 0;

        while (len > 1 && *s == '0')
                s++, len--;
        if (len <= 15) {
                /* Exact as an integer and as a double. */
                for (size_t i = 0; i < len; i++)
                        v = v * 10 + (uint64_t)(s[i] - '0');
                return (double)v;
        }
        if (len > SEMVER_MAX_LENGTH)
                len = SEMVER_MAX_LENGTH;
        memcpy(buf, s, len);
        buf[len] = '\0';
        /* Correctly rounded, like JavaScript's Number(). */
        return strtod(buf, NULL);
}

/* node-semver's compareIdentifiers. */
static int semver_ident_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
        bool anum = vc_digits(a, a + alen) == alen;
        bool bnum = vc_digits(b, b + blen) == blen;

        if (anum && bnum) {
                double x = js_number(a, alen), y = js_number(b, blen);
                return x < y ? -1 : (x > y ? 1 : 0);
        }
        if (anum != bnum)
                return anum ? -1 : 1;
        return vc_bytecmp(a, alen, b, blen);
}

static int semver_pre_cmp(const struct semver *a, const struct semver *b)
{
        const char *p = a->pre, *q = b->pre;
        bool apre = a->pre != a->pre_end, bpre = b->pre != b->pre_end;

        if (!apre || !bpre)
                return apre == bpre ? 0 : (apre ? -1 : 1);
        for (;;) {
                const char *pe, *qe;
                int r;

                if (p >= a->pre_end || q >= b->pre_end)
                        return p >= a->pre_end ? (q >= b->pre_end ? 0 : -1) : 1;
                pe = memchr(p, '.', (size_t)(a->pre_end - p));
                qe = memchr(q, '.', (size_t)(b->pre_end - q));
                if (!pe)
                        pe = a->pre_end;
                if (!qe)
                        qe = b->pre_end;
                r = semver_ident_cmp(p, (size_t)(pe - p), q, (size_t)(qe - q));
                if (r != 0)
                        return r;
                p = pe + 1;
                q = qe + 1;
        }
}

int vercmp_semver(const char *a, const char *b)
{
        struct semver va, vb;

        if (!a)
                a = "";
        if (!b)
                b = "";
        if (a == b || strcmp(a, b) == 0)
                return 0;
        semver_parse(a, &va);
        semver_parse(b, &vb);
        if (!va.valid || !vb.valid) {
                if (va.valid != vb.valid)
                        return va.valid ? 1 : -1;
                return vc_sign(strcmp(a, b));
        }
        for (int i = 0; i < 3; i++)
                if (va.num[i] != vb.num[i])
                        return va.num[i] < vb.num[i] ? -1 : 1;
        return semver_pre_cmp(&va, &vb);
}

int vercmp_check_semver(const char *v, size_t *ret_pos)
{
        struct semver s;

        semver_parse(v, &s);
        if (s.valid)
                return 0;
        if (ret_pos)
                *ret_pos = s.bad;
        return -EINVAL;
}
