/* Debian version order, as `dpkg --compare-versions` (dpkg 1.21) applies it.
 *
 * A version is [epoch:]upstream[-revision]. The epoch runs up to the first
 * colon and is compared as a number; the revision starts after the last
 * hyphen. Upstream and revision are compared with the same rule: the string is
 * cut into alternating runs of non-digits and digits; non-digit runs compare
 * character by character with '~' below everything (even the end of the
 * string), then the end, then letters in ASCII order, then every other byte;
 * digit runs compare as numbers. A missing revision equals "0".
 *
 * dpkg refuses some strings outright (an empty or non-numeric epoch, an empty
 * revision, embedded blanks...). Those still get a place here, chosen so the
 * order stays a total preorder: see docs/versions.md. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "inventory/version/vercmp_internal.h"

/* One version cut into its parts. UP..UP_END and REV..REV_END point into the
 * caller's string; BLANK marks the empty version, which dpkg orders before
 * every other one. */
struct dpkg_parts {
        bool blank;
        long epoch;
        const char *up, *up_end;
        const char *rev, *rev_end;
};

static inline bool dpkg_isblank(unsigned char c)
{
        return c == ' ' || c == '\t';
}

/* strtol's notion of white space in the C locale. */
static inline bool dpkg_isspace(unsigned char c)
{
        return c == ' ' || (c >= '\t' && c <= '\r');
}

/* What parsing the epoch text S..COLON found. */
enum epoch_status {
        EPOCH_OK,
        EPOCH_EMPTY,    /* no digits at all */
        EPOCH_NOT_NUM,  /* something after the digits */
        EPOCH_NEGATIVE, /* a minus sign and a non-zero value */
        EPOCH_TOO_BIG,  /* above INT_MAX */
};

/* Read the epoch the way dpkg does, with strtol: leading white space, an
 * optional sign, decimal digits that must end exactly at COLON. On any status
 * *RET_POS is the offset (from S) of the character that decided it. */
static enum epoch_status dpkg_epoch(const char *s, const char *colon, long *ret, size_t *ret_pos)
{
        const char *p = s;
        bool neg = false;
        long long v = 0;

        while (p < colon && dpkg_isspace((unsigned char)*p))
                p++;
        if (p < colon && (*p == '+' || *p == '-'))
                neg = *p++ == '-';
        if (p >= colon || !vc_isdigit((unsigned char)*p)) {
                *ret_pos = (size_t)(p - s);
                return EPOCH_EMPTY;
        }
        for (; p < colon && vc_isdigit((unsigned char)*p); p++) {
                /* Keep accumulating past INT_MAX only to tell "too big" apart
                 * from "not a number"; the cap keeps the sum from overflowing. */
                if (v <= INT_MAX)
                        v = v * 10 + (*p - '0');
                if (v > INT_MAX) {
                        *ret_pos = (size_t)(p - s);
                        while (p < colon && vc_isdigit((unsigned char)*p))
                                p++;
                        if (p != colon) {
                                *ret_pos = (size_t)(p - s);
                                return EPOCH_NOT_NUM;
                        }
                        return neg ? EPOCH_NEGATIVE : EPOCH_TOO_BIG;
                }
        }
        if (p != colon) {
                *ret_pos = (size_t)(p - s);
                return EPOCH_NOT_NUM;
        }
        if (neg && v != 0) {
                *ret_pos = 0;
                while (s[*ret_pos] != '-')
                        (*ret_pos)++;
                return EPOCH_NEGATIVE;
        }
        *ret = (long)v;
        return EPOCH_OK;
}

/* Cut S into its parts. Never fails: where dpkg would refuse the string, the
 * parts fall back to a fixed reading (an unusable epoch makes the whole string
 * the upstream part with epoch 0), so every string has one place. */
static void dpkg_split(const char *s, struct dpkg_parts *p)
{
        const char *colon, *hyphen, *end;

        p->blank = false;
        p->epoch = 0;
        if (*s == '\0' || (*s == '<' && strcmp(s, "<unknown>") == 0)) {
                p->blank = true;
                p->up = p->up_end = p->rev = p->rev_end = s;
                return;
        }
        while (dpkg_isblank((unsigned char)*s))
                s++;
        /* The string functions are vectorised in libc; a byte loop doing
         * all three searches at once is measurably slower on the short
         * strings versions are. */
        end = s + strlen(s);
        while (end > s && dpkg_isblank((unsigned char)end[-1]))
                end--;
        if (end == s) {
                /* Only blanks: dpkg calls this empty. */
                p->blank = true;
                p->up = p->up_end = p->rev = p->rev_end = s;
                return;
        }
        colon = memchr(s, ':', (size_t)(end - s));
        hyphen = memrchr(s, '-', (size_t)(end - s));
        p->up = s;
        if (colon) {
                long epoch;
                size_t pos;

                if (dpkg_epoch(s, colon, &epoch, &pos) == EPOCH_OK) {
                        p->epoch = epoch;
                        p->up = colon + 1;
                }
        }
        if (hyphen && hyphen >= p->up) {
                p->up_end = hyphen;
                p->rev = hyphen + 1;
        } else {
                p->up_end = end;
                p->rev = end;
        }
        p->rev_end = end;
}

