#include "scan/process/pkgowner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/macro.h"
#include "core/text.h"

typedef struct want {
        const char *path; /* as looked up (or its other spelling) */
        size_t idx;       /* which input it answers */
} want_t;

static int cmp_want(const void *a, const void *b)
{
        return strcmp(((const want_t *)a)->path, ((const want_t *)b)->path);
}

/* The merged-/usr twin of P ("/bin/x" <-> "/usr/bin/x"), or NULL. */
static char *twin(const char *p)
{
        static const char *const dirs[] = { "/bin/", "/sbin/", "/lib/", "/lib64/", "/lib32/" };

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                if (str_startswith(p, dirs[i]))
                        return str_printf("/usr%s", p);
                if (str_startswith(p, "/usr") && str_startswith(p + 4, dirs[i]))
                        return strdup(p + 4);
        }
        return NULL;
}

int pkgowner_dpkg(const rootfs_t *root, const char *const *paths, size_t n, char **ret_pkgs)
{
        _cleanup_free_ want_t *wants = NULL;
        _cleanup_(strv_clear) strv_t twins = { 0 };
        size_t nw = 0;
        struct dirent *de;
        DIR *d;
        int fd, r = 0;

        for (size_t i = 0; i < n; i++)
                ret_pkgs[i] = NULL;
        if (n == 0)
                return 0;
        fd = rootfs_openat(root, "/var/lib/dpkg/info", O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return fd == -ENOMEM ? fd : -ENODATA;
        wants = malloc(2 * n * sizeof(*wants));
        if (!wants) {
                close(fd);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                char *t = twin(paths[i]);
                wants[nw++] = (want_t){ paths[i], i };
                if (t) {
                        if (strv_push_take(&twins, t) < 0) {
                                close(fd);
                                return -ENOMEM;
                        }
                        wants[nw++] = (want_t){ twins.v[twins.n - 1], i };
                }
        }
        qsort(wants, nw, sizeof(*wants), cmp_want);

        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -ENOMEM;
        }
        while ((de = readdir(d)) && r == 0) {
                _cleanup_free_ char *data = NULL, *pkg = NULL;
                size_t len, pos = 0, nl = strlen(de->d_name);
                int lfd;

                if (nl < 6 || !str_endswith(de->d_name, ".list") || de->d_name[0] == '.')
                        continue;
                lfd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
                if (lfd < 0)
                        continue;
                r = rootfs_read_fd(lfd, PKGOWNER_MAX_LIST, &data, &len);
                close(lfd);
                if (r == -ENOMEM)
                        break;
                r = 0;
                if (!data)
                        continue;
                while (pos < len) {
                        char *end = memchr(data + pos, '\n', len - pos);
                        size_t ll = end ? (size_t)(end - (data + pos)) : len - pos;
                        want_t key, *hit;

                        data[pos + ll] = 0;
                        key.path = data + pos;
                        hit = bsearch(&key, wants, nw, sizeof(*wants), cmp_want);
                        if (hit && !pkg) {
                                char *colon;
                                pkg = str_ndup(de->d_name, nl - 5);
                                if (!pkg) {
                                        r = -ENOMEM;
                                        break;
                                }
                                /* "name:arch.list" for multi-arch packages */
                                if ((colon = strchr(pkg, ':')))
                                        *colon = 0;
                        }
                        /* Several inputs may share a spelling: answer all. */
                        while (hit && hit > wants && strcmp(hit[-1].path, key.path) == 0)
                                hit--;
                        for (; hit && hit < wants + nw && strcmp(hit->path, key.path) == 0; hit++)
                                if (!ret_pkgs[hit->idx] && !(ret_pkgs[hit->idx] = strdup(pkg))) {
                                        r = -ENOMEM;
                                        break;
                                }
                        if (r < 0)
                                break;
                        pos += ll + 1;
                }
        }
        closedir(d);
        if (r < 0)
                for (size_t i = 0; i < n; i++) {
                        free(ret_pkgs[i]);
                        ret_pkgs[i] = NULL;
                }
        return r;
}
