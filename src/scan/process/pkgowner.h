/* Which installed package owns a file, from dpkg's file lists
 * (/var/lib/dpkg/info/NAME.list) inside the scanned root. The process sweep
 * asks it about the executables of processes whose binary was deleted: a
 * package upgrade replaces a running daemon's file, which is benign.
 *
 * On a merged-/usr system a list may name /bin/x for /usr/bin/x (and the
 * other way round); both spellings are tried. Lookups are batched: one pass
 * over all lists answers every path at once. */
#pragma once

#include <stddef.h>

#include "core/rootfs.h"

/* A list file bigger than this is skipped. */
#define PKGOWNER_MAX_LIST (32 * 1024 * 1024)

/* For each of the N PATHS, set RET_PKGS[i] to the owning package's name
 * (caller frees each) or NULL. Returns 0, -ENODATA when the root has no
 * dpkg database, -ENOMEM. */
int pkgowner_dpkg(const rootfs_t *root, const char *const *paths, size_t n, char **ret_pkgs);
