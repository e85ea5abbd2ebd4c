/* The file integrity check: compare the critical files of a root with the
 * baseline and with the digests of the packages that own them, raise
 * file_tampering alerts, and keep the baseline up to date.
 *
 * A full run walks every path of the policy. A file whose stat tuple (device,
 * inode, size, mtime and ctime in nanoseconds, mode, owner) is what the
 * baseline recorded is not read again, unless its scheduled re-hash is due
 * (each file at least once per rehash interval, the first time spread over
 * the interval). Files that must be read are hashed by a pool of worker
 * threads (SHA-256, plus the package's algorithm for package-owned files).
 * The comparison and the alerts are made by the calling thread, in walk
 * order.
 *
 * The same engine judges single paths for the real-time watcher
 * (fimcheck_path, fimcheck_tree): there every change is alerted once and
 * then accepted into the baseline.
 *
 * What is an alert, and at which level, is fimpolicy_level's business;
 * docs/fim.md has the table. Package awareness: package-owned files whose
 * new content matches the package's digest are accepted without an alert;
 * when a package manager is running, a check holds back its judgement on
 * every change (counted as deferred) instead of alerting. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/progress.h"
#include "core/report.h"
#include "core/rootfs.h"
#include "detect/fim/fimdb.h"
#include "detect/fim/fimpolicy.h"
#include "detect/fim/fimtab.h"
#include "detect/fim/pkgmgr.h"
#include "detect/fim/pkgverify.h"
#include "detect/sink.h"

/* Bytes of /etc/ld.so.preload read to see whether it names a library. */
#define FIMCHECK_MAX_PRELOAD (64 * KiB)
/* Per-file problems noted one by one; the rest are only counted. */
#define FIMCHECK_NOTES_MAX 20

/* Who changed a file, when the kernel could tell (fanotify). */
typedef struct fim_actor {
        pid_t pid;       /* 0 when unknown */
        char comm[32];   /* "" when unknown */
        char exe[512];   /* "" when unknown */
        int64_t time_us; /* when the change was seen; 0 when unknown */
} fim_actor_t;

typedef enum fimcheck_mode {
        /* Build a new baseline. Only package mismatches are alerts. */
        FIMCHECK_INIT,
        /* Compare and alert. Changes are not accepted: the same change is
         * alerted again by the next check until it is accepted (UPDATE) or
         * undone. Only what needs no judgement is written back: files that
         * were hashed and found unchanged (their next re-hash time), and
         * package files that match their package's digest. Without a
         * baseline only package-owned files are verified and nothing is
         * written. */
        FIMCHECK_CHECK,
        /* Compare, alert, and accept every change into the baseline. */
        FIMCHECK_UPDATE,
} fimcheck_mode_t;

typedef struct fimcheck_opts {
        const rootfs_t *root;
        const fimpolicy_t *policy; /* "~/" patterns already expanded */
        fimdb_t *db;               /* the baseline store; NULL: none (nothing read or written) */
        const char *db_display;    /* name of the store in notes */
        report_t *report;          /* notes and statistics; never NULL */
        alert_sink_t sink;         /* alerts go here */
        const char *host;          /* for alerts; may be NULL */
        unsigned threads;          /* hashing threads (>= 1) */
        uint64_t max_file_size;    /* larger files are compared by metadata only; 0: no cap */
        int64_t max_hash_time_us;  /* per file; 0: no cap */
        int64_t rehash_interval;   /* seconds; 0: never re-hash an unchanged file */
        bool verify_packages;      /* check package-owned files against their digests */
        bool host_processes;       /* look at this host's processes for package managers */
        progress_t *progress;      /* may be NULL */
        int64_t now;               /* seconds since the epoch; 0: the clock */
} fimcheck_opts_t;

