/* Unit tests for center/session: sessions created, looked up, expired by
 * lifetime and by idleness, ended at logout and by account changes; the
 * Cookie header parser; the CSRF rule; the Set-Cookie attributes; and the
 * session authenticator on the center's real auth hook, with the method,
 * cookie and token headers a browser would send. */
#include "ctest.h"

#include <errno.h>
#include <strings.h>

#include "center/auth.h"
#include "center/console.h"
#include "center/cutil.h"
#include "center/session.h"
#include "center/users.h"
#include "center/users_totp.h"
#include "core/timeutil.h"

#define NOW  1800000000000000LL
#define HOUR (3600LL * 1000000)

static void test_lifecycle(void **state)
{
        cdb_t *db = ctest_open_db(1);
        cdb_conn_t *c;
        char tok[SESSION_TOKEN_HEX + 1], csrf[SESSION_TOKEN_HEX + 1], tok2[SESSION_TOKEN_HEX + 1],
                csrf2[SESSION_TOKEN_HEX + 1], hash[65];
        session_info_t s;
        int64_t uid, n = -1;

        assert_int_equal(cdb_acquire(db, &c), 0);
        assert_int_equal(users_add(c, "erin", HTTP_AUTH_VIEWER, "erin password 1", NOW, &uid), 0);
        assert_int_equal(session_create(c, uid, "127.0.0.1", NOW, tok, csrf), 0);
        assert_int_equal(strlen(tok), SESSION_TOKEN_HEX);
        assert_int_equal(strlen(csrf), SESSION_TOKEN_HEX);
        assert_string_not_equal(tok, csrf);
        /* Stored by hash only. */
        cutil_sha256_hex(tok, hash);
        cdb_param_t p[] = { CDB_TEXT(hash), CDB_TEXT(tok) };
        assert_int_equal(cdb_query_int(c,
                                       "SELECT count(*) FROM sessions WHERE id_hash = $1"
                                       " AND id_hash <> $2",
                                       p, 2, &n),
                         0);
        assert_int_equal(n, 1);

        assert_int_equal(session_lookup(c, tok, NOW + 1, &s), 0);
        assert_int_equal(s.user_id, uid);
        assert_int_equal(s.role, HTTP_AUTH_VIEWER);
        assert_string_equal(s.user, "erin");
        assert_string_equal(s.csrf, csrf);
        assert_int_equal(session_lookup(c, "nothex", NOW, &s), -ENOENT);
        tok2[0] = 0;
        assert_int_equal(session_lookup(c, tok2, NOW, &s), -ENOENT);

        /* Idle: each use moves the idle deadline; a long pause ends it. */
        assert_int_equal(session_lookup(c, tok, NOW + SESSION_IDLE_US - 1, &s), 0);
        assert_int_equal(session_lookup(c, tok, NOW + 2 * SESSION_IDLE_US - 2, &s), 0);
        assert_int_equal(session_lookup(c, tok, NOW + 3 * SESSION_IDLE_US + 1, &s), -ENOENT);

        /* Lifetime: however busy, it ends SESSION_LIFETIME_US after login. */
        assert_int_equal(session_create(c, uid, NULL, NOW, tok2, csrf2), 0);
        for (int64_t t = NOW; t < NOW + SESSION_LIFETIME_US; t += SESSION_IDLE_US / 2)
                assert_int_equal(session_lookup(c, tok2, t, &s), 0);
        assert_int_equal(session_lookup(c, tok2, NOW + SESSION_LIFETIME_US, &s), -ENOENT);

        /* Logout. */
        assert_int_equal(session_create(c, uid, NULL, NOW, tok, csrf), 0);
        assert_int_equal(session_delete(c, tok), 0);
        assert_int_equal(session_lookup(c, tok, NOW, &s), -ENOENT);
        assert_int_equal(session_delete(c, tok), 0);

        /* Role, password and second-factor changes end every session of the
         * user; deleting the user too. */
        assert_int_equal(session_create(c, uid, NULL, NOW, tok, csrf), 0);
        assert_int_equal(users_set_role(c, "erin", HTTP_AUTH_ADMIN), 0);
        assert_int_equal(session_lookup(c, tok, NOW, &s), -ENOENT);
        assert_int_equal(session_create(c, uid, NULL, NOW, tok, csrf), 0);
        assert_int_equal(session_lookup(c, tok, NOW, &s), 0);
        assert_int_equal(s.role, HTTP_AUTH_ADMIN);
        assert_int_equal(users_set_password(c, "erin", "erin password 2", NOW), 0);
        assert_int_equal(session_lookup(c, tok, NOW, &s), -ENOENT);
        assert_int_equal(session_create(c, uid, NULL, NOW, tok, csrf), 0);
        {
                char secret[USERS_TOTP_SECRET_LEN + 1];
                assert_int_equal(users_set_totp(c, "erin", secret), 0);
        }
        assert_int_equal(session_lookup(c, tok, NOW, &s), -ENOENT);
        assert_int_equal(session_create(c, uid, NULL, NOW, tok, csrf), 0);
        assert_int_equal(users_delete(c, "erin"), 0);
        assert_int_equal(session_lookup(c, tok, NOW, &s), -ENOENT);

        /* A new login sweeps out sessions that ended by time. */
        assert_int_equal(users_add(c, "erin", HTTP_AUTH_VIEWER, "erin password 1", NOW, &uid), 0);
        assert_int_equal(session_create(c, uid, NULL, NOW, tok, csrf), 0);
        assert_int_equal(session_create(c, uid, NULL, NOW + SESSION_LIFETIME_US, tok2, csrf2), 0);
        assert_int_equal(cdb_query_int(c, "SELECT count(*) FROM sessions", NULL, 0, &n), 0);
        assert_int_equal(n, 1);
        cdb_release(c);
        cdb_close(db);
}

