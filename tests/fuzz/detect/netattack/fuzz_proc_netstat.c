/* Fuzz target: the /proc counter parsers of the flood detector. The first
 * byte picks /proc/net/netstat-or-snmp (line pairs), /proc/net/snmp6 or a
 * /proc/net/tcp table; the rest is the text. Counters not read must stay
 * zero, and the SYN_RECV count can never pass the number of lines. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/netattack/netstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        netstat_sample_t s = { 0 };
        const char *text;
        uint64_t count = 0, lines = 0;
        size_t bad = 0, n, newlines = 0;

        if (size < 1)
                return 0;
        text = (const char *)data + 1;
        n = size - 1;
        switch (data[0] % 3) {
        case 0:
                netstat_parse_pairs(text, n, &s);
                break;
        case 1:
                netstat_parse_snmp6(text, n, &s);
                break;
        default:
                netstat_count_synrecv(text, n, &count, &bad, &lines);
                for (size_t i = 0; i < n; i++)
                        newlines += text[i] == '\n';
                if (count > lines || lines + bad > newlines + 1)
                        abort();
                return 0;
        }
        for (int c = 0; c < NETSTAT_COUNTER__MAX; c++)
                if (!netstat_has(&s, c) && s.v[c] != 0)
                        abort();
        return 0;
}
