/* Installed OS packages from the package databases under a root: dpkg
 * (var/lib/dpkg/status), rpm (librpm, rpmdb under the root) and apk
 * (lib/apk/db/installed); and the running vs installed kernel.
 *
 * Problems in a database (a corrupt stanza, an unreadable rpmdb) are added
 * to REPORT as warnings naming the file and line or record; parsing goes on
 * with the next record, and REPORT's statistics count what was skipped. */
#pragma once

#include <stdbool.h>

#include "core/report.h"
#include "core/rootfs.h"
#include "inventory/pkg.h"

/* Caps on what vigil reads from package databases. */
#define OSPKG_MAX_STATUS_SIZE (512 * MiB)
#define OSPKG_MAX_STANZA_SIZE (4 * MiB)

/* Collect installed packages of every database present under ROOT into
 * OUT. Returns 0 (also when no database exists: then OUT is unchanged), or
 * -ENOMEM. REPORT may be NULL. */
int ospkg_collect(const rootfs_t *root, pkg_list_t *out, report_t *report);

/* dpkg status: packages whose Status is "install ok installed" (also
 * half-configured and similar states that leave files on disk), with
 * "Source:" name and version. DISPLAY names the file in notes. Returns 0,
 * -ENOMEM. */
int dpkg_parse_status(const char *data, size_t n, const char *display, pkg_list_t *out,
                      report_t *report);
int dpkg_read_status(const rootfs_t *root, pkg_list_t *out, report_t *report);

/* rpm database under ROOT via librpm. Returns 0, -ENOENT (no rpmdb), -EIO. */
int rpmdb_read(const rootfs_t *root, pkg_list_t *out, report_t *report);

/* apk installed database. */
int apkdb_parse(const char *data, size_t n, const char *display, pkg_list_t *out,
                report_t *report);
int apkdb_read(const rootfs_t *root, pkg_list_t *out, report_t *report);

/* The running kernel compared with the installed kernel packages. */
typedef struct kernel_info {
        char *running_release;  /* uname -r; NULL when ROOT is not the running host */
        char *running_package;  /* e.g. "linux-image-6.1.0-18-amd64"; NULL when unknown */
        char *running_version;  /* that package's version; NULL when unknown */
        char *newest_release;   /* newest installed kernel release; NULL when none */
        char *newest_package;
        char *newest_version;
        bool reboot_needed;     /* a newer kernel is installed than the one running */
} kernel_info_t;

/* Work out KERNEL from the packages in PKGS (as collected above). Returns 0 or
 * -ENOMEM. */
int kernel_inspect(const rootfs_t *root, const pkg_list_t *pkgs, kernel_info_t *ret);
void kernel_info_clear(kernel_info_t *k);
