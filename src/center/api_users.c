#include "center/api_users.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "center/auth.h"
#include "center/center.h"
#include "center/cutil.h"
#include "center/handling.h"
#include "center/users.h"
#include "core/text.h"
#include "core/timeutil.h"

/* Positive outcomes of the transaction bodies (cdb_transact rolls back
 * and hands them back). */
enum {
        NO_USER = 1,
        LAST_ADMIN,
};

/* ---- helpers ---- */

static int db_fail(center_t *c, http_resp_t *resp, cdb_conn_t *conn, int r)
{
        center_log(c, CENTER_LOG_ERROR, "users: %s", conn ? cdb_errmsg(conn) : strerror(-r));
        http_resp_error(resp, 503, "unavailable", "the database is unavailable");
        http_resp_header(resp, "Retry-After", "5");
        return r;
}

/* Whether the caller is the console user NAME (a session's principal is
 * "user:NAME"; an API key's is "key:...", never a user). */
static bool is_self(const http_req_t *req, const char *name)
{
        const char *p = req->principal.name;

        return str_startswith(p, "user:") && strcmp(p + STRLEN("user:"), name) == 0;
}

/* The body as a JSON object with only the keys in ALLOWED; an empty body
 * is {}. NULL with RESP set on a bad body. */
static json_t *body_object(const http_req_t *req, http_resp_t *resp, const char *const *allowed)
{
        const char *key;
        json_t *body, *v;

        if (req->body_len == 0)
                return json_object();
        body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(body)) {
                json_decref(body);
                http_resp_error(resp, 400, "invalid_json", "the body must be a JSON object");
                return NULL;
        }
        json_object_foreach (body, key, v) {
                bool ok = false;
                for (size_t i = 0; allowed[i]; i++)
                        if (strcmp(key, allowed[i]) == 0)
                                ok = true;
                if (!ok) {
                        http_resp_error(resp, 400, "invalid_request", "unknown field '%s'", key);
                        json_decref(body);
                        return NULL;
                }
        }
        return body;
}

/* A string member KEY of BODY without NUL bytes into *RET (borrowed);
 * NULL when absent or null. Returns 0 or -EINVAL with RESP set. */
static int get_string(json_t *body, const char *key, const char **ret, http_resp_t *resp)
{
        json_t *j = json_object_get(body, key);

        *ret = NULL;
        if (!j || json_is_null(j))
                return 0;
        if (!json_is_string(j) || strlen(json_string_value(j)) != json_string_length(j)) {
                http_resp_error(resp, 400, "invalid_request", "%s must be a string", key);
                return -EINVAL;
        }
        *ret = json_string_value(j);
        return 0;
}

static int bad_name(http_resp_t *resp)
{
        return http_resp_error(resp, 400, "invalid_request",
                               "name must be 1-%d characters of A-Z a-z 0-9 . _ @ -, starting "
                               "with a letter or digit",
                               USERS_NAME_MAX);
}

static int bad_password(http_resp_t *resp)
{
        return http_resp_error(resp, 400, "invalid_request",
                               "password must be %d-%d bytes without control characters; leave "
                               "it out to have one generated",
                               USERS_PASSWORD_MIN, USERS_PASSWORD_MAX);
}

/* The role named in BODY's "role" into *RET (-1 when absent). Returns 0
 * or -EINVAL with RESP set. */
static int get_role(json_t *body, int *ret, http_resp_t *resp)
{
        const char *s;

        *ret = -1;
        if (get_string(body, "role", &s, resp) < 0)
                return -EINVAL;
        if (s && auth_role_from_name(s, ret) < 0) {
                http_resp_error(resp, 400, "invalid_request", "role must be viewer or admin");
                return -EINVAL;
        }
        return 0;
}

/* The password in BODY, checked, or a generated one in GEN (then
 * *RET_GENERATED is set). Returns 0 or -EINVAL with RESP set, -EIO. */
