#include "center/users.h"

#include <crypt.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "center/auth.h"
#include "center/cutil.h"
#include "center/http.h"
#include "center/users_totp.h"
#include "core/text.h"

/* No 0/O, 1/l/I: a generated password is read off a terminal and typed. */
static const char pw_alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

bool users_name_ok(const char *name)
{
        size_t n;

        if (!name)
                return false;
        n = strlen(name);
        if (n == 0 || n > USERS_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++) {
                char ch = name[i];
                bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                             (ch >= '0' && ch <= '9');
                if (i == 0 && !alnum)
                        return false;
                if (!alnum && ch != '.' && ch != '_' && ch != '@' && ch != '-')
                        return false;
        }
        return true;
}

int users_password_ok(const char *password)
{
        size_t n;

        if (!password)
                return -EINVAL;
        n = strlen(password);
        if (n < USERS_PASSWORD_MIN || n > USERS_PASSWORD_MAX)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)password[i] < 0x20 || password[i] == 0x7f)
                        return -EINVAL;
        return 0;
}

int users_hash_password(const char *password, char **ret_hash)
{
        _cleanup_free_ char *setting = NULL;
        void *data = NULL;
        int size = 0;
        const char *h;
        char *out;

        if (!password || strlen(password) > USERS_PASSWORD_MAX)
                return -EINVAL;
        /* NULL random bytes: libcrypt takes the salt from the system's
         * CSPRNG. Count 0 is libcrypt's default cost for yescrypt. */
        setting = crypt_gensalt_ra("$y$", 0, NULL, 0);
        if (!setting)
                return errno == ENOMEM ? -ENOMEM : -EIO;
        h = crypt_ra(password, setting, &data, &size);
        if (!h || h[0] == '*') {
                free(data);
                return -EIO;
        }
        out = strdup(h);
        OPENSSL_cleanse(data, (size_t)size);
        free(data);
        if (!out)
                return -ENOMEM;
        *ret_hash = out;
        return 0;
}

int users_verify_password(const char *hash, const char *password)
{
        void *data = NULL;
        int size = 0;
        const char *h;
        bool ok;

        if (!hash || !password || hash[0] != '$' || strlen(password) > USERS_PASSWORD_MAX)
                return -EACCES;
        h = crypt_ra(password, hash, &data, &size);
        if (!h) {
                free(data);
                return errno == ENOMEM ? -ENOMEM : -EACCES;
        }
        ok = h[0] != '*' && cutil_equal_ct(h, hash);
        OPENSSL_cleanse(data, (size_t)size);
        free(data);
        return ok ? 0 : -EACCES;
}

int users_generate_password(char ret[USERS_GEN_PASSWORD + 1])
{
        const size_t n = STRLEN(pw_alphabet);
        /* Bytes at or above LIMIT are thrown away so that every character
         * is equally likely. */
        const unsigned limit = 256 - 256 % (unsigned)n;
        size_t k = 0;

        while (k < USERS_GEN_PASSWORD) {
                unsigned char b[32];
                if (RAND_bytes(b, sizeof(b)) != 1)
                        return -EIO;
                for (size_t i = 0; i < sizeof(b) && k < USERS_GEN_PASSWORD; i++)
                        if (b[i] < limit)
                                ret[k++] = pw_alphabet[b[i] % n];
                OPENSSL_cleanse(b, sizeof(b));
        }
        ret[k] = 0;
        return 0;
}

int users_add(cdb_conn_t *c, const char *name, int role, const char *password, int64_t now_us,
              int64_t *ret_id)
{
        _cleanup_free_ char *hash = NULL;
        int64_t id;
        int r;

        if (!users_name_ok(name) || (role != HTTP_AUTH_VIEWER && role != HTTP_AUTH_ADMIN) ||
            users_password_ok(password) < 0)
                return -EINVAL;
        r = users_hash_password(password, &hash);
        if (r < 0)
                return r;
        r = cutil_random_id(&id);
        if (r < 0)
                return r;
        cdb_param_t p[] = { CDB_INT(id),    CDB_TEXT(name),  CDB_TEXT(auth_role_name(role)),
                            CDB_TEXT(hash), CDB_INT(now_us), CDB_INT(now_us) };
        r = cdb_exec(c,
                     "INSERT INTO users (id, name, role, pw_hash, created_at, pw_changed_at)"
                     " VALUES ($1, $2, $3, $4, $5, $6)",
                     p, ELEMENTSOF(p), NULL);
        if (r < 0)
                return r;
        if (ret_id)
                *ret_id = id;
        return 0;
}

/* Run SQL (with $1 the user name) and then end the user's sessions, in
 * one transaction. Returns 0, -ENOENT when no row changed, or an error. */
struct user_change {
        const char *sql;
        const cdb_param_t *p;
        size_t n;
        const char *name;
};

