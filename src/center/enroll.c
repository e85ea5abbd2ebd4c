#include "center/enroll.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "center/auth.h"
#include "center/center.h"
#include "center/cutil.h"
#include "core/jsonx.h"
#include "core/score.h"
#include "core/text.h"
#include "core/timeutil.h"

static bool text_ok(const char *s, size_t max)
{
        size_t n = 0;

        for (; *s; s++, n++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f || n >= max)
                        return false;
        return true;
}

int enroll_token_create(cdb_conn_t *c, unsigned uses, int64_t ttl_us, const char *note,
                        const char *created_by, int64_t now_us, char **ret_token, char ret_id[17])
{
        char secret[65], hash[65], id[17];
        _cleanup_free_ char *token = NULL;
        int r;

        if (uses < 1 || uses > ENROLL_MAX_USES || ttl_us < ENROLL_MIN_TTL_US ||
            ttl_us > ENROLL_MAX_TTL_US || (note && !text_ok(note, 200)))
                return -EINVAL;
        r = cutil_random_hex(secret, 32);
        if (r == 0)
                r = cutil_random_hex(id, 8);
        if (r < 0)
                return r;
        token = str_printf(ENROLL_TOKEN_PREFIX "%s", secret);
        if (!token)
                return -ENOMEM;
        cutil_sha256_hex(token, hash);
        cdb_param_t p[] = { CDB_TEXT(id),    CDB_TEXT(hash),
                            CDB_INT(uses),   CDB_INT(now_us + ttl_us),
                            CDB_INT(now_us), CDB_TEXT(created_by),
                            CDB_TEXT(note) };
        r = cdb_exec(c,
                     "INSERT INTO enroll_tokens (id, token_hash, uses_total, uses_left,"
                     " expires_at, created_at, created_by, note)"
                     " VALUES ($1, $2, $3, $3, $4, $5, $6, $7)",
                     p, ELEMENTSOF(p), NULL);
        if (r < 0)
                return r;
        memcpy(ret_id, id, sizeof(id));
        *ret_token = TAKE_PTR(token);
        return 0;
}

int enroll_token_revoke(cdb_conn_t *c, const char *id)
{
        int64_t n = 0;
        cdb_param_t p[] = { CDB_TEXT(id) };
        int r = cdb_exec(c, "UPDATE enroll_tokens SET revoked = 1 WHERE id = $1", p, 1, &n);

        if (r < 0)
                return r;
        return n ? 0 : -ENOENT;
}

static const char *token_state(int64_t revoked, int64_t uses_left, int64_t expires, int64_t now)
{
        if (revoked)
                return "revoked";
        if (expires <= now)
                return "expired";
        if (uses_left <= 0)
                return "used up";
        return "active";
}

int enroll_token_list(cdb_conn_t *c, int64_t now_us, json_t **ret)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        json_t *arr = json_array();
        int r;

        if (!arr)
                return -ENOMEM;
        r = cdb_query(c,
                      "SELECT id, uses_total, uses_left, expires_at, created_at, created_by, note,"
                      " revoked FROM enroll_tokens ORDER BY created_at DESC, id LIMIT 1000",
                      NULL, 0, &res);
        while (r == 0 && (r = cdb_next(res)) > 0) {
                const char *by = cdb_get_text(res, 5), *note = cdb_get_text(res, 6);
                json_t *o = json_pack("{s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:s}", "id",
                                      jsonx_string_lossy(cdb_get_text(res, 0)), "uses_total",
                                      (json_int_t)cdb_get_int(res, 1), "uses_left",
                                      (json_int_t)cdb_get_int(res, 2), "expires_at",
                                      cutil_json_time(cdb_get_int(res, 3)), "created_at",
                                      cutil_json_time(cdb_get_int(res, 4)), "created_by",
                                      by ? jsonx_string_lossy(by) : json_null(), "note",
                                      note ? jsonx_string_lossy(note) : json_null(), "state",
                                      token_state(cdb_get_int(res, 7), cdb_get_int(res, 2),
                                                  cdb_get_int(res, 3), now_us));
                if (!o || json_array_append_new(arr, o) < 0) {
                        r = -ENOMEM;
                        break;
                }
                r = 0;
        }
        if (r < 0) {
                json_decref(arr);
                return r;
        }
        *ret = arr;
        return 0;
}

struct enroll_ctx {
        const char *token;
        const enroll_info_t *info;
        int64_t now;
        int64_t id;
        char secret[65];
        const char *reason;
};

