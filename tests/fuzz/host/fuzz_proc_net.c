/* Fuzz target: the /proc/net/{tcp,tcp6,udp,udp6} table parser. The first
 * byte picks the table kind; the rest is the table text. Every entry it
 * returns must be a listening socket with a NUL-terminated address text. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "inventory/host/sockets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const int fam[] = { AF_INET, AF_INET6, AF_INET, AF_INET6 };
        static const int proto[] = { IPPROTO_TCP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDP };
        sock_list_t l = { 0 };
        size_t bad = 0;
        unsigned k;

        if (size < 1)
                return 0;
        k = data[0] % 4;
        if (sock_parse_table((const char *)data + 1, size - 1, fam[k], proto[k], &l, &bad) == 0)
                for (size_t i = 0; i < l.n; i++) {
                        if (memchr(l.v[i].addr_str, 0, sizeof(l.v[i].addr_str)) == NULL)
                                abort();
                        if (l.v[i].family != fam[k] || l.v[i].proto != proto[k])
                                abort();
                }
        sock_list_clear(&l);
        return 0;
}
