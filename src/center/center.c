#include "center/center.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "center/auth.h"
#include "center/commands.h"
#include "center/cutil.h"
#include "center/hosts.h"
#include "center/loginlimit.h"
#include "center/notify.h"
#include "center/retention.h"
#include "center/routes.h"
#include "center/schema.h"
#include "core/store.h"
#include "core/text.h"
#include "core/timeutil.h"

#define PEM_MAX (1 * MiB)

/* ---- configuration ---- */

static int cfg_str(const config_t *cfg, const char *key, const char *def, char **ret,
                   char **ret_error)
{
        json_t *j = cfg ? config_get(cfg, key) : NULL;
        const char *v = def;

        if (j && !json_is_null(j)) {
                if (!json_is_string(j)) {
                        *ret_error = str_printf("%s: must be a string", key);
                        return -EINVAL;
                }
                v = json_string_value(j);
        }
        free(*ret);
        *ret = v ? strdup(v) : NULL;
        return v && !*ret ? -ENOMEM : 0;
}

static int cfg_duration(const config_t *cfg, const char *key, int64_t *ret, char **ret_error)
{
        json_t *j = cfg ? config_get(cfg, key) : NULL;

        if (!j || json_is_null(j))
                return 0;
        if (json_is_integer(j) && json_integer_value(j) > 0 &&
            json_integer_value(j) < 100LL * 366 * 86400) {
                *ret = json_integer_value(j) * USEC_PER_SEC;
                return 0;
        }
        if (json_is_string(j) && cutil_parse_duration(json_string_value(j), ret) == 0)
                return 0;
        /* "0" or "forever" turn retention off. */
        if ((json_is_string(j) && (strcmp(json_string_value(j), "forever") == 0 ||
                                   strcmp(json_string_value(j), "0") == 0)) ||
            (json_is_integer(j) && json_integer_value(j) == 0)) {
                *ret = 0;
                return 0;
        }
        *ret_error = str_printf("%s: must be a duration like 10m, 12h or 180d", key);
        return -EINVAL;
}

static int cfg_uint(const config_t *cfg, const char *key, long long min, long long max,
                    unsigned *ret, char **ret_error)
{
        json_t *j = cfg ? config_get(cfg, key) : NULL;

        if (!j || json_is_null(j))
                return 0;
        if (!json_is_integer(j) || json_integer_value(j) < min || json_integer_value(j) > max) {
                *ret_error = str_printf("%s: must be an integer from %lld to %lld", key, min, max);
                return -EINVAL;
        }
        *ret = (unsigned)json_integer_value(j);
        return 0;
}

static int cfg_size(const config_t *cfg, const char *key, size_t min, size_t max, size_t *ret,
                    char **ret_error)
{
        unsigned long long v;
        int r;

        if (!cfg || !config_get(cfg, key))
                return 0;
        r = config_get_size(cfg, key, &v);
        if (r < 0 || v < min || v > max) {
                *ret_error = str_printf("%s: must be a size from %zu to %zu bytes (\"4MiB\")", key,
                                        min, max);
                return -EINVAL;
        }
        *ret = (size_t)v;
        return 0;
}

static int cfg_number(const config_t *cfg, const char *key, double *ret, char **ret_error)
{
        json_t *j = cfg ? config_get(cfg, key) : NULL;

        if (!j || json_is_null(j))
                return 0;
        if (!json_is_number(j) || json_number_value(j) < 0) {
                *ret_error = str_printf("%s: must be a number, 0 or more", key);
                return -EINVAL;
        }
        *ret = json_number_value(j);
        return 0;
}

static int cfg_bool(const config_t *cfg, const char *key, bool *ret, char **ret_error)
{
        json_t *j = cfg ? config_get(cfg, key) : NULL;

        if (!j || json_is_null(j))
                return 0;
        if (!json_is_boolean(j)) {
                *ret_error = str_printf("%s: must be true or false", key);
                return -EINVAL;
        }
        *ret = json_is_true(j);
        return 0;
}

