/* Fuzz target: YAML to JSON (configuration and policy files). */
#include <stddef.h>
#include <stdint.h>

#include "core/yamljson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        json_t *doc = NULL;
        yamljson_error_t err;

        if (yamljson_parse((const char *)data, size, &doc, &err) == 0)
                json_decref(doc);
        return 0;
}
