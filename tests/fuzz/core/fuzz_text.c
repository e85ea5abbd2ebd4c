/* Fuzz target: terminal escaping and lossy JSON strings never emit a raw
 * control byte or invalid UTF-8. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/jsonx.h"
#include "core/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        json_t *j;

        if (!f)
                return 0;
        text_put_escaped_n(f, (const char *)data, size);
        fclose(f);
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
                        abort();
        free(out);
        j = jsonx_string_lossy_n((const char *)data, size);
        if (!j || !json_string_value(j))
                abort();
        json_decref(j);
        return 0;
}