int center_config_load(const config_t *cfg, const char *state_dir, center_config_t *ret,
                       char **ret_error)
{
        center_config_t c = {
                .threads = 8,
                .max_connections = 4096,
                .offline_after_us = CENTER_DEFAULT_OFFLINE_AFTER,
                .retention_alerts_us = 180 * USEC_PER_DAY,
                .retention_events_us = 30 * USEC_PER_DAY,
                .retention_batches_us = 30 * USEC_PER_DAY,
                .retention_history_us = 400 * USEC_PER_DAY,
                .notify_keep_us = RETENTION_NOTIFY_KEEP_US,
                .maintenance_every_us = 60 * USEC_PER_SEC,
                .command_ttl_us = USEC_PER_DAY,
                .intake_max_body = 2 * MiB,
                .intake_max_json = 16 * MiB,
                .intake_max_items = 1000,
                .intake_rate = 2000,
                .intake_burst = 20000,
                .intake_inflight = 64 * MiB,
        };
        _cleanup_free_ char *defdb = NULL, *sync = NULL;
        int r;

        *ret_error = NULL;
        defdb = str_printf("sqlite:%s/center.db", state_dir ? state_dir : ".");
        if (!defdb)
                return -ENOMEM;
        if ((r = cfg_str(cfg, "center.listen", CENTER_DEFAULT_LISTEN, &c.listen, ret_error)) < 0 ||
            (r = cfg_str(cfg, "center.db", defdb, &c.db_url, ret_error)) < 0 ||
            (r = cfg_str(cfg, "center.tls.cert", NULL, &c.tls_cert, ret_error)) < 0 ||
            (r = cfg_str(cfg, "center.tls.key", NULL, &c.tls_key, ret_error)) < 0 ||
            (r = cfg_str(cfg, "center.sqlite.synchronous", "normal", &sync, ret_error)) < 0 ||
            (r = cfg_bool(cfg, "center.tls.insecure_plain_http", &c.allow_plain_http_anywhere,
                          ret_error)) < 0 ||
            (r = cfg_uint(cfg, "center.threads", 1, 256, &c.threads, ret_error)) < 0 ||
            (r = cfg_uint(cfg, "center.db_pool", 1, 512, &c.db_pool, ret_error)) < 0 ||
            (r = cfg_uint(cfg, "center.max_connections", 16, 1000000, &c.max_connections,
                          ret_error)) < 0 ||
            (r = cfg_duration(cfg, "center.offline_after", &c.offline_after_us, ret_error)) < 0 ||
            (r = cfg_duration(cfg, "center.retention.alerts", &c.retention_alerts_us, ret_error)) <
                    0 ||
            (r = cfg_duration(cfg, "center.retention.events", &c.retention_events_us, ret_error)) <
                    0 ||
            (r = cfg_duration(cfg, "center.retention.batches", &c.retention_batches_us,
                              ret_error)) < 0 ||
            (r = cfg_duration(cfg, "center.retention.history", &c.retention_history_us,
                              ret_error)) < 0 ||
            (r = cfg_duration(cfg, "center.maintenance_interval", &c.maintenance_every_us,
                              ret_error)) < 0 ||
            (r = cfg_duration(cfg, "center.commands.ttl", &c.command_ttl_us, ret_error)) < 0 ||
            (r = cfg_duration(cfg, "center.notifications.keep", &c.notify_keep_us, ret_error)) <
                    0 ||
            (r = cfg_size(cfg, "center.intake.max_body", 4 * KiB, 64 * MiB, &c.intake_max_body,
                          ret_error)) < 0 ||
            (r = cfg_size(cfg, "center.intake.max_json", 4 * KiB, 256 * MiB, &c.intake_max_json,
                          ret_error)) < 0 ||
            (r = cfg_size(cfg, "center.intake.max_inflight", 1 * MiB, 4 * GiB, &c.intake_inflight,
                          ret_error)) < 0 ||
            (r = cfg_number(cfg, "center.intake.rate", &c.intake_rate, ret_error)) < 0 ||
            (r = cfg_number(cfg, "center.intake.burst", &c.intake_burst, ret_error)) < 0 ||
            (r = cfg_bool(cfg, "center.metrics_public", &c.metrics_public, ret_error)) < 0 ||
            (r = loginlimit_config(cfg, &c.login_limit_failures, &c.login_limit_window_us,
                                   ret_error)) < 0)
                goto fail;
        {
                unsigned items = (unsigned)c.intake_max_items;
                if ((r = cfg_uint(cfg, "center.intake.max_items", 1, 100000, &items, ret_error)) <
                    0)
                        goto fail;
                c.intake_max_items = items;
        }
        if (strcmp(sync, "full") == 0)
                c.sqlite_sync_full = true;
        else if (strcmp(sync, "normal") != 0) {
                *ret_error = str_printf("center.sqlite.synchronous: must be normal or full");
                r = -EINVAL;
                goto fail;
        }
        if (!!c.tls_cert != !!c.tls_key) {
                *ret_error = str_printf("center.tls: give both cert and key, or neither");
                r = -EINVAL;
                goto fail;
        }
        if (c.offline_after_us == 0 || c.maintenance_every_us == 0 || c.command_ttl_us == 0) {
                *ret_error = str_printf("center.offline_after, center.maintenance_interval and "
                                        "center.commands.ttl cannot be 0");
                r = -EINVAL;
                goto fail;
        }
        if (c.intake_burst < c.intake_max_items + 1)
                c.intake_burst = (double)c.intake_max_items + 1;
        if (!c.db_pool)
                c.db_pool = c.threads + 2;
        *ret = c;
        return 0;
fail:
        center_config_clear(&c);
        return r;
}

