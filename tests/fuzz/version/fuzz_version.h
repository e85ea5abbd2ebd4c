/* The body shared by the fuzz_version_<scheme> targets. Each target defines
 * FUZZ_SCHEME (and FUZZ_TRANSITIVE when the scheme's order is a total
 * preorder) before including this file.
 *
 * The input is split at NUL bytes into up to three strings a, b and c. The
 * target checks what every comparison must satisfy whatever the input:
 * results are -1, 0 or 1; cmp(a,a) == 0; cmp(a,b) == -cmp(b,a); and, for
 * transitive schemes, that the three pairwise results are consistent. It
 * also runs version_check on each string and checks the offset it reports
 * lies within the string. Any violation aborts, which libFuzzer reports. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/version/vercmp.h"

/* Longer inputs only slow the fuzzer down without reaching new code. */
#define FUZZ_MAX_INPUT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_one(const char *s)
{
        size_t pos = 0;

        if (vercmp(FUZZ_SCHEME, s, s) != 0)
                abort();
        if (version_check(FUZZ_SCHEME, s, &pos) < 0 && pos > strlen(s))
                abort();
}

static int fuzz_cmp(const char *x, const char *y)
{
        int r = vercmp(FUZZ_SCHEME, x, y);

        if (r < -1 || r > 1 || r != -vercmp(FUZZ_SCHEME, y, x))
                abort();
        return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf, *s[3] = { NULL, NULL, NULL };
        size_t n = 0;

        if (size > FUZZ_MAX_INPUT)
                return 0;
        buf = malloc(size + 1);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = '\0';
        /* Split at the first two NULs; a missing part is the empty string. */
        s[n++] = buf;
        for (size_t i = 0; i < size && n < 3; i++)
                if (buf[i] == '\0')
                        s[n++] = buf + i + 1;
        while (n < 3)
                s[n++] = buf + size;

        for (int i = 0; i < 3; i++)
                fuzz_check_one(s[i]);
        {
                int ab = fuzz_cmp(s[0], s[1]);
                int bc = fuzz_cmp(s[1], s[2]);
                int ac = fuzz_cmp(s[0], s[2]);
#ifdef FUZZ_TRANSITIVE
                /* a <= b <= c implies a <= c, strictly if either step is
                 * strict; and likewise downwards. */
                if (ab <= 0 && bc <= 0 && ac != ((ab < 0 || bc < 0) ? -1 : 0))
                        abort();
                if (ab >= 0 && bc >= 0 && ac != ((ab > 0 || bc > 0) ? 1 : 0))
                        abort();
#else
                (void)ab;
                (void)bc;
                (void)ac;
#endif
        }
        free(buf);
        return 0;
}
