#include "center/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/text.h"
#include "core/timeutil.h"

/* TLS 1.2 and 1.3 only, GnuTLS's default ("NORMAL") suites otherwise. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* ---- requests and responses ---- */

const char *http_req_header(const http_req_t *req, const char *name)
{
        return req->lookup ? req->lookup(req->lookup_data, HTTP_HEADER, name) : NULL;
}

const char *http_req_query(const http_req_t *req, const char *name)
{
        return req->lookup ? req->lookup(req->lookup_data, HTTP_QUERY, name) : NULL;
}

void http_resp_init(http_resp_t *r)
{
        memset(r, 0, sizeof(*r));
        buf_init(&r->body, HTTP_MAX_RESPONSE_SIZE);
}

void http_resp_free(http_resp_t *r)
{
        buf_free(&r->body);
        for (size_t i = 0; i < r->n_headers; i++) {
                free(r->headers[i][0]);
                free(r->headers[i][1]);
        }
        r->n_headers = 0;
}

int http_resp_header(http_resp_t *r, const char *name, const char *value)
{
        char *n, *v;

        for (size_t i = 0; i < r->n_headers; i++)
                if (strcasecmp(r->headers[i][0], name) == 0) {
                        v = strdup(value);
                        if (!v)
                                return -ENOMEM;
                        free(r->headers[i][1]);
                        r->headers[i][1] = v;
                        return 0;
                }
        if (r->n_headers >= HTTP_MAX_RESP_HEADERS)
                return -E2BIG;
        n = strdup(name);
        v = strdup(value);
        if (!n || !v) {
                free(n);
                free(v);
                return -ENOMEM;
        }
        r->headers[r->n_headers][0] = n;
        r->headers[r->n_headers][1] = v;
        r->n_headers++;
        return 0;
}

int http_resp_text(http_resp_t *r, int status, const char *content_type, const char *text, size_t n)
{
        buf_reset(&r->body);
        r->status = status;
        r->content_type = content_type;
        return buf_append(&r->body, text, n);
}

static int dump_cb(const char *p, size_t n, void *data)
{
        return buf_append(data, p, n) < 0 ? -1 : 0;
}

int http_resp_json(http_resp_t *r, int status, json_t *body)
{
        int rc;

        if (!body)
                return -ENOMEM;
        buf_reset(&r->body);
        rc = json_dump_callback(body, dump_cb, &r->body, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(body);
        if (rc < 0 || buf_append(&r->body, "\n", 1) < 0) {
                buf_reset(&r->body);
                http_resp_error(r, 500, "response_too_large", "the response is too large");
                return -E2BIG;
        }
        r->status = status;
        r->content_type = "application/json";
        return 0;
}

int http_resp_error(http_resp_t *r, int status, const char *code, const char *fmt, ...)
{
        char msg[1024];
        json_t *o;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        o = json_pack("{s:s, s:s%}", "error", code, "message", msg, strlen(msg));
        if (!o) {
                /* The message may quote an invalid byte; say it plainly. */
                o = json_pack("{s:s, s:s}", "error", code, "message", code);
                if (!o)
                        return -ENOMEM;
        }
        return http_resp_json(r, status, o);
}

/* ---- routing ---- */

struct http_router {
        const http_route_t **routes;
        size_t n, cap;
};

http_router_t *http_router_new(void)
{
        return calloc(1, sizeof(http_router_t));
}

void http_router_free(http_router_t *r)
{
        if (!r)
                return;
        free(r->routes);
        free(r);
}

static bool pattern_ok(const char *p)
{
        if (p[0] != '/')
                return false;
        for (const char *s = p; *s; s++)
                if (*s == '{' && (s[1] != '}' || s[-1] != '/' || (s[2] != '/' && s[2] != 0)))
                        return false;
        return true;
}

int http_router_add(http_router_t *r, const http_route_t *routes, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (!pattern_ok(routes[i].pattern) || !routes[i].handler || !routes[i].method)
                        return -EINVAL;
                for (size_t j = 0; j < r->n; j++)
                        if (strcmp(r->routes[j]->method, routes[i].method) == 0 &&
                            strcmp(r->routes[j]->pattern, routes[i].pattern) == 0)
                                return -EEXIST;
                if (r->n == r->cap) {
                        size_t cap = r->cap ? r->cap * 2 : 32;
                        const http_route_t **v = realloc(r->routes, cap * sizeof(*v));
                        if (!v)
                                return -ENOMEM;
                        r->routes = v;
                        r->cap = cap;
                }
                r->routes[r->n++] = &routes[i];
        }
        return 0;
}

void http_router_foreach(const http_router_t *r, void (*fn)(const http_route_t *, void *),
                         void *userdata)
{
        for (size_t i = 0; i < r->n; i++)
                fn(r->routes[i], userdata);
}

