/* The package model shared by every inventory source: OS packages (dpkg,
 * rpm, apk) and application components (Maven, npm, PyPI, Composer). A
 * pkg_list owns its packages and their strings. */
#pragma once

#include <stddef.h>

#include "core/macro.h"

typedef enum pkg_kind {
        PKG_DPKG,
        PKG_RPM,
        PKG_APK,
        PKG_MAVEN,
        PKG_NPM,
        PKG_PYPI,
        PKG_COMPOSER,
        PKG_KIND__MAX,
} pkg_kind_t;

typedef struct pkg {
        pkg_kind_t kind;
        /* Binary package name; for Maven "groupId:artifactId"; for npm the
         * package name with its scope; for PyPI the normalised name (PEP 503:
         * lowercase, runs of "-_." as "-"); for Composer "vendor/name". */
        char *name;
        /* Source package name (dpkg "Source:", rpm source rpm name, apk
         * origin). NULL when the same as NAME or not applicable. */
        char *source;
        /* Version as the ecosystem orders it: dpkg "[epoch:]upstream[-rev]",
         * rpm "[epoch:]version-release", apk "1.2.3-r4", others as written. */
        char *version;
        /* dpkg only: the source version when "Source: name (version)" gives
         * one that differs from VERSION; else NULL. */
        char *source_version;
        char *arch; /* may be NULL */
        /* Where the package was found, as a user would look for it: the
         * database file, or the manifest/jar path ("a.war!/WEB-INF/lib/b.jar"). */
        char *location;
        /* The file a user edits to change the version (pom.xml, package.json,
         * requirements.txt, composer.json), when known; else NULL. */
        char *manifest;
} pkg_t;

typedef struct pkg_list {
        pkg_t *v;
        size_t n;
        size_t cap;
} pkg_list_t;

/* Append a package; the strings are copied (NULLs stay NULL). Returns 0 or
 * -ENOMEM. */
int pkg_list_add(pkg_list_t *l, pkg_kind_t kind, const char *name, const char *source,
                 const char *version, const char *source_version, const char *arch,
                 const char *location, const char *manifest);
void pkg_list_clear(pkg_list_t *l);
static inline void pkg_list_clearp(pkg_list_t *l)
{
        pkg_list_clear(l);
}
#define _cleanup_pkg_list_ _cleanup_(pkg_list_clearp)

/* "dpkg", "rpm", "apk", "maven", "npm", "pypi", "composer". */
const char *pkg_kind_name(pkg_kind_t kind);
/* The source package name, falling back to the binary name. */
static inline const char *pkg_source_name(const pkg_t *p)
{
        return p->source ? p->source : p->name;
}
static inline const char *pkg_source_version(const pkg_t *p)
{
        return p->source_version ? p->source_version : p->version;
}
