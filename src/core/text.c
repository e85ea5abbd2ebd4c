#include "core/text.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence starting at S (of at most N bytes), or
 * 0 when the bytes there are not valid UTF-8. Overlong forms and surrogates
 * are rejected, so what passes is what a terminal shows as one character. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
        unsigned char c = s[0];
        size_t len;
        uint32_t cp;

        if (c < 0x80)
                return 1;
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
        /* C1 control characters (U+0080..U+009F) can steer some terminals. */
        if (cp >= 0x80 && cp <= 0x9F)
                return 0;
        return len;
}

void text_put_escaped_n(FILE *f, const char *str, size_t n)
{
        const unsigned char *s = (const unsigned char *)str;
        size_t i = 0;

        while (i < n) {
                unsigned char c = s[i];
                size_t len;

                if (c >= 0x20 && c < 0x7F) {
                        fputc(c, f);
                        i++;
                        continue;
                }
                len = c >= 0x80 ? utf8_seq_len(s + i, n - i) : 0;
                if (len > 0) {
                        fwrite(s + i, 1, len, f);
                        i += len;
                        continue;
                }
                fprintf(f, "\\x%02x", c);
                i++;
        }
}

void text_put_escaped(FILE *f, const char *s)
{
        if (s)
                text_put_escaped_n(f, s, strlen(s));
}

bool str_endswith(const char *s, const char *suffix)
{
        size_t ls = strlen(s), lx = strlen(suffix);
        return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

char *str_printf(const char *fmt, ...)
{
        va_list ap;
        char *ret;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&ret, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : ret;
}

char *str_ndup(const char *s, size_t n)
{
        char *r = malloc(n + 1);
        if (!r)
                return NULL;
        memcpy(r, s, n);
        r[n] = 0;
        return r;
}

char *str_strip(char *s)
{
        size_t n;
        char *p = s;

        while (*p && isspace((unsigned char)*p))
                p++;
        n = strlen(p);
        while (n > 0 && isspace((unsigned char)p[n - 1]))
                n--;
        memmove(s, p, n);
        s[n] = 0;
        return s;
}

int str_to_u64(const char *s, unsigned long long *ret)
{
        unsigned long long v = 0;

        if (!*s)
                return -EINVAL;
        for (; *s; s++) {
                unsigned d;
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                d = (unsigned)(*s - '0');
                if (v > (ULLONG_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

int strv_push_take(strv_t *sv, char *s)
{
        if (!s)
                return -ENOMEM;
        if (sv->n + 2 > sv->cap) {
                size_t cap = sv->cap ? sv->cap * 2 : 8;
                char **v = realloc(sv->v, cap * sizeof(char *));
                if (!v) {
                        free(s);
                        return -ENOMEM;
                }
                sv->v = v;
                sv->cap = cap;
        }
        sv->v[sv->n++] = s;
        sv->v[sv->n] = NULL;
        return 0;
}

int strv_push(strv_t *sv, const char *s)
{
        return strv_push_take(sv, strdup(s));
}

bool strv_contains(const strv_t *sv, const char *s)
{
        for (size_t i = 0; i < sv->n; i++)
                if (strcmp(sv->v[i], s) == 0)
                        return true;
        return false;
}

int strv_split(strv_t *sv, const char *s, const char *seps)
{
        while (*s) {
                size_t n = strcspn(s, seps);
                if (n > 0) {
                        int r = strv_push_take(sv, str_ndup(s, n));
                        if (r < 0)
                                return r;
                }
                s += n;
                if (*s)
                        s++;
        }
        return 0;
}

void strv_clear(strv_t *sv)
{
        for (size_t i = 0; i < sv->n; i++)
                free(sv->v[i]);
        free(sv->v);
        sv->v = NULL;
        sv->n = sv->cap = 0;
}
