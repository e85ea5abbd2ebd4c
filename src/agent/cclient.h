/* The agent's client of a vigil center: the credential file written at
 * enrollment, the URL policy, one HTTP request (libcurl), gzip, and the
 * enrollment call itself.
 *
 * libcurl is not linked: it is dlopen'ed (agent/curlfn.h) by the first call
 * that needs it (cclient_check_url, so also cclient_cred_load of an
 * existing file, cclient_request, cclient_enroll), so that an agent that
 * never talks to a center never maps it. When libcurl.so.4 is missing
 * those calls fail with a message that says to install libcurl4.
 *
 * The credential is kept in STATE_DIR/center.json (mode 0600, written to a
 * temporary file, fsync'ed and renamed into place): the center's URL, the
 * agent id and secret the center handed out, and an optional CA file for
 * the center's TLS certificate. The secret is never logged; a file that
 * others may read is refused.
 *
 * URLs: https, or plain http only to a loopback address (127.0.0.0/8,
 * ::1, localhost), so a secret never crosses a network in clear text.
 * TLS peers and host names are always verified (the system's CAs, or the
 * CA file). Redirects are not followed; answers are capped.
 *
 * cclient_request is synchronous and thread-safe: the shipper calls it
 * from a libuv worker thread; loading libcurl happens once, whichever
 * thread comes first. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"

#define CCLIENT_CRED_FILE  "center.json"
#define CCLIENT_CRED_MAX   (16 * KiB)
#define CCLIENT_URL_MAX    2048
#define CCLIENT_SECRET_HEX 64
#define CCLIENT_ANSWER_MAX (4 * MiB)
#define CCLIENT_ERROR_MAX  256

/* Kept for callers that used to initialise curl at start: it now does
 * nothing and returns 0, since libcurl is loaded and initialised on first
 * use. Calling it is harmless and no longer needed. */
int cclient_global_init(void);

typedef struct cclient_cred {
        char *url; /* base URL without a trailing '/' */
        int64_t agent_id;
        char secret[CCLIENT_SECRET_HEX + 1];
        char *ca_file; /* NULL: the system's CAs */
} cclient_cred_t;

void cclient_cred_clear(cclient_cred_t *c);

/* Read STATE_DIR/center.json. Returns 0, -ENOENT (not enrolled, libcurl
 * not loaded), -EPERM when the file is readable or writable by others,
 * -EINVAL for a damaged file, -ELIBACC/-ENOSYS/-EIO when libcurl cannot be
 * loaded to check its URL, with *RET_ERROR (caller frees) on errors other
 * than -ENOENT; -ENOMEM. Clear *RET with cclient_cred_clear. */
int cclient_cred_load(const char *state_dir, cclient_cred_t *ret, char **ret_error);

/* Write C to STATE_DIR/center.json (0600, atomically). Returns 0 or a
 * negative errno with *RET_ERROR (caller frees). */
int cclient_cred_save(const char *state_dir, const cclient_cred_t *c, char **ret_error);

/* Check URL against the policy above, parsed by libcurl's URL parser (loads
 * libcurl). Returns 0, -EINVAL, or curlfn_load's error when libcurl cannot
 * be loaded (-ELIBACC, -ENOSYS, -EIO), with *RET_ERROR (caller frees);
 * -ENOMEM. */
int cclient_check_url(const char *url, char **ret_error);

typedef struct cclient_req {
        const char *base;    /* the center's URL */
        const char *path;    /* "/api/v1/agent/batch" */
        const char *method;  /* "GET" or "POST" */
        const char *bearer;  /* NULL: no Authorization header */
        const char *ca_file; /* may be NULL */
        const char *body;    /* may be NULL for GET */
        size_t len;
        bool gzip;      /* compress BODY, send Content-Encoding: gzip */
        long timeout_s; /* whole request; 0: 30 s */
} cclient_req_t;

typedef struct cclient_resp {
        long status; /* HTTP status; 0 when no answer came */
        char *body;  /* NUL-terminated; owned */
        size_t len;
        long retry_after_s;            /* Retry-After in seconds, 0 when none */
        char error[CCLIENT_ERROR_MAX]; /* what went wrong without an answer */
} cclient_resp_t;

void cclient_resp_clear(cclient_resp_t *r);

/* Send RQ. Returns 0 when an answer came (any status: see RET->status),
 * -EIO when none did or libcurl cannot be loaded (RET->error says why),
 * -E2BIG for an answer over
 * CCLIENT_ANSWER_MAX, -EINVAL for a URL the policy refuses, -ENOMEM. */
int cclient_request(const cclient_req_t *rq, cclient_resp_t *ret);

/* Compress N bytes at P as one gzip member into *RET (caller frees).
 * Returns 0, -ENOMEM, -EIO. */
int cclient_gzip(const char *p, size_t n, char **ret, size_t *ret_len);

/* What the agent says about itself (enrollment, heartbeats). Strings are
 * NUL-terminated and printable; empty when unknown. */
typedef struct cclient_identity {
        char hostname[254];
        char os[129], os_version[129], arch[65], kernel[129];
} cclient_identity_t;

/* Fill *RET from gethostname, uname and OS_RELEASE (NULL:
 * /etc/os-release, then /usr/lib/os-release). Never fails. */
void cclient_identity(const char *os_release, cclient_identity_t *ret);

/* Enroll at URL with TOKEN, saying ID about this host. Returns 0 with
 * *RET_ID and RET_SECRET; -EACCES when the center refused the token;
 * -EIO when it could not be reached or answered something else; -EINVAL
 * for a URL the policy refuses; always with *RET_ERROR (caller frees) on
 * failure. The token and secret are never put in *RET_ERROR. */
int cclient_enroll(const char *url, const char *token, const char *ca_file,
                   const cclient_identity_t *id, int64_t *ret_id,
                   char ret_secret[CCLIENT_SECRET_HEX + 1], char **ret_error);
