#include "detect/login/evjson.h"

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

static char *put_str(char *o, const char *str)
{
        static const char hex[] = "0123456789ABCDEF";
        const unsigned char *s = (const unsigned char *)str;
        size_t n = strlen(str);

        *o++ = '"';
        for (size_t i = 0; i < n;) {
                unsigned char c = s[i];
                size_t len, run = i;

                /* Copy a run of printable ASCII at once: nearly all text. */
                while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' &&
                       s[run] != '\\')
                        run++;
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
        char tmp[24];
        size_t k = 0;

        do {
                tmp[k++] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        while (k)
                *o++ = tmp[--k];
        return o;
}

static char *put_2(char *o, unsigned v)
{
        *o++ = (char)('0' + v / 10);
        *o++ = (char)('0' + v % 10);
        return o;
}

/* "2026-11-26T23:15:10.128954Z" as timeutil_format_iso writes it. */
static char *put_time(char *o, int64_t t_us)
{
        int64_t secs = t_us / 1000000, frac = t_us % 1000000, days, sod;
        int64_t z, era, doe, yoe, y, doy, mp, d, m;

        if (t_us < 0 || secs > 253402300799LL) {
                char buf[TIMEUTIL_ISO_LEN];
                timeutil_format_iso(t_us, buf, sizeof(buf));
                *o++ = '"';
                o = put_lit(o, buf, strlen(buf));
                *o++ = '"';
                return o;
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
        *o++ = '"';
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
        *o++ = '"';
        return o;
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
