#include "center/ratelimit.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"

struct slot {
        int64_t key; /* 0: empty */
        double tokens;
        int64_t updated_us;
};

struct ratelimit {
        double rate, burst;
        pthread_mutex_t lock;
        struct slot *slots; /* 2 * RATELIMIT_MAX_KEYS, open addressing */
        size_t used;
};

#define N_SLOTS (2 * (size_t)RATELIMIT_MAX_KEYS)

ratelimit_t *ratelimit_new(double rate, double burst)
{
        ratelimit_t *rl = calloc(1, sizeof(*rl));

        if (!rl)
                return NULL;
        rl->rate = rate;
        rl->burst = burst > 0 ? burst : rate;
        pthread_mutex_init(&rl->lock, NULL);
        return rl;
}

void ratelimit_free(ratelimit_t *rl)
{
        if (!rl)
                return;
        pthread_mutex_destroy(&rl->lock);
        free(rl->slots);
        free(rl);
}

static struct slot *find(ratelimit_t *rl, int64_t key)
{
        size_t i = hash_fnv1a(&key, sizeof(key)) & (N_SLOTS - 1);

        for (;;) {
                struct slot *s = &rl->slots[i];
                if (s->key == key || s->key == 0)
                        return s;
                i = (i + 1) & (N_SLOTS - 1);
        }
}

int ratelimit_take(ratelimit_t *rl, int64_t key, double cost, int64_t now_us, int64_t *ret_retry_us)
{
        struct slot *s;
        int r = 0;

        if (rl->rate <= 0)
                return 0;
        if (cost > rl->burst)
                return -E2BIG;
        if (key == 0)
                key = -1;
        pthread_mutex_lock(&rl->lock);
        if (!rl->slots) {
                /* Allocated lazily, so a center with limits off pays nothing. */
                rl->slots = calloc(N_SLOTS, sizeof(*rl->slots));
                if (!rl->slots) {
                        pthread_mutex_unlock(&rl->lock);
                        return 0;
                }
        }
        s = find(rl, key);
        if (s->key == 0) {
                if (rl->used >= RATELIMIT_MAX_KEYS) {
                        memset(rl->slots, 0, N_SLOTS * sizeof(*rl->slots));
                        rl->used = 0;
                        s = find(rl, key);
                }
                s->key = key;
                s->tokens = rl->burst;
                s->updated_us = now_us;
                rl->used++;
        }
        if (now_us > s->updated_us) {
                s->tokens += (double)(now_us - s->updated_us) / 1e6 * rl->rate;
                if (s->tokens > rl->burst)
                        s->tokens = rl->burst;
                s->updated_us = now_us;
        }
        if (s->tokens >= cost) {
                s->tokens -= cost;
        } else {
                if (ret_retry_us)
                        *ret_retry_us = (int64_t)((cost - s->tokens) / rl->rate * 1e6) + 1;
                r = -EAGAIN;
        }
        pthread_mutex_unlock(&rl->lock);
        return r;
}
