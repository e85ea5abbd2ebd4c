/* Unit tests for center/enroll and center/auth: tokens (uses, expiry,
 * revocation, listing without secrets), enrollment creating hosts with
 * hashed secrets, agent credentials checked by auth_agent and the auth
 * hook, and API keys with roles. */
#include "ctest.h"

#include <errno.h>
#include <jansson.h>

#include "center/auth.h"
#include "center/cutil.h"
#include "center/enroll.h"

#define NOW 1800000000000000LL

static void test_tokens(void **state)
{
        cdb_t *db = ctest_open_db(1);
        cdb_conn_t *c;
        char *tok = NULL, *tok2 = NULL, id[17], id2[17], secret[65], hash[65];
        const char *reason;
        enroll_info_t info = { .hostname = "h", .os = "debian" };
        int64_t host, v;
        json_t *list;

        assert_int_equal(cdb_acquire(db, &c), 0);
        assert_int_equal(enroll_token_create(c, 0, USEC_PER_DAY, NULL, "t", NOW, &tok, id),
                         -EINVAL);
        assert_int_equal(enroll_token_create(c, 1, 1, NULL, "t", NOW, &tok, id), -EINVAL);
        assert_int_equal(enroll_token_create(c, 1, USEC_PER_DAY, "bad\nnote", "t", NOW, &tok, id),
                         -EINVAL);
        assert_int_equal(enroll_token_create(c, 2, USEC_PER_DAY, "two", "t", NOW, &tok, id), 0);
        assert_true(str_startswith(tok, ENROLL_TOKEN_PREFIX));
        assert_int_equal(strlen(tok), strlen(ENROLL_TOKEN_PREFIX) + 64);
        /* Only the hash is stored. */
        cutil_sha256_hex(tok, hash);
        cdb_param_t hp[] = { CDB_TEXT(hash) };
        assert_int_equal(cdb_query_int(c,
                                       "SELECT count(*) FROM enroll_tokens WHERE token_hash = $1",
                                       hp, 1, &v),
                         0);
        assert_int_equal(v, 1);
        for (int i = 0; i < 2; i++) {
                assert_int_equal(enroll_agent(c, tok, &info, NOW, &host, secret, &reason), 0);
                assert_int_equal(strlen(secret), 64);
                cutil_sha256_hex(secret, hash);
                cdb_param_t p[] = { CDB_INT(host), CDB_TEXT(hash) };
                assert_int_equal(cdb_query_int(c,
                                               "SELECT count(*) FROM hosts WHERE id = $1 AND"
                                               " secret_hash = $2 AND os = 'debian'",
                                               p, 2, &v),
                                 0);
                assert_int_equal(v, 1);
        }
        assert_int_equal(enroll_agent(c, tok, &info, NOW, &host, secret, &reason), -EACCES);
        assert_string_equal(reason, "used up");
        assert_int_equal(enroll_agent(c, "vet1.nothing", &info, NOW, &host, secret, &reason),
                         -EACCES);
        assert_string_equal(reason, "unknown");
        /* Expiry is checked against the time given. */
        assert_int_equal(enroll_token_create(c, 5, 60 * USEC_PER_SEC, NULL, "t", NOW, &tok2, id2),
                         0);
        assert_int_equal(
                enroll_agent(c, tok2, &info, NOW + 61 * USEC_PER_SEC, &host, secret, &reason),
                -EACCES);
        assert_string_equal(reason, "expired");
        assert_int_equal(enroll_token_revoke(c, id2), 0);
        assert_int_equal(enroll_agent(c, tok2, &info, NOW, &host, secret, &reason), -EACCES);
        assert_string_equal(reason, "revoked");
        assert_int_equal(enroll_token_revoke(c, "0000000000000000"), -ENOENT);
        assert_int_equal(enroll_token_list(c, NOW, &list), 0);
        assert_int_equal(json_array_size(list), 2);
        {
                char *dump = json_dumps(list, 0);
                assert_null(strstr(dump, tok));
                assert_null(strstr(dump, tok + strlen(ENROLL_TOKEN_PREFIX)));
                assert_non_null(strstr(dump, "\"used up\""));
                assert_non_null(strstr(dump, "\"revoked\""));
                free(dump);
        }
        json_decref(list);
        free(tok);
        free(tok2);
        cdb_release(c);
        cdb_close(db);
}

struct hdr {
        const char *auth;
};

static const char *lookup(void *data, http_value_kind_t kind, const char *name)
{
        struct hdr *h = data;
        return kind == HTTP_HEADER && strcmp(name, "Authorization") == 0 ? h->auth : NULL;
}

