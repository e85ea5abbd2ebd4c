/* Fuzz target: METADATA / PKG-INFO headers. A component's name is always
 * in PEP 503 form. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/report.h"
#include "inventory/apps/pypi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_normal(const char *s)
{
        for (const char *p = s; *p; p++)
                if ((*p >= 'A' && *p <= 'Z') || *p == '_' || *p == '.' ||
                    (*p == '-' && p > s && p[-1] == '-'))
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        report_t *r = report_new("fuzz", "/");
        pkg_list_t l = { 0 };
        appnote_t notes;
        char *n;
        int ret;

        if (!r)
                return 0;
        appnote_init(&notes, r, 50);
        ret = pypi_parse_metadata((const char *)data, size, "/sp/x.dist-info/METADATA", "/sp", &l,
                                  &notes);
        if ((ret < 0 && ret != -EBADMSG) || l.n > 1)
                abort();
        if (l.n == 1)
                check_normal(l.v[0].name);
        pkg_list_clear(&l);
        report_free(r);

        n = pypi_normalize_name((const char *)data, size);
        if (!n)
                return 0;
        if (!memchr(data, 0, size))
                check_normal(n);
        free(n);
        return 0;
}
