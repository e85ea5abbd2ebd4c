/* Fuzz target: a whole input through the offline reader: format sniffing,
 * gzip, line framing, journald export/JSON and utmp records. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "detect/login/logread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_event(const logevent_t *e, void *userdata)
{
        (void)userdata;
        if (e->kind >= LOGEVENT_KIND__MAX)
                abort();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const logread_input_t inputs[] = { LOGREAD_AUTO, LOGREAD_AUTO, LOGREAD_WTMP,
                                                  LOGREAD_BTMP };
        logread_cb_t cb = { .on_event = on_event };
        logparse_opts_t o = { .ref_time_us = 1795000000LL * 1000000, .utc = true };
        logparse_ctx_t *ctx;
        logread_stats_t st;
        int fd;

        if (size < 1)
                return 0;
        fd = memfd_create("fuzz", MFD_CLOEXEC);
        if (fd < 0)
                return 0;
        if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1) || lseek(fd, 0, SEEK_SET) != 0) {
                close(fd);
                return 0;
        }
        ctx = logparse_new(&o);
        if (!ctx)
                abort();
        (void)logread_fd(fd, "fuzz", inputs[data[0] % 4], ctx, &cb, &st);
        logparse_free(ctx);
        close(fd);
        return 0;
}