void center_config_clear(center_config_t *c)
{
        free(c->listen);
        free(c->db_url);
        free(c->tls_cert);
        free(c->tls_key);
        memset(c, 0, sizeof(*c));
}

static int config_copy(const center_config_t *from, center_config_t *to)
{
        *to = *from;
        to->listen = from->listen ? strdup(from->listen) : NULL;
        to->db_url = from->db_url ? strdup(from->db_url) : NULL;
        to->tls_cert = from->tls_cert ? strdup(from->tls_cert) : NULL;
        to->tls_key = from->tls_key ? strdup(from->tls_key) : NULL;
        if ((from->listen && !to->listen) || (from->db_url && !to->db_url) ||
            (from->tls_cert && !to->tls_cert) || (from->tls_key && !to->tls_key)) {
                center_config_clear(to);
                return -ENOMEM;
        }
        return 0;
}

/* ---- life cycle ---- */

void center_log(center_t *c, center_log_level_t level, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        if (!c || !c->log)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        c->log(level, msg, c->log_userdata);
}

int center_add_user_auth(center_t *c, center_user_auth_fn fn)
{
        if (c->n_user_auth >= CENTER_MAX_USER_AUTH)
                return -E2BIG;
        c->user_auth[c->n_user_auth++] = fn;
        return 0;
}

static void on_done(void *app, const http_req_t *req, int status)
{
        center_t *c = app;

        metrics_http_status(c->metrics, status);
}

http_app_t center_http_app(center_t *c)
{
        return (http_app_t){ .router = c->router, .auth = auth_check, .done = on_done, .app = c };
}

/* SQLite: create the directory of the database file (the command line
 * has made it already, with its own rules on what it may create; this is
 * for other callers). *RET_DIR gets the directory on failure, to name it. */
static int sqlite_dir(const char *url, char **ret_dir)
{
        _cleanup_free_ char *path = NULL;
        char *dir;
        int r;

        if (!str_startswith(url, "sqlite:") || strcmp(url, "sqlite::memory:") == 0)
                return 0;
        path = strdup(url + STRLEN("sqlite:"));
        if (!path)
                return -ENOMEM;
        dir = dirname(path);
        if (strcmp(dir, ".") == 0 || strcmp(dir, "/") == 0)
                return 0;
        r = store_mkdir_p(dir);
        if (r < 0)
                *ret_dir = strdup(dir);
        return r;
}

