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
/* One line of a dpkg status or apk installed file. */
#define OSPKG_MAX_LINE_SIZE (256 * KiB)
/* The apk installed database (lib/apk/db/installed). */
#define OSPKG_MAX_APKDB_SIZE (512 * MiB)
/* The rpm database files copied out of a scanned image (see rpmdb_read). */
#define OSPKG_MAX_RPMDB_SIZE (2 * GiB)

/* Collect installed packages of every database present under ROOT into
 * OUT. Returns 0 (also when no database exists: then OUT is unchanged), or
 * -ENOMEM. REPORT may be NULL. */
int ospkg_collect(const rootfs_t *root, pkg_list_t *out, report_t *report);

/* dpkg status: packages whose Status is "install ok installed" (also
 * half-configured and similar states that leave files on disk), with
 * "Source:" name and version. DISPLAY names the file in notes. Returns 0,
 * -ENOMEM (then OUT is unchanged). Packages are appended to OUT with NAME the
 * bare package name (no ":arch"), ARCH the Architecture field, SOURCE and
 * SOURCE_VERSION only when they differ from NAME and VERSION, LOCATION =
 * DISPLAY. A corrupt stanza becomes a warning "DISPLAY:LINE" in REPORT and is
 * skipped; statistics "inventory"/"dpkg_packages" and "dpkg_skipped". */
int dpkg_parse_status(const char *data, size_t n, const char *display, pkg_list_t *out,
                      report_t *report);
/* Read var/lib/dpkg/status under ROOT. Returns 0, -ENOENT when there is no
 * status file, -ENOMEM, or another negative errno when it cannot be read
 * (also noted in REPORT). */
int dpkg_read_status(const rootfs_t *root, pkg_list_t *out, report_t *report);

/* rpm database under ROOT via librpm. Returns 0, -ENOENT (no rpmdb), -EIO
 * (noted in REPORT), -ENOMEM; on error OUT is unchanged. The database is
 * looked for in usr/lib/sysimage/rpm, then var/lib/rpm, resolved inside
 * ROOT; for any root but the host its files are first copied into a private
 * temporary directory so that librpm, which opens paths itself, can never be
 * led out of ROOT by a symlink and never writes into the scanned image.
 * librpm runs in a helper process (this program started again from
 * /proc/self/exe with posix_spawn; its global state, leaks, signal handlers
 * and any crash stay there, and the parent checks what it sends), so calls
 * from several threads are fine. The sqlite and bdb (read-only)
 * backends are read; ndb only when librpm was built with it (Debian's is
 * not). VERSION is "[epoch:]version-release" (the epoch is shown whenever
 * the package has an Epoch tag, as rpm's %{EVR} does), SOURCE the name part
 * of the SOURCERPM tag. gpg-pubkey pseudo packages are left out. */
int rpmdb_read(const rootfs_t *root, pkg_list_t *out, report_t *report);
/* Read the rpm database in directory DBDIR (a trusted path on the host, used
 * as is) naming it DISPLAY in notes. Returns as rpmdb_read. */
int rpmdb_read_dir(const char *dbdir, const char *display, pkg_list_t *out, report_t *report);

/* apk installed database: stanzas of "X:value" lines separated by empty
 * lines; P name, V version, A arch, o origin (kept as SOURCE when it differs
 * from the name). Returns 0 or -ENOMEM (then OUT is unchanged); corrupt
 * stanzas are noted and counted ("apk_packages", "apk_skipped") as for
 * dpkg. */
int apkdb_parse(const char *data, size_t n, const char *display, pkg_list_t *out, report_t *report);
/* Read lib/apk/db/installed (or usr/lib/apk/db/installed) under ROOT.
 * Returns 0, -ENOENT, -ENOMEM or another negative errno (noted). */
int apkdb_read(const rootfs_t *root, pkg_list_t *out, report_t *report);

/* The running kernel compared with the installed kernel packages. */
typedef struct kernel_info {
        char *running_release; /* uname -r; NULL when ROOT is not the running host */
        char *running_package; /* e.g. "linux-image-6.1.0-18-amd64"; NULL when unknown */
        char *running_version; /* that package's version; NULL when unknown */
        char *newest_release;  /* newest installed kernel release; NULL when none */
        char *newest_package;
        char *newest_version;
        bool reboot_needed; /* a newer kernel is installed than the one running */
} kernel_info_t;

/* Work out KERNEL from the packages in PKGS (as collected above). Returns 0 or
 * -ENOMEM. The running release comes from uname(2) only when ROOT is the
 * host. */
int kernel_inspect(const rootfs_t *root, const pkg_list_t *pkgs, kernel_info_t *ret);
/* The same with the running release given (NULL: unknown). Kernel packages
 * are Debian/Ubuntu "linux-image-RELEASE", rpm "kernel", "kernel-core",
 * "kernel-uek[-core]", "kernel-ml[-core]", "kernel-lt[-core]" (release
 * "VERSION-RELEASE.ARCH") and SUSE "kernel-FLAVOR", apk "linux-FLAVOR"
 * (release "VERSION-N-FLAVOR" for version "VERSION-rN"). The newest is the
 * highest package version in that package manager's order. REBOOT_NEEDED is
 * set when the running kernel is installed and is not the newest, or when
 * it comes from no installed package and the newest installed release sorts
 * after it. Free with kernel_info_clear. */
int kernel_inspect_release(const pkg_list_t *pkgs, const char *running_release, kernel_info_t *ret);
void kernel_info_clear(kernel_info_t *k);
