#include "inventory/apps/npm.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"

/* npm refuses package names longer than 214 bytes. */
#define NPM_NAME_MAX 214
/* Version strings longer than this are not versions. */
#define NPM_VERSION_MAX 256
/* Lockfile v1 nests "dependencies" once per node_modules level; real trees
 * are a handful of levels deep. */
#define NPM_NEST_MAX 64

struct npm_ctx {
        const char *location;
        const char *manifest;
        pkg_list_t *out;
        appnote_t *notes;
};

static bool clean_text(const char *s, size_t max)
{
        size_t n = 0;

        if (!s || !*s)
                return false;
        for (; *s; s++, n++)
                if (n >= max || (unsigned char)*s < 0x20 || *s == 0x7f)
                        return false;
        return true;
}

/* A version the registry could have served: "1.2.3", "2.0.0-beta.1". Specs
 * that point elsewhere ("file:../x", "git+https://host/repo#sha",
 * "github:user/repo", "link:../y") are not versions. */
static bool registry_version(const char *v)
{
        return clean_text(v, NPM_VERSION_MAX) && !strchr(v, ':') && !strchr(v, '/') &&
               !strchr(v, ' ');
}

static int add(struct npm_ctx *c, const char *name, const char *version, const char *what)
{
        if (!clean_text(name, NPM_NAME_MAX)) {
                appnote_warn(c->notes, c->location, "%s: package name missing or not usable", what);
                return 0;
        }
        if (!registry_version(version))
                return 0;
        return pkg_list_add(c->out, PKG_NPM, name, NULL, version, NULL, NULL, c->location,
                            c->manifest);
}

static int load(const char *data, size_t len, const char *location, appnote_t *notes, json_t **ret)
{
        json_error_t err;
        json_t *j;

        j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
        if (!j) {
                _cleanup_free_ char *src = str_printf("%s:%d", location, err.line);
                appnote_warn(notes, src ? src : location, "not valid JSON: %s", err.text);
                return -EBADMSG;
        }
        if (!json_is_object(j)) {
                json_decref(j);
                appnote_warn(notes, location, "not a JSON object");
                return -EBADMSG;
        }
        *ret = j;
        return 0;
}

/* Lockfile v1: {"dependencies": {name: {"version", "dependencies": {...}}}}. */
static int parse_v1(struct npm_ctx *c, json_t *deps, unsigned depth)
{
        const char *key;
        json_t *val;

        if (depth > NPM_NEST_MAX) {
                appnote_warn(c->notes, c->location,
                             "dependencies nested deeper than %d levels not read", NPM_NEST_MAX);
                return 0;
        }
        json_object_foreach (deps, key, val) {
                const char *version;
                json_t *sub;
                int r;

                if (!json_is_object(val)) {
                        appnote_warn(c->notes, c->location, "dependency \"%s\" is not an object",
                                     key);
                        continue;
                }
                version = json_string_value(json_object_get(val, "version"));
                if (version && str_startswith(version, "npm:")) {
                        /* An alias: "npm:real-name@1.2.3"; the name may be
                         * scoped and so start with "@". */
                        const char *spec = version + 4, *at = strrchr(spec, '@');
                        _cleanup_free_ char *real = NULL;

                        if (!at || at == spec) {
                                appnote_warn(c->notes, c->location,
                                             "dependency \"%s\": alias without a version", key);
                        } else {
                                real = str_ndup(spec, (size_t)(at - spec));
                                if (!real)
                                        return -ENOMEM;
                                r = add(c, real, at + 1, key);
                                if (r < 0)
                                        return r;
                        }
                } else if (version) {
                        r = add(c, key, version, key);
                        if (r < 0)
                                return r;
                } else {
                        appnote_warn(c->notes, c->location, "dependency \"%s\" has no version",
                                     key);
                }
                sub = json_object_get(val, "dependencies");
                if (json_is_object(sub)) {
                        r = parse_v1(c, sub, depth + 1);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* The package name a "packages" key gives: what follows its last
 * "node_modules/" component; NULL for keys outside node_modules (the root
 * "" and workspace folders). */
static const char *key_name(const char *key)
{
        const char *best = NULL;

        for (const char *p = key; (p = strstr(p, "node_modules/")); p++)
                if (p == key || p[-1] == '/')
                        best = p + STRLEN("node_modules/");
        return best && *best ? best : NULL;
}

/* Lockfile v2 and v3: {"packages": {"node_modules/a": {"version"}, ...}}. */
static int parse_packages(struct npm_ctx *c, json_t *packages)
{
        const char *key;
        json_t *val;

        json_object_foreach (packages, key, val) {
                const char *name, *version;
                int r;

                if (!json_is_object(val)) {
                        appnote_warn(c->notes, c->location, "package \"%s\" is not an object", key);
                        continue;
                }
                if (json_is_true(json_object_get(val, "link")))
                        continue;
                name = key_name(key);
                if (!name)
                        continue;
                /* An alias installs "lodash" under node_modules/my-lodash;
                 * "name" then says what it really is. */
                if (json_is_string(json_object_get(val, "name")))
                        name = json_string_value(json_object_get(val, "name"));
                version = json_string_value(json_object_get(val, "version"));
                if (!version) {
                        appnote_warn(c->notes, c->location, "package \"%s\" has no version", key);
                        continue;
                }
                r = add(c, name, version, key);
                if (r < 0)
                        return r;
        }
        return 0;
}

int npm_parse_lock(const char *data, size_t len, const char *location, const char *manifest,
                   pkg_list_t *out, appnote_t *notes)
{
        struct npm_ctx c = { location, manifest, out, notes };
        json_t *j = NULL, *packages, *deps;
        int r;

        r = load(data, len, location, notes, &j);
        if (r < 0)
                return r;
        packages = json_object_get(j, "packages");
        deps = json_object_get(j, "dependencies");
        /* v2 carries both forms of the same tree; "packages" is the full
         * one, so "dependencies" is read only without it. */
        if (json_is_object(packages))
                r = parse_packages(&c, packages);
        else if (json_is_object(deps))
                r = parse_v1(&c, deps, 0);
        else if (!json_object_get(j, "lockfileVersion")) {
                appnote_warn(notes, location, "not an npm lock file");
                r = -EBADMSG;
        }
        json_decref(j);
        return r;
}

int npm_parse_package(const char *data, size_t len, const char *location, const char *manifest,
                      const char *fallback_name, pkg_list_t *out, appnote_t *notes)
{
        struct npm_ctx c = { location, manifest, out, notes };
        const char *name, *version;
        json_t *j = NULL;
        int r;

        r = load(data, len, location, notes, &j);
        if (r < 0)
                return r;
        name = json_string_value(json_object_get(j, "name"));
        if (!name)
                name = fallback_name;
        version = json_string_value(json_object_get(j, "version"));
        if (!version) {
                appnote_warn(notes, location, "package.json has no version");
                r = -EBADMSG;
        } else
                r = add(&c, name, version, "package.json");
        json_decref(j);
        return r;
}
