/* Fuzz target: the process connector datagram parser of the exec
 * watcher (execwatch_parse): netlink messages holding connector messages
 * holding process events, with lengths that may lie. An exec record always
 * has positive pids. */
#include <linux/cn_proc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/process/execwatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check(const execwatch_record_t *rec, void *userdata)
{
        (void)userdata;
        if (rec->what == PROC_EVENT_EXEC && (rec->pid <= 0 || rec->tgid <= 0))
                abort();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        execwatch_stats_t st = { 0 };

        (void)execwatch_parse(data, size, check, NULL, &st);
        return 0;
}
