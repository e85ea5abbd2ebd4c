/* Kernel parameters (sysctl) as a baseline check sees them. On the running
 * host the value is the live one from /proc/sys. For an image (--root) there
 * is no running kernel, so the value is the one the image's configuration
 * would set at boot: the *.conf files of /etc/sysctl.d, /run/sysctl.d,
 * /usr/local/lib/sysctl.d, /usr/lib/sysctl.d and /lib/sysctl.d taken in
 * file-name order (a name in an earlier directory hides the same name in a
 * later one, as systemd-sysctl does), then /etc/sysctl.conf; a later
 * assignment wins. A parameter the image never sets has no value there. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/rootfs.h"

#define SYSCTLCFG_MAX_FILE  (1 * MiB)
#define SYSCTLCFG_MAX_FILES 512

typedef struct sysctlcfg_entry {
        char *key;    /* dotted form: net.ipv4.ip_forward */
        char *value;  /* blanks collapsed to one space */
        char *source; /* "PATH:LINE" inside the root */
} sysctlcfg_entry_t;

/* The configured values of an image, loaded once. */
typedef struct sysctlcfg {
        sysctlcfg_entry_t *v;
        size_t n, cap;
        bool loaded;
} sysctlcfg_t;

/* The value of KEY ("net.ipv4.ip_forward" or "net/ipv4/ip_forward"). On the
 * host (ROOT->is_host) it is read from /proc/sys and *RET_SOURCE is that
 * file; otherwise it comes from the image's configuration, loaded into CACHE
 * on first use. Returns 0 with new strings in *RET_VALUE and *RET_SOURCE
 * (caller frees), -ENOENT when the host kernel has no such parameter or the
 * image does not set it, -EINVAL for a malformed key, -ENOMEM. */
int sysctlcfg_get(const rootfs_t *root, sysctlcfg_t *cache, const char *key, char **ret_value,
                  char **ret_source);

void sysctlcfg_clear(sysctlcfg_t *c);
