/* What a Redis server's configuration says about who may connect: the
 * requirepass of redis.conf, ACL users defined by "user" lines in redis.conf
 * or in the aclfile, and the includes that bring in more configuration.
 *
 * Lines are split the way Redis splits them (white space separates
 * arguments; "double quoted" arguments take \n, \xHH and similar escapes,
 * 'single quoted' ones only \'), directive names are case-insensitive.
 * The resulting users follow Redis 7's rules, checked against the real
 * server in the integration tests: the default user starts "on nopass";
 * requirepass gives it that password ("" takes it away again); every "user"
 * line redefines its user from scratch (off, no password) and is applied
 * after requirepass; with an aclfile the users come from that file only, and
 * a default user it does not mention is "on nopass" whatever requirepass
 * says.
 *
 * Passwords found here are secrets of the scanned host: they are wiped when
 * the structure is freed and are never put into a report. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/report.h"
#include "core/text.h"

/* Longest line taken apart; a longer one is reported and skipped. */
#define REDISCONF_LINE_MAX (64 * KiB)
/* Arguments per line and users per configuration. */
#define REDISCONF_MAX_ARGS  1024
#define REDISCONF_MAX_USERS 4096

typedef struct redis_user {
        char *name;
        bool on;
        bool nopass;
        strv_t passwords; /* plaintext passwords (">pw"); secrets */
        strv_t hashes;    /* SHA-256 hex of passwords ("#hash"), lower case */
        char *where;      /* "FILE:LINE" that defined the user, NULL for the built-in default */
} redis_user_t;

typedef struct redisconf {
        redis_user_t *users; /* users[0] is always "default" */
        size_t n_users, cap_users;
        bool has_requirepass;
        char *requirepass;       /* last requirepass value; secret */
        char *requirepass_where; /* "FILE:LINE" of it */
        char *aclfile;           /* path as written, NULL when none */
        char *aclfile_where;
        size_t conf_user_lines; /* "user" lines seen in configuration files */
        bool from_aclfile;      /* users were replaced by an aclfile */
} redisconf_t;

/* Called for "include PATH" at the point where it appears, so the caller
 * can parse the included file into the same redisconf_t before the rest of
 * this one. WHERE is "FILE:LINE". Returns 0 or a negative errno, which
 * aborts the parse (problems with the included file should be notes). */
typedef int (*redisconf_include_fn)(const char *path, const char *where, void *userdata);

/* Start a configuration with only the built-in default user. Returns 0 or
 * -ENOMEM. */
int redisconf_init(redisconf_t *c);
/* Wipe the secrets and free everything; C is left zeroed. */
void redisconf_clear(redisconf_t *c);

/* Parse one configuration file's text (LEN bytes) into C. SOURCE names the
 * file in notes added to R (R may be NULL). INCLUDE may be NULL, then
 * includes are ignored. Returns 0 or a negative errno (-ENOMEM, or what
 * INCLUDE returned). Call redisconf_finish when all files are read. */
int redisconf_parse(redisconf_t *c, const char *data, size_t len, const char *source, report_t *r,
                    redisconf_include_fn include, void *userdata);

/* Parse an aclfile: every line must be "user NAME RULES...". The users in
 * it replace the ones defined so far. Returns 0 or -ENOMEM. */
int redisconf_parse_aclfile(redisconf_t *c, const char *data, size_t len, const char *source,
                            report_t *r);

/* Apply requirepass to the default user when no aclfile and no "user
 * default" line overrides it. Call once after parsing; returns 0 or
 * -ENOMEM. */
int redisconf_finish(redisconf_t *c);

/* Split one line into arguments the way Redis does. On success *RET holds
 * the arguments (caller clears). Returns 0, -EINVAL for unbalanced quotes
 * or a closing quote not followed by a space, -E2BIG for more than
 * REDISCONF_MAX_ARGS arguments, -ENOMEM. */
int redisconf_split(const char *line, size_t len, strv_t *ret);
