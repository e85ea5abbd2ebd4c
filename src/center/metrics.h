/* The center's metrics in Prometheus text format (GET /metrics): counters
 * kept in memory by this process (requests, intake batches and items,
 * authentication failures, enrollments, commands, notification failures),
 * an intake latency histogram, and gauges read from the database when
 * scraped (agents online and offline, the spool depth the agents report,
 * open findings and alerts). With several center processes, each exposes
 * its own counters and a scraper sums them; the gauges are the same from
 * every process because they come from the shared database.
 *
 * Counters are updated with atomic operations, so any thread may count
 * without a lock. Other modules (notifications) add to their counters with
 * the functions below. */
#pragma once

#include <stdint.h>

#include "core/buf.h"

typedef enum metric_id {
        METRIC_BATCH_OK,
        METRIC_BATCH_DUPLICATE,
        METRIC_BATCH_REJECTED,
        METRIC_BATCH_FAILED,
        METRIC_STORED_ALERT,
        METRIC_STORED_FINDING,
        METRIC_STORED_EVENT,
        METRIC_STORED_SCAN,
        METRIC_STORED_HEARTBEAT,
        METRIC_RECEIVED_ITEMS,
        METRIC_DUPLICATE_ITEMS,
        METRIC_AUTH_FAIL_AGENT,
        METRIC_AUTH_FAIL_USER,
        METRIC_RATE_LIMITED,
        METRIC_ENROLL_OK,
        METRIC_ENROLL_FAILED,
        METRIC_COMMANDS_CREATED,
        METRIC_COMMANDS_DELIVERED,
        METRIC_COMMANDS_ACKED,
        METRIC_RETENTION_DELETED,
        METRIC__MAX,
} metric_id_t;

/* Read from the database at scrape time. */
typedef struct metrics_gauges {
        int64_t hosts, online, revoked;
        int64_t spool_items, spool_bytes;
        int64_t open_findings[4]; /* by finding level */
        int64_t open_alerts[4];   /* by alert level */
        int fleet_score;
} metrics_gauges_t;

typedef struct metrics metrics_t;

/* Returns NULL when out of memory. */
metrics_t *metrics_new(void);
void metrics_free(metrics_t *m);

void metrics_add(metrics_t *m, metric_id_t id, uint64_t n);
/* Count one HTTP response by its status class. */
void metrics_http_status(metrics_t *m, int status);
/* Record how long one intake request took. */
void metrics_observe_intake(metrics_t *m, int64_t dur_us);
/* Count a notification that could not be delivered on CHANNEL ("email",
 * "webhook", ...; at most 32 distinct names, 32 characters each; others
 * count as "other"). */
void metrics_notification_failure(metrics_t *m, const char *channel);
uint64_t metrics_get(metrics_t *m, metric_id_t id);

/* Write every metric, with the gauges G (may be NULL), in Prometheus text
 * exposition format 0.0.4 to OUT. Returns 0 or -ENOMEM/-E2BIG. */
int metrics_render(metrics_t *m, const metrics_gauges_t *g, buf_t *out);