static void test_cookie_parse(void **state)
{
        char out[SESSION_TOKEN_HEX + 1], hdr[512], big[SESSION_MAX_COOKIE_HEADER + 2];
        const char *t = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

        snprintf(hdr, sizeof(hdr), SESSION_COOKIE "=%s", t);
        assert_int_equal(session_cookie_token(hdr, out), 0);
        assert_string_equal(out, t);
        snprintf(hdr, sizeof(hdr), "a=b; theme=dark;  " SESSION_COOKIE "=%s ; z=1", t);
        assert_int_equal(session_cookie_token(hdr, out), 0);
        assert_string_equal(out, t);
        /* A name that only ends like ours is another cookie. */
        snprintf(hdr, sizeof(hdr), "x" SESSION_COOKIE "=%s", t);
        assert_int_equal(session_cookie_token(hdr, out), -ENOENT);
        assert_int_equal(session_cookie_token(NULL, out), -ENOENT);
        assert_int_equal(session_cookie_token("", out), -ENOENT);
        assert_int_equal(session_cookie_token("a=b", out), -ENOENT);
        /* Malformed values and a cookie given twice are refused. */
        assert_int_equal(session_cookie_token(SESSION_COOKIE "=abc", out), -EINVAL);
        snprintf(hdr, sizeof(hdr), SESSION_COOKIE "=%.63sG", t);
        assert_int_equal(session_cookie_token(hdr, out), -EINVAL);
        snprintf(hdr, sizeof(hdr), SESSION_COOKIE "=%s; " SESSION_COOKIE "=%s", t, t);
        assert_int_equal(session_cookie_token(hdr, out), -EINVAL);
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        assert_int_equal(session_cookie_token(big, out), -EINVAL);
}

static void test_csrf_and_cookie(void **state)
{
        session_info_t s = { 0 };
        char good[SESSION_TOKEN_HEX + 1], bad[SESSION_TOKEN_HEX + 1], out[256];

        memset(good, 'a', SESSION_TOKEN_HEX);
        good[SESSION_TOKEN_HEX] = 0;
        memcpy(bad, good, sizeof(good));
        bad[SESSION_TOKEN_HEX - 1] = 'b';
        memcpy(s.csrf, good, sizeof(good));
        assert_false(session_needs_csrf("GET"));
        assert_false(session_needs_csrf("HEAD"));
        assert_true(session_needs_csrf("POST"));
        assert_true(session_needs_csrf("PUT"));
        assert_true(session_needs_csrf("DELETE"));
        assert_true(session_needs_csrf("PATCH"));
        assert_int_equal(session_check_csrf(&s, "GET", NULL), 0);
        assert_int_equal(session_check_csrf(&s, "POST", NULL), -EACCES);
        assert_int_equal(session_check_csrf(&s, "POST", ""), -EACCES);
        assert_int_equal(session_check_csrf(&s, "POST", bad), -EACCES);
        assert_int_equal(session_check_csrf(&s, "DELETE", good), 0);

        assert_int_equal(session_cookie_header(good, false, out, sizeof(out)), 0);
        assert_non_null(strstr(out, SESSION_COOKIE "="));
        assert_non_null(strstr(out, "; HttpOnly"));
        assert_non_null(strstr(out, "; SameSite=Strict"));
        assert_non_null(strstr(out, "; Path=/"));
        assert_null(strstr(out, "Secure"));
        assert_int_equal(session_cookie_header(good, true, out, sizeof(out)), 0);
        assert_non_null(strstr(out, "; Secure"));
        assert_int_equal(session_cookie_header(NULL, true, out, sizeof(out)), 0);
        assert_non_null(strstr(out, "Max-Age=0"));
        assert_int_equal(session_cookie_header(good, true, out, 40), -ENOBUFS);
}