/* Match PATH against PATTERN segment by segment; "{}" takes one non-empty
 * segment. Captures are copied into BUF (NUL-separated). */
static bool match_one(const char *pattern, const char *path, http_req_t *req)
{
        const char *p = pattern, *s = path;
        char *out = req->param_buf;
        size_t n = 0;

        while (*p && *s) {
                if (p[0] == '{') {
                        size_t len = strcspn(s, "/");
                        if (len == 0 || n >= HTTP_MAX_PATH_PARAMS)
                                return false;
                        memcpy(out, s, len);
                        out[len] = 0;
                        req->params[n++] = out;
                        out += len + 1;
                        s += len;
                        p += 2;
                        continue;
                }
                if (*p != *s)
                        return false;
                p++;
                s++;
        }
        if (*p || *s)
                return false;
        req->n_params = n;
        return true;
}

int http_router_match(const http_router_t *r, const char *method, const char *path, http_req_t *req)
{
        /* HEAD is GET without the body (RFC 9110, 9.3.2): it runs the GET
         * handler, so its status and headers are the ones GET would give,
         * and libmicrohttpd sends no body for a HEAD request. The method
         * stays "HEAD" in REQ, which the CSRF check treats as safe. */
        const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
        bool path_known = false;

        if (strlen(path) > HTTP_MAX_PATH)
                return -ENAMETOOLONG;
        for (size_t i = 0; i < r->n; i++) {
                if (!match_one(r->routes[i]->pattern, path, req))
                        continue;
                if (strcmp(r->routes[i]->method, want) == 0) {
                        req->route = r->routes[i];
                        return 0;
                }
                path_known = true;
        }
        req->n_params = 0;
        return path_known ? -EOPNOTSUPP : -ENOENT;
}

int http_prepare(const http_app_t *app, http_req_t *req, long long declared_len, http_resp_t *resp)
{
        int r;

        r = http_router_match(app->router, req->method, req->path, req);
        if (r == -ENOENT) {
                http_resp_error(resp, 404, "not_found", "no such endpoint");
                return r;
        }
        if (r == -EOPNOTSUPP) {
                http_resp_error(resp, 405, "method_not_allowed", "method %s not allowed here",
                                req->method);
                return r;
        }
        if (r < 0) {
                http_resp_error(resp, 414, "uri_too_long", "the path is too long");
                return r;
        }
        if (app->auth) {
                r = app->auth(app->app, req, resp);
                if (r < 0) {
                        if (resp->status == 0)
                                http_resp_error(resp, 401, "unauthorized",
                                                "authentication required");
                        return r;
                }
        }
        if (declared_len > (long long)req->route->max_body) {
                http_resp_error(resp, 413, "body_too_large",
                                "the body is larger than %zu bytes, the most this endpoint "
                                "accepts",
                                req->route->max_body);
                return -E2BIG;
        }
        return 0;
}

int http_run(const http_app_t *app, http_req_t *req, http_resp_t *resp)
{
        int r;

        if (req->body_len > req->route->max_body) {
                http_resp_error(resp, 413, "body_too_large",
                                "the body is larger than %zu bytes, the most this endpoint "
                                "accepts",
                                req->route->max_body);
                return -E2BIG;
        }
        if (!req->body)
                req->body = "";
        r = req->route->handler(app->app, req, resp);
        if (resp->status == 0)
                http_resp_error(resp, 500, "internal_error", "the request could not be handled");
        return r;
}

int http_handle(const http_app_t *app, http_req_t *req, http_resp_t *resp)
{
        int r;

        if (!req->start_us)
                req->start_us = timeutil_mono_us();
        r = http_prepare(app, req, -1, resp);
        if (r == 0)
                r = http_run(app, req, resp);
        if (app->done)
                app->done(app->app, req, resp->status);
        return r;
}

/* ---- the server ---- */

struct http_server {
        struct MHD_Daemon *daemon;
        http_server_opts_t o;
        char *cert, *key;
};

/* One request in flight on a connection. */
struct reqctx {
        http_req_t req;
        http_resp_t resp;
        buf_t body;
        bool refused; /* a response was queued before the body was read */
        char remote[INET6_ADDRSTRLEN];
        struct MHD_Connection *conn;
};

static const char *mhd_lookup(void *data, http_value_kind_t kind, const char *name)
{
        struct reqctx *rc = data;

        return MHD_lookup_connection_value(
                rc->conn, kind == HTTP_HEADER ? MHD_HEADER_KIND : MHD_GET_ARGUMENT_KIND, name);
}

static void reqctx_free(struct reqctx *rc)
{
        if (!rc)
                return;
        http_resp_free(&rc->resp);
        buf_free(&rc->body);
        free(rc);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        reqctx_free(*con_cls);
        *con_cls = NULL;
}

