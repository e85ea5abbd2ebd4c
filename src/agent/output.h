/* Passing stored alerts on. Alerts reach a consumer only from the store
 * (astore.h): the agent stores an alert first, in the transaction that
 * advances the positions of the sources, and then "pumps" the consumers,
 * each of which reads the alerts after its own cursor, delivers them, and
 * moves its cursor on. A consumer that fails or is slow loses nothing: the
 * store is its spool, and it resumes after its cursor.
 *
 * Two kinds of consumer:
 * - the JSON lines writer (output_jsonl_*): one `{"kind":"alert",…}` line
 *   per alert (the shape of `vigil logscan --format jsonl`) to a file or
 *   standard output. Its cursor is kept in the store for a file ("jsonl:"
 *   and the path), so after a crash it writes on from where it was — a
 *   line written just before a crash may be written again (at least once);
 *   for standard output the cursor lives in memory and starts at the
 *   alerts stored from now on.
 * - a shipper (the center's spool, ship.h): any struct shipper with a deliver
 *   function; see below. The center's idempotent intake (by alert id) makes
 *   at-least-once delivery exactly once. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/astore.h"

/* How many alerts one pump hands a consumer at most. */
#define OUTPUT_BATCH 512

/* A consumer of the alert stream. DELIVER gets alerts in seq order, JSON
 * being the stored alert object; it returns 0 when it has taken the alert
 * (the cursor may pass it), -EAGAIN to stop for now (the alert is offered
 * again at the next pump: a shipper whose center is away), or another
 * negative errno (stop; reported by output_pump). FLUSH (may be NULL) is
 * called after a batch, before the cursor moves, to make what was taken
 * durable or sent. */
typedef struct shipper {
        const char *name; /* cursor name in the store; unique */
        bool persistent;  /* keep the cursor in the store (else in memory) */
        int (*deliver)(void *userdata, int64_t seq, const char *json, size_t len);
        int (*flush)(void *userdata);
        void *userdata;
} shipper_t;

typedef struct output output_t;

/* A set of consumers over store S (borrowed). Returns NULL when out of
 * memory. */
output_t *output_new(astore_t *s);
/* Free the set and its JSON lines writers (closing their files); shippers
 * added with output_add are not freed. Accepts NULL. */
void output_free(output_t *o);

/* Add consumer SH (copied; its userdata borrowed). A persistent consumer
 * without a cursor yet starts after the alerts stored so far. Returns 0,
 * -EEXIST for a name in use, -ENOMEM, -EIO. */
int output_add(output_t *o, const shipper_t *sh);

/* Add a JSON lines writer to PATH ("-": standard output). The file is
 * opened for appending (created 0600). Returns 0, -errno from open, -EIO,
 * -ENOMEM. */
int output_add_jsonl(output_t *o, const char *path);

/* Deliver what is new to every consumer. Returns 0 or the first error
 * (the other consumers still run); *RET_PENDING (may be NULL) is set when
 * some consumer stopped before the end (call again later). */
int output_pump(output_t *o, bool *ret_pending);

/* Write OBJ (a JSON object; "kind" should be set) as one line to every
 * JSON lines writer now, outside the spool (scan summaries, responses).
 * Returns 0 or -EIO. */
int output_note(output_t *o, json_t *obj);

/* The JSON line of an alert: `{"kind":"alert",` followed by the stored
 * object's members. *RET (caller frees) is NUL-terminated with a newline.
 * Returns 0, -EINVAL when JSON is not an object, -ENOMEM. */
int output_alert_line(const char *json, size_t len, char **ret, size_t *ret_len);
