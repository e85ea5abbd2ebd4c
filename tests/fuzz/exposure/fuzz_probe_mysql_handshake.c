/* Fuzz target: MySQL packet framing, the server greeting and the replies to
 * the login (OK, ERR, auth switch, more data). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/exposure/probes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        probe_mysql_packet_t pk;
        probe_mysql_greeting_t g;
        probe_mysql_reply_t r;
        size_t off = 0;

        while (off < size && probe_mysql_packet(data + off, size - off, &pk) == 0) {
                if (pk.consumed > size - off)
                        abort();
                if (probe_mysql_parse_greeting(pk.payload, pk.len, &g) == 0 &&
                    (strlen(g.version) >= sizeof(g.version) ||
                     strlen(g.plugin) >= sizeof(g.plugin)))
                        abort();
                if (probe_mysql_parse_reply(pk.payload, pk.len, &r) == 0 &&
                    strlen(r.message) >= sizeof(r.message))
                        abort();
                off += pk.consumed;
        }
        /* The raw bytes as a payload too, without framing. */
        (void)probe_mysql_parse_greeting(data, size, &g);
        (void)probe_mysql_parse_reply(data, size, &r);
        return 0;
}