static int user_change_body(cdb_conn_t *c, void *userdata)
{
        const struct user_change *uc = userdata;
        int64_t changed = 0;
        int r;

        r = cdb_exec(c, uc->sql, uc->p, uc->n, &changed);
        if (r < 0)
                return r;
        if (changed == 0)
                return -ENOENT;
        cdb_param_t p[] = { CDB_TEXT(uc->name) };
        return cdb_exec(c,
                        "DELETE FROM sessions WHERE user_id IN"
                        " (SELECT id FROM users WHERE name = $1)",
                        p, 1, NULL);
}

static int user_change(cdb_conn_t *c, const char *name, const char *sql, const cdb_param_t *p,
                       size_t n)
{
        struct user_change uc = { sql, p, n, name };

        return cdb_transact(c, 5, user_change_body, &uc);
}

int users_set_password(cdb_conn_t *c, const char *name, const char *password, int64_t now_us)
{
        _cleanup_free_ char *hash = NULL;
        int r;

        if (!users_name_ok(name) || users_password_ok(password) < 0)
                return -EINVAL;
        r = users_hash_password(password, &hash);
        if (r < 0)
                return r;
        cdb_param_t p[] = { CDB_TEXT(name), CDB_TEXT(hash), CDB_INT(now_us) };
        return user_change(c, name,
                           "UPDATE users SET pw_hash = $2, pw_changed_at = $3, fail_count = 0,"
                           " fail_window_start = 0, locked_until = 0 WHERE name = $1",
                           p, ELEMENTSOF(p));
}

int users_set_role(cdb_conn_t *c, const char *name, int role)
{
        if (!users_name_ok(name) || (role != HTTP_AUTH_VIEWER && role != HTTP_AUTH_ADMIN))
                return -EINVAL;
        cdb_param_t p[] = { CDB_TEXT(name), CDB_TEXT(auth_role_name(role)) };
        return user_change(c, name, "UPDATE users SET role = $2 WHERE name = $1", p, ELEMENTSOF(p));
}

static int delete_body(cdb_conn_t *c, void *userdata)
{
        const char *name = userdata;
        int64_t changed = 0;
        cdb_param_t p[] = { CDB_TEXT(name) };
        int r;

        r = cdb_exec(c,
                     "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE name = $1)",
                     p, 1, NULL);
        if (r == 0)
                r = cdb_exec(c, "DELETE FROM users WHERE name = $1", p, 1, &changed);
        if (r < 0)
                return r;
        return changed ? 0 : -ENOENT;
}

int users_delete(cdb_conn_t *c, const char *name)
{
        if (!users_name_ok(name))
                return -ENOENT;
        return cdb_transact(c, 5, delete_body, (void *)name);
}

int users_unlock(cdb_conn_t *c, const char *name)
{
        int64_t changed = 0;
        cdb_param_t p[] = { CDB_TEXT(name) };
        int r;

        r = cdb_exec(c,
                     "UPDATE users SET fail_count = 0, fail_window_start = 0, locked_until = 0"
                     " WHERE name = $1",
                     p, 1, &changed);
        if (r < 0)
                return r;
        return changed ? 0 : -ENOENT;
}

int users_set_totp(cdb_conn_t *c, const char *name, char *ret_secret)
{
        char secret[USERS_TOTP_SECRET_LEN + 1];
        int r;

        if (!users_name_ok(name))
                return -ENOENT;
        if (ret_secret) {
                r = users_totp_new_secret(secret);
                if (r < 0)
                        return r;
        }
        cdb_param_t p[] = { CDB_TEXT(name), CDB_TEXT(ret_secret ? secret : NULL) };
        r = user_change(c, name,
                        "UPDATE users SET totp_secret = $2, totp_last_step = 0 WHERE name = $1", p,
                        ELEMENTSOF(p));
        if (r == 0 && ret_secret)
                memcpy(ret_secret, secret, sizeof(secret));
        OPENSSL_cleanse(secret, sizeof(secret));
        return r;
}

int users_list(cdb_conn_t *c, int64_t now_us, json_t **ret)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        json_t *arr = json_array();
        int r;

        if (!arr)
                return -ENOMEM;
        r = cdb_query(c,
                      "SELECT name, role, totp_secret IS NOT NULL, locked_until, created_at,"
                      " last_login FROM users ORDER BY name",
                      NULL, 0, &res);
        while (r == 0 && (r = cdb_next(res)) > 0) {
                json_t *o = json_pack(
                        "{s:s, s:s, s:b, s:b, s:o, s:o}", "name", cdb_get_text(res, 0) ?: "",
                        "role", cdb_get_text(res, 1) ?: "", "totp", cdb_get_int(res, 2) != 0,
                        "locked", cdb_get_int(res, 3) > now_us, "created_at",
                        cutil_json_time(cdb_get_int(res, 4)), "last_login",
                        cutil_json_time(cdb_is_null(res, 5) ? 0 : cdb_get_int(res, 5)));
                r = 0;
                if (!o || json_array_append_new(arr, o) < 0) {
                        r = -ENOMEM;
                        break;
                }
        }
        if (r < 0) {
                json_decref(arr);
                return r;
        }
        *ret = arr;
        return 0;
}

