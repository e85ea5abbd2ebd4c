#include "center/loginlimit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "center/cutil.h"
#include "core/macro.h"
#include "core/text.h"

/* A key: a kind byte and up to 64 bytes (an IPv4 address, the first half
 * of an IPv6 address, or the text when it is no address, cut at 64 bytes:
 * the HTTP layer gives numeric addresses, so text only comes from tests
 * and odd transports, and two such strings that share 64 bytes simply
 * share a count). */
#define KEY_MAX 64

enum { KEY_TEXT = 0, KEY_V4, KEY_V6 };

typedef struct key {
        uint8_t kind;
        uint8_t len;
        uint8_t b[KEY_MAX];
} addr_key_t;

/* One address. An entry is in use when COUNT > 0; its window began at
 * START. */
typedef struct entry {
        addr_key_t key;
        unsigned count;
        int64_t start;
} entry_t;

struct loginlimit {
        unsigned failures;
        int64_t window;
        size_t max, n; /* entries allocated; in use among the first N */
        entry_t *e;
        pthread_mutex_t lock;
};

static void make_key(const char *addr, addr_key_t *k)
{
        struct in6_addr a6;
        struct in_addr a4;
        static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

        memset(k, 0, sizeof(*k));
        if (!addr)
                addr = "";
        if (inet_pton(AF_INET, addr, &a4) == 1) {
                k->kind = KEY_V4;
                k->len = 4;
                memcpy(k->b, &a4, 4);
        } else if (inet_pton(AF_INET6, addr, &a6) == 1) {
                if (memcmp(a6.s6_addr, mapped, sizeof(mapped)) == 0) {
                        k->kind = KEY_V4;
                        k->len = 4;
                        memcpy(k->b, a6.s6_addr + 12, 4);
                } else {
                        k->kind = KEY_V6;
                        k->len = 8; /* the /64 */
                        memcpy(k->b, a6.s6_addr, 8);
                }
        } else {
                size_t n = strnlen(addr, KEY_MAX);
                k->kind = KEY_TEXT;
                k->len = (uint8_t)n;
                memcpy(k->b, addr, n);
        }
}

static bool key_eq(const addr_key_t *a, const addr_key_t *b)
{
        return a->kind == b->kind && a->len == b->len && memcmp(a->b, b->b, a->len) == 0;
}

static bool expired(const loginlimit_t *l, const entry_t *e, int64_t now)
{
        return now - e->start >= l->window || now < e->start;
}

static entry_t *find(loginlimit_t *l, const addr_key_t *k)
{
        for (size_t i = 0; i < l->n; i++)
                if (key_eq(&l->e[i].key, k))
                        return &l->e[i];
        return NULL;
}

int loginlimit_new(unsigned failures, int64_t window_us, size_t max_addrs, loginlimit_t **ret)
{
        loginlimit_t *l;

        if (window_us <= 0 || max_addrs < 1 || max_addrs > LOGINLIMIT_MAX_ADDRS)
                return -EINVAL;
        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->e = calloc(max_addrs, sizeof(*l->e));
        if (!l->e) {
                free(l);
                return -ENOMEM;
        }
        l->failures = failures;
        l->window = window_us;
        l->max = max_addrs;
        pthread_mutex_init(&l->lock, NULL);
        *ret = l;
        return 0;
}

void loginlimit_free(loginlimit_t *l)
{
        if (!l)
                return;
        pthread_mutex_destroy(&l->lock);
        free(l->e);
        free(l);
}

int loginlimit_check(loginlimit_t *l, const char *addr, int64_t now_us, int64_t *ret_retry_us)
{
        int64_t retry = 0;
        entry_t *e;
        addr_key_t k;

        if (!l || l->failures == 0)
                return 0;
        make_key(addr, &k);
        pthread_mutex_lock(&l->lock);
        e = find(l, &k);
        if (e && !expired(l, e, now_us) && e->count >= l->failures)
                retry = e->start + l->window - now_us;
        pthread_mutex_unlock(&l->lock);
        if (retry <= 0)
                return 0;
        if (ret_retry_us)
                *ret_retry_us = MAX(retry, USEC_PER_SEC);
        return -EAGAIN;
}

