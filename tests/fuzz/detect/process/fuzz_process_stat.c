/* Fuzz target: the /proc/PID/stat parser of the process sweep (pslist_parse_stat).
 * A parsed name is always NUL-terminated within its buffer and a pid is
 * never 0. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/process/pslist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        ps_stat_t st;

        if (pslist_parse_stat((const char *)data, size, &st) == 0) {
                if (st.pid <= 0 || !memchr(st.comm, 0, sizeof(st.comm)))
                        abort();
        }
        return 0;
}
