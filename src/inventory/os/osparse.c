#include "inventory/os/osparse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"

void osparse_warn(osparse_notes_t *n, size_t line, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL, *src = NULL;
        va_list ap;
        int r;

        if (!n->report)
                return;
        if (n->listed >= OSPARSE_MAX_NOTES) {
                n->dropped++;
                return;
        }
        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0) {
                msg = NULL;
                return;
        }
        src = line ? str_printf("%s%c%zu", n->display, n->sep ? n->sep : ':', line)
                   : strdup(n->display);
        if (!src)
                return;
        /* A note that cannot be stored for lack of memory is lost; the
         * statistics still count the skipped record. */
        (void)report_note(n->report, REPORT_NOTE_WARNING, src, "%s", msg);
        n->listed++;
}

void osparse_finish(osparse_notes_t *n)
{
        if (!n->report || n->dropped == 0)
                return;
        (void)report_note(n->report, REPORT_NOTE_WARNING, n->display,
                          "%u more problems in this file were not listed", n->dropped);
        n->dropped = 0;
}

const char *osparse_quote(char *out, size_t size, const char *p, size_t n)
{
        static const char hex[] = "0123456789abcdef";
        size_t o = 0, limit = MIN(size - 4, (size_t)60);

        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)p[i];
                if (c >= 0x20 && c < 0x7f && c != '\\') {
                        if (o + 1 > limit)
                                goto cut;
                        out[o++] = (char)c;
                } else {
                        if (o + 4 > limit)
                                goto cut;
                        out[o++] = '\\';
                        out[o++] = 'x';
                        out[o++] = hex[c >> 4];
                        out[o++] = hex[c & 15];
                }
        }
        out[o] = 0;
        return out;
cut:
        memcpy(out + o, "...", 4);
        return out;
}

bool osparse_text_ok(const char *p, size_t n)
{
        const unsigned char *s = (const unsigned char *)p;
        size_t i = 0;

        while (i < n) {
                unsigned char c = s[i];
                size_t len;
                uint32_t cp;

                if (c < 0x80) {
                        if ((c < 0x20 && c != '\t') || c == 0x7f)
                                return false;
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf) {
                        len = 2;
                        cp = c & 0x1f;
                } else if (c >= 0xe0 && c <= 0xef) {
                        len = 3;
                        cp = c & 0x0f;
                } else if (c >= 0xf0 && c <= 0xf4) {
                        len = 4;
                        cp = c & 0x07;
                } else
                        return false;
                if (n - i < len)
                        return false;
                for (size_t k = 1; k < len; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (s[i + k] & 0x3f);
                }
                if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
                        return false;
                i += len;
        }
        return true;
}

int osparse_list_move(pkg_list_t *dst, pkg_list_t *src)
{
        if (src->n == 0) {
                pkg_list_clear(src);
                return 0;
        }
        if (dst->n == 0 && !dst->v) {
                *dst = *src;
                *src = (pkg_list_t){ 0 };
                return 0;
        }
        if (dst->cap - dst->n < src->n) {
                size_t cap = dst->n + src->n;
                pkg_t *v = realloc(dst->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                dst->v = v;
                dst->cap = cap;
        }
        memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
        dst->n += src->n;
        /* The strings now belong to DST; free only the array. */
        free(src->v);
        *src = (pkg_list_t){ 0 };
        return 0;
}

void osparse_count(report_t *report, const char *name, long long delta)
{
        if (report)
                (void)report_count(report, "inventory", name, delta);
}
