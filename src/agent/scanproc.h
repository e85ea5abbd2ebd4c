/* Posture scans in a child process. The agent does not link the scanners:
 * it runs the full `vigil` executable as
 *
 *   vigil scan --only NAMES --format json --no-progress -j 1 --state DIR [--config FILE]
 *
 * reads the JSON report from the child's standard output, and rebuilds the
 * report_t from it (report_from_json), so the daemon stays small and a
 * scanner's memory or crash stays in the child. The child gets the scan's
 * nice value and the idle I/O class, its own process group (a stop reaches
 * the commands it runs too), and no file descriptors of the agent other
 * than its standard input (/dev/null), output and error.
 *
 * `vigil scan` exits 0 (no high risk) or 1 (high risk found) after a scan
 * that ran; 2 is a failed scan, and so is a signal. Its standard error is
 * kept (the last SCANPROC_STDERR_TAIL bytes) so the message of a failed scan
 * can quote its last lines. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/macro.h"
#include "core/report.h"
#include "core/text.h"

/* Cap on the child's standard output, the JSON report; a child that writes
 * more is killed and the scan fails. */
#define SCANPROC_MAX_OUTPUT (512 * MiB)
/* Bytes of the child's standard error kept: the end of it. */
#define SCANPROC_STDERR_TAIL (8 * KiB)
/* Lines of that tail quoted in the message of a failed scan. */
#define SCANPROC_STDERR_LINES 3
/* After a stop request the child has this long to exit before SIGKILL. */
#define SCANPROC_KILL_GRACE_MS 5000

/* The vigil executable the scans run: CONFIGURED when not NULL, else the
 * environment's VIGIL_SCAN_EXE when set (tests), else the file "vigil" in
 * the directory of /proc/self/exe (the build tree's src/cli/, or the bindir
 * of an install). Returns 0 and the path in *RET (caller frees), -EINVAL
 * when the path is not absolute, or a negative errno from reading
 * /proc/self/exe. Whether the file exists is seen when a scan starts. */
int scanproc_find_exe(const char *configured, char **ret);

typedef struct scanproc_opts {
        const char *exe;         /* absolute path of vigil */
        const char *config_path; /* --config FILE for the child, or NULL */
        const char *state_dir;   /* --state DIR */
        const strv_t *only;      /* scanner names; at least one */
        int nice;                /* the child's nice value */
        size_t max_output;       /* cap on the report; 0: SCANPROC_MAX_OUTPUT */
} scanproc_opts_t;

/* The child of one scan, shared by the thread that runs the scan and the
 * thread that may stop it. pid is the child's while it runs and is not yet
 * reaped, 0 otherwise; a pid is never signalled after it was reaped, since
 * the reaping thread clears it under the lock first. Once stop is set no
 * child starts and a running one is sent SIGTERM (SIGKILL after
 * SCANPROC_KILL_GRACE_MS). */
typedef struct scanproc_child {
        pthread_mutex_t lock;
        pid_t pid;
        bool stop;
} scanproc_child_t;

void scanproc_child_init(scanproc_child_t *c);
void scanproc_child_destroy(scanproc_child_t *c);

/* Stop the scan of C: no child starts any more, a running one gets SIGTERM
 * in its process group. Safe from any thread; scanproc_run returns soon
 * after (with -ECANCELED unless the child had already finished). */
void scanproc_stop(scanproc_child_t *c);

/* Run one scan as described by O and wait for it; blocks, so call it from
 * a worker thread. The child's pid is kept in C while it runs.
 *
 * Returns 0 and the child's report in *RET_REPORT (caller frees with
 * report_free) with the names of the scanners that ran without error
 * appended to RET_COMPLETED; when the child exited 2 but still printed a
 * report, that report is returned with an error note (source "scan") that
 * quotes the child's standard error, and no scanner counts as completed.
 * Returns a negative errno with a one-line reason in *RET_ERROR (caller
 * frees; it quotes the last lines of the child's standard error when there
 * are some): -ECANCELED when stopped, -E2BIG when the report passed the cap,
 * -EIO when the child failed or printed no readable report, -ENOENT or
 * another errno when the executable could not be run, -ENOMEM. */
int scanproc_run(const scanproc_opts_t *o, scanproc_child_t *c, report_t **ret_report,
                 strv_t *ret_completed, char **ret_error);

/* Whether scanner NAME ran without error in R, the report of a `vigil scan`
 * that exited 0 or 1: it has statistics (vigil scan counts elapsed_ms for
 * each scanner it ran), no "failed" counter, and no error note "scanner
 * failed: …" with NAME as source (what vigil scan notes when a scanner
 * returns an error). */
bool scanproc_completed(const report_t *r, const char *name);
