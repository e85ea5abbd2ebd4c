/* Fuzz target: vsftpd.conf and proftpd.conf parsing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "scan/weakpass/ftpconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_include(const char *path, const char *where, void *userdata)
{
        (void)path;
        (void)where;
        (void)userdata;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        report_t *r = report_new("fuzz", "/");
        vsftpd_conf_t vs;
        proftpd_conf_t *pro;

        if (!r)
                return 0;
        (void)ftpconf_parse_vsftpd((const char *)data, size, "vsftpd.conf", r, &vs);
        pro = calloc(1, sizeof(*pro));
        if (pro) {
                (void)ftpconf_parse_proftpd((const char *)data, size, "proftpd.conf", r, on_include,
                                            NULL, pro);
                ftpconf_proftpd_clear(pro);
                free(pro);
        }
        report_free(r);
        return 0;
}