typedef struct fimcheck_stats {
        size_t files, dirs, symlinks, special;
        size_t hashed, skipped;
        uint64_t bytes_hashed;
        size_t package_files;    /* files a package owns, among those seen */
        size_t package_mismatch; /* of those, differing from the digest */
        size_t package_missing;  /* package files in scope that do not exist */
        size_t package_accepted; /* changes accepted because they match the package */
        size_t added, modified, deleted, permissions;
        size_t alerts;
        size_t deferred;     /* changes not judged: a package manager was running */
        size_t new_coverage; /* files under patterns the baseline did not cover yet */
        size_t vanished, unreadable, too_big, timed_out;
        bool had_baseline;
        pkgmgr_state_t pm;
} fimcheck_stats_t;

typedef struct fimcheck fimcheck_t;

/* Prepare a check: read the baseline from O->db (bad rows noted and
 * skipped) and the package digests (when O->verify_packages). O and what it
 * points to are borrowed and must outlive the check. Returns 0, -ENOMEM, or
 * -EIO when the baseline cannot be read; -EXDEV when the baseline was built
 * for another root (a message is noted). Free with fimcheck_free. */
int fimcheck_new(const fimcheck_opts_t *o, fimcheck_t **ret);
void fimcheck_free(fimcheck_t *c);
static inline void fimcheck_freep(fimcheck_t **c)
{
        fimcheck_free(*c);
}

/* A full run in MODE (see fimcheck_mode_t). Statistics go to *RET (may be
 * NULL) and to the report under "fim". Returns 0, or a negative errno when
 * the run could not be done (the store failed, out of memory, the sink
 * failed); files that vanish or cannot be read are counted, not errors. */
int fimcheck_run(fimcheck_t *c, fimcheck_mode_t mode, fimcheck_stats_t *ret);

/* Judge one PATH (inside the root; canonical) now, for the real-time
 * watcher: compare it with the baseline and its package, alert (with ACTOR
 * as the process that changed it, may be NULL), and accept the new state.
 * With JUDGE false (changes a package manager made) only a package file
 * that does not match its package's digest is alerted; everything else is
 * accepted silently. A path that is neither covered by the policy nor in
 * the baseline is ignored. A directory is judged by its metadata only
 * (fimcheck_tree looks inside). Returns 0 or a negative errno. */
int fimcheck_path(fimcheck_t *c, const char *path, const fim_actor_t *actor, bool judge);

/* Judge everything under directory PATH (and PATH itself) the same way,
 * including files of the baseline under it that are gone. Returns 0 or a
 * negative errno. */
int fimcheck_tree(fimcheck_t *c, const char *path, const fim_actor_t *actor, bool judge);

/* Read the package digests again (after a package manager finished).
 * Returns 0 or -ENOMEM. */
int fimcheck_reload_packages(fimcheck_t *c);

/* Let go of the memory a long-lived check does not need: the baseline
 * table and the package files (moved to a TEMP table of the store; the
 * package list stays), the directory cache and the read buffer. Later calls
 * behave the same but look single paths up in the store; fimcheck_run loads
 * everything again for its duration. Does nothing without a store (O->db
 * NULL) or when already done. Returns 0 or -EIO (nothing was dropped). */
int fimcheck_release(fimcheck_t *c);

/* 1 when PATH has a baseline entry, 0 when not, or a negative errno. */
int fimcheck_known(fimcheck_t *c, const char *path);

/* Calls FN with the path and mode of every baseline entry (in no
 * particular order). FN returns 0, or a negative errno that stops the
 * iteration and is returned; it must not call back into the check. Returns
 * 0, a negative errno from the store, or FN's error. */
typedef int (*fimcheck_entry_fn)(const char *path, uint32_t mode, void *userdata);
int fimcheck_foreach(fimcheck_t *c, fimcheck_entry_fn fn, void *userdata);

/* The baseline held in memory (borrowed): every entry, except after
 * fimcheck_release, when it is empty (use fimcheck_known and
 * fimcheck_foreach, which work in both cases). */
const fimtab_t *fimcheck_table(const fimcheck_t *c);
/* The statistics summed over every call so far (borrowed). */
const fimcheck_stats_t *fimcheck_totals(const fimcheck_t *c);
