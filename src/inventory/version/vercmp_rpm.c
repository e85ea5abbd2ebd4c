/* RPM version order: rpm's rpmvercmp (rpm 4.18) applied to epoch, version
 * and release the way rpm.labelCompare does.
 *
 * The string is [epoch:]version[-release], cut as rpm's own EVR parser cuts
 * it: the epoch is a leading run of digits ended by ':' (an empty one reads
 * as 0, a missing one as 0); the release starts after the last '-'. A missing
 * release sorts before any present one, even an empty one.
 *
 * rpmvercmp skips every byte that is not an ASCII letter, digit, '~' or '^';
 * what remains is a run of tokens compared left to right: '~' sorts before
 * everything including the end of the string, '^' sorts after the end but
 * before anything else, digits runs compare as numbers and beat letter runs,
 * letter runs compare as bytes. rpm accepts any string, so every string is
 * ordered exactly as rpm orders it. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "inventory/version/vercmp_internal.h"

/* A part of the EVR, as a byte range; PRESENT is false for a missing
 * epoch or release. */
struct rpm_part {
        const char *s, *e;
        bool present;
};

static inline bool rpm_sep(unsigned char c)
{
        return !vc_isalnum(c) && c != '~' && c != '^';
}

/* rpmvercmp on the ranges A..AE and B..BE. Returns -1, 0 or 1. */
static int rpm_vercmp(const char *a, const char *ae, const char *b, const char *be)
{
        if (ae - a == be - b && memcmp(a, b, (size_t)(ae - a)) == 0)
                return 0;

        while (a < ae || b < be) {
                const char *s1, *s2;
                bool isnum;
                int r;

                while (a < ae && rpm_sep((unsigned char)*a))
                        a++;
                while (b < be && rpm_sep((unsigned char)*b))
                        b++;

                if ((a < ae && *a == '~') || (b < be && *b == '~')) {
                        if (!(a < ae && *a == '~'))
                                return 1;
                        if (!(b < be && *b == '~'))
                                return -1;
                        a++;
                        b++;
                        continue;
                }
                /* '^' is like '~' except that a version that has ended sorts
                 * below one that goes on with '^'. */
                if ((a < ae && *a == '^') || (b < be && *b == '^')) {
                        if (a == ae)
                                return -1;
                        if (b == be)
                                return 1;
                        if (*a != '^')
                                return 1;
                        if (*b != '^')
                                return -1;
                        a++;
                        b++;
                        continue;
                }
                if (!(a < ae && b < be))
                        break;

                s1 = a;
                s2 = b;
                if (vc_isdigit((unsigned char)*s1)) {
                        while (s1 < ae && vc_isdigit((unsigned char)*s1))
                                s1++;
                        while (s2 < be && vc_isdigit((unsigned char)*s2))
                                s2++;
                        isnum = true;
                } else {
                        while (s1 < ae && vc_isalpha((unsigned char)*s1))
                                s1++;
                        while (s2 < be && vc_isalpha((unsigned char)*s2))
                                s2++;
                        isnum = false;
                }
                /* The segments are of different kinds: numbers are newer. */
                if (b == s2)
                        return isnum ? 1 : -1;
                if (isnum)
                        r = vc_numcmp(a, (size_t)(s1 - a), b, (size_t)(s2 - b));
                else
                        r = vc_bytecmp(a, (size_t)(s1 - a), b, (size_t)(s2 - b));
                if (r != 0)
                        return r;
                a = s1;
                b = s2;
        }
        if (a == ae && b == be)
                return 0;
        return a == ae ? -1 : 1;
}

/* Cut S into epoch, version and release like rpm's parseEVR. */
static void rpm_split(const char *s, struct rpm_part *epoch, struct rpm_part *ver,
                      struct rpm_part *rel)
{
        const char *end = s + strlen(s), *p = s, *hyphen;

        while (vc_isdigit((unsigned char)*p))
                p++;
        hyphen = memrchr(p, '-', (size_t)(end - p));
        if (*p == ':') {
                *epoch = (struct rpm_part){ s, p, true };
                ver->s = p + 1;
        } else {
                *epoch = (struct rpm_part){ NULL, NULL, false };
                ver->s = s;
        }
        ver->present = true;
        if (hyphen) {
                ver->e = hyphen;
                *rel = (struct rpm_part){ hyphen + 1, end, true };
        } else {
                ver->e = end;
                *rel = (struct rpm_part){ NULL, NULL, false };
        }
}

int vercmp_rpm(const char *a, const char *b)
{
        struct rpm_part ea, va, ra, eb, vb, rb;
        int r;

        if (!a)
                a = "";
        if (!b)
                b = "";
        if (a == b || strcmp(a, b) == 0)
                return 0;
        rpm_split(a, &ea, &va, &ra);
        rpm_split(b, &eb, &vb, &rb);

        /* A missing or empty epoch is 0; epochs are all digits, so
         * comparing them as numbers is what rpmvercmp does. */
        r = vc_numcmp(ea.s, ea.present ? (size_t)(ea.e - ea.s) : 0, eb.s,
                      eb.present ? (size_t)(eb.e - eb.s) : 0);
        if (r != 0)
                return r;
        r = rpm_vercmp(va.s, va.e, vb.s, vb.e);
        if (r != 0)
                return r;
        if (!ra.present || !rb.present)
                return ra.present == rb.present ? 0 : (ra.present ? 1 : -1);
        return rpm_vercmp(ra.s, ra.e, rb.s, rb.e);
}

/* The characters rpmbuild allows in Version and Release. */
static inline bool rpm_allowed(unsigned char c)
{
        return vc_isalnum(c) || c == '.' || c == '_' || c == '+' || c == '~' || c == '^';
}

/* Check one of version or release: non-empty, allowed characters only, and
 * no "..", as rpmbuild demands. Returns 0 or -EINVAL with *RET_POS set. */
static int rpm_check_field(const char *v, const char *s, const char *e, size_t *ret_pos)
{
        if (s == e) {
                *ret_pos = (size_t)(s - v);
                return -EINVAL;
        }
        for (const char *p = s; p < e; p++) {
                if (!rpm_allowed((unsigned char)*p) || (*p == '.' && p + 1 < e && p[1] == '.')) {
                        *ret_pos = (size_t)(p - v) + (*p == '.');
                        return -EINVAL;
                }
        }
        return 0;
}

int vercmp_check_rpm(const char *v, size_t *ret_pos)
{
        struct rpm_part epoch, ver, rel;
        size_t pos = 0;
        int r;

        rpm_split(v, &epoch, &ver, &rel);
        if (epoch.present && epoch.s == epoch.e) {
                pos = 0;
                r = -EINVAL;
        } else {
                /* The version may not hold a ':' (only the epoch ends with one)
                 * nor a '-' (that would start the release). */
                r = rpm_check_field(v, ver.s, ver.e, &pos);
                if (r == 0 && rel.present)
                        r = rpm_check_field(v, rel.s, rel.e, &pos);
        }
        if (r < 0 && ret_pos)
                *ret_pos = pos;
        return r;
}
