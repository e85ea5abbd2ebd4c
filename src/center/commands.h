/* Commands for agents: a queue per host in the commands table. The center
 * (an admin, through the handling endpoints) queues a command; the agent
 * pulls what is pending with GET /api/v1/agent/commands and reports the
 * outcome with POST /api/v1/agent/commands/{id}/ack.
 *
 * Delivery is at least once: a command stays "sent" until acknowledged and
 * is handed out again on the next pull (the agent recognises it by id and
 * must not run it twice), until it expires. An acknowledgement is accepted
 * once, only from the host the command is for.
 *
 * Kinds and their arguments (checked when queued):
 *   scan_now      {"categories": ["vulnerability", ...]}   (optional)
 *   verify        {"finding_id": "<32 hex>"}
 *   update_rules  {}
 *   block_ip      {"ip": "203.0.113.9", "duration": "24h"} (duration optional)
 *   quarantine    {"path": "/absolute/path"}
 *   kill          {"pid": 1234, "start_time": N}           (start_time optional)
 */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "center/cdb.h"
#include "center/http.h"

#define COMMANDS_PULL_MAX 50

/* Check KIND and ARGS. Returns 0 or -EINVAL with *RET_ERROR (caller frees). */
int commands_validate(const char *kind, json_t *args, char **ret_error);

/* Queue a command for HOST_ID, valid for TTL_US. ARGS (borrowed; NULL for
 * {}) is checked with commands_validate. Returns 0 with *RET_ID, -EINVAL
 * (with *RET_ERROR), -ENOENT for an unknown or revoked host, or a database
 * error. */
int commands_create(cdb_conn_t *c, int64_t host_id, const char *kind, json_t *args,
                    const char *created_by, int64_t ttl_us, int64_t now_us, int64_t *ret_id,
                    char **ret_error);

/* The commands HOST_ID should run now (at most COMMANDS_PULL_MAX, oldest
 * first), marked as sent. *RET is a JSON array of {id, kind, args,
 * created_at, expires_at}. Returns 0 or a database error. */
int commands_pull(cdb_conn_t *c, int64_t host_id, int64_t now_us, json_t **ret);

/* Record the outcome of command ID reported by HOST_ID: STATUS "done" or
 * "failed", RESULT (borrowed, may be NULL) a JSON object. Returns 0,
 * -ENOENT when there is no such command for this host, -EALREADY when it
 * was already acknowledged or has expired, -EINVAL for a bad status or a
 * result over 16 KiB, or a database error. */
int commands_ack(cdb_conn_t *c, int64_t host_id, int64_t id, const char *status, json_t *result,
                 int64_t now_us);

/* Mark commands past their expiry as expired. *RET_N (may be NULL) gets
 * how many. Returns 0 or a database error. */
int commands_expire(cdb_conn_t *c, int64_t now_us, int64_t *ret_n);

/* HOST_ID's commands, newest first, for the read API: a JSON array. */
int commands_list(cdb_conn_t *c, int64_t host_id, size_t limit, json_t **ret);

/* Routes: the agent's pull and ack. */
extern const http_route_t commands_routes[];
extern const size_t commands_n_routes;
