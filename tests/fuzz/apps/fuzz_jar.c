/* Fuzz target: a whole archive held in memory, read by the jar reader with
 * its nesting, member and inflation caps (kept small so each input is
 * quick), and the manifest and pom.properties parsers on the same bytes.
 * Every component found must name itself within the archive given. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/report.h"
#include "core/text.h"
#include "inventory/apps/jar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        report_t *r = report_new("fuzz", "/");
        jar_limits_t lim;
        jar_manifest_t m = { 0 };
        jar_pom_t p = { 0 };
        pkg_list_t l = { 0 };
        appnote_t notes;

        if (!r)
                return 0;
        jar_limits_default(&lim);
        lim.max_inflated = 8 * MiB;
        lim.max_nested_size = 4 * MiB;
        lim.max_members = 100000;
        appnote_init(&notes, r, 50);
        if (jar_scan_buffer(data, size, "/fuzz.jar", &lim, &l, &notes, NULL) < 0)
                abort();
        for (size_t i = 0; i < l.n; i++) {
                const pkg_t *q = &l.v[i];
                if (q->kind != PKG_MAVEN || !q->name[0] || !q->version[0] ||
                    !str_startswith(q->location, "/fuzz.jar") ||
                    !str_startswith(q->location, q->manifest))
                        abort();
        }
        pkg_list_clear(&l);
        report_free(r);

        if (jar_parse_manifest((const char *)data, size, &m) < 0 ||
            jar_parse_pom_properties((const char *)data, size, &p) < 0)
                abort();
        jar_manifest_clear(&m);
        jar_pom_clear(&p);
        return 0;
}
