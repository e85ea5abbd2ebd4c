/* Console sessions: what a login hands the browser, and the authenticator
 * that recognises it on every later request.
 *
 * A session is a random 256-bit id sent as the cookie SESSION_COOKIE
 * (HttpOnly, SameSite=Strict, Path=/, Secure when the center speaks TLS)
 * and stored on the center only as its SHA-256, so a copy of the database
 * does not let anyone in. It ends SESSION_LIFETIME_US after the login or
 * SESSION_IDLE_US after its last use, whichever comes first, at logout,
 * and when the user's password, role or second factor changes.
 *
 * Cross-site request forgery: every session has its own random token,
 * returned by the login and by GET /api/v1/session; every request that is
 * not GET or HEAD must carry it in the SESSION_CSRF_HEADER header, or the
 * session authenticator refuses it. The cookie alone (which a browser
 * sends by itself) is never enough to change anything. API keys carry no
 * ambient authority and need no token.
 *
 * The session authenticator is registered with center_add_user_auth
 * (console_attach in console.h does it), so the whole REST API accepts a
 * session cookie just as it accepts an API key. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "center/cdb.h"
#include "center/center.h"
#include "center/http.h"
#include "center/users.h"

#define SESSION_COOKIE      "vigil_session"
#define SESSION_CSRF_HEADER "X-CSRF-Token"
#define SESSION_TOKEN_HEX   64 /* 256 bits as hex */
#define SESSION_LIFETIME_US (12LL * 3600 * 1000000)
#define SESSION_IDLE_US     (2LL * 3600 * 1000000)
/* last_used is written at most this often, not on every request. */
#define SESSION_TOUCH_US (60LL * 1000000)
/* A Cookie header longer than this is not looked into. */
#define SESSION_MAX_COOKIE_HEADER 8192

/* A live session, as looked up. */
typedef struct session_info {
        int64_t user_id;
        int role; /* the user's role now (HTTP_AUTH_VIEWER or _ADMIN) */
        char user[USERS_NAME_MAX + 1];
        char csrf[SESSION_TOKEN_HEX + 1];
        int64_t expires_at; /* whichever end comes first, as of now */
} session_info_t;

/* Start a session for USER_ID (REMOTE, the client address, is kept for the
 * record; may be NULL). RET_TOKEN gets the cookie value, RET_CSRF the
 * request token. Expired sessions of every user are removed on the way.
 * Returns 0, -EIO when no randomness is to be had, or a database error. */
int session_create(cdb_conn_t *c, int64_t user_id, const char *remote, int64_t now_us,
                   char ret_token[SESSION_TOKEN_HEX + 1], char ret_csrf[SESSION_TOKEN_HEX + 1]);

/* Look up the session whose cookie value is TOKEN at NOW_US, refreshing its
 * last use. Returns 0 with *RET, -ENOENT when TOKEN is malformed, unknown,
 * expired or its user gone, or a database error. */
int session_lookup(cdb_conn_t *c, const char *token, int64_t now_us, session_info_t *ret);

/* End the session TOKEN. Returns 0 (also when there was none) or a
 * database error. */
int session_delete(cdb_conn_t *c, const char *token);

/* The value of cookie SESSION_COOKIE in the Cookie header value HEADER
 * into OUT. Returns 0, -ENOENT when there is none, -EINVAL when it is not
 * SESSION_TOKEN_HEX lowercase hex characters or the header is too long. */
int session_cookie_token(const char *header, char out[SESSION_TOKEN_HEX + 1]);

/* Whether a request of METHOD needs the CSRF token (every method but GET
 * and HEAD). */
bool session_needs_csrf(const char *method);
/* Check the CSRF token SENT (the header's value, may be NULL) for a
 * request of METHOD on session S. Returns 0 or -EACCES. */
int session_check_csrf(const session_info_t *s, const char *method, const char *sent);

/* The Set-Cookie value that installs TOKEN (or, TOKEN NULL, removes the
 * cookie) into OUT of SIZE bytes. SECURE adds the Secure attribute.
 * Returns 0 or -ENOBUFS. */
int session_cookie_header(const char *token, bool secure, char *out, size_t size);

/* The session authenticator (a center_user_auth_fn): -ENOENT without a
 * session cookie, -EACCES for a dead session or a missing or wrong CSRF
 * token, 0 with PRINCIPAL ("user:NAME", the user's role). */
int session_user_auth(center_t *c, const http_req_t *req, http_principal_t *principal);
