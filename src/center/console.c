#include "center/console.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "center/auth.h"
#include "center/console_assets.h"
#include "center/cutil.h"
#include "center/loginlimit.h"
#include "center/session.h"
#include "center/users.h"
#include "core/hash.h"
#include "core/text.h"
#include "core/timeutil.h"

/* '"' + 64 hex digits + '"' + NUL */
#define CONSOLE_ETAG_LEN (HASH_SHA256_HEX + 2)

static int security_headers(http_resp_t *resp)
{
        int r = http_resp_header(resp, "Content-Security-Policy", CONSOLE_CSP);

        if (r == 0)
                r = http_resp_header(resp, "Referrer-Policy", "no-referrer");
        if (r == 0)
                r = http_resp_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
        if (r == 0)
                r = http_resp_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
        return r;
}

static const console_asset_t *asset_find(const char *name)
{
        for (size_t i = 0; i < console_n_assets; i++)
                if (strcmp(console_assets[i].name, name) == 0)
                        return &console_assets[i];
        return NULL;
}

/* The entity tag of an asset: the SHA-256 of its bytes in quotes. It is
 * worked out per request rather than kept, since the files are a few tens
 * of KiB and are asked for once per page load. */
static void asset_etag(const console_asset_t *a, char out[CONSOLE_ETAG_LEN])
{
        uint8_t digest[HASH_SHA256_LEN];

        hash_sha256(a->data, a->size, digest);
        out[0] = '"';
        hash_hex(digest, sizeof(digest), out + 1);
        out[CONSOLE_ETAG_LEN - 2] = '"';
        out[CONSOLE_ETAG_LEN - 1] = 0;
}

/* Whether the If-None-Match header HDR names ETAG: "*", or a comma list
 * of entity tags compared the weak way (RFC 9110, 13.1.2: a "W/" prefix
 * does not matter). */
static bool etag_matches(const char *hdr, const char *etag)
{
        size_t elen = strlen(etag);

        if (!hdr)
                return false;
        while (*hdr) {
                const char *end;
                size_t n;

                hdr += strspn(hdr, " \t,");
                end = hdr + strcspn(hdr, ",");
                n = (size_t)(end - hdr);
                while (n > 0 && (hdr[n - 1] == ' ' || hdr[n - 1] == '\t'))
                        n--;
                if (n == 1 && hdr[0] == '*')
                        return true;
                if (n >= 2 && hdr[0] == 'W' && hdr[1] == '/') {
                        hdr += 2;
                        n -= 2;
                }
                if (n == elen && memcmp(hdr, etag, n) == 0)
                        return true;
                hdr = end;
        }
        return false;
}

/* A static file of the console. The files are compiled into the binary,
 * so they change only with a new build; the browser may keep them but
 * must ask each time (no-cache) whether its copy is still the one served,
 * and a new build, whose files hash differently, is picked up at once. */
static int serve_asset(const http_req_t *req, http_resp_t *resp, const char *name)
{
        const console_asset_t *a = asset_find(name);
        char etag[CONSOLE_ETAG_LEN];
        int r;

        if (!a)
                return http_resp_error(resp, 404, "not_found", "no such file");
        asset_etag(a, etag);
        if (etag_matches(http_req_header(req, "If-None-Match"), etag))
                r = http_resp_text(resp, 304, NULL, "", 0);
        else
                r = http_resp_text(resp, 200, a->content_type, (const char *)a->data, a->size);
        if (r == 0)
                r = http_resp_header(resp, "ETag", etag);
        if (r == 0)
                r = http_resp_header(resp, "Cache-Control", "no-cache");
        if (r == 0)
                r = security_headers(resp);
        return r;
}

static int h_index(void *app, http_req_t *req, http_resp_t *resp)
{
        return serve_asset(req, resp, "index.html");
}

static int h_asset(void *app, http_req_t *req, http_resp_t *resp)
{
        /* The page itself is only served at "/", so that the one place it
         * lives is the one the cookie's Path and the CSP are meant for. */
        if (strcmp(req->params[0], "index.html") == 0)
                return http_resp_error(resp, 404, "not_found", "no such file");
        return serve_asset(req, resp, req->params[0]);
}

static bool is_json(const http_req_t *req)
{
        const char *ct = http_req_header(req, "Content-Type");

        /* A cross-site form can post text/plain or form data without
         * asking; it cannot post application/json. */
        return ct && strncasecmp(ct, "application/json", STRLEN("application/json")) == 0;
}

