/* Fuzz target: the /proc/net/route and /proc/net/ipv6_route readers that
 * find the default gateways the blocker must never block. The first byte
 * picks the table. Every address returned has the table's family. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "detect/netattack/hostaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        hostaddr_list_t l = { 0 };
        size_t bad = 0;
        int v6, r;

        if (size < 1)
                return 0;
        v6 = data[0] & 1;
        r = v6 ? hostaddr_parse_ipv6_route((const char *)data + 1, size - 1, &l, &bad)
               : hostaddr_parse_route((const char *)data + 1, size - 1, &l, &bad);
        if (r < 0 && r != -E2BIG && r != -ENOMEM)
                abort();
        for (size_t i = 0; i < l.n; i++)
                if (l.v[i].family != (v6 ? AF_INET6 : AF_INET))
                        abort();
        hostaddr_list_clear(&l);
        return 0;
}
