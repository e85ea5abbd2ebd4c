/* Private to the vercmp module: the per-scheme validity checks behind
 * version_check, and the few byte-level helpers every scheme shares. The
 * helpers classify bytes the way the ecosystems' tools do in the C locale
 * (ASCII only), never through <ctype.h>, whose answers depend on the
 * process locale and on the signedness of char. Nothing here allocates. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "inventory/version/vercmp.h"

/* The version_check back ends, one per scheme; same contract as
 * version_check. V is never NULL here. */
int vercmp_check_dpkg(const char *v, size_t *ret_pos);
int vercmp_check_rpm(const char *v, size_t *ret_pos);
int vercmp_check_apk(const char *v, size_t *ret_pos);
int vercmp_check_maven(const char *v, size_t *ret_pos);
int vercmp_check_semver(const char *v, size_t *ret_pos);
int vercmp_check_pep440(const char *v, size_t *ret_pos);
int vercmp_check_composer(const char *v, size_t *ret_pos);

/* Composer's normalised form of V (as VersionParser::normalize gives it)
 * into BUF of SIZE bytes, for the tests. Returns 1 for a version, 2 for a
 * named branch ("dev-..."), or -EINVAL when Composer rejects V or the result
 * does not fit. */
int vercmp_composer_normalize(const char *v, char *buf, size_t size);

static inline bool vc_isdigit(unsigned char c)
{
        return c >= '0' && c <= '9';
}

static inline bool vc_islower(unsigned char c)
{
        return c >= 'a' && c <= 'z';
}

static inline bool vc_isupper(unsigned char c)
{
        return c >= 'A' && c <= 'Z';
}

static inline bool vc_isalpha(unsigned char c)
{
        return vc_islower(c) || vc_isupper(c);
}

static inline bool vc_isalnum(unsigned char c)
{
        return vc_isalpha(c) || vc_isdigit(c);
}

static inline unsigned char vc_tolower(unsigned char c)
{
        return vc_isupper(c) ? (unsigned char)(c + ('a' - 'A')) : c;
}

static inline int vc_sign(long long x)
{
        return (x > 0) - (x < 0);
}

/* Compare the byte ranges A[0..ALEN) and B[0..BLEN) like memcmp on the common
 * prefix, the shorter range sorting first when one is a prefix of the other.
 * Returns -1, 0 or 1. */
static inline int vc_bytecmp(const char *a, size_t alen, const char *b, size_t blen)
{
        size_t n = alen < blen ? alen : blen;
        int r = n ? memcmp(a, b, n) : 0;

        if (r != 0)
                return vc_sign(r);
        return alen == blen ? 0 : (alen < blen ? -1 : 1);
}

/* Compare two runs of ASCII digits as unbounded non-negative integers, so a
 * version component of any length compares exactly and never overflows.
 * Returns -1, 0 or 1. */
static inline int vc_numcmp(const char *a, size_t alen, const char *b, size_t blen)
{
        while (alen > 0 && *a == '0')
                a++, alen--;
        while (blen > 0 && *b == '0')
                b++, blen--;
        if (alen != blen)
                return alen < blen ? -1 : 1;
        return vc_sign(alen ? memcmp(a, b, alen) : 0);
}

/* Is the run of ASCII digits A[0..ALEN) zero (or empty)? */
static inline bool vc_numzero(const char *a, size_t alen)
{
        for (size_t i = 0; i < alen; i++)
                if (a[i] != '0')
                        return false;
        return true;
}

/* Length of the run of ASCII digits starting at S and ending at E at the
 * latest. */
static inline size_t vc_digits(const char *s, const char *e)
{
        const char *p = s;

        while (p < e && vc_isdigit((unsigned char)*p))
                p++;
        return (size_t)(p - s);
}
