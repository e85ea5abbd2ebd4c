/* The shipper: reporting to a vigil center. It has two halves.
 *
 * The spooling half is a consumer of the store's alert stream (output.h):
 * every alert stored is copied into the on-disk spool (spool.h) and the
 * consumer's cursor moves on; the findings and the summary of each
 * scheduled scan are spooled by ship_put_scan. The spool is kept under its
 * disk cap (oldest low-level items dropped first, one warning, drops
 * counted in heartbeats). This half works without a loop (agent --once).
 *
 * The sending half runs on the agent's libuv loop: batches of spooled
 * items (gzip-compressed JSON, a unique batch id and seq) go to
 * POST /api/v1/agent/batch; items leave the spool only after the center's
 * 2xx (at least once; the center's idempotent intake makes it exactly
 * once). A heartbeat with the spool's depth rides along every
 * agent.center.heartbeat. Commands are pulled from
 * GET /api/v1/agent/commands, run through a callback, recorded in the
 * store before and after running (so a command delivered again is never
 * run twice) and acknowledged. Failures back off exponentially (1 s up to
 * agent.center.retry_max, with jitter, honouring Retry-After); a batch the
 * center refuses as invalid is split in halves until the one bad item is
 * found and set aside (counted as rejected).
 *
 * Each HTTP request runs on a libuv worker thread (uv_queue_work) with its
 * own copies of everything it needs, one request at a time; the loop only
 * reads and writes the store. docs/agent.md says why. */
#pragma once

/* core/macro.h before uv.h: sys/param.h (from uv.h) defines MIN and MAX
 * only when they are not defined yet. */
#include "core/macro.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "agent/agent.h"
#include "agent/astore.h"
#include "agent/cclient.h"
#include "agent/output.h"
#include "core/report.h"
#include "core/text.h"

/* What running a command gave. */
typedef enum ship_cmd_status {
        SHIP_CMD_DONE,
        SHIP_CMD_FAILED,
        SHIP_CMD_REFUSED, /* disabled by the local configuration */
} ship_cmd_status_t;

/* Run command KIND with ARGS (borrowed, an object). *RET_RESULT (may be
 * left NULL) gets a new JSON object describing the outcome; for a refusal
 * it should carry "reason". */
typedef ship_cmd_status_t (*ship_command_fn)(void *userdata, int64_t id, const char *kind,
                                             json_t *args, json_t **ret_result);

typedef struct ship_opts {
        uv_loop_t *loop;                    /* NULL: spooling only (no sending) */
        astore_t *store;                    /* borrowed */
        const cclient_cred_t *cred;         /* copied */
        const char *ca_file;                /* overrides the credential's; may be NULL */
        const cclient_identity_t *identity; /* copied; for heartbeats */
        size_t batch_items, batch_bytes;
        uint64_t spool_max;
        int64_t heartbeat_ms, commands_ms, retry_max_ms, timeout_ms;
        agent_log_fn log; /* may be NULL */
        void *log_userdata;
        ship_command_fn command; /* NULL: every command is refused */
        void *command_userdata;
} ship_opts_t;

typedef struct ship ship_t;

/* Create a shipper. With a loop, sending starts at once (a first
 * heartbeat and command pull). Returns 0, -EINVAL, -ENOMEM. */
int ship_new(const ship_opts_t *o, ship_t **ret);

/* Stop and free. A request still running on a worker thread finishes
 * there and is then discarded (its batch is sent again later, under the
 * same batch id). Accepts NULL. The loop must run afterwards for the
 * shipper's handles to close (the agent's shutdown does). */
void ship_free(ship_t *s);

/* The spool consumer to add to the output (output_add). SH's userdata
 * points at S. */
void ship_consumer(ship_t *s, shipper_t *ret);

/* Spool the findings of report R from scan SCAN_ID (unique per host, e.g.
 * "s<row id>-<start time>") and its summary: COMPLETED the scanners that
 * did their job (their categories are closed by the center for findings
 * not seen). Returns 0 or a negative errno (nothing spooled). */
int ship_put_scan(ship_t *s, const char *scan_id, const report_t *r, const strv_t *completed,
                  int64_t started_us, int64_t finished_us);

/* Something new was spooled, or the loop should look again: send soon. */
void ship_kick(ship_t *s);

/* The spool's state in STORE as a JSON object ({items, bytes, shipped,
 * dropped, rejected, batches, commands_unacked}), for `vigil agent
 * status`. New reference or NULL. */
json_t *ship_status(astore_t *store);
