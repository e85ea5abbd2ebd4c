/* Retention: alerts, events, batch records, scans and history samples older
 * than the configured ages (center.retention.*), and finished notifications
 * and read inbox messages (center.notifications.keep), are deleted, a chunk at a
 * time so a large backlog never holds the database's write lock for long.
 * Open alerts count in their host's score, so hosts that lose open alerts
 * are counted again afterwards. Findings are not aged out: an open risk
 * stays until a scan no longer sees it. */
#pragma once

#include <stdint.h>

#include "center/cdb.h"

#define RETENTION_CHUNK 5000
/* center.notifications.keep: how long finished queue rows and read inbox
 * messages are kept. */
#define RETENTION_NOTIFY_KEEP_US (30LL * 24 * 3600 * 1000000)
/* Never less than two days: the per-host daily limits count the queue
 * rows sent in the last day. */
#define RETENTION_NOTIFY_KEEP_MIN_US (2LL * 24 * 3600 * 1000000)
/* Unread inbox messages are kept past the age limit, the newest this many
 * of them. */
#define RETENTION_INBOX_UNREAD_MAX 10000

typedef struct retention_policy {
        int64_t alerts_us, events_us, batches_us, history_us; /* 0: keep forever */
} retention_policy_t;

/* Delete what P says is too old at NOW_US. *RET_DELETED (may be NULL) gets
 * the number of rows deleted. Returns 0 or a database error. */
int retention_run(cdb_t *db, const retention_policy_t *p, int64_t now_us, int64_t *ret_deleted);

/* Prune the notification tables at NOW_US: queue rows that are finished
 * (sent, failed, suppressed, dropped) and were created more than KEEP_US
 * ago (at least RETENTION_NOTIFY_KEEP_MIN_US; 0 keeps them for ever), and
 * inbox messages older than KEEP_US that are read, or unread and not among
 * the newest UNREAD_MAX unread ones. Pending queue rows are never touched.
 * Once a queue row is gone, an item that comes back to the notifier (a
 * finding seen again by a later scan) may be sent again on that channel.
 * *RET_DELETED (may be NULL) gets the number of rows deleted. Returns 0 or
 * a database error. */
int retention_notify(cdb_t *db, int64_t keep_us, int64_t unread_max, int64_t now_us,
                     int64_t *ret_deleted);
