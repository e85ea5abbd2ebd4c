#include "detect/netattack/portscan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "core/alert.h"
#include "core/macro.h"
#include "core/timeutil.h"

#define INLINE_PORTS 8
#define INLINE_HOSTS 4
/* Sources whose reminder waits for the next tick; past this many the
 * reminder is sent at once. */
#define MAX_PENDING 4096

enum { KIND_VERTICAL, KIND_HORIZONTAL, KIND__MAX };

static const char *const kind_names[KIND__MAX] = { "vertical", "horizontal" };
static const char *const kind_rules[KIND__MAX] = { "netattack.portscan.vertical",
                                                   "netattack.portscan.horizontal" };

/* One source. Links are slot numbers plus one, so that zeroed memory reads
 * as "no link" and the table needs no initialisation pass. Invariants: a
 * source in use is on exactly one hash chain and on the LRU list; while it
 * has no tracked record, ports[0..MIN(nports, INLINE_PORTS)) and
 * hosts[0..MIN(nhosts, INLINE_HOSTS)) are its distinct ports and address
 * hashes of the current window (it gets a tracked record before either
 * overflows). */
typedef struct src {
        ipaddr_t addr;
        ipaddr_t first_dst; /* the first local address of the window */
        int64_t win_start_us;
        int64_t first_us, last_us;
        int64_t alerted_us[KIND__MAX];
        uint32_t hash;       /* of addr, for the bucket */
        uint32_t hnext;      /* hash chain */
        uint32_t prev, next; /* LRU list, most recent first */
        uint32_t track;      /* tracked record, 0 when none */
        uint32_t syns;
        uint16_t nports; /* distinct ports in the window, ≤ ports_suspicious */
        uint16_t nhosts; /* distinct local addresses in the window, ≤ hosts_suspicious */
        uint16_t ports[INLINE_PORTS];
        uint32_t hosts[INLINE_HOSTS]; /* address hashes, never 0 */
        uint8_t alerted_level[KIND__MAX];
        uint8_t pending[KIND__MAX]; /* level of a held reminder, 0 when none */
        bool in_use;
        bool on_pending_list;
} src_t;

/* The full state of a source that went past the inline sets. The record
 * is followed in the same allocation by its two open-addressing sets:
 * port_slots ports (uint16_t, 0 is empty; port 0 itself is the has_port0
 * flag) and host_slots address hashes (uint32_t, 0 is empty), each at most
 * half full, since the counts stop at the suspicious thresholds. */
typedef struct track {
        uint32_t owner;      /* source slot + 1, 0 when free */
        uint32_t prev, next; /* LRU among tracked records */
        bool has_port0;
        uint8_t n_sample_ports;
        uint8_t n_sample_hosts;
        uint16_t sample_ports[PORTSCAN_SAMPLE_PORTS];
        ipaddr_t sample_hosts[PORTSCAN_SAMPLE_HOSTS];
} track_t;

struct portscan {
        portscan_opts_t o;
        ipnet_t *allow;
        alert_sink_t sink;
        uint64_t key[2];   /* hash key, random per detector */
        uint32_t port_key; /* odd multiplier for the port sets, random */
        size_t port_slots; /* a power of two ≥ 2 × ports_suspicious */
        size_t host_slots; /* a power of two ≥ 2 × hosts_suspicious */
        size_t track_bytes;

        src_t *srcs; /* max_sources slots, touched as used */
        uint32_t *buckets;
        size_t n_buckets; /* a power of two */
        uint32_t used_hw; /* slots ever used (the rest are untouched) */
        uint32_t free_list;
        uint32_t lru_head, lru_tail;
        size_t n_sources;

        track_t **tracks; /* max_tracked pointers, allocated as needed */
        uint32_t tracks_hw;
        uint32_t track_free;
        uint32_t tlru_head, tlru_tail;
        size_t n_tracked;

        uint32_t *pending;
        size_t n_pending;

        portscan_stats_t stats;
};

