/* Hidden processes: processes that run but do not show in /proc's listing,
 * the mark of a rootkit. A rootkit in user space (a library in
 * /etc/ld.so.preload) replaces readdir in every program, vigil included; a
 * kernel rootkit filters getdents64 itself. Neither usually stops the
 * kernel from delivering a signal, or from opening /proc/PID by name, so
 * the checks compare the listing with what answers otherwise:
 *
 *  - cross-view: the pids of a getdents64 listing (which a preloaded
 *    library cannot touch) against libc's readdir of the same directory;
 *  - parents: every listed process's parent must be listed too;
 *  - task count: the kernel's count of tasks (/proc/loadavg) against the
 *    sum of the thread counts of the listed processes (only meaningful in
 *    the initial pid namespace); a deficit asks for a probe of every pid;
 *  - probe: kill(PID, 0) for each pid of a range that is neither listed
 *    nor a thread of a listed process. A thread id answers too, so the
 *    threads of every multi-threaded process are listed first.
 *
 * A candidate is only reported after it is confirmed: it still answers,
 * its start time did not change (same process), it is not the thread of a
 * listed process, and a second getdents64 listing taken after it was seen
 * alive still does not show it — so a process that merely started or
 * ended during the sweep is never reported, whatever the timing.
 *
 * Signals and listings go through system calls directly (syscall(2)), not
 * the libc wrappers a preloaded library could replace.
 *
 * Cost: a getdents64 and a readdir listing, one task directory listing per
 * multi-threaded process, and one kill(2) per probed pid (about 1 µs each;
 * probing 4,194,304 pids takes seconds, so the agent probes a window per
 * sweep and moves it on). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/text.h"
#include "scan/process/pslist.h"

/* Entries read from an ld.so.preload file, at most. */
#define HIDDEN_MAX_PRELOAD 256
/* ld.so.preload files bigger than this are refused. */
#define HIDDEN_MAX_PRELOAD_FILE (64 * KiB)
/* Candidates confirmed per call, at most (the rest are counted). */
#define HIDDEN_MAX_CANDIDATES 4096

typedef struct hidden_opts {
        int proc_dirfd;
        const ps_list_t *procs; /* the sweep's getdents64 listing, read */
        bool cross_view;        /* compare with libc's readdir */
        bool parents;           /* check that parents are listed */
        bool task_count;        /* compare with the kernel's task count */
        /* Probe the pids of [PROBE_FROM, PROBE_TO] (none when TO < FROM). */
        pid_t probe_from, probe_to;
        /* On a task count deficit probe [1, PROBE_ALL_TO] instead. */
        pid_t probe_all_to;
        /* The kernel's task count before the listing was taken (0: unknown);
         * the check reads it again after. */
        unsigned long tasks_before;
        /* How the second listing (confirmation) and the libc view are
         * taken; NULL: pslist_pids_raw and pslist_pids_libc. Tests put a
         * listing that leaves processes out here, as a rootkit would. */
        int (*list_raw)(int proc_dirfd, pid_t **ret, size_t *ret_n);
        int (*list_libc)(int proc_dirfd, pid_t **ret, size_t *ret_n);
} hidden_opts_t;

typedef struct hidden_proc {
        pid_t pid;
        const char *method;       /* "libc_readdir", "parent", "probe" */
        bool proc_entry_readable; /* /proc/PID/stat could be opened by name */
        pid_t ppid;               /* when readable */
        char comm[PSLIST_MAX_COMM + 1];
        unsigned long long start_time;
} hidden_proc_t;

typedef struct hidden_result {
        hidden_proc_t *v;
        size_t n, cap;
        size_t probed;              /* pids probed with kill */
        size_t candidates;          /* pids that answered before confirmation */
        size_t threads_known;       /* thread ids learnt from task directories */
        bool count_deficit;         /* the task count asked for a full probe */
        unsigned long tasks_kernel; /* min of the counts before and after */
        uint64_t tasks_listed;
        bool skipped_foreign_proc; /* /proc is not this pid namespace's: no probing */
} hidden_result_t;

/* Run the checks. Returns 0 (*RET filled; clear with hidden_result_clear),
 * -ENOMEM, or the errno of listing /proc. */
int hidden_check(const hidden_opts_t *o, hidden_result_t *ret);
void hidden_result_clear(hidden_result_t *r);

/* The kernel's task count and the last pid it handed out, from
 * /proc/loadavg under PROC_DIRFD. Returns 0 or a negative errno. */
int hidden_read_loadavg(int proc_dirfd, unsigned long *ret_tasks, pid_t *ret_last_pid);
/* Parse the text of /proc/loadavg ("0.00 0.01 0.05 1/123 4567"). */
int hidden_parse_loadavg(const char *s, size_t n, unsigned long *ret_tasks, pid_t *ret_last_pid);
/* /proc/sys/kernel/pid_max, or 4194304 when unreadable. */
pid_t hidden_pid_max(int proc_dirfd);
/* True when /proc under PROC_DIRFD is the procfs of the caller's pid
 * namespace (its "self" is the caller). */
bool hidden_proc_is_own(int proc_dirfd);
/* True when the caller runs in the initial pid namespace. */
bool hidden_in_init_pidns(int proc_dirfd);

/* Parse the text of an ld.so.preload file (N bytes): names separated by
 * white space or ':'; '#' starts a comment to the end of the line.
 * Entries are appended to RET. Returns 0, -E2BIG over HIDDEN_MAX_PRELOAD
 * entries or for an entry longer than PATH_MAX, -ENOMEM. */
int hidden_parse_preload(const char *data, size_t n, strv_t *ret);
