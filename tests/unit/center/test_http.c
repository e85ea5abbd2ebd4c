/* Unit tests for center/http: route matching with path parameters, 404
 * and 405, duplicate routes, the auth hook running before the handler,
 * body caps, JSON errors, and listen addresses. */
#include "ctest.h"

#include <errno.h>
#include <jansson.h>
#include <sys/socket.h>

#include "center/http.h"

static int calls;

static int h_echo(void *app, http_req_t *req, http_resp_t *resp)
{
        calls++;
        return http_resp_json(resp, 200,
                              json_pack("{s:s, s:s%, s:i}", "p0",
                                        req->n_params ? req->params[0] : "", "body", req->body,
                                        req->body_len, "who", req->principal.kind));
}

static int h_nothing(void *app, http_req_t *req, http_resp_t *resp)
{
        calls++;
        return -EIO; /* no response set: the layer answers 500 */
}

static const http_route_t routes[] = {
        { "GET", "/api/v1/hosts", HTTP_AUTH_VIEWER, 0, h_echo },
        { "GET", "/api/v1/hosts/{}", HTTP_AUTH_VIEWER, 0, h_echo },
        { "POST", "/api/v1/hosts/{}/notes", HTTP_AUTH_ADMIN, 10, h_echo },
        { "GET", "/open", HTTP_AUTH_NONE, 0, h_nothing },
};

/* Auth: a header "X-Role: N" grants level N. */
static int auth(void *app, http_req_t *req, http_resp_t *resp)
{
        const char *role = http_req_header(req, "X-Role");
        int have = role ? (int)strtol(role, NULL, 10) : 0;

        if (req->route->auth > have) {
                http_resp_error(resp, have ? 403 : 401, have ? "forbidden" : "unauthorized",
                                "need %d", req->route->auth);
                return -EACCES;
        }
        req->principal.kind = have;
        return 0;
}

struct kv {
        const char *role;
};

static const char *lookup(void *data, http_value_kind_t kind, const char *name)
{
        struct kv *kv = data;
        return kind == HTTP_HEADER && strcmp(name, "X-Role") == 0 ? kv->role : NULL;
}

static int run(http_app_t *app, const char *method, const char *path, const char *role,
               const char *body, http_resp_t *resp)
{
        struct kv kv = { role };
        http_req_t req = { .method = method,
                           .path = path,
                           .lookup = lookup,
                           .lookup_data = &kv,
                           .body = body,
                           .body_len = body ? strlen(body) : 0 };

        http_resp_init(resp);
        http_handle(app, &req, resp);
        return resp->status;
}

static void test_routing(void **state)
{
        http_router_t *r = http_router_new();
        http_app_t app = { .router = r, .auth = auth };
        http_resp_t resp;
        json_t *j;

        assert_int_equal(http_router_add(r, routes, ELEMENTSOF(routes)), 0);
        assert_int_equal(http_router_add(r, routes, 1), -EEXIST);
        {
                static const http_route_t badp[] = { { "GET", "no-slash", 0, 0, h_echo } };
                static const http_route_t badq[] = { { "GET", "/x{}", 0, 0, h_echo } };
                assert_int_equal(http_router_add(r, badp, 1), -EINVAL);
                assert_int_equal(http_router_add(r, badq, 1), -EINVAL);
        }

        calls = 0;
        assert_int_equal(run(&app, "GET", "/api/v1/hosts/42", "2", NULL, &resp), 200);
        j = json_loads(resp.body.data, 0, NULL);
        assert_string_equal(json_string_value(json_object_get(j, "p0")), "42");
        assert_int_equal(json_integer_value(json_object_get(j, "who")), 2);
        json_decref(j);
        http_resp_free(&resp);

        assert_int_equal(run(&app, "GET", "/api/v1/hosts/", "2", NULL, &resp), 404);
        http_resp_free(&resp);
        assert_int_equal(run(&app, "GET", "/api/v1/hosts/1/2", "2", NULL, &resp), 404);
        http_resp_free(&resp);
        assert_int_equal(run(&app, "GET", "/API/v1/hosts", "2", NULL, &resp), 404);
        http_resp_free(&resp);
        assert_int_equal(run(&app, "DELETE", "/api/v1/hosts", "3", NULL, &resp), 405);
        j = json_loads(resp.body.data, 0, NULL);
        assert_string_equal(json_string_value(json_object_get(j, "error")), "method_not_allowed");
        json_decref(j);
        http_resp_free(&resp);
        /* Auth runs before the handler, which is never called on refusal. */
        assert_int_equal(run(&app, "GET", "/api/v1/hosts", NULL, NULL, &resp), 401);
        http_resp_free(&resp);
        assert_int_equal(run(&app, "POST", "/api/v1/hosts/7/notes", "2", "hi", &resp), 403);
        http_resp_free(&resp);
        assert_int_equal(calls, 1);
        /* Body caps. */
        assert_int_equal(run(&app, "POST", "/api/v1/hosts/7/notes", "3", "0123456789", &resp), 200);
        http_resp_free(&resp);
        assert_int_equal(run(&app, "POST", "/api/v1/hosts/7/notes", "3", "0123456789A", &resp),
                         413);
        http_resp_free(&resp);
        assert_int_equal(run(&app, "GET", "/api/v1/hosts", "2", "x", &resp), 413);
        http_resp_free(&resp);
        /* A handler that sets nothing gives a 500 with a JSON error. */
        assert_int_equal(run(&app, "GET", "/open", NULL, NULL, &resp), 500);
        assert_non_null(strstr(resp.body.data, "internal_error"));
        http_resp_free(&resp);
        /* A path longer than the cap. */
        {
                char *longp = malloc(HTTP_MAX_PATH + 10);
                memset(longp, 'a', HTTP_MAX_PATH + 9);
                longp[0] = '/';
                longp[HTTP_MAX_PATH + 9] = 0;
                assert_int_equal(run(&app, "GET", longp, "2", NULL, &resp), 414);
                http_resp_free(&resp);
                free(longp);
        }
        http_router_free(r);
}

