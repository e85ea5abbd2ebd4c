/* The filesystem a scan looks at: "/" for the running host, or a mounted
 * image or chroot given with --root. Every path a scanner opens is resolved
 * inside the root with openat2(RESOLVE_IN_ROOT), so an absolute symlink in
 * an image (or one planted by an attacker) can never lead out of it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "core/macro.h"

typedef struct rootfs {
        int fd;       /* O_PATH descriptor of the root directory */
        char *path;   /* as given, without trailing slashes ("/" for the host) */
        bool is_host; /* the root is "/" */
} rootfs_t;

/* Open the root at PATH. Returns 0, or -ENOTDIR/-ENOENT/-EACCES/-ENOMEM. */
int rootfs_open(const char *path, rootfs_t **ret);
void rootfs_free(rootfs_t *r);
static inline void rootfs_freep(rootfs_t **r)
{
        rootfs_free(*r);
}
#define _cleanup_rootfs_ _cleanup_(rootfs_freep)

/* Open PATH (absolute or relative, always taken inside the root) with FLAGS
 * (O_CLOEXEC is added; O_CREAT is refused). Symlinks are followed but stay
 * inside the root; "/proc/self"-style magic links are refused. Returns a new
 * descriptor or a negative errno. */
int rootfs_openat(const rootfs_t *r, const char *path, int flags);

/* Open like rootfs_openat but relative to DIRFD (a directory inside the
 * root), still resolving within the root. */
int rootfs_openat_dir(const rootfs_t *r, int dirfd, const char *path, int flags);

/* stat PATH inside the root; FOLLOW selects stat or lstat semantics. */
int rootfs_stat(const rootfs_t *r, const char *path, bool follow, struct stat *ret);

/* Read the whole regular file at PATH inside the root. A file bigger than
 * MAX bytes gives -EFBIG; a directory -EISDIR; anything else that is not a
 * regular file gives -EINVAL (so a FIFO never blocks a scan). On success *RET is a NUL-terminated
 * buffer (caller frees) and *RET_LEN its length without the terminator. */
int rootfs_read_file(const rootfs_t *r, const char *path, size_t max, char **ret, size_t *ret_len);

/* Read a regular file from an open descriptor, same rules as above. */
int rootfs_read_fd(int fd, size_t max, char **ret, size_t *ret_len);

/* The path as a user knows it: ROOT joined with PATH ("/mnt/img/etc/passwd"),
 * or PATH itself for the host. Caller frees; NULL when out of memory. */
char *rootfs_display_path(const rootfs_t *r, const char *path);
