#include "detect/fim/fimpath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/hash.h"
#include "core/text.h"
#include "detect/fim/fimtab.h"

struct dircache_slot {
        char *dir;   /* tidied directory as asked */
        char *canon; /* its canonical form */
};

struct fimpath {
        const rootfs_t *root;
        char *root_canon; /* the root's own path on the host, "" for "/" */
        struct dircache_slot *slots;
        size_t cap, n;
};

/* The host path of an open descriptor. */
static int fd_path(int fd, char **ret)
{
        char proc[64], buf[PATH_MAX + 1];
        ssize_t n;

        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        n = readlink(proc, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        if ((size_t)n >= sizeof(buf) - 1)
                return -ENAMETOOLONG;
        buf[n] = 0;
        if (buf[0] != '/' || str_endswith(buf, " (deleted)"))
                return -ENOENT;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

int fimpath_new(const rootfs_t *root, fimpath_t **ret)
{
        fimpath_t *c = calloc(1, sizeof(*c));
        int r;

        if (!c)
                return -ENOMEM;
        c->root = root;
        if (root->is_host)
                c->root_canon = strdup("");
        else if ((r = fd_path(root->fd, &c->root_canon)) < 0) {
                free(c);
                return r;
        } else if (strcmp(c->root_canon, "/") == 0)
                c->root_canon[0] = 0;
        if (!c->root_canon) {
                free(c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

void fimpath_free(fimpath_t *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->cap; i++) {
                free(c->slots[i].dir);
                free(c->slots[i].canon);
        }
        free(c->slots);
        free(c->root_canon);
        free(c);
}

int fimpath_tidy(const char *path, size_t n, char **ret)
{
        _cleanup_buf_ buf_t b;
        size_t i = 0;

        buf_init(&b, FIMTAB_PATH_MAX);
        while (i < n) {
                size_t j;
                while (i < n && path[i] == '/')
                        i++;
                if (i >= n)
                        break;
                for (j = i; j < n && path[j] != '/'; j++)
                        ;
                if (j - i == 1 && path[i] == '.') {
                        i = j;
                        continue;
                }
                if (j - i == 2 && path[i] == '.' && path[i + 1] == '.')
                        return -EINVAL;
                if (memchr(path + i, 0, j - i))
                        return -EINVAL;
                if (buf_append(&b, "/", 1) < 0 || buf_append(&b, path + i, j - i) < 0)
                        return -EINVAL;
                i = j;
        }
        if (b.len == 0 && buf_append(&b, "/", 1) < 0)
                return -ENOMEM;
        *ret = buf_take(&b);
        return *ret ? 0 : -ENOMEM;
}

static int cache_grow(fimpath_t *c)
{
        size_t cap = c->cap ? c->cap * 2 : 256;
        struct dircache_slot *old = c->slots, *v = calloc(cap, sizeof(*v));

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < c->cap; i++) {
                size_t j;
                if (!old[i].dir)
                        continue;
                j = (size_t)hash_fnv1a(old[i].dir, strlen(old[i].dir)) & (cap - 1);
                while (v[j].dir)
                        j = (j + 1) & (cap - 1);
                v[j] = old[i];
        }
        free(old);
        c->slots = v;
        c->cap = cap;
        return 0;
}

/* The canonical form of the tidied directory DIR (borrowed from the cache). */
static int canon_dir(fimpath_t *c, const char *dir, const char **ret)
{
        _cleanup_free_ char *host = NULL;
        char *canon = NULL, *key;
        size_t j;
        int fd, r;

        if (c->cap) {
                for (j = (size_t)hash_fnv1a(dir, strlen(dir)) & (c->cap - 1); c->slots[j].dir;
                     j = (j + 1) & (c->cap - 1))
                        if (strcmp(c->slots[j].dir, dir) == 0) {
                                *ret = c->slots[j].canon;
                                return 0;
                        }
        }
        fd = rootfs_openat(c->root, dir, O_PATH | O_DIRECTORY);
        if (fd >= 0) {
                r = fd_path(fd, &host);
                close(fd);
                if (r == -ENOMEM)
                        return r;
                if (r == 0) {
                        size_t rn = strlen(c->root_canon);
                        /* The descriptor is inside the root by construction;
                         * a path that does not start with the root's (a bind
                         * mount seen from elsewhere) is not trusted. */
                        if (strncmp(host, c->root_canon, rn) == 0 &&
                            (host[rn] == '/' || host[rn] == 0))
                                canon = strdup(host[rn] ? host + rn : "/");
                        else
                                canon = strdup(dir);
                }
        }
        if (!canon)
                canon = strdup(dir);
        if (!canon)
                return -ENOMEM;
        if ((c->n + 1) * 2 > c->cap && (r = cache_grow(c)) < 0) {
                free(canon);
                return r;
        }
        key = strdup(dir);
        if (!key) {
                free(canon);
                return -ENOMEM;
        }
        for (j = (size_t)hash_fnv1a(dir, strlen(dir)) & (c->cap - 1); c->slots[j].dir;
             j = (j + 1) & (c->cap - 1))
                ;
        c->slots[j].dir = key;
        c->slots[j].canon = canon;
        c->n++;
        *ret = canon;
        return 0;
}

int fimpath_canonical(fimpath_t *c, const char *path, char **ret)
{
        _cleanup_free_ char *tidy = NULL;
        const char *slash, *dir_canon;
        char *dir, *out;
        int r;

        if ((r = fimpath_tidy(path, strlen(path), &tidy)) < 0)
                return r;
        if (strcmp(tidy, "/") == 0) {
                *ret = TAKE_PTR(tidy);
                return 0;
        }
        slash = strrchr(tidy, '/');
        if (slash == tidy)
                dir = strdup("/");
        else
                dir = str_ndup(tidy, (size_t)(slash - tidy));
        if (!dir)
                return -ENOMEM;
        r = canon_dir(c, dir, &dir_canon);
        free(dir);
        if (r < 0)
                return r;
        out = str_printf("%s%s", strcmp(dir_canon, "/") == 0 ? "" : dir_canon, slash);
        if (!out)
                return -ENOMEM;
        if (strlen(out) > FIMTAB_PATH_MAX) {
                free(out);
                return -EINVAL;
        }
        *ret = out;
        return 0;
}
