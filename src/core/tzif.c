#include "core/tzif.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "core/rootfs.h"

#define HEADER_LEN    44
#define MAX_TYPES     256 /* a transition names its type in one byte */
#define FOOTER_MAX    128 /* real footers are under 64 bytes */
#define OFFSET_MAX_S  (24 * 3600)
#define RULE_TIME_MAX (167 * 3600)
/* Instants further out than this are refused, so that the calendar
 * arithmetic below never comes near overflowing. */
#define INSTANT_MAX ((int64_t)1 << 50)
#define DAY_S       86400

typedef struct tz_type {
        int32_t off; /* seconds east of UTC */
        bool dst;
} tz_type_t;

/* One end of the daylight saving period in a POSIX TZ rule. */
typedef struct rule_date {
        char kind; /* 'J' (1..365, no Feb 29), 'N' (0..365), 'M' (month.week.day) */
        int a, b, c;
        int32_t time; /* seconds after local midnight, -167 h .. +167 h */
} rule_date_t;

typedef struct posix_rule {
        int32_t std_off, dst_off; /* seconds east of UTC */
        bool has_dst;
        rule_date_t start, end;
} posix_rule_t;

/* Invariants: n_types >= 1; every idx[i] < n_types; times strictly
 * increase; when has_rule, rule is complete and its offsets are within
 * OFFSET_MAX_S. */
struct tzif {
        size_t n_trans;
        int64_t *times;
        uint8_t *idx;
        size_t n_types;
        tz_type_t *types;
        bool has_rule;
        posix_rule_t rule;
};

bool tzif_valid_name(const char *name)
{
        size_t n, comp = 0;

        if (!name)
                return false;
        n = strnlen(name, TZIF_NAME_MAX + 1);
        if (n == 0 || n > TZIF_NAME_MAX || name[0] == '/' || name[n - 1] == '/')
                return false;
        for (size_t i = 0; i <= n; i++) {
                char c = name[i];
                if (c == '/' || c == '\0') {
                        /* No '.' is allowed at all, so ".." cannot
                         * climb out of the directory; "a//b" is refused
                         * as an oddity nobody writes. */
                        if (comp == 0)
                                return false;
                        comp = 0;
                        continue;
                }
                if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '+' || c == '-'))
                        return false;
                comp++;
        }
        return true;
}

void tzif_free(tzif_t *tz)
{
        if (!tz)
                return;
        free(tz->times);
        free(tz->idx);
        free(tz->types);
        free(tz);
}

/* ---- the binary part ---- */

static uint32_t be32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
        return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

typedef struct header {
        char version;
        uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} header_t;

