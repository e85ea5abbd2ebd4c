/* Unit tests for center/users and center/users_totp: the RFC 4226 and
 * RFC 6238 test vectors, base32, TOTP checks with skew and replay,
 * yescrypt hashing and verification (against libcrypt's own crypt_r as
 * the oracle), generated passwords, and the login with its lockout, all
 * at times the test chooses. */
#include "ctest.h"

#include <crypt.h>
#include <errno.h>
#include <jansson.h>

#include "center/http.h"
#include "center/users.h"
#include "center/users_totp.h"

#define NOW  1800000000000000LL
#define MIN_ (60LL * 1000000)

static const uint8_t rfc_key[] = "12345678901234567890";

static void test_hotp_vectors(void **state)
{
        /* RFC 4226 appendix D. */
        static const uint32_t want[] = { 755224, 287082, 359152, 969429, 338314,
                                         254676, 287922, 162583, 399871, 520489 };
        uint32_t got;

        for (uint64_t i = 0; i < ELEMENTSOF(want); i++) {
                assert_int_equal(users_totp_hotp(rfc_key, 20, i, 6, &got), 0);
                assert_int_equal(got, want[i]);
        }
        assert_int_equal(users_totp_hotp(rfc_key, 0, 0, 6, &got), -EINVAL);
        assert_int_equal(users_totp_hotp(rfc_key, 20, 0, 5, &got), -EINVAL);
        assert_int_equal(users_totp_hotp(rfc_key, 20, 0, 9, &got), -EINVAL);
}

static void test_totp_vectors(void **state)
{
        /* RFC 6238 appendix B, SHA-1 rows (8 digits). */
        static const struct {
                int64_t t;
                uint32_t code;
        } v[] = {
                { 59, 94287082 },         { 1111111109, 7081804 },  { 1111111111, 14050471 },
                { 1234567890, 89005924 }, { 2000000000, 69279037 }, { 20000000000LL, 65353130 },
        };
        uint32_t got;

        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                assert_int_equal(
                        users_totp_hotp(rfc_key, 20, (uint64_t)users_totp_step(v[i].t), 8, &got),
                        0);
                assert_int_equal(got, v[i].code);
        }
        assert_int_equal(users_totp_step(29), 0);
        assert_int_equal(users_totp_step(30), 1);
        assert_int_equal(users_totp_step(-1), -1);
}