/* Whether the handler chose the response's caching itself. */
static bool has_header(const http_resp_t *r, const char *name)
{
        for (size_t i = 0; i < r->n_headers; i++)
                if (strcasecmp(r->headers[i][0], name) == 0)
                        return true;
        return false;
}

static enum MHD_Result send_resp(struct MHD_Connection *conn, http_resp_t *r)
{
        struct MHD_Response *mr;
        enum MHD_Result ret;
        size_t len = r->body.len;
        char *data = buf_take(&r->body);

        if (!data)
                return MHD_NO;
        mr = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
        if (!mr) {
                free(data);
                return MHD_NO;
        }
        if (r->content_type)
                MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
        /* Every API answer is private and never to be sniffed or framed.
         * Only a handler that sets its own Cache-Control (the console's
         * static files, which carry an ETag) is stored by the browser. */
        if (!has_header(r, MHD_HTTP_HEADER_CACHE_CONTROL))
                MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(mr, "X-Frame-Options", "DENY");
        for (size_t i = 0; i < r->n_headers; i++)
                MHD_add_response_header(mr, r->headers[i][0], r->headers[i][1]);
        ret = MHD_queue_response(conn, (unsigned)r->status, mr);
        MHD_destroy_response(mr);
        return ret;
}

static void format_remote(struct MHD_Connection *conn, char *out, size_t n)
{
        const union MHD_ConnectionInfo *ci =
                MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const struct sockaddr *sa = ci ? ci->client_addr : NULL;

        snprintf(out, n, "unknown");
        if (!sa)
                return;
        if (sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
        else if (sa->sa_family == AF_INET6) {
                const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
                inet_ntop(AF_INET6, &s6->sin6_addr, out, (socklen_t)n);
                /* An IPv4 client on a dual-stack socket: show it as IPv4. */
                if (str_startswith(out, "::ffff:") && strchr(out + 7, '.'))
                        memmove(out, out + 7, strlen(out + 7) + 1);
        }
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
        http_server_t *s = cls;
        struct reqctx *rc = *con_cls;
        enum MHD_Result ret;

        if (!rc) {
                const char *cl;
                long long declared = -1;

                rc = calloc(1, sizeof(*rc));
                if (!rc)
                        return MHD_NO;
                *con_cls = rc;
                rc->conn = conn;
                http_resp_init(&rc->resp);
                format_remote(conn, rc->remote, sizeof(rc->remote));
                rc->req.method = method;
                rc->req.path = url;
                rc->req.remote = rc->remote;
                rc->req.lookup = mhd_lookup;
                rc->req.lookup_data = rc;
                rc->req.start_us = timeutil_mono_us();
                cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (cl) {
                        unsigned long long v;
                        if (str_to_u64(cl, &v) == 0)
                                declared = v > (unsigned long long)LLONG_MAX ? LLONG_MAX
                                                                             : (long long)v;
                }
                if (http_prepare(&s->o.app, &rc->req, declared, &rc->resp) < 0) {
                        rc->refused = true;
                        if (s->o.app.done)
                                s->o.app.done(s->o.app.app, &rc->req, rc->resp.status);
                        return send_resp(conn, &rc->resp);
                }
                buf_init(&rc->body, rc->req.route->max_body);
                return MHD_YES;
        }
        if (rc->refused) {
                /* The response is queued; drop whatever body still comes. */
                *upload_data_size = 0;
                return MHD_YES;
        }
        if (*upload_data_size > 0) {
                if (buf_append(&rc->body, upload_data, *upload_data_size) < 0) {
                        rc->refused = true;
                        http_resp_error(&rc->resp, 413, "body_too_large",
                                        "the body is larger than %zu bytes, the most this "
                                        "endpoint accepts",
                                        rc->req.route->max_body);
                        *upload_data_size = 0;
                        if (s->o.app.done)
                                s->o.app.done(s->o.app.app, &rc->req, rc->resp.status);
                        return send_resp(conn, &rc->resp);
                }
                *upload_data_size = 0;
                return MHD_YES;
        }
        rc->req.body = rc->body.data ? rc->body.data : "";
        rc->req.body_len = rc->body.len;
        http_run(&s->o.app, &rc->req, &rc->resp);
        if (s->o.app.done)
                s->o.app.done(s->o.app.app, &rc->req, rc->resp.status);
        ret = send_resp(conn, &rc->resp);
        return ret;
}

/* libmicrohttpd hands over its own printf format. */
__attribute__((format(printf, 2, 0))) static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
        http_server_t *s = cls;
        char msg[512];

        if (!s->o.log)
                return;
        vsnprintf(msg, sizeof(msg), fmt, ap);
        str_strip(msg);
        s->o.log(s->o.log_userdata, msg);
}

