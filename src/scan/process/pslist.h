/* The process list of the process sweep: a lean reader of /proc made for
 * speed and for not being fooled by a user-space rootkit.
 *
 * inventory/host/proc.h reads six files per process; a sweep over a few
 * thousand processes must finish in tens of milliseconds, so this reader
 * takes only what the rules need: stat (parent, state, flags, thread count,
 * start time and the name), cmdline and the exe link (plus a stat of the
 * executable and the network namespace link when asked). The full record
 * (real and effective uid) is read with proc_read_pid only for processes an
 * alert is about.
 *
 * /proc is listed with the getdents64 system call itself, not with libc's
 * readdir: a library preloaded into vigil (through /etc/ld.so.preload or
 * LD_PRELOAD, the way user-space rootkits hide processes) can replace
 * readdir but not a system call. pslist_pids_libc gives the libc view so the
 * two can be compared.
 *
 * Everything in /proc/PID is written by the process (its name and command
 * line) and is kept as bytes under caps. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/macro.h"

/* Longest name accepted in stat (the kernel writes at most 64 bytes). */
#define PSLIST_MAX_COMM 64
/* Command lines longer than this are kept cut, with cmdline_truncated set. */
#define PSLIST_MAX_CMDLINE (64 * KiB)
/* At most this many processes (the kernel's own pid limit is 4194304). */
#define PSLIST_MAX_PROCS (4 * 1024 * 1024)

/* The flag of stat field 9 that marks a kernel thread (PF_KTHREAD). */
#define PSLIST_PF_KTHREAD 0x00200000u

/* What /proc/PID/stat says. */
typedef struct ps_stat {
        pid_t pid;
        char comm[PSLIST_MAX_COMM + 1]; /* NUL-terminated; may hold any other byte */
        char state;
        pid_t ppid;
        unsigned long flags;
        unsigned long num_threads;
        unsigned long long start_time; /* clock ticks since boot */
} ps_stat_t;

typedef struct ps_entry {
        pid_t pid;
        pid_t ppid;
        char state;
        bool kthread;
        unsigned long num_threads;
        unsigned long long start_time;
        char comm[PSLIST_MAX_COMM + 1];
        /* readlink of /proc/PID/exe without " (deleted)"; NULL for kernel
         * threads or when unreadable. */
        char *exe;
        bool exe_deleted; /* the file's last name is gone (or it is a memfd) */
        bool exe_memfd;   /* an anonymous memory file ("/memfd:NAME") */
        /* stat of the executable through the exe link (valid when
         * exe_stat_ok): identifies the file even when its name is gone. */
        bool exe_stat_ok;
        uint64_t exe_dev, exe_ino, exe_size;
        int64_t exe_mtime_ns;
        unsigned exe_nlink;
        /* The arguments, NUL-separated, CMDLINE_LEN bytes, no final NUL
         * counted; CMDLINE is NUL-terminated after them. NULL when empty. */
        char *cmdline;
        size_t cmdline_len;
        bool cmdline_truncated;
        uint64_t netns; /* inode of the network namespace; 0 unknown */
} ps_entry_t;

typedef struct ps_list {
        ps_entry_t *v; /* sorted by pid */
        size_t n;
        size_t cap;
} ps_list_t;

typedef struct pslist_opts {
        bool exe_stat; /* stat the executable through the exe link */
        bool netns;    /* read the network namespace of each process */
} pslist_opts_t;

typedef struct pslist_stats {
        size_t listed;   /* pids in the getdents64 listing */
        size_t vanished; /* listed but gone before they could be read */
        size_t kthreads;
        uint64_t threads; /* sum of the thread counts of everything read */
} pslist_stats_t;

/* Parse N bytes of a /proc/PID/stat line. The name is taken between the
 * first '(' and the last ')', so a name with ") " in it cannot shift the
 * fields. Returns 0 or -EINVAL. */
int pslist_parse_stat(const char *s, size_t n, ps_stat_t *ret);

/* The pids of PROC_DIRFD (an open /proc) listed with getdents64, sorted.
 * Returns 0, -E2BIG over PSLIST_MAX_PROCS, -ENOMEM or the errno of the
 * system call. *RET is freed by the caller. */
int pslist_pids_raw(int proc_dirfd, pid_t **ret, size_t *ret_n);
/* The same through libc's opendir/readdir (what a preloaded library can
 * change). */
int pslist_pids_libc(int proc_dirfd, pid_t **ret, size_t *ret_n);

/* True when sorted V of N holds PID. */
bool pslist_pids_contain(const pid_t *v, size_t n, pid_t pid);

/* Read one process through PROC_DIRFD. Returns 0 with *RET filled (free
 * with ps_entry_done), -ESRCH when it is gone or not a process, -ENOMEM. */
int pslist_read_pid(int proc_dirfd, pid_t pid, const pslist_opts_t *o, ps_entry_t *ret);

/* Read every process listed by getdents64. Returns 0, -ENOMEM, -E2BIG or
 * the errno of listing. STATS may be NULL. OUT is replaced on success. */
int pslist_read(int proc_dirfd, const pslist_opts_t *o, ps_list_t *out, pslist_stats_t *stats);

void ps_entry_done(ps_entry_t *e);
void ps_list_clear(ps_list_t *l);
/* The entry for PID, or NULL (binary search). */
const ps_entry_t *ps_list_find(const ps_list_t *l, pid_t pid);

/* The first argument (argv[0]) of E, or "" (borrowed). */
const char *ps_entry_argv0(const ps_entry_t *e);
