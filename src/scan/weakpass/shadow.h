/* The local account databases as the password checker needs them:
 * /etc/shadow (name and password hash of each account) and /etc/passwd
 * (uid, shell, and the password field that says whether the hash lives in
 * shadow at all). Parsing follows glibc's files backend: leading blanks are
 * skipped, empty lines and lines starting with '#' are ignored, NIS "+"/"-"
 * compat lines are counted and skipped, and the first entry of a name wins.
 * Any other oddity becomes a warning note "FILE:LINE: ..." and the parser
 * goes on with the next line. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/report.h"

/* Caps on fields; a longer name or password field makes its line an error. */
#define SHADOW_NAME_MAX 256
#define SHADOW_HASH_MAX 1024

typedef enum shadow_state {
        SHADOW_HASH,     /* a password hash to check */
        SHADOW_EMPTY,    /* an empty field: the account has no password at all */
        SHADOW_LOCKED,   /* "!" before a hash: locked with passwd -l / usermod -L */
        SHADOW_DISABLED, /* "*", "!", "!!", "*LK*" ...: no password can log in */
} shadow_state_t;

typedef struct shadow_entry {
        char *name;
        char *password; /* the field as written, "" when empty */
        shadow_state_t state;
        size_t line;
        /* Only from /etc/passwd; -1 and NULL otherwise. */
        long long uid;
        char *shell;
} shadow_entry_t;

typedef struct shadow_db {
        shadow_entry_t *entries;
        size_t n, cap;
        size_t nis_lines; /* "+"/"-" lines skipped */
        size_t bad_lines; /* lines reported as warnings */
} shadow_db_t;

/* Parse DATA (LEN bytes) in /etc/shadow format into *DB (which the caller
 * initialised to zero; entries are appended). SOURCE names the file in notes
 * added to R (R may be NULL: then problems are only counted). Returns 0 or
 * -ENOMEM. */
int shadow_parse(const char *data, size_t len, const char *source, report_t *r, shadow_db_t *db);

/* The same for /etc/passwd: the password field ("x" when the hash is in
 * shadow), uid and shell are kept. */
int shadow_parse_passwd(const char *data, size_t len, const char *source, report_t *r,
                        shadow_db_t *db);

/* The entry named NAME, or NULL. Linear; account lists are short. */
const shadow_entry_t *shadow_db_find(const shadow_db_t *db, const char *name);

/* Free every entry; DB is left empty and reusable. */
void shadow_db_clear(shadow_db_t *db);

/* Classify a password field (see shadow_state_t). */
shadow_state_t shadow_classify(const char *field);

/* The name of the hash scheme of a crypt(3) string: "yescrypt",
 * "gost-yescrypt", "scrypt", "bcrypt", "sha512crypt", "sha256crypt",
 * "md5crypt", "sunmd5", "sha1crypt", "bsdicrypt", "descrypt", "bigcrypt",
 * "nt", or "unknown". Static string. */
const char *shadow_hash_type(const char *hash);
