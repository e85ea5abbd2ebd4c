/* Agent intake: POST /api/v1/agent/batch. An agent sends what it has
 * collected as one JSON document, usually gzip-compressed
 * (Content-Encoding: gzip):
 *
 *   {"agent_id": 123, "batch_id": "b-0001", "seq": 1, "items": [
 *     {"kind": "alert", "id": ..., "type": ..., "rule": ..., "level": ..., "time": ..., ...},
 *     {"kind": "finding", "id": ..., "category": ..., "check": ..., "level": ..., ...},
 *     {"kind": "scan_result", "id": ..., "started": ..., "finished": ..., "categories": [...]},
 *     {"kind": "event", "id": ..., "time": ..., "event": ..., ...},
 *     {"kind": "heartbeat", "time": ..., "spool_items": N, "spool_bytes": N, ...}]}
 *
 * (docs/api.md has every field.) The body is written by an agent that may be
 * compromised, so everything is checked before anything is stored: caps on
 * the compressed and the decompressed size (a gzip bomb stops at the cap),
 * on the number of JSON values (jansson's memory), on items per batch and
 * on every string; types, enumerations, id forms and times; and the
 * agent_id in the body must be the authenticated agent. A batch with any
 * bad item is refused whole with a 4xx naming the item and field, and
 * nothing of it is stored.
 *
 * Storing is idempotent. A batch is applied in one transaction that first
 * records (host, batch_id): a batch seen before changes nothing and is
 * answered as a duplicate. Items are idempotent by their own ids too
 * (alert, event and scan ids are unique per host; a finding's id is stable
 * per host and a later sighting updates it), so an agent that re-batches
 * what it did not see acknowledged cannot create duplicates either. All of
 * it rests on the database's unique constraints, which is what lets several
 * center processes take batches from the same agent at once. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "center/cdb.h"
#include "center/http.h"

/* Field caps. */
#define INTAKE_ID_MAX          64
#define INTAKE_NAME_MAX        128 /* rule, check, type names, versions */
#define INTAKE_TITLE_MAX       (8 * 1024) /* a path (PATH_MAX) and words around it */
#define INTAKE_TEXT_MAX        (16 * 1024) /* detail, remediation */
#define INTAKE_SUBJECT_MAX     (8 * 1024) /* a path (PATH_MAX) and a prefix */
#define INTAKE_EVIDENCE_MAX    (16 * 1024) /* an evidence object, serialised */
#define INTAKE_EVENT_MAX       (16 * 1024) /* an event object, serialised */
#define INTAKE_LIST_MAX        64          /* references, tags */
#define INTAKE_LIST_ITEM_MAX   1024
#define INTAKE_DEPTH_MAX       6   /* nesting of the whole document */
#define INTAKE_VALUES_PER_ITEM 256 /* JSON values allowed per item on average */
/* Times further ahead than this are taken as the time received. */
#define INTAKE_FUTURE_SLACK_US (10LL * 60 * 1000000)

typedef struct intake_limits {
        size_t max_json;  /* decompressed bytes */
        size_t max_items; /* items per batch */
} intake_limits_t;

typedef struct intake_alert {
        const char *id, *type, *rule, *subject, *title, *remediation;
        int level;
        int64_t time;
        char *evidence; /* JSON text, owned */
} intake_alert_t;

typedef struct intake_finding {
        const char *id, *category, *check, *title, *detail, *remediation, *scan_id;
        int level;
        int64_t time;
        char *evidence, *refs, *tags; /* JSON text, owned */
} intake_finding_t;

typedef struct intake_event {
        const char *id, *type;
        int64_t time;
        char *data; /* the whole item as JSON text, owned */
} intake_event_t;

typedef struct intake_scan {
        const char *id;
        int64_t started, finished;
        const char *categories[8];
        size_t n_categories;
        char *categories_json; /* owned */
        int64_t findings;
} intake_scan_t;

typedef struct intake_heartbeat {
        bool present;
        int64_t time;
        int64_t spool_items, spool_bytes;
        const char *agent_version, *os, *os_version, *kernel, *hostname;
} intake_heartbeat_t;

/* A validated batch. Strings are borrowed from ROOT. */
typedef struct intake_batch {
        json_t *root;
        int64_t agent_id;
        const char *batch_id;
        int64_t seq;
        size_t n_items;
        intake_alert_t *alerts;
        size_t n_alerts;
        intake_finding_t *findings;
        size_t n_findings;
        intake_event_t *events;
        size_t n_events;
        intake_scan_t *scans;
        size_t n_scans;
        intake_heartbeat_t heartbeat; /* the last one in the batch */
} intake_batch_t;

/* Inflate a gzip body of N bytes into *RET (caller frees, NUL-terminated)
 * of at most MAX bytes. Returns 0, -E2BIG when the output would pass MAX,
 * -EINVAL for data that is not a complete gzip stream (trailing bytes after
 * it included), -ENOMEM. */
int intake_gunzip(const char *p, size_t n, size_t max, char **ret, size_t *ret_len);

/* Parse and validate the JSON of a batch (N bytes at P). Times in the
 * future beyond INTAKE_FUTURE_SLACK_US of NOW_US are clamped to NOW_US.
 * Returns 0 with *RET (free with intake_batch_free); -EINVAL for a bad
 * document, -E2BIG for one over a cap, with *RET_ERROR saying where
 * ("items[3].level: ...", caller frees); -ENOMEM. */
int intake_parse(const char *p, size_t n, const intake_limits_t *lim, int64_t now_us,
                 intake_batch_t **ret, char **ret_error);
void intake_batch_free(intake_batch_t *b);
static inline void intake_batch_freep(intake_batch_t **b)
{
        intake_batch_free(*b);
}
#define _cleanup_batch_ _cleanup_(intake_batch_freep)

/* What storing a batch did. */
typedef struct intake_result {
        bool duplicate; /* the batch id was seen before: nothing changed */
        size_t alerts, findings, events, scans, heartbeats; /* newly stored or updated */
        size_t duplicate_items;                             /* items already there */
        size_t fixed;                                       /* findings closed by scans */
        int score;
        int64_t pending_commands;
} intake_result_t;

/* Store B for HOST_ID (the authenticated agent) received at NOW_US from
 * REMOTE (may be NULL), in one transaction retried on conflicts. Returns 0
 * with *RET; -ENOENT when the host is gone or revoked; a database error. */
int intake_store(cdb_conn_t *c, int64_t host_id, const intake_batch_t *b, const char *remote,
                 int64_t now_us, intake_result_t *ret);

/* The intake routes, for the route table. */
extern const http_route_t intake_routes[];
extern const size_t intake_n_routes;
