/* A limit on failed console logins per client address, beside the
 * per-account lockout of users.h. The lockout stops guessing at one
 * account; this stops one address from trying a few passwords on each of
 * many accounts (a spray), which the lockout never sees.
 *
 * When one address has made FAILURES failed logins within WINDOW of the
 * first of them, its further attempts are refused (the caller answers 429
 * with Retry-After) until that window ends; nothing is checked for them,
 * so a refused attempt costs no password hashing. A success does not
 * clear the count: an attacker with one valid account could otherwise
 * reset it between guesses. Addresses are counted by network: an IPv4
 * address as itself (also when written as ::ffff:a.b.c.d), an IPv6
 * address by its /64, since one host usually holds a whole /64 and could
 * otherwise step through it. Text that is no address is counted as it is.
 *
 * The counts live in this process only (with several center processes
 * behind a load balancer an address gets the limit once per process,
 * still a bound) in a table of at most LOGINLIMIT_MAX_ADDRS addresses;
 * when it is full, a finished window's entry is reused or else the entry
 * whose window began longest ago is dropped. The table is safe to use
 * from several threads at once. Every function takes the time as an
 * argument (microseconds; any clock, as long as it is always the same
 * one), so tests control it. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "center/http.h"
#include "core/config.h"

#define LOGINLIMIT_MAX_ADDRS         4096
#define LOGINLIMIT_DEFAULT_FAILURES  20
#define LOGINLIMIT_DEFAULT_WINDOW_US (10LL * 60 * 1000000)
#define LOGINLIMIT_FAILURES_MAX      1000000
#define LOGINLIMIT_WINDOW_MAX_US     (7LL * 24 * 3600 * 1000000)

typedef struct loginlimit loginlimit_t;

/* The settings center.console.login_limit.failures (0 to
 * LOGINLIMIT_FAILURES_MAX; 0 turns the limit off) and
 * center.console.login_limit.window (a duration such as "10m", or whole
 * seconds; up to 7 days) of CFG (may be NULL) into *RET_FAILURES and
 * *RET_WINDOW_US, the defaults where they are not set. Returns 0, or
 * -EINVAL with *RET_ERROR (caller frees) naming the bad key, or -ENOMEM. */
int loginlimit_config(const config_t *cfg, unsigned *ret_failures, int64_t *ret_window_us,
                      char **ret_error);

/* A table for FAILURES failures per WINDOW_US (FAILURES 0: the limit is
 * off and every check passes) holding at most MAX_ADDRS addresses (1 to
 * LOGINLIMIT_MAX_ADDRS). Returns 0 with *RET (free with loginlimit_free),
 * -EINVAL for a window <= 0 or a bad MAX_ADDRS, or -ENOMEM. */
int loginlimit_new(unsigned failures, int64_t window_us, size_t max_addrs, loginlimit_t **ret);
/* Accepts NULL. */
void loginlimit_free(loginlimit_t *l);

/* Whether ADDR (the client address as text; NULL counts as "") may try
 * to log in at NOW_US. Returns 0, or -EAGAIN with *RET_RETRY_US (may be
 * NULL) the time until its window ends (at least 1 s). Accepts a NULL L
 * (no limit). */
int loginlimit_check(loginlimit_t *l, const char *addr, int64_t now_us, int64_t *ret_retry_us);

/* Count a failed login from ADDR at NOW_US. Accepts a NULL L. */
void loginlimit_fail(loginlimit_t *l, const char *addr, int64_t now_us);

/* Fill RESP with the refusal of a login over the limit: 429
 * {"error": "rate_limited", ...} with Retry-After the whole seconds of
 * RETRY_US, rounded up. Returns 0, or -ENOMEM/-E2BIG from the HTTP layer. */
int loginlimit_refuse(http_resp_t *resp, int64_t retry_us);

/* How many addresses the table holds now (for tests). */
size_t loginlimit_size(loginlimit_t *l);