static void test_base32(void **state)
{
        /* RFC 4648 section 10 (without padding). */
        static const char *const want[] = { "",        "MY",       "MZXQ",      "MZXW6",
                                            "MZXW6YQ", "MZXW6YTB", "MZXW6YTBOI" };
        char out[64];
        uint8_t back[64];
        size_t n;

        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                assert_int_equal(
                        users_totp_base32_encode((const uint8_t *)"foobar", i, out, sizeof(out)),
                        0);
                assert_string_equal(out, want[i]);
                assert_int_equal(users_totp_base32_decode(want[i], back, sizeof(back), &n), 0);
                assert_int_equal(n, i);
                assert_memory_equal(back, "foobar", i);
        }
        assert_int_equal(users_totp_base32_decode("mzxw 6ytb oi==", back, sizeof(back), &n), 0);
        assert_int_equal(n, 6);
        assert_int_equal(users_totp_base32_decode("MZ1", back, sizeof(back), &n), -EINVAL);
        assert_int_equal(users_totp_base32_decode("MZXW6YTBOI", back, 3, &n), -ENOBUFS);
        assert_int_equal(users_totp_base32_encode((const uint8_t *)"foobar", 6, out, 10), -ENOBUFS);
        /* The RFC key in base32, as an app would be given it. */
        assert_int_equal(users_totp_base32_encode(rfc_key, 20, out, sizeof(out)), 0);
        assert_string_equal(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

static void code_at(const char *secret, int64_t t, char out[7])
{
        uint8_t key[64];
        size_t n;
        uint32_t v;

        assert_int_equal(users_totp_base32_decode(secret, key, sizeof(key), &n), 0);
        assert_int_equal(users_totp_hotp(key, n, (uint64_t)users_totp_step(t), 6, &v), 0);
        snprintf(out, 7, "%06u", v);
}

static void test_totp_check(void **state)
{
        const char *secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        char code[7], other[7];
        int64_t t = 1111111111, step = 0;

        code_at(secret, t, code);
        assert_int_equal(users_totp_check(secret, code, t, 0, &step), 0);
        assert_int_equal(step, users_totp_step(t));
        /* Replayed: the same step was used already. */
        assert_int_equal(users_totp_check(secret, code, t, step, &step), -EACCES);
        /* One step of skew either way is accepted, two are not. */
        assert_int_equal(users_totp_check(secret, code, t + 30, 0, &step), 0);
        assert_int_equal(users_totp_check(secret, code, t - 30, 0, &step), 0);
        assert_int_equal(users_totp_check(secret, code, t + 61, 0, &step), -EACCES);
        assert_int_equal(users_totp_check(secret, code, t - 61, 0, &step), -EACCES);
        /* Malformed codes. */
        assert_int_equal(users_totp_check(secret, "12345", t, 0, &step), -EACCES);
        assert_int_equal(users_totp_check(secret, "1234567", t, 0, &step), -EACCES);
        assert_int_equal(users_totp_check(secret, "12a456", t, 0, &step), -EACCES);
        assert_int_equal(users_totp_check(secret, NULL, t, 0, &step), -EACCES);
        /* A wrong code (the one of a step far away, unless equal by chance). */
        code_at(secret, t + 3600, other);
        if (strcmp(other, code) != 0)
                assert_int_equal(users_totp_check(secret, other, t, 0, &step), -EACCES);
        assert_int_equal(users_totp_check("not base32!", code, t, 0, &step), -EINVAL);
        {
                char fresh[USERS_TOTP_SECRET_LEN + 1], again[USERS_TOTP_SECRET_LEN + 1];
                assert_int_equal(users_totp_new_secret(fresh), 0);
                assert_int_equal(users_totp_new_secret(again), 0);
                assert_int_equal(strlen(fresh), USERS_TOTP_SECRET_LEN);
                assert_string_not_equal(fresh, again);
        }
}

static void test_passwords(void **state)
{
        char *h = NULL, *h2 = NULL, pw[USERS_GEN_PASSWORD + 1], pw2[USERS_GEN_PASSWORD + 1];
        struct crypt_data cd;
        const char *oracle;

        assert_int_equal(users_hash_password("correct horse battery", &h), 0);
        assert_true(str_startswith(h, "$y$"));
        assert_int_equal(users_verify_password(h, "correct horse battery"), 0);
        assert_int_equal(users_verify_password(h, "correct horse batterY"), -EACCES);
        assert_int_equal(users_verify_password(h, ""), -EACCES);
        /* libcrypt itself, called directly, agrees with the stored hash. */
        memset(&cd, 0, sizeof(cd));
        oracle = crypt_r("correct horse battery", h, &cd);
        assert_non_null(oracle);
        assert_string_equal(oracle, h);
        /* A fresh salt every time. */
        assert_int_equal(users_hash_password("correct horse battery", &h2), 0);
        assert_string_not_equal(h, h2);
        /* Hashes that are not hashes never match. */
        assert_int_equal(users_verify_password("", "x"), -EACCES);
        assert_int_equal(users_verify_password("*0", "x"), -EACCES);
        assert_int_equal(users_verify_password("$y$garbage", "x"), -EACCES);
        assert_int_equal(users_verify_password(NULL, "x"), -EACCES);
        free(h);
        free(h2);

        assert_int_equal(users_generate_password(pw), 0);
        assert_int_equal(users_generate_password(pw2), 0);
        assert_int_equal(strlen(pw), USERS_GEN_PASSWORD);
        assert_string_not_equal(pw, pw2);
        assert_int_equal(users_password_ok(pw), 0);
        for (const char *p = pw; *p; p++)
                assert_null(strchr("0O1lI", *p));
        assert_int_equal(users_password_ok("short"), -EINVAL);
        assert_int_equal(users_password_ok("twelve chars\n"), -EINVAL);
        assert_int_equal(users_password_ok("twelve chars"), 0);

        assert_true(users_name_ok("alice"));
        assert_true(users_name_ok("a.b_c@d-e"));
        assert_false(users_name_ok(""));
        assert_false(users_name_ok("-alice"));
        assert_false(users_name_ok("a b"));
        assert_false(users_name_ok("<img src=x onerror=alert(1)>"));
}

static int64_t user_int(cdb_conn_t *c, const char *col, const char *name)
{
        char sql[128];
        int64_t v = -1;

        snprintf(sql, sizeof(sql), "SELECT %s FROM users WHERE name = $1", col);
        cdb_param_t p[] = { CDB_TEXT(name) };
        assert_int_equal(cdb_query_int(c, sql, p, 1, &v), 0);
        return v;
}

static void test_accounts(void **state)
{
        cdb_t *db = ctest_open_db(1);
        cdb_conn_t *c;
        users_login_t who;
        json_t *list;
        int64_t id;

        assert_int_equal(cdb_acquire(db, &c), 0);
        assert_int_equal(users_add(c, "alice", HTTP_AUTH_ADMIN, "alice password 1", NOW, &id), 0);
        assert_int_equal(users_add(c, "alice", HTTP_AUTH_VIEWER, "other password 1", NOW, NULL),
                         -EEXIST);
        assert_int_equal(users_add(c, "bad name", HTTP_AUTH_VIEWER, "other password 1", NOW, NULL),
                         -EINVAL);
        assert_int_equal(users_add(c, "bob", HTTP_AUTH_VIEWER, "short", NOW, NULL), -EINVAL);
        assert_int_equal(users_add(c, "bob", 99, "bob password 12", NOW, NULL), -EINVAL);
        assert_int_equal(users_add(c, "bob", HTTP_AUTH_VIEWER, "bob password 12", NOW, NULL), 0);

        /* Only the yescrypt hash is stored. */
        {
                int64_t n = -1;
                assert_int_equal(
                        cdb_query_int(c,
                                      "SELECT count(*) FROM users WHERE pw_hash LIKE '$y$%'"
                                      " AND pw_hash NOT LIKE '%password%'",
                                      NULL, 0, &n),
                        0);
                assert_int_equal(n, 2);
        }
        assert_int_equal(users_login(c, "alice", "alice password 1", NULL, NOW, &who), 0);
        assert_int_equal(who.id, id);
        assert_int_equal(who.role, HTTP_AUTH_ADMIN);
        assert_string_equal(who.name, "alice");
        assert_int_equal(users_login(c, "alice", "alice password 2", NULL, NOW, &who), -EACCES);
        assert_int_equal(users_login(c, "nobody", "alice password 1", NULL, NOW, &who), -EACCES);
        assert_int_equal(users_login(c, "<script>", "x", NULL, NOW, &who), -EACCES);

        /* Role changes and password changes. */
        assert_int_equal(users_set_role(c, "bob", HTTP_AUTH_ADMIN), 0);
        assert_int_equal(users_login(c, "bob", "bob password 12", NULL, NOW, &who), 0);
        assert_int_equal(who.role, HTTP_AUTH_ADMIN);
        assert_int_equal(users_set_password(c, "bob", "new bob password", NOW), 0);
        assert_int_equal(users_login(c, "bob", "bob password 12", NULL, NOW, &who), -EACCES);
        assert_int_equal(users_login(c, "bob", "new bob password", NULL, NOW, &who), 0);
        assert_int_equal(users_set_password(c, "nobody", "new bob password", NOW), -ENOENT);
        assert_int_equal(users_set_role(c, "nobody", HTTP_AUTH_ADMIN), -ENOENT);

        assert_int_equal(users_list(c, NOW, &list), 0);
        assert_int_equal(json_array_size(list), 2);
        assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "name")),
                            "alice");
        assert_true(json_is_string(json_object_get(json_array_get(list, 0), "last_login")));
        {
                char *dump = json_dumps(list, 0);
                assert_null(strstr(dump, "$y$"));
                free(dump);
        }
        json_decref(list);
        assert_int_equal(users_delete(c, "bob"), 0);
        assert_int_equal(users_delete(c, "bob"), -ENOENT);
        assert_int_equal(users_login(c, "bob", "new bob password", NULL, NOW, &who), -EACCES);
        cdb_release(c);
        cdb_close(db);
}