int http_parse_listen(const char *listen, void *ret_sockaddr, size_t *ret_len, bool *ret_loopback)
{
        char host[256];
        const char *colon, *port;
        unsigned long long p;
        struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
                                  .ai_socktype = SOCK_STREAM };
        struct addrinfo *ai = NULL;
        size_t hl;

        if (!listen || !*listen)
                return -EINVAL;
        if (listen[0] == '[') {
                const char *end = strchr(listen, ']');
                if (!end || end[1] != ':')
                        return -EINVAL;
                hl = (size_t)(end - listen - 1);
                if (hl >= sizeof(host))
                        return -EINVAL;
                memcpy(host, listen + 1, hl);
                host[hl] = 0;
                port = end + 2;
        } else {
                colon = strrchr(listen, ':');
                if (!colon)
                        return -EINVAL;
                hl = (size_t)(colon - listen);
                if (hl >= sizeof(host) || memchr(listen, ':', hl))
                        return -EINVAL;
                memcpy(host, listen, hl);
                host[hl] = 0;
                port = colon + 1;
        }
        if (str_to_u64(port, &p) < 0 || p > 65535)
                return -EINVAL;
        if (!*host)
                snprintf(host, sizeof(host), "0.0.0.0");
        else if (strcmp(host, "localhost") == 0)
                snprintf(host, sizeof(host), "127.0.0.1");
        if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
                return -EINVAL;
        if (ai->ai_addrlen > sizeof(struct sockaddr_storage)) {
                freeaddrinfo(ai);
                return -EINVAL;
        }
        memcpy(ret_sockaddr, ai->ai_addr, ai->ai_addrlen);
        *ret_len = ai->ai_addrlen;
        if (ai->ai_family == AF_INET) {
                const struct sockaddr_in *sin = (const struct sockaddr_in *)ai->ai_addr;
                *ret_loopback = (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
        } else {
                const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ai->ai_addr;
                *ret_loopback = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
        }
        freeaddrinfo(ai);
        return 0;
}

int http_server_start(const http_server_opts_t *o, http_server_t **ret, char **ret_error)
{
        struct sockaddr_storage ss;
        size_t sslen;
        bool loopback;
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
        http_server_t *s;
        struct MHD_OptionItem opts[16];
        size_t k = 0;

        *ret_error = NULL;
        if (http_parse_listen(o->listen, &ss, &sslen, &loopback) < 0) {
                *ret_error = str_printf("bad listen address '%s': use HOST:PORT", o->listen);
                return -EINVAL;
        }
        if (!!o->tls_cert != !!o->tls_key) {
                *ret_error = str_printf("TLS needs both a certificate and a key");
                return -EINVAL;
        }
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->o = *o;
        if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
                flags |= MHD_USE_EPOLL;
        if (ss.ss_family == AF_INET6)
                flags |= MHD_USE_IPv6;
        opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &ss };
        opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE,
                                             o->threads ? o->threads : 8, NULL };
        opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
                                             o->max_connections ? o->max_connections : 4096, NULL };
        opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
                                             o->idle_timeout_s ? o->idle_timeout_s : 120, NULL };
        opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed,
                                             NULL };
        opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL };
        if (o->tls_cert) {
                if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
                        *ret_error = str_printf("this libmicrohttpd was built without TLS");
                        free(s);
                        return -EINVAL;
                }
                s->cert = strdup(o->tls_cert);
                s->key = strdup(o->tls_key);
                if (!s->cert || !s->key) {
                        free(s->cert);
                        free(s->key);
                        free(s);
                        return -ENOMEM;
                }
                flags |= MHD_USE_TLS;
                opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert };
                opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, s->key };
                opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
                                                     (void *)TLS_PRIORITIES };
        }
        opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

        /* The logger goes first, or libmicrohttpd complains on stderr. */
        s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_access, s, MHD_OPTION_EXTERNAL_LOGGER,
                                     mhd_logger, s, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
        if (!s->daemon) {
                int e = errno;
                *ret_error = str_printf("cannot listen on %s: %s", o->listen,
                                        e == EADDRINUSE ? "address in use"
                                        : o->tls_cert
                                                ? "bad TLS certificate or key, or the socket failed"
                                                : strerror(e ? e : EIO));
                free(s->cert);
                free(s->key);
                free(s);
                return e == EADDRINUSE ? -EADDRINUSE : o->tls_cert ? -EINVAL : -EIO;
        }
        *ret = s;
        return 0;
}

int http_server_port(const http_server_t *s)
{
        const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);

        return di ? di->port : -1;
}

void http_server_stop(http_server_t *s)
{
        if (!s)
                return;
        MHD_stop_daemon(s->daemon);
        free(s->cert);
        free(s->key);
        free(s);
}
