/* Helpers shared by the login detector unit tests: a configuration from
 * JSON text, events built field by field, and a collector of the alerts
 * raised. */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/alert.h"
#include "core/config.h"
#include "detect/login/detectors.h"

/* Base time of the synthetic streams: 2026-11-26T10:00:00Z, a Thursday. */
#define DT_T0     1795687200LL
#define DT_SEC(s) ((int64_t)(DT_T0 + (s)) * 1000000)

typedef struct dt_alerts {
        alert_t *v[4096];
        size_t n;
} dt_alerts_t;

static inline int dt_collect(alert_t *a, void *userdata)
{
        dt_alerts_t *c = userdata;

        if (c->n >= sizeof(c->v) / sizeof(c->v[0])) {
                alert_free(a);
                return -E2BIG;
        }
        c->v[c->n++] = a;
        return 0;
}

static inline void dt_alerts_clear(dt_alerts_t *c)
{
        for (size_t i = 0; i < c->n; i++)
                alert_free(c->v[i]);
        c->n = 0;
}

/* Alerts of RULE collected so far. */
static inline size_t dt_count(const dt_alerts_t *c, const char *rule)
{
        size_t n = 0;

        for (size_t i = 0; i < c->n; i++)
                if (strcmp(c->v[i]->rule, rule) == 0)
                        n++;
        return n;
}

/* The last alert of RULE, or NULL. */
static inline alert_t *dt_last(const dt_alerts_t *c, const char *rule)
{
        for (size_t i = c->n; i > 0; i--)
                if (strcmp(c->v[i - 1]->rule, rule) == 0)
                        return c->v[i - 1];
        return NULL;
}

static inline const char *dt_ev_str(const alert_t *a, const char *key)
{
        return json_string_value(json_object_get(a->evidence, key));
}

static inline long long dt_ev_int(const alert_t *a, const char *key)
{
        return json_integer_value(json_object_get(a->evidence, key));
}

/* A configuration from JSON text (NULL: empty). */
static inline config_t *dt_config(const char *json)
{
        config_t *c = config_new_empty();

        if (c && json) {
                json_error_t err;
                json_t *root = json_loads(json, 0, &err);
                if (!root) {
                        fprintf(stderr, "bad test config: %s\n", err.text);
                        abort();
                }
                json_decref(c->root);
                c->root = root;
        }
        return c;
}

typedef struct dt {
        config_t *config;
        login_detectors_t *d;
        dt_alerts_t alerts;
} dt_t;

/* Start detectors with CONFIG_JSON and STATE_DIR (may be NULL). */
static inline int dt_start(dt_t *t, const char *config_json, const char *state_dir)
{
        login_detectors_opts_t o = { 0 };
        char *err = NULL;
        int r;

        if (!t->config)
                t->config = dt_config(config_json);
        o.config = t->config;
        o.state_dir = state_dir;
        o.host = "testhost";
        o.on_alert = dt_collect;
        o.userdata = &t->alerts;
        r = login_detectors_new(&o, &t->d, &err);
        if (r < 0 && err)
                fprintf(stderr, "login_detectors_new: %s\n", err);
        free(err);
        return r;
}

/* Stop the detectors (keeps alerts and config for a restart). */
static inline void dt_stop(dt_t *t)
{
        login_detectors_free(t->d);
        t->d = NULL;
}

static inline void dt_end(dt_t *t)
{
        dt_stop(t);
        dt_alerts_clear(&t->alerts);
        config_free(t->config);
        t->config = NULL;
}

/* An event: KIND from SERVICE, METHOD ("" none), USER, SRC (an address or
 * a host name, "" none), PORT and PID, at DT_SEC(SEC). */
static inline logevent_t dt_event(logevent_kind_t kind, const char *service, const char *method,
                                  const char *user, const char *src, unsigned port, int pid,
                                  long long sec)
{
        logevent_t e;

        memset(&e, 0, sizeof(e));
        e.kind = kind;
        e.time_us = DT_SEC(sec);
        e.file = "test.log";
        e.line = (uint64_t)(sec + 1);
        snprintf(e.service, sizeof(e.service), "%s", service);
        snprintf(e.method, sizeof(e.method), "%s", method);
        snprintf(e.user, sizeof(e.user), "%s", user);
        snprintf(e.src, sizeof(e.src), "%s", src);
        if (src[0] && ipaddr_parse(src, &e.src_ip) == 0) {
                e.has_ip = true;
                ipaddr_format(&e.src_ip, e.src);
        }
        e.port = (uint16_t)port;
        e.pid = pid;
        return e;
}

static inline int dt_feed(dt_t *t, logevent_kind_t kind, const char *service, const char *method,
                          const char *user, const char *src, unsigned port, long long sec)
{
        logevent_t e = dt_event(kind, service, method, user, src, port, 0, sec);
        return login_detectors_feed(t->d, &e);
}

/* A failed password from SRC for USER on its own connection. */
static inline int dt_fail(dt_t *t, const char *user, const char *src, long long sec)
{
        static unsigned port = 40000;
        port = port >= 65000 ? 40000 : port + 1;
        return dt_feed(t, LOGEVENT_AUTH_FAILURE, "sshd", "password", user, src, port, sec);
}

static inline int dt_login(dt_t *t, const char *user, const char *src, const char *method,
                           long long sec)
{
        return dt_feed(t, LOGEVENT_AUTH_SUCCESS, "sshd", method, user, src, 50000, sec);
}
