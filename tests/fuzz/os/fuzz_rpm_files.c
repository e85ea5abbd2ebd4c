/* libFuzzer target: the parent's parser of the rpm helper's file records
 * (rpmdb_parse_files) on arbitrary bytes, as a helper subverted by a hostile
 * database could send them. Every record handed on must keep the promises
 * rpmdb.h makes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/text.h"
#include "inventory/os/rpmdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_file(const rpmdb_file_t *f, void *userdata)
{
        size_t *n = userdata;
        size_t pl = strlen(f->path);

        if (!f->pkg[0] || !f->evr[0] || f->path[0] != '/' || pl > RPMDB_PATH_MAX)
                __builtin_trap();
        if ((f->digest == NULL) != (f->digest_len == 0) || f->digest_len > RPMDB_DIGEST_MAX)
                __builtin_trap();
        for (size_t i = 0; i < f->digest_len; i++)
                *n += f->digest[i];
        (*n)++;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        strv_t log = { 0 };
        size_t n = 0, bad = 0;
        int r = rpmdb_parse_files((const char *)data, size, check_file, &n, &log, &bad);

        if (r > 0 || log.n > RPMDB_MAX_LOG)
                __builtin_trap();
        strv_clear(&log);
        return 0;
}