static int enroll_body(cdb_conn_t *c, void *userdata)
{
        struct enroll_ctx *e = userdata;
        _cleanup_res_ cdb_res_t *res = NULL;
        char thash[65], shash[65];
        _cleanup_free_ char *token_id = NULL;
        int64_t changed = 0;
        int r;

        cutil_sha256_hex(e->token, thash);
        cdb_param_t q[] = { CDB_TEXT(thash) };
        r = cdb_query(c,
                      "SELECT id, uses_left, expires_at, revoked FROM enroll_tokens"
                      " WHERE token_hash = $1",
                      q, 1, &res);
        if (r < 0)
                return r;
        r = cdb_next(res);
        if (r < 0)
                return r;
        if (r == 0) {
                e->reason = "unknown";
                return -EACCES;
        }
        token_id = strdup(cdb_get_text(res, 0) ? cdb_get_text(res, 0) : "");
        if (!token_id)
                return -ENOMEM;
        e->reason =
                token_state(cdb_get_int(res, 3), cdb_get_int(res, 1), cdb_get_int(res, 2), e->now);
        cdb_res_free(TAKE_PTR(res));
        if (strcmp(e->reason, "active") != 0)
                return -EACCES;
        /* Take one use only if one is left: the condition is checked under
         * the row's lock, so concurrent enrollments cannot overdraw it. */
        cdb_param_t u[] = { CDB_TEXT(token_id), CDB_INT(e->now) };
        r = cdb_exec(c,
                     "UPDATE enroll_tokens SET uses_left = uses_left - 1"
                     " WHERE id = $1 AND revoked = 0 AND uses_left > 0 AND expires_at > $2",
                     u, ELEMENTSOF(u), &changed);
        if (r < 0)
                return r;
        if (changed == 0) {
                e->reason = "used up";
                return -EACCES;
        }
        r = auth_new_secret(e->secret, shash);
        if (r < 0)
                return r;
        for (int attempt = 0; attempt < 5; attempt++) {
                r = cutil_random_id(&e->id);
                if (r < 0)
                        return r;
                cdb_param_t p[] = {
                        CDB_INT(e->id),
                        CDB_TEXT(e->info->hostname),
                        CDB_TEXT(e->info->os),
                        CDB_TEXT(e->info->os_version),
                        CDB_TEXT(e->info->arch),
                        CDB_TEXT(e->info->kernel),
                        CDB_TEXT(e->info->agent_version),
                        CDB_TEXT(shash),
                        CDB_TEXT(token_id),
                        CDB_INT(e->now),
                        CDB_INT(SCORE_MAX),
                };
                r = cdb_exec(c,
                             "INSERT INTO hosts (id, hostname, os, os_version, arch, kernel,"
                             " agent_version, secret_hash, token_id, enrolled_at, last_seen,"
                             " score, updated_at)"
                             " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $10)",
                             p, ELEMENTSOF(p), NULL);
                if (r != -EEXIST)
                        break;
        }
        if (r < 0)
                return r;
        /* The first point of the host's score history. */
        cdb_param_t h[] = { CDB_INT(e->id), CDB_INT(cutil_hour(e->now)), CDB_INT(SCORE_MAX) };
        return cdb_exec(c, "INSERT INTO score_history (host_id, bucket, score) VALUES ($1, $2, $3)",
                        h, ELEMENTSOF(h), NULL);
}

int enroll_agent(cdb_conn_t *c, const char *token, const enroll_info_t *info, int64_t now_us,
                 int64_t *ret_id, char ret_secret[65], const char **ret_reason)
{
        struct enroll_ctx e = { .token = token, .info = info, .now = now_us };
        int r;

        *ret_reason = NULL;
        r = cdb_transact(c, 5, enroll_body, &e);
        if (r == -EACCES) {
                *ret_reason = e.reason;
                return r;
        }
        if (r < 0)
                return r;
        *ret_id = e.id;
        memcpy(ret_secret, e.secret, 65);
        return 0;
}

/* ---- endpoints ---- */

static int field(json_t *body, const char *key, size_t max, bool required, const char **ret,
                 http_resp_t *resp)
{
        json_t *j = json_object_get(body, key);

        *ret = NULL;
        if (!j || json_is_null(j)) {
                if (required) {
                        http_resp_error(resp, 400, "invalid_request", "%s is required", key);
                        return -EINVAL;
                }
                return 0;
        }
        if (!json_is_string(j) || json_string_length(j) == 0 ||
            !text_ok(json_string_value(j), max) ||
            strlen(json_string_value(j)) != json_string_length(j)) {
                http_resp_error(resp, 400, "invalid_request",
                                "%s must be a string of 1-%zu printable characters", key, max);
                return -EINVAL;
        }
        *ret = json_string_value(j);
        return 0;
}

