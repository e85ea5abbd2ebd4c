/* Who is calling: the authentication hook of the center's HTTP server,
 * agents' credentials, and API keys.
 *
 * Agents authenticate with a bearer credential over TLS:
 *   Authorization: Bearer <agent_id>.<secret>
 * where the secret is 256 random bits in hex, handed out once at enrollment
 * and stored on the center only as its SHA-256 (a random 256-bit secret
 * needs no slow hash). Why a bearer secret and not request signing is
 * explained in docs/center.md ("Agent authentication").
 *
 * People and API clients (the read API, enrollment tokens) authenticate by
 * the authenticators registered on the center (center_add_user_auth); this
 * module provides API keys ("Authorization: Bearer vk1.<hex>", created with
 * `vigil center apikey create`), each with a role: viewer or admin. The
 * console's session login adds its own authenticator beside it. */
#pragma once

#include <stdint.h>

#include "center/cdb.h"
#include "center/center.h"
#include "center/http.h"

#define AUTH_SECRET_HEX    64 /* 256 bits */
#define AUTH_APIKEY_PREFIX "vk1."

/* The HTTP auth hook (http_auth_fn) for APP, a center_t. */
int auth_check(void *app, http_req_t *req, http_resp_t *resp);

/* Check the agent credential of REQ. Returns 0 with *RET_AGENT_ID,
 * -ENOENT when there is none, -EACCES when it is malformed, unknown,
 * revoked or wrong, or a database error. */
int auth_agent(center_t *c, const http_req_t *req, int64_t *ret_agent_id);

/* A fresh agent secret and its stored form (SHA-256 hex). Returns 0 or
 * -EIO. */
int auth_new_secret(char ret_secret[AUTH_SECRET_HEX + 1], char ret_hash[65]);

/* Split "ID.SECRET" into its parts. Returns 0 or -EINVAL. */
int auth_parse_agent_credential(const char *cred, int64_t *ret_id,
                                char ret_secret[AUTH_SECRET_HEX + 1]);

/* The bearer token of REQ's Authorization header (borrowed), or NULL. */
const char *auth_bearer(const http_req_t *req);

/* Role names: "viewer" (HTTP_AUTH_VIEWER), "admin" (HTTP_AUTH_ADMIN). */
const char *auth_role_name(int role);
int auth_role_from_name(const char *name, int *ret);

/* Create an API key for NAME with ROLE. *RET_KEY (caller frees) is shown to
 * the admin once; only its hash is kept. RET_ID gets the key's id (16 hex).
 * Returns 0, -EINVAL for a bad name or role, or a database error. */
int auth_apikey_create(cdb_conn_t *conn, const char *name, int role, int64_t now_us, char **ret_key,
                       char ret_id[17]);
/* Revoke the key with ID. Returns 0, -ENOENT, or a database error. */
int auth_apikey_revoke(cdb_conn_t *conn, const char *id);
/* The API key authenticator (a center_user_auth_fn). */
int auth_apikey_user(center_t *c, const http_req_t *req, http_principal_t *principal);
