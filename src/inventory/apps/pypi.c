#include "inventory/apps/pypi.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/text.h"

/* Names and versions longer than this are not what an index accepts. */
#define PYPI_FIELD_MAX 256

char *pypi_normalize_name(const char *name, size_t n)
{
        char *out = malloc(n + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                char ch = name[i];
                if (ch == '-' || ch == '_' || ch == '.') {
                        if (o == out || o[-1] != '-')
                                *o++ = '-';
                        continue;
                }
                *o++ = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
        }
        *o = 0;
        return out;
}

static bool usable(const char *s, size_t n)
{
        if (n == 0 || n > PYPI_FIELD_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                        return false;
        return true;
}

/* Trim blanks from both ends of the span S, N. */
static void trim(const char **s, size_t *n)
{
        while (*n > 0 && (**s == ' ' || **s == '\t')) {
                (*s)++;
                (*n)--;
        }
        while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
                (*n)--;
}

/* The colon ending the field name of a header line, or NULL when LINE (N
 * bytes) is not a header: field names are printable ASCII without blanks. */
static const char *header_colon(const char *line, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                unsigned char ch = (unsigned char)line[i];
                if (ch == ':')
                        return line + i;
                if (ch < 0x21 || ch > 0x7e)
                        return NULL;
        }
        return NULL;
}

int pypi_parse_metadata(const char *data, size_t len, const char *location, const char *manifest,
                        pkg_list_t *out, appnote_t *notes)
{
        _cleanup_free_ char *norm = NULL, *version = NULL;
        const char *name = NULL, *ver = NULL;
        size_t name_len = 0, ver_len = 0, pos = 0;

        /* The header block ends at the first empty line; the first Name and
         * Version win, as Python's email parser gives them. Continuation
         * lines (starting with a blank) belong to the header before and are
         * not needed here. */
        while (pos < len) {
                size_t start = pos, end, n;
                const char *line, *colon;

                while (pos < len && data[pos] != '\n')
                        pos++;
                end = pos;
                if (pos < len)
                        pos++;
                if (end > start && data[end - 1] == '\r')
                        end--;
                n = end - start;
                line = data + start;
                if (n == 0)
                        break;
                if (line[0] == ' ' || line[0] == '\t')
                        continue;
                /* Like Python's email parser, a line that is not a header
                 * ends the header block. */
                colon = header_colon(line, n);
                if (!colon)
                        break;
                if (!name && colon - line == 4 && strncasecmp(line, "Name", 4) == 0) {
                        name = colon + 1;
                        name_len = (size_t)(end - (size_t)(name - data));
                        trim(&name, &name_len);
                } else if (!ver && colon - line == 7 && strncasecmp(line, "Version", 7) == 0) {
                        ver = colon + 1;
                        ver_len = (size_t)(end - (size_t)(ver - data));
                        trim(&ver, &ver_len);
                }
        }
        if (!name || !usable(name, name_len)) {
                appnote_warn(notes, location, "no usable Name header");
                return -EBADMSG;
        }
        if (!ver || !usable(ver, ver_len)) {
                appnote_warn(notes, location, "no usable Version header");
                return -EBADMSG;
        }
        norm = pypi_normalize_name(name, name_len);
        version = str_ndup(ver, ver_len);
        if (!norm || !version)
                return -ENOMEM;
        return pkg_list_add(out, PKG_PYPI, norm, NULL, version, NULL, NULL, location, manifest);
}
