/* Real-time file integrity: inotify (and fanotify where permitted) on the
 * critical files, driven by an event loop that is not ours. The watcher
 * owns no thread and no loop: it hands out one descriptor (an epoll set of
 * its inotify and fanotify descriptors) to poll for readability, a function
 * to call when it is readable, and a function to call on timer ticks with
 * the time it wants to be called next. The agent's libuv loop (or `vigil fim
 * watch`) drives it.
 *
 * - inotify watches every directory that holds covered files (the parent of
 *   a single covered file, every directory of a covered tree, the existing
 *   ancestors of patterns whose target is missing), most important classes
 *   first (access, preload, loader, persistence, then binaries, then the
 *   rest), shallow before deep. It sees content, metadata, creation,
 *   deletion and renames.
 * - fanotify (FAN_CLASS_NOTIF, CAP_SYS_ADMIN) marks each file system that
 *   holds a watched directory with FAN_MARK_FILESYSTEM for FAN_MODIFY and
 *   FAN_CLOSE_WRITE; its events carry the pid of the writer, which becomes
 *   the alert's "process". Events for files that are not covered make the
 *   watcher add an ignore mark on that inode (at most FIMWATCH_MAX_IGNORES),
 *   so a busy log file stops costing anything. Where a file-system mark is
 *   refused, directories are marked one by one instead.
 * - Watch limits: at most fim.max_watches inotify watches (default half of
 *   fs.inotify.max_user_watches). Directories that get no watch, from the
 *   limit or because the kernel refused, are checked every
 *   fim.periodic_seconds instead; how many (directories and files) is noted
 *   in the report and kept in the status, never dropped silently.
 * - A changed path is judged after it has been quiet for the settle time, so
 *   a burst of writes gives one alert. If a package manager runs then (and
 *   the writer, when fanotify names it, is the package manager or one of its
 *   children), the path is held until the package manager is gone, the
 *   package digests are read again and held paths are judged with package
 *   verification only; past fim.package_manager_grace they are judged
 *   normally. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/report.h"
#include "core/rootfs.h"
#include "detect/fim/check.h"
#include "detect/fim/fimdb.h"
#include "detect/fim/fimpolicy.h"

/* fanotify ignore marks added for busy files that are not covered. */
#define FIMWATCH_MAX_IGNORES 8192
/* Paths waiting to be judged; past this a full check is scheduled instead. */
#define FIMWATCH_MAX_PENDING 65536

typedef struct fimwatch_opts {
        fimcheck_t *check; /* borrowed; run a FIMCHECK_UPDATE before, so the baseline is current */
        const rootfs_t *root;      /* borrowed */
        const fimpolicy_t *policy; /* borrowed */
        fimdb_t *db;               /* the status is recorded here; may be NULL */
        report_t *report;          /* notes; never NULL */
        long long max_watches;     /* 0: half of the kernel's limit */
        bool fanotify;             /* try fanotify */
        int64_t periodic_us;       /* check unwatched directories this often */
        int64_t settle_us;         /* quiet time before a changed path is judged */
        int64_t pm_grace_us;       /* longest hold while a package manager runs */
        bool host_processes;       /* the root is this host: look at its processes */
} fimwatch_opts_t;

typedef struct fimwatch_status {
        size_t dirs;            /* directories that should be watched */
        size_t watched_dirs;    /* of those, with an inotify watch */
        size_t unwatched_dirs;  /* checked periodically instead */
        size_t unwatched_files; /* files in those directories */
        long long watch_limit;  /* the limit in force */
        const char *fanotify;   /* "filesystem", "inode" or "off" */
        char fanotify_why[160]; /* why fanotify is off or limited, or "" */
        size_t fanotify_marks;
        size_t ignore_marks;
        size_t events; /* inotify and fanotify events read */
        size_t judged; /* paths judged */
        size_t held;   /* paths held for a running package manager now */
        size_t periodic_runs;
        size_t overflows; /* event queue overflows (each caused a full check) */
} fimwatch_status_t;

typedef struct fimwatch fimwatch_t;

/* Set up the watches. Returns 0 or a negative errno when not even inotify
 * can be used (noted). Free with fimwatch_free. */
int fimwatch_new(const fimwatch_opts_t *o, fimwatch_t **ret);
void fimwatch_free(fimwatch_t *w);
static inline void fimwatch_freep(fimwatch_t **w)
{
        fimwatch_free(*w);
}

/* The descriptor to poll for readability (borrowed). */
int fimwatch_fd(const fimwatch_t *w);

/* Read every pending event without blocking and queue the paths they name.
 * NOW_US is the monotonic clock (timeutil_mono_us). Returns 0 or a negative
 * errno. */
int fimwatch_dispatch(fimwatch_t *w, int64_t now_us);

/* Judge the paths that have settled, run due periodic checks and follow the
 * package manager. Alerts go to the check's sink. Returns 0 or a negative
 * errno (the check's). */
int fimwatch_tick(fimwatch_t *w, int64_t now_us);

/* When fimwatch_tick wants to be called next (monotonic microseconds). */
int64_t fimwatch_next_tick(const fimwatch_t *w);

void fimwatch_get_status(const fimwatch_t *w, fimwatch_status_t *ret);
/* The status as a JSON object (new reference, NULL when out of memory). */
json_t *fimwatch_status_json(const fimwatch_t *w);
/* Record the status in the store (meta "watch"). Returns 0 or -EIO. */
int fimwatch_save_status(fimwatch_t *w);
