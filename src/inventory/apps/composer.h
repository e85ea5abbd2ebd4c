/* PHP packages installed by Composer: composer.lock ("packages" and
 * "packages-dev") and vendor/composer/installed.json (Composer 1 writes an
 * array of packages, Composer 2 an object with "packages"). Each package
 * with a "name" and a "version" becomes one PKG_COMPOSER component. Versions
 * are kept exactly as written ("v5.4.0", "1.0.x-dev", "dev-main"): a leading
 * "v" is part of how Composer orders versions and is left to the Composer
 * version comparison.
 *
 * Files are attacker-written JSON, parsed with jansson from memory with
 * duplicate keys refused; the caller caps their size (COMPOSER_FILE_MAX). */
#pragma once

#include <stddef.h>

#include "inventory/apps/appnote.h"
#include "inventory/pkg.h"

/* Largest composer.lock or installed.json read. */
#define COMPOSER_FILE_MAX (64 * MiB)

/* Parse a composer.lock held in DATA (LEN bytes) and append its packages to
 * OUT with LOCATION and MANIFEST (may be NULL). Returns 0, -EBADMSG when the
 * file is not a composer.lock (a note is written), or -ENOMEM. */
int composer_parse_lock(const char *data, size_t len, const char *location, const char *manifest,
                        pkg_list_t *out, appnote_t *notes);

/* The same for vendor/composer/installed.json, in either Composer 1 or 2
 * form. */
int composer_parse_installed(const char *data, size_t len, const char *location,
                             const char *manifest, pkg_list_t *out, appnote_t *notes);
