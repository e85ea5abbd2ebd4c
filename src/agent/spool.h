/* The spool: what the agent still has to send to its center, kept on disk
 * in agent.db (tables of migration 2 in astore.c) so that nothing is lost
 * while the center is away or the agent restarts.
 *
 * An item is one JSON object of the intake format (center/intake.h) with
 * its "kind" set: an alert, a finding, a scan_result, an event. Items are
 * unique by (kind, item id): putting the same alert twice (a crash between
 * spooling and moving the consumer cursor) keeps one. Each has a priority
 * (1 low .. 3 high, from its level) used only when the spool is over its
 * disk cap: then the oldest items of the lowest priority go first.
 *
 * Batches. spool_next_batch takes the oldest items (up to a count and a
 * byte cap) and writes the whole intake document; the batch's id, seq and
 * the range of items it holds are recorded as "in flight" before it is
 * sent. Only spool_ack (after the center's 2xx) deletes the items, so
 * delivery is at least once; a batch rebuilt after a failure or a restart
 * from the same items gets the same batch id, which the center recognises
 * as a duplicate, and items are idempotent by their ids there as well. A
 * batch id carries random bits besides the seq, so a state directory
 * restored from a snapshot cannot reuse an id the center has seen.
 *
 * The spool also keeps the shipper's counters (items shipped, dropped by
 * the cap, refused by the center) and the commands received from the
 * center with their outcome (so a command delivered twice runs once). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/astore.h"

/* An item's JSON larger than this is refused (-E2BIG); the center's own
 * per-field caps are smaller. */
#define SPOOL_ITEM_MAX (256 * KiB)
/* Longest item id. */
#define SPOOL_ID_MAX 64
/* Batch ids: "b" + seq + "-" + 16 hex digits. */
#define SPOOL_BATCH_ID_MAX 48

typedef enum spool_prio {
        /* Dropped before anything else: scan summaries, whose loss only
         * delays closing fixed findings until the next scan. */
        SPOOL_PRIO_EXPENDABLE = 0,
        SPOOL_PRIO_LOW = 1,
        SPOOL_PRIO_MEDIUM = 2,
        SPOOL_PRIO_HIGH = 3,
} spool_prio_t;

/* Add an item: KIND ("alert", ...), its ID, priority PRIO and JSON (LEN
 * bytes, an object whose "kind" member is KIND). Call inside astore_begin
 * or not (then it is its own transaction). A finding replaces a spooled
 * one with the same id (a later sighting is newer); any other item
 * already spooled is kept. Returns 0, 1 when (KIND, ID) was already
 * spooled and kept (nothing written), -EINVAL for a bad kind, id or prio,
 * -E2BIG over SPOOL_ITEM_MAX, -EIO. */
int spool_put(astore_t *s, const char *kind, const char *id, int prio, const char *json,
              size_t len);

/* Add an alert as stored by astore (JSON is the alert object without
 * "kind"): the item is the same object with "kind":"alert" first, its
 * priority the alert's level. Returns as spool_put, and -EINVAL when JSON
 * is not an alert object with an id and a level. */
int spool_put_alert(astore_t *s, const char *json, size_t len);

/* Bring the spool under MAX_BYTES (counted as the items' JSON bytes): when
 * it is over, delete the oldest items of the lowest priority first until
 * it is at 90% of the cap. *RET_DROPPED (may be NULL) gets the number of
 * items deleted now, which is also added to the "dropped" counter.
 * Returns 0 or -EIO. */
int spool_enforce_cap(astore_t *s, uint64_t max_bytes, uint64_t *ret_dropped);

typedef struct spool_stats {
        uint64_t items, bytes;
        uint64_t shipped;  /* items the center acknowledged, ever */
        uint64_t dropped;  /* items deleted by the cap, ever */
        uint64_t rejected; /* items the center refused as invalid, ever */
        uint64_t batches;  /* batch seq: batches formed, ever */
} spool_stats_t;

/* Returns 0 or -EIO. */
int spool_stats(astore_t *s, spool_stats_t *ret);

typedef struct spool_batch {
        char batch_id[SPOOL_BATCH_ID_MAX];
        int64_t seq;
        int64_t lo, hi; /* spool seqs of the first and last item; 0 when none */
        size_t n;       /* items from the spool (a heartbeat is not counted) */
        bool reused;    /* the in-flight batch of an earlier attempt */
        char *json;     /* the whole document, NUL-terminated; owned */
        size_t len;
} spool_batch_t;

/* Form the next batch for AGENT_ID: the in-flight batch again when its
 * items are all still there and it has at most MAX_ITEMS, else the oldest
 * items (at most MAX_ITEMS, and at most MAX_BYTES of item JSON, but always
 * at least one), recorded as in flight. HEARTBEAT (may be NULL; borrowed)
 * is appended as the last item. Returns 0 with *RET (clear with
 * spool_batch_clear); -ENOENT when there are no items and no heartbeat;
 * -EINVAL for MAX_ITEMS 0; -ENOMEM; -EIO. */
int spool_next_batch(astore_t *s, int64_t agent_id, size_t max_items, size_t max_bytes,
                     json_t *heartbeat, spool_batch_t *ret);
void spool_batch_clear(spool_batch_t *b);

/* The center took batch B (2xx): delete its items, count them as shipped
 * and forget the in-flight record. Returns 0 or -EIO. */
int spool_ack(astore_t *s, const spool_batch_t *b);

/* The center refused batch B as invalid and B holds one item: delete it
 * and count it as rejected. Returns 0, -EINVAL when B has more than one
 * item, or -EIO. */
int spool_reject(astore_t *s, const spool_batch_t *b);

/* ---- commands from the center ---- */

/* The outcome recorded for command ID: *RET_STATUS "running", "done",
 * "failed" and *RET_RESULT its JSON text (both caller frees; result may be
 * NULL), *RET_ACKED whether the center has it. Any may be NULL. Returns 0,
 * -ENOENT (never seen), -EIO, -ENOMEM. */
int spool_cmd_get(astore_t *s, int64_t id, char **ret_status, char **ret_result, bool *ret_acked);

/* Record command ID of KIND with STATUS and RESULT (may be NULL), not yet
 * acknowledged. Returns 0 or -EIO. */
int spool_cmd_put(astore_t *s, int64_t id, const char *kind, const char *status,
                  const char *result);

/* Mark command ID acknowledged (ACKED) or to be acknowledged again (the
 * center handed it out again: it did not get the acknowledgement).
 * Returns 0 or -EIO. */
int spool_cmd_set_acked(astore_t *s, int64_t id, bool acked);

/* The oldest command whose outcome is known but not acknowledged: *RET_ID,
 * *RET_STATUS and *RET_RESULT (caller frees; result may be NULL).
 * "running" commands (the agent stopped while one ran) are reported as
 * failed. Returns 0, -ENOENT when there is none, -EIO, -ENOMEM. */
int spool_cmd_next_unacked(astore_t *s, int64_t *ret_id, char **ret_status, char **ret_result);

/* Forget acknowledged commands received before OLDER_THAN_US. Returns 0 or
 * -EIO. */
int spool_cmd_prune(astore_t *s, int64_t older_than_us);
