#include "scan/baseline/osregex.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "core/buf.h"

/* Translated patterns are a few times longer than their source; policy
 * patterns are short, so this cap only stops absurd input. */
#define OSREGEX_MAX_OUT (256 * KiB)

/* Append one byte that must match literally. PCRE2 treats a backslash before
 * any non-alphanumeric ASCII character as that character, so punctuation is
 * always escaped; control and 8-bit bytes are written as \x{..}. */
static int put_literal(buf_t *b, unsigned char c)
{
        char tmp[8];

        if (isalnum(c) || c == ' ')
                return buf_append(b, &c, 1);
        if (c >= 0x21 && c < 0x7f) {
                tmp[0] = '\\';
                tmp[1] = (char)c;
                return buf_append(b, tmp, 2);
        }
        return buf_printf(b, "\\x{%02x}", c);
}

/* The PCRE2 form of the character class named by the escape letter C, or
 * NULL when C is an escaped literal or unknown. These sets are the ones the
 * OS_Regex tables define: \w also takes '@', '_' and '-', \s is the space
 * character alone, \p is a fixed list of punctuation. */
static const char *class_for(char c)
{
        switch (c) {
        case 'd':
                return "[0-9]";
        case 'D':
                return "[^0-9]";
        case 'w':
                return "[A-Za-z0-9@_\\-]";
        case 'W':
                return "[^A-Za-z0-9@_\\-]";
        case 's':
                return "[ ]";
        case 'S':
                return "[^ ]";
        case 'p':
                return "[!\"#$%&'()*+,\\-.:;<=>?\\[\\]{|}]";
        case '.':
                return "(?s:.)";
        case 't':
                return "\\t";
        default:
                return NULL;
        }
}

/* The character an escaped literal stands for, or 0 when C is not one. */
static char escaped_literal(char c)
{
        switch (c) {
        case '(':
        case ')':
        case '\\':
        case '$':
        case '|':
        case '<':
                return c;
        default:
                return 0;
        }
}

/* Translate one alternative S..S+N (no top-level '|' inside). */
static int put_alternative(buf_t *b, const char *s, size_t n, const char **ret_error)
{
        bool in_group = false, end_anchor = false;
        size_t i = 0;
        int r;

        if (n > 0 && s[0] == '^') {
                if ((r = buf_append_str(b, "^")) < 0)
                        return r;
                i = 1;
        }
        /* A trailing '$' anchors, unless it is the second byte of an escape
         * ("\$"). Count the backslashes before it to know. */
        if (n > i && s[n - 1] == '$') {
                size_t bs = 0;
                while (n - 1 - bs > i && s[n - 2 - bs] == '\\')
                        bs++;
                if (bs % 2 == 0) {
                        end_anchor = true;
                        n--;
                }
        }
        while (i < n) {
                char c = s[i];
                if (c == '\\') {
                        const char *cls;
                        char lit;
                        if (i + 1 >= n) {
                                *ret_error = "pattern ends with a backslash";
                                return -EINVAL;
                        }
                        c = s[i + 1];
                        i += 2;
                        if ((cls = class_for(c)))
                                r = buf_append_str(b, cls);
                        else if ((lit = escaped_literal(c)))
                                r = put_literal(b, (unsigned char)lit);
                        else {
                                *ret_error = "unknown escape (OS_Regex knows \\d \\D \\w \\W \\s "
                                             "\\S \\p \\. \\t \\( \\) \\\\ \\$ \\| \\<)";
                                return -EINVAL;
                        }
                        if (r < 0)
                                return r;
                        /* Only an escape can carry a quantifier. */
                        if (i < n && (s[i] == '+' || s[i] == '*')) {
                                if ((r = buf_append(b, &s[i], 1)) < 0)
                                        return r;
                                i++;
                        }
                        continue;
                }
                if (c == '(') {
                        if (in_group) {
                                *ret_error = "nested parentheses";
                                return -EINVAL;
                        }
                        in_group = true;
                        r = buf_append_str(b, "(");
                } else if (c == ')') {
                        if (!in_group) {
                                *ret_error = "unbalanced parentheses";
                                return -EINVAL;
                        }
                        in_group = false;
                        r = buf_append_str(b, ")");
                } else
                        r = put_literal(b, (unsigned char)c);
                if (r < 0)
                        return r;
                i++;
        }
        if (in_group) {
                *ret_error = "unbalanced parentheses";
                return -EINVAL;
        }
        return end_anchor ? buf_append_str(b, "$") : 0;
}

int osregex_to_pcre2(const char *pattern, char **ret, const char **ret_error)
{
        _cleanup_buf_ buf_t b;
        const char *dummy, *start = pattern;
        int depth = 0, r;

        if (!ret_error)
                ret_error = &dummy;
        buf_init(&b, OSREGEX_MAX_OUT);
        if ((r = buf_append_str(&b, "(?:")) < 0)
                return r;
        for (const char *p = pattern;; p++) {
                if (*p == '\\' && p[1]) {
                        p++;
                        continue;
                }
                if (*p == '(')
                        depth++;
                else if (*p == ')')
                        depth--;
                if (*p == '|' || !*p) {
                        if (*p == '|' && depth != 0) {
                                *ret_error = "'|' inside parentheses";
                                return -EINVAL;
                        }
                        if (start != pattern && (r = buf_append_str(&b, "|")) < 0)
                                return r;
                        r = put_alternative(&b, start, (size_t)(p - start), ret_error);
                        if (r < 0)
                                return r;
                        if (!*p)
                                break;
                        start = p + 1;
                }
        }
        if ((r = buf_append_str(&b, ")")) < 0)
                return r;
        *ret = buf_take(&b);
        return *ret ? 0 : -ENOMEM;
}

int osmatch_to_pcre2(const char *pattern, char **ret)
{
        _cleanup_buf_ buf_t b;
        const char *start = pattern;
        int r;

        buf_init(&b, OSREGEX_MAX_OUT);
        if ((r = buf_append_str(&b, "(?:")) < 0)
                return r;
        for (const char *p = pattern;; p++) {
                if (*p != '|' && *p)
                        continue;
                size_t n = (size_t)(p - start);
                bool begin = n > 0 && start[0] == '^';
                bool end = n > (begin ? 1u : 0u) && start[n - 1] == '$';
                if (start != pattern && (r = buf_append_str(&b, "|")) < 0)
                        return r;
                if (begin && (r = buf_append_str(&b, "^")) < 0)
                        return r;
                for (size_t i = begin ? 1 : 0; i < n - (end ? 1 : 0); i++)
                        if ((r = put_literal(&b, (unsigned char)start[i])) < 0)
                                return r;
                if (end && (r = buf_append_str(&b, "$")) < 0)
                        return r;
                if (!*p)
                        break;
                start = p + 1;
        }
        if ((r = buf_append_str(&b, ")")) < 0)
                return r;
        *ret = buf_take(&b);
        return *ret ? 0 : -ENOMEM;
}
