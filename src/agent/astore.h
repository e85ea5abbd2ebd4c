/* The agent's local store, STATE_DIR/agent.db (SQLite, WAL, migrations
 * through core/store): where each source stands (file positions, journal
 * cursors) with its counters, the alerts raised, the findings of scheduled
 * scans, the responses taken, and the cursors of the consumers that pass
 * alerts on (the JSON lines output, the center shipper of ship.h).
 *
 * Exactly once. The agent processes a batch of records, then writes in ONE
 * transaction the alerts that batch raised and the new positions of the
 * sources it read (astore_begin … astore_commit). A crash before the
 * commit loses both, so the same records are read again and give the same
 * alerts; a crash after it keeps both. An alert is therefore never lost
 * and never stored twice for the same records. WAL with synchronous=NORMAL
 * may lose the latest transactions on a power failure, but always whole
 * transactions, so the guarantee holds there too (the records are re-read).
 * Alerts are additionally unique on (dedupe key, event time): a detector
 * that raises the same alert again for the same event after a restart does
 * not store it twice.
 *
 * The alerts table is the spool: its seq column orders alerts as stored,
 * and each consumer keeps the last seq it has handled (astore_consumer_*),
 * so a consumer that was away resumes where it stopped (at least once on
 * its side; a center makes it exactly once with idempotent intake by the
 * alert id). Retention never deletes alerts a consumer has not handled
 * unless the table is over its hard cap. */
#pragma once

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/tail.h"
#include "core/alert.h"
#include "core/report.h"
#include "core/text.h"

#define ASTORE_FILE "agent.db"
/* A stored alert's JSON larger than this is refused (-E2BIG). */
#define ASTORE_ALERT_MAX (1 * MiB)
/* A journal cursor longer than this is refused. */
#define ASTORE_CURSOR_MAX 1024

typedef struct astore astore_t;

/* Open STATE_DIR/agent.db, creating the directory (0700) and the file when
 * CREATE. Returns 0, or a negative errno with *RET_ERROR (caller frees):
 * -ENOENT (missing and !CREATE), -EPROTO (newer schema), -EIO. */
int astore_open(const char *state_dir, bool create, astore_t **ret, char **ret_error);
/* Close; an open transaction is rolled back. Accepts NULL. */
void astore_close(astore_t *s);
static inline void astore_closep(astore_t **s)
{
        astore_close(*s);
}
#define _cleanup_astore_ _cleanup_(astore_closep)

/* The last SQLite error message (borrowed). */
const char *astore_errmsg(astore_t *s);

/* ---- transactions ---- */

/* Begin a write transaction. Returns 0 or -EIO (also when one is open). */
int astore_begin(astore_t *s);
/* Commit it. Returns 0 or -EIO (the transaction is then rolled back). */
int astore_commit(astore_t *s);
/* Roll back; a no-op without a transaction. */
void astore_rollback(astore_t *s);
/* Whether a transaction opened with astore_begin is open. */
bool astore_in_tx(const astore_t *s);

/* ---- sources ---- */

/* Save position SLOT (0 the current file, 1 a rotated one still read) of
 * SOURCE; POS NULL deletes it. Returns 0 or -EIO. */
int astore_put_pos(astore_t *s, const char *source, int slot, const tail_pos_t *pos);
/* Returns 0, -ENOENT, -EIO. */
int astore_get_pos(astore_t *s, const char *source, int slot, tail_pos_t *ret);
/* The journal cursor of SOURCE (NULL deletes). Returns 0, -E2BIG, -EIO. */
int astore_put_cursor(astore_t *s, const char *source, const char *cursor);
/* *RET gets a copy (caller frees). Returns 0, -ENOENT, -EIO, -ENOMEM. */
int astore_get_cursor(astore_t *s, const char *source, char **ret);

/* Add to the counters of SOURCE (created with KIND, e.g. "file", "journal",
 * "capture"). Returns 0 or -EIO. */
int astore_add_counts(astore_t *s, const char *source, const char *kind, uint64_t records,
                      uint64_t events, uint64_t oversized, uint64_t alerts);