int center_open(const center_config_t *cfg, center_log_fn log, void *log_userdata, center_t **ret,
                char **ret_error)
{
        _cleanup_center_ center_t *c = NULL;
        unsigned applied = 0;
        int r;

        *ret_error = NULL;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        pthread_mutex_init(&c->inflight_lock, NULL);
        pthread_mutex_init(&c->maint_lock, NULL);
        pthread_cond_init(&c->maint_cond, NULL);
        c->log = log;
        c->log_userdata = log_userdata;
        r = config_copy(cfg, &c->cfg);
        if (r < 0)
                return r;
        c->metrics = metrics_new();
        c->ratelimit = ratelimit_new(c->cfg.intake_rate, c->cfg.intake_burst);
        if (!c->metrics || !c->ratelimit)
                return -ENOMEM;
        r = loginlimit_new(c->cfg.login_limit_failures, c->cfg.login_limit_window_us,
                           LOGINLIMIT_MAX_ADDRS, &c->loginlimit);
        if (r < 0)
                return r;
        {
                _cleanup_free_ char *dir = NULL;
                r = sqlite_dir(c->cfg.db_url, &dir);
                if (r < 0) {
                        *ret_error = str_printf("cannot create the directory %s for the database "
                                                "%s: %s",
                                                dir ? dir : "?", c->cfg.db_url, strerror(-r));
                        return r;
                }
        }
        r = cdb_open(c->cfg.db_url, c->cfg.db_pool, c->cfg.sqlite_sync_full, &c->db, ret_error);
        if (r < 0)
                return r;
        r = cdb_migrate(c->db, schema_migrations, schema_n_migrations, &applied, ret_error);
        if (r < 0)
                return r;
        if (applied)
                center_log(c, CENTER_LOG_INFO, "database schema: applied %u migration(s)", applied);
        r = routes_build(c);
        if (r < 0) {
                *ret_error = str_printf("building the route table: %s", strerror(-r));
                return r;
        }
        r = center_add_user_auth(c, auth_apikey_user);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

static int read_pem(const char *path, char **ret, char **ret_error)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_buf_ buf_t b;
        char chunk[8192];
        ssize_t n;

        buf_init(&b, PEM_MAX);
        if (fd < 0) {
                *ret_error = str_printf("%s: %s", path, strerror(errno));
                return -errno;
        }
        while ((n = read(fd, chunk, sizeof(chunk))) > 0)
                if (buf_append(&b, chunk, (size_t)n) < 0) {
                        *ret_error = str_printf("%s: larger than %zu bytes", path, PEM_MAX);
                        return -E2BIG;
                }
        if (n < 0) {
                *ret_error = str_printf("%s: %s", path, strerror(errno));
                return -errno;
        }
        *ret = buf_take(&b);
        return *ret ? 0 : -ENOMEM;
}

static void server_log(void *userdata, const char *msg)
{
        center_log(userdata, CENTER_LOG_WARN, "http: %s", msg);
}

static void *maint_main(void *userdata)
{
        center_t *c = userdata;

        pthread_mutex_lock(&c->maint_lock);
        while (!c->stopping) {
                struct timespec ts;
                int64_t wake = timeutil_now_us() + c->cfg.maintenance_every_us;
                ts.tv_sec = wake / USEC_PER_SEC;
                ts.tv_nsec = (wake % USEC_PER_SEC) * 1000;
                pthread_cond_timedwait(&c->maint_cond, &c->maint_lock, &ts);
                if (c->stopping)
                        break;
                pthread_mutex_unlock(&c->maint_lock);
                (void)center_maintenance(c, timeutil_now_us(), false);
                pthread_mutex_lock(&c->maint_lock);
        }
        pthread_mutex_unlock(&c->maint_lock);
        return NULL;
}

