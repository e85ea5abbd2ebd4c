#include "center/commands.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "center/center.h"
#include "center/cutil.h"
#include "core/finding.h"
#include "core/ipaddr.h"
#include "core/jsonx.h"
#include "core/text.h"
#include "core/timeutil.h"

#define RESULT_MAX (16 * 1024)

static const char *const kinds[] = { "scan_now", "verify",     "update_rules",
                                     "block_ip", "quarantine", "kill" };

static int bad(char **ret_error, const char *fmt, ...) _printf_(2, 3);
static int bad(char **ret_error, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        *ret_error = strdup(msg);
        return -EINVAL;
}

static bool only_keys(json_t *args, const char *const *allowed, size_t n, const char **ret_key)
{
        const char *key;
        json_t *v;

        json_object_foreach (args, key, v) {
                bool ok = false;
                for (size_t i = 0; i < n; i++)
                        if (strcmp(key, allowed[i]) == 0)
                                ok = true;
                if (!ok) {
                        *ret_key = key;
                        return false;
                }
        }
        return true;
}

int commands_validate(const char *kind, json_t *args, char **ret_error)
{
        const char *key = NULL;
        json_t *v;
        bool known = false;

        *ret_error = NULL;
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                if (kind && strcmp(kind, kinds[i]) == 0)
                        known = true;
        if (!known)
                return bad(ret_error, "unknown command '%s'", kind ? kind : "");
        if (args && !json_is_object(args))
                return bad(ret_error, "the arguments of %s must be an object", kind);
        if (strcmp(kind, "scan_now") == 0) {
                static const char *const k[] = { "categories" };
                size_t i;
                if (args && !only_keys(args, k, 1, &key))
                        return bad(ret_error, "scan_now takes no argument '%s'", key);
                v = args ? json_object_get(args, "categories") : NULL;
                if (v && !json_is_array(v))
                        return bad(ret_error, "%s: categories must be a list", kind);
                if (v) {
                        json_t *e;
                        json_array_foreach (v, i, e) {
                                finding_category_t fc;
                                if (!json_is_string(e) ||
                                    finding_category_from_name(json_string_value(e), &fc) < 0)
                                        return bad(ret_error, "%s: not a finding category",
                                                   "categories");
                        }
                }
        } else if (strcmp(kind, "verify") == 0) {
                static const char *const k[] = { "finding_id" };
                const char *id =
                        args ? json_string_value(json_object_get(args, "finding_id")) : NULL;
                if (!args || !only_keys(args, k, 1, &key))
                        return bad(ret_error, "verify takes only finding_id%s", "");
                if (!id || strlen(id) != FINDING_ID_HEX ||
                    strspn(id, "0123456789abcdef") != FINDING_ID_HEX)
                        return bad(ret_error, "verify: finding_id must be %s",
                                   "a finding id (32 hex digits)");
        } else if (strcmp(kind, "update_rules") == 0) {
                if (args && json_object_size(args) > 0)
                        return bad(ret_error, "%s takes no arguments", kind);
        } else if (strcmp(kind, "block_ip") == 0) {
                static const char *const k[] = { "ip", "duration" };
                const char *ip = args ? json_string_value(json_object_get(args, "ip")) : NULL;
                json_t *d = args ? json_object_get(args, "duration") : NULL;
                ipaddr_t a;
                int64_t us;
                if (!args || !only_keys(args, k, 2, &key))
                        return bad(ret_error, "block_ip takes ip and duration%s", "");
                if (!ip || ipaddr_parse(ip, &a) < 0)
                        return bad(ret_error, "block_ip: '%s' is not an IP address", ip ? ip : "");
                if (ipaddr_is_loopback(&a))
                        return bad(ret_error, "block_ip: %s is a loopback address", ip);
                if (d &&
                    (!json_is_string(d) || cutil_parse_duration(json_string_value(d), &us) < 0))
                        return bad(ret_error, "block_ip: duration must be like %s", "24h");
        } else if (strcmp(kind, "quarantine") == 0) {
                static const char *const k[] = { "path" };
                const char *path = args ? json_string_value(json_object_get(args, "path")) : NULL;
                if (!args || !only_keys(args, k, 1, &key))
                        return bad(ret_error, "quarantine takes only path%s", "");
                if (!path || path[0] != '/' || strlen(path) > 4096 || strstr(path, "/../") ||
                    str_endswith(path, "/..") || strcmp(path, "/") == 0)
                        return bad(ret_error, "quarantine: path must be %s",
                                   "an absolute path to a file, without '..'");
        } else if (strcmp(kind, "kill") == 0) {
                static const char *const k[] = { "pid", "start_time" };
                json_t *pid = args ? json_object_get(args, "pid") : NULL;
                json_t *st = args ? json_object_get(args, "start_time") : NULL;
                if (!args || !only_keys(args, k, 2, &key))
                        return bad(ret_error, "kill takes pid and start_time%s", "");
                if (!json_is_integer(pid) || json_integer_value(pid) <= 1 ||
                    json_integer_value(pid) > 4194304)
                        return bad(ret_error, "kill: pid must be %s", "a process id above 1");
                if (st && (!json_is_integer(st) || json_integer_value(st) < 0))
                        return bad(ret_error, "kill: start_time must be %s",
                                   "a non-negative integer");
        }
        return 0;
}

