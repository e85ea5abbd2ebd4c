/* Fuzz target: the reader of `nft -j list table inet vigil` output that
 * tells which addresses are blocked. Every entry it returns must be an
 * address with a NUL-terminated comment. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "detect/netattack/block.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        block_entry_t *v = NULL;
        char *err = NULL;
        size_t n = 0;

        if (block_parse_list((const char *)data, size, &v, &n, &err) == 0) {
                for (size_t i = 0; i < n; i++) {
                        if (v[i].addr.family != AF_INET && v[i].addr.family != AF_INET6)
                                abort();
                        if (!memchr(v[i].comment, 0, sizeof(v[i].comment)))
                                abort();
                        if (v[i].timeout_s < 0 || v[i].expires_s < 0)
                                abort();
                }
                if ((n == 0) != (v == NULL))
                        abort();
        }
        free(v);
        free(err);
        return 0;
}
