/* The agent: vigil's daemon. One libuv loop on one thread drives every
 * source and detector; posture scans (child `vigil scan` processes that a
 * worker thread waits for) and the first file-integrity pass run on
 * libuv's worker threads so the loop never waits for them.
 *
 *   sources                parsers            detectors          results
 *   log files (tail.h) --> logparse/utmp --> login detectors --+
 *   journal (jsource.h) -> logparse ------/                    +--> sink --> store (astore.h)
 *   packet capture ---------------------> port scans --------+|            --> output (output.h)
 *   /proc counters (timer) -------------> floods ------------+|            --> response (block)
 *   inotify/fanotify -------------------> file integrity ----+
 *   schedule (timer) -> `vigil scan` child (worker thread waits) -> findings and alerts
 *                                                                 --> store, output
 *
 * Every detector hands its alerts to one sink (detect/sink.h). The loop
 * works in batches: it reads what a source has (up to agent.batch bytes),
 * feeds the records through parser and detectors, and then stores the
 * alerts raised together with the source's new position in one
 * transaction, which is what makes records and alerts exactly-once across
 * crashes (astore.h, docs/agent.md). Consumers of alerts (the JSON lines
 * output, the center shipper) read them from the store.
 *
 * Signals: SIGTERM and SIGINT stop the agent after storing everything and
 * saving the detectors' state; SIGHUP reloads the configuration file (a
 * bad file is reported and the running configuration kept). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "core/config.h"

typedef enum agent_log_level {
        AGENT_LOG_ERROR,
        AGENT_LOG_WARN,
        AGENT_LOG_INFO,
        AGENT_LOG_DEBUG,
} agent_log_level_t;

/* Where the agent's messages go (the command at the top logs them). MSG may
 * quote file names and other attacker-written text: escape when printing. */
typedef void (*agent_log_fn)(agent_log_level_t level, const char *msg, void *userdata);

typedef struct agent_opts {
        const char *config_path; /* reread on SIGHUP; NULL: the configuration cannot be reloaded */
        bool config_must_exist;
        const char *state_dir; /* agent.db, login.db, fim.db */
        const char *output;    /* JSON lines to this file or "-"; NULL: agent.output */
        const char *log_root;  /* prefix for the default log paths (tests); NULL: none */
        bool once;             /* read the logs to their end, flush, and return */
        /* The vigil executable that runs the posture scans (`vigil scan` in
         * a child process; the agent does not link the scanners). An
         * absolute path; NULL: $VIGIL_SCAN_EXE, else "vigil" in the
         * directory of /proc/self/exe (agent/scanproc.h). */
        const char *scan_exe;
        agent_log_fn log; /* may be NULL */
        void *log_userdata;
} agent_opts_t;

typedef struct agent agent_t;

/* Prepare the agent with CONFIG (taken over, also on error). Opens the
 * store and checks the settings; sources and detectors start in agent_run.
 * Returns 0, -EINVAL with *RET_ERROR for a bad setting, or a negative
 * errno with *RET_ERROR (caller frees). */
int agent_new(const agent_opts_t *o, config_t *config, agent_t **ret, char **ret_error);

/* Run until stopped by a signal (or, with once, until the logs are read).
 * Returns 0, or a negative errno when the agent could not go on (the store
 * failed for good); the reason was logged. */
int agent_run(agent_t *a);

/* Free the agent. Accepts NULL. A scan still running is stopped (its child
 * gets SIGTERM and is reaped) and its results dropped; it runs again after
 * a start. */
void agent_free(agent_t *a);
static inline void agent_freep(agent_t **a)
{
        agent_free(*a);
}

/* What `vigil agent status` prints: the store's status (astore_status)
 * for STATE_DIR. Returns 0, -ENOENT when the agent never ran there, or a
 * negative errno with *RET_ERROR (caller frees). */
int agent_status(const char *state_dir, json_t **ret, char **ret_error);
