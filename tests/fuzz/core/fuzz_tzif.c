/* Fuzz target: the zone file reader refuses or accepts any bytes without
 * reading out of bounds, and an accepted zone gives an offset within the
 * RFC 8536 bounds at every instant asked, including far past its last
 * transition where the footer rule decides. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/tzif.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const int64_t at[] = { INT64_MIN,
                                      -((int64_t)1 << 50),
                                      -2147483648LL,
                                      -1,
                                      0,
                                      1782907200,
                                      2147483648LL,
                                      4102444800LL,
                                      32519361600LL,
                                      (int64_t)1 << 50,
                                      INT64_MAX };
        tzif_t *tz = NULL;

        if (tzif_parse(data, size, &tz) < 0)
                return 0;
        for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
                int off = 0;
                bool dst;
                int r = tzif_offset(tz, at[i], &off);
                if (r == 0 && (off < -26 * 3600 || off > 26 * 3600))
                        abort();
                if (r != 0 && r != -ERANGE)
                        abort();
                if ((r == 0) != (tzif_is_dst(tz, at[i], &dst) == 0))
                        abort();
        }
        /* A sweep over a few years, where daylight saving rules turn. */
        for (int64_t t = 4102444800LL; t < 4102444800LL + 3 * 31556952LL; t += 86400 * 5 + 3593) {
                int off = 0;
                if (tzif_offset(tz, t, &off) != 0 || off < -26 * 3600 || off > 26 * 3600)
                        abort();
        }
        tzif_free(tz);
        return 0;
}