typedef struct astore_counts {
        uint64_t records, events, oversized, alerts;
} astore_counts_t;
/* Returns 0, -ENOENT, -EIO. */
int astore_get_counts(astore_t *s, const char *source, astore_counts_t *ret);

/* ---- alerts ---- */

/* Store A (raised from SOURCE, may be NULL). Returns 0 with *RET_SEQ (may
 * be NULL) set, 1 when an alert with the same dedupe key and time is
 * already stored (nothing written), -E2BIG, -ENOMEM or -EIO. */
int astore_put_alert(astore_t *s, const alert_t *a, const char *source, int64_t *ret_seq);

/* Record a response taken for alert ALERT_ID. Returns 0 or -EIO. */
int astore_put_response(astore_t *s, const char *alert_id, const char *action, const char *target,
                        const char *command, const char *result);

/* Called for each alert after a seq: JSON is the alert object as stored
 * (LEN bytes, NUL-terminated). A negative return stops and is returned. */
typedef int (*astore_alert_fn)(int64_t seq, const char *json, size_t len, void *userdata);
/* Alerts with seq > AFTER, in order, at most MAX. *RET_LAST gets the seq of
 * the last one passed (AFTER when none). Returns 0, -EIO or FN's error. */
int astore_alerts_after(astore_t *s, int64_t after, unsigned max, astore_alert_fn fn,
                        void *userdata, int64_t *ret_last);
/* The highest seq stored (0 when none). */
int64_t astore_max_seq(astore_t *s);
int64_t astore_alert_count(astore_t *s);

/* A consumer's cursor. Returns 0, -ENOENT (never set), -EIO. */
int astore_consumer_get(astore_t *s, const char *name, int64_t *ret);
int astore_consumer_set(astore_t *s, const char *name, int64_t seq);

/* ---- scans ---- */

typedef struct astore_scan {
        const char *schedule;    /* key of the schedule entry ("baseline@2d") */
        const strv_t *scanners;  /* scanners run */
        const strv_t *completed; /* of those, the ones that did their job */
        int64_t started_us, finished_us;
} astore_scan_t;

typedef struct astore_scan_result {
        int64_t id;
        size_t findings; /* findings in the report */
        size_t new_open; /* not open before this scan */
        size_t fixed;    /* open before, not seen now, in a completed category */
        size_t alerts;   /* alerts of the report stored */
} astore_scan_result_t;

/* Store the findings and alerts of report R in one transaction (opened
 * here; do not call inside astore_begin): each finding is upserted by its
 * stable id (kept "ignored" when it was), findings of a completed
 * scanner's category that this scan no longer saw become "fixed", and a
 * scans row records the run. Alerts are stored with source "scan". Returns
 * 0 or -EIO/-ENOMEM. */
int astore_put_scan(astore_t *s, const astore_scan_t *scan, const report_t *r,
                    astore_scan_result_t *ret);
/* The start time of the latest recorded run of schedule entry KEY.
 * Returns 0, -ENOENT, -EIO. */
int astore_last_scan(astore_t *s, const char *key, int64_t *ret_started_us);

/* ---- upkeep and status ---- */

/* Delete alerts stored before OLDER_THAN_US, and the oldest beyond
 * MAX_ALERTS (0: no cap), fixed findings fixed before OLDER_THAN_US and
 * scans rows beyond the latest 1000. *RET_DELETED (may be NULL) gets the
 * number of alerts deleted. Returns 0 or -EIO. */
int astore_prune(astore_t *s, int64_t older_than_us, int64_t max_alerts, int64_t *ret_deleted);

/* What `vigil agent status` shows, as a JSON object: {"store", "sources":
 * [{source, kind, records, events, oversized, alerts, updated, positions:
 * [{slot, offset, line, inode}], cursor?}], "alerts": {total, urgent,
 * suspicious, reminder, latest: [...]}, "findings": {open: {high, medium,
 * low}, fixed, ignored}, "scans": [latest runs], "responses": N,
 * "consumers": {name: seq}}. Returns a new reference or NULL (out of
 * memory or a database error). */
json_t *astore_status(astore_t *s);

/* The raw handle, for tests and for the modules that keep their own
 * tables in agent.db (spool.h). Borrowed. */
sqlite3 *astore_db(astore_t *s);
