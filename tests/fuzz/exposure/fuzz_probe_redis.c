/* Fuzz target: the Redis (RESP) reply parser and the INFO field reader. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/exposure/probes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        probe_resp_t r;
        char v[64];

        if (probe_redis_parse((const char *)data, size, &r) == 0) {
                if (r.consumed > size || (r.data && (r.data < (const char *)data ||
                                                     r.data + r.len > (const char *)data + size)))
                        abort();
                if (r.type == RESP_BULK) {
                        (void)probe_redis_info_field(r.data, r.len, "redis_version", v, sizeof(v));
                        if (strlen(v) >= sizeof(v))
                                abort();
                }
        }
        (void)probe_redis_info_field((const char *)data, size, "config_file", v, sizeof(v));
        return 0;
}
