/* Fuzz target: the Memcached `stats` answer parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/exposure/probes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        probe_result_t r = { 0 };

        (void)probe_memcached_parse((const char *)data, size, &r);
        if (strlen(r.version) >= sizeof(r.version) || strlen(r.info) >= sizeof(r.info))
                abort();
        return 0;
}
