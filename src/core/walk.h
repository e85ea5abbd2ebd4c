/* A directory walker for scanners: depth-first, never follows symlinks,
 * stays on one filesystem when asked, skips pseudo filesystems, and counts
 * what it could not read instead of stopping. Directories are opened with
 * openat relative to their parent's descriptor, so a rename during the walk
 * cannot send it somewhere else. */
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
        int dirfd;             /* descriptor of the directory holding the entry */
        const char *name;      /* name inside dirfd */
        const char *path;      /* path inside the root, starting with "/" */
        const struct stat *st; /* lstat() of the entry */
        unsigned depth;        /* 0 for entries of the start directory */
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
        walk_error_fn on_error;
} walk_opts_t;

typedef struct walk_stats {
        size_t entries;
        size_t dirs;
        size_t errors;
        bool truncated; /* max_entries was reached */
} walk_stats_t;

/* Walk the tree at START (a path inside the root). START itself is not
 * passed to FN. Returns 0 (also after WALK_STOP), -ENOENT/-ENOTDIR for a bad
 * START, or the negative errno FN returned. STATS may be NULL. */
int walk_tree(const rootfs_t *r, const char *start, const walk_opts_t *opts, walk_fn fn,
              void *userdata, walk_stats_t *stats);
