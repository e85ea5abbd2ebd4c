#include "core/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/rootfs.h"
#include "core/yamljson.h"

config_t *config_new_empty(void)
{
        config_t *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->root = json_object();
        if (!c->root) {
                free(c);
                return NULL;
        }
        return c;
}

void config_free(config_t *c)
{
        if (!c)
                return;
        json_decref(c->root);
        free(c->path);
        free(c);
}

int config_load(const char *path, bool must_exist, config_t **ret, char **ret_error)
{
        _cleanup_free_ char *data = NULL;
        yamljson_error_t yerr;
        config_t *c;
        json_t *doc;
        size_t len;
        int fd, r;

        *ret_error = NULL;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
                r = -errno;
                if (r == -ENOENT && !must_exist) {
                        *ret = config_new_empty();
                        return *ret ? 0 : -ENOMEM;
                }
                *ret_error = str_printf("%s: %s", path, strerror(-r));
                return r;
        }
        r = rootfs_read_fd(fd, CONFIG_MAX_SIZE, &data, &len);
        close(fd);
        if (r < 0) {
                *ret_error = str_printf("%s: %s", path,
                                        r == -EFBIG    ? "file is larger than 4 MiB"
                                        : r == -EINVAL ? "not a regular file"
                                                       : strerror(-r));
                return r;
        }
        r = yamljson_parse(data, len, &doc, &yerr);
        if (r < 0) {
                *ret_error = r == -EINVAL ? str_printf("%s:%lu:%lu: %s", path, yerr.line,
                                                       yerr.column, yerr.message)
                                          : str_printf("%s: %s", path, strerror(-r));
                return r;
        }
        if (json_is_null(doc)) {
                json_decref(doc);
                doc = json_object();
        }
        if (!json_is_object(doc)) {
                json_decref(doc);
                *ret_error = str_printf("%s:1:1: the configuration must be a mapping", path);
                return -EINVAL;
        }
        c = calloc(1, sizeof(*c));
        if (!c || !(c->path = strdup(path))) {
                free(c);
                json_decref(doc);
                return -ENOMEM;
        }
        c->root = doc;
        *ret = c;
        return 0;
}

json_t *config_get(const config_t *c, const char *path)
{
        json_t *cur = c ? c->root : NULL;
        char key[128];

        while (cur && *path) {
                size_t n = strcspn(path, ".");
                if (n >= sizeof(key))
                        return NULL;
                memcpy(key, path, n);
                key[n] = 0;
                cur = json_object_get(cur, key);
                path += n;
                if (*path == '.')
                        path++;
        }
        return cur;
}

const char *config_get_str(const config_t *c, const char *path, const char *def)
{
        json_t *v = config_get(c, path);
        return json_is_string(v) ? json_string_value(v) : def;
}

long long config_get_int(const config_t *c, const char *path, long long def)
{
        json_t *v = config_get(c, path);
        return json_is_integer(v) ? (long long)json_integer_value(v) : def;
}

bool config_get_bool(const config_t *c, const char *path, bool def)
{
        json_t *v = config_get(c, path);
        return json_is_boolean(v) ? json_is_true(v) : def;
}

int config_get_strv(const config_t *c, const char *path, strv_t *ret)
{
        json_t *v = config_get(c, path), *e;
        size_t i;
        int r;

        if (!v || json_is_null(v))
                return -ENOENT;
        if (json_is_string(v))
                return strv_push(ret, json_string_value(v));
        if (!json_is_array(v))
                return -EINVAL;
        json_array_foreach (v, i, e) {
                if (!json_is_string(e))
                        return -EINVAL;
                if ((r = strv_push(ret, json_string_value(e))) < 0)
                        return r;
        }
        return 0;
}

int config_parse_size(const char *s, unsigned long long *ret)
{
        static const struct {
                const char *suffix;
                unsigned long long mult;
        } units[] = {
                { "", 1 },
                { "b", 1 },
                { "k", 1ULL << 10 },
                { "kb", 1ULL << 10 },
                { "kib", 1ULL << 10 },
                { "m", 1ULL << 20 },
                { "mb", 1ULL << 20 },
                { "mib", 1ULL << 20 },
                { "g", 1ULL << 30 },
                { "gb", 1ULL << 30 },
                { "gib", 1ULL << 30 },
        };
        unsigned long long v = 0;
        const char *p = s;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        while (*p >= '0' && *p <= '9') {
                if (v > (~0ULL - 9) / 10)
                        return -EINVAL;
                v = v * 10 + (unsigned)(*p++ - '0');
        }
        while (*p == ' ')
                p++;
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (strcasecmp(p, units[i].suffix) == 0) {
                        if (units[i].mult > 1 && v > ~0ULL / units[i].mult)
                                return -EINVAL;
                        *ret = v * units[i].mult;
                        return 0;
                }
        return -EINVAL;
}

int config_get_size(const config_t *c, const char *path, unsigned long long *ret)
{
        json_t *v = config_get(c, path);

        if (!v)
                return -ENOENT;
        if (json_is_integer(v) && json_integer_value(v) >= 0) {
                *ret = (unsigned long long)json_integer_value(v);
                return 0;
        }
        if (json_is_string(v))
                return config_parse_size(json_string_value(v), ret);
        return -EINVAL;
}
