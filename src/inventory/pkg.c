#include "inventory/pkg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[PKG_KIND__MAX] = {
        [PKG_DPKG] = "dpkg",         [PKG_RPM] = "rpm", [PKG_APK] = "apk",
        [PKG_MAVEN] = "maven",       [PKG_NPM] = "npm", [PKG_PYPI] = "pypi",
        [PKG_COMPOSER] = "composer",
};

const char *pkg_kind_name(pkg_kind_t kind)
{
        return kind < PKG_KIND__MAX ? kind_names[kind] : "unknown";
}

static void pkg_free_fields(pkg_t *p)
{
        free(p->name);
        free(p->source);
        free(p->version);
        free(p->source_version);
        free(p->arch);
        free(p->location);
        free(p->manifest);
}

static int dup_opt(const char *s, char **ret)
{
        *ret = NULL;
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int pkg_list_add(pkg_list_t *l, pkg_kind_t kind, const char *name, const char *source,
                 const char *version, const char *source_version, const char *arch,
                 const char *location, const char *manifest)
{
        pkg_t p = { .kind = kind };

        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 256;
                pkg_t *v = realloc(l->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                l->v = v;
                l->cap = cap;
        }
        if (dup_opt(name, &p.name) < 0 || dup_opt(source, &p.source) < 0 ||
            dup_opt(version, &p.version) < 0 || dup_opt(source_version, &p.source_version) < 0 ||
            dup_opt(arch, &p.arch) < 0 || dup_opt(location, &p.location) < 0 ||
            dup_opt(manifest, &p.manifest) < 0) {
                pkg_free_fields(&p);
                return -ENOMEM;
        }
        l->v[l->n++] = p;
        return 0;
}

void pkg_list_clear(pkg_list_t *l)
{
        for (size_t i = 0; i < l->n; i++)
                pkg_free_fields(&l->v[i]);
        free(l->v);
        l->v = NULL;
        l->n = l->cap = 0;
}
