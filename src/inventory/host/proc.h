/* Running processes of the host, read from /proc. Only meaningful when the
 * scanned root is the running host; for a --root image the list is empty.
 * Everything in /proc/PID is written by the process itself (comm, cmdline,
 * environ), so it is treated as attacker-written: capped and kept as bytes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/macro.h"

/* Caps on what is read per process. */
#define PROC_MAX_CMDLINE (64 * KiB)

typedef struct proc_info {
        pid_t pid;
        pid_t ppid;
        uid_t uid; /* real uid */
        uid_t euid;
        char *comm; /* /proc/PID/comm, without the newline */
        /* readlink /proc/PID/exe without " (deleted)"; NULL for kernel
         * threads or when unreadable */
        char *exe;
        bool exe_deleted; /* the executable was deleted after start */
        /* Arguments from /proc/PID/cmdline, NUL-separated; CMDLINE_LEN bytes. */
        char *cmdline;
        size_t cmdline_len;
        /* The command line was longer than PROC_MAX_CMDLINE: CMDLINE holds its
         * first PROC_MAX_CMDLINE bytes and this flag says so, so a reader
         * never takes a cut command line for the whole one. */
        bool cmdline_truncated;
        unsigned long long start_time; /* clock ticks since boot (field 22 of stat) */
} proc_info_t;

typedef struct proc_list {
        proc_info_t *v;
        size_t n;
        size_t cap;
} proc_list_t;

/* Read every process. Processes that exit while being read are skipped
 * silently; unreadable fields stay NULL. Returns 0, -ENOENT when /proc is not
 * mounted, -ENOMEM. */
int proc_list_read(proc_list_t *out);
void proc_list_clear(proc_list_t *l);

/* Same as proc_list_read for a procfs mounted (or a tree laid out like one)
 * at PROC_PATH; used by tests and by callers that look at another mount of
 * /proc. Returns 0, -ENOENT/-ENOTDIR when PROC_PATH is not a directory,
 * -ENOMEM. */
int proc_list_read_at(const char *proc_path, proc_list_t *out);

/* Read one process through PROC_DIRFD (an open descriptor of the /proc
 * directory). Returns 0 with *RET filled (free its fields with
 * proc_info_done), -ESRCH when the process does not exist or exited while
 * being read, -ENOMEM. */
int proc_read_pid(int proc_dirfd, pid_t pid, proc_info_t *ret);
/* Free the fields of P and zero it; accepts a zeroed struct. */
void proc_info_done(proc_info_t *p);

/* The entry of L for PID, or NULL. L is sorted by pid after
 * proc_list_read, so this is a binary search. */
const proc_info_t *proc_list_find(const proc_list_t *l, pid_t pid);

/* The command line with arguments joined by spaces (NULs become spaces).
 * Caller frees; NULL when out of memory. */
char *proc_cmdline_string(const proc_info_t *p);
