/* Retention: alerts, events, batch records, scans and history samples older
 * than the configured ages (center.retention.*) are deleted, a chunk at a
 * time so a large backlog never holds the database's write lock for long.
 * Open alerts count in their host's score, so hosts that lose open alerts
 * are counted again afterwards. Findings are not aged out: an open risk
 * stays until a scan no longer sees it. */
#pragma once

#include <stdint.h>

#include "center/cdb.h"

#define RETENTION_CHUNK 5000

typedef struct retention_policy {
        int64_t alerts_us, events_us, batches_us, history_us; /* 0: keep forever */
} retention_policy_t;

/* Delete what P says is too old at NOW_US. *RET_DELETED (may be NULL) gets
 * the number of rows deleted. Returns 0 or a database error. */
int retention_run(cdb_t *db, const retention_policy_t *p, int64_t now_us, int64_t *ret_deleted);
