/* libFuzzer target: the apk installed database parser on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "core/report.h"
#include "inventory/os/ospkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        report_t *r = report_new("fuzz", "/");
        pkg_list_t l = { 0 };

        if (!r)
                return 0;
        (void)apkdb_parse((const char *)data, size, "installed", &l, r);
        for (size_t i = 0; i < l.n; i++)
                if (!l.v[i].name || !l.v[i].version || !l.v[i].name[0])
                        __builtin_trap();
        pkg_list_clear(&l);
        report_free(r);
        return 0;
}
