/* The center's HTTP layer: requests and responses as plain structs, a
 * route table, an authentication hook, and a server on libmicrohttpd.
 *
 * Handlers never see libmicrohttpd. A route names its method, a path
 * pattern whose "{}" segments are captured ("/api/v1/hosts/{}"), who may
 * call it (an auth level the application's hook understands) and the
 * largest body it accepts. The server matches the route and runs the auth
 * hook as soon as the headers are in, so an unknown path, a wrong method,
 * a missing credential or a declared body over the route's cap is refused
 * before any of the body is read; the body is then collected up to the cap
 * and the handler runs once with all of it. http_handle does the same for
 * a request built in memory, which is how the unit tests and the fuzz
 * target drive handlers without sockets.
 *
 * Adding endpoints: write handlers with the http_handler_fn signature, put
 * them in a static array of http_route_t, and add the array to the router
 * (center/routes.c lists them all). Adding a way to log in: extend the
 * application's auth hook (see routes.h); routes keep their levels.
 *
 * TLS: with a certificate and key the server speaks only TLS 1.2 and 1.3
 * (GnuTLS inside libmicrohttpd). Without them it listens in plain HTTP,
 * which the center allows only on a loopback address. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/macro.h"

#define HTTP_MAX_PATH_PARAMS  4
#define HTTP_MAX_RESP_HEADERS 8
/* Responses larger than this are an error (500), not a truncated body. */
#define HTTP_MAX_RESPONSE_SIZE (64 * MiB)
/* Paths longer than this are refused with 414. */
#define HTTP_MAX_PATH 1024

/* Who may call a route. The server only passes the level to the
 * application's auth hook; these are the levels the center uses. */
enum {
        HTTP_AUTH_NONE = 0,   /* anyone (enrollment carries its own token) */
        HTTP_AUTH_AGENT = 1,  /* an enrolled agent, by its credential */
        HTTP_AUTH_VIEWER = 2, /* a person or key with read access */
        HTTP_AUTH_ADMIN = 3,  /* a person or key that may change things */
};

/* Who is calling, once the auth hook accepted the request. */
typedef struct http_principal {
        int kind;         /* HTTP_AUTH_NONE, _AGENT, or the role: _VIEWER, _ADMIN */
        int64_t agent_id; /* for agents */
        char name[128];   /* user or key name, for the audit trail; "" for agents */
} http_principal_t;

typedef enum http_value_kind {
        HTTP_HEADER,
        HTTP_QUERY,
} http_value_kind_t;

typedef struct http_route http_route_t;

typedef struct http_req {
        const char *method;
        const char *path;   /* decoded path, no query string */
        const char *remote; /* client address ("127.0.0.1", "::1") */
        const char *body;   /* NUL-terminated after body_len bytes; "" when none */
        size_t body_len;
        const char *params[HTTP_MAX_PATH_PARAMS]; /* "{}" segments of the path */
        size_t n_params;
        char param_buf[HTTP_MAX_PATH + 1]; /* where params point */
        const http_route_t *route;
        http_principal_t principal;
        int64_t start_us; /* monotonic, when the headers were read */
        /* Header and query lookup (case-insensitive names for headers).
         * Returns a borrowed string or NULL. */
        const char *(*lookup)(void *lookup_data, http_value_kind_t kind, const char *name);
        void *lookup_data;
} http_req_t;

/* A header or query value of REQ, or NULL. */
const char *http_req_header(const http_req_t *req, const char *name);
const char *http_req_query(const http_req_t *req, const char *name);

typedef struct http_resp {
        int status;               /* 0 until set */
        const char *content_type; /* static string */
        buf_t body;
        char *headers[HTTP_MAX_RESP_HEADERS][2]; /* owned name, value */
        size_t n_headers;
} http_resp_t;

void http_resp_init(http_resp_t *r);
void http_resp_free(http_resp_t *r);
static inline void http_resp_freep(http_resp_t *r)
{
        http_resp_free(r);
}
#define _cleanup_resp_ _cleanup_(http_resp_freep)

/* Set the response to JSON (compact, UTF-8), taking BODY over. Returns 0,
 * -ENOMEM, -E2BIG (the response is then a 500 error). */
int http_resp_json(http_resp_t *r, int status, json_t *body);
/* Set the response to {"error": CODE, "message": MESSAGE}. Returns 0 or
 * -ENOMEM. */
int http_resp_error(http_resp_t *r, int status, const char *code, const char *fmt, ...)
        _printf_(4, 5);
/* Set a plain body of N bytes of TEXT with CONTENT_TYPE (static). */
int http_resp_text(http_resp_t *r, int status, const char *content_type, const char *text,
                   size_t n);