/* A hash to check passwords of unknown users against, so that a login
 * for a name that does not exist takes as long as one that does. */
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char *dummy_hash;

static void make_dummy(void)
{
        char pw[USERS_GEN_PASSWORD + 1];

        if (users_generate_password(pw) == 0)
                (void)users_hash_password(pw, &dummy_hash);
        OPENSSL_cleanse(pw, sizeof(pw));
}

/* Count one failure against user ID at NOW. The window restarts when the
 * last one started long enough ago; reaching the limit inside it locks
 * the account. One statement, so concurrent failures all count. */
static int count_failure(cdb_conn_t *c, int64_t id, int64_t now_us)
{
        cdb_param_t p[] = { CDB_INT(id), CDB_INT(now_us), CDB_INT(now_us - USERS_LOCK_WINDOW_US),
                            CDB_INT(USERS_LOCK_FAILURES), CDB_INT(now_us + USERS_LOCK_FOR_US) };

        return cdb_exec(c,
                        "UPDATE users SET"
                        " locked_until = CASE WHEN fail_window_start > $3"
                        "  AND fail_count + 1 >= $4 THEN $5 ELSE locked_until END,"
                        " fail_count = CASE WHEN fail_window_start > $3"
                        "  THEN fail_count + 1 ELSE 1 END,"
                        " fail_window_start = CASE WHEN fail_window_start > $3"
                        "  THEN fail_window_start ELSE $2 END"
                        " WHERE id = $1",
                        p, ELEMENTSOF(p), NULL);
}

int users_login(cdb_conn_t *c, const char *name, const char *password, const char *totp,
                int64_t now_us, users_login_t *ret)
{
        _cleanup_free_ char *hash = NULL, *secret = NULL;
        int64_t id = 0, locked_until = 0, last_step = 0, step = 0;
        int role = 0, r, v;
        bool known = false;

        if (users_name_ok(name) && password) {
                _cleanup_res_ cdb_res_t *res = NULL;
                cdb_param_t p[] = { CDB_TEXT(name) };
                r = cdb_query(c,
                              "SELECT id, role, pw_hash, totp_secret, totp_last_step,"
                              " locked_until FROM users WHERE name = $1 AND disabled = 0",
                              p, 1, &res);
                if (r == 0)
                        r = cdb_next(res);
                if (r < 0)
                        return r;
                if (r > 0 && auth_role_from_name(cdb_get_text(res, 1), &role) == 0 &&
                    cdb_get_text(res, 2)) {
                        known = true;
                        id = cdb_get_int(res, 0);
                        hash = strdup(cdb_get_text(res, 2));
                        secret = cdb_get_text(res, 3) ? strdup(cdb_get_text(res, 3)) : NULL;
                        if (!hash || (cdb_get_text(res, 3) && !secret))
                                return -ENOMEM;
                        last_step = cdb_get_int(res, 4);
                        locked_until = cdb_get_int(res, 5);
                }
        }
        if (!known) {
                pthread_once(&dummy_once, make_dummy);
                (void)users_verify_password(dummy_hash, password ? password : "");
                return -EACCES;
        }
        if (locked_until > now_us) {
                /* The same work as a real check, so that the time taken does
                 * not tell a locked account from a wrong password. */
                pthread_once(&dummy_once, make_dummy);
                (void)users_verify_password(dummy_hash, password);
                return -EBUSY;
        }
        v = users_verify_password(hash, password);
        if (v == -ENOMEM)
                return v;
        if (v == 0 && secret) {
                v = users_totp_check(secret, totp && *totp ? totp : NULL, now_us / 1000000,
                                     last_step, &step);
                if (v == -EIO)
                        return v;
        }
        if (v < 0) {
                r = count_failure(c, id, now_us);
                return r < 0 ? r : -EACCES;
        }
        {
                /* The code's step is recorded only if it is still newer than
                 * the stored one: of two logins racing with one code, one
                 * wins. */
                int64_t changed = 0;
                cdb_param_t p[] = { CDB_INT(id), CDB_INT(now_us), CDB_INT(step),
                                    CDB_INT(secret ? 1 : 0) };
                r = cdb_exec(c,
                             "UPDATE users SET fail_count = 0, fail_window_start = 0,"
                             " locked_until = 0, last_login = $2,"
                             " totp_last_step = CASE WHEN $4 = 1 THEN $3 ELSE totp_last_step END"
                             " WHERE id = $1 AND ($4 = 0 OR totp_last_step < $3)",
                             p, ELEMENTSOF(p), &changed);
                if (r < 0)
                        return r;
                if (changed == 0)
                        return -EACCES;
        }
        ret->id = id;
        ret->role = role;
        snprintf(ret->name, sizeof(ret->name), "%s", name);
        return 0;
}
