/* Notifications: the settings and channels kept in the database, the
 * delivery of new alerts and findings to the channels, the console's inbox,
 * and their REST endpoints (docs/notifications.md):
 *
 *   GET    /api/v1/notifications/settings          rules per level (viewer)
 *   PUT    /api/v1/notifications/settings          replace them (admin)
 *   GET    /api/v1/notifications/channels          channels, secrets hidden (viewer)
 *   POST   /api/v1/notifications/channels          add one (admin)
 *   DELETE /api/v1/notifications/channels/{id}     remove one (admin)
 *   POST   /api/v1/notifications/channels/{id}/test  send a test message now (admin)
 *   POST   /api/v1/notifications/deliver           run one delivery round now (admin)
 *   GET    /api/v1/inbox                           the console inbox (viewer)
 *   POST   /api/v1/inbox/{id}/read, /api/v1/inbox/read   mark one or all read (viewer)
 *
 * Delivery never runs in an agent's request. A round (notify_round, run by
 * the notifier thread every few seconds) first moves new alerts and
 * findings into the queue table: each source has a cursor row (the last
 * (time, host, id) taken), the rows after it that are older than the
 * settle time are matched against the rules, and one queue row per
 * channel is inserted with ON CONFLICT DO NOTHING; the queue's primary key
 * (channel, kind, host, item) is what makes "never twice on a channel"
 * hold, whichever process inserts. It then sends what is due: a process
 * claims a row with an UPDATE that only matches while nobody holds it (or
 * the holder's lease ran out), so several center processes on one
 * PostgreSQL do not send the same row twice. Failures are retried with
 * exponential backoff and counted in /metrics; rows over the per-host daily
 * limit of their channel are marked suppressed.
 *
 * A process that dies between sending and recording the send leaves a
 * claimed row whose lease runs out; another process then sends it again.
 * Delivery is therefore at least once in that one case, and exactly once
 * otherwise. */
#pragma once

#include <stdint.h>

#include "center/center.h"
#include "center/http.h"

/* A claim on a queue row lasts this long; a send takes at most
 * NOTIFY_SEND_TIMEOUT_MS, far less. */
#define NOTIFY_LEASE_US       (5LL * 60 * 1000000)
#define NOTIFY_MAX_ATTEMPTS   8
#define NOTIFY_RETRY_BASE_US  (30LL * 1000000)
#define NOTIFY_RETRY_MAX_US   (60LL * 60 * 1000000)
#define NOTIFY_ROUND_EVERY_US (5LL * 1000000)
/* Rows taken from a source, and queue rows sent, per round. */
#define NOTIFY_PAGE       500
#define NOTIFY_SEND_BATCH 200

typedef struct notify_stats {
        int64_t queued, sent, failed, suppressed, dropped;
} notify_stats_t;

/* The delay before attempt number ATTEMPTS + 1 after ATTEMPTS failures:
 * 30 s, 1 min, 2 min, ... at most an hour. */
int64_t notify_backoff_us(int attempts);

/* One round at NOW_US as process INSTANCE (a short unique string, used to
 * claim rows): queue new alerts and findings, then send what is due.
 * Returns 0 with *RET_STATS (may be NULL) or the first database error;
 * delivery failures are not errors (they are counted and retried). */
int notify_round(center_t *c, const char *instance, int64_t now_us, notify_stats_t *ret_stats);

/* The background notifier: a thread running notify_round every
 * NOTIFY_ROUND_EVERY_US. notify_start returns 0 with *RET or -ENOMEM /
 * -EAGAIN; notify_stop stops and frees it (accepts NULL). */
typedef struct notifier notifier_t;
int notify_start(center_t *c, notifier_t **ret);
void notify_stop(notifier_t *n);

extern const http_route_t notify_routes[];
extern const size_t notify_n_routes;