static json_t *load_body(const http_req_t *req, http_resp_t *resp)
{
        json_error_t jerr;
        json_t *body;

        if (!is_json(req)) {
                http_resp_error(resp, 415, "unsupported_media_type",
                                "the body must be application/json");
                return NULL;
        }
        body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(body)) {
                json_decref(body);
                http_resp_error(resp, 400, "invalid_json", "the body must be a JSON object");
                return NULL;
        }
        return body;
}

static const char *opt_string(json_t *o, const char *key, bool *bad)
{
        json_t *j = json_object_get(o, key);

        if (!j || json_is_null(j))
                return NULL;
        if (!json_is_string(j)) {
                *bad = true;
                return NULL;
        }
        return json_string_value(j);
}

static int h_login(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        char token[SESSION_TOKEN_HEX + 1], csrf[SESSION_TOKEN_HEX + 1], cookie[256];
        const char *user, *password, *totp;
        int64_t now = timeutil_now_us(), retry_us = 0;
        users_login_t who;
        bool bad = false;
        json_t *body;
        int r;

        body = load_body(req, resp);
        if (!body)
                return -EINVAL;
        user = opt_string(body, "user", &bad);
        password = opt_string(body, "password", &bad);
        totp = opt_string(body, "totp", &bad);
        if (bad || !user || !password) {
                json_decref(body);
                return http_resp_error(resp, 400, "invalid_request",
                                       "user and password are required strings");
        }
        if (loginlimit_check(c->loginlimit, req->remote, now, &retry_us) < 0) {
                json_decref(body);
                return loginlimit_refuse(resp, retry_us);
        }
        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = users_login(conn, user, password, totp, now, &who);
        if (r == -EACCES || r == -EBUSY) {
                loginlimit_fail(c->loginlimit, req->remote, now);
                if (users_name_ok(user))
                        center_log(c, CENTER_LOG_WARN, "console login refused for '%s' from %s%s",
                                   user, req->remote ? req->remote : "?",
                                   r == -EBUSY ? " (account locked)" : "");
                else
                        center_log(c, CENTER_LOG_WARN,
                                   "console login refused for an invalid user name from %s",
                                   req->remote ? req->remote : "?");
                json_decref(body);
                metrics_add(c->metrics, METRIC_AUTH_FAIL_USER, 1);
                return http_resp_error(resp, 401, "login_failed",
                                       "wrong user name, password or code; after repeated "
                                       "failures the account is locked for a while");
        }
        json_decref(body);
        if (r == 0)
                r = session_create(conn, who.id, req->remote, now, token, csrf);
        if (r < 0) {
                http_resp_error(resp, 503, "unavailable", "the database is unavailable");
                return r;
        }
        center_log(c, CENTER_LOG_INFO, "console login: '%s' (%s) from %s", who.name,
                   auth_role_name(who.role), req->remote ? req->remote : "?");
        if (session_cookie_header(token, c->cfg.tls_cert != NULL, cookie, sizeof(cookie)) < 0)
                return -ENOBUFS;
        r = http_resp_json(resp, 200,
                           json_pack("{s:s, s:s, s:s, s:o}", "user", who.name, "role",
                                     auth_role_name(who.role), "csrf", csrf, "expires_at",
                                     cutil_json_time(now + SESSION_IDLE_US)));
        if (r == 0)
                r = http_resp_header(resp, "Set-Cookie", cookie);
        return r;
}

/* The session of REQ, when it came with one (an API key has none). */
static int req_session(center_t *c, cdb_conn_t *conn, const http_req_t *req, session_info_t *ret,
                       char token[SESSION_TOKEN_HEX + 1])
{
        int r = session_cookie_token(http_req_header(req, "Cookie"), token);

        if (r < 0)
                return -ENOENT;
        return session_lookup(conn, token, timeutil_now_us(), ret);
}

static int h_whoami(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        char token[SESSION_TOKEN_HEX + 1];
        session_info_t s;
        int r;

        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = req_session(c, conn, req, &s, token);
        if (r == -ENOENT)
                /* An API key: who it is, and no token (it needs none). */
                return http_resp_json(resp, 200,
                                      json_pack("{s:s, s:s, s:n, s:n}", "user", req->principal.name,
                                                "role", auth_role_name(req->principal.kind), "csrf",
                                                "expires_at"));
        if (r < 0) {
                http_resp_error(resp, 503, "unavailable", "the database is unavailable");
                return r;
        }
        return http_resp_json(resp, 200,
                              json_pack("{s:s, s:s, s:s, s:o}", "user", s.user, "role",
                                        auth_role_name(s.role), "csrf", s.csrf, "expires_at",
                                        cutil_json_time(s.expires_at)));
}

