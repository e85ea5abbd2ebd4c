#include "center/routes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "center/api_read.h"
#include "center/api_users.h"
#include "center/commands.h"
#include "center/console.h"
#include "center/enroll.h"
#include "center/handling.h"
#include "center/hosts.h"
#include "center/intake.h"
#include "center/notify.h"
#include "core/timeutil.h"

static int h_metrics(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        metrics_gauges_t g = { 0 };
        hosts_fleet_t f;
        bool have = false;
        int r;

        /* Counters are served even when the database is away; the gauges
         * then are missing, which a scraper notices. */
        if (cdb_acquire(c->db, &conn) == 0 &&
            hosts_fleet(conn, timeutil_now_us(), c->cfg.offline_after_us, &f) == 0) {
                g.hosts = f.hosts;
                g.online = f.online;
                g.revoked = f.revoked;
                g.spool_items = f.spool_items;
                g.spool_bytes = f.spool_bytes;
                for (int l = 1; l <= 3; l++) {
                        g.open_findings[l] = f.findings[l];
                        g.open_alerts[l] = f.alerts[l];
                }
                g.fleet_score = f.score;
                have = true;
        }
        buf_reset(&resp->body);
        r = metrics_render(c->metrics, have ? &g : NULL, &resp->body);
        if (r < 0)
                return r;
        resp->status = 200;
        resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
        return 0;
}

static int h_health(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        int version = 0;
        int r = cdb_acquire(c->db, &conn);

        if (r == 0)
                r = cdb_schema_version(conn, &version);
        if (r < 0)
                return http_resp_error(resp, 503, "unavailable", "the database is unavailable");
        return http_resp_json(resp, 200,
                              json_pack("{s:b, s:s, s:i, s:s}", "ok", 1, "database",
                                        cdb_engine_name(c->db), "schema", version, "version",
                                        VIGIL_VERSION));
}

static const http_route_t misc_routes[] = {
        { "GET", "/healthz", HTTP_AUTH_NONE, 0, h_health },
        { "GET", "/metrics", HTTP_AUTH_VIEWER, 0, h_metrics },
};

struct module_routes {
        const http_route_t *routes;
        const size_t *n;
};

static const size_t misc_n = ELEMENTSOF(misc_routes);

/* Every module's routes. Add new modules here. */
static const struct module_routes modules[] = {
        { misc_routes, &misc_n },
        { enroll_routes, &enroll_n_routes },
        { intake_routes, &intake_n_routes },
        { commands_routes, &commands_n_routes },
        { api_read_routes, &api_read_n_routes },
        { console_routes, &console_n_routes },
        { api_users_routes, &api_users_n_routes },
        { handling_routes, &handling_n_routes },
        { notify_routes, &notify_n_routes },
};

/* The router points into a copy of the modules' routes, with the caps
 * and levels the configuration sets. */
int routes_build(center_t *c)
{
        size_t total = 0, k = 0;
        http_route_t *all;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(modules); i++)
                total += *modules[i].n;
        all = calloc(total, sizeof(*all));
        if (!all)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(modules); i++)
                for (size_t j = 0; j < *modules[i].n; j++) {
                        http_route_t rt = modules[i].routes[j];
                        if (rt.handler == h_metrics && c->cfg.metrics_public)
                                rt.auth = HTTP_AUTH_NONE;
                        if (strcmp(rt.pattern, "/api/v1/agent/batch") == 0)
                                rt.max_body = c->cfg.intake_max_body;
                        all[k++] = rt;
                }
        c->router = http_router_new();
        if (!c->router) {
                free(all);
                return -ENOMEM;
        }
        r = http_router_add(c->router, all, total);
        if (r < 0) {
                http_router_free(TAKE_PTR(c->router));
                free(all);
                return r;
        }
        c->routes = all;
        return 0;
}

void routes_free(center_t *c)
{
        http_router_free(TAKE_PTR(c->router));
        free(TAKE_PTR(c->routes));
}
