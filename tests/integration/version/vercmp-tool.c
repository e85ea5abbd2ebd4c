/* Test helper for the version oracles: reads hex-encoded requests on stdin,
 * one per line, and answers each on stdout with what vigil's vercmp module
 * says, so a script can set thousands of answers beside the real tools'.
 *
 *   vercmp-tool SCHEME cmp        lines "HEX_A HEX_B"  -> "-1", "0" or "1"
 *   vercmp-tool SCHEME check      lines "HEX_V"        -> "ok" or "bad OFFSET"
 *   vercmp-tool composer normalize lines "HEX_V"       -> "version HEX", "branch HEX"
 *                                                         or "invalid"
 *
 * Hex keeps every byte (tabs, newlines, non-UTF-8) intact on the way. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/version/vercmp.h"
#include "inventory/version/vercmp_internal.h"

#define LINE_MAX_BYTES 65536

static int unhex(const char *s, size_t n, char *out, size_t cap)
{
        size_t i;

        if (n % 2 || n / 2 >= cap)
                return -EINVAL;
        for (i = 0; i < n / 2; i++) {
                unsigned v;
                if (sscanf(s + 2 * i, "%2x", &v) != 1)
                        return -EINVAL;
                out[i] = (char)v;
        }
        out[i] = '\0';
        /* A NUL inside would silently shorten the string: refuse it. */
        return strlen(out) == i ? 0 : -EINVAL;
}

static void put_hex(const char *s)
{
        for (; *s; s++)
                printf("%02x", (unsigned char)*s);
}

int main(int argc, char **argv)
{
        static char line[LINE_MAX_BYTES], a[LINE_MAX_BYTES / 2], b[LINE_MAX_BYTES / 2];
        version_scheme_t scheme;

        if (argc != 3 || version_scheme_from_name(argv[1], &scheme) < 0) {
                fprintf(stderr, "usage: vercmp-tool SCHEME cmp|check|normalize\n");
                return 2;
        }
        while (fgets(line, sizeof(line), stdin)) {
                size_t n = strcspn(line, "\n");
                char *sp = memchr(line, ' ', n);

                line[n] = '\0';
                if (strcmp(argv[2], "cmp") == 0) {
                        if (!sp || unhex(line, (size_t)(sp - line), a, sizeof(a)) < 0 ||
                            unhex(sp + 1, strlen(sp + 1), b, sizeof(b)) < 0) {
                                fprintf(stderr, "bad request: %s\n", line);
                                return 2;
                        }
                        printf("%d\n", vercmp(scheme, a, b));
                } else if (strcmp(argv[2], "check") == 0) {
                        size_t pos = 0;
                        if (unhex(line, n, a, sizeof(a)) < 0) {
                                fprintf(stderr, "bad request: %s\n", line);
                                return 2;
                        }
                        if (version_check(scheme, a, &pos) == 0)
                                printf("ok\n");
                        else
                                printf("bad %zu\n", pos);
                } else if (strcmp(argv[2], "normalize") == 0 && scheme == VERSION_COMPOSER) {
                        int r;
                        if (unhex(line, n, a, sizeof(a)) < 0) {
                                fprintf(stderr, "bad request: %s\n", line);
                                return 2;
                        }
                        r = vercmp_composer_normalize(a, b, sizeof(b));
                        if (r < 0) {
                                printf("invalid\n");
                        } else {
                                printf(r == 1 ? "version " : "branch ");
                                put_hex(b);
                                printf("\n");
                        }
                } else {
                        fprintf(stderr, "unknown mode %s\n", argv[2]);
                        return 2;
                }
        }
        return fflush(stdout) == 0 ? 0 : 1;
}
