/* Fuzz target: syslog stamps and headers (classic with year inference,
 * ISO 8601, ctime, RFC 5424) over the lines of the input, one clock across
 * them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/login/syslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        syslog_clock_t c;
        const char *s = (const char *)data;

        syslog_clock_init(&c, 1795000000LL * 1000000, size && data[0] == 'Y' ? 2026 : 0, true);
        while (size > 0) {
                const char *nl = memchr(s, '\n', size);
                size_t n = nl ? (size_t)(nl - s) : size, used = 0;
                int64_t t;
                logmsg_t m;
                syslog_iso_t iso;

                if (syslog_parse_classic_time(&c, s, n, &used, &t) && used > n)
                        abort();
                if (syslog_parse_iso_time(&c, s, n, true, &used, &t) && used > n)
                        abort();
                if (syslog_parse_iso_parts(s, n, false, &iso) && iso.len > n)
                        abort();
                if (syslog_parse_ctime(&c, s, n, &used, &t) && used > n)
                        abort();
                if (syslog_parse_header(&c, s, n, &m) != SYSLOG_FMT_NONE) {
                        if (m.msg < s || m.msg + m.len > s + n || m.prog_len > SYSLOG_TAG_MAX)
                                abort();
                }
                if (!nl)
                        break;
                size -= n + 1;
                s = nl + 1;
        }
        return 0;
}