/* dpkg's weight of one byte inside a non-digit run. dpkg passes a plain
 * char, which is signed on the architectures Debian servers mostly run
 * (amd64, i386), so a byte >= 0x80 weighs its own value: after the letters,
 * before the ASCII punctuation. */
static inline int dpkg_order(unsigned char c)
{
        if (vc_isdigit(c))
                return 0;
        if (vc_isalpha(c))
                return c;
        if (c == '~')
                return -1;
        if (c >= 0x80)
                return c;
        return c + 256;
}

/* dpkg's verrevcmp on the byte ranges A..AE and B..BE. */
static int dpkg_verrevcmp(const char *a, const char *ae, const char *b, const char *be)
{
        while (a < ae || b < be) {
                int first_diff = 0;

                while ((a < ae && !vc_isdigit((unsigned char)*a)) ||
                       (b < be && !vc_isdigit((unsigned char)*b))) {
                        int ac = a < ae ? dpkg_order((unsigned char)*a) : 0;
                        int bc = b < be ? dpkg_order((unsigned char)*b) : 0;

                        if (ac != bc)
                                return ac < bc ? -1 : 1;
                        /* Both are the same non-digit byte: every non-digit
                         * weighs non-zero, so neither side is at its end. */
                        a++;
                        b++;
                }
                while (a < ae && *a == '0')
                        a++;
                while (b < be && *b == '0')
                        b++;
                while (a < ae && vc_isdigit((unsigned char)*a) && b < be &&
                       vc_isdigit((unsigned char)*b)) {
                        if (!first_diff)
                                first_diff = *a - *b;
                        a++;
                        b++;
                }
                if (a < ae && vc_isdigit((unsigned char)*a))
                        return 1;
                if (b < be && vc_isdigit((unsigned char)*b))
                        return -1;
                if (first_diff)
                        return first_diff < 0 ? -1 : 1;
        }
        return 0;
}

int vercmp_dpkg(const char *a, const char *b)
{
        struct dpkg_parts pa, pb;
        int r;

        if (!a)
                a = "";
        if (!b)
                b = "";
        /* The common case in a scan: the installed version is the fixed one. */
        if (a == b || strcmp(a, b) == 0)
                return 0;
        dpkg_split(a, &pa);
        dpkg_split(b, &pb);
        if (pa.blank || pb.blank)
                return pa.blank == pb.blank ? 0 : (pa.blank ? -1 : 1);
        if (pa.epoch != pb.epoch)
                return pa.epoch < pb.epoch ? -1 : 1;
        r = dpkg_verrevcmp(pa.up, pa.up_end, pb.up, pb.up_end);
        if (r != 0)
                return r;
        return dpkg_verrevcmp(pa.rev, pa.rev_end, pb.rev, pb.rev_end);
}

/* Report an error at offset POS. */
static int dpkg_bad(size_t pos, size_t *ret_pos)
{
        if (ret_pos)
                *ret_pos = pos;
        return -EINVAL;
}

int vercmp_check_dpkg(const char *v, size_t *ret_pos)
{
        const char *s = v, *end, *q, *colon, *up, *hyphen = NULL;

        while (dpkg_isblank((unsigned char)*s))
                s++;
        if (*s == '\0' || strcmp(v, "<unknown>") == 0)
                return dpkg_bad((size_t)(s - v), ret_pos);
        for (end = s; *end && !dpkg_isblank((unsigned char)*end); end++)
                ;
        for (q = end; dpkg_isblank((unsigned char)*q); q++)
                ;
        if (*q)
                return dpkg_bad((size_t)(end - v), ret_pos);

        up = s;
        colon = memchr(s, ':', (size_t)(end - s));
        if (colon) {
                long epoch;
                size_t pos = 0;

                if (dpkg_epoch(s, colon, &epoch, &pos) != EPOCH_OK)
                        return dpkg_bad((size_t)(s - v) + pos, ret_pos);
                if (colon + 1 == end)
                        return dpkg_bad((size_t)(end - v), ret_pos);
                up = colon + 1;
        }
        for (q = up; q < end; q++)
                if (*q == '-')
                        hyphen = q;
        if (hyphen && hyphen + 1 == end)
                return dpkg_bad((size_t)(hyphen - v), ret_pos);
        if (!hyphen)
                hyphen = end;
        if (up == hyphen || !vc_isdigit((unsigned char)*up))
                return dpkg_bad((size_t)(up - v), ret_pos);
        for (q = up; q < hyphen; q++)
                if (!vc_isalnum((unsigned char)*q) && !strchr(".-+~:", *q))
                        return dpkg_bad((size_t)(q - v), ret_pos);
        for (q = hyphen < end ? hyphen + 1 : end; q < end; q++)
                if (!vc_isalnum((unsigned char)*q) && !strchr(".+~", *q))
                        return dpkg_bad((size_t)(q - v), ret_pos);
        return 0;
}