int commands_create(cdb_conn_t *c, int64_t host_id, const char *kind, json_t *args,
                    const char *created_by, int64_t ttl_us, int64_t now_us, int64_t *ret_id,
                    char **ret_error)
{
        _cleanup_free_ char *text = NULL;
        int64_t exists = 0, id;
        int r;

        r = commands_validate(kind, args, ret_error);
        if (r < 0)
                return r;
        cdb_param_t hp[] = { CDB_INT(host_id) };
        r = cdb_query_int(c, "SELECT count(*) FROM hosts WHERE id = $1 AND revoked = 0", hp, 1,
                          &exists);
        if (r < 0)
                return r;
        if (!exists)
                return -ENOENT;
        text = args ? json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
        if (!text)
                return -ENOMEM;
        for (int attempt = 0; attempt < 5; attempt++) {
                r = cutil_random_id(&id);
                if (r < 0)
                        return r;
                cdb_param_t p[] = { CDB_INT(id),
                                    CDB_INT(host_id),
                                    CDB_TEXT(kind),
                                    CDB_TEXT(text),
                                    CDB_INT(now_us),
                                    CDB_TEXT(created_by),
                                    CDB_INT(now_us + ttl_us) };
                r = cdb_exec(c,
                             "INSERT INTO commands (id, host_id, kind, args, status, created_at,"
                             " created_by, expires_at) VALUES ($1, $2, $3, $4, 'pending', $5, $6,"
                             " $7)",
                             p, ELEMENTSOF(p), NULL);
                if (r != -EEXIST)
                        break;
        }
        if (r < 0)
                return r;
        *ret_id = id;
        return 0;
}

static json_t *parse_stored(const char *s)
{
        json_t *j = s ? json_loads(s, 0, NULL) : NULL;

        return j ? j : json_object();
}

