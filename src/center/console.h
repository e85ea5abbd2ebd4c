/* The web console: the static pages (console_assets.h) and the login API
 * behind them (docs/console.md).
 *
 *   GET    /                     the console (one page; the script draws
 *                                 every view: login, overview, hosts, ...)
 *   GET    /console/{file}        its script, style sheet and images
 *   POST   /api/v1/session        log in: {"user","password","totp"} ->
 *                                 session cookie + {"user","role","csrf"}
 *   GET    /api/v1/session        who is logged in, and the CSRF token
 *   DELETE /api/v1/session        log out
 *   POST   /api/v1/session/password  change one's own password:
 *                                 {"current","new"}
 *
 * Every console response carries a strict Content-Security-Policy (only
 * the center's own scripts and styles, nothing inline, no framing),
 * Referrer-Policy no-referrer, and, from the HTTP layer, X-Frame-Options
 * DENY, nosniff and Cache-Control no-store. Logins are refused with one
 * answer whatever the reason (unknown user, wrong password or code,
 * locked account) so that the answer tells nothing about which names
 * exist. */
#pragma once

#include <stddef.h>

#include "center/center.h"
#include "center/http.h"

#define CONSOLE_CSP                                                                                \
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "                \
        "form-action 'self'; frame-ancestors 'none'"
/* The largest login or password-change body. */
#define CONSOLE_MAX_BODY (8 * KiB)

extern const http_route_t console_routes[];
extern const size_t console_n_routes;

/* Register the session authenticator on C (after center_open, before
 * center_start), so the REST API accepts console sessions. Returns 0 or
 * -E2BIG. */
int console_attach(center_t *c);
