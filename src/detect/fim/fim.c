#include "detect/fim/fim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/store.h"
#include "core/text.h"

#define DEFAULT_MAX_FILE_SIZE (1 * GiB)
#define DEFAULT_MAX_HASH_SECS 120
#define DEFAULT_REHASH_DAYS   7
#define DEFAULT_PERIODIC_SECS 600
#define DEFAULT_PM_GRACE_SECS 3600

static int key_error(char **ret_error, const char *key, const char *what)
{
        *ret_error = str_printf("fim.%s: %s", key, what);
        return *ret_error ? -EINVAL : -ENOMEM;
}

static int get_int(const config_t *config, const char *key, long long def, long long min,
                   long long max, long long *ret, char **ret_error)
{
        char path[64];
        json_t *v;

        snprintf(path, sizeof(path), "fim.%s", key);
        v = config ? config_get(config, path) : NULL;
        if (!v) {
                *ret = def;
                return 0;
        }
        if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
                _cleanup_free_ char *msg =
                        str_printf("must be a whole number from %lld to %lld", min, max);
                return key_error(ret_error, key, msg ? msg : "bad value");
        }
        *ret = json_integer_value(v);
        return 0;
}

static int get_bool(const config_t *config, const char *key, bool def, bool *ret, char **ret_error)
{
        char path[64];
        json_t *v;

        snprintf(path, sizeof(path), "fim.%s", key);
        v = config ? config_get(config, path) : NULL;
        if (!v) {
                *ret = def;
                return 0;
        }
        if (!json_is_boolean(v))
                return key_error(ret_error, key, "must be true or false");
        *ret = json_is_true(v);
        return 0;
}