int center_start(center_t *c, char **ret_error)
{
        _cleanup_free_ char *cert = NULL, *key = NULL;
        struct sockaddr_storage ss;
        size_t sslen;
        bool loopback;
        http_server_opts_t o;
        int r;

        *ret_error = NULL;
        if (http_parse_listen(c->cfg.listen, &ss, &sslen, &loopback) < 0) {
                *ret_error = str_printf("center.listen: '%s' is not HOST:PORT", c->cfg.listen);
                return -EINVAL;
        }
        if (c->cfg.tls_cert) {
                r = read_pem(c->cfg.tls_cert, &cert, ret_error);
                if (r == 0)
                        r = read_pem(c->cfg.tls_key, &key, ret_error);
                if (r < 0)
                        return r;
        } else if (!loopback && !c->cfg.allow_plain_http_anywhere) {
                *ret_error = str_printf("refusing plain HTTP on %s, which is not a loopback "
                                        "address: set center.tls.cert and center.tls.key",
                                        c->cfg.listen);
                return -EPERM;
        } else {
                center_log(c, CENTER_LOG_WARN,
                           "serving PLAIN HTTP on %s without TLS: for tests and development "
                           "only; agent credentials would cross the network in clear text",
                           c->cfg.listen);
        }
        o = (http_server_opts_t){
                .listen = c->cfg.listen,
                .tls_cert = cert,
                .tls_key = key,
                .threads = c->cfg.threads,
                .max_connections = c->cfg.max_connections,
                .app = center_http_app(c),
                .log = server_log,
                .log_userdata = c,
        };
        r = http_server_start(&o, &c->server, ret_error);
        if (r < 0)
                return r;
        c->stopping = false;
        if (pthread_create(&c->maint, NULL, maint_main, c) != 0) {
                http_server_stop(TAKE_PTR(c->server));
                *ret_error = str_printf("cannot start the maintenance thread");
                return -EAGAIN;
        }
        c->maint_running = true;
        /* Notifications go out from their own thread, so a slow mail server
         * never delays maintenance. */
        r = notify_start(c, &c->notifier);
        if (r < 0) {
                center_stop(c);
                *ret_error = str_printf("cannot start the notifier: %s", strerror(-r));
                return r;
        }
        return 0;
}

int center_port(const center_t *c)
{
        return c->server ? http_server_port(c->server) : -1;
}

void center_stop(center_t *c)
{
        if (!c)
                return;
        /* Stop taking requests first; those being handled finish. */
        http_server_stop(TAKE_PTR(c->server));
        notify_stop(TAKE_PTR(c->notifier));
        if (c->maint_running) {
                pthread_mutex_lock(&c->maint_lock);
                c->stopping = true;
                pthread_cond_signal(&c->maint_cond);
                pthread_mutex_unlock(&c->maint_lock);
                pthread_join(c->maint, NULL);
                c->maint_running = false;
        }
}

void center_free(center_t *c)
{
        if (!c)
                return;
        center_stop(c);
        routes_free(c);
        cdb_close(c->db);
        metrics_free(c->metrics);
        ratelimit_free(c->ratelimit);
        loginlimit_free(c->loginlimit);
        center_config_clear(&c->cfg);
        pthread_mutex_destroy(&c->inflight_lock);
        pthread_mutex_destroy(&c->maint_lock);
        pthread_cond_destroy(&c->maint_cond);
        free(c);
}

int center_maintenance(center_t *c, int64_t now_us, bool force_retention)
{
        int r;

        {
                _cleanup_conn_ cdb_conn_t *conn = NULL;
                int64_t expired = 0;

                r = cdb_acquire(c->db, &conn);
                if (r == 0)
                        r = hosts_fleet_sample(conn, now_us, c->cfg.offline_after_us);
                if (r == 0)
                        r = commands_expire(conn, now_us, &expired);
                if (r < 0) {
                        center_log(c, CENTER_LOG_ERROR, "maintenance: %s",
                                   conn ? cdb_errmsg(conn) : strerror(-r));
                        return r;
                }
        }
        if (force_retention || now_us - c->last_retention_us >= USEC_PER_HOUR) {
                retention_policy_t p = { .alerts_us = c->cfg.retention_alerts_us,
                                         .events_us = c->cfg.retention_events_us,
                                         .batches_us = c->cfg.retention_batches_us,
                                         .history_us = c->cfg.retention_history_us };
                int64_t deleted = 0;

                c->last_retention_us = now_us;
                r = retention_run(c->db, &p, now_us, &deleted);
                if (r < 0) {
                        center_log(c, CENTER_LOG_ERROR, "retention: %s", strerror(-r));
                        return r;
                }
                metrics_add(c->metrics, METRIC_RETENTION_DELETED, (uint64_t)deleted);
                if (deleted)
                        center_log(c, CENTER_LOG_INFO, "retention: deleted %lld old rows",
                                   (long long)deleted);
        }
        return 0;
}