static int read_header(const uint8_t *p, size_t len, header_t *h)
{
        if (len < HEADER_LEN || memcmp(p, "TZif", 4) != 0)
                return -EINVAL;
        h->version = (char)p[4];
        if (h->version != '\0' && (h->version < '2' || h->version > '4'))
                return -EINVAL;
        h->isutcnt = be32(p + 20);
        h->isstdcnt = be32(p + 24);
        h->leapcnt = be32(p + 28);
        h->timecnt = be32(p + 32);
        h->typecnt = be32(p + 36);
        h->charcnt = be32(p + 40);
        if (h->typecnt == 0 || h->typecnt > MAX_TYPES || h->charcnt == 0 ||
            (h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
            (h->isstdcnt != 0 && h->isstdcnt != h->typecnt))
                return -EINVAL;
        return 0;
}

/* The size of the data block after header H with TSIZE-byte times. The
 * counts are 32-bit, so the sum fits easily in 64 bits. */
static uint64_t block_size(const header_t *h, unsigned tsize)
{
        return (uint64_t)h->timecnt * (tsize + 1) + (uint64_t)h->typecnt * 6 + h->charcnt +
               (uint64_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

/* Read the data block at P (its size checked by the caller). */
static int read_block(const uint8_t *p, const header_t *h, unsigned tsize, tzif_t *tz)
{
        tz->n_trans = h->timecnt;
        tz->n_types = h->typecnt;
        tz->times = calloc(MAX(tz->n_trans, 1), sizeof(*tz->times));
        tz->idx = calloc(MAX(tz->n_trans, 1), 1);
        tz->types = calloc(tz->n_types, sizeof(*tz->types));
        if (!tz->times || !tz->idx || !tz->types)
                return -ENOMEM;
        for (size_t i = 0; i < tz->n_trans; i++, p += tsize) {
                tz->times[i] = tsize == 8 ? be64(p) : (int64_t)(int32_t)be32(p);
                if (i > 0 && tz->times[i] <= tz->times[i - 1])
                        return -EINVAL;
        }
        for (size_t i = 0; i < tz->n_trans; i++, p++) {
                if (*p >= tz->n_types)
                        return -EINVAL;
                tz->idx[i] = *p;
        }
        for (size_t i = 0; i < tz->n_types; i++, p += 6) {
                int32_t off = (int32_t)be32(p);
                /* RFC 8536 allows -24:59:59 .. +25:59:59 and forbids
                 * INT32_MIN; the designation index must point into the
                 * abbreviation strings. */
                if (off < -89999 || off > 93599 || p[4] > 1 || p[5] >= h->charcnt)
                        return -EINVAL;
                tz->types[i] = (tz_type_t){ .off = off, .dst = p[4] == 1 };
        }
        p += h->charcnt;
        p += (size_t)h->leapcnt * (tsize + 4);
        for (size_t i = 0; i < (size_t)h->isstdcnt + h->isutcnt; i++)
                if (p[i] > 1)
                        return -EINVAL;
        return 0;
}

/* ---- the POSIX TZ string of the footer ---- */

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* An unsigned number of 1 to MAXDIG digits at *P, at most MAX. */
static int parse_num(const char **p, int maxdig, int max, int *ret)
{
        int v = 0, n = 0;

        while (is_digit(**p) && n < maxdig) {
                v = v * 10 + (**p - '0');
                (*p)++;
                n++;
        }
        if (n == 0 || is_digit(**p) || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* A zone abbreviation: three or more letters, or <...> of letters, digits,
 * '+' and '-'. */
static int parse_abbr(const char **p)
{
        const char *s = *p;
        size_t n = 0;

        if (*s == '<') {
                s++;
                while (is_alpha(s[n]) || is_digit(s[n]) || s[n] == '+' || s[n] == '-')
                        n++;
                if (n < 3 || s[n] != '>')
                        return -EINVAL;
                *p = s + n + 1;
                return 0;
        }
        while (is_alpha(s[n]))
                n++;
        if (n < 3)
                return -EINVAL;
        *p = s + n;
        return 0;
}

/* [+-]hh[:mm[:ss]] with hh at most MAXH, as signed seconds. */
static int parse_hms(const char **p, int maxh, int32_t *ret)
{
        int sign = 1, h, m = 0, s = 0;

        if (**p == '+' || **p == '-') {
                sign = **p == '-' ? -1 : 1;
                (*p)++;
        }
        if (parse_num(p, 3, maxh, &h) < 0)
                return -EINVAL;
        if (**p == ':') {
                (*p)++;
                if (parse_num(p, 2, 59, &m) < 0)
                        return -EINVAL;
                if (**p == ':') {
                        (*p)++;
                        if (parse_num(p, 2, 59, &s) < 0)
                                return -EINVAL;
                }
        }
        *ret = sign * (h * 3600 + m * 60 + s);
        return 0;
}

/* A POSIX offset ("5" for five hours west) as seconds east of UTC. */
static int parse_posix_offset(const char **p, int32_t *ret)
{
        int32_t v;

        if (parse_hms(p, 24, &v) < 0 || v < -OFFSET_MAX_S || v > OFFSET_MAX_S)
                return -EINVAL;
        *ret = -v;
        return 0;
}

static int parse_date(const char **p, rule_date_t *d)
{
        d->time = 2 * 3600;
        if (**p == 'J') {
                (*p)++;
                d->kind = 'J';
                if (parse_num(p, 3, 365, &d->a) < 0 || d->a < 1)
                        return -EINVAL;
        } else if (**p == 'M') {
                (*p)++;
                d->kind = 'M';
                if (parse_num(p, 2, 12, &d->a) < 0 || d->a < 1 || *(*p)++ != '.' ||
                    parse_num(p, 1, 5, &d->b) < 0 || d->b < 1 || *(*p)++ != '.' ||
                    parse_num(p, 1, 6, &d->c) < 0)
                        return -EINVAL;
        } else {
                d->kind = 'N';
                if (parse_num(p, 3, 365, &d->a) < 0)
                        return -EINVAL;
        }
        if (**p == '/') {
                (*p)++;
                if (parse_hms(p, 167, &d->time) < 0)
                        return -EINVAL;
        }
        return 0;
}

/* Parse the TZ string S (NUL-terminated). A daylight saving zone must
 * carry its rule: the POSIX default for a missing rule is the
 * implementation's choice, and zic always writes one. */
static int parse_posix(const char *s, posix_rule_t *r)
{
        const char *p = s;

        *r = (posix_rule_t){ 0 };
        if (parse_abbr(&p) < 0 || parse_posix_offset(&p, &r->std_off) < 0)
                return -EINVAL;
        if (*p == '\0')
                return 0;
        if (parse_abbr(&p) < 0)
                return -EINVAL;
        r->has_dst = true;
        r->dst_off = r->std_off + 3600;
        if (*p != ',' && parse_posix_offset(&p, &r->dst_off) < 0)
                return -EINVAL;
        if (*p++ != ',' || parse_date(&p, &r->start) < 0 || *p++ != ',' ||
            parse_date(&p, &r->end) < 0 || *p != '\0')
                return -EINVAL;
        return 0;
}

int tzif_parse(const void *data, size_t len, tzif_t **ret)
{
        const uint8_t *p = data;
        header_t h;
        uint64_t size;
        tzif_t *tz = NULL;
        int r;

        if (len > TZIF_FILE_MAX)
                return -E2BIG;
        if ((r = read_header(p, len, &h)) < 0)
                return r;
        size = block_size(&h, 4);
        if (size > len - HEADER_LEN)
                return -EINVAL;
        if (h.version != '\0') {
                /* Version 2 and later repeat the data with 64-bit times
                 * after the version 1 block; only that second copy is
                 * read. */
                header_t h2;
                p += HEADER_LEN + size;
                len -= HEADER_LEN + (size_t)size;
                if ((r = read_header(p, len, &h2)) < 0)
                        return r;
                if (h2.version != h.version)
                        return -EINVAL;
                h = h2;
                size = block_size(&h, 8);
                if (size > len - HEADER_LEN)
                        return -EINVAL;
        }
        tz = calloc(1, sizeof(*tz));
        if (!tz)
                return -ENOMEM;
        r = read_block(p + HEADER_LEN, &h, h.version ? 8 : 4, tz);
        if (r < 0)
                goto fail;
        p += HEADER_LEN + size;
        len -= HEADER_LEN + (size_t)size;
        r = -EINVAL;
        if (h.version == '\0') {
                if (len != 0)
                        goto fail;
        } else {
                char footer[FOOTER_MAX + 1];
                const uint8_t *nl;
                size_t n;
                /* "\n" TZ-string "\n", and nothing after it. */
                if (len < 2 || p[0] != '\n' || p[len - 1] != '\n')
                        goto fail;
                nl = memchr(p + 1, '\n', len - 1);
                n = (size_t)(nl - (p + 1));
                if (nl != p + len - 1 || n > FOOTER_MAX)
                        goto fail;
                memcpy(footer, p + 1, n);
                footer[n] = '\0';
                if (memchr(footer, '\0', n))
                        goto fail;
                if (n > 0) {
                        if (parse_posix(footer, &tz->rule) < 0)
                                goto fail;
                        tz->has_rule = true;
                }
        }
        *ret = tz;
        return 0;
fail:
        tzif_free(tz);
        return r;
}

int tzif_load(const char *dir, const char *name, tzif_t **ret)
{
        _cleanup_rootfs_ rootfs_t *root = NULL;
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r;

        if (!tzif_valid_name(name))
                return -EINVAL;
        r = rootfs_open(dir ? dir : TZIF_DIR, &root);
        if (r < 0)
                return r;
        r = rootfs_read_file(root, name, TZIF_FILE_MAX, &data, &len);
        if (r < 0)
                return r == -EISDIR ? -ENOENT : r;
        return tzif_parse(data, len, ret);
}

/* ---- offsets ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
        return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static bool is_leap(int64_t y)
{
        return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int month_days(int64_t y, int m)
{
        static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* Days from 1970-01-01 to Y-M-D of the proleptic Gregorian calendar,
 * counted in 400-year cycles of 146097 days with the year starting in
 * March, so that the leap day is the last day of a year. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
        int64_t yy = m <= 2 ? y - 1 : y;
        int64_t cycle = floor_div(yy, 400);
        int64_t yoc = yy - cycle * 400;                                /* 0 .. 399 */
        int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* from March 1 */
        int64_t doc = yoc * 365 + yoc / 4 - yoc / 100 + doy;
        return cycle * 146097 + doc - 719468;
}

/* The year in which day Z (days from 1970-01-01) falls. */
static int64_t year_of_day(int64_t z)
{
        int64_t s = z + 719468;
        int64_t cycle = floor_div(s, 146097);
        int64_t doc = s - cycle * 146097;
        int64_t yoc = (doc - doc / 1460 + doc / 36524 - doc / 146096) / 365;
        int64_t doy = doc - (365 * yoc + yoc / 4 - yoc / 100);
        int64_t mp = (5 * doy + 2) / 153; /* 0 is March */
        return yoc + cycle * 400 + (mp >= 10);
}

/* 0 is Sunday; 1970-01-01 was a Thursday. */
static int weekday(int64_t z)
{
        return (int)(((z % 7) + 7 + 4) % 7);
}

/* The local date of D in year Y, as days from 1970-01-01. */
static int64_t rule_day(int64_t y, const rule_date_t *d)
{
        int64_t jan1 = days_from_civil(y, 1, 1);

        switch (d->kind) {
        case 'J':
                return jan1 + d->a - 1 + (is_leap(y) && d->a >= 60);
        case 'N':
                return jan1 + d->a;
        default: {
                int64_t first = days_from_civil(y, d->a, 1);
                int64_t z = first + (d->c - weekday(first) + 7) % 7 + 7 * (d->b - 1);
                while (z >= first + month_days(y, d->a))
                        z -= 7;
                return z;
        }
        }
}

static bool rule_dst(const posix_rule_t *r, int64_t t)
{
        int64_t y, start, end;

        if (!r->has_dst)
                return false;
        y = year_of_day(floor_div(t + r->std_off, DAY_S));
        /* The start is written in standard time, the end in daylight
         * saving time. */
        start = rule_day(y, &r->start) * DAY_S + r->start.time - r->std_off;
        end = rule_day(y, &r->end) * DAY_S + r->end.time - r->dst_off;
        if (start < end)
                return t >= start && t < end;
        return !(t >= end && t < start); /* southern hemisphere: over new year */
}

/* The type in effect at T from the table, or NULL when the footer rule
 * decides. */
static const tz_type_t *table_type(const tzif_t *tz, int64_t t)
{
        size_t lo = 0, hi = tz->n_trans;

        if (tz->n_trans == 0)
                return tz->has_rule ? NULL : &tz->types[0];
        if (t < tz->times[0])
                return &tz->types[0];
        if (t > tz->times[tz->n_trans - 1] && tz->has_rule)
                return NULL;
        /* The last transition at or before T. */
        while (hi - lo > 1) {
                size_t mid = lo + (hi - lo) / 2;
                if (tz->times[mid] <= t)
                        lo = mid;
                else
                        hi = mid;
        }
        return &tz->types[tz->idx[lo]];
}

int tzif_is_dst(const tzif_t *tz, int64_t utc_seconds, bool *ret_dst)
{
        const tz_type_t *ty;

        if (utc_seconds > INSTANT_MAX || utc_seconds < -INSTANT_MAX)
                return -ERANGE;
        ty = table_type(tz, utc_seconds);
        *ret_dst = ty ? ty->dst : rule_dst(&tz->rule, utc_seconds);
        return 0;
}

int tzif_offset(const tzif_t *tz, int64_t utc_seconds, int *ret_offset_s)
{
        const tz_type_t *ty;

        if (utc_seconds > INSTANT_MAX || utc_seconds < -INSTANT_MAX)
                return -ERANGE;
        ty = table_type(tz, utc_seconds);
        if (ty)
                *ret_offset_s = ty->off;
        else
                *ret_offset_s =
                        rule_dst(&tz->rule, utc_seconds) ? tz->rule.dst_off : tz->rule.std_off;
        return 0;
}
