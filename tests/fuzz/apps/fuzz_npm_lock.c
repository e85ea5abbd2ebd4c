/* Fuzz target: package-lock.json parsing. Whatever the input, every
 * component has a usable name and a registry version. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/report.h"
#include "inventory/apps/npm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        report_t *r = report_new("fuzz", "/");
        pkg_list_t l = { 0 };
        appnote_t notes;
        int ret;

        if (!r)
                return 0;
        appnote_init(&notes, r, 50);
        ret = npm_parse_lock((const char *)data, size, "/app/package-lock.json",
                             "/app/package.json", &l, &notes);
        if (ret < 0 && ret != -EBADMSG)
                abort();
        for (size_t i = 0; i < l.n; i++)
                if (!l.v[i].name[0] || !l.v[i].version[0] || strchr(l.v[i].version, ':') ||
                    strchr(l.v[i].version, '/') || strlen(l.v[i].name) > 214)
                        abort();
        pkg_list_clear(&l);
        report_free(r);
        return 0;
}
