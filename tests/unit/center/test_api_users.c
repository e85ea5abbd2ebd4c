/* Unit tests for center/api_users, driven through http_handle with the
 * center's own routes and auth hook and API keys: create with a generated
 * password that then logs in, and with a chosen one that is not echoed;
 * refused bodies; a viewer key sees nobody and changes nothing; the last
 * admin guard; delete; and one audit row per change, none with a
 * password. (Sessions, CSRF and PostgreSQL: tests/integration/center/
 * center-users.py.) */
#include "ctest.h"

#include <errno.h>
#include <jansson.h>
#include <strings.h>

#include "center/api_users.h"
#include "center/auth.h"
#include "center/users.h"
#include "core/timeutil.h"

static const char *lookup(void *data, http_value_kind_t kind, const char *name)
{
        return kind == HTTP_HEADER && strcasecmp(name, "Authorization") == 0 ? data : NULL;
}

/* METHOD PATH as AUTH with BODY (may be NULL); the status must be WANT.
 * Returns the JSON body (caller decrefs). */
static json_t *call(center_t *c, const char *method, const char *path, const char *auth,
                    const char *body, int want)
{
        http_app_t app = center_http_app(c);
        http_req_t req = { .method = method,
                           .path = path,
                           .remote = "192.0.2.1",
                           .body = body ? body : "",
                           .body_len = body ? strlen(body) : 0,
                           .lookup = lookup,
                           .lookup_data = (void *)auth };
        http_resp_t resp;
        json_t *j;

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

static void drop(center_t *c, const char *method, const char *path, const char *auth,
                 const char *body, int want)
{
        json_decref(call(c, method, path, auth, body, want));
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

static void test_users_api(void **state)
{
        center_t *c = ctest_center(NULL);
        cdb_conn_t *conn;
        char *akey = NULL, *vkey = NULL, kid[17], admin[128], viewer[128], pw[64];
        users_login_t who;
        json_t *j;

        assert_int_equal(cdb_acquire(c->db, &conn), 0);
        assert_int_equal(auth_apikey_create(conn, "ops", HTTP_AUTH_ADMIN, 1, &akey, kid), 0);
        assert_int_equal(auth_apikey_create(conn, "watch", HTTP_AUTH_VIEWER, 1, &vkey, kid), 0);
        cdb_release(conn);
        snprintf(admin, sizeof(admin), "Bearer %s", akey);
        snprintf(viewer, sizeof(viewer), "Bearer %s", vkey);

        /* A generated password comes back once, and it logs in. */
        j = call(c, "POST", "/api/v1/users", admin, "{\"name\":\"vic\",\"role\":\"viewer\"}", 201);
        assert_string_equal(json_string_value(json_object_get(j, "role")), "viewer");
        assert_int_equal(strlen(json_string_value(json_object_get(j, "password"))),
                         USERS_GEN_PASSWORD);
        snprintf(pw, sizeof(pw), "%s", json_string_value(json_object_get(j, "password")));
        json_decref(j);
        assert_int_equal(cdb_acquire(c->db, &conn), 0);
        assert_int_equal(users_login(conn, "vic", pw, NULL, timeutil_now_us(), &who), 0);
        assert_int_equal(who.role, HTTP_AUTH_VIEWER);
        cdb_release(conn);
        /* A chosen one is not echoed. */
        j = call(c, "POST", "/api/v1/users", admin,
                 "{\"name\":\"ada\",\"role\":\"admin\",\"password\":\"a fine passphrase\"}", 201);
        assert_null(json_object_get(j, "password"));
        json_decref(j);

        /* Refused bodies change nothing. */
        drop(c, "POST", "/api/v1/users", admin, "{\"name\":\"vic\",\"role\":\"viewer\"}", 409);
        drop(c, "POST", "/api/v1/users", admin, "{\"name\":\".x\",\"role\":\"viewer\"}", 400);
        drop(c, "POST", "/api/v1/users", admin, "{\"name\":\"x\",\"role\":\"owner\"}", 400);
        drop(c, "POST", "/api/v1/users", admin, "{\"name\":\"x\",\"role\":\"viewer\",\"x\":1}",
             400);
        drop(c, "POST", "/api/v1/users", admin,
             "{\"name\":\"x\",\"role\":\"viewer\",\"password\":\"short\"}", 400);
        drop(c, "POST", "/api/v1/users", admin, "{\"name\":\"x\",\"role\"", 400);
        drop(c, "PATCH", "/api/v1/users/vic", admin, "{}", 400);
        drop(c, "PATCH", "/api/v1/users/nobody", admin, "{\"unlock\":true}", 404);
        assert_int_equal(q_int(c, "SELECT COUNT(*) FROM users"), 2);

        /* A viewer key is no user: it sees nobody and changes nothing. */
        j = call(c, "GET", "/api/v1/users", viewer, NULL, 200);
        assert_int_equal(json_array_size(json_object_get(j, "items")), 0);
        json_decref(j);
        drop(c, "GET", "/api/v1/users/vic", viewer, NULL, 403);
        drop(c, "DELETE", "/api/v1/users/vic", viewer, NULL, 403);
        drop(c, "PATCH", "/api/v1/users/vic", viewer, "{\"role\":\"admin\"}", 403);
        j = call(c, "GET", "/api/v1/users", admin, NULL, 200);
        assert_int_equal(json_array_size(json_object_get(j, "items")), 2);
        json_decref(j);

        /* ada is the only admin user: not to be demoted or deleted. */
        j = call(c, "PATCH", "/api/v1/users/ada", admin, "{\"role\":\"viewer\"}", 409);
        assert_string_equal(json_string_value(json_object_get(j, "error")), "last_admin");
        json_decref(j);
        drop(c, "DELETE", "/api/v1/users/ada", admin, NULL, 409);
        /* With vic promoted, ada may go. */
        j = call(c, "PATCH", "/api/v1/users/vic", admin, "{\"role\":\"admin\"}", 200);
        assert_true(json_is_true(json_object_get(j, "changed")));
        json_decref(j);
        drop(c, "DELETE", "/api/v1/users/ada", admin, NULL, 200);
        drop(c, "DELETE", "/api/v1/users/ada", admin, NULL, 404);
        drop(c, "DELETE", "/api/v1/users/vic", admin, NULL, 409);
        assert_int_equal(q_int(c, "SELECT COUNT(*) FROM users WHERE role = 'admin'"), 1);

        /* A reset's new password logs in; the old one does not. */
        j = call(c, "POST", "/api/v1/users/vic/password", admin, NULL, 200);
        assert_int_equal(cdb_acquire(c->db, &conn), 0);
        assert_int_equal(users_login(conn, "vic", pw, NULL, timeutil_now_us(), &who), -EACCES);
        assert_int_equal(users_login(conn, "vic", json_string_value(json_object_get(j, "password")),
                                     NULL, timeutil_now_us(), &who),
                         0);
        cdb_release(conn);
        json_decref(j);

        /* One audit row per change, by the key, with no password. */
        assert_int_equal(q_int(c, "SELECT COUNT(*) FROM audit_log WHERE target_type = 'user'"), 5);
        assert_int_equal(q_int(c, "SELECT COUNT(*) FROM audit_log WHERE actor = 'key:ops'"), 5);
        assert_int_equal(q_int(c, "SELECT COUNT(*) FROM audit_log WHERE action = 'user.delete'"
                                  " AND target = 'ada' AND after_state IS NULL"),
                         1);
        assert_int_equal(q_int(c, "SELECT COUNT(*) FROM audit_log WHERE"
                                  " before_state LIKE '%passphrase%' OR"
                                  " after_state LIKE '%passphrase%' OR"
                                  " before_state LIKE '%$y$%' OR after_state LIKE '%$y$%'"),
                         0);
        free(akey);
        free(vkey);
        center_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_users_api),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);

        ctest_cleanup();
        return r;
}
