/* Fuzz target: the /proc/PID/fd link text parser ("socket:[INODE]") of the
 * process sweep. An accepted link gives a non-zero inode. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/process/sockmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        unsigned long inode = 0;

        if (sockmap_parse_fd_link((const char *)data, size, &inode) == 0 && inode == 0)
                abort();
        return 0;
}
