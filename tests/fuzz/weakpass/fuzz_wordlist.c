/* Fuzz target: word list loading (dictionary files are read line by line
 * with a length cap and deduplicated). The first byte picks a small read
 * cap so the cap path is exercised too. */
#include <stddef.h>
#include <stdint.h>

#include "scan/weakpass/dict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        dict_load_stats_t st = { 0 };
        dict_t *d = NULL;
        unsigned src;
        size_t cap;

        if (size < 1)
                return 0;
        cap = data[0] < 128 ? (size_t)data[0] * 64 : 1 * MiB;
        if (dict_new(cap, &d) < 0)
                return 0;
        if (dict_add_source(d, DICT_KIND_CUSTOM, "fuzz", &src) == 0) {
                (void)dict_load_buffer(d, src, (const char *)data + 1, size - 1, &st);
                for (size_t i = 0; i < dict_size(d); i++) {
                        size_t len;
                        char hint[DICT_HINT_MAX];
                        const char *w = dict_word(d, i, &len, NULL);
                        if (!dict_find(d, w, len, NULL))
                                __builtin_trap();
                        (void)dict_password_weakness(d, w, len, NULL);
                        dict_mask_hint(w, len, hint, sizeof(hint));
                }
        }
        dict_free(d);
        return 0;
}