/* Add a header (copied). Returns 0, -E2BIG when there are too many, -ENOMEM. */
int http_resp_header(http_resp_t *r, const char *name, const char *value);

/* A handler fills RESP; its return value is only for logs and tests: a
 * negative errno when something failed on the server's side (RESP should
 * then hold a 5xx, and a 500 is made when it holds nothing). APP is the
 * application pointer given to the server. */
typedef int (*http_handler_fn)(void *app, http_req_t *req, http_resp_t *resp);

struct http_route {
        const char *method;  /* "GET", "POST", "PUT", "PATCH", "DELETE" */
        const char *pattern; /* "/api/v1/hosts/{}": literal segments and "{}" */
        int auth;            /* HTTP_AUTH_* */
        size_t max_body;     /* largest body accepted; 0 for none */
        http_handler_fn handler;
};

typedef struct http_router http_router_t;

/* An empty route table. Returns NULL when out of memory. */
http_router_t *http_router_new(void);
void http_router_free(http_router_t *r);
/* Add N routes from ROUTES (borrowed: a static array). A route whose method
 * and pattern are already there is refused with -EEXIST, so two modules
 * cannot silently claim one endpoint. Returns 0, -EEXIST, -EINVAL for a bad
 * pattern, -ENOMEM. */
int http_router_add(http_router_t *r, const http_route_t *routes, size_t n);
/* Find the route for METHOD and PATH; path parameters go into REQ. Returns
 * 0, -ENOENT (no such path), -EOPNOTSUPP (path known, method not), or
 * -ENAMETOOLONG. */
int http_router_match(const http_router_t *r, const char *method, const char *path,
                      http_req_t *req);
/* Call FN for every route, in the order they were added (for docs and
 * tests). */
void http_router_foreach(const http_router_t *r, void (*fn)(const http_route_t *, void *),
                         void *userdata);

/* The application's authentication hook: decide whether REQ may call
 * REQ->route (REQ->route->auth is the level it needs), filling
 * REQ->principal. Returns 0 to go on, or a negative errno with RESP holding
 * the refusal (401 or 403). Runs before the body is read. */
typedef int (*http_auth_fn)(void *app, http_req_t *req, http_resp_t *resp);

/* Called once per request when its response is ready (for metrics). */
typedef void (*http_done_fn)(void *app, const http_req_t *req, int status);

typedef struct http_app {
        http_router_t *router;
        http_auth_fn auth; /* may be NULL: every route is open (tests) */
        http_done_fn done; /* may be NULL */
        void *app;
} http_app_t;

/* Route, authenticate and run REQ (path, method, lookup, body set by the
 * caller) as the server would. Returns the handler's return value. */
int http_handle(const http_app_t *app, http_req_t *req, http_resp_t *resp);

/* The two halves of http_handle, as the server uses them. http_prepare
 * routes and authenticates REQ and checks DECLARED_LEN (the Content-Length,
 * or -1 when unknown) against the route's cap: 0 to go on and read the
 * body, or a negative errno with RESP holding the refusal. http_run checks
 * the body read and runs the handler. */
int http_prepare(const http_app_t *app, http_req_t *req, long long declared_len, http_resp_t *resp);
int http_run(const http_app_t *app, http_req_t *req, http_resp_t *resp);

typedef struct http_server_opts {
        const char *listen;   /* "127.0.0.1:8080", "[::1]:8443", "0.0.0.0:8443"; port 0: any */
        const char *tls_cert; /* PEM text (not a path); NULL for plain HTTP */
        const char *tls_key;  /* PEM text */
        unsigned threads;     /* worker threads; 0: 8 */
        unsigned max_connections;
        unsigned idle_timeout_s;
        http_app_t app;
        /* Where libmicrohttpd's own error messages go; may be NULL. */
        void (*log)(void *userdata, const char *msg);
        void *log_userdata;
} http_server_opts_t;

typedef struct http_server http_server_t;

/* Parse "HOST:PORT" (HOST an address, "localhost" or empty for every
 * address; IPv6 in brackets). Returns 0 or -EINVAL; *RET_LOOPBACK tells
 * whether the address is a loopback one. */
int http_parse_listen(const char *listen, void *ret_sockaddr, size_t *ret_len, bool *ret_loopback);

/* Start serving; returns once the socket listens. Returns 0, -EINVAL for a
 * bad address or TLS material, -EADDRINUSE, -EIO with *RET_ERROR (caller
 * frees). */
int http_server_start(const http_server_opts_t *o, http_server_t **ret, char **ret_error);
/* The port the server listens on (useful with port 0). */
int http_server_port(const http_server_t *s);
/* Stop accepting, finish the requests being handled, close every
 * connection and free the server. Accepts NULL. */
void http_server_stop(http_server_t *s);