static int get_password(json_t *body, char gen[USERS_GEN_PASSWORD + 1], const char **ret,
                        bool *ret_generated, http_resp_t *resp)
{
        const char *s;
        int r;

        if (get_string(body, "password", &s, resp) < 0)
                return -EINVAL;
        if (s) {
                if (users_password_ok(s) < 0) {
                        bad_password(resp);
                        return -EINVAL;
                }
                *ret = s;
                *ret_generated = false;
                return 0;
        }
        r = users_generate_password(gen);
        if (r < 0)
                return r;
        *ret = gen;
        *ret_generated = true;
        return 0;
}

/* User NAME as the API shows it (the fields of users_list) into *RET
 * (new reference). Returns 0, NO_USER, or an error. */
static int user_json(cdb_conn_t *c, const char *name, int64_t now, json_t **ret)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        cdb_param_t p[] = { CDB_TEXT(name) };
        json_t *o;
        int r;

        r = cdb_query(c,
                      "SELECT name, role, totp_secret IS NOT NULL, locked_until, created_at,"
                      " last_login FROM users WHERE name = $1",
                      p, ELEMENTSOF(p), &res);
        if (r == 0)
                r = cdb_next(res);
        if (r < 0)
                return r;
        if (r == 0)
                return NO_USER;
        o = json_pack("{s:s, s:s, s:b, s:b, s:o, s:o}", "name", cdb_get_text(res, 0) ?: "", "role",
                      cdb_get_text(res, 1) ?: "", "totp", cdb_get_int(res, 2) != 0, "locked",
                      cdb_get_int(res, 3) > now, "created_at", cutil_json_time(cdb_get_int(res, 4)),
                      "last_login", cutil_json_time(cdb_is_null(res, 5) ? 0 : cdb_get_int(res, 5)));
        if (!o)
                return -ENOMEM;
        *ret = o;
        return 0;
}

static bool json_role_is(json_t *user, int role)
{
        return strcmp(json_string_value(json_object_get(user, "role")) ?: "",
                      auth_role_name(role)) == 0;
}

/* Whether an admin other than NAME would be left. The admins' rows are
 * locked first (an UPDATE that changes nothing, as handling locks a
 * host's row), so two requests taking away two different admins at once
 * run one after the other on PostgreSQL too, and the second sees the
 * first's change. Returns 0 (there is another), LAST_ADMIN, or an error. */
static int other_admin(cdb_conn_t *c, const char *name)
{
        cdb_param_t p[] = { CDB_TEXT(name), CDB_TEXT(auth_role_name(HTTP_AUTH_ADMIN)) };
        int64_t n = 0;
        int r;

        r = cdb_exec(c, "UPDATE users SET role = role WHERE role = $1", p + 1, 1, NULL);
        if (r == 0)
                r = cdb_query_int(c, "SELECT COUNT(*) FROM users WHERE role = $2 AND name <> $1", p,
                                  ELEMENTSOF(p), &n);
        if (r < 0)
                return r;
        return n > 0 ? 0 : LAST_ADMIN;
}

static int end_sessions(cdb_conn_t *c, const char *name)
{
        cdb_param_t p[] = { CDB_TEXT(name) };

        return cdb_exec(
                c, "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE name = $1)",
                p, 1, NULL);
}

/* What a transaction body needs and hands back. */
struct user_op {
        const http_req_t *req;
        const char *name;
        int64_t now;
        int role;             /* create, update: the role asked for; -1 for none */
        bool unlock;          /* update */
        const char *password; /* create: the password (hashed by users_add) */
        const char *hash;     /* reset: the new password's hash */
        json_t *after;        /* out: the user after the change (owned) */
        bool changed;         /* out: update changed something */
};

static int audit(cdb_conn_t *c, struct user_op *op, const char *action, json_t *before)
{
        return handling_audit(c, &op->req->principal, op->req->remote, action, "user", op->name, 0,
                              before, op->after, NULL, op->now);
}