void portscan_opts_default(portscan_opts_t *o)
{
        *o = (portscan_opts_t){
                .window_us = 60 * 1000000LL,
                .cooldown_us = 600 * 1000000LL,
                .ports = 20,
                .ports_suspicious = 200,
                .hosts = 8,
                .hosts_suspicious = 32,
                .max_sources = 65536,
                .max_tracked = 1024,
        };
}

int portscan_opts_check(const portscan_opts_t *o, const char **ret_why)
{
        const char *why = NULL;

        if (o->window_us <= 0)
                why = "the window must be at least one second";
        else if (o->cooldown_us < 0)
                why = "the cool-down must not be negative";
        else if (o->ports < 2 || o->ports > PORTSCAN_MAX_PORTS)
                why = "ports must be between 2 and 4096";
        else if (o->ports_suspicious < o->ports || o->ports_suspicious > PORTSCAN_MAX_PORTS)
                why = "ports_suspicious must be between ports and 4096";
        else if (o->hosts < 2 || o->hosts > PORTSCAN_MAX_HOSTS)
                why = "hosts must be between 2 and 1024";
        else if (o->hosts_suspicious < o->hosts || o->hosts_suspicious > PORTSCAN_MAX_HOSTS)
                why = "hosts_suspicious must be between hosts and 1024";
        else if (o->max_sources < 16 || o->max_sources > PORTSCAN_MAX_SOURCES_LIMIT)
                why = "max_sources must be between 16 and 4194304";
        else if (o->max_tracked < 1 || o->max_tracked > PORTSCAN_MAX_TRACKED_LIMIT)
                why = "max_tracked must be between 1 and 65536";
        else if (o->n_allow > 0 && !o->allow)
                why = "allowlist missing";
        if (why) {
                if (ret_why)
                        *ret_why = why;
                return -EINVAL;
        }
        return 0;
}

/* SipHash-2-4 over N bytes: a keyed hash, so that an attacker who picks
 * spoofed source addresses cannot aim them all at one hash chain. */
static inline uint64_t rotl64(uint64_t x, int b)
{
        return (x << b) | (x >> (64 - b));
}

#define SIPROUND                                                                                   \
        do {                                                                                       \
                v0 += v1;                                                                          \
                v1 = rotl64(v1, 13);                                                               \
                v1 ^= v0;                                                                          \
                v0 = rotl64(v0, 32);                                                               \
                v2 += v3;                                                                          \
                v3 = rotl64(v3, 16);                                                               \
                v3 ^= v2;                                                                          \
                v0 += v3;                                                                          \
                v3 = rotl64(v3, 21);                                                               \
                v3 ^= v0;                                                                          \
                v2 += v1;                                                                          \
                v1 = rotl64(v1, 17);                                                               \
                v1 ^= v2;                                                                          \
                v2 = rotl64(v2, 32);                                                               \
        } while (0)

