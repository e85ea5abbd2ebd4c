/* The effective global settings of OpenSSH's sshd, read from sshd_config in
 * the scanned root the way sshd reads it: keywords are case-insensitive,
 * "Keyword value" and "Keyword=value" both work, Include directives pull in
 * files (glob on the last path component, sorted, relative to /etc/ssh)
 * where they stand, the first value obtained for a keyword is the one used,
 * and lines after a Match (other than "Match all") only apply to some
 * connections, so they are not global settings. When a keyword is never
 * set, OpenSSH's built-in default applies (sshdcfg_default). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/rootfs.h"
#include "core/text.h"

#define SSHDCFG_PATH        "/etc/ssh/sshd_config"
#define SSHDCFG_MAX_FILE    (1 * MiB)
#define SSHDCFG_MAX_DEPTH   16
#define SSHDCFG_MAX_FILES   256
#define SSHDCFG_MAX_ENTRIES 20000

typedef struct sshdcfg_entry {
        char *keyword; /* as written; compare ignoring case */
        char *value;   /* as written, surrounding blanks removed */
        char *file;    /* path inside the root */
        unsigned line;
} sshdcfg_entry_t;

typedef struct sshdcfg {
        sshdcfg_entry_t *v; /* global settings in the order sshd sees them */
        size_t n, cap;
        strv_t problems; /* files that could not be read, as "PATH: reason" */
} sshdcfg_t;

/* Read PATH (SSHDCFG_PATH when NULL) inside ROOT into CFG (zeroed by the
 * caller). Returns 0, -ENOENT when the main file is missing, another
 * negative errno when it cannot be read, -ENOMEM. Problems with included
 * files are recorded in CFG->problems, not returned. */
int sshdcfg_read(const rootfs_t *root, const char *path, sshdcfg_t *cfg);

/* The first (effective) entry for KEYWORD (any case), or NULL. Borrowed. */
const sshdcfg_entry_t *sshdcfg_get(const sshdcfg_t *cfg, const char *keyword);

/* OpenSSH 9's default for KEYWORD (any case), or NULL when not known. */
const char *sshdcfg_default(const char *keyword);

void sshdcfg_clear(sshdcfg_t *cfg);