static int create_body(cdb_conn_t *c, void *userdata)
{
        struct user_op *op = userdata;
        int r;

        json_decref(TAKE_PTR(op->after));
        r = users_add(c, op->name, op->role, op->password, op->now, NULL);
        if (r == 0)
                r = user_json(c, op->name, op->now, &op->after);
        if (r == 0)
                r = audit(c, op, "user.create", NULL);
        return r;
}

static int update_body(cdb_conn_t *c, void *userdata)
{
        struct user_op *op = userdata;
        cdb_param_t p[] = { CDB_TEXT(op->name),
                            CDB_TEXT(op->role >= 0 ? auth_role_name(op->role) : NULL) };
        json_t *before = NULL;
        bool role_changed = false;
        int r;

        json_decref(TAKE_PTR(op->after));
        op->changed = false;
        r = user_json(c, op->name, op->now, &before);
        if (r != 0)
                return r;
        if (op->role >= 0 && !json_role_is(before, op->role)) {
                if (json_role_is(before, HTTP_AUTH_ADMIN))
                        r = other_admin(c, op->name);
                if (r == 0)
                        r = cdb_exec(c, "UPDATE users SET role = $2 WHERE name = $1", p,
                                     ELEMENTSOF(p), NULL);
                /* Sessions carry the role they began with only as long as
                 * they live: end them, as users_set_role does. */
                if (r == 0)
                        r = end_sessions(c, op->name);
                op->changed = role_changed = true;
        }
        if (r == 0 && op->unlock) {
                r = cdb_exec(c,
                             "UPDATE users SET fail_count = 0, fail_window_start = 0,"
                             " locked_until = 0 WHERE name = $1",
                             p, 1, NULL);
                op->changed = true;
        }
        if (r == 0)
                r = user_json(c, op->name, op->now, &op->after);
        if (r == 0 && op->changed)
                r = audit(c, op, role_changed ? "user.update" : "user.unlock", before);
        json_decref(before);
        return r;
}

static int password_body(cdb_conn_t *c, void *userdata)
{
        struct user_op *op = userdata;
        cdb_param_t p[] = { CDB_TEXT(op->name), CDB_TEXT(op->hash), CDB_INT(op->now) };
        json_t *before = NULL;
        int r;

        json_decref(TAKE_PTR(op->after));
        r = user_json(c, op->name, op->now, &before);
        if (r != 0)
                return r;
        /* As users_set_password: a new password also clears the lockout. */
        r = cdb_exec(c,
                     "UPDATE users SET pw_hash = $2, pw_changed_at = $3, fail_count = 0,"
                     " fail_window_start = 0, locked_until = 0 WHERE name = $1",
                     p, ELEMENTSOF(p), NULL);
        if (r == 0)
                r = end_sessions(c, op->name);
        if (r == 0)
                r = user_json(c, op->name, op->now, &op->after);
        if (r == 0)
                r = audit(c, op, "user.password", before);
        json_decref(before);
        return r;
}

static int delete_body(cdb_conn_t *c, void *userdata)
{
        struct user_op *op = userdata;
        cdb_param_t p[] = { CDB_TEXT(op->name) };
        json_t *before = NULL;
        int r;

        r = user_json(c, op->name, op->now, &before);
        if (r != 0)
                return r;
        if (json_role_is(before, HTTP_AUTH_ADMIN))
                r = other_admin(c, op->name);
        if (r == 0)
                r = end_sessions(c, op->name);
        if (r == 0)
                r = cdb_exec(c, "DELETE FROM users WHERE name = $1", p, 1, NULL);
        if (r == 0)
                r = audit(c, op, "user.delete", before);
        json_decref(before);
        return r;
}

/* Run BODY on OP in a write transaction and answer the usual refusals.
 * Returns 1 when RESP is still to be filled with the success answer, or
 * the handler's return value when it has been filled. */
static int run(center_t *c, http_resp_t *resp, int (*body)(cdb_conn_t *, void *),
               struct user_op *op)
{
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        int r = cdb_acquire(c->db, &conn);

