/* The console's people: accounts with a role (viewer or admin, the same
 * levels as API keys), a password kept only as a yescrypt hash (libcrypt),
 * an optional TOTP second factor (users_totp.h), and a lockout against
 * password guessing.
 *
 * Lockout: USERS_LOCK_FAILURES failed logins within USERS_LOCK_WINDOW_US of
 * the first of them lock the account for USERS_LOCK_FOR_US; while locked,
 * no password is even checked. A success resets the count. The window and
 * the lock are kept in the users row, so every center process sharing the
 * database sees them. An unknown user name costs the same yescrypt work as
 * a known one, and every refusal looks the same to the caller of the HTTP
 * API, so neither timing nor answers tell which names exist.
 *
 * Every function takes the time as an argument (microseconds since the
 * epoch); nothing here reads the clock, so tests control it. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "center/cdb.h"

#define USERS_NAME_MAX       64
#define USERS_PASSWORD_MIN   12
#define USERS_PASSWORD_MAX   1024
#define USERS_GEN_PASSWORD   20 /* characters of a generated password */
#define USERS_LOCK_FAILURES  5
#define USERS_LOCK_WINDOW_US (15LL * 60 * 1000000)
#define USERS_LOCK_FOR_US    (15LL * 60 * 1000000)

/* Who logged in. */
typedef struct users_login {
        int64_t id;
        int role; /* HTTP_AUTH_VIEWER or HTTP_AUTH_ADMIN */
        char name[USERS_NAME_MAX + 1];
} users_login_t;

/* True when NAME is 1..USERS_NAME_MAX characters of [A-Za-z0-9._@-]
 * starting with a letter or digit. */
bool users_name_ok(const char *name);

/* Hash PASSWORD with yescrypt and a fresh random salt. *RET_HASH (caller
 * frees) is the crypt(3) string "$y$...". Returns 0, -EINVAL for a
 * password longer than USERS_PASSWORD_MAX, -EIO when libcrypt fails,
 * -ENOMEM. */
int users_hash_password(const char *password, char **ret_hash);
/* Check PASSWORD against HASH (a crypt(3) string). Returns 0 when it
 * matches, -EACCES when not (or when HASH is no usable hash), -ENOMEM. */
int users_verify_password(const char *hash, const char *password);
/* A random password of USERS_GEN_PASSWORD characters from an alphabet
 * without look-alike characters (about 115 bits). Returns 0 or -EIO. */
int users_generate_password(char ret[USERS_GEN_PASSWORD + 1]);
/* Whether a chosen password is acceptable: USERS_PASSWORD_MIN to
 * USERS_PASSWORD_MAX bytes, no control characters. Returns 0 or -EINVAL. */
int users_password_ok(const char *password);

/* Add a user. Returns 0 with *RET_ID (may be NULL), -EINVAL for a bad name,
 * role or password, -EEXIST when the name is taken, or a database error. */
int users_add(cdb_conn_t *c, const char *name, int role, const char *password, int64_t now_us,
              int64_t *ret_id);
/* Set NAME's password, clear its lockout and end its sessions. Returns 0,
 * -ENOENT, -EINVAL, or a database error. */
int users_set_password(cdb_conn_t *c, const char *name, const char *password, int64_t now_us);
/* Change NAME's role (and end its sessions). Returns 0, -ENOENT, -EINVAL. */
int users_set_role(cdb_conn_t *c, const char *name, int role);
/* Delete NAME and its sessions. Returns 0, -ENOENT, or a database error. */
int users_delete(cdb_conn_t *c, const char *name);
/* Clear NAME's lockout. Returns 0, -ENOENT, or a database error. */
int users_unlock(cdb_conn_t *c, const char *name);
/* Turn TOTP on for NAME with a new secret, returned in RET_SECRET
 * (base32), or off when RET_SECRET is NULL. Ends NAME's sessions. Returns
 * 0, -ENOENT, -EIO, or a database error. */
int users_set_totp(cdb_conn_t *c, const char *name, char *ret_secret);
/* Every user as a JSON array of {name, role, totp, locked, created_at,
 * last_login} (new reference, caller decrefs) into *RET. */
int users_list(cdb_conn_t *c, int64_t now_us, json_t **ret);

/* A login attempt. TOTP may be NULL or "" when the user has none. Returns
 * 0 with *RET filled; -EACCES for an unknown name, a wrong password or a
 * wrong, missing or replayed code (a failure is counted against a known
 * user); -EBUSY when the account is locked (nothing is checked or
 * counted); or a database error. */
int users_login(cdb_conn_t *c, const char *name, const char *password, const char *totp,
                int64_t now_us, users_login_t *ret);
