/* File integrity monitoring, the public face: the configuration (fim.* keys
 * of vigil.yml) turned into plain options, the baseline store in the state
 * directory, and what `vigil fim status` shows. `vigil fim` and the agent
 * use this module; the work itself is done by check (one-shot and single
 * paths) and watch (real time).
 *
 * Configuration keys (docs/fim.md):
 *   fim.paths              list of include patterns added to the defaults
 *   fim.default_paths      false: only fim.paths (default true)
 *   fim.exclude            list of exclude patterns (added to the defaults)
 *   fim.max_file_size      files larger are compared by metadata only (1GiB)
 *   fim.max_hash_seconds   time cap for hashing one file (120)
 *   fim.rehash_days        re-hash unchanged files this often (7; 0 never)
 *   fim.verify_packages    check package-owned files against dpkg/apk (true)
 *   fim.threads            hashing threads (0: one per CPU)
 *   fim.max_watches        inotify watches the watcher may use (0: half of
 *                          fs.inotify.max_user_watches)
 *   fim.fanotify           use fanotify when permitted (true)
 *   fim.periodic_seconds   how often what could not be watched is checked
 *                          (600)
 *   fim.package_manager_grace  how long changes are held while a package
 *                          manager runs before they are judged anyway (3600) */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "detect/fim/fimdb.h"
#include "detect/fim/fimpolicy.h"

typedef struct fim_config {
        fimpolicy_t policy; /* "~/" patterns not yet expanded */
        uint64_t max_file_size;
        int64_t max_hash_time_us;
        int64_t rehash_interval; /* seconds */
        bool verify_packages;
        unsigned threads; /* 0: one per CPU */
        long long max_watches;
        bool fanotify;
        int64_t periodic_interval; /* seconds */
        int64_t pm_grace;          /* seconds */
} fim_config_t;

/* Read the fim.* keys of CONFIG (may be NULL: defaults). Returns 0, -ENOMEM,
 * or -EINVAL with *RET_ERROR naming the key and the problem (caller frees).
 * Free with fim_config_clear. */
int fim_config_load(const config_t *config, fim_config_t *ret, char **ret_error);
void fim_config_clear(fim_config_t *c);

/* STATE_DIR/fim.db. Caller frees; NULL when out of memory. */
char *fim_db_path(const char *state_dir);

/* Open the baseline store of STATE_DIR; with CREATE the directory is made
 * (mode 0700) when missing. Returns as fimdb_open. */
int fim_db_open(const char *state_dir, bool create, fimdb_t **ret, char **ret_error);

/* What `vigil fim status` shows, as a JSON object: {"store", "exists",
 * "root", "files", "created_at", "updated_at", "checked_at" (seconds, or
 * absent), "include", "exclude" (arrays), "watch" (the watcher's last
 * status object, or absent)}. Returns 0 with *RET (caller decrefs), or a
 * negative errno with *RET_ERROR (caller frees). A missing store is not an
 * error: "exists" is false. */
int fim_status(const char *state_dir, json_t **ret, char **ret_error);
