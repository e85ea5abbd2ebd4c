#include "detect/login/evjson.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/macro.h"
#include "core/timeutil.h"

/* Worst case: every byte becomes "\u00XX" (6 bytes). */
#define ESC_MAX(n) ((n)*6 + 2)

size_t evjson_max_len(const logevent_t *e)
{
        /* The text fields are capped arrays, so only the file name varies. */
        return 256 + ESC_MAX(e->file ? strlen(e->file) : 4) + ESC_MAX(sizeof(e->service)) +
               ESC_MAX(sizeof(e->method)) + ESC_MAX(sizeof(e->user)) +
               ESC_MAX(sizeof(e->target_user)) + ESC_MAX(sizeof(e->src)) +
               ESC_MAX(sizeof(e->host)) + TIMEUTIL_ISO_LEN;
}

/* Same acceptance as jansson's UTF-8 check (and core/jsonx.c): no overlong
 * forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
        unsigned char c = s[0];
        size_t len;
        uint32_t cp;

        if (c >= 0xC2 && c <= 0xDF) {
                len = 2;
                cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
                len = 3;
                cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
                len = 4;
                cp = c & 0x07;
        } else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
                return 0;
        return len;
}

static char *put_lit(char *o, const char *s, size_t n)
{
        memcpy(o, s, n);
        return o + n;
}

#define PUT(o, lit) put_lit((o), (lit), STRLEN(lit))

/* 1 for the bytes a JSON string cannot hold as they are (control
 * characters, '"', '\\') and for every byte above 0x7F (UTF-8 to check). */
static const uint8_t esc_tab[256] = {
        [0x00 ... 0x1f] = 1,
        ['"'] = 1,
        ['\\'] = 1,
        [0x80 ... 0xff] = 1,
};

static inline bool plain(unsigned char c)
{
        return !esc_tab[c];
}

/* Whether none of the 8 bytes of W needs attention: no control character,
 * no '"', no '\\', nothing above 0x7F. Each test is the classic "some byte
 * is zero / less than N" bit trick, which never misses such a byte. */
static inline bool word_plain(uint64_t w)
{
        const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
        uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\');

        return ((w | ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) |
                 ((bslash - ones) & ~bslash)) &
                high) == 0;
}

/* The end of the run of bytes from I that need no escape, 8 at a time. */
static inline size_t plain_run(const unsigned char *s, size_t i, size_t n)
{
        while (n - i >= 8) {
                uint64_t w;

                memcpy(&w, s + i, sizeof(w));
                if (!word_plain(w))
                        break;
                i += 8;
        }
        while (i < n && plain(s[i]))
                i++;
        return i;
}

static char *put_str(char *o, const char *str)
{
        static const char hex[] = "0123456789ABCDEF";
        const unsigned char *s = (const unsigned char *)str;
        size_t n = strlen(str);

        *o++ = '"';
        for (size_t i = 0; i < n;) {
                unsigned char c = s[i];
                size_t len, run = plain_run(s, i, n);

                /* Copy a run of printable ASCII at once: nearly all text. */
                if (run > i) {
                        o = put_lit(o, (const char *)s + i, run - i);
                        i = run;
                        continue;
                }
                if (c == '"' || c == '\\') {
                        *o++ = '\\';
                        *o++ = (char)c;
                        i++;
                        continue;
                }
                if (c < 0x20) {
                        *o++ = '\\';
                        switch (c) {
                        case '\b':
                                *o++ = 'b';
                                break;
                        case '\f':
                                *o++ = 'f';
                                break;
                        case '\n':
                                *o++ = 'n';
                                break;
                        case '\r':
                                *o++ = 'r';
                                break;
                        case '\t':
                                *o++ = 't';
                                break;
                        default:
                                o = PUT(o, "u00");
                                *o++ = hex[c >> 4];
                                *o++ = hex[c & 15];
                        }
                        i++;
                        continue;
                }
                len = utf8_len(s + i, n - i);
                if (len) {
                        o = put_lit(o, (const char *)s + i, len);
                        i += len;
                } else {
                        o = PUT(o, "\xEF\xBF\xBD");
                        i++;
                }
        }
        *o++ = '"';
        return o;
}

static char *put_u64(char *o, uint64_t v)
{
        static const char pairs[] =
                "0001020304050607080910111213141516171819202122232425262728293031323334353637383940"
                "4142434445464748495051525354555657585960616263646566676869707172737475767778798081"
                "828384858687888990919293949596979899";
        size_t n = 1;
        char *end;

        /* Count the digits, then write them from the end, two per
         * division: no copy of a variable length. */
        for (uint64_t x = v; x >= 10; x /= 10)
                n++;
        end = o + n;
        o = end;
        while (v >= 100) {
                o -= 2;
                memcpy(o, pairs + 2 * (v % 100), 2);
                v /= 100;
        }
        if (v >= 10) {
                o -= 2;
                memcpy(o, pairs + 2 * v, 2);
        } else
                *--o = (char)('0' + v);
        return end;
}

