/* The file side of the secret scanner: walk the start paths inside the
 * scanned root (never following symlinks, skipping /proc, /sys, /dev and
 * /run on the host), and scan every regular text file with the engine on a
 * pool of worker threads, each with its own engine scratch and read buffer.
 *
 * Files are read with read(2) into a 4 MiB buffer per thread, in chunks
 * that overlap by SECRETS_OVERLAP bytes, not mapped: a mapped file that is
 * truncated while it is scanned kills the process with SIGBUS, and anyone
 * who can write to /tmp could use that to stop the scan. Reading also keeps
 * the memory bounded whatever the file size.
 *
 * A file is binary, and skipped, when its first 8 KiB hold a NUL byte
 * (content, not name, decides). Files over the size cap, symlinks, FIFOs,
 * sockets and devices are counted and skipped; FIFOs are never opened.
 * Files that vanish or change while they are read, and unreadable files,
 * are counted and noted. A directory named ".git" (or a bare repository)
 * is not walked; it is reported to the caller for the history scan, and its
 * config file (which may hold credentials in remote URLs) is scanned. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/progress.h"
#include "core/report.h"
#include "core/rootfs.h"
#include "core/text.h"
#include "scan/secrets/engine.h"

/* Bytes read per chunk (including the overlap kept from the last chunk). */
#define SECRETS_FILESCAN_BUF (4 * MiB)
/* Bytes looked at for a NUL to call a file binary. */
#define SECRETS_BINARY_PROBE 8192

/* A confirmed secret in the file at PATH (inside the root). Called from
 * worker threads at the same time: it must be thread-safe. Return 0 or a
 * negative errno, which stops the scan. */
typedef int (*secrets_filescan_match_fn)(const char *path, const secrets_match_t *m,
                                         void *userdata);
/* True when PATH (inside the root) is to be left alone (allowlisted). */
typedef bool (*secrets_filescan_skip_fn)(const char *path, bool is_dir, void *userdata);
/* A git repository: WORKTREE is its working tree, or NULL for a bare
 * repository; GITDIR its .git directory. Called from the walking thread. */
typedef void (*secrets_filescan_repo_fn)(const char *worktree, const char *gitdir, void *userdata);

typedef struct secrets_filescan_opts {
        const rootfs_t *root;
        const secrets_engine_t *engine;
        uint64_t max_file_size; /* bigger files are skipped and noted */
        unsigned threads;       /* worker threads, at least 1 */
        report_t *report;       /* notes about unreadable inputs; may be NULL */
        progress_t *progress;   /* may be NULL */
        secrets_filescan_match_fn on_match;
        secrets_filescan_skip_fn skip;    /* may be NULL */
        secrets_filescan_repo_fn on_repo; /* may be NULL */
        void *userdata;
} secrets_filescan_opts_t;

typedef struct secrets_filescan_stats {
        uint64_t files_scanned;
        uint64_t bytes_scanned;
        uint64_t binary_skipped;
        uint64_t too_large;
        uint64_t empty;
        uint64_t special_skipped; /* FIFOs, sockets, devices */
        uint64_t symlinks_skipped;
        uint64_t excluded; /* allowlisted paths */
        uint64_t vanished;
        uint64_t changed;
        uint64_t unreadable;
        uint64_t walk_errors;
        uint64_t dirs;
        uint64_t repos;
        secrets_engine_stats_t engine;
} secrets_filescan_stats_t;

/* Scan every start path in STARTS (paths inside the root; a directory is
 * walked, a file is scanned, a symlink given as a start is followed inside
 * the root). Returns 0 when the scan ran (problems with single files are
 * counted and noted), the negative errno the match callback returned, or
 * -ENOMEM. *RET_STATS is filled in either case. */
int secrets_filescan_run(const secrets_filescan_opts_t *o, const strv_t *starts,
                         secrets_filescan_stats_t *ret_stats);

/* Scan one open regular file FD (its PATH is only passed to the callback)
 * with scratch S and a buffer of SECRETS_FILESCAN_BUF bytes; for callers
 * that scan a single file, like the agent on a changed file. Sets
 * *RET_BINARY when the file was skipped as binary and *RET_CHANGED when it
 * changed while it was read. Returns 0, -EFBIG over MAX_SIZE, a negative
 * errno from read(2) or the callback. */
int secrets_filescan_fd(const secrets_engine_t *e, secrets_scratch_t *s, char *buf, int fd,
                        const char *path, uint64_t max_size, secrets_filescan_match_fn fn,
                        void *userdata, uint64_t *ret_bytes, bool *ret_binary, bool *ret_changed);