static int h_logout(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        char token[SESSION_TOKEN_HEX + 1], cookie[256];
        int r;

        r = cdb_acquire(c->db, &conn);
        if (r == 0 && session_cookie_token(http_req_header(req, "Cookie"), token) == 0)
                r = session_delete(conn, token);
        if (r < 0) {
                http_resp_error(resp, 503, "unavailable", "the database is unavailable");
                return r;
        }
        if (session_cookie_header(NULL, c->cfg.tls_cert != NULL, cookie, sizeof(cookie)) < 0)
                return -ENOBUFS;
        r = http_resp_json(resp, 200, json_pack("{s:b}", "ok", 1));
        if (r == 0)
                r = http_resp_header(resp, "Set-Cookie", cookie);
        return r;
}

static int h_password(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        char token[SESSION_TOKEN_HEX + 1];
        const char *cur, *new;
        int64_t now = timeutil_now_us();
        session_info_t s;
        bool bad = false;
        json_t *body;
        int r;

        body = load_body(req, resp);
        if (!body)
                return -EINVAL;
        cur = opt_string(body, "current", &bad);
        new = opt_string(body, "new", &bad);
        if (bad || !cur || !new) {
                json_decref(body);
                return http_resp_error(resp, 400, "invalid_request",
                                       "current and new are required strings");
        }
        if (users_password_ok(new) < 0) {
                json_decref(body);
                return http_resp_error(resp, 400, "weak_password",
                                       "the new password must have %d to %d characters and no "
                                       "control characters",
                                       USERS_PASSWORD_MIN, USERS_PASSWORD_MAX);
        }
        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = req_session(c, conn, req, &s, token);
        if (r == -ENOENT) {
                json_decref(body);
                return http_resp_error(resp, 400, "not_a_session",
                                       "only a console session can change its password");
        }
        /* The current password is asked for so that a session left open
         * on someone's screen cannot be turned into the account itself; the
         * second factor is not asked again (the session passed it). */
        if (r == 0) {
                _cleanup_free_ char *hash = NULL;
                cdb_param_t p[] = { CDB_INT(s.user_id) };
                _cleanup_res_ cdb_res_t *res = NULL;
                r = cdb_query(conn, "SELECT pw_hash FROM users WHERE id = $1", p, 1, &res);
                if (r == 0 && (r = cdb_next(res)) > 0) {
                        hash = cdb_get_text(res, 0) ? strdup(cdb_get_text(res, 0)) : NULL;
                        r = hash ? 0 : -ENOMEM;
                } else if (r == 0)
                        r = -ENOENT;
                cdb_res_free(TAKE_PTR(res));
                if (r == 0 && users_verify_password(hash, cur) < 0) {
                        json_decref(body);
                        return http_resp_error(resp, 403, "wrong_password",
                                               "the current password is wrong");
                }
        }
        if (r == 0)
                r = users_set_password(conn, s.user, new, now);
        json_decref(body);
        if (r < 0) {
                http_resp_error(resp, 503, "unavailable", "the password could not be changed");
                return r;
        }
        center_log(c, CENTER_LOG_INFO, "console: '%s' changed their password", s.user);
        /* Every session of the user ended, this one too: log in again. */
        return http_resp_json(resp, 200, json_pack("{s:b}", "ok", 1));
}

const http_route_t console_routes[] = {
        { "GET", "/", HTTP_AUTH_NONE, 0, h_index },
        { "GET", "/console/{}", HTTP_AUTH_NONE, 0, h_asset },
        { "POST", "/api/v1/session", HTTP_AUTH_NONE, CONSOLE_MAX_BODY, h_login },
        { "GET", "/api/v1/session", HTTP_AUTH_VIEWER, 0, h_whoami },
        { "DELETE", "/api/v1/session", HTTP_AUTH_VIEWER, 0, h_logout },
        { "POST", "/api/v1/session/password", HTTP_AUTH_VIEWER, CONSOLE_MAX_BODY, h_password },
};

const size_t console_n_routes = ELEMENTSOF(console_routes);

int console_attach(center_t *c)
{
        return center_add_user_auth(c, session_user_auth);
}
