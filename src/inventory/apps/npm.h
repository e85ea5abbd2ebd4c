/* npm packages: package-lock.json and npm-shrinkwrap.json (lockfileVersion
 * 1 with nested "dependencies"; 2 and 3 with "packages" keyed by
 * "node_modules/..." paths) and the package.json of each installed package
 * under node_modules. Every record becomes one PKG_NPM component named as
 * the registry names it (an alias "my-lodash": "npm:lodash@4.17.21" is
 * reported as lodash). The lock's root entry (the application itself),
 * workspace folders and links are not components and are skipped; so are
 * versions that are not registry versions ("file:../x", "git+https://...").
 *
 * Files are attacker-written JSON, parsed with jansson from memory with
 * duplicate keys refused; the caller caps their size (NPM_LOCK_MAX,
 * NPM_PACKAGE_MAX). Bad files and bad records become notes. */
#pragma once

#include <stddef.h>

#include "inventory/apps/appnote.h"
#include "inventory/pkg.h"

/* Largest lock file and package.json read. */
#define NPM_LOCK_MAX    (64 * MiB)
#define NPM_PACKAGE_MAX (1 * MiB)

/* Parse a package-lock.json or npm-shrinkwrap.json held in DATA (LEN bytes)
 * and append its packages to OUT with LOCATION as location and MANIFEST (may
 * be NULL) as manifest. Returns 0, -EBADMSG when the file is not a lock file
 * (a note is written), or -ENOMEM. */
int npm_parse_lock(const char *data, size_t len, const char *location, const char *manifest,
                   pkg_list_t *out, appnote_t *notes);

/* Parse the package.json of an installed package. Its "name" is used, or
 * FALLBACK_NAME (the folder it was found in, may be NULL) when it has none.
 * Appends at most one component. Returns 0, -EBADMSG when the file is not
 * usable (a note is written), or -ENOMEM. */
int npm_parse_package(const char *data, size_t len, const char *location, const char *manifest,
                      const char *fallback_name, pkg_list_t *out, appnote_t *notes);
