/* Canonical paths inside a scanned root. Package databases and patterns name
 * a file by the path it was installed under ("bin/ls"), while on a merged
 * /usr system the same file is reached by walking "/usr/bin"; file integrity
 * keys everything by the canonical path, the one with every directory
 * symlink resolved (inside the root, never out of it). The directory part
 * is resolved by the kernel (openat2 with RESOLVE_IN_ROOT, then the path of
 * the descriptor); the last component is kept, so a symlink is itself and
 * not its target. Results are cached per directory. */
#pragma once

#include "core/rootfs.h"

typedef struct fimpath fimpath_t;

/* A canonicaliser for ROOT (borrowed; must outlive it). Returns 0, -ENOMEM,
 * or a negative errno when the root's own path cannot be read. */
int fimpath_new(const rootfs_t *root, fimpath_t **ret);
void fimpath_free(fimpath_t *c);
static inline void fimpath_freep(fimpath_t **c)
{
        fimpath_free(*c);
}

/* The canonical form of PATH (absolute or relative to the root; "//", "./"
 * and trailing slashes are tidied). When the directory part does not exist
 * or cannot be resolved the tidied PATH is returned unchanged. Returns 0 with
 * *RET (caller frees), -EINVAL for a path with a ".." component or longer
 * than FIMTAB_PATH_MAX, or -ENOMEM. */
int fimpath_canonical(fimpath_t *c, const char *path, char **ret);

/* Tidy PATH into an absolute path without empty or "." components and
 * without a trailing slash. Returns 0 with *RET (caller frees), -EINVAL for
 * ".." components or an over-long path, -ENOMEM. */
int fimpath_tidy(const char *path, size_t n, char **ret);