static int get_patterns(const config_t *config, const char *key, fim_config_t *c, bool exclude,
                        char **ret_error)
{
        _cleanup_(strv_clear) strv_t v = { 0 };
        char path[64];
        int r;

        snprintf(path, sizeof(path), "fim.%s", key);
        if (!config)
                return 0;
        r = config_get_strv(config, path, &v);
        if (r == -ENOENT)
                return 0;
        if (r == -EINVAL)
                return key_error(ret_error, key, "must be a list of paths");
        if (r < 0)
                return r;
        for (size_t i = 0; i < v.n; i++) {
                r = exclude ? fimpolicy_add_exclude(&c->policy, v.v[i])
                            : fimpolicy_add(&c->policy, v.v[i]);
                if (r == -EINVAL) {
                        _cleanup_free_ char *msg =
                                str_printf("'%s' is not a usable pattern (absolute, or "
                                           "starting with ~/, without . or .. parts)",
                                           v.v[i]);
                        return key_error(ret_error, key, msg ? msg : "bad pattern");
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

int fim_config_load(const config_t *config, fim_config_t *ret, char **ret_error)
{
        fim_config_t c = { 0 };
        unsigned long long size = DEFAULT_MAX_FILE_SIZE;
        long long v;
        bool defaults = true;
        int r;

        *ret_error = NULL;
        if ((r = get_bool(config, "default_paths", true, &defaults, ret_error)) < 0)
                goto fail;
        if (defaults && (r = fimpolicy_add_defaults(&c.policy)) < 0)
                goto fail;
        if ((r = get_patterns(config, "paths", &c, false, ret_error)) < 0 ||
            (r = get_patterns(config, "exclude", &c, true, ret_error)) < 0)
                goto fail;
        if (c.policy.n_include == 0 && c.policy.home.n == 0) {
                r = key_error(ret_error, "paths",
                              "nothing to watch: fim.default_paths is false and fim.paths is "
                              "empty");
                goto fail;
        }
        if (config && config_get(config, "fim.max_file_size")) {
                r = config_get_size(config, "fim.max_file_size", &size);
                if (r < 0) {
                        r = key_error(ret_error, "max_file_size",
                                      "must be a size such as 512MiB or a number of bytes");
                        goto fail;
                }
        }
        c.max_file_size = size;
        if ((r = get_int(config, "max_hash_seconds", DEFAULT_MAX_HASH_SECS, 0, 86400, &v,
                         ret_error)) < 0)
                goto fail;
        c.max_hash_time_us = v * 1000000;
        if ((r = get_int(config, "rehash_days", DEFAULT_REHASH_DAYS, 0, 3650, &v, ret_error)) < 0)
                goto fail;
        c.rehash_interval = v * 86400;
        if ((r = get_bool(config, "verify_packages", true, &c.verify_packages, ret_error)) < 0 ||
            (r = get_bool(config, "fanotify", true, &c.fanotify, ret_error)) < 0)
                goto fail;
        if ((r = get_int(config, "threads", 0, 0, 1024, &v, ret_error)) < 0)
                goto fail;
        c.threads = (unsigned)v;
        if ((r = get_int(config, "max_watches", 0, 0, 1LL << 30, &c.max_watches, ret_error)) < 0)
                goto fail;
        if ((r = get_int(config, "periodic_seconds", DEFAULT_PERIODIC_SECS, 1, 7 * 86400, &v,
                         ret_error)) < 0)
                goto fail;
        c.periodic_interval = v;
        if ((r = get_int(config, "package_manager_grace", DEFAULT_PM_GRACE_SECS, 0, 7 * 86400, &v,
                         ret_error)) < 0)
                goto fail;
        c.pm_grace = v;
        *ret = c;
        return 0;
fail:
        fim_config_clear(&c);
        return r;
}

void fim_config_clear(fim_config_t *c)
{
        fimpolicy_clear(&c->policy);
}

char *fim_db_path(const char *state_dir)
{
        return str_printf("%s/%s", state_dir, FIMDB_FILE);
}

int fim_db_open(const char *state_dir, bool create, fimdb_t **ret, char **ret_error)
{
        _cleanup_free_ char *path = fim_db_path(state_dir);
        int r;

        *ret_error = NULL;
        if (!path)
                return -ENOMEM;
        if (create && (r = store_mkdir_p(state_dir)) < 0) {
                *ret_error = str_printf("cannot create the state directory %s: %s", state_dir,
                                        strerror(-r));
                return r;
        }
        return fimdb_open(path, create, ret, ret_error);
}

int fim_status(const char *state_dir, json_t **ret, char **ret_error)
{
        _cleanup_fimdb_ fimdb_t *db = NULL;
        _cleanup_free_ char *path = fim_db_path(state_dir), *root = NULL;
        json_t *o;
        int64_t n, v;
        int r;

        *ret_error = NULL;
        if (!path || !(o = json_object()))
                return -ENOMEM;
        json_object_set_new(o, "store", json_string(path));
        if (access(path, F_OK) < 0) {
                json_object_set_new(o, "exists", json_false());
                *ret = o;
                return 0;
        }
        r = fimdb_open(path, false, &db, ret_error);
        if (r < 0) {
                json_decref(o);
                return r;
        }
        json_object_set_new(o, "exists", json_true());
        if (fimdb_meta_get(db, FIMDB_META_ROOT, &root) == 0)
                json_object_set_new(o, "root", json_string(root));
        if (fimdb_count(db, &n) == 0)
                json_object_set_new(o, "files", json_integer(n));
        if (fimdb_meta_get_int(db, FIMDB_META_CREATED, &v) == 0)
                json_object_set_new(o, "created_at", json_integer(v));
        if (fimdb_meta_get_int(db, FIMDB_META_UPDATED, &v) == 0)
                json_object_set_new(o, "updated_at", json_integer(v));
        if (fimdb_meta_get_int(db, FIMDB_META_CHECKED, &v) == 0)
                json_object_set_new(o, "checked_at", json_integer(v));
        {
                static const char *const keys[] = { FIMDB_META_INCLUDE, FIMDB_META_EXCLUDE,
                                                    FIMDB_META_WATCH };
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        _cleanup_free_ char *s = NULL;
                        json_t *j;
                        if (fimdb_meta_get(db, keys[i], &s) < 0)
                                continue;
                        j = json_loads(s, 0, NULL);
                        if (j && (json_is_array(j) || json_is_object(j)))
                                json_object_set_new(o, keys[i], j);
                        else
                                json_decref(j);
                }
        }
        *ret = o;
        return 0;
}
