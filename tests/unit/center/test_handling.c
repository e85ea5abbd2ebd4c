/* Unit tests for center/handling: allowlist rules (checks, every operator,
 * evidence fields, a regex that backtracks without end), and the endpoints
 * driven through http_handle with the center's own routes and auth hook:
 * ignore, handle and reopen with the host's counts and score following,
 * verify and host actions queuing commands, viewers refused, allowlist
 * rules applied by the real intake, and the audit log with its paging.
 * Runs on SQLite, and on PostgreSQL with VIGIL_TEST_PG. */
#include "ctest.h"

#include <errno.h>
#include <jansson.h>
#include <strings.h>

#include "center/auth.h"
#include "center/commands.h"
#include "center/cutil.h"
#include "center/enroll.h"
#include "center/handling.h"
#include "center/intake.h"
#include "core/timeutil.h"

static handling_rule_t rule(const char *field, const char *op, const char *value)
{
        handling_rule_t r;
        char *err = NULL;

        if (handling_rule_compile(field, op, value, &r, &err) < 0) {
                fprintf(stderr, "%s %s %s: %s\n", field, op, value, err ? err : "?");
                fail();
        }
        return r;
}

static void expect_bad_rule(const char *field, const char *op, const char *value,
                            const char *fragment)
{
        handling_rule_t r;
        char *err = NULL;

        assert_int_equal(handling_rule_compile(field, op, value, &r, &err), -EINVAL);
        assert_non_null(err);
        if (!strstr(err, fragment)) {
                fprintf(stderr, "error '%s' lacks '%s'\n", err, fragment);
                fail();
        }
        free(err);
}

static bool matches(const char *field, const char *op, const char *value, const handling_alert_t *a)
{
        handling_rule_t r = rule(field, op, value);
        bool m = handling_rule_match(&r, a);

        handling_rule_clear(&r);
        return m;
}

static void test_rules(void **state)
{
        json_t *ev = json_pack("{s:s, s:i, s:b, s:f}", "src", "203.0.113.9", "port", 22, "tty", 1,
                               "score", 0.5);
        handling_alert_t a = { .type = "abnormal_login",
                               .rule = "ssh.brute_force",
                               .subject = "root@203.0.113.9",
                               .title = "Brute force against root",
                               .level = 2,
                               .evidence = ev };
        char big[HANDLING_VALUE_MAX + 2];

        expect_bad_rule("hostname", "equals", "x", "field must be");
        expect_bad_rule("evidence.", "equals", "x", "field must be");
        expect_bad_rule("evidence.a b", "equals", "x", "field must be");
        expect_bad_rule("type", "like", "x", "operator must be");
        expect_bad_rule("type", "equals", "", "value must be");
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        expect_bad_rule("type", "equals", big, "value must be");
        expect_bad_rule("title", "regex", "a(b", "offset 3");
        expect_bad_rule("title", "regex", "\\C", "regular expression");

        assert_true(matches("type", "equals", "abnormal_login", &a));
        assert_false(matches("type", "equals", "abnormal", &a));
        assert_true(matches("type", "not_equals", "malicious_file", &a));
        assert_true(matches("subject", "contains", "203.0.113.", &a));
        assert_false(matches("subject", "not_contains", "203.0.113.", &a));
        assert_true(matches("title", "regex", "^Brute .* root$", &a));
        assert_false(matches("title", "regex", "^root", &a));
        assert_true(matches("level", "equals", "suspicious", &a));
        assert_true(matches("evidence.src", "equals", "203.0.113.9", &a));
        assert_true(matches("evidence.port", "equals", "22", &a));
        assert_true(matches("evidence.tty", "equals", "true", &a));
        assert_true(matches("evidence.score", "regex", "^0\\.5", &a));
        /* A missing field reads as "". */
        assert_false(matches("evidence.user", "contains", "r", &a));
        assert_true(matches("evidence.user", "not_equals", "root", &a));
        a.subject = NULL;
        assert_true(matches("subject", "not_contains", "x", &a));
        /* Case matters. */
        assert_false(matches("rule", "equals", "SSH.brute_force", &a));

        /* Catastrophic backtracking stops at the match limit: no match. */
        {
                char subject[64];
                memset(subject, 'a', 40);
                memcpy(subject + 40, "!", 2);
                a.title = subject;
                assert_false(matches("title", "regex", "^(a|aa)+$", &a));
                assert_true(matches("title", "regex", "^a+!$", &a));
        }
        json_decref(ev);
}

