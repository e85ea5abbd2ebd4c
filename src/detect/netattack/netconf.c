#include "detect/netattack/netconf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "core/text.h"

static int fail(char **ret_error, const char *path, const char *what)
{
        if (ret_error) {
                *ret_error = str_printf("%s: %s", path, what);
                if (!*ret_error)
                        return -ENOMEM;
        }
        return -EINVAL;
}

static int range_fail(char **ret_error, const char *path, uint64_t min, uint64_t max)
{
        _cleanup_free_ char *what =
                str_printf("must be between %" PRIu64 " and %" PRIu64, min, max);

        if (!what)
                return -ENOMEM;
        return fail(ret_error, path, what);
}

int netconf_bool(const config_t *c, const char *path, bool def, bool *ret, char **ret_error)
{
        json_t *v = config_get(c, path);

        if (!v || json_is_null(v)) {
                *ret = def;
                return 0;
        }
        if (!json_is_boolean(v))
                return fail(ret_error, path, "expected true or false");
        *ret = json_is_true(v);
        return 0;
}

int netconf_uint(const config_t *c, const char *path, uint64_t def, uint64_t min, uint64_t max,
                 uint64_t *ret, char **ret_error)
{
        json_t *v = config_get(c, path);
        uint64_t x;

        if (!v || json_is_null(v)) {
                *ret = def;
                return 0;
        }
        if (!json_is_integer(v) || json_integer_value(v) < 0)
                return fail(ret_error, path, "expected a whole number of 0 or more");
        x = (uint64_t)json_integer_value(v);
        if (x < min || x > max)
                return range_fail(ret_error, path, min, max);
        *ret = x;
        return 0;
}

int netconf_parse_seconds(const char *s, uint64_t *ret)
{
        uint64_t v = 0, mult = 1;
        const char *p = s;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                if (v > (UINT64_MAX - 9) / 10)
                        return -EINVAL;
                v = v * 10 + (uint64_t)(*p - '0');
        }
        switch (*p) {
        case 0:
        case 's':
                break;
        case 'm':
                mult = 60;
                break;
        case 'h':
                mult = 3600;
                break;
        case 'd':
                mult = 86400;
                break;
        default:
                return -EINVAL;
        }
        if (*p && p[1])
                return -EINVAL;
        if (v > UINT64_MAX / mult)
                return -EINVAL;
        *ret = v * mult;
        return 0;
}

int netconf_seconds(const config_t *c, const char *path, uint64_t def, uint64_t min, uint64_t max,
                    uint64_t *ret, char **ret_error)
{
        json_t *v = config_get(c, path);
        uint64_t x;

        if (!v || json_is_null(v)) {
                *ret = def;
                return 0;
        }
        if (json_is_integer(v) && json_integer_value(v) >= 0)
                x = (uint64_t)json_integer_value(v);
        else if (!json_is_string(v) || netconf_parse_seconds(json_string_value(v), &x) < 0)
                return fail(ret_error, path,
                            "expected a duration in seconds, or with a unit: 90s, 10m, 12h, 1d");
        if (x < min || x > max)
                return range_fail(ret_error, path, min, max);
        *ret = x;
        return 0;
}

int netconf_size(const config_t *c, const char *path, uint64_t def, uint64_t min, uint64_t max,
                 uint64_t *ret, char **ret_error)
{
        unsigned long long x;
        int r;

        r = config_get_size(c, path, &x);
        if (r == -ENOENT || (r < 0 && json_is_null(config_get(c, path)))) {
                *ret = def;
                return 0;
        }
        if (r < 0)
                return fail(ret_error, path, "expected a size in bytes, e.g. 4194304 or \"4MiB\"");
        if (x < min || x > max)
                return range_fail(ret_error, path, min, max);
        *ret = x;
        return 0;
}

int netconf_str(const config_t *c, const char *path, const char *def, const char **ret,
                char **ret_error)
{
        json_t *v = config_get(c, path);

        if (!v || json_is_null(v)) {
                *ret = def;
                return 0;
        }
        if (!json_is_string(v))
                return fail(ret_error, path, "expected a string");
        *ret = json_string_value(v);
        return 0;
}

static int push_net(ipnet_t **v, size_t *n, const char *s, const char *path, char **ret_error)
{
        ipnet_t net, *nv;

        if (*n >= NETCONF_MAX_NETS)
                return fail(ret_error, path, "too many entries (at most 4096)");
        if (ipnet_parse(s, &net) < 0) {
                _cleanup_free_ char *what = str_printf("not an address or network: \"%.100s\"", s);
                if (!what)
                        return -ENOMEM;
                return fail(ret_error, path, what);
        }
        nv = reallocarray(*v, *n + 1, sizeof(*nv));
        if (!nv)
                return -ENOMEM;
        *v = nv;
        (*v)[(*n)++] = net;
        return 0;
}

int netconf_nets(const config_t *c, const char *path, const char *const *def, ipnet_t **ret,
                 size_t *ret_n, char **ret_error)
{
        json_t *v = config_get(c, path), *e;
        _cleanup_free_ ipnet_t *nets = NULL;
        size_t n = 0, i;
        int r;

        if (!v || json_is_null(v)) {
                for (i = 0; def && def[i]; i++)
                        if ((r = push_net(&nets, &n, def[i], path, ret_error)) < 0)
                                return r;
        } else if (json_is_string(v)) {
                if ((r = push_net(&nets, &n, json_string_value(v), path, ret_error)) < 0)
                        return r;
        } else if (json_is_array(v)) {
                json_array_foreach (v, i, e) {
                        if (!json_is_string(e))
                                return fail(ret_error, path,
                                            "expected a list of addresses or networks");
                        if ((r = push_net(&nets, &n, json_string_value(e), path, ret_error)) < 0)
                                return r;
                }
        } else
                return fail(ret_error, path, "expected a list of addresses or networks");
        *ret = n ? TAKE_PTR(nets) : NULL;
        *ret_n = n;
        return 0;
}