static void test_lockout(void **state)
{
        cdb_t *db = ctest_open_db(1);
        cdb_conn_t *c;
        users_login_t who;
        int64_t t = NOW;

        assert_int_equal(cdb_acquire(db, &c), 0);
        assert_int_equal(users_add(c, "carol", HTTP_AUTH_VIEWER, "carol password", NOW, NULL), 0);

        /* Four failures, then a success: the count starts again. */
        for (int i = 0; i < USERS_LOCK_FAILURES - 1; i++)
                assert_int_equal(users_login(c, "carol", "wrong", NULL, t + i * MIN_, &who),
                                 -EACCES);
        assert_int_equal(user_int(c, "fail_count", "carol"), USERS_LOCK_FAILURES - 1);
        assert_int_equal(users_login(c, "carol", "carol password", NULL, t + 4 * MIN_, &who), 0);
        assert_int_equal(user_int(c, "fail_count", "carol"), 0);

        /* Failures spread wider than the window never lock. */
        t = NOW + 60 * MIN_;
        for (int i = 0; i < 3 * USERS_LOCK_FAILURES; i++)
                assert_int_equal(users_login(c, "carol", "wrong", NULL, t + i * 4 * MIN_, &who),
                                 -EACCES);
        assert_int_equal(users_login(c, "carol", "carol password", NULL,
                                     t + 3 * USERS_LOCK_FAILURES * 4 * MIN_, &who),
                         0);

        /* Five failures within 15 minutes lock the account: even the right
         * password is refused, without being counted, until the lock ends. */
        t = NOW + 300 * MIN_;
        for (int i = 0; i < USERS_LOCK_FAILURES; i++)
                assert_int_equal(users_login(c, "carol", "wrong", NULL, t + i * MIN_, &who),
                                 -EACCES);
        assert_int_equal(users_login(c, "carol", "carol password", NULL, t + 5 * MIN_, &who),
                         -EBUSY);
        assert_int_equal(user_int(c, "fail_count", "carol"), USERS_LOCK_FAILURES);
        assert_int_equal(user_int(c, "locked_until", "carol"),
                         t + (USERS_LOCK_FAILURES - 1) * MIN_ + USERS_LOCK_FOR_US);
        assert_int_equal(users_login(c, "carol", "carol password", NULL,
                                     t + 4 * MIN_ + USERS_LOCK_FOR_US - 1, &who),
                         -EBUSY);
        assert_int_equal(users_login(c, "carol", "carol password", NULL,
                                     t + 4 * MIN_ + USERS_LOCK_FOR_US, &who),
                         0);

        /* An admin can lift a lock at once. */
        t = NOW + 600 * MIN_;
        for (int i = 0; i < USERS_LOCK_FAILURES; i++)
                users_login(c, "carol", "wrong", NULL, t, &who);
        assert_int_equal(users_login(c, "carol", "carol password", NULL, t, &who), -EBUSY);
        assert_int_equal(users_unlock(c, "carol"), 0);
        assert_int_equal(users_unlock(c, "nobody"), -ENOENT);
        assert_int_equal(users_login(c, "carol", "carol password", NULL, t, &who), 0);

        /* So can a password reset. */
        for (int i = 0; i < USERS_LOCK_FAILURES; i++)
                users_login(c, "carol", "wrong", NULL, t, &who);
        assert_int_equal(users_set_password(c, "carol", "carol password 2", t), 0);
        assert_int_equal(users_login(c, "carol", "carol password 2", NULL, t, &who), 0);

        /* Unknown names never lock anything (there is nothing to lock). */
        for (int i = 0; i < 2 * USERS_LOCK_FAILURES; i++)
                assert_int_equal(users_login(c, "nobody", "wrong", NULL, t, &who), -EACCES);
        cdb_release(c);
        cdb_close(db);
}

