/* A directory walker for scanners: depth-first, never follows symlinks,
 * stays on one filesystem when asked, skips pseudo filesystems, and counts
 * what it could not read instead of stopping. Directories are opened with
 * openat relative to their parent's descriptor, so a rename during the walk
 * cannot send it somewhere else, and a directory that is its own ancestor
 * (a bind mount of a parent below itself) is not entered again.
 *
 * By default every entry is stat'ed (lstat semantics) before the callback
 * sees it. Callers that only need to know regular files from directories
 * can set walk_opts_t.trust_dtype to take the type from the directory
 * listing instead and save one system call per entry. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "core/rootfs.h"

enum {
        WALK_CONTINUE = 0,
        WALK_SKIP = 1, /* returned for a directory: do not descend into it */
        WALK_STOP = 2, /* end the walk early without an error */
};

typedef struct walk_entry {
        int dirfd;        /* descriptor of the directory holding the entry */
        const char *name; /* name inside dirfd */
        const char *path; /* path inside the root, starting with "/" */
        /* lstat() of the entry; when TYPE_ONLY is set, only the file type
         * bits of st_mode (S_IFREG or S_IFDIR) and st_ino (the inode number
         * of the directory entry) are filled in, every other field is 0. */
        const struct stat *st;
        unsigned depth; /* 0 for entries of the start directory */
        bool type_only; /* the entry was not stat'ed (walk_opts_t.trust_dtype) */
} walk_entry_t;

/* Called for every entry (files, directories before their content,
 * symlinks, special files). Return WALK_CONTINUE, WALK_SKIP, WALK_STOP or a
 * negative errno to abort the walk with that error. */
typedef int (*walk_fn)(const walk_entry_t *e, void *userdata);

/* Called for each entry that could not be opened or listed; PATH is inside
 * the root, ERR a negative errno. May be NULL. */
typedef void (*walk_error_fn)(const char *path, int err, void *userdata);

typedef struct walk_opts {
        unsigned max_depth;  /* 0 means unlimited */
        bool one_filesystem; /* do not cross into other mounts */
        bool skip_pseudo;    /* skip /proc, /sys, /dev and /run (on the host root) */
        size_t max_entries;  /* stop after this many entries (0 = unlimited) */
        /* Take the type of regular files and directories from the listing
         * (d_type) and do not stat them; their walk_entry_t has TYPE_ONLY
         * set. Entries the listing gives no type for (DT_UNKNOWN, on
         * filesystems without d_type), symlinks and special files are still
         * stat'ed, and so are directories when ONE_FILESYSTEM is set (their
         * device must be known before they are opened). Directories are
         * entered as always: opened with O_NOFOLLOW | O_DIRECTORY, so an
         * entry swapped for a symlink or a file is not followed. Off by
         * default. */
        bool trust_dtype;
        walk_error_fn on_error;
} walk_opts_t;

typedef struct walk_stats {
        size_t entries;
        size_t dirs;
        size_t errors;
        bool truncated; /* max_entries was reached */
} walk_stats_t;

/* Walk the tree at START (a path inside the root). START itself is not
 * passed to FN. Entries that could not be stat'ed or directories that could
 * not be opened or listed go to ON_ERROR: -ESTALE for a directory replaced
 * between the listing and its opening, -ELOOP for a directory that is its
 * own ancestor or lies deeper than the walker's hard limit of 256 levels.
 * Returns 0 (also after WALK_STOP), -ENOENT/-ENOTDIR for a bad START, or
 * the negative errno FN returned. STATS may be NULL. */
int walk_tree(const rootfs_t *r, const char *start, const walk_opts_t *opts, walk_fn fn,
              void *userdata, walk_stats_t *stats);
