/* Per-agent rate limits for intake: a token bucket for each agent id,
 * refilled at RATE tokens per second up to BURST. An item costs one token
 * and a request one more, so a flood of tiny requests is limited as well as
 * a flood of items. The buckets live in this process only: with several
 * center processes behind a load balancer an agent gets at most the rate
 * times the number of processes, which is still a bound. The table holds at
 * most RATELIMIT_MAX_KEYS agents; when it is full it is emptied, which
 * refills everyone's bucket once (fail open, never fail closed). */
#pragma once

#include <stdint.h>

#define RATELIMIT_MAX_KEYS (1u << 16)

typedef struct ratelimit ratelimit_t;

/* RATE <= 0 disables the limit. Returns NULL when out of memory. */
ratelimit_t *ratelimit_new(double rate, double burst);
void ratelimit_free(ratelimit_t *rl);

/* Take COST tokens from KEY's bucket at time NOW_US (monotonic). Returns 0,
 * or -EAGAIN when there are not enough (nothing is taken) with
 * *RET_RETRY_US (may be NULL) the wait until there will be. A COST above
 * the burst can never pass: -E2BIG. */
int ratelimit_take(ratelimit_t *rl, int64_t key, double cost, int64_t now_us,
                   int64_t *ret_retry_us);
