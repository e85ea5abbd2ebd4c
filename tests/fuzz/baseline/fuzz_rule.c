/* Fuzz target: one rule string (the first line of the input, parsed in the
 * dialect chosen by the first byte) into the rule parser; when it parses,
 * the rest of the input is used as a file whose lines are matched against
 * the rule's content and name tests. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/baseline/rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *in = (const char *)data, *nl;
        rule_dialect_t dialect;
        char *text, *err = NULL;
        rule_t *r = NULL;
        size_t n, pos;

        if (size < 1)
                return 0;
        dialect = (data[0] & 1) ? RULE_DIALECT_PCRE2 : RULE_DIALECT_OSREGEX;
        in++;
        size--;
        nl = memchr(in, '\n', size);
        n = nl ? (size_t)(nl - in) : size;
        if (memchr(in, 0, n))
                return 0; /* rules come from YAML texts, which hold no NUL */
        text = malloc(n + 1);
        if (!text)
                return 0;
        memcpy(text, in, n);
        text[n] = 0;
        if (rule_parse(text, dialect, NULL, &r, &err) == 0) {
                pos = n + 1;
                while (pos < size) {
                        const char *line = in + pos, *e = memchr(line, '\n', size - pos);
                        size_t len = e ? (size_t)(e - line) : size - pos;
                        (void)rule_match_line(r, line, len);
                        if (r->name)
                                (void)rule_test_line(r->name, line, len);
                        pos += len + 1;
                }
                rule_free(r);
        } else if (!err) {
                abort(); /* a refused rule always says why */
        }
        free(err);
        free(text);
        return 0;
}