/* ---- the endpoints ---- */

struct q {
        const char *auth;
        const char *names[4], *values[4];
        size_t n;
};

static const char *lookup(void *data, http_value_kind_t kind, const char *name)
{
        struct q *q = data;

        if (kind == HTTP_HEADER)
                return strcasecmp(name, "Authorization") == 0 ? q->auth : NULL;
        for (size_t i = 0; i < q->n; i++)
                if (strcmp(q->names[i], name) == 0)
                        return q->values[i];
        return NULL;
}

/* Call METHOD PATH as AUTH with BODY (may be NULL); the status must be
 * WANT. Optional query pairs follow, NULL-terminated. Returns the JSON
 * body. */
static json_t *call(center_t *c, const char *method, const char *path, const char *auth,
                    const char *body, int want, ...)
{
        struct q q = { .auth = auth };
        http_app_t app = center_http_app(c);
        http_req_t req = { .method = method,
                           .path = path,
                           .remote = "192.0.2.1",
                           .body = body ? body : "",
                           .body_len = body ? strlen(body) : 0,
                           .lookup = lookup,
                           .lookup_data = &q };
        http_resp_t resp;
        va_list ap;
        const char *k;
        json_t *j;

        va_start(ap, want);
        while ((k = va_arg(ap, const char *)) && q.n < 4) {
                q.names[q.n] = k;
                q.values[q.n++] = va_arg(ap, const char *);
        }
        va_end(ap);
        http_resp_init(&resp);
        http_handle(&app, &req, &resp);
        if (resp.status != want) {
                fprintf(stderr, "%s %s: %d %s\n", method, path, resp.status,
                        resp.body.data ? resp.body.data : "");
                fail();
        }
        j = json_loads(resp.body.data, 0, NULL);
        http_resp_free(&resp);
        assert_non_null(j);
        return j;
}

static void call_drop(center_t *c, const char *method, const char *path, const char *auth,
                      const char *body, int want)
{
        json_decref(call(c, method, path, auth, body, want, NULL));
}

static int64_t q_int(center_t *c, const char *sql)
{
        cdb_conn_t *conn;
        int64_t v = -1;

        assert_int_equal(cdb_acquire(c->db, &conn), 0);
        assert_int_equal(cdb_query_int(conn, sql, NULL, 0, &v), 0);
        cdb_release(conn);
        return v;
}

static char *q_text(center_t *c, const char *sql)
{
        cdb_conn_t *conn;
        cdb_res_t *res;
        char *s = NULL;

        assert_int_equal(cdb_acquire(c->db, &conn), 0);
        assert_int_equal(cdb_query(conn, sql, NULL, 0, &res), 0);
        if (cdb_next(res) > 0 && cdb_get_text(res, 0))
                s = strdup(cdb_get_text(res, 0));
        cdb_res_free(res);
        cdb_release(conn);
        return s;
}

static void expect_text(center_t *c, const char *sql, const char *want)
{
        char *s = q_text(c, sql);

        if (!s || strcmp(s, want) != 0) {
                fprintf(stderr, "%s: got %s, wanted %s\n", sql, s ? s : "NULL", want);
                fail();
        }
        free(s);
}

/* Store a batch through the real intake for HOST. */
static void ingest(center_t *c, int64_t host, const char *batch_id, const char *items)
{
        intake_limits_t lim = { .max_json = 1 << 20, .max_items = 100 };
        intake_batch_t *b = NULL;
        intake_result_t res;
        cdb_conn_t *conn;
        char *err = NULL, *doc;

        doc = str_printf("{\"agent_id\":%lld,\"batch_id\":\"%s\",\"seq\":1,\"items\":[%s]}",
                         (long long)host, batch_id, items);
        assert_non_null(doc);
        if (intake_parse(doc, strlen(doc), &lim, timeutil_now_us(), &b, &err) < 0) {
                fprintf(stderr, "intake_parse: %s\n", err ? err : "?");
                fail();
        }
        assert_int_equal(cdb_acquire(c->db, &conn), 0);
        assert_int_equal(intake_store(conn, host, b, "127.0.0.1", timeutil_now_us(), &res), 0);
        cdb_release(conn);
        intake_batch_free(b);
        free(doc);
}