static void test_responses(void **state)
{
        http_resp_t r;
        json_t *j;

        http_resp_init(&r);
        assert_int_equal(http_resp_error(&r, 400, "bad", "field %s: \"%s\"", "x", "<img>"), 0);
        j = json_loads(r.body.data, 0, NULL);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "message")), "field x: \"<img>\"");
        json_decref(j);
        /* Invalid UTF-8 in a message still gives valid JSON. */
        assert_int_equal(http_resp_error(&r, 400, "bad", "%s", "\xff\xfe"), 0);
        j = json_loads(r.body.data, 0, NULL);
        assert_non_null(j);
        json_decref(j);
        for (int i = 0; i < HTTP_MAX_RESP_HEADERS; i++) {
                char n[16];
                snprintf(n, sizeof(n), "X-H%d", i);
                assert_int_equal(http_resp_header(&r, n, "v"), 0);
        }
        assert_int_equal(http_resp_header(&r, "X-H0", "replaced"), 0);
        assert_int_equal(http_resp_header(&r, "X-More", "v"), -E2BIG);
        http_resp_free(&r);
}

static void test_listen(void **state)
{
        struct sockaddr_storage ss;
        size_t len;
        bool lo;

        assert_int_equal(http_parse_listen("127.0.0.1:8080", &ss, &len, &lo), 0);
        assert_true(lo);
        assert_int_equal(http_parse_listen("127.9.9.9:0", &ss, &len, &lo), 0);
        assert_true(lo);
        assert_int_equal(http_parse_listen("[::1]:8443", &ss, &len, &lo), 0);
        assert_true(lo);
        assert_int_equal(ss.ss_family, AF_INET6);
        assert_int_equal(http_parse_listen("localhost:1", &ss, &len, &lo), 0);
        assert_true(lo);
        assert_int_equal(http_parse_listen(":8443", &ss, &len, &lo), 0);
        assert_false(lo);
        assert_int_equal(http_parse_listen("0.0.0.0:8443", &ss, &len, &lo), 0);
        assert_false(lo);
        assert_int_equal(http_parse_listen("[::]:8443", &ss, &len, &lo), 0);
        assert_false(lo);
        const char *bad[] = { "",
                              "8080",
                              "127.0.0.1",
                              "127.0.0.1:",
                              "127.0.0.1:65536",
                              "127.0.0.1:-1",
                              "example.com:80",
                              "::1:80",
                              "[::1]80",
                              "127.0.0.1:80x" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(http_parse_listen(bad[i], &ss, &len, &lo), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_routing),
                cmocka_unit_test(test_responses),
                cmocka_unit_test(test_listen),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
