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
        uid_t uid;        /* real uid */
        uid_t euid;
        char *comm;       /* /proc/PID/comm, without the newline */
        char *exe;        /* readlink /proc/PID/exe without " (deleted)"; NULL for kernel threads or when unreadable */
        bool exe_deleted; /* the executable was deleted after start */
        /* Arguments from /proc/PID/cmdline, NUL-separated; CMDLINE_LEN bytes. */
        char *cmdline;
        size_t cmdline_len;
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

/* The command line with arguments joined by spaces (NULs become spaces).
 * Caller frees; NULL when out of memory. */
char *proc_cmdline_string(const proc_info_t *p);