static int h_enroll(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        json_t *body;
        json_error_t jerr;
        enroll_info_t info = { 0 };
        const char *token, *reason;
        char secret[65];
        _cleanup_free_ char *cred = NULL;
        int64_t id;
        int r;

        body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(body)) {
                json_decref(body);
                metrics_add(c->metrics, METRIC_ENROLL_FAILED, 1);
                return http_resp_error(resp, 400, "invalid_json", "the body must be a JSON object");
        }
        if (field(body, "token", 200, true, &token, resp) < 0 ||
            field(body, "hostname", 253, true, &info.hostname, resp) < 0 ||
            field(body, "os", 128, false, &info.os, resp) < 0 ||
            field(body, "os_version", 128, false, &info.os_version, resp) < 0 ||
            field(body, "arch", 64, false, &info.arch, resp) < 0 ||
            field(body, "kernel", 128, false, &info.kernel, resp) < 0 ||
            field(body, "agent_version", 64, false, &info.agent_version, resp) < 0) {
                json_decref(body);
                metrics_add(c->metrics, METRIC_ENROLL_FAILED, 1);
                return 0;
        }
        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = enroll_agent(conn, token, &info, timeutil_now_us(), &id, secret, &reason);
        json_decref(body);
        if (r == -EACCES) {
                metrics_add(c->metrics, METRIC_ENROLL_FAILED, 1);
                return http_resp_error(resp, 403, "invalid_token", "the enrollment token is %s",
                                       reason);
        }
        if (r < 0) {
                http_resp_error(resp, 503, "unavailable", "enrollment failed; try again");
                return r;
        }
        metrics_add(c->metrics, METRIC_ENROLL_OK, 1);
        cred = str_printf("%lld.%s", (long long)id, secret);
        if (!cred)
                return -ENOMEM;
        return http_resp_json(resp, 201,
                              json_pack("{s:I, s:s, s:s}", "agent_id", (json_int_t)id, "secret",
                                        secret, "credential", cred));
}

static int h_token_create(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        _cleanup_free_ char *token = NULL;
        json_t *body = NULL, *j;
        json_error_t jerr;
        json_int_t uses = 1;
        int64_t ttl = USEC_PER_DAY, now = timeutil_now_us();
        const char *note = NULL;
        char id[17];
        int r;

        if (req->body_len > 0) {
                body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
                if (!json_is_object(body)) {
                        json_decref(body);
                        return http_resp_error(resp, 400, "invalid_json",
                                               "the body must be a JSON object");
                }
        }
        if ((j = json_object_get(body, "uses"))) {
                if (!json_is_integer(j) || json_integer_value(j) < 1 ||
                    json_integer_value(j) > ENROLL_MAX_USES) {
                        json_decref(body);
                        return http_resp_error(resp, 400, "invalid_request",
                                               "uses must be an integer from 1 to %d",
                                               ENROLL_MAX_USES);
                }
                uses = json_integer_value(j);
        }
        if ((j = json_object_get(body, "expires_in"))) {
                int bad = 0;
                if (json_is_integer(j))
                        ttl = json_integer_value(j) * USEC_PER_SEC;
                else if (!json_is_string(j) || cutil_parse_duration(json_string_value(j), &ttl) < 0)
                        bad = 1;
                if (bad || ttl < ENROLL_MIN_TTL_US || ttl > ENROLL_MAX_TTL_US) {
                        json_decref(body);
                        return http_resp_error(resp, 400, "invalid_request",
                                               "expires_in must be a duration from 1m to 366d "
                                               "(\"24h\") or seconds");
                }
        }
        if ((j = json_object_get(body, "note")) && !json_is_null(j)) {
                note = json_string_value(j);
                if (!note || !text_ok(note, 200)) {
                        json_decref(body);
                        return http_resp_error(resp, 400, "invalid_request",
                                               "note must be a string of at most 200 printable "
                                               "characters");
                }
        }
        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = enroll_token_create(conn, (unsigned)uses, ttl, note, req->principal.name, now,
                                        &token, id);
        json_decref(body);
        if (r < 0) {
                http_resp_error(resp, 503, "unavailable", "the token could not be created");
                return r;
        }
        return http_resp_json(resp, 201,
                              json_pack("{s:s, s:s, s:I, s:o}", "id", id, "token", token, "uses",
                                        uses, "expires_at", cutil_json_time(now + ttl)));
}

static int h_token_list(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        json_t *arr = NULL;
        int r;

        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = enroll_token_list(conn, timeutil_now_us(), &arr);
        if (r < 0) {
                http_resp_error(resp, 503, "unavailable", "the database is unavailable");
                return r;
        }
        return http_resp_json(resp, 200, json_pack("{s:o}", "tokens", arr));
}

static int h_token_revoke(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        int r;

        if (!cutil_valid_id(req->params[0], 16))
                return http_resp_error(resp, 404, "not_found", "no such token");
        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = enroll_token_revoke(conn, req->params[0]);
        if (r == -ENOENT)
                return http_resp_error(resp, 404, "not_found", "no such token");
        if (r < 0) {
                http_resp_error(resp, 503, "unavailable", "the database is unavailable");
                return r;
        }
        return http_resp_json(resp, 200,
                              json_pack("{s:s, s:b}", "id", req->params[0], "revoked", 1));
}

const http_route_t enroll_routes[] = {
        { "POST", "/api/v1/agent/enroll", HTTP_AUTH_NONE, 16 * KiB, h_enroll },
        { "POST", "/api/v1/enroll-tokens", HTTP_AUTH_ADMIN, 16 * KiB, h_token_create },
        { "GET", "/api/v1/enroll-tokens", HTTP_AUTH_ADMIN, 0, h_token_list },
        { "DELETE", "/api/v1/enroll-tokens/{}", HTTP_AUTH_ADMIN, 0, h_token_revoke },
};
const size_t enroll_n_routes = ELEMENTSOF(enroll_routes);