static uint64_t siphash24(const uint64_t key[2], const uint8_t *p, size_t n)
{
        uint64_t v0 = 0x736f6d6570736575ULL ^ key[0];
        uint64_t v1 = 0x646f72616e646f6dULL ^ key[1];
        uint64_t v2 = 0x6c7967656e657261ULL ^ key[0];
        uint64_t v3 = 0x7465646279746573ULL ^ key[1];
        uint64_t b = (uint64_t)n << 56, m;
        size_t i = 0;

        for (; i + 8 <= n; i += 8) {
                m = 0;
                for (int k = 0; k < 8; k++)
                        m |= (uint64_t)p[i + k] << (8 * k);
                v3 ^= m;
                SIPROUND;
                SIPROUND;
                v0 ^= m;
        }
        for (int k = 0; i < n; i++, k++)
                b |= (uint64_t)p[i] << (8 * k);
        v3 ^= b;
        SIPROUND;
        SIPROUND;
        v0 ^= b;
        v2 ^= 0xff;
        SIPROUND;
        SIPROUND;
        SIPROUND;
        SIPROUND;
        return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t addr_hash(const portscan_t *ps, const ipaddr_t *a, uint8_t salt)
{
        uint8_t buf[18];

        buf[0] = salt;
        buf[1] = a->family == AF_INET ? 4 : 6;
        memcpy(buf + 2, a->bytes, 16);
        return siphash24(ps->key, buf, a->family == AF_INET ? 6 : 18);
}

/* The hash of a local address for the distinct-address sets (never 0). */
static uint32_t host_hash(const portscan_t *ps, const ipaddr_t *a)
{
        uint32_t h = (uint32_t)addr_hash(ps, a, 1);
        return h ? h : 1;
}

static bool allowlisted(const portscan_t *ps, const ipaddr_t *a)
{
        for (size_t i = 0; i < ps->o.n_allow; i++)
                if (ipnet_contains(&ps->allow[i], a))
                        return true;
        return false;
}

static inline src_t *S(const portscan_t *ps, uint32_t link)
{
        return &ps->srcs[link - 1];
}

static inline uint32_t slot_of(const portscan_t *ps, const src_t *s)
{
        return (uint32_t)(s - ps->srcs) + 1;
}

static inline track_t *T(const portscan_t *ps, uint32_t link)
{
        return ps->tracks[link - 1];
}

static inline uint16_t *track_ports(const portscan_t *ps, track_t *t)
{
        (void)ps;
        return (uint16_t *)(t + 1);
}

static inline uint32_t *track_hosts(const portscan_t *ps, track_t *t)
{
        return (uint32_t *)(track_ports(ps, t) + ps->port_slots);
}

/* ---- LRU lists ---------------------------------------------------------- */

static void lru_unlink(portscan_t *ps, src_t *s)
{
        if (s->prev)
                S(ps, s->prev)->next = s->next;
        else
                ps->lru_head = s->next;
        if (s->next)
                S(ps, s->next)->prev = s->prev;
        else
                ps->lru_tail = s->prev;
        s->prev = s->next = 0;
}

static void lru_push_head(portscan_t *ps, src_t *s)
{
        uint32_t me = slot_of(ps, s);

        s->prev = 0;
        s->next = ps->lru_head;
        if (ps->lru_head)
                S(ps, ps->lru_head)->prev = me;
        ps->lru_head = me;
        if (!ps->lru_tail)
                ps->lru_tail = me;
}

static void tlru_unlink(portscan_t *ps, track_t *t)
{
        if (t->prev)
                T(ps, t->prev)->next = t->next;
        else
                ps->tlru_head = t->next;
        if (t->next)
                T(ps, t->next)->prev = t->prev;
        else
                ps->tlru_tail = t->prev;
        t->prev = t->next = 0;
}

static void tlru_push_head(portscan_t *ps, track_t *t, uint32_t me)
{
        t->prev = 0;
        t->next = ps->tlru_head;
        if (ps->tlru_head)
                T(ps, ps->tlru_head)->prev = me;
        ps->tlru_head = me;
        if (!ps->tlru_tail)
                ps->tlru_tail = me;
}

/* ---- tracked records ---------------------------------------------------- */

static int emit_pending(portscan_t *ps, src_t *s);

static void track_release(portscan_t *ps, src_t *s)
{
        track_t *t;

        if (!s->track)
                return;
        t = T(ps, s->track);
        tlru_unlink(ps, t);
        t->owner = 0;
        /* The free list reuses the LRU "next" link. */
        t->next = ps->track_free;
        ps->track_free = s->track;
        s->track = 0;
        ps->n_tracked--;
}

static void window_reset(src_t *s, int64_t t)
{
        s->win_start_us = t;
        s->first_us = s->last_us = t;
        s->syns = 0;
        s->nports = 0;
        s->nhosts = 0;
        memset(s->ports, 0, sizeof(s->ports));
        memset(s->hosts, 0, sizeof(s->hosts));
        memset(&s->first_dst, 0, sizeof(s->first_dst));
}

/* Insert H (never 0) into the address set; true when it was new. The set
 * is never more than half full, so a free slot is always found. */
static bool hostset_add(const portscan_t *ps, track_t *t, uint32_t h)
{
        uint32_t *set = track_hosts(ps, t);
        size_t mask = ps->host_slots - 1;

        for (size_t i = h & mask;; i = (i + 1) & mask) {
                if (set[i] == h)
                        return false;
                if (set[i] == 0) {
                        set[i] = h;
                        return true;
                }
        }
}

/* Insert PORT into the port set; true when it was new. */
static bool portset_add(const portscan_t *ps, track_t *t, uint16_t port)
{
        uint16_t *set = track_ports(ps, t);
        size_t mask = ps->port_slots - 1;

        if (port == 0) {
                bool was = t->has_port0;
                t->has_port0 = true;
                return !was;
        }
        /* A keyed multiplicative hash: the scanner picks the ports, so the
         * slots they land in must not be predictable. */
        for (size_t i = ((uint32_t)port * ps->port_key) >> 16 & mask;; i = (i + 1) & mask) {
                if (set[i] == port)
                        return false;
                if (set[i] == 0) {
                        set[i] = port;
                        return true;
                }
        }
}

/* Give S a tracked record holding its inline sets. Takes the least
 * recently used record from another source when the pool is full; that
 * source starts a fresh window. Returns 0 or -ENOMEM. */
static int track_acquire(portscan_t *ps, src_t *s)
{
        uint32_t link;
        track_t *t;

        if (ps->track_free) {
                link = ps->track_free;
                t = T(ps, link);
                ps->track_free = t->next;
        } else if (ps->tracks_hw < ps->o.max_tracked) {
                t = malloc(ps->track_bytes);
                if (!t)
                        return -ENOMEM;
                ps->tracks[ps->tracks_hw++] = t;
                link = ps->tracks_hw;
        } else {
                src_t *victim;

                link = ps->tlru_tail;
                t = T(ps, link);
                victim = S(ps, t->owner);
                /* Held reminders of the victim go out with the counts they
                 * were raised on; a sink error is counted in the stats. */
                (void)emit_pending(ps, victim);
                track_release(ps, victim);
                window_reset(victim, victim->last_us);
                ps->stats.tracked_evicted++;
                link = ps->track_free;
                ps->track_free = t->next;
        }
        memset(t, 0, ps->track_bytes);
        t->owner = slot_of(ps, s);
        tlru_push_head(ps, t, link);
        s->track = link;
        ps->n_tracked++;

        for (uint32_t i = 0; i < MIN(s->nports, (uint16_t)INLINE_PORTS); i++) {
                portset_add(ps, t, s->ports[i]);
                t->sample_ports[t->n_sample_ports++] = s->ports[i];
        }
        for (uint32_t i = 0; i < MIN(s->nhosts, (uint16_t)INLINE_HOSTS); i++)
                hostset_add(ps, t, s->hosts[i]);
        if (s->nhosts > 0)
                t->sample_hosts[t->n_sample_hosts++] = s->first_dst;
        return 0;
}

/* ---- the source table --------------------------------------------------- */

static src_t *lookup(portscan_t *ps, const ipaddr_t *a, uint32_t *ret_hash)
{
        uint32_t h = (uint32_t)addr_hash(ps, a, 0);

        *ret_hash = h;
        for (uint32_t l = ps->buckets[h & (ps->n_buckets - 1)]; l; l = S(ps, l)->hnext)
                if (S(ps, l)->hash == h && ipaddr_equal(&S(ps, l)->addr, a))
                        return S(ps, l);
        return NULL;
}

static void hash_unlink(portscan_t *ps, src_t *s)
{
        size_t b = s->hash & (ps->n_buckets - 1);
        uint32_t me = slot_of(ps, s);

        if (ps->buckets[b] == me) {
                ps->buckets[b] = s->hnext;
        } else {
                for (uint32_t l = ps->buckets[b]; l; l = S(ps, l)->hnext)
                        if (S(ps, l)->hnext == me) {
                                S(ps, l)->hnext = s->hnext;
                                break;
                        }
        }
        s->hnext = 0;
}

/* Forget S entirely (its held reminders are sent first). Returns the
 * error of sending them, the source is gone either way. */
static int src_drop(portscan_t *ps, src_t *s)
{
        int r = emit_pending(ps, s);

        track_release(ps, s);
        hash_unlink(ps, s);
        lru_unlink(ps, s);
        memset(s, 0, sizeof(*s));
        s->hnext = ps->free_list; /* the free list reuses the chain link */
        ps->free_list = slot_of(ps, s);
        ps->n_sources--;
        return r;
}

/* A slot for a new source: a free one, an untouched one, or the least
 * recently seen source's. *RET_ERR gets an error from sending the evicted
 * source's held reminders. */
static src_t *src_alloc(portscan_t *ps, int *ret_err)
{
        src_t *s;

        if (!ps->free_list && ps->used_hw >= ps->o.max_sources) {
                int r = src_drop(ps, S(ps, ps->lru_tail));
                if (r < 0 && *ret_err == 0)
                        *ret_err = r;
                ps->stats.sources_evicted++;
        }
        if (ps->free_list) {
                s = S(ps, ps->free_list);
                ps->free_list = s->hnext;
                s->hnext = 0;
        } else {
                s = &ps->srcs[ps->used_hw++];
        }
        return s;
}

/* ---- alerts ------------------------------------------------------------- */

static int cmp_u16(const void *a, const void *b)
{
        return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static int add_iso(alert_t *a, const char *key, int64_t t)
{
        char iso[TIMEUTIL_ISO_LEN];

        timeutil_format_iso(t, iso, sizeof(iso));
        return alert_add_evidence_str(a, key, iso);
}

static alert_t *build_alert(const portscan_t *ps, const src_t *s, int kind, alert_level_t level)
{
        _cleanup_alert_ alert_t *a = NULL;
        uint16_t ports[PORTSCAN_SAMPLE_PORTS];
        char src[IPADDR_STR_MAX], ip[IPADDR_STR_MAX];
        const track_t *t = s->track ? T(ps, s->track) : NULL;
        size_t n_ports;
        json_t *arr;
        long long secs = (s->last_us - s->first_us + 999999) / 1000000;

        ipaddr_format(&s->addr, src);
        a = alert_new(ALERT_NETWORK_ATTACK, kind_rules[kind], src, level, s->last_us);
        if (!a)
                return NULL;

        if (t) {
                n_ports = t->n_sample_ports;
                memcpy(ports, t->sample_ports, n_ports * sizeof(ports[0]));
        } else {
                n_ports = MIN(s->nports, (uint16_t)INLINE_PORTS);
                memcpy(ports, s->ports, n_ports * sizeof(ports[0]));
        }
        qsort(ports, n_ports, sizeof(ports[0]), cmp_u16);

        if (kind == KIND_VERTICAL) {
                if (alert_set_title(a, "Port scan from %s: %u ports tried in %llds", src,
                                    (unsigned)s->nports, secs) < 0)
                        return NULL;
        } else if (alert_set_title(a, "Port scan from %s across %u local addresses", src,
                                   (unsigned)s->nhosts) < 0)
                return NULL;
        if (alert_set_remediation(
                    a,
                    "Port scans are common on the Internet and mostly harmless on their own. "
                    "Make sure only the services you need listen on public addresses (ss -tlnp) "
                    "and that the firewall drops the rest. If %s goes on scanning or also tries "
                    "to log in, block it, for example: nft add element inet vigil %s { %s "
                    "timeout 1h } (the table exists once response.block is enabled).",
                    src, s->addr.family == AF_INET ? "blocked4" : "blocked6", src) < 0)
                return NULL;

        if (alert_add_evidence_str(a, "src", src) < 0 ||
            alert_add_evidence_str(a, "kind", kind_names[kind]) < 0 ||
            alert_add_evidence_int(a, "ports_count", s->nports) < 0 ||
            alert_add_evidence_int(a, "local_addresses_count", s->nhosts) < 0 ||
            alert_add_evidence_int(a, "syn_count", s->syns) < 0 ||
            alert_add_evidence_int(a, "window_seconds", ps->o.window_us / 1000000) < 0 ||
            add_iso(a, "first_seen", s->first_us) < 0 || add_iso(a, "last_seen", s->last_us) < 0)
                return NULL;

        arr = json_array();
        if (!arr || json_object_set_new(a->evidence, "ports", arr) < 0)
                return NULL;
        for (size_t i = 0; i < n_ports; i++)
                if (json_array_append_new(arr, json_integer(ports[i])) < 0)
                        return NULL;
        if (json_object_set_new(a->evidence, "ports_sampled", json_boolean(n_ports < s->nports)) <
            0)
                return NULL;

        arr = json_array();
        if (!arr || json_object_set_new(a->evidence, "local_addresses", arr) < 0)
                return NULL;
        if (t) {
                for (size_t i = 0; i < t->n_sample_hosts; i++)
                        if (json_array_append_new(
                                    arr, json_string(ipaddr_format(&t->sample_hosts[i], ip))) < 0)
                                return NULL;
        } else if (s->nhosts > 0 &&
                   json_array_append_new(arr, json_string(ipaddr_format(&s->first_dst, ip))) < 0)
                return NULL;
        return TAKE_PTR(a);
}

static int emit(portscan_t *ps, src_t *s, int kind, alert_level_t level)
{
        alert_t *a;
        int r;

        /* The pair counts as alerted even when the alert cannot be built or
         * delivered, so a failing sink is not retried on every packet. */
        s->alerted_us[kind] = s->last_us;
        s->alerted_level[kind] = (uint8_t)level;
        s->pending[kind] = 0;
        a = build_alert(ps, s, kind, level);
        if (!a)
                return -ENOMEM;
        r = alert_sink_emit(&ps->sink, a);
        if (r < 0) {
                ps->stats.sink_errors++;
                return r;
        }
        ps->stats.alerts++;
        return 0;
}

static int emit_pending(portscan_t *ps, src_t *s)
{
        int ret = 0;

        for (int k = 0; k < KIND__MAX; k++)
                if (s->pending[k]) {
                        int r = emit(ps, s, k, (alert_level_t)s->pending[k]);
                        if (r < 0 && ret == 0)
                                ret = r;
                }
        return ret;
}

static alert_level_t level_of(unsigned count, unsigned remind, unsigned suspicious)
{
        if (count >= suspicious)
                return ALERT_SUSPICIOUS;
        if (count >= remind)
                return ALERT_REMINDER;
        return 0;
}

static int evaluate(portscan_t *ps, src_t *s)
{
        alert_level_t lv[KIND__MAX] = {
                level_of(s->nports, ps->o.ports, ps->o.ports_suspicious),
                level_of(s->nhosts, ps->o.hosts, ps->o.hosts_suspicious),
        };
        int ret = 0;

        for (int k = 0; k < KIND__MAX; k++) {
                int r = 0;

                if (!lv[k])
                        continue;
                if (s->alerted_level[k] >= lv[k] &&
                    s->last_us - s->alerted_us[k] < ps->o.cooldown_us)
                        continue;
                if (s->pending[k] >= lv[k])
                        continue;
                if (lv[k] == ALERT_SUSPICIOUS) {
                        r = emit(ps, s, k, lv[k]);
                } else if (s->on_pending_list) {
                        s->pending[k] = (uint8_t)lv[k];
                } else if (ps->n_pending < MAX_PENDING) {
                        s->pending[k] = (uint8_t)lv[k];
                        s->on_pending_list = true;
                        ps->pending[ps->n_pending++] = slot_of(ps, s);
                } else {
                        r = emit(ps, s, k, lv[k]);
                }
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

/* ---- the public calls --------------------------------------------------- */

int portscan_new(const portscan_opts_t *o, const alert_sink_t *sink, portscan_t **ret)
{
        portscan_t *ps;
        int r;

        r = portscan_opts_check(o, NULL);
        if (r < 0)
                return r;
        ps = calloc(1, sizeof(*ps));
        if (!ps)
                return -ENOMEM;
        ps->o = *o;
        if (sink)
                ps->sink = *sink;
        if (o->n_allow > 0) {
                ps->allow = calloc(o->n_allow, sizeof(*ps->allow));
                if (!ps->allow)
                        goto oom;
                memcpy(ps->allow, o->allow, o->n_allow * sizeof(*ps->allow));
        }
        ps->o.allow = ps->allow;
        if (getrandom(ps->key, sizeof(ps->key), 0) != (ssize_t)sizeof(ps->key) ||
            getrandom(&ps->port_key, sizeof(ps->port_key), 0) != (ssize_t)sizeof(ps->port_key)) {
                portscan_free(ps);
                return -EIO;
        }
        ps->port_key |= 1;
        ps->n_buckets = 16;
        while (ps->n_buckets < o->max_sources)
                ps->n_buckets *= 2;
        ps->port_slots = 16;
        while (ps->port_slots < 2 * (size_t)o->ports_suspicious)
                ps->port_slots *= 2;
        ps->host_slots = 16;
        while (ps->host_slots < 2 * (size_t)o->hosts_suspicious)
                ps->host_slots *= 2;
        ps->track_bytes = sizeof(track_t) + ps->port_slots * sizeof(uint16_t) +
                          ps->host_slots * sizeof(uint32_t);
        /* calloc leaves the pages of these large arrays untouched until a
         * source lands on them, so the resident cost grows with use. */
        ps->buckets = calloc(ps->n_buckets, sizeof(*ps->buckets));
        ps->srcs = calloc(o->max_sources, sizeof(*ps->srcs));
        ps->tracks = calloc(o->max_tracked, sizeof(*ps->tracks));
        ps->pending = calloc(MAX_PENDING, sizeof(*ps->pending));
        if (!ps->buckets || !ps->srcs || !ps->tracks || !ps->pending)
                goto oom;
        *ret = ps;
        return 0;
oom:
        portscan_free(ps);
        return -ENOMEM;
}

void portscan_free(portscan_t *ps)
{
        if (!ps)
                return;
        if (ps->tracks)
                for (uint32_t i = 0; i < ps->tracks_hw; i++)
                        free(ps->tracks[i]);
        free(ps->tracks);
        free(ps->srcs);
        free(ps->buckets);
        free(ps->pending);
        free(ps->allow);
        free(ps);
}

static int add_port(portscan_t *ps, src_t *s, uint16_t port)
{
        track_t *t;
        int r;

        /* Past the suspicious threshold a count decides nothing more. */
        if (s->nports >= ps->o.ports_suspicious)
                return 0;
        if (!s->track) {
                for (uint32_t i = 0; i < s->nports; i++)
                        if (s->ports[i] == port)
                                return 0;
                if (s->nports < INLINE_PORTS) {
                        s->ports[s->nports++] = port;
                        return 0;
                }
                r = track_acquire(ps, s);
                if (r < 0)
                        return r;
        }
        t = T(ps, s->track);
        if (portset_add(ps, t, port)) {
                s->nports++;
                if (t->n_sample_ports < PORTSCAN_SAMPLE_PORTS)
                        t->sample_ports[t->n_sample_ports++] = port;
        }
        return 0;
}

static int add_host(portscan_t *ps, src_t *s, const ipaddr_t *dst)
{
        uint32_t h;
        track_t *t;
        int r;

        if (s->nhosts >= ps->o.hosts_suspicious)
                return 0;
        h = host_hash(ps, dst);
        if (!s->track) {
                for (uint32_t i = 0; i < s->nhosts; i++)
                        if (s->hosts[i] == h)
                                return 0;
                if (s->nhosts < INLINE_HOSTS) {
                        if (s->nhosts == 0)
                                s->first_dst = *dst;
                        s->hosts[s->nhosts++] = h;
                        return 0;
                }
                r = track_acquire(ps, s);
                if (r < 0)
                        return r;
        }
        t = T(ps, s->track);
        if (hostset_add(ps, t, h)) {
                if (s->nhosts == 0)
                        s->first_dst = *dst;
                s->nhosts++;
                if (t->n_sample_hosts < PORTSCAN_SAMPLE_HOSTS)
                        t->sample_hosts[t->n_sample_hosts++] = *dst;
        }
        return 0;
}

int portscan_feed(portscan_t *ps, const ipaddr_t *src, const ipaddr_t *dst, uint16_t dport,
                  int64_t time_us)
{
        uint32_t hash;
        src_t *s;
        int ret = 0, r;

        if (allowlisted(ps, src)) {
                ps->stats.allowlisted++;
                return 0;
        }
        ps->stats.syns++;

        s = lookup(ps, src, &hash);
        if (!s) {
                size_t bucket = hash & (ps->n_buckets - 1);

                /* An eviction may change the head of BUCKET, so it is read
                 * only after the slot is taken. */
                s = src_alloc(ps, &ret);
                s->addr = *src;
                s->hash = hash;
                s->in_use = true;
                s->hnext = ps->buckets[bucket];
                ps->buckets[bucket] = slot_of(ps, s);
                lru_push_head(ps, s);
                ps->n_sources++;
                window_reset(s, time_us);
        } else {
                lru_unlink(ps, s);
                lru_push_head(ps, s);
        }

        if (time_us - s->win_start_us >= ps->o.window_us) {
                /* Held reminders belong to the window that ends here. */
                r = emit_pending(ps, s);
                if (r < 0 && ret == 0)
                        ret = r;
                track_release(ps, s);
                window_reset(s, time_us);
        }
        if (time_us > s->last_us)
                s->last_us = time_us;
        if (time_us < s->first_us)
                s->first_us = time_us;
        if (s->syns < UINT32_MAX)
                s->syns++;
        if (s->track) {
                track_t *t = T(ps, s->track);
                tlru_unlink(ps, t);
                tlru_push_head(ps, t, s->track);
        }

        r = add_port(ps, s, dport);
        if (r == 0)
                r = add_host(ps, s, dst);
        if (r < 0)
                return ret ? ret : r;
        r = evaluate(ps, s);
        return ret ? ret : r;
}

int portscan_flush(portscan_t *ps, int64_t now_us)
{
        int ret = 0;

        for (size_t i = 0; i < ps->n_pending; i++) {
                src_t *s = S(ps, ps->pending[i]);
                int r;

                if (!s->in_use || !s->on_pending_list)
                        continue;
                s->on_pending_list = false;
                r = emit_pending(ps, s);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        ps->n_pending = 0;
        return ret;
}

int portscan_tick(portscan_t *ps, int64_t now_us)
{
        int64_t idle = MAX(ps->o.window_us, ps->o.cooldown_us);
        int ret = portscan_flush(ps, now_us);

        /* The LRU tail is the source seen longest ago; stop at the first
         * one still within reach of a window or a cool-down. */
        while (ps->lru_tail) {
                src_t *s = S(ps, ps->lru_tail);
                int r;

                if (now_us - s->last_us <= idle)
                        break;
                r = src_drop(ps, s);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

void portscan_get_stats(const portscan_t *ps, portscan_stats_t *ret)
{
        *ret = ps->stats;
        ret->sources = ps->n_sources;
        ret->tracked = ps->n_tracked;
        ret->bytes = sizeof(*ps) + ps->n_buckets * sizeof(*ps->buckets) +
                     (size_t)ps->used_hw * sizeof(src_t) + (size_t)ps->tracks_hw * ps->track_bytes +
                     MAX_PENDING * sizeof(*ps->pending) + ps->o.n_allow * sizeof(ipnet_t);
}
