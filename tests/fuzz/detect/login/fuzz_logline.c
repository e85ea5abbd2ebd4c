/* Fuzz target: the whole line dispatcher (syslog framing, every message
 * parser, the own formats of the FTP and database servers) over the lines
 * of the input, with one context across them so the pid table is used. The
 * first byte picks the options. Every event must print as JSON within its
 * bound. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/login/evjson.h"
#include "detect/login/logparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        logparse_opts_t o = { .ref_time_us = 1795000000LL * 1000000, .utc = true };
        const char *s = (const char *)data;
        logparse_ctx_t *ctx;
        char *out;

        if (size < 1)
                return 0;
        o.service = data[0] & 1 ? "sshd" : NULL;
        o.year = data[0] & 2 ? 2026 : 0;
        ctx = logparse_new(&o);
        out = malloc(64 * 1024);
        if (!ctx || !out)
                abort();
        s++;
        size--;
        while (size > 0) {
                const char *nl = memchr(s, '\n', size);
                size_t n = nl ? (size_t)(nl - s) : size;
                logevent_t e;
                size_t k = 0;
                int r = logparse_line(ctx, s, n, "fuzz", 1, &e, 1, &k);

                if (r == LOGPARSE_EVENT) {
                        size_t len;
                        if (k != 1 || e.kind >= LOGEVENT_KIND__MAX)
                                abort();
                        if (evjson_max_len(&e) > 64 * 1024)
                                abort();
                        len = evjson_write(&e, out);
                        if (len > evjson_max_len(&e))
                                abort();
                        if (e.has_ip && !e.src[0])
                                abort();
                } else if (k != 0)
                        abort();
                if (!nl)
                        break;
                size -= n + 1;
                s = nl + 1;
        }
        free(out);
        logparse_free(ctx);
        return 0;
}
