/* The optional response of the process sweep: killing a process an urgent
 * alert is about (process.response.kill, off by default).
 *
 * Never killed, whatever the configuration: pid 1 and pids below 1, kernel
 * threads, vigil itself and every process running vigil's own executable
 * (the agent and other vigil commands), and processes on the response
 * allowlist (executable path, directory of executables, or name).
 *
 * A pid can be reused between the sweep and the kill. The process is
 * pinned with a pidfd first and its start time is compared with the one
 * the sweep saw; only then is SIGKILL sent through that pidfd, so a process
 * that took over the pid is never hit. On kernels without pidfds (before
 * 5.3) kill(2) is used after the same start-time check, which leaves a
 * window of microseconds. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "core/text.h"

typedef enum response_outcome {
        RESPONSE_KILLED,
        RESPONSE_ALLOWLISTED, /* on process.response.allowlist */
        RESPONSE_PROTECTED,   /* pid 1, a kernel thread, vigil */
        RESPONSE_GONE,        /* exited, or its pid now belongs to another process */
        RESPONSE_FAILED,      /* the signal could not be sent (errno in *RET_ERRNO) */
} response_outcome_t;

typedef struct response_target {
        pid_t pid;
        unsigned long long start_time; /* as the sweep read it */
        bool kthread;
        const char *exe;  /* may be NULL */
        const char *comm; /* may be NULL */
} response_target_t;

/* Decide and, when allowed, kill T. PROC_DIRFD is an open /proc. Returns
 * the outcome; *RET_ERRNO (may be NULL) gets the errno for
 * RESPONSE_FAILED. */
response_outcome_t response_kill(int proc_dirfd, const response_target_t *t,
                                 const strv_t *allowlist, int *ret_errno);

/* True for targets that are never killed (pid 1, kernel threads, vigil). */
bool response_protected(int proc_dirfd, const response_target_t *t);

/* "killed", "allowlisted", "protected", "gone", "failed". */
const char *response_outcome_name(response_outcome_t o);
