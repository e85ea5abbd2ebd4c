#include "center/auth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "center/cutil.h"
#include "core/text.h"

const char *auth_bearer(const http_req_t *req)
{
        const char *h = http_req_header(req, "Authorization");

        if (!h || strncasecmp(h, "Bearer ", 7) != 0)
                return NULL;
        h += 7;
        while (*h == ' ')
                h++;
        return *h ? h : NULL;
}

static bool is_hex(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

int auth_parse_agent_credential(const char *cred, int64_t *ret_id,
                                char ret_secret[AUTH_SECRET_HEX + 1])
{
        const char *dot = strchr(cred, '.');
        char idbuf[24];
        size_t n;

        if (!dot)
                return -EINVAL;
        n = (size_t)(dot - cred);
        if (n == 0 || n >= sizeof(idbuf))
                return -EINVAL;
        memcpy(idbuf, cred, n);
        idbuf[n] = 0;
        if (cutil_parse_id(idbuf, ret_id) < 0)
                return -EINVAL;
        if (strlen(dot + 1) != AUTH_SECRET_HEX || !is_hex(dot + 1, AUTH_SECRET_HEX))
                return -EINVAL;
        memcpy(ret_secret, dot + 1, AUTH_SECRET_HEX + 1);
        return 0;
}

int auth_new_secret(char ret_secret[AUTH_SECRET_HEX + 1], char ret_hash[65])
{
        int r = cutil_random_hex(ret_secret, AUTH_SECRET_HEX / 2);

        if (r < 0)
                return r;
        cutil_sha256_hex(ret_secret, ret_hash);
        return 0;
}

int auth_agent(center_t *c, const http_req_t *req, int64_t *ret_agent_id)
{
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        _cleanup_res_ cdb_res_t *res = NULL;
        const char *bearer = auth_bearer(req);
        char secret[AUTH_SECRET_HEX + 1], hash[65];
        const char *stored;
        int64_t id;
        bool ok;
        int r;

        if (!bearer)
                return -ENOENT;
        if (auth_parse_agent_credential(bearer, &id, secret) < 0)
                return -EACCES;
        cutil_sha256_hex(secret, hash);
        r = cdb_acquire(c->db, &conn);
        if (r < 0)
                return r;
        cdb_param_t p[] = { CDB_INT(id) };
        r = cdb_query(conn, "SELECT secret_hash, revoked FROM hosts WHERE id = $1", p, 1, &res);
        if (r < 0)
                return r;
        r = cdb_next(res);
        if (r < 0)
                return r;
        if (r == 0)
                return -EACCES;
        stored = cdb_get_text(res, 0);
        ok = stored && cutil_equal_ct(stored, hash) && cdb_get_int(res, 1) == 0;
        if (!ok)
                return -EACCES;
        *ret_agent_id = id;
        return 0;
}

const char *auth_role_name(int role)
{
        switch (role) {
        case HTTP_AUTH_VIEWER:
                return "viewer";
        case HTTP_AUTH_ADMIN:
                return "admin";
        }
        return "none";
}

int auth_role_from_name(const char *name, int *ret)
{
        if (name && strcmp(name, "viewer") == 0)
                *ret = HTTP_AUTH_VIEWER;
        else if (name && strcmp(name, "admin") == 0)
                *ret = HTTP_AUTH_ADMIN;
        else
                return -EINVAL;
        return 0;
}

int auth_apikey_create(cdb_conn_t *conn, const char *name, int role, int64_t now_us, char **ret_key,
                       char ret_id[17])
{
        char secret[AUTH_SECRET_HEX + 1], hash[65], id[17];
        _cleanup_free_ char *key = NULL;
        int r;

        if (!name || !*name || strlen(name) > 100 || !auth_role_name(role) ||
            (role != HTTP_AUTH_VIEWER && role != HTTP_AUTH_ADMIN))
                return -EINVAL;
        for (const char *p = name; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        return -EINVAL;
        r = cutil_random_hex(secret, AUTH_SECRET_HEX / 2);
        if (r == 0)
                r = cutil_random_hex(id, 8);
        if (r < 0)
                return r;
        key = str_printf(AUTH_APIKEY_PREFIX "%s", secret);
        if (!key)
                return -ENOMEM;
        cutil_sha256_hex(key, hash);
        cdb_param_t p[] = { CDB_TEXT(id), CDB_TEXT(hash), CDB_TEXT(name),
                            CDB_TEXT(auth_role_name(role)), CDB_INT(now_us) };
        r = cdb_exec(conn,
                     "INSERT INTO api_keys (id, key_hash, name, role, created_at)"
                     " VALUES ($1, $2, $3, $4, $5)",
                     p, ELEMENTSOF(p), NULL);
        if (r < 0)
                return r;
        memcpy(ret_id, id, sizeof(id));
        *ret_key = TAKE_PTR(key);
        return 0;
}

int auth_apikey_revoke(cdb_conn_t *conn, const char *id)
{
        int64_t n = 0;
        cdb_param_t p[] = { CDB_TEXT(id) };
        int r = cdb_exec(conn, "UPDATE api_keys SET revoked = 1 WHERE id = $1", p, 1, &n);

        if (r < 0)
                return r;
        return n ? 0 : -ENOENT;
}

int auth_apikey_user(center_t *c, const http_req_t *req, http_principal_t *principal)
{
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        _cleanup_res_ cdb_res_t *res = NULL;
        const char *bearer = auth_bearer(req);
        char hash[65];
        int role, r;

        if (!bearer || !str_startswith(bearer, AUTH_APIKEY_PREFIX))
                return -ENOENT;
        if (strlen(bearer) != STRLEN(AUTH_APIKEY_PREFIX) + AUTH_SECRET_HEX ||
            !is_hex(bearer + STRLEN(AUTH_APIKEY_PREFIX), AUTH_SECRET_HEX))
                return -EACCES;
        cutil_sha256_hex(bearer, hash);
        r = cdb_acquire(c->db, &conn);
        if (r < 0)
                return r;
        cdb_param_t p[] = { CDB_TEXT(hash) };
        r = cdb_query(conn, "SELECT name, role, revoked FROM api_keys WHERE key_hash = $1", p, 1,
                      &res);
        if (r < 0)
                return r;
        r = cdb_next(res);
        if (r < 0)
                return r;
        if (r == 0 || cdb_get_int(res, 2) != 0 ||
            auth_role_from_name(cdb_get_text(res, 1), &role) < 0)
                return -EACCES;
        principal->kind = role;
        principal->agent_id = 0;
        snprintf(principal->name, sizeof(principal->name), "key:%s", cdb_get_text(res, 0));
        return 0;
}

static int refuse(http_resp_t *resp, int status, const char *code, const char *msg)
{
        http_resp_error(resp, status, code, "%s", msg);
        if (status == 401)
                http_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"vigil\"");
        return status == 401 ? -EACCES : -EPERM;
}

int auth_check(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        int need = req->route->auth, r;

        memset(&req->principal, 0, sizeof(req->principal));
        if (need == HTTP_AUTH_NONE)
                return 0;
        if (need == HTTP_AUTH_AGENT) {
                int64_t id;
                r = auth_agent(c, req, &id);
                if (r == -ENOENT || r == -EACCES) {
                        metrics_add(c->metrics, METRIC_AUTH_FAIL_AGENT, 1);
                        return refuse(resp, 401, "unauthorized",
                                      r == -ENOENT ? "an agent credential is required"
                                                   : "the agent credential is not valid");
                }
                if (r < 0) {
                        http_resp_error(resp, 503, "unavailable", "the database is unavailable");
                        http_resp_header(resp, "Retry-After", "5");
                        return r;
                }
                req->principal.kind = HTTP_AUTH_AGENT;
                req->principal.agent_id = id;
                return 0;
        }
        for (size_t i = 0; i < c->n_user_auth; i++) {
                http_principal_t p = { 0 };
                r = c->user_auth[i](c, req, &p);
                if (r == -ENOENT)
                        continue;
                if (r == -EACCES) {
                        metrics_add(c->metrics, METRIC_AUTH_FAIL_USER, 1);
                        return refuse(resp, 401, "unauthorized", "the credential is not valid");
                }
                if (r < 0) {
                        http_resp_error(resp, 503, "unavailable", "the database is unavailable");
                        return r;
                }
                if (p.kind < need)
                        return refuse(resp, 403, "forbidden", "this needs the admin role");
                req->principal = p;
                return 0;
        }
        metrics_add(c->metrics, METRIC_AUTH_FAIL_USER, 1);
        return refuse(resp, 401, "unauthorized", "authentication required");
}