static const char *alert_json(const char *id, const char *level, const char *src)
{
        static char buf[4][512];
        static int k;
        char *b = buf[k++ % 4];

        snprintf(b, 512,
                 "{\"kind\":\"alert\",\"id\":\"%s\",\"type\":\"abnormal_login\","
                 "\"rule\":\"ssh.brute_force\",\"level\":\"%s\",\"time\":\"2026-11-26T08:00:00Z\","
                 "\"title\":\"brute force from %s\",\"evidence\":{\"src\":\"%s\"}}",
                 id, level, src, src);
        return b;
}

static void test_endpoints(void **state)
{
        center_t *c = ctest_center(NULL);
        cdb_conn_t *conn;
        char *akey = NULL, *vkey = NULL, kid[17], admin[128], viewer[128], *token = NULL, tid[17],
             secret[65], path[256], items[4096];
        const char *reason;
        int64_t host, host2, rule_id;
        json_t *j, *cmds;

        assert_int_equal(cdb_acquire(c->db, &conn), 0);
        assert_int_equal(auth_apikey_create(conn, "ops", HTTP_AUTH_ADMIN, 1, &akey, kid), 0);
        assert_int_equal(auth_apikey_create(conn, "watch", HTTP_AUTH_VIEWER, 1, &vkey, kid), 0);
        snprintf(admin, sizeof(admin), "Bearer %s", akey);
        snprintf(viewer, sizeof(viewer), "Bearer %s", vkey);
        assert_int_equal(enroll_token_create(conn, 2, USEC_PER_DAY, NULL, "t", timeutil_now_us(),
                                             &token, tid),
                         0);
        {
                enroll_info_t info = { .hostname = "web-1" };
                assert_int_equal(
                        enroll_agent(conn, token, &info, timeutil_now_us(), &host, secret, &reason),
                        0);
                info.hostname = "web-2";
                assert_int_equal(enroll_agent(conn, token, &info, timeutil_now_us(), &host2, secret,
                                              &reason),
                                 0);
        }
        cdb_release(conn);

        snprintf(items, sizeof(items),
                 "%s,%s,%s,{\"kind\":\"finding\",\"id\":\"f-1\",\"category\":\"baseline\","
                 "\"check\":\"ssh.root-login\",\"level\":\"high\",\"title\":\"root login\"}",
                 alert_json("a-1", "urgent", "203.0.113.1"),
                 alert_json("a-2", "suspicious", "203.0.113.2"),
                 alert_json("a-3", "reminder", "203.0.113.3"));
        ingest(c, host, "b1", items);
        snprintf(path, sizeof(path), "SELECT a_urgent FROM hosts WHERE id = %lld", (long long)host);
        assert_int_equal(q_int(c, path), 1);

        /* Viewers read, never change. */
        snprintf(path, sizeof(path), "/api/v1/hosts/%lld/alerts/a-1/ignore", (long long)host);
        call_drop(c, "POST", path, viewer, "{\"reason\":\"test box\"}", 403);
        call_drop(c, "POST", path, NULL, "{\"reason\":\"test box\"}", 401);
        expect_text(c, "SELECT status FROM alerts WHERE id = 'a-1'", "open");
        /* Ignoring needs a reason; unknown fields and bad JSON are refused. */
        call_drop(c, "POST", path, admin, NULL, 400);
        call_drop(c, "POST", path, admin, "{\"reason\":\"\"}", 400);
        call_drop(c, "POST", path, admin, "{\"reason\":\"x\",\"why\":1}", 400);
        call_drop(c, "POST", path, admin, "[1]", 400);
        call_drop(c, "POST", path, admin, "{\"reason\":\"a\\u0001b\"}", 400);

        j = call(c, "POST", path, admin, "{\"reason\":\"test box\"}", 200, NULL);
        assert_true(json_is_true(json_object_get(j, "changed")));
        assert_string_equal(json_string_value(json_object_get(j, "status")), "ignored");
        json_decref(j);
        expect_text(c, "SELECT status FROM alerts WHERE id = 'a-1'", "ignored");
        expect_text(c, "SELECT status_reason FROM alerts WHERE id = 'a-1'", "test box");
        snprintf(items, sizeof(items), "SELECT a_urgent FROM hosts WHERE id = %lld",
                 (long long)host);
        assert_int_equal(q_int(c, items), 0);
        /* Twice: no change, nothing more audited. */
        j = call(c, "POST", path, admin, "{\"reason\":\"test box\"}", 200, NULL);
        assert_false(json_is_true(json_object_get(j, "changed")));
        json_decref(j);
        assert_int_equal(q_int(c, "SELECT count(*) FROM audit_log"), 1);

        snprintf(path, sizeof(path), "/api/v1/hosts/%lld/alerts/a-2/handle", (long long)host);
        call_drop(c, "POST", path, admin, NULL, 200);
        expect_text(c, "SELECT status FROM alerts WHERE id = 'a-2'", "handled");
        snprintf(path, sizeof(path), "/api/v1/hosts/%lld/alerts/a-1/reopen", (long long)host);
        call_drop(c, "POST", path, admin, "{\"reason\":\"was real\"}", 200);
        expect_text(c, "SELECT status FROM alerts WHERE id = 'a-1'", "open");
        assert_int_equal(q_int(c, items), 1);
        /* Unknown host, alert, or an id that cannot be one. */
        call_drop(c, "POST", "/api/v1/hosts/999/alerts/a-1/handle", admin, NULL, 404);
        snprintf(path, sizeof(path), "/api/v1/hosts/%lld/alerts/nope/handle", (long long)host);
        call_drop(c, "POST", path, admin, NULL, 404);
        snprintf(path, sizeof(path), "/api/v1/hosts/%lld/alerts/%%2e%%2e/handle", (long long)host);
        call_drop(c, "POST", path, admin, NULL, 404);

        /* Findings: ignore (the score follows), reopen, verify. */
        snprintf(items, sizeof(items), "SELECT f_high FROM hosts WHERE id = %lld", (long long)host);
        assert_int_equal(q_int(c, items), 1);
        snprintf(path, sizeof(path), "/api/v1/hosts/%lld/findings/f-1/ignore", (long long)host);
        j = call(c, "POST", path, admin, "{\"reason\":\"accepted risk\"}", 200, NULL);
        json_decref(j);
        assert_int_equal(q_int(c, items), 0);
        snprintf(path, sizeof(path), "/api/v1/hosts/%lld/findings/f-1/reopen", (long long)host);
        call_drop(c, "POST", path, admin, NULL, 200);
        assert_int_equal(q_int(c, items), 1);
        call_drop(c, "POST", path, admin, NULL, 200); /* open already: unchanged */
        snprintf(path, sizeof(path), "/api/v1/hosts/%lld/findings/f-1/verify", (long long)host);
        call_drop(c, "POST", path, viewer, NULL, 403);
        j = call(c, "POST", path, admin, NULL, 202, NULL);
        assert_string_equal(json_string_value(json_object_get(j, "kind")), "scan_now");
        json_decref(j);
        assert_int_equal(cdb_acquire(c->db, &conn), 0);
        assert_int_equal(commands_pull(conn, host, timeutil_now_us(), &cmds), 0);
        assert_int_equal(json_array_size(cmds), 1);
        j = json_object_get(json_array_get(cmds, 0), "args");
        assert_string_equal(json_string_value(json_array_get(json_object_get(j, "categories"), 0)),
                            "baseline");
        json_decref(cmds);
        cdb_release(conn);

        /* Host actions: commands for the agent, the alert marked handled. */
        snprintf(path, sizeof(path), "/api/v1/hosts/%lld/block-ip", (long long)host);
        call_drop(c, "POST", path, admin, "{\"ip\":\"not-an-ip\"}", 400);
        call_drop(c, "POST", path, admin, "{\"ip\":\"127.0.0.1\"}", 400);
        call_drop(c, "POST", path, viewer, "{\"ip\":\"203.0.113.1\"}", 403);
        call_drop(c, "POST", path, admin, "{\"ip\":\"203.0.113.1\",\"alert_id\":\"zz\"}", 404);
        j = call(c, "POST", path, admin,
                 "{\"ip\":\"203.0.113.1\",\"duration\":\"12h\",\"alert_id\":\"a-1\"}", 202, NULL);
        assert_true(json_is_true(json_object_get(j, "alert_handled")));
        json_decref(j);
        expect_text(c, "SELECT status FROM alerts WHERE id = 'a-1'", "handled");
        expect_text(c, "SELECT args FROM commands WHERE kind = 'block_ip'",
                    "{\"duration\":\"12h\",\"ip\":\"203.0.113.1\"}");
        snprintf(path, sizeof(path), "/api/v1/hosts/%lld/kill", (long long)host);
        call_drop(c, "POST", path, admin, "{\"pid\":1}", 400);
        call_drop(c, "POST", path, admin, "{\"pid\":4242}", 202);
        snprintf(path, sizeof(path), "/api/v1/hosts/%lld/quarantine", (long long)host);
        call_drop(c, "POST", path, admin, "{\"path\":\"relative\"}", 400);
        call_drop(c, "POST", path, admin, "{\"path\":\"/tmp/x/../y\"}", 400);
        call_drop(c, "POST", path, admin, "{\"path\":\"/tmp/.x/miner\"}", 202);
        call_drop(c, "POST", "/api/v1/hosts/424242/quarantine", admin, "{\"path\":\"/tmp/a\"}",
                  404);

        /* Allowlist: checked, listed, applied by intake. */
        call_drop(c, "POST", "/api/v1/allowlist", admin,
                  "{\"field\":\"title\",\"operator\":\"regex\",\"value\":\"(\"}", 400);
        call_drop(c, "POST", "/api/v1/allowlist", admin,
                  "{\"field\":\"title\",\"operator\":\"glob\",\"value\":\"x\"}", 400);
        call_drop(c, "POST", "/api/v1/allowlist", admin,
                  "{\"field\":\"title\",\"operator\":\"equals\",\"value\":\"x\",\"host_id\":999}",
                  404);
        call_drop(c, "POST", "/api/v1/allowlist", viewer,
                  "{\"field\":\"title\",\"operator\":\"equals\",\"value\":\"x\"}", 403);
        j = call(c, "POST", "/api/v1/allowlist", admin,
                 "{\"field\":\"evidence.src\",\"operator\":\"regex\",\"value\":"
                 "\"^198\\\\.51\\\\.100\\\\.\",\"note\":\"scanner\"}",
                 201, NULL);
        rule_id = json_integer_value(json_object_get(j, "id"));
        assert_true(rule_id > 0);
        assert_true(json_is_null(json_object_get(j, "host_id")));
        json_decref(j);
        j = call(c, "GET", "/api/v1/allowlist", viewer, NULL, 200, NULL);
        assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
        json_decref(j);
        /* A rule for web-2 only must not touch web-1. */
        snprintf(items, sizeof(items),
                 "{\"field\":\"rule\",\"operator\":\"equals\",\"value\":\"ssh.brute_force\","
                 "\"host_id\":%lld}",
                 (long long)host2);
        call_drop(c, "POST", "/api/v1/allowlist", admin, items, 201);

        snprintf(items, sizeof(items), "%s,%s", alert_json("a-4", "urgent", "198.51.100.7"),
                 alert_json("a-5", "urgent", "192.0.2.50"));
        ingest(c, host, "b2", items);
        expect_text(c, "SELECT status FROM alerts WHERE id = 'a-4'", "allowlisted");
        expect_text(c, "SELECT status FROM alerts WHERE id = 'a-5'", "open");
        snprintf(items, sizeof(items), "SELECT a_urgent FROM hosts WHERE id = %lld",
                 (long long)host);
        assert_int_equal(q_int(c, items), 1);
        snprintf(items, sizeof(items), "%s", alert_json("a-6", "urgent", "192.0.2.51"));
        ingest(c, host2, "b3", items);
        expect_text(c, "SELECT status FROM alerts WHERE id = 'a-6'", "allowlisted");
        snprintf(items, sizeof(items), "SELECT a_urgent FROM hosts WHERE id = %lld",
                 (long long)host2);
        assert_int_equal(q_int(c, items), 0);
        /* A replayed batch of an alert already stored changes nothing. */
        snprintf(items, sizeof(items), "%s", alert_json("a-5", "urgent", "192.0.2.50"));
        ingest(c, host, "b4", items);
        expect_text(c, "SELECT status FROM alerts WHERE id = 'a-5'", "open");

        /* apply_existing: open alerts that match now are allowlisted too. */
        j = call(c, "POST", "/api/v1/allowlist", admin,
                 "{\"field\":\"title\",\"operator\":\"contains\",\"value\":\"192.0.2.50\","
                 "\"apply_existing\":true}",
                 201, NULL);
        assert_int_equal(json_integer_value(json_object_get(j, "applied")), 1);
        json_decref(j);
        expect_text(c, "SELECT status FROM alerts WHERE id = 'a-5'", "allowlisted");
        snprintf(items, sizeof(items), "SELECT a_urgent FROM hosts WHERE id = %lld",
                 (long long)host);
        assert_int_equal(q_int(c, items), 0);

        snprintf(path, sizeof(path), "/api/v1/allowlist/%lld", (long long)rule_id);
        call_drop(c, "DELETE", path, viewer, NULL, 403);
        call_drop(c, "DELETE", path, admin, NULL, 200);
        call_drop(c, "DELETE", path, admin, NULL, 404);
        j = call(c, "GET", "/api/v1/allowlist", viewer, NULL, 200, NULL);
        assert_int_equal(json_array_size(json_object_get(j, "items")), 2);
        json_decref(j);

        /* The audit log: every change, newest first, paged. */
        {
                static const char *const want[] = {
                        "allowlist.delete", "allowlist.create", "allowlist.create",
                        "allowlist.create", "host.quarantine",  "host.kill",
                        "alert.handle",     "host.block_ip",    "finding.verify",
                        "finding.reopen",   "finding.ignore",   "alert.reopen",
                        "alert.handle",     "alert.ignore",
                };
                char *cursor = NULL;
                size_t seen = 0;

                do {
                        json_t *arr;
                        j = cursor ? call(c, "GET", "/api/v1/audit", viewer, NULL, 200, "limit",
                                          "3", "cursor", cursor, NULL)
                                   : call(c, "GET", "/api/v1/audit", viewer, NULL, 200, "limit",
                                          "3", NULL);
                        arr = json_object_get(j, "items");
                        for (size_t i = 0; i < json_array_size(arr); i++, seen++) {
                                json_t *e = json_array_get(arr, i);
                                const char *act = json_string_value(json_object_get(e, "action"));
                                assert_true(seen < ELEMENTSOF(want));
                                /* The command and the alert it handles are one
                                 * transaction with one time: either order. */
                                if (seen == 6 || seen == 7)
                                        assert_true(strcmp(act, "alert.handle") == 0 ||
                                                    strcmp(act, "host.block_ip") == 0);
                                else
                                        assert_string_equal(act, want[seen]);
                                assert_string_equal(json_string_value(json_object_get(e, "actor")),
                                                    "key:ops");
                                assert_string_equal(json_string_value(json_object_get(e, "role")),
                                                    "admin");
                                assert_string_equal(json_string_value(json_object_get(e, "remote")),
                                                    "192.0.2.1");
                                if (strcmp(act, "alert.ignore") == 0) {
                                        assert_string_equal(
                                                json_string_value(json_object_get(
                                                        json_object_get(e, "before"), "status")),
                                                "open");
                                        assert_string_equal(
                                                json_string_value(json_object_get(
                                                        json_object_get(e, "after"), "status")),
                                                "ignored");
                                        assert_string_equal(
                                                json_string_value(json_object_get(e, "reason")),
                                                "test box");
                                }
                        }
                        free(cursor);
                        cursor = json_is_string(json_object_get(j, "next_cursor"))
                                         ? strdup(json_string_value(
                                                   json_object_get(j, "next_cursor")))
                                         : NULL;
                        json_decref(j);
                } while (cursor);
                assert_int_equal(seen, ELEMENTSOF(want));
        }
        j = call(c, "GET", "/api/v1/audit", viewer, NULL, 200, "action", "alert.handle", NULL);
        assert_int_equal(json_array_size(json_object_get(j, "items")), 2);
        json_decref(j);
        call_drop(c, "GET", "/api/v1/audit", NULL, NULL, 401);
        json_decref(call(c, "GET", "/api/v1/audit", viewer, NULL, 400, "cursor", "!!", NULL));
        json_decref(call(c, "GET", "/api/v1/audit", viewer, NULL, 400, "limit", "0", NULL));

        free(akey);
        free(vkey);
        free(token);
        center_free(c);
}

static int teardown(void **state)
{
        ctest_cleanup();
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rules),
                cmocka_unit_test(test_endpoints),
        };
        return cmocka_run_group_tests_name(ctest_pg() ? "center_handling (postgresql)"
                                                      : "center_handling (sqlite)",
                                           tests, NULL, teardown);
}
