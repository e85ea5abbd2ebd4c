/* What an intruder adds to keep a hold on a host, and what is new since
 * the last sweep: uid-0 accounts in /etc/passwd, sudoers entries, cron
 * jobs, systemd units (with init.d scripts and rc.local commands), and —
 * on the running host — listening ports.
 *
 * Each kind is collected as a set of items with a stable key (the account
 * name, the file and normalised text of an entry, a unit's path, a
 * protocol/address/port). The sets of the last sweep are kept in
 * STATE_DIR/process.db (SQLite) per scanned root; a sweep reports the items
 * that were not there last time and then stores the current set, so each
 * new item is reported once, and one that goes and comes back is reported
 * again. The first sweep of a kind (nothing stored yet) learns silently.
 *
 * A kind whose sources could not all be read is neither compared nor
 * stored in that sweep (so an unreadable file never makes its entries look
 * new next time); a note says why.
 *
 * Every file is read inside the scanned root (rootfs), with a size cap;
 * every parser takes attacker-written text. */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/report.h"
#include "core/rootfs.h"
#include "core/text.h"

/* Caps. */
#define PERSIST_MAX_FILE      (4 * MiB)   /* any one file read */
#define PERSIST_MAX_ITEMS     (64 * 1024) /* items of one kind */
#define PERSIST_MAX_DIR_FILES 4096        /* entries looked at in one directory */
#define PERSIST_MAX_TEXT      1024        /* bytes of an entry kept as its text */

typedef enum persist_kind {
        PERSIST_UID0,
        PERSIST_SUDOERS,
        PERSIST_CRON,
        PERSIST_SYSTEMD,
        PERSIST_LISTEN,
        PERSIST_KIND__MAX,
} persist_kind_t;

typedef struct persist_item {
        char *key;     /* unique within its kind */
        char *path;    /* the file it was found in (inside the root), or NULL */
        unsigned line; /* 1-based line in PATH, 0 when not a line */
        char *text;    /* the entry as written (normalised, escaped), or NULL */
        char *name;    /* account, unit or "proto addr:port"; may be NULL */
        int port;      /* listening port, 0 otherwise */
} persist_item_t;

typedef struct persist_set {
        persist_item_t *v;
        size_t n, cap;
        bool incomplete; /* a source could not be read: do not compare */
} persist_set_t;

/* "uid0", "sudoers", "cron", "systemd", "listen". */
const char *persist_kind_name(persist_kind_t k);

/* Add an item; strings are copied (NULLs allowed except KEY). A key added
 * twice counts once when the set is compared. Returns 0, -E2BIG over
 * PERSIST_MAX_ITEMS, -ENOMEM. */
int persist_set_add(persist_set_t *s, const char *key, const char *path, unsigned line,
                    const char *text, const char *name, int port);
void persist_set_clear(persist_set_t *s);

/* Parsers. Each takes N bytes of file text (any bytes), adds items to S
 * with PATH as their file, and returns 0, -E2BIG or -ENOMEM; lines of the
 * wrong shape are skipped and counted in *RET_BAD (may be NULL). */

/* passwd: accounts with uid 0 (key: the name). */
int persist_parse_passwd(const char *data, size_t n, const char *path, persist_set_t *s,
                         size_t *ret_bad);

/* sudoers: every entry (user specs, aliases, Defaults, include lines),
 * continuation lines joined, white space collapsed (key: path and text).
 * The include directives found (@include, #include, @includedir,
 * #includedir) are appended to INCLUDES / INCLUDEDIRS (may be NULL). */
int persist_parse_sudoers(const char *data, size_t n, const char *path, persist_set_t *s,
                          strv_t *includes, strv_t *includedirs, size_t *ret_bad);

/* A crontab (key: path and normalised line). Comments, blank lines and
 * variable assignments are skipped; SYSTEM selects the format with a user
 * field (/etc/crontab, /etc/cron.d), which must then be present. */
int persist_parse_crontab(const char *data, size_t n, const char *path, bool system,
                          persist_set_t *s, size_t *ret_bad);

/* Collect the items of kind K from ROOT (PERSIST_LISTEN is not collected
 * here: the sweep adds it from the socket tables). Files that could not be
 * read become notes in REPORT (may be NULL) and mark S incomplete.
 * Returns 0, -E2BIG, -ENOMEM. */
int persist_collect(const rootfs_t *root, persist_kind_t k, report_t *report, persist_set_t *s);

/* The state database STATE_DIR/process.db, created when missing. Returns
 * 0 or a negative errno with *RET_ERROR set (caller frees). */
int persist_db_open(const char *state_dir, sqlite3 **ret, char **ret_error);

/* Called for each new item of a learnt kind. Return 0 or a negative errno
 * (which stops the comparison; nothing is stored then). */
typedef int (*persist_new_fn)(persist_kind_t k, const persist_item_t *item, void *userdata);

/* Compare S with what DB holds for SCOPE (the scanned root) and K, call FN
 * for each new item (not on the first sweep of K: *RET_LEARNT is set then),
 * and store S as the new state. S incomplete: nothing is done. Returns 0,
 * -EIO for a database error, or FN's error. */
int persist_diff(sqlite3 *db, const char *scope, persist_kind_t k, const persist_set_t *s,
                 persist_new_fn fn, void *userdata, bool *ret_learnt);
