#include "detect/login/pidtab.h"

#include <stdlib.h>
#include <string.h>

pidtab_t *pidtab_new(void)
{
        return calloc(1, sizeof(pidtab_t));
}

/* FNV-1a over the parts, with separators so ("ab","c") and ("a","bc")
 * differ. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
        const unsigned char *s = p;
        for (size_t i = 0; i < n; i++) {
                h ^= s[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

uint64_t pidtab_key(const char *service, const char *host, size_t host_len, pid_t pid)
{
        uint64_t h = 0xcbf29ce484222325ULL;
        uint32_t p = (uint32_t)pid;

        if (pid <= 0)
                return 0;
        h = fnv(h, service, strlen(service) + 1);
        h = fnv(h, host, host_len);
        h = fnv(h, "\0", 1);
        h = fnv(h, &p, sizeof(p));
        return h ? h : 1;
}

static pidtab_entry_t *bucket(pidtab_t *t, uint64_t key)
{
        return &t->slots[((key >> 7) ^ key) % PIDTAB_BUCKETS * PIDTAB_WAYS];
}

static bool expired(const pidtab_t *t, const pidtab_entry_t *e, int64_t when)
{
        if (t->seq - e->seq > PIDTAB_EXPIRE_LINES)
                return true;
        if (when && e->when &&
            (when - e->when > PIDTAB_EXPIRE_US || e->when - when > PIDTAB_EXPIRE_US))
                return true;
        return false;
}

static pidtab_entry_t *lookup(pidtab_t *t, uint64_t key)
{
        pidtab_entry_t *b = bucket(t, key);

        for (size_t i = 0; i < PIDTAB_WAYS; i++)
                if (b[i].key == key)
                        return &b[i];
        return NULL;
}

void pidtab_learn(pidtab_t *t, uint64_t key, int64_t when, const logevent_t *e)
{
        pidtab_entry_t *b, *slot;

        if (!key || !e->src[0])
                return;
        t->seq++;
        slot = lookup(t, key);
        if (!slot) {
                b = bucket(t, key);
                slot = &b[0];
                for (size_t i = 0; i < PIDTAB_WAYS; i++) {
                        if (!b[i].key) {
                                slot = &b[i];
                                break;
                        }
                        if (b[i].seq < slot->seq)
                                slot = &b[i];
                }
                slot->user[0] = 0;
                slot->flags = 0;
                slot->port = 0;
        } else if (strcmp(slot->src, e->src) != 0 ||
                   (e->port && slot->port && e->port != slot->port) || expired(t, slot, when)) {
                /* A different peer on the same pid is a new connection. */
                slot->user[0] = 0;
                slot->flags = 0;
                slot->port = 0;
        }
        slot->key = key;
        slot->seq = t->seq;
        slot->when = when;
        slot->has_ip = e->has_ip;
        slot->ip = e->src_ip;
        slot->port = e->port ? e->port : slot->port;
        memcpy(slot->src, e->src, strlen(e->src) + 1);
        if (e->user[0])
                memcpy(slot->user, e->user, strlen(e->user) + 1);
}

bool pidtab_fill(pidtab_t *t, uint64_t key, int64_t when, logevent_t *e)
{
        pidtab_entry_t *slot;

        if (!key)
                return false;
        slot = lookup(t, key);
        if (!slot)
                return false;
        if (expired(t, slot, when)) {
                slot->key = 0;
                return false;
        }
        memcpy(e->src, slot->src, strlen(slot->src) + 1);
        e->has_ip = slot->has_ip;
        e->src_ip = slot->ip;
        if (!e->port)
                e->port = slot->port;
        if (!e->user[0])
                memcpy(e->user, slot->user, strlen(slot->user) + 1);
        return true;
}

unsigned pidtab_set_flags(pidtab_t *t, uint64_t key, int64_t when, unsigned flags)
{
        pidtab_entry_t *slot = key ? lookup(t, key) : NULL;
        unsigned old;

        if (!slot || expired(t, slot, when))
                return 0;
        old = slot->flags;
        slot->flags |= flags;
        return old;
}

void pidtab_forget(pidtab_t *t, uint64_t key)
{
        pidtab_entry_t *slot = key ? lookup(t, key) : NULL;

        if (slot)
                slot->key = 0;
}

void pidtab_clear(pidtab_t *t)
{
        memset(t, 0, sizeof(*t));
}
