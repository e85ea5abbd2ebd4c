#include "core/jsonx.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
        unsigned char c = s[0];
        size_t len;
        uint32_t cp;

        if (c == 0)
                return 0;
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
        return len;
}

json_t *jsonx_string_lossy_n(const char *str, size_t n)
{
        const unsigned char *s = (const unsigned char *)str;
        _cleanup_buf_ buf_t b = { 0 };
        json_t *j;
        size_t i = 0;

        j = json_stringn(str, n);
        if (j)
                return j;
        buf_init(&b, n * 3 + 1);
        while (i < n) {
                size_t len = utf8_valid_len(s + i, n - i);
                if (len > 0) {
                        if (buf_append(&b, s + i, len) < 0)
                                return NULL;
                        i += len;
                } else {
                        if (buf_append(&b, "\xEF\xBF\xBD", 3) < 0)
                                return NULL;
                        i++;
                }
        }
        return json_stringn(b.data ? b.data : "", b.len);
}

json_t *jsonx_string_lossy(const char *s)
{
        return jsonx_string_lossy_n(s, strlen(s));
}

int jsonx_set_str(json_t *obj, const char *key, const char *s)
{
        json_t *v = s ? jsonx_string_lossy(s) : json_null();
        if (!v)
                return -ENOMEM;
        return json_object_set_new(obj, key, v) < 0 ? -ENOMEM : 0;
}