struct hdrs {
        const char *cookie, *csrf, *auth;
};

static const char *lookup(void *data, http_value_kind_t kind, const char *name)
{
        struct hdrs *h = data;

        if (kind != HTTP_HEADER)
                return NULL;
        if (strcasecmp(name, "Cookie") == 0)
                return h->cookie;
        if (strcasecmp(name, SESSION_CSRF_HEADER) == 0)
                return h->csrf;
        if (strcasecmp(name, "Authorization") == 0)
                return h->auth;
        return NULL;
}

/* Run the center's auth hook for METHOD on a route needing NEED. */
static int auth(center_t *ctr, const char *method, int need, struct hdrs *h, http_principal_t *p)
{
        http_route_t rt = { method, "/x", need, 0, NULL };
        http_req_t req = {
                .method = method, .path = "/x", .route = &rt, .lookup = lookup, .lookup_data = h
        };
        http_resp_t resp;
        int r;

        http_resp_init(&resp);
        r = auth_check(ctr, &req, &resp);
        if (r == 0)
                *p = req.principal;
        else
                assert_true(resp.status == 401 || resp.status == 403);
        http_resp_free(&resp);
        return r;
}

static void test_authenticator(void **state)
{
        center_t *ctr = ctest_center(NULL);
        cdb_conn_t *c;
        char tok[SESSION_TOKEN_HEX + 1], csrf[SESSION_TOKEN_HEX + 1], cookie[128];
        struct hdrs h = { 0 };
        http_principal_t p;
        int64_t uid;

        assert_int_equal(console_attach(ctr), 0);
        assert_int_equal(cdb_acquire(ctr->db, &c), 0);
        assert_int_equal(users_add(c, "frank", HTTP_AUTH_VIEWER, "frank password", NOW, &uid), 0);
        /* The authenticator reads the real clock: a session created now. */
        assert_int_equal(session_create(c, uid, NULL, timeutil_now_us(), tok, csrf), 0);
        cdb_release(c);
        snprintf(cookie, sizeof(cookie), SESSION_COOKIE "=%s", tok);

        /* No credential at all. */
        assert_int_equal(auth(ctr, "GET", HTTP_AUTH_VIEWER, &h, &p), -EACCES);
        /* Reading with the cookie alone. */
        h.cookie = cookie;
        assert_int_equal(auth(ctr, "GET", HTTP_AUTH_VIEWER, &h, &p), 0);
        assert_int_equal(p.kind, HTTP_AUTH_VIEWER);
        assert_string_equal(p.name, "user:frank");
        /* Changing anything needs the token... */
        assert_int_equal(auth(ctr, "POST", HTTP_AUTH_VIEWER, &h, &p), -EACCES);
        assert_int_equal(auth(ctr, "DELETE", HTTP_AUTH_VIEWER, &h, &p), -EACCES);
        h.csrf = tok; /* the cookie value is not the token */
        assert_int_equal(auth(ctr, "POST", HTTP_AUTH_VIEWER, &h, &p), -EACCES);
        h.csrf = csrf;
        assert_int_equal(auth(ctr, "POST", HTTP_AUTH_VIEWER, &h, &p), 0);
        /* ...and a viewer's session is not an admin. */
        assert_int_equal(auth(ctr, "POST", HTTP_AUTH_ADMIN, &h, &p), -EPERM);
        /* A token without the cookie is nothing. */
        h.cookie = NULL;
        assert_int_equal(auth(ctr, "POST", HTTP_AUTH_VIEWER, &h, &p), -EACCES);
        /* A made-up or malformed cookie is refused, not ignored. */
        h.cookie =
                SESSION_COOKIE "=0000000000000000000000000000000000000000000000000000000000000000";
        assert_int_equal(auth(ctr, "GET", HTTP_AUTH_VIEWER, &h, &p), -EACCES);
        h.cookie = SESSION_COOKIE "=zz";
        assert_int_equal(auth(ctr, "GET", HTTP_AUTH_VIEWER, &h, &p), -EACCES);
        /* Unrelated cookies are no credential. */
        h.cookie = "theme=dark";
        assert_int_equal(auth(ctr, "GET", HTTP_AUTH_VIEWER, &h, &p), -EACCES);
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
                cmocka_unit_test(test_lifecycle),
                cmocka_unit_test(test_cookie_parse),
                cmocka_unit_test(test_csrf_and_cookie),
                cmocka_unit_test(test_authenticator),
        };
        return cmocka_run_group_tests_name(ctest_pg() ? "center_session (postgresql)"
                                                      : "center_session (sqlite)",
                                           tests, NULL, teardown);
}
