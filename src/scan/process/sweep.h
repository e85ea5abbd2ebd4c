/* The process sweep: one pass over the running processes of the host that
 * raises alerts of type abnormal_process. It is what `vigil scan --only
 * process` runs once, what the agent runs on a schedule, and — through
 * psweep_check_pid — what the agent runs for one process when the exec
 * watcher (detect/process/execwatch.h) reports a new program.
 *
 * Rules (docs/processes.md has the details):
 *   process.reverse_shell       urgent      a shell or interpreter whose fd 0, 1 or 2 is a
 *                                           connected TCP socket
 *   process.miner               urgent      miner command line, a connection to a pool
 *                                           port, or a YARA miner rule on the executable
 *   process.deleted_binary      suspicious  running from a deleted file or a memfd
 *   process.deleted_binary_upgraded reminder the file was deleted and a package now owns
 *                                           a new file at its path (an upgrade)
 *   process.tmp_binary          suspicious  running from /tmp, /var/tmp or /dev/shm
 *   process.hidden              urgent      runs but is missing from /proc's listing
 *   process.ld_preload          urgent      an entry in /etc/ld.so.preload
 *   process.new_uid0_account    suspicious  \
 *   process.new_sudoers_entry   suspicious   | new since the last sweep (persist.h);
 *   process.new_cron_job        suspicious   | the first sweep learns silently
 *   process.new_systemd_unit    suspicious   |
 *   process.new_listening_port  reminder    /
 *
 * Processes are only looked at on the running host; with --root the
 * persistence rules and ld.so.preload apply to the image.
 *
 * The sweep owns no thread and no loop: the caller decides when it runs.
 * It is not thread-safe; one psweep_t serves one caller at a time. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/alert.h"
#include "core/config.h"
#include "core/report.h"
#include "core/rootfs.h"
#include "scan/malware/engine.h"

typedef struct psweep psweep_t;

/* Where alerts go: takes ownership of ALERT in every case; returns 0 or a
 * negative errno (which ends the sweep). The signature is that of
 * alert_sink_fn (detect/sink.h), so the agent can pass its sink. */
typedef int (*psweep_alert_fn)(alert_t *alert, void *userdata);

typedef struct psweep_opts {
        const rootfs_t *root;   /* persistence files; processes only when root->is_host */
        const config_t *config; /* may be NULL: defaults */
        const char *state_dir;  /* NULL: the "new since last sweep" rules are off */
        const char *proc_dir;   /* NULL: "/proc" */
        const char *host;       /* put in alerts; may be NULL */
        /* Probe this many pids per sweep for hidden processes, moving the
         * window on each run; 0 probes all. process.hidden.probe_window
         * wins when configured. */
        long probe_window;
        /* Remember (pid, start time, rule) across runs so a process is
         * alerted once, not at every sweep (the agent sets this). */
        bool remember;
        /* The malware engine for YARA miner rules (borrowed). NULL: the
         * sweep builds its own when process.miner.yara is on. */
        const malware_engine_t *engine;
} psweep_opts_t;

typedef struct psweep_stats {
        uint64_t processes; /* read */
        uint64_t kthreads;
        uint64_t vanished;      /* listed, gone before read */
        uint64_t interpreters;  /* shells/interpreters whose fds were looked at */
        uint64_t sockets;       /* table entries read */
        uint64_t netns;         /* network namespaces whose tables were read */
        uint64_t yara_scanned;  /* executables scanned (cache misses) */
        uint64_t yara_cached;   /* executables answered from the cache */
        uint64_t hidden_probed; /* pids probed */
        uint64_t persist_items; /* items compared */
        uint64_t alerts;
        uint64_t suppressed; /* alerts not raised again (remember) or allowlisted */
        uint64_t killed;
        int64_t elapsed_us;
} psweep_stats_t;

/* Create a sweep. Configuration problems become notes in REPORT (may be
 * NULL). Returns 0, -ENOMEM, or -ENOENT when /proc cannot be opened on the
 * running host. Free with psweep_free. */
int psweep_new(const psweep_opts_t *o, report_t *report, psweep_t **ret);
void psweep_free(psweep_t *s);
static inline void psweep_freep(psweep_t **s)
{
        psweep_free(*s);
}
#define _cleanup_psweep_ _cleanup_(psweep_freep)

/* Run one sweep: every rule above. Alerts go to FN; inputs that could not
 * be read become notes in REPORT (may be NULL). STATS may be NULL. Returns
 * 0, -ENOMEM, or FN's error. */
int psweep_run(psweep_t *s, report_t *report, psweep_alert_fn fn, void *userdata,
               psweep_stats_t *stats);

/* Run the per-process rules (reverse shell, miner, deleted and temporary
 * binaries) on one process, e.g. right after it called exec. Returns 0
 * (also when PID is gone), -ENOMEM, or FN's error. */
int psweep_check_pid(psweep_t *s, pid_t pid, report_t *report, psweep_alert_fn fn, void *userdata);

/* Add the counters of STATS to REPORT's statistics under SCANNER. */
void psweep_stats_report(report_t *report, const char *scanner, const psweep_stats_t *stats);
