/* What the parts of the weak password scanner share: its configuration
 * (read once from the weak_password section of vigil's config, apart from
 * the checks that use it), the candidate dictionary (built the first time a
 * check needs it), and helpers to find and read files inside the scanned
 * root and to file findings. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/finding.h"
#include "core/scanctx.h"
#include "core/text.h"
#include "scan/weakpass/dict.h"

#define WP_SCANNER "weak_password"
/* Configuration files and account databases bigger than this are refused. */
#define WP_FILE_MAX (16 * MiB)
/* Include nesting and files per service configuration. */
#define WP_INCLUDE_DEPTH 8
#define WP_INCLUDE_FILES 64
/* Paths one glob pattern may expand to. */
#define WP_GLOB_MAX 256

typedef struct wp_config {
        int64_t budget_hash_us;      /* weak_password.budget_per_hash (s), 0 = none */
        int64_t budget_total_us;     /* weak_password.budget_total (s), 0 = none */
        bool builtin;                /* weak_password.builtin_list */
        strv_t system_dicts;         /* weak_password.system_dictionaries (host paths) */
        strv_t custom_dicts;         /* weak_password.dictionary (host paths) */
        unsigned long long dict_max; /* weak_password.dictionary_max_size */
        bool shadow, redis, mysql, postgresql, ftp; /* weak_password.<part>.enabled */
        strv_t redis_configs;                       /* in the root; globs allowed */
        strv_t pg_hba_files;                        /* in the root; globs allowed */
        strv_t vsftpd_configs;                      /* in the root */
        strv_t proftpd_configs;                     /* in the root */
        strv_t mysql_sockets;                       /* host paths */
        strv_t mysql_tcp;                           /* "ADDRESS:PORT" or "[ADDRESS]:PORT" */
        strv_t mysql_accounts;
        int mysql_timeout_ms;
} wp_config_t;

typedef struct wp {
        scan_ctx_t *ctx;
        wp_config_t cfg;
        dict_t *dict; /* NULL until wp_dict */
        bool dict_failed;
} wp_t;

/* Read the configuration into W->cfg; bad values become error notes and the
 * default is used. Returns 0 or -ENOMEM. */
int wp_init(wp_t *w, scan_ctx_t *ctx);
void wp_done(wp_t *w);

/* The candidate dictionary: built-in list, system word lists, the user's
 * dictionary, built on first use. Returns it (borrowed) or NULL when it
 * could not be built (a note says why). */
const dict_t *wp_dict(wp_t *w);

/* Expand PATTERN (a path inside the root; '*', '?' and [...] allowed in any
 * component) to the existing paths it names, sorted, appended to *RET.
 * Returns 0 or -ENOMEM; unreadable directories simply match nothing. */
int wp_expand(const wp_t *w, const char *pattern, strv_t *ret);

/* Read a file inside the root with the WP_FILE_MAX cap. On failure other
 * than a missing file a warning names the file and says why. Returns 0, or
 * a negative errno (-ENOENT quietly). Caller frees *RET. */
int wp_read(const wp_t *w, const char *path, char **ret, size_t *ret_len);

/* The path as a user knows it (root prefix added); caller frees. */
char *wp_display(const wp_t *w, const char *path);

/* Build a finding of category weak_password with title, detail and
 * remediation; further evidence is added by the caller. Returns NULL when
 * out of memory. */
finding_t *wp_finding(const char *check, const char *object, finding_level_t level,
                      const char *title, const char *detail, const char *remediation);

/* Hand F to the report (taking it) and count it. Returns 0 or -ENOMEM. */
int wp_report(wp_t *w, finding_t *f);