/* The entry to take for a new address: a free slot, else one whose window
 * has ended, else the one whose window began longest ago. */
static entry_t *take_slot(loginlimit_t *l, int64_t now)
{
        entry_t *oldest = NULL;

        if (l->n < l->max)
                return &l->e[l->n++];
        for (size_t i = 0; i < l->n; i++) {
                entry_t *e = &l->e[i];
                if (expired(l, e, now))
                        return e;
                if (!oldest || e->start < oldest->start)
                        oldest = e;
        }
        return oldest;
}

void loginlimit_fail(loginlimit_t *l, const char *addr, int64_t now_us)
{
        entry_t *e;
        addr_key_t k;

        if (!l || l->failures == 0)
                return;
        make_key(addr, &k);
        pthread_mutex_lock(&l->lock);
        e = find(l, &k);
        if (!e) {
                e = take_slot(l, now_us);
                e->key = k;
                e->count = 0;
        }
        if (e->count == 0 || expired(l, e, now_us)) {
                e->start = now_us;
                e->count = 0;
        }
        if (e->count < UINT32_MAX)
                e->count++;
        pthread_mutex_unlock(&l->lock);
}

int loginlimit_refuse(http_resp_t *resp, int64_t retry_us)
{
        char secs[24];
        int r;

        snprintf(secs, sizeof(secs), "%lld",
                 (long long)((MAX(retry_us, USEC_PER_SEC) + USEC_PER_SEC - 1) / USEC_PER_SEC));
        r = http_resp_error(resp, 429, "rate_limited",
                            "too many failed logins from this address; try again in %s s", secs);
        if (r == 0)
                r = http_resp_header(resp, "Retry-After", secs);
        return r;
}

size_t loginlimit_size(loginlimit_t *l)
{
        size_t n;

        pthread_mutex_lock(&l->lock);
        n = l->n;
        pthread_mutex_unlock(&l->lock);
        return n;
}

int loginlimit_config(const config_t *cfg, unsigned *ret_failures, int64_t *ret_window_us,
                      char **ret_error)
{
        static const char k_fail[] = "center.console.login_limit.failures";
        static const char k_window[] = "center.console.login_limit.window";
        unsigned failures = LOGINLIMIT_DEFAULT_FAILURES;
        int64_t window = LOGINLIMIT_DEFAULT_WINDOW_US;
        json_t *j;

        *ret_error = NULL;
        j = cfg ? config_get(cfg, k_fail) : NULL;
        if (j && !json_is_null(j)) {
                if (!json_is_integer(j) || json_integer_value(j) < 0 ||
                    json_integer_value(j) > LOGINLIMIT_FAILURES_MAX) {
                        *ret_error = str_printf("%s: must be an integer from 0 (off) to %d", k_fail,
                                                LOGINLIMIT_FAILURES_MAX);
                        return *ret_error ? -EINVAL : -ENOMEM;
                }
                failures = (unsigned)json_integer_value(j);
        }
        j = cfg ? config_get(cfg, k_window) : NULL;
        if (j && !json_is_null(j)) {
                bool ok = false;
                if (json_is_integer(j) && json_integer_value(j) > 0 &&
                    json_integer_value(j) <= LOGINLIMIT_WINDOW_MAX_US / USEC_PER_SEC) {
                        window = json_integer_value(j) * USEC_PER_SEC;
                        ok = true;
                } else if (json_is_string(j) &&
                           cutil_parse_duration(json_string_value(j), &window) == 0 &&
                           window <= LOGINLIMIT_WINDOW_MAX_US)
                        ok = true;
                if (!ok) {
                        *ret_error = str_printf("%s: must be a duration from 1s to 7d, like 10m",
                                                k_window);
                        return *ret_error ? -EINVAL : -ENOMEM;
                }
        }
        *ret_failures = failures;
        *ret_window_us = window;
        return 0;
}
