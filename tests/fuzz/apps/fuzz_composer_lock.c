/* Fuzz target: composer.lock and vendor/composer/installed.json. Every
 * component has a name and a version. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/report.h"
#include "inventory/apps/composer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        report_t *r = report_new("fuzz", "/");
        pkg_list_t l = { 0 };
        appnote_t notes;
        int a, b;

        if (!r)
                return 0;
        appnote_init(&notes, r, 50);
        a = composer_parse_lock((const char *)data, size, "/composer.lock", NULL, &l, &notes);
        b = composer_parse_installed((const char *)data, size, "/installed.json", NULL, &l, &notes);
        if ((a < 0 && a != -EBADMSG) || (b < 0 && b != -EBADMSG))
                abort();
        for (size_t i = 0; i < l.n; i++)
                if (!l.v[i].name[0] || !l.v[i].version[0])
                        abort();
        pkg_list_clear(&l);
        report_free(r);
        return 0;
}
