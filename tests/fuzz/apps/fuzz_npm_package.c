/* Fuzz target: the package.json of an installed npm package. At most one
 * component, with a usable name and a registry version. */
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
        ret = npm_parse_package((const char *)data, size, "/a/node_modules/x/package.json", NULL,
                                "x", &l, &notes);
        if ((ret < 0 && ret != -EBADMSG) || l.n > 1)
                abort();
        if (l.n == 1 && (!l.v[0].name[0] || strchr(l.v[0].version, ':')))
                abort();
        pkg_list_clear(&l);
        report_free(r);
        return 0;
}