int commands_pull(cdb_conn_t *c, int64_t host_id, int64_t now_us, json_t **ret)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        json_t *arr = json_array();
        int64_t ids[COMMANDS_PULL_MAX];
        size_t n = 0;
        int r;

        if (!arr)
                return -ENOMEM;
        cdb_param_t p[] = { CDB_INT(host_id), CDB_INT(now_us), CDB_INT(COMMANDS_PULL_MAX) };
        r = cdb_query(c,
                      "SELECT id, kind, args, created_at, expires_at FROM commands"
                      " WHERE host_id = $1 AND status IN ('pending', 'sent') AND expires_at > $2"
                      " ORDER BY created_at, id LIMIT $3",
                      p, ELEMENTSOF(p), &res);
        while (r == 0 && (r = cdb_next(res)) > 0) {
                json_t *o = json_object();
                ids[n++] = cdb_get_int(res, 0);
                if (!o || json_object_set_new(o, "id", json_integer(cdb_get_int(res, 0))) < 0 ||
                    json_object_set_new(o, "kind", jsonx_string_lossy(cdb_get_text(res, 1))) < 0 ||
                    json_object_set_new(o, "args", parse_stored(cdb_get_text(res, 2))) < 0 ||
                    json_object_set_new(o, "created_at", cutil_json_time(cdb_get_int(res, 3))) <
                            0 ||
                    json_object_set_new(o, "expires_at", cutil_json_time(cdb_get_int(res, 4))) <
                            0 ||
                    json_array_append_new(arr, o) < 0) {
                        json_decref(o);
                        r = -ENOMEM;
                }
                r = r > 0 ? 0 : r;
                if (r < 0)
                        break;
        }
        cdb_res_free(TAKE_PTR(res));
        if (r < 0) {
                json_decref(arr);
                return r;
        }
        for (size_t i = 0; i < n; i++) {
                cdb_param_t u[] = { CDB_INT(ids[i]), CDB_INT(now_us) };
                r = cdb_exec(c,
                             "UPDATE commands SET status = 'sent', sent_at = $2,"
                             " deliveries = deliveries + 1 WHERE id = $1",
                             u, ELEMENTSOF(u), NULL);
                if (r < 0) {
                        json_decref(arr);
                        return r;
                }
        }
        *ret = arr;
        return 0;
}

int commands_ack(cdb_conn_t *c, int64_t host_id, int64_t id, const char *status, json_t *result,
                 int64_t now_us)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_res_ cdb_res_t *res = NULL;
        const char *cur;
        int64_t expires, changed = 0;
        int r;

        if (!status || (strcmp(status, "done") != 0 && strcmp(status, "failed") != 0))
                return -EINVAL;
        if (result && !json_is_object(result))
                return -EINVAL;
        text = result ? json_dumps(result, JSON_COMPACT) : strdup("{}");
        if (!text)
                return -ENOMEM;
        if (strlen(text) > RESULT_MAX)
                return -EINVAL;
        cdb_param_t p[] = { CDB_INT(id), CDB_INT(host_id) };
        r = cdb_query(c, "SELECT status, expires_at FROM commands WHERE id = $1 AND host_id = $2",
                      p, ELEMENTSOF(p), &res);
        if (r < 0)
                return r;
        r = cdb_next(res);
        if (r <= 0)
                return r < 0 ? r : -ENOENT;
        cur = cdb_get_text(res, 0);
        expires = cdb_get_int(res, 1);
        if (!cur || (strcmp(cur, "pending") != 0 && strcmp(cur, "sent") != 0) || expires <= now_us)
                return -EALREADY;
        cdb_res_free(TAKE_PTR(res));
        cdb_param_t u[] = { CDB_INT(id), CDB_INT(host_id), CDB_TEXT(status), CDB_INT(now_us),
                            CDB_TEXT(text) };
        r = cdb_exec(c,
                     "UPDATE commands SET status = $3, done_at = $4, result = $5"
                     " WHERE id = $1 AND host_id = $2 AND status IN ('pending', 'sent')",
                     u, ELEMENTSOF(u), &changed);
        if (r < 0)
                return r;
        return changed ? 0 : -EALREADY;
}

int commands_expire(cdb_conn_t *c, int64_t now_us, int64_t *ret_n)
{
        int64_t n = 0;
        cdb_param_t p[] = { CDB_INT(now_us) };
        int r = cdb_exec(c,
                         "UPDATE commands SET status = 'expired'"
                         " WHERE status IN ('pending', 'sent') AND expires_at <= $1",
                         p, 1, &n);

        if (r == 0 && ret_n)
                *ret_n = n;
        return r;
}

