/* A login event: one thing a log line says about authentication (a failed
 * password, an accepted key, an invalid user, a su to root…). Parsers of
 * every log source produce these; the login detectors consume them; `vigil
 * logscan` prints them. All strings are copies of attacker-influenced text
 * (user names are chosen by whoever connects), kept as bytes with caps; the
 * writers escape them. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "core/ipaddr.h"

/* Caps on the text fields; longer values are cut at a UTF-8 boundary and
 * marked with LOGEVENT_TRUNCATED. */
#define LOGEVENT_USER_MAX    256
#define LOGEVENT_HOST_MAX    256
#define LOGEVENT_SERVICE_MAX 32
#define LOGEVENT_METHOD_MAX  32

typedef enum logevent_kind {
        LOGEVENT_AUTH_FAILURE,  /* a wrong password/key/otp for an existing or unknown user */
        LOGEVENT_AUTH_SUCCESS,  /* a login was accepted */
        LOGEVENT_INVALID_USER,  /* the account does not exist */
        LOGEVENT_ROOT_REFUSED,  /* root login refused by configuration */
        LOGEVENT_NOT_ALLOWED,   /* "not allowed because …" (AllowUsers, shell, …) */
        LOGEVENT_MAX_ATTEMPTS,  /* maximum authentication attempts exceeded */
        LOGEVENT_PREAUTH_CLOSE, /* connection closed/reset during authentication */
        LOGEVENT_SESSION_OPEN,  /* su/sudo/login session opened for a user */
        LOGEVENT_PRIV_FAILURE,  /* su/sudo authentication failure */
        /* A PAM module ("pam_unix(sshd:auth): authentication failure; …")
         * reported a failed authentication. SERVICE is the PAM service. For
         * sshd, su and login the program logs its own failure line too (an
         * AUTH_FAILURE or PRIV_FAILURE), so counting both would count one
         * attempt twice; for services that only fail through PAM in the
         * system log (vsftpd, …) this is the only trace. */
        LOGEVENT_PAM_FAILURE,
        LOGEVENT_KIND__MAX,
} logevent_kind_t;

typedef struct logevent {
        int64_t time_us;  /* event time (UTC), 0 when unknown */
        const char *file; /* borrowed: the source ("/var/log/auth.log", "journal") */
        uint64_t line;    /* 1-based line number in FILE, 0 when not a file */
        char service[LOGEVENT_SERVICE_MAX]; /* "sshd", "vsftpd", "mysql", "su", … */
        logevent_kind_t kind;
        char method[LOGEVENT_METHOD_MAX];    /* "password", "publickey", … or "" */
        char user[LOGEVENT_USER_MAX];        /* may be "" when the log does not say */
        char target_user[LOGEVENT_USER_MAX]; /* su/sudo: the account switched to */
        char src[LOGEVENT_HOST_MAX]; /* source as logged: an address or a host name; "" if none */
        bool has_ip;                 /* SRC_IP is valid (SRC was an address) */
        ipaddr_t src_ip;
        uint16_t port;                /* source port, 0 when unknown */
        pid_t pid;                    /* process that logged it, 0 when unknown */
        char host[LOGEVENT_HOST_MAX]; /* host name in the log line, "" when none */
        bool truncated;               /* a field was cut to its cap */
        bool invalid_user; /* the log says the account does not exist ("… invalid user X …") */
} logevent_t;

/* "auth_failure", "auth_success", "invalid_user", "root_refused",
 * "not_allowed", "max_attempts", "preauth_close", "session_open",
 * "priv_failure", "pam_failure". */
const char *logevent_kind_name(logevent_kind_t kind);

/* The DESIGN.md JSON line object: {"kind":"event","file":…,"line":N,
 * "time":…,"service":…,"event":…,"method":…,"user":…,"src":…, …}. New
 * reference or NULL when out of memory. */
json_t *logevent_to_json(const logevent_t *e);

/* Copy N bytes of S into a field of size CAP, cutting at a UTF-8 boundary;
 * sets E->truncated when cut. */
void logevent_set(logevent_t *e, char *field, size_t cap, const char *s, size_t n);
