/* The exec watcher: the kernel's process events connector (netlink,
 * NETLINK_CONNECTOR, group CN_IDX_PROC) tells, as it happens, that a
 * process called exec. The agent checks each new program right away with
 * the process sweep's per-process rules (psweep_check_pid in
 * scan/process/sweep.h) — a program run from /dev/shm, a miner command
 * line, a shell whose input is a socket — instead of waiting for the next
 * periodic sweep. A program often connects only after it started, so each
 * exec is offered again as a "recheck" a little later.
 *
 * It is a library driven from outside, with no thread and no loop of its
 * own: the caller polls execwatch_fd for input and calls
 * execwatch_dispatch when it is readable, and calls execwatch_tick on a
 * timer (execwatch_next_due says when) to receive the rechecks.
 *
 * Needs CAP_NET_ADMIN in the initial user namespace (root on the host) and
 * a kernel built with CONFIG_PROC_EVENTS; without them execwatch_open
 * fails with a clear errno and the agent relies on the periodic sweep.
 * When events come faster than they are read the kernel drops some:
 * execwatch_dispatch then returns -ENOBUFS once, and the caller should run
 * a full sweep to cover what was missed.
 *
 * Datagrams are parsed as untrusted bytes (lengths checked against what
 * was received) and only those sent by the kernel (netlink port 0) are
 * taken. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/macro.h"

/* Defaults. */
#define EXECWATCH_RECHECK_MS  2000
#define EXECWATCH_MAX_PENDING 4096
#define EXECWATCH_RCVBUF      (4 * 1024 * 1024)
/* Datagrams read per execwatch_dispatch call at most, so a storm of execs
 * cannot keep the caller's loop from its other work. */
#define EXECWATCH_MAX_BATCH 1024

typedef enum execwatch_kind {
        EXECWATCH_EXEC,    /* a process just called exec */
        EXECWATCH_RECHECK, /* RECHECK_MS after an exec: look at it again */
} execwatch_kind_t;

typedef struct execwatch_event {
        execwatch_kind_t kind;
        pid_t pid;             /* the thread that called exec */
        pid_t tgid;            /* its process: the pid to check */
        uint64_t timestamp_ns; /* kernel monotonic time of the exec; 0 for a recheck */
} execwatch_event_t;

/* Called for each event. Return 0 to go on, or a negative errno to stop
 * (dispatch or tick then return it; events not yet delivered stay
 * queued). */
typedef int (*execwatch_fn)(const execwatch_event_t *ev, void *userdata);

typedef struct execwatch_opts {
        unsigned recheck_ms; /* 0: the default; UINT32_MAX: no rechecks */
        size_t max_pending;  /* rechecks waiting at most; 0: the default */
        int rcvbuf;          /* socket receive buffer in bytes; 0: the default */
} execwatch_opts_t;

typedef struct execwatch_stats {
        uint64_t datagrams;
        uint64_t exec_events;
        uint64_t exit_events;
        uint64_t other_events;    /* fork, uid change, … (ignored) */
        uint64_t malformed;       /* messages that did not parse */
        uint64_t foreign;         /* datagrams not from the kernel (ignored) */
        uint64_t overruns;        /* times the kernel dropped events (ENOBUFS) */
        uint64_t rechecks;        /* rechecks delivered */
        uint64_t recheck_dropped; /* rechecks not queued: the queue was full */
} execwatch_stats_t;

typedef struct execwatch execwatch_t;

/* Open the connector socket (non-blocking) and subscribe. Returns 0,
 * -EPERM/-EACCES without CAP_NET_ADMIN, -EPROTONOSUPPORT when the kernel
 * has no process connector, -ENOMEM, or another negative errno. Free with
 * execwatch_free. */
int execwatch_open(const execwatch_opts_t *o, execwatch_t **ret);
/* Unsubscribe and close; accepts NULL. */
void execwatch_free(execwatch_t *w);
static inline void execwatch_freep(execwatch_t **w)
{
        execwatch_free(*w);
}
#define _cleanup_execwatch_ _cleanup_(execwatch_freep)

/* The descriptor to poll for input (POLLIN). */
int execwatch_fd(const execwatch_t *w);

/* Read what is waiting (up to EXECWATCH_MAX_BATCH datagrams), call FN for
 * each exec and queue its recheck for NOW_MS + recheck_ms. Returns 0,
 * -ENOBUFS when the kernel reported lost events since the last call, FN's
 * error, or the errno of recv. */
int execwatch_dispatch(execwatch_t *w, uint64_t now_ms, execwatch_fn fn, void *userdata);

/* Deliver the rechecks due at NOW_MS (monotonic milliseconds, the same
 * clock as for dispatch). Returns 0 or FN's error. */
int execwatch_tick(execwatch_t *w, uint64_t now_ms, execwatch_fn fn, void *userdata);

/* When the next recheck is due (monotonic ms), or 0 when none waits. */
uint64_t execwatch_next_due(const execwatch_t *w);

/* The counters so far. */
void execwatch_get_stats(const execwatch_t *w, execwatch_stats_t *ret);

/* One parsed process event. */
typedef struct execwatch_record {
        unsigned what; /* PROC_EVENT_* */
        pid_t pid, tgid;
        uint64_t timestamp_ns;
} execwatch_record_t;

/* Called by execwatch_parse for each well-formed process event. */
typedef int (*execwatch_record_fn)(const execwatch_record_t *rec, void *userdata);

/* Parse one datagram of N bytes as received from the connector: netlink
 * messages, each a connector message holding a process event. Messages
 * that are cut short, too long, or from another connector are counted in
 * STATS->malformed (STATS may be NULL) and skipped. Returns 0 or FN's
 * error. */
int execwatch_parse(const void *buf, size_t n, execwatch_record_fn fn, void *userdata,
                    execwatch_stats_t *stats);
