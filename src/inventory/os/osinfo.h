/* Identity of the scanned system from os-release (etc/os-release, falling
 * back to usr/lib/os-release, both resolved inside the root). */
#pragma once

#include <jansson.h>

#include "core/rootfs.h"

typedef struct osinfo {
        char *id;               /* "debian", "ubuntu", "alpine", "rocky", … ; never NULL after read */
        char *id_like;          /* may be NULL */
        char *name;             /* may be NULL */
        char *pretty_name;      /* may be NULL */
        char *version_id;       /* "12", "22.04", "3.19.1"; may be NULL (e.g. Debian sid) */
        char *version_codename; /* "bookworm", "jammy"; may be NULL */
} osinfo_t;

/* Read the OS identity of ROOT. Returns 0, -ENOENT when neither file exists,
 * -EINVAL for a file that is not os-release (message in *RET_ERROR naming
 * file and line; caller frees), -ENOMEM, or another negative errno when the
 * file cannot be read (message in *RET_ERROR too). RET_ERROR may be NULL.
 * Only a missing etc/os-release leads to usr/lib/os-release. Cap: 64 KiB. */
int osinfo_read(const rootfs_t *root, osinfo_t *ret, char **ret_error);
/* Parse N bytes of os-release text (shell-style KEY=value lines, quoting and
 * backslash escapes as in os-release(5)). Unknown keys are ignored; lines
 * that are not assignments are an error naming the line in *RET_ERROR
 * ("line N: what"; -EINVAL). Values must be UTF-8 without control
 * characters. RET is written only on success; free it with osinfo_clear. */
int osinfo_parse(const char *data, size_t n, osinfo_t *ret, char **ret_error);
void osinfo_clear(osinfo_t *os);

/* The OSV ecosystem of this OS's packages: "Debian:12", "Ubuntu:22.04",
 * "Alpine:v3.19", "Rocky Linux:9", "AlmaLinux:9", "Red Hat", … Caller frees;
 * NULL when the OS is not one vigil knows feeds for (or out of memory). */
char *osinfo_osv_ecosystem(const osinfo_t *os);

/* {"id":…, "version_id":…, "codename":…, "pretty_name":…, "ecosystem":…} */
json_t *osinfo_to_json(const osinfo_t *os);
