/* Fuzz target: MongoDB OP_MSG replies and the BSON walker. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "scan/exposure/probes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        probe_mongo_reply_t r;
        size_t used = 0;

        if (probe_mongo_parse(data, size, &r, &used) == 0 && (used > size || used < 21))
                abort();
        (void)probe_bson_validate(data, size);
        return 0;
}
