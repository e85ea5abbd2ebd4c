#include "inventory/apps/composer.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/text.h"

/* Package names ("vendor/name") and versions longer than this are not what
 * Packagist accepts. */
#define COMPOSER_FIELD_MAX 256

static bool usable(const char *s)
{
        size_t n = 0;

        if (!s || !*s)
                return false;
        for (; *s; s++, n++)
                if (n >= COMPOSER_FIELD_MAX || (unsigned char)*s < 0x20 || *s == 0x7f)
                        return false;
        return true;
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
        *ret = j;
        return 0;
}

/* Add every package of the array ARR (named WHAT in notes). */
static int add_array(json_t *arr, const char *what, const char *location, const char *manifest,
                     pkg_list_t *out, appnote_t *notes)
{
        size_t i;
        json_t *p;

        json_array_foreach (arr, i, p) {
                const char *name, *version;
                int r;

                if (!json_is_object(p)) {
                        appnote_warn(notes, location, "%s[%zu] is not an object", what, i);
                        continue;
                }
                name = json_string_value(json_object_get(p, "name"));
                version = json_string_value(json_object_get(p, "version"));
                if (!usable(name) || !usable(version)) {
                        appnote_warn(notes, location, "%s[%zu] has no usable name or version", what,
                                     i);
                        continue;
                }
                r = pkg_list_add(out, PKG_COMPOSER, name, NULL, version, NULL, NULL, location,
                                 manifest);
                if (r < 0)
                        return r;
        }
        return 0;
}

int composer_parse_lock(const char *data, size_t len, const char *location, const char *manifest,
                        pkg_list_t *out, appnote_t *notes)
{
        json_t *j = NULL, *pk, *dev;
        int r;

        r = load(data, len, location, notes, &j);
        if (r < 0)
                return r;
        pk = json_object_get(j, "packages");
        dev = json_object_get(j, "packages-dev");
        if (!json_is_object(j) || (!json_is_array(pk) && !json_is_array(dev))) {
                appnote_warn(notes, location, "not a composer.lock: no \"packages\" array");
                json_decref(j);
                return -EBADMSG;
        }
        r = add_array(pk, "packages", location, manifest, out, notes);
        if (r >= 0)
                r = add_array(dev, "packages-dev", location, manifest, out, notes);
        json_decref(j);
        return r;
}

int composer_parse_installed(const char *data, size_t len, const char *location,
                             const char *manifest, pkg_list_t *out, appnote_t *notes)
{
        json_t *j = NULL, *pk;
        int r;

        r = load(data, len, location, notes, &j);
        if (r < 0)
                return r;
        /* Composer 1: [ {...}, ... ]; Composer 2: {"packages": [...], ...}. */
        pk = json_is_array(j) ? j : json_object_get(j, "packages");
        if (!json_is_array(pk)) {
                appnote_warn(notes, location, "not a Composer installed.json");
                json_decref(j);
                return -EBADMSG;
        }
        r = add_array(pk, "packages", location, manifest, out, notes);
        json_decref(j);
        return r;
}