        if (r == 0)
                r = cdb_transact(conn, 5, body, op);
        if (r == -EEXIST)
                return http_resp_error(resp, 409, "conflict", "a user of that name exists");
        if (r < 0)
                return db_fail(c, resp, conn, r);
        if (r == NO_USER)
                return http_resp_error(resp, 404, "not_found", "no such user");
        if (r == LAST_ADMIN)
                return http_resp_error(resp, 409, "last_admin",
                                       "this is the last admin: make another user admin first");
        return 1;
}

/* Path parameter 0 as a user name, or a 404. */
static const char *name_param(const http_req_t *req, http_resp_t *resp)
{
        if (!users_name_ok(req->params[0])) {
                http_resp_error(resp, 404, "not_found", "no such user");
                return NULL;
        }
        return req->params[0];
}

/* Answer USER (taken over) with the generated password GEN when there is
 * one. */
static int answer_user(http_resp_t *resp, int status, json_t *user, const char *gen)
{
        if (user && gen && json_object_set_new(user, "password", json_string(gen)) < 0) {
                json_decref(user);
                return -ENOMEM;
        }
        return http_resp_json(resp, status, user);
}

/* ---- handlers ---- */

static int h_list(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        json_t *all = NULL, *items;
        size_t i;
        json_t *u;
        int r;

        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = users_list(conn, timeutil_now_us(), &all);
        if (r < 0)
                return db_fail(c, resp, conn, r);
        if (req->principal.kind >= HTTP_AUTH_ADMIN)
                items = all;
        else {
                /* A viewer sees itself only (and an API key nobody). */
                items = json_array();
                json_array_foreach (all, i, u)
                        if (items && json_is_string(json_object_get(u, "name")) &&
                            is_self(req, json_string_value(json_object_get(u, "name"))))
                                json_array_append(items, u);
                json_decref(all);
        }
        return http_resp_json(resp, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

static int h_get(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        const char *name = name_param(req, resp);
        json_t *u = NULL;
        int r;

        if (!name)
                return 0;
        /* The same answer for another user whether or not it exists, so a
         * viewer learns no names. */
        if (req->principal.kind < HTTP_AUTH_ADMIN && !is_self(req, name))
                return http_resp_error(resp, 403, "forbidden",
                                       "a viewer may only read its own user");
        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = user_json(conn, name, timeutil_now_us(), &u);
        if (r < 0)
                return db_fail(c, resp, conn, r);
        if (r == NO_USER)
                return http_resp_error(resp, 404, "not_found", "no such user");
        return http_resp_json(resp, 200, u);
}

static int h_create(void *app, http_req_t *req, http_resp_t *resp)
{
        static const char *const keys[] = { "name", "role", "password", NULL };
        center_t *c = app;
        char gen[USERS_GEN_PASSWORD + 1] = "";
        struct user_op op = { .req = req, .now = timeutil_now_us() };
        bool generated = false;
        json_t *body;
        int r;

        body = body_object(req, resp, keys);
        if (!body)
                return 0;
        r = get_string(body, "name", &op.name, resp);
        if (r == 0 && !users_name_ok(op.name)) {
                bad_name(resp);
                r = -EINVAL;
        }
        if (r == 0)
                r = get_role(body, &op.role, resp);
        if (r == 0 && op.role < 0) {
                http_resp_error(resp, 400, "invalid_request", "role is required: viewer or admin");
                r = -EINVAL;
        }
        if (r == 0)
                r = get_password(body, gen, &op.password, &generated, resp);
        if (r == -EINVAL) {
                r = 0;
                goto out;
        }
        if (r == 0)
                r = run(c, resp, create_body, &op);
        if (r == 1)
                r = answer_user(resp, 201, TAKE_PTR(op.after), generated ? gen : NULL);
out:
        OPENSSL_cleanse(gen, sizeof(gen));
        json_decref(op.after);
        json_decref(body);
        return r;
}

static int h_update(void *app, http_req_t *req, http_resp_t *resp)
{
        static const char *const keys[] = { "role", "unlock", NULL };
        center_t *c = app;
        struct user_op op = { .req = req, .now = timeutil_now_us() };
        json_t *body, *j;
        int r;

        op.name = name_param(req, resp);
        if (!op.name)
                return 0;
        body = body_object(req, resp, keys);
        if (!body)
                return 0;
        r = get_role(body, &op.role, resp);
        j = json_object_get(body, "unlock");
        if (r == 0 && j && !json_is_boolean(j)) {
                http_resp_error(resp, 400, "invalid_request", "unlock must be true or false");
                r = -EINVAL;
        }
        op.unlock = json_is_true(j);
        if (r == 0 && op.role < 0 && !op.unlock) {
                http_resp_error(resp, 400, "invalid_request",
                                "nothing to change: give role, or unlock: true");
                r = -EINVAL;
        }
        json_decref(body);
        if (r < 0)
                return 0;
        r = run(c, resp, update_body, &op);
        if (r == 1) {
                if (json_object_set_new(op.after, "changed", json_boolean(op.changed)) < 0)
                        r = -ENOMEM;
                else
                        r = http_resp_json(resp, 200, TAKE_PTR(op.after));
        }
        json_decref(op.after);
        return r;
}

static int h_password(void *app, http_req_t *req, http_resp_t *resp)
{
        static const char *const keys[] = { "password", NULL };
        center_t *c = app;
        char gen[USERS_GEN_PASSWORD + 1] = "";
        _cleanup_free_ char *hash = NULL;
        struct user_op op = { .req = req, .now = timeutil_now_us() };
        const char *password = NULL;
        bool generated = false;
        json_t *body;
        int r;

        op.name = name_param(req, resp);
        if (!op.name)
                return 0;
        body = body_object(req, resp, keys);
        if (!body)
                return 0;
        r = get_password(body, gen, &password, &generated, resp);
        if (r == -EINVAL) {
                r = 0;
                goto out;
        }
        /* The hash is worked out before the transaction: yescrypt is slow
         * on purpose, and the write lock should not wait for it. */
        if (r == 0)
                r = users_hash_password(password, &hash);
        op.hash = hash;
        if (r == 0)
                r = run(c, resp, password_body, &op);
        if (r == 1)
                r = answer_user(resp, 200, TAKE_PTR(op.after), generated ? gen : NULL);
out:
        OPENSSL_cleanse(gen, sizeof(gen));
        json_decref(op.after);
        json_decref(body);
        return r;
}

static int h_delete(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        struct user_op op = { .req = req, .now = timeutil_now_us() };
        int r;

        op.name = name_param(req, resp);
        if (!op.name)
                return 0;
        if (is_self(req, op.name))
                return http_resp_error(resp, 409, "conflict",
                                       "you cannot delete yourself; another admin can");
        r = run(c, resp, delete_body, &op);
        if (r == 1)
                r = http_resp_json(resp, 200,
                                   json_pack("{s:s, s:b}", "name", op.name, "deleted", 1));
        json_decref(op.after);
        return r;
}

const http_route_t api_users_routes[] = {
        { "GET", "/api/v1/users", HTTP_AUTH_VIEWER, 0, h_list },
        { "POST", "/api/v1/users", HTTP_AUTH_ADMIN, API_USERS_MAX_BODY, h_create },
        { "GET", "/api/v1/users/{}", HTTP_AUTH_VIEWER, 0, h_get },
        { "PATCH", "/api/v1/users/{}", HTTP_AUTH_ADMIN, API_USERS_MAX_BODY, h_update },
        { "DELETE", "/api/v1/users/{}", HTTP_AUTH_ADMIN, 0, h_delete },
        { "POST", "/api/v1/users/{}/password", HTTP_AUTH_ADMIN, API_USERS_MAX_BODY, h_password },
};
const size_t api_users_n_routes = ELEMENTSOF(api_users_routes);
