/* Fuzz target: the all-states /proc/net/{tcp,tcp6,udp,udp6} parser of the
 * process sweep (sockmap_parse_table). The first byte picks the table; the
 * rest is its text. Every entry kept has a non-zero inode and is found by
 * it after sorting. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "scan/process/sockmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const int fam[] = { AF_INET, AF_INET6, AF_INET, AF_INET6 };
        static const int proto[] = { IPPROTO_TCP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDP };
        sockmap_t m = { 0 };
        size_t bad = 0;
        unsigned k;

        if (size < 1)
                return 0;
        k = data[0] % 4;
        if (sockmap_parse_table(&m, (const char *)data + 1, size - 1, fam[k], proto[k], 1, &bad) ==
            0) {
                sockmap_finish(&m);
                for (size_t i = 0; i < m.n; i++) {
                        char a[INET6_ADDRSTRLEN];
                        if (m.v[i].inode == 0 || !sockmap_find(&m, m.v[i].inode))
                                abort();
                        sockmap_addr_str(&m.v[i].remote, a);
                        (void)sockmap_state_name(&m.v[i]);
                }
        }
        sockmap_clear(&m);
        return 0;
}
