/* Fuzz target: sshd messages behind a fixed syslog header. Besides not
 * crashing: an IPv4 source must be text of the message itself, and a
 * source must never be taken from inside what the parser calls the user. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/login/logparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDR "2026-11-26T23:15:10.128954+00:00 web1 sshd[622]: "

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char line[sizeof(HDR) + 4096];
        logparse_opts_t o = { .ref_time_us = 1795000000LL * 1000000, .utc = true };
        logparse_ctx_t *ctx;
        logevent_t e;
        size_t k = 0;
        int r;

        if (size > 4096 || memchr(data, '\n', size))
                return 0;
        memcpy(line, HDR, sizeof(HDR) - 1);
        memcpy(line + sizeof(HDR) - 1, data, size);
        ctx = logparse_new(&o);
        if (!ctx)
                abort();
        r = logparse_line(ctx, line, sizeof(HDR) - 1 + size, "f", 1, &e, 1, &k);
        /* IPv6 forms of IPv4 addresses ("::ffff:102:304") print differently;
         * the checks below hold for messages without any colon. */
        if (r == LOGPARSE_EVENT && e.src[0] && !memchr(data, ':', size)) {
                const char *msg = line + sizeof(HDR) - 1;
                if (e.has_ip && e.src_ip.family == AF_INET &&
                    !memmem(msg, size, e.src, strlen(e.src)))
                        abort();
                /* The source never lies inside the user name: when the user
                 * text is found once in the message, the source text must
                 * occur somewhere after it. */
                if (e.user[0] && !e.truncated && e.has_ip && e.src_ip.family == AF_INET) {
                        const char *u = memmem(msg, size, e.user, strlen(e.user));
                        if (u) {
                                const char *after = u + strlen(e.user);
                                size_t rest = size - (size_t)(after - msg);
                                const char *first = memmem(msg, size, e.user, strlen(e.user));
                                const char *again =
                                        memmem(first + 1, size - (size_t)(first + 1 - msg), e.user,
                                               strlen(e.user));
                                if (!again && !memmem(after, rest, e.src, strlen(e.src)) &&
                                    !memmem(msg, (size_t)(u - msg), e.src, strlen(e.src)))
                                        abort();
                        }
                }
        }
        logparse_free(ctx);
        return 0;
}
