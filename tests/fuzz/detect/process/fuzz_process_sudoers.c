/* Fuzz target: the sudoers reader of the process sweep
 * (persist_parse_sudoers): entries, continuation lines, include
 * directives, on any text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/process/persist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        persist_set_t s = { 0 };
        strv_t inc = { 0 }, dirs = { 0 };
        size_t bad = 0;

        (void)persist_parse_sudoers((const char *)data, size, "/etc/sudoers", &s, &inc, &dirs,
                                    &bad);
        for (size_t i = 0; i < s.n; i++)
                if (strncmp(s.v[i].key, "/etc/sudoers\n", 13) != 0 || s.v[i].line == 0)
                        abort();
        persist_set_clear(&s);
        strv_clear(&inc);
        strv_clear(&dirs);
        return 0;
}