static void test_agent_auth(void **state)
{
        center_t *ctr = ctest_center(NULL);
        cdb_conn_t *c;
        char *tok = NULL, id[17], secret[65], cred[128], other[65];
        const char *reason;
        enroll_info_t info = { .hostname = "h" };
        int64_t host, host2, got = 0;
        struct hdr h;
        http_req_t req = { .lookup = lookup, .lookup_data = &h };

        assert_int_equal(cdb_acquire(ctr->db, &c), 0);
        assert_int_equal(enroll_token_create(c, 2, USEC_PER_DAY, NULL, "t", NOW, &tok, id), 0);
        assert_int_equal(enroll_agent(c, tok, &info, NOW, &host, secret, &reason), 0);
        assert_int_equal(enroll_agent(c, tok, &info, NOW, &host2, other, &reason), 0);
        cdb_release(c);

        snprintf(cred, sizeof(cred), "Bearer %lld.%s", (long long)host, secret);
        h.auth = cred;
        assert_int_equal(auth_agent(ctr, &req, &got), 0);
        assert_int_equal(got, host);
        h.auth = NULL;
        assert_int_equal(auth_agent(ctr, &req, &got), -ENOENT);
        {
                char bad[5][160];
                snprintf(bad[0], sizeof(bad[0]), "Bearer %lld.%s0", (long long)host, secret);
                snprintf(bad[1], sizeof(bad[1]), "Bearer %lld%s", (long long)host, secret);
                snprintf(bad[2], sizeof(bad[2]), "Basic %lld.%s", (long long)host, secret);
                snprintf(bad[3], sizeof(bad[3]), "Bearer 0%lld.%s", (long long)host, secret);
                snprintf(bad[4], sizeof(bad[4]), "Bearer %lld.%.63s", (long long)host, secret);
                for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                        h.auth = bad[i];
                        assert_int_not_equal(auth_agent(ctr, &req, &got), 0);
                }
        }
        /* Another agent's secret with this id, and this secret with its id. */
        snprintf(cred, sizeof(cred), "Bearer %lld.%s", (long long)host, other);
        h.auth = cred;
        assert_int_equal(auth_agent(ctr, &req, &got), -EACCES);
        snprintf(cred, sizeof(cred), "Bearer %lld.%s", (long long)host2, secret);
        assert_int_equal(auth_agent(ctr, &req, &got), -EACCES);
        /* Upper-case hex is not the secret either. */
        {
                char up[65];
                for (int i = 0; i < 65; i++)
                        up[i] = (char)(secret[i] >= 'a' && secret[i] <= 'f' ? secret[i] - 32
                                                                            : secret[i]);
                snprintf(cred, sizeof(cred), "Bearer %lld.%s", (long long)host, up);
                assert_int_equal(auth_agent(ctr, &req, &got), -EACCES);
        }
        free(tok);
        center_free(ctr);
}

static int h_ok(void *app, http_req_t *req, http_resp_t *resp)
{
        return http_resp_json(resp, 200, json_pack("{s:s}", "who", req->principal.name));
}

static void test_apikeys(void **state)
{
        center_t *ctr = ctest_center(NULL);
        cdb_conn_t *c;
        char *admin = NULL, *viewer = NULL, aid[17], vid[17], hdr[200];
        static const http_route_t rview = { "GET", "/v", HTTP_AUTH_VIEWER, 0, h_ok };
        static const http_route_t radmin = { "POST", "/a", HTTP_AUTH_ADMIN, 0, h_ok };
        static const http_route_t ragent = { "POST", "/g", HTTP_AUTH_AGENT, 0, h_ok };
        struct hdr h = { hdr };
        http_req_t req = { .lookup = lookup, .lookup_data = &h };
        http_resp_t resp;

        assert_int_equal(cdb_acquire(ctr->db, &c), 0);
        assert_int_equal(auth_apikey_create(c, "ci", HTTP_AUTH_ADMIN, NOW, &admin, aid), 0);
        assert_int_equal(auth_apikey_create(c, "dash", HTTP_AUTH_VIEWER, NOW, &viewer, vid), 0);
        assert_int_equal(auth_apikey_create(c, "x", HTTP_AUTH_AGENT, NOW, &viewer, vid), -EINVAL);
        assert_int_equal(auth_apikey_create(c, "", HTTP_AUTH_ADMIN, NOW, &viewer, vid), -EINVAL);
        cdb_release(c);
        assert_true(str_startswith(admin, AUTH_APIKEY_PREFIX));

#define CHECK(R, K, W)                                                                             \
        do {                                                                                       \
                req.route = &(R);                                                                  \
                snprintf(hdr, sizeof(hdr), "Bearer %s", K);                                        \
                http_resp_init(&resp);                                                             \
                if (auth_check(ctr, &req, &resp) == 0)                                             \
                        assert_int_equal(W, 0);                                                    \
                else                                                                               \
                        assert_int_equal(resp.status, W);                                          \
                http_resp_free(&resp);                                                             \
        } while (0)
        CHECK(rview, admin, 0);
        assert_int_equal(req.principal.kind, HTTP_AUTH_ADMIN);
        assert_string_equal(req.principal.name, "key:ci");
        CHECK(rview, viewer, 0);
        CHECK(radmin, admin, 0);
        CHECK(radmin, viewer, 403);
        CHECK(rview, "vk1.0000000000000000000000000000000000000000000000000000000000000000", 401);
        CHECK(rview, "vk1.short", 401);
        CHECK(rview, "something-else", 401);
        CHECK(ragent, admin, 401);
        /* Revoked keys stop working. */
        assert_int_equal(cdb_acquire(ctr->db, &c), 0);
        assert_int_equal(auth_apikey_revoke(c, vid), 0);
        assert_int_equal(auth_apikey_revoke(c, "nope"), -ENOENT);
        cdb_release(c);
        CHECK(rview, viewer, 401);
#undef CHECK
        free(admin);
        free(viewer);
        center_free(ctr);
}

static int teardown(void **state)
{
        ctest_cleanup();
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tokens),
                cmocka_unit_test(test_agent_auth),
                cmocka_unit_test(test_apikeys),
        };
        return cmocka_run_group_tests_name(ctest_pg() ? "center_enroll (postgresql)"
                                                      : "center_enroll (sqlite)",
                                           tests, NULL, teardown);
}
