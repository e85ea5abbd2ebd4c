/* Fuzz target: the uid-0 account reader of the process sweep
 * (persist_parse_passwd) on any text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/process/persist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        persist_set_t s = { 0 };
        size_t bad = 0;

        (void)persist_parse_passwd((const char *)data, size, "/etc/passwd", &s, &bad);
        for (size_t i = 0; i < s.n; i++)
                if (!s.v[i].key || !s.v[i].name || strcmp(s.v[i].key, s.v[i].name) != 0)
                        abort();
        persist_set_clear(&s);
        return 0;
}
