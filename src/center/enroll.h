/* Enrollment: how an agent gets its credential.
 *
 * An admin creates an enrollment token (in the console, through
 * POST /api/v1/enroll-tokens, or `vigil center token create`): single-use
 * or good for N enrollments, always with an expiry. The token is shown
 * once; the center keeps only its SHA-256. An agent then calls
 * POST /api/v1/agent/enroll {token, hostname, os, ...} and gets a new
 * agent id and a per-agent secret (256 random bits, also kept only as a
 * SHA-256), which it uses for every later request (auth.h). Consuming a use
 * of the token and creating the host happen in one transaction, and the
 * use is taken by a conditional UPDATE, so N concurrent enrollments on
 * several center processes can never use a token more than N times. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "center/cdb.h"
#include "center/http.h"

#define ENROLL_TOKEN_PREFIX "vet1."
#define ENROLL_MAX_USES     1000000
#define ENROLL_MIN_TTL_US   (60LL * 1000000)
#define ENROLL_MAX_TTL_US   (366LL * 24 * 3600 * 1000000)

/* Create a token good for USES enrollments until NOW_US + TTL_US. *RET_TOKEN
 * (caller frees) is the secret to hand to agents; RET_ID its public id.
 * Returns 0, -EINVAL for uses or ttl out of range or a bad note, or a
 * database error. */
int enroll_token_create(cdb_conn_t *c, unsigned uses, int64_t ttl_us, const char *note,
                        const char *created_by, int64_t now_us, char **ret_token, char ret_id[17]);
/* Revoke the token with ID. Returns 0, -ENOENT, or a database error. */
int enroll_token_revoke(cdb_conn_t *c, const char *id);
/* Every token (without secrets) as a JSON array, newest first. */
int enroll_token_list(cdb_conn_t *c, int64_t now_us, json_t **ret);

/* What an agent says about itself when it enrolls. */
typedef struct enroll_info {
        const char *hostname; /* required */
        const char *os, *os_version, *arch, *kernel, *agent_version;
} enroll_info_t;

/* Enroll a host with TOKEN. Returns 0 with *RET_ID and RET_SECRET; -EACCES
 * when the token is refused, with *RET_REASON a static explanation
 * ("unknown", "expired", "revoked", "used up"); or a database error. */
int enroll_agent(cdb_conn_t *c, const char *token, const enroll_info_t *info, int64_t now_us,
                 int64_t *ret_id, char ret_secret[65], const char **ret_reason);

/* Routes: the agent's enrollment and the admin's token endpoints. */
extern const http_route_t enroll_routes[];
extern const size_t enroll_n_routes;
