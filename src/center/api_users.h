/* Console users over the REST API: what `vigil center user ...` does,
 * for an admin at the console or with an API key.
 *
 *   GET    /api/v1/users                  admin: every user; viewer: itself
 *   GET    /api/v1/users/{name}           admin: anyone; viewer: itself
 *   POST   /api/v1/users                  create {name, role, password?}
 *   PATCH  /api/v1/users/{name}           {role?, unlock?: true}
 *   POST   /api/v1/users/{name}/password  reset {password?}
 *   DELETE /api/v1/users/{name}
 *
 * Every change needs role admin (and, from the console, the CSRF token,
 * which the session authenticator checks before the handler runs). A
 * password left out is generated (users_generate_password) and returned
 * once in the answer; it is never stored but as a hash and never written
 * to the audit log or the center's log. Changing a role or a password
 * ends the user's sessions; deleting a user ends them too. The last admin
 * can be neither demoted nor deleted (409), and nobody can delete
 * themself, so the console never loses its last way in. Each change is
 * written to the audit log (handling_audit) in the same transaction as
 * the change itself, with the user as it was before and after (name,
 * role, totp, locked; no secrets). */
#pragma once

#include <stddef.h>

#include "center/http.h"

/* The largest request body of these routes. */
#define API_USERS_MAX_BODY (8 * KiB)

extern const http_route_t api_users_routes[];
extern const size_t api_users_n_routes;