static void test_login_totp(void **state)
{
        cdb_t *db = ctest_open_db(1);
        cdb_conn_t *c;
        users_login_t who;
        char secret[USERS_TOTP_SECRET_LEN + 1], code[7];
        int64_t t = NOW, ts = NOW / 1000000;

        assert_int_equal(cdb_acquire(db, &c), 0);
        assert_int_equal(users_add(c, "dave", HTTP_AUTH_ADMIN, "dave password 1", NOW, NULL), 0);
        assert_int_equal(users_set_totp(c, "dave", secret), 0);
        assert_int_equal(users_set_totp(c, "nobody", secret), -ENOENT);
        code_at(secret, ts, code);
        /* Password alone is not enough; neither is a code alone. */
        assert_int_equal(users_login(c, "dave", "dave password 1", NULL, t, &who), -EACCES);
        assert_int_equal(users_login(c, "dave", "dave password 1", "", t, &who), -EACCES);
        assert_int_equal(users_login(c, "dave", "wrong password", code, t, &who), -EACCES);
        assert_int_equal(users_login(c, "dave", "dave password 1", code, t, &who), 0);
        /* The same code again (same step) is refused. */
        assert_int_equal(users_login(c, "dave", "dave password 1", code, t + 1000000, &who),
                         -EACCES);
        /* The next step's code works. */
        code_at(secret, ts + 30, code);
        assert_int_equal(users_login(c, "dave", "dave password 1", code, t + 30 * 1000000, &who),
                         0);
        assert_int_equal(user_int(c, "totp_last_step", "dave"), users_totp_step(ts + 30));
        /* A wrong code counts toward the lockout. The wrong code is the
         * one of a step an hour away, checked not to equal any code the
         * window accepts. */
        assert_int_equal(user_int(c, "fail_count", "dave"), 0);
        {
                char bad[7], w[7];
                bool clash = false;
                code_at(secret, ts + 3600, bad);
                for (int d = 1; d <= 3; d++) {
                        code_at(secret, ts + 30 * d, w);
                        clash |= strcmp(w, bad) == 0;
                }
                if (!clash) {
                        assert_int_equal(users_login(c, "dave", "dave password 1", bad,
                                                     t + 60 * 1000000, &who),
                                         -EACCES);
                        assert_int_equal(user_int(c, "fail_count", "dave"), 1);
                }
        }
        /* Off again: the password alone works. */
        assert_int_equal(users_set_totp(c, "dave", NULL), 0);
        assert_int_equal(users_login(c, "dave", "dave password 1", NULL, t + 90 * 1000000, &who),
                         0);
        cdb_release(c);
        cdb_close(db);
}

static int teardown(void **state)
{
        ctest_cleanup();
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hotp_vectors), cmocka_unit_test(test_totp_vectors),
                cmocka_unit_test(test_base32),       cmocka_unit_test(test_totp_check),
                cmocka_unit_test(test_passwords),    cmocka_unit_test(test_accounts),
                cmocka_unit_test(test_lockout),      cmocka_unit_test(test_login_totp),
        };
        return cmocka_run_group_tests_name(ctest_pg() ? "center_users (postgresql)"
                                                      : "center_users (sqlite)",
                                           tests, NULL, teardown);
}
