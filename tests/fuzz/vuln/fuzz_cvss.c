/* libFuzzer target: CVSS vector strings of every version. A score, when
 * there is one, is within 0..10. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/vuln/cvss.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char buf[CVSS_VECTOR_MAX + 64];
        double s;
        cvss_version_t v;

        if (size >= sizeof(buf))
                size = sizeof(buf) - 1;
        memcpy(buf, data, size);
        buf[size] = 0;
        if (cvss_score(buf, &s, &v) == 0 && !(s >= 0.0 && s <= 10.0))
                abort();
        return 0;
}
