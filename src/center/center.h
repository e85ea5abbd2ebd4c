/* The center: the server every agent reports to. This module reads the
 * center's settings from the configuration, opens the database and applies
 * the schema migrations, builds the route table, starts the HTTP server and
 * a maintenance thread (fleet score samples, expired commands, retention,
 * SQLite checkpoints), and stops it all in order.
 *
 * The center keeps no state that several processes would have to share:
 * everything lives in the database, so any number of center processes can
 * serve one PostgreSQL database behind a load balancer. What each process
 * keeps in memory is only for itself: counters for /metrics and the
 * agents' rate limit buckets.
 *
 * struct center is visible to the center's modules (handlers get it as
 * their application pointer); code outside src/center uses the functions. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "center/cdb.h"
#include "center/http.h"
#include "center/metrics.h"
#include "center/ratelimit.h"
#include "core/config.h"

#define CENTER_DEFAULT_LISTEN        "127.0.0.1:8080"
#define CENTER_DEFAULT_OFFLINE_AFTER (10LL * 60 * 1000000)

typedef struct center_config {
        char *listen;                   /* center.listen: HOST:PORT */
        char *db_url;                   /* center.db: sqlite:PATH or postgres://... */
        char *tls_cert;                 /* center.tls.cert: PEM file; NULL for plain HTTP */
        char *tls_key;                  /* center.tls.key */
        bool allow_plain_http_anywhere; /* center.tls.insecure_plain_http (never by default) */
        unsigned threads;               /* center.threads: HTTP worker threads */
        unsigned db_pool;               /* center.db_pool: database connections */
        unsigned max_connections;       /* center.max_connections */
        bool sqlite_sync_full;          /* center.sqlite.synchronous: full */
        int64_t offline_after_us;       /* center.offline_after */
        int64_t retention_alerts_us;    /* center.retention.alerts */
        int64_t retention_events_us;    /* center.retention.events */
        int64_t retention_batches_us;   /* center.retention.batches */
        int64_t retention_history_us;   /* center.retention.history */
        int64_t notify_keep_us;         /* center.notifications.keep */
        int64_t maintenance_every_us;   /* center.maintenance_interval */
        int64_t command_ttl_us;         /* center.commands.ttl */
        size_t intake_max_body;         /* center.intake.max_body: as sent (compressed) */
        size_t intake_max_json;         /* center.intake.max_json: decompressed */
        size_t intake_max_items;        /* center.intake.max_items: per batch */
        double intake_rate;             /* center.intake.rate: items/s per agent (0: off) */
        double intake_burst;            /* center.intake.burst */
        size_t intake_inflight;         /* center.intake.max_inflight: decompressed bytes */
        bool metrics_public;            /* center.metrics_public: /metrics without a key */
        unsigned login_limit_failures;  /* center.console.login_limit.failures (0: off) */
        int64_t login_limit_window_us;  /* center.console.login_limit.window */
} center_config_t;

/* Fill RET with the defaults, then the values of CFG (may be NULL) under
 * "center.". The database defaults to sqlite:STATE_DIR/center.db. Returns
 * 0, or -EINVAL with *RET_ERROR naming the bad key (caller frees). */
int center_config_load(const config_t *cfg, const char *state_dir, center_config_t *ret,
                       char **ret_error);
void center_config_clear(center_config_t *c);

/* A place for messages the running center wants a person to see (the
 * command logs them). MSG may quote peer data: escape when printing. */
typedef enum center_log_level {
        CENTER_LOG_ERROR,
        CENTER_LOG_WARN,
        CENTER_LOG_INFO,
} center_log_level_t;
typedef void (*center_log_fn)(center_log_level_t level, const char *msg, void *userdata);

/* A way to recognise people and API clients (HTTP_AUTH_VIEWER and above):
 * returns 0 with PRINCIPAL filled, -ENOENT when the request carries no
 * credential of this kind (the next authenticator is tried), or -EACCES
 * when it carries a bad one (refused at once). */
typedef struct center center_t;
typedef int (*center_user_auth_fn)(center_t *c, const http_req_t *req, http_principal_t *principal);
#define CENTER_MAX_USER_AUTH 8

struct center {
        center_config_t cfg;
        cdb_t *db;
        metrics_t *metrics;
        ratelimit_t *ratelimit;
        struct loginlimit *loginlimit; /* failed console logins per address (console.c) */
        http_router_t *router;
        http_route_t *routes; /* the table the router points into (routes.c) */
        http_server_t *server;
        center_user_auth_fn user_auth[CENTER_MAX_USER_AUTH];
        size_t n_user_auth;
        center_log_fn log;
        void *log_userdata;
        /* Decompressed intake bytes being parsed right now, against
         * cfg.intake_inflight (bounds the memory that JSON parsing takes). */
        size_t inflight;
        pthread_mutex_t inflight_lock;
        /* Maintenance thread. */
        pthread_t maint;
        bool maint_running, stopping;
        pthread_mutex_t maint_lock;
        pthread_cond_t maint_cond;
        int64_t last_retention_us;
        /* The notification sender (notify.c); NULL when not started. */
        struct notifier *notifier;
};

/* Open the database named in CFG (copied), apply migrations and build the
 * routes; nothing listens yet. LOG may be NULL. Returns 0 or a negative
 * errno with *RET_ERROR (caller frees). Free with center_free. */
int center_open(const center_config_t *cfg, center_log_fn log, void *log_userdata, center_t **ret,
                char **ret_error);

/* Listen and start the maintenance thread. Refuses plain HTTP on an
 * address that is not loopback (-EPERM) unless the configuration insists.
 * Returns 0 or a negative errno with *RET_ERROR. */
int center_start(center_t *c, char **ret_error);
/* The port listened on, or -1. */
int center_port(const center_t *c);
/* Stop listening (requests in progress finish) and stop the maintenance
 * thread. Safe to call twice. */
void center_stop(center_t *c);
void center_free(center_t *c);
static inline void center_freep(center_t **c)
{
        center_free(*c);
}
#define _cleanup_center_ _cleanup_(center_freep)

/* The HTTP application (router, auth hook, metrics) for http_handle. */
http_app_t center_http_app(center_t *c);

/* One maintenance round at NOW_US: fleet history sample, expired
 * commands, retention (when due or FORCE_RETENTION), SQLite checkpoint.
 * Returns 0 or the first error. */
int center_maintenance(center_t *c, int64_t now_us, bool force_retention);

/* Log through the center's log function (no-op without one). */
void center_log(center_t *c, center_log_level_t level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Add an authenticator for people and API clients; tried in the order
 * added. Returns 0 or -E2BIG. */
int center_add_user_auth(center_t *c, center_user_auth_fn fn);
