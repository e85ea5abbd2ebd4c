/* Collecting every OS package database present under a root. */
#include "inventory/os/ospkg.h"

#include <errno.h>

int ospkg_collect(const rootfs_t *root, pkg_list_t *out, report_t *report)
{
        /* Each reader notes its own problems; a database that is absent or
         * unreadable does not stop the others (a Debian host may carry an
         * rpm database for alien packages, for instance). */
        int (*const readers[])(const rootfs_t *, pkg_list_t *, report_t *) = {
                dpkg_read_status,
                rpmdb_read,
                apkdb_read,
        };

        for (size_t i = 0; i < ELEMENTSOF(readers); i++) {
                int r = readers[i](root, out, report);
                if (r == -ENOMEM)
                        return r;
        }
        return 0;
}
