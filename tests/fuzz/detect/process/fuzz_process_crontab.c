/* Fuzz target: the crontab reader of the process sweep
 * (persist_parse_crontab). The first byte picks the system format (with a
 * user field) or the user format. */
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

        if (size < 1)
                return 0;
        (void)persist_parse_crontab((const char *)data + 1, size - 1, "/etc/crontab", data[0] & 1,
                                    &s, &bad);
        for (size_t i = 0; i < s.n; i++)
                if (!s.v[i].text || !s.v[i].text[0])
                        abort();
        persist_set_clear(&s);
        return 0;
}
