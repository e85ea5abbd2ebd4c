/* Git history for the secret scanner: walk every commit reachable from a
 * repository's refs and reflogs, diff each commit's tree against its first
 * parent's, and hand each file version (blob) that a commit added or
 * changed to a callback once, with the commit and path that introduced it.
 * So a secret committed and deleted later is still found, with its commit.
 *
 * The repository is read directly, without running git: loose objects
 * (zlib), pack files with index version 2, and deltas (offset and ref) with
 * a depth cap. Running git on a repository that an attacker controls would
 * run what its config asks for (log.showSignature with gpg.program,
 * textconv drivers, ...), trip over safe.directory for other users'
 * repositories, and read outside a --root image through alternates; reading
 * the objects ourselves does none of that, stays inside the scanned root
 * and puts a cap on everything. Not supported: SHA-256 repositories,
 * alternates, submodules' own histories, pack index version 1.
 *
 * Caps (secrets_git_opts_t): blob size, inflated bytes scanned, commits and
 * time per repository; reaching one ends the walk early, with the stats
 * saying so. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/rootfs.h"

typedef struct secrets_git_opts {
        uint64_t max_blob_size;   /* bigger blobs are skipped (counted) */
        uint64_t max_total_bytes; /* blob bytes scanned per repository */
        uint64_t max_commits;     /* commits walked per repository */
        uint64_t max_seconds;     /* wall time per repository */
} secrets_git_opts_t;

typedef struct secrets_git_blob {
        const char *commit; /* hex id of the commit that added this content */
        const char *path;   /* the file's path in the repository at that commit */
        const char *blob;   /* hex id of the blob */
} secrets_git_blob_t;

/* Called once for each text blob (no NUL in its first 8 KiB). Return 0 or
 * a negative errno, which stops the walk. */
typedef int (*secrets_git_blob_fn)(const char *data, size_t len, const secrets_git_blob_t *b,
                                   void *userdata);

typedef struct secrets_git_stats {
        uint64_t commits;
        uint64_t trees;
        uint64_t blobs_scanned;
        uint64_t blobs_binary;
        uint64_t blobs_too_large;
        uint64_t bytes;
        uint64_t objects_missing; /* referenced but absent (shallow clone, broken repo) */
        uint64_t objects_corrupt;
        bool truncated;           /* a cap ended the walk early */
        const char *truncated_by; /* "commits", "bytes" or "time" */
} secrets_git_stats_t;

/* Walk the history of the repository whose git directory is GITDIR (a path
 * inside ROOT). Returns 0 when the walk ran (missing or corrupt objects and
 * caps are counted in *STATS), -ENOTSUP with *RET_PROBLEM set (caller
 * frees) for a repository it cannot read (SHA-256 objects, no objects
 * directory), the callback's negative errno, or -ENOMEM. */
int secrets_git_scan(const rootfs_t *root, const char *gitdir, const secrets_git_opts_t *opts,
                     secrets_git_blob_fn fn, void *userdata, secrets_git_stats_t *stats,
                     char **ret_problem);
