/* libFuzzer target: the os-release parser, the ecosystem mapping and the
 * JSON form on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/report.h"
#include "inventory/os/osinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        osinfo_t os = { 0 };
        char *err = NULL;
        json_t *j;
        char *eco;

        if (osinfo_parse((const char *)data, size, &os, &err) != 0) {
                free(err);
                return 0;
        }
        if (!os.id)
                __builtin_trap();
        eco = osinfo_osv_ecosystem(&os);
        free(eco);
        /* Values are checked UTF-8, so the JSON form always exists, and a
         * report can take it. */
        j = osinfo_to_json(&os);
        if (!j)
                __builtin_trap();
        {
                report_t *r = report_new("fuzz", "/");
                if (r) {
                        report_set_os(r, j);
                        j = NULL;
                        report_free(r);
                }
        }
        json_decref(j);
        osinfo_clear(&os);
        return 0;
}
