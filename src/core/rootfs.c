#include "core/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/text.h"

int rootfs_open(const char *path, rootfs_t **ret)
{
        struct stat st;
        rootfs_t *r;
        size_t n = strlen(path);
        int fd;

        while (n > 1 && path[n - 1] == '/')
                n--;
        fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
                close(fd);
                return -ENOTDIR;
        }
        r = calloc(1, sizeof(*r));
        if (!r || !(r->path = str_ndup(path, n))) {
                free(r);
                close(fd);
                return -ENOMEM;
        }
        r->fd = fd;
        r->is_host = strcmp(r->path, "/") == 0;
        *ret = r;
        return 0;
}

void rootfs_free(rootfs_t *r)
{
        if (!r)
                return;
        if (r->fd >= 0)
                close(r->fd);
        free(r->path);
        free(r);
}

static int do_openat2(int dirfd, const char *path, int flags, unsigned long long resolve)
{
        struct open_how how = {
                .flags = (unsigned long long)(flags | O_CLOEXEC),
                .resolve = resolve,
        };
        long fd;

        if (flags & O_CREAT)
                return -EINVAL;
        do
                fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        while (fd < 0 && errno == EINTR);
        return fd < 0 ? -errno : (int)fd;
}

int rootfs_openat(const rootfs_t *r, const char *path, int flags)
{
        while (*path == '/')
                path++;
        if (!*path)
                path = ".";
        /* On the host the root is "/" itself, so plain resolution is the same
         * thing; only refuse magic links. */
        return do_openat2(r->fd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

int rootfs_openat_dir(const rootfs_t *r, int dirfd, const char *path, int flags)
{
        /* RESOLVE_BENEATH keeps relative resolution below DIRFD; the walkers
         * that use this never need "..", and absolute symlinks are refused
         * rather than resolved against the wrong root. */
        (void)r;
        return do_openat2(dirfd, path, flags, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
}

int rootfs_stat(const rootfs_t *r, const char *path, bool follow, struct stat *ret)
{
        int fd = rootfs_openat(r, path, O_PATH | (follow ? 0 : O_NOFOLLOW));
        int rc = 0;

        if (fd < 0)
                return fd;
        if (fstat(fd, ret) < 0)
                rc = -errno;
        close(fd);
        return rc;
}

int rootfs_read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
        struct stat st;
        size_t cap, len = 0;
        char *data;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if ((unsigned long long)st.st_size > max)
                return -EFBIG;
        /* The size may change while we read; read until EOF but never past
         * MAX, so a growing file is still capped. */
        cap = (size_t)st.st_size + 1;
        data = malloc(cap + 1);
        if (!data)
                return -ENOMEM;
        for (;;) {
                ssize_t n;
                if (len == cap) {
                        char *p;
                        if (cap > max) {
                                free(data);
                                return -EFBIG;
                        }
                        cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
                        p = realloc(data, cap + 1);
                        if (!p) {
                                free(data);
                                return -ENOMEM;
                        }
                        data = p;
                }
                n = read(fd, data + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        free(data);
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        if (len > max) {
                free(data);
                return -EFBIG;
        }
        data[len] = 0;
        *ret = data;
        if (ret_len)
                *ret_len = len;
        return 0;
}

int rootfs_read_file(const rootfs_t *r, const char *path, size_t max, char **ret, size_t *ret_len)
{
        int fd = rootfs_openat(r, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        int rc;

        if (fd < 0)
                return fd;
        rc = rootfs_read_fd(fd, max, ret, ret_len);
        close(fd);
        return rc;
}

char *rootfs_display_path(const rootfs_t *r, const char *path)
{
        if (r->is_host)
                return str_printf("%s%s", path[0] == '/' ? "" : "/", path);
        return str_printf("%s%s%s", r->path, path[0] == '/' ? "" : "/", path);
}