int commands_list(cdb_conn_t *c, int64_t host_id, size_t limit, json_t **ret)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        json_t *arr = json_array();
        int r;

        if (!arr)
                return -ENOMEM;
        cdb_param_t p[] = { CDB_INT(host_id), CDB_INT((int64_t)limit) };
        r = cdb_query(c,
                      "SELECT id, kind, args, status, created_at, created_by, expires_at,"
                      " sent_at, deliveries, done_at, result FROM commands WHERE host_id = $1"
                      " ORDER BY created_at DESC, id DESC LIMIT $2",
                      p, ELEMENTSOF(p), &res);
        while (r == 0 && (r = cdb_next(res)) > 0) {
                json_t *o = json_pack(
                        "{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:o}", "id",
                        (json_int_t)cdb_get_int(res, 0), "kind",
                        jsonx_string_lossy(cdb_get_text(res, 1)), "args",
                        parse_stored(cdb_get_text(res, 2)), "status",
                        jsonx_string_lossy(cdb_get_text(res, 3)), "created_at",
                        cutil_json_time(cdb_get_int(res, 4)), "created_by",
                        cdb_get_text(res, 5) ? jsonx_string_lossy(cdb_get_text(res, 5))
                                             : json_null(),
                        "expires_at", cutil_json_time(cdb_get_int(res, 6)), "sent_at",
                        cutil_json_time(cdb_get_int(res, 7)), "deliveries",
                        (json_int_t)cdb_get_int(res, 8), "done_at",
                        cutil_json_time(cdb_get_int(res, 9)), "result",
                        cdb_is_null(res, 10) ? json_null() : parse_stored(cdb_get_text(res, 10)));
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

/* ---- agent endpoints ---- */

static int pull_body(cdb_conn_t *c, void *userdata)
{
        void **io = userdata;
        json_t **out = io[1];

        return commands_pull(c, *(int64_t *)io[0], timeutil_now_us(), out);
}

static int h_pull(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        json_t *arr = NULL;
        int64_t host = req->principal.agent_id;
        void *io[2] = { &host, &arr };
        int r;

        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = cdb_transact(conn, 5, pull_body, io);
        if (r < 0) {
                http_resp_error(resp, 503, "unavailable", "the database is unavailable");
                http_resp_header(resp, "Retry-After", "5");
                return r;
        }
        metrics_add(c->metrics, METRIC_COMMANDS_DELIVERED, json_array_size(arr));
        return http_resp_json(resp, 200, json_pack("{s:o}", "commands", arr));
}

static int h_ack(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        json_t *body = NULL;
        json_error_t jerr;
        int64_t id;
        const char *status;
        json_t *result;
        int r;

        if (cutil_parse_id(req->params[0], &id) < 0)
                return http_resp_error(resp, 404, "not_found", "no such command");
        body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(body)) {
                json_decref(body);
                return http_resp_error(resp, 400, "invalid_json",
                                       "the body must be a JSON object {status, result}");
        }
        status = json_string_value(json_object_get(body, "status"));
        result = json_object_get(body, "result");
        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = commands_ack(conn, req->principal.agent_id, id, status,
                                 json_is_null(result) ? NULL : result, timeutil_now_us());
        json_decref(body);
        switch (r) {
        case 0:
                metrics_add(c->metrics, METRIC_COMMANDS_ACKED, 1);
                return http_resp_json(resp, 200,
                                      json_pack("{s:b, s:I}", "ok", 1, "id", (json_int_t)id));
        case -ENOENT:
                return http_resp_error(resp, 404, "not_found", "no such command for this agent");
        case -EALREADY:
                return http_resp_error(resp, 409, "conflict",
                                       "the command was already acknowledged or has expired");
        case -EINVAL:
                return http_resp_error(resp, 400, "invalid_ack",
                                       "status must be done or failed and result an object of "
                                       "at most %d bytes",
                                       RESULT_MAX);
        }
        http_resp_error(resp, 503, "unavailable", "the database is unavailable");
        return r;
}

const http_route_t commands_routes[] = {
        { "GET", "/api/v1/agent/commands", HTTP_AUTH_AGENT, 0, h_pull },
        { "POST", "/api/v1/agent/commands/{}/ack", HTTP_AUTH_AGENT, 32 * KiB, h_ack },
};
const size_t commands_n_routes = ELEMENTSOF(commands_routes);
