/* Fuzz target: an apk installed database through the "Z:" checksum parser,
 * and every line of the input through the checksum decoder on its own. A
 * decoded digest must have its algorithm's length. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/fim/pkgverify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_file(const pkgverify_apk_file_t *f, void *userdata)
{
        (void)userdata;
        if (!f->pkg[0] || fimhash_algo_len(f->algo) == 0 || strlen(f->path) == 0)
                abort();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *s = (const char *)data, *end = s + size;
        report_t *r = report_new("fuzz", "/");
        size_t bad = 0;

        if (!r)
                return 0;
        (void)pkgverify_parse_apk(s, size, "installed", r, on_file, NULL, &bad);
        while (s < end) {
                const char *nl = memchr(s, '\n', (size_t)(end - s));
                size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
                uint8_t d[FIMHASH_MAX_LEN];
                fimhash_algo_t algo;
                if (pkgverify_apk_checksum(s, n, &algo, d) == 0 && fimhash_algo_len(algo) == 0)
                        abort();
                s += n + 1;
        }
        report_free(r);
        return 0;
}
