#include "scan/baseline/sysctlcfg.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/text.h"

static const char *const conf_dirs[] = {
        "/etc/sysctl.d",     "/run/sysctl.d", "/usr/local/lib/sysctl.d",
        "/usr/lib/sysctl.d", "/lib/sysctl.d",
};

void sysctlcfg_clear(sysctlcfg_t *c)
{
        for (size_t i = 0; i < c->n; i++) {
                free(c->v[i].key);
                free(c->v[i].value);
                free(c->v[i].source);
        }
        free(c->v);
        memset(c, 0, sizeof(*c));
}

/* Normalise KEY to the dotted form in a new string; NULL when malformed. */
static char *norm_key(const char *key, size_t n)
{
        char *k;

        if (n == 0 || n > 256)
                return NULL;
        if (!(k = str_ndup(key, n)))
                return NULL;
        for (char *p = k; *p; p++) {
                if (*p == '/')
                        *p = '.';
                else if (!isalnum((unsigned char)*p) && !strchr("._-", *p)) {
                        free(k);
                        return NULL;
                }
        }
        if (k[0] == '.' || strstr(k, "..")) {
                free(k);
                return NULL;
        }
        return k;
}

/* Collapse runs of blanks to one space and trim, in place. */
static char *norm_value(char *v)
{
        char *w = v;
        bool space = false;

        for (char *r = v; *r; r++) {
                if (*r == ' ' || *r == '\t') {
                        space = w != v;
                        continue;
                }
                if (space)
                        *w++ = ' ';
                space = false;
                *w++ = *r;
        }
        *w = 0;
        return v;
}

static int set_value(sysctlcfg_t *c, char *key, char *value, char *source)
{
        for (size_t i = 0; i < c->n; i++)
                if (strcmp(c->v[i].key, key) == 0) {
                        free(key);
                        free(c->v[i].value);
                        free(c->v[i].source);
                        c->v[i].value = value;
                        c->v[i].source = source;
                        return 0;
                }
        if (c->n == c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 64;
                sysctlcfg_entry_t *v = realloc(c->v, cap * sizeof(*v));
                if (!v) {
                        free(key);
                        free(value);
                        free(source);
                        return -ENOMEM;
                }
                c->v = v;
                c->cap = cap;
        }
        c->v[c->n++] = (sysctlcfg_entry_t){ key, value, source };
        return 0;
}

static int load_file(const rootfs_t *root, sysctlcfg_t *c, const char *path)
{
        _cleanup_free_ char *data = NULL;
        size_t len, pos = 0;
        unsigned lineno = 0;
        int r = rootfs_read_file(root, path, SYSCTLCFG_MAX_FILE, &data, &len);

        if (r < 0)
                return r == -ENOMEM ? r : 0; /* unreadable files set nothing */
        while (pos < len) {
                char *line = data + pos, *nl = memchr(line, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - line) : len - pos;
                char *eq, *k, *v, *src;
                char *key, *value;

                pos += n + 1;
                lineno++;
                line[n] = 0;
                if (strlen(line) != n)
                        continue; /* a NUL byte: not a config line */
                k = str_strip(line);
                if (!*k || *k == '#' || *k == ';')
                        continue;
                if (*k == '-') /* "ignore errors" prefix */
                        k++;
                if (!(eq = strchr(k, '=')))
                        continue;
                *eq = 0;
                v = str_strip(eq + 1);
                k = str_strip(k);
                if (!(key = norm_key(k, strlen(k))))
                        continue;
                value = strdup(norm_value(v));
                src = str_printf("%s:%u", path, lineno);
                if (!value || !src) {
                        free(key);
                        free(value);
                        free(src);
                        return -ENOMEM;
                }
                if ((r = set_value(c, key, value, src)) < 0)
                        return r;
        }
        return 0;
}

static int cmp_base(const void *a, const void *b)
{
        const char *x = strrchr(*(char *const *)a, '/'), *y = strrchr(*(char *const *)b, '/');
        return strcmp(x, y);
}

static int load_all(const rootfs_t *root, sysctlcfg_t *c)
{
        _cleanup_(strv_clear) strv_t files = { 0 };
        int r;

        for (size_t d = 0; d < ELEMENTSOF(conf_dirs); d++) {
                int fd = rootfs_openat(root, conf_dirs[d], O_RDONLY | O_DIRECTORY);
                DIR *dir;
                if (fd < 0)
                        continue;
                if (!(dir = fdopendir(fd))) {
                        close(fd);
                        return -ENOMEM;
                }
                for (struct dirent *de; (de = readdir(dir));) {
                        bool hidden = false;
                        char *p;
                        if (!str_endswith(de->d_name, ".conf") || de->d_name[0] == '.')
                                continue;
                        /* The same file name in an earlier directory wins. */
                        for (size_t i = 0; i < files.n; i++)
                                if (strcmp(strrchr(files.v[i], '/') + 1, de->d_name) == 0)
                                        hidden = true;
                        if (hidden || files.n >= SYSCTLCFG_MAX_FILES)
                                continue;
                        p = str_printf("%s/%s", conf_dirs[d], de->d_name);
                        if (!p || strv_push_take(&files, p) < 0) {
                                closedir(dir);
                                return -ENOMEM;
                        }
                }
                closedir(dir);
        }
        if (files.n)
                qsort(files.v, files.n, sizeof(char *), cmp_base);
        for (size_t i = 0; i < files.n; i++)
                if ((r = load_file(root, c, files.v[i])) < 0)
                        return r;
        if ((r = load_file(root, c, "/etc/sysctl.conf")) < 0)
                return r;
        c->loaded = true;
        return 0;
}

int sysctlcfg_get(const rootfs_t *root, sysctlcfg_t *cache, const char *key, char **ret_value,
                  char **ret_source)
{
        _cleanup_free_ char *k = norm_key(key, strlen(key));
        int r;

        if (!k)
                return -EINVAL;
        if (root->is_host) {
                _cleanup_free_ char *path = str_printf("/proc/sys/%s", k), *data = NULL;
                size_t len;
                char *nl;
                if (!path)
                        return -ENOMEM;
                for (char *p = path + 10; *p; p++)
                        if (*p == '.')
                                *p = '/';
                r = rootfs_read_file(root, path, 64 * KiB, &data, &len);
                if (r < 0)
                        return r == -ENOMEM ? r : -ENOENT;
                if ((nl = strchr(data, '\n')))
                        *nl = 0;
                *ret_value = strdup(norm_value(data));
                *ret_source = TAKE_PTR(path);
                if (!*ret_value) {
                        free(*ret_source);
                        return -ENOMEM;
                }
                return 0;
        }
        if (!cache->loaded && (r = load_all(root, cache)) < 0)
                return r;
        for (size_t i = 0; i < cache->n; i++)
                if (strcmp(cache->v[i].key, k) == 0) {
                        *ret_value = strdup(cache->v[i].value);
                        *ret_source = strdup(cache->v[i].source);
                        if (!*ret_value || !*ret_source) {
                                free(*ret_value);
                                free(*ret_source);
                                return -ENOMEM;
                        }
                        return 0;
                }
        return -ENOENT;
}
