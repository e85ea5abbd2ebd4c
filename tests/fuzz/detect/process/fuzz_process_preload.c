/* Fuzz target: the ld.so.preload and /proc/loadavg parsers of the
 * process sweep. No entry is empty or holds a separator. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/process/hidden.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        strv_t v = { 0 };
        unsigned long tasks;
        pid_t last;

        if (hidden_parse_preload((const char *)data, size, &v) == 0)
                for (size_t i = 0; i < v.n; i++)
                        if (!v.v[i][0] || strpbrk(v.v[i], " \t\n\r:"))
                                abort();
        strv_clear(&v);
        if (hidden_parse_loadavg((const char *)data, size, &tasks, &last) == 0 && last < 0)
                abort();
        return 0;
}
