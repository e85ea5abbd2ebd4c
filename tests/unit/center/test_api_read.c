/* Unit tests for center/api_read, driven through http_handle with the
 * center's own route table and auth hook: empty lists and overview, paging
 * through hosts, filters that are refused, and cursors that were not made
 * by the API. */
#include "ctest.h"

#include <errno.h>
#include <jansson.h>

#include "center/auth.h"
#include "center/cutil.h"
#include "center/enroll.h"

struct q {
        const char *auth;
        const char *names[8], *values[8];
        size_t n;
};

static const char *lookup(void *data, http_value_kind_t kind, const char *name)
{
        struct q *q = data;

        if (kind == HTTP_HEADER)
                return strcmp(name, "Authorization") == 0 ? q->auth : NULL;
        for (size_t i = 0; i < q->n; i++)
                if (strcmp(q->names[i], name) == 0)
                        return q->values[i];
        return NULL;
}

static json_t *get(center_t *c, const char *auth, const char *path, int want, ...)
{
        struct q q = { .auth = auth };
        http_app_t app = center_http_app(c);
        http_req_t req = { .method = "GET", .path = path, .lookup = lookup, .lookup_data = &q };
        http_resp_t resp;
        va_list ap;
        const char *k;
        json_t *j;

        va_start(ap, want);
        while ((k = va_arg(ap, const char *)) && q.n < 8) {
                q.names[q.n] = k;
                q.values[q.n++] = va_arg(ap, const char *);
        }
        va_end(ap);
        http_resp_init(&resp);
        http_handle(&app, &req, &resp);
        if (resp.status != want) {
                fprintf(stderr, "%s: %d %s\n", path, resp.status, resp.body.data);
                fail();
        }
        j = json_loads(resp.body.data, 0, NULL);
        http_resp_free(&resp);
        assert_non_null(j);
        return j;
}

static void test_read(void **state)
{
        center_t *c = ctest_center(NULL);
        cdb_conn_t *conn;
        char *key = NULL, kid[17], auth[128], *token = NULL, tid[17], secret[65];
        const char *reason;
        int64_t host;
        json_t *j;

        assert_int_equal(cdb_acquire(c->db, &conn), 0);
        assert_int_equal(auth_apikey_create(conn, "t", HTTP_AUTH_VIEWER, 1, &key, kid), 0);
        snprintf(auth, sizeof(auth), "Bearer %s", key);
        /* Empty fleet: no host scanned, so no fleet score. */
        j = get(c, auth, "/api/v1/overview", 200, NULL);
        assert_true(json_is_null(json_object_get(json_object_get(j, "fleet"), "score")));
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "fleet"), "band")),
                            "not scanned");
        json_decref(j);
        j = get(c, auth, "/api/v1/alerts", 200, NULL);
        assert_int_equal(json_array_size(json_object_get(j, "items")), 0);
        assert_true(json_is_null(json_object_get(j, "next_cursor")));
        json_decref(j);
        /* Five hosts, paged two at a time. */
        assert_int_equal(enroll_token_create(conn, 5, USEC_PER_DAY, NULL, "t",
                                             (int64_t)time(NULL) * USEC_PER_SEC, &token, tid),
                         0);
        for (int i = 0; i < 5; i++) {
                char name[16];
                enroll_info_t info = { .hostname = name };
                snprintf(name, sizeof(name), "host-%d", 4 - i);
                assert_int_equal(enroll_agent(conn, token, &info,
                                              (int64_t)time(NULL) * USEC_PER_SEC, &host, secret,
                                              &reason),
                                 0);
        }
        cdb_release(conn);
        {
                char *cursor = NULL;
                int seen = 0;
                for (int page = 0; page < 3; page++) {
                        json_t *items, *next;
                        j = cursor ? get(c, auth, "/api/v1/hosts", 200, "limit", "2", "cursor",
                                         cursor, NULL)
                                   : get(c, auth, "/api/v1/hosts", 200, "limit", "2", NULL);
                        items = json_object_get(j, "items");
                        for (size_t i = 0; i < json_array_size(items); i++) {
                                char want[16];
                                snprintf(want, sizeof(want), "host-%d", seen++);
                                assert_string_equal(json_string_value(json_object_get(
                                                            json_array_get(items, i), "hostname")),
                                                    want);
                        }
                        next = json_object_get(j, "next_cursor");
                        free(cursor);
                        cursor = json_is_string(next) ? strdup(json_string_value(next)) : NULL;
                        json_decref(j);
                }
                assert_int_equal(seen, 5);
                assert_null(cursor);
        }
        /* Refused filters and forged cursors: 400 with a JSON error. */
        {
                char *forged = cutil_b64url_encode("[\"x\",\"y\",\"z\"]", 13);
                char *sql = cutil_b64url_encode("[\"'; DROP TABLE hosts; --\",1]", 29);
                json_decref(get(c, auth, "/api/v1/hosts", 400, "cursor", "%%%", NULL));
                json_decref(get(c, auth, "/api/v1/hosts", 400, "cursor", forged, NULL));
                json_decref(get(c, auth, "/api/v1/alerts", 400, "cursor", forged, NULL));
                json_decref(get(c, auth, "/api/v1/hosts", 400, "sort", "name; --", NULL));
                json_decref(get(c, auth, "/api/v1/hosts", 400, "status", "maybe", NULL));
                json_decref(get(c, auth, "/api/v1/findings", 400, "category", "x,,y", NULL));
                json_decref(get(c, auth, "/api/v1/findings", 400, "level",
                                "high,high,high,high,high,high,high,high,high", NULL));
                json_decref(get(c, auth, "/api/v1/overview", 400, "days", "0", NULL));
                json_decref(get(c, auth, "/api/v1/scores/history", 400, "host", "x", NULL));
                json_decref(get(c, auth, "/api/v1/hosts/0", 404, NULL));
                json_decref(get(c, auth, "/api/v1/hosts/12", 404, NULL));
                /* A well-formed cursor with hostile text is just a value. */
                j = get(c, auth, "/api/v1/hosts", 200, "cursor", sql, NULL);
                assert_int_equal(json_array_size(json_object_get(j, "items")), 5);
                json_decref(j);
                free(forged);
                free(sql);
        }
        /* Enrolled but never scanned: not "secure", "not scanned". */
        j = get(c, auth, "/api/v1/hosts", 200, "sort", "score", "band", "secure", "status",
                "online", NULL);
        assert_int_equal(json_array_size(json_object_get(j, "items")), 0);
        json_decref(j);
        j = get(c, auth, "/api/v1/hosts", 200, "sort", "score", "band", "not_scanned", "status",
                "online", NULL);
        assert_int_equal(json_array_size(json_object_get(j, "items")), 5);
        json_decref(j);
        json_decref(get(c, NULL, "/api/v1/hosts", 401, NULL));
        free(key);
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
                cmocka_unit_test(test_read),
        };
        return cmocka_run_group_tests_name(ctest_pg() ? "center_api_read (postgresql)"
                                                      : "center_api_read (sqlite)",
                                           tests, NULL, teardown);
}