static char *put_2(char *o, unsigned v)
{
        *o++ = (char)('0' + v / 10);
        *o++ = (char)('0' + v % 10);
        return o;
}

/* "2026-11-26T23:15:10.128954Z" as timeutil_format_iso writes it, without
 * the quotes or a NUL; returns the end. */
static char *put_iso(char *o, int64_t t_us)
{
        int64_t secs = t_us / 1000000, frac = t_us % 1000000, days, sod;
        int64_t z, era, doe, yoe, y, doy, mp, d, m;

        if (t_us < 0 || secs > 253402300799LL) {
                char buf[TIMEUTIL_ISO_LEN];
                timeutil_format_iso(t_us, buf, sizeof(buf));
                return put_lit(o, buf, strlen(buf));
        }
        days = secs / 86400;
        sod = secs % 86400;
        /* Howard Hinnant's civil_from_days. */
        z = days + 719468;
        era = z / 146097;
        doe = z - era * 146097;
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        y = yoe + era * 400;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        d = doy - (153 * mp + 2) / 5 + 1;
        m = mp < 10 ? mp + 3 : mp - 9;
        y += m <= 2;
        o = put_2(o, (unsigned)(y / 100));
        o = put_2(o, (unsigned)(y % 100));
        *o++ = '-';
        o = put_2(o, (unsigned)m);
        *o++ = '-';
        o = put_2(o, (unsigned)d);
        *o++ = 'T';
        o = put_2(o, (unsigned)(sod / 3600));
        *o++ = ':';
        o = put_2(o, (unsigned)(sod / 60 % 60));
        *o++ = ':';
        o = put_2(o, (unsigned)(sod % 60));
        if (frac) {
                *o++ = '.';
                o = put_2(o, (unsigned)(frac / 10000));
                o = put_2(o, (unsigned)(frac / 100 % 100));
                o = put_2(o, (unsigned)(frac % 100));
        }
        *o++ = 'Z';
        return o;
}

static char *put_time(char *o, int64_t t_us)
{
        *o++ = '"';
        o = put_iso(o, t_us);
        *o++ = '"';
        return o;
}

void evjson_format_time(int64_t t_us, char out[TIMEUTIL_ISO_LEN])
{
        *put_iso(out, t_us) = 0;
}

size_t evjson_write(const logevent_t *e, char *out)
{
        char *o = out;

        o = PUT(o, "{\"kind\":\"event\",\"file\":");
        if (e->file)
                o = put_str(o, e->file);
        else
                o = PUT(o, "null");
        o = PUT(o, ",\"line\":");
        o = put_u64(o, e->line);
        o = PUT(o, ",\"time\":");
        if (e->time_us)
                o = put_time(o, e->time_us);
        else
                o = PUT(o, "null");
        o = PUT(o, ",\"service\":");
        o = put_str(o, e->service);
        o = PUT(o, ",\"event\":\"");
        o = put_lit(o, logevent_kind_name(e->kind), strlen(logevent_kind_name(e->kind)));
        o = PUT(o, "\",\"method\":");
        if (e->method[0])
                o = put_str(o, e->method);
        else
                o = PUT(o, "null");
        o = PUT(o, ",\"user\":");
        o = put_str(o, e->user);
        if (e->target_user[0]) {
                o = PUT(o, ",\"target_user\":");
                o = put_str(o, e->target_user);
        }
        o = PUT(o, ",\"src\":");
        if (e->src[0])
                o = put_str(o, e->src);
        else
                o = PUT(o, "null");
        if (e->port) {
                o = PUT(o, ",\"port\":");
                o = put_u64(o, e->port);
        }
        if (e->pid) {
                o = PUT(o, ",\"pid\":");
                if (e->pid < 0) {
                        *o++ = '-';
                        o = put_u64(o, (uint64_t)(-(int64_t)e->pid));
                } else
                        o = put_u64(o, (uint64_t)e->pid);
        }
        if (e->host[0]) {
                o = PUT(o, ",\"host\":");
                o = put_str(o, e->host);
        }
        if (e->invalid_user)
                o = PUT(o, ",\"invalid_user\":true");
        if (e->truncated)
                o = PUT(o, ",\"truncated\":true");
        *o++ = '}';
        return (size_t)(o - out);
}
