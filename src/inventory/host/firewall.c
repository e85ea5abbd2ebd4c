#include "inventory/host/firewall.h"

#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/text.h"
#include "inventory/host/cmdrun.h"

/* Packet families as a bit set: an inet table sees both. */
enum { FAM_IP = 1, FAM_IP6 = 2, FAM_BOTH = 3 };
enum { ORIGIN_NFT, ORIGIN_IPT };

/* conntrack state bits as the kernel numbers them */
enum { CT_INVALID = 1, CT_ESTABLISHED = 2, CT_RELATED = 4, CT_NEW = 8, CT_UNTRACKED = 64 };

/* Nesting of values (sets inside sets, named set references) followed
 * while collecting the values of one match. */
#define VALUE_MAX_DEPTH 8

typedef struct range {
        uint32_t lo, hi;
} range_t;

typedef enum mkind {
        MK_TRUE,      /* always matches the generic packet (comment, limit) */
        MK_FALSE,     /* never matches it (another protocol's header, "limit over") */
        MK_UNKNOWN,   /* cannot tell */
        MK_L4PROTO,   /* V: protocol numbers; FAM restricts the family when set */
        MK_DPORT,     /* V: ports; PROTO required (0: any protocol with ports) */
        MK_SADDR,     /* FAM: family of the address; ANY: a /0 is among the values */
        MK_IIF,       /* ANY: every name is "lo"; otherwise cannot tell */
        MK_CTSTATE,   /* CT: state bits */
        MK_NFPROTO,   /* FAM: families matched */
        MK_NEEDPROTO, /* another field of PROTO's header: no match for other protocols */
        MK_NEEDFAM,   /* another field of FAM's header */
} mkind_t;

typedef struct match {
        mkind_t kind;
        bool neg;
        bool any;
        uint8_t proto;
        uint8_t fam;
        unsigned ct;
        range_t *v;
        size_t n;
} match_t;

typedef enum verdict {
        V_CONTINUE, /* no verdict: the rule only counts or logs */
        V_ACCEPT,
        V_DROP, /* drop and reject */
        V_RETURN,
        V_JUMP,
        V_GOTO,
        V_UNKNOWN, /* queue to user space and other targets */
} verdict_t;

typedef struct rule {
        match_t *m;
        size_t nm;
        verdict_t verdict;
        char *target;       /* jump/goto chain name */
        ssize_t target_idx; /* resolved chain index, -1 when missing */
        bool unknown;       /* holds something the model cannot judge */
} rule_t;

typedef struct chain {
        char *name;
        bool hooked; /* a filter base chain on the prerouting or input hook */
        bool policy_drop;
        rule_t *rules;
        size_t n, cap;
} chain_t;

typedef struct table {
        char *name;
        unsigned fam;
        int origin;
        bool has_xt;
        chain_t *chains;
        size_t n, cap;
} table_t;

struct fw {
        table_t *t;
        size_t n, cap;
};

/* ---- model helpers ---------------------------------------------------- */

static void match_done(match_t *m)
{
        free(m->v);
        m->v = NULL;
        m->n = 0;
}

static void rule_done(rule_t *r)
{
        for (size_t i = 0; i < r->nm; i++)
                match_done(&r->m[i]);
        free(r->m);
        free(r->target);
        *r = (rule_t){ 0 };
}

static void chain_done(chain_t *c)
{
        for (size_t i = 0; i < c->n; i++)
                rule_done(&c->rules[i]);
        free(c->rules);
        free(c->name);
        *c = (chain_t){ 0 };
}

static void table_done(table_t *t)
{
        for (size_t i = 0; i < t->n; i++)
                chain_done(&t->chains[i]);
        free(t->chains);
        free(t->name);
        *t = (table_t){ 0 };
}

fw_t *fw_new(void)
{
        return calloc(1, sizeof(fw_t));
}

void fw_free(fw_t *fw)
{
        if (!fw)
                return;
        for (size_t i = 0; i < fw->n; i++)
                table_done(&fw->t[i]);
        free(fw->t);
        free(fw);
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
        size_t ncap;
        void *p;

        if (n < *cap)
                return 0;
        ncap = *cap ? *cap * 2 : 8;
        p = realloc(*v, ncap * size);
        if (!p)
                return -ENOMEM;
        *v = p;
        *cap = ncap;
        return 0;
}

static table_t *table_add(fw_t *fw, const char *name, unsigned fam, int origin)
{
        table_t *t;

        if (grow((void **)&fw->t, &fw->cap, fw->n, sizeof(*fw->t)) < 0)
                return NULL;
        t = &fw->t[fw->n];
        *t = (table_t){ .fam = fam, .origin = origin };
        if (!(t->name = strdup(name)))
                return NULL;
        fw->n++;
        return t;
}

static chain_t *chain_find(table_t *t, const char *name)
{
        for (size_t i = t->n; i > 0; i--)
                if (strcmp(t->chains[i - 1].name, name) == 0)
                        return &t->chains[i - 1];
        return NULL;
}

static chain_t *chain_add(table_t *t, const char *name)
{
        chain_t *c;

        if (grow((void **)&t->chains, &t->cap, t->n, sizeof(*t->chains)) < 0)
                return NULL;
        c = &t->chains[t->n];
        *c = (chain_t){ 0 };
        if (!(c->name = strdup(name)))
                return NULL;
        t->n++;
        return c;
}

/* Append R to C, taking over its content in every case. */
static int chain_push(chain_t *c, rule_t *r)
{
        if (grow((void **)&c->rules, &c->cap, c->n, sizeof(*c->rules)) < 0) {
                rule_done(r);
                return -ENOMEM;
        }
        c->rules[c->n++] = *r;
        *r = (rule_t){ 0 };
        return 0;
}

static int rule_push_match(rule_t *r, match_t *m)
{
        match_t *v = realloc(r->m, (r->nm + 1) * sizeof(*v));

        if (!v) {
                match_done(m);
                return -ENOMEM;
        }
        r->m = v;
        r->m[r->nm++] = *m;
        if (m->kind == MK_UNKNOWN)
                r->unknown = true;
        *m = (match_t){ 0 };
        return 0;
}

static int match_push_range(match_t *m, uint32_t lo, uint32_t hi)
{
        range_t *v = realloc(m->v, (m->n + 1) * sizeof(*v));

        if (!v)
                return -ENOMEM;
        m->v = v;
        m->v[m->n++] = (range_t){ MIN(lo, hi), MAX(lo, hi) };
        return 0;
}

static int match_copy(match_t *dst, const match_t *src)
{
        *dst = *src;
        dst->v = NULL;
        if (src->n) {
                dst->v = malloc(src->n * sizeof(*dst->v));
                if (!dst->v)
                        return -ENOMEM;
                memcpy(dst->v, src->v, src->n * sizeof(*dst->v));
        }
        return 0;
}

/* Resolve jump and goto targets of every table to chain indexes. */
static void resolve_targets(table_t *t)
{
        for (size_t c = 0; c < t->n; c++)
                for (size_t i = 0; i < t->chains[c].n; i++) {
                        rule_t *r = &t->chains[c].rules[i];
                        r->target_idx = -1;
                        if (!r->target)
                                continue;
                        for (size_t k = 0; k < t->n; k++)
                                if (strcmp(t->chains[k].name, r->target) == 0) {
                                        r->target_idx = (ssize_t)k;
                                        break;
                                }
                }
}

/* ---- names ------------------------------------------------------------ */

static int proto_number(const char *s)
{
        static const struct {
                const char *name;
                int num;
        } names[] = {
                { "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP }, { "icmp", 1 },   { "igmp", 2 },
                { "icmpv6", 58 },       { "ipv6-icmp", 58 },    { "sctp", 132 }, { "udplite", 136 },
                { "dccp", 33 },         { "gre", 47 },          { "esp", 50 },   { "ah", 51 },
                { "comp", 108 },        { "ipip", 4 },          { "ipv6", 41 },
        };
        unsigned long long v;

        if (str_to_u64(s, &v) == 0)
                return v <= 255 ? (int)v : -1;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcasecmp(s, names[i].name) == 0)
                        return names[i].num;
        return -1;
}

static int port_number(const char *s)
{
        static const struct {
                const char *name;
                int num;
        } names[] = {
                { "ftp", 21 },          { "ssh", 22 },
                { "telnet", 23 },       { "smtp", 25 },
                { "domain", 53 },       { "http", 80 },
                { "https", 443 },       { "mysql", 3306 },
                { "postgresql", 5432 }, { "ms-wbt-server", 3389 },
        };
        unsigned long long v;

        if (str_to_u64(s, &v) == 0)
                return v <= 65535 ? (int)v : -1;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcmp(s, names[i].name) == 0)
                        return names[i].num;
        return -1;
}

static unsigned ct_bit(const char *s)
{
        if (strcasecmp(s, "new") == 0)
                return CT_NEW;
        if (strcasecmp(s, "established") == 0)
                return CT_ESTABLISHED;
        if (strcasecmp(s, "related") == 0)
                return CT_RELATED;
        if (strcasecmp(s, "invalid") == 0)
                return CT_INVALID;
        if (strcasecmp(s, "untracked") == 0)
                return CT_UNTRACKED;
        return 0;
}

/* An address text that covers every address: "0.0.0.0/0", "::/0". */
static bool addr_text_is_any(const char *s)
{
        const char *slash = strchr(s, '/');
        return slash && strcmp(slash, "/0") == 0;
}

/* ---- nftables JSON ----------------------------------------------------- */

typedef struct nft_set {
        unsigned fam;
        const char *table;
        const char *name;
        json_t *elem; /* borrowed from the document */
} nft_set_t;

typedef struct nft_ctx {
        json_t *doc;
        nft_set_t *sets;
        size_t n_sets, cap_sets;
        char err[160];
} nft_ctx_t;

static unsigned nft_family(const char *s)
{
        if (!s)
                return 0;
        if (strcmp(s, "ip") == 0)
                return FAM_IP;
        if (strcmp(s, "ip6") == 0)
                return FAM_IP6;
        if (strcmp(s, "inet") == 0)
                return FAM_BOTH;
        return 0; /* arp, bridge, netdev: not read */
}

/* The named set NAME of the table, or NULL. Its ELEM is NULL for an empty
 * set. */
static const nft_set_t *nft_find_set(nft_ctx_t *x, unsigned fam, const char *table,
                                     const char *name)
{
        for (size_t i = 0; i < x->n_sets; i++)
                if (x->sets[i].fam == fam && strcmp(x->sets[i].table, table) == 0 &&
                    strcmp(x->sets[i].name, name) == 0)
                        return &x->sets[i];
        return NULL;
}

/* One value found in a match's right-hand side. */
typedef enum vkind { VAL_NUM, VAL_STR, VAL_RANGE, VAL_PREFIX, VAL_OTHER } vkind_t;

typedef struct value {
        vkind_t kind;
        json_int_t num;
        const char *str;
        json_t *lo, *hi; /* VAL_RANGE ends */
        json_int_t plen; /* VAL_PREFIX length */
} value_t;

typedef int (*value_fn)(const value_t *v, void *userdata);

typedef struct where {
        nft_ctx_t *x;
        unsigned fam;
        const char *table;
} where_t;

/* Call FN for every value in J: scalars, arrays, anonymous sets, ranges,
 * prefixes, set elements with options, and named sets ("@name"). */
static int collect_values(const where_t *w, json_t *j, unsigned depth, value_fn fn, void *ud)
{
        value_t v = { .kind = VAL_OTHER };

        if (depth > VALUE_MAX_DEPTH)
                return fn(&v, ud);
        if (json_is_integer(j)) {
                v.kind = VAL_NUM;
                v.num = json_integer_value(j);
                return fn(&v, ud);
        }
        if (json_is_string(j)) {
                const char *s = json_string_value(j);
                if (s[0] == '@') {
                        const nft_set_t *set = nft_find_set(w->x, w->fam, w->table, s + 1);
                        if (!set)
                                return fn(&v, ud);
                        if (!set->elem)
                                return 0; /* an empty set: no values */
                        return collect_values(w, set->elem, depth + 1, fn, ud);
                }
                v.kind = VAL_STR;
                v.str = s;
                return fn(&v, ud);
        }
        if (json_is_array(j)) {
                size_t i;
                json_t *e;
                json_array_foreach (j, i, e) {
                        int r = collect_values(w, e, depth + 1, fn, ud);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        if (json_is_object(j)) {
                json_t *p;
                if ((p = json_object_get(j, "set")))
                        return collect_values(w, p, depth + 1, fn, ud);
                if ((p = json_object_get(j, "elem")) && json_is_object(p))
                        return collect_values(w, json_object_get(p, "val"), depth + 1, fn, ud);
                if ((p = json_object_get(j, "range")) && json_is_array(p) &&
                    json_array_size(p) == 2) {
                        v.kind = VAL_RANGE;
                        v.lo = json_array_get(p, 0);
                        v.hi = json_array_get(p, 1);
                        return fn(&v, ud);
                }
                if ((p = json_object_get(j, "prefix")) && json_is_object(p) &&
                    json_is_integer(json_object_get(p, "len"))) {
                        v.kind = VAL_PREFIX;
                        v.plen = json_integer_value(json_object_get(p, "len"));
                        return fn(&v, ud);
                }
        }
        return fn(&v, ud);
}

/* Fill match M (kind already set) from one value; a value the kind cannot
 * use turns the match into MK_UNKNOWN. */
static int value_to_num(json_t *j, bool port, uint32_t *ret)
{
        int n;

        if (json_is_integer(j)) {
                json_int_t v = json_integer_value(j);
                if (v < 0 || v > (port ? 65535 : 255))
                        return -EINVAL;
                *ret = (uint32_t)v;
                return 0;
        }
        if (json_is_string(j)) {
                n = port ? port_number(json_string_value(j)) : proto_number(json_string_value(j));
                if (n < 0)
                        return -EINVAL;
                *ret = (uint32_t)n;
                return 0;
        }
        return -EINVAL;
}

static int fill_match(const value_t *v, void *userdata)
{
        match_t *m = userdata;

        switch (m->kind) {
        case MK_DPORT:
        case MK_L4PROTO: {
                bool port = m->kind == MK_DPORT;
                uint32_t lo, hi;
                if (v->kind == VAL_NUM) {
                        if (v->num < 0 || v->num > (port ? 65535 : 255))
                                goto unknown;
                        return match_push_range(m, (uint32_t)v->num, (uint32_t)v->num);
                }
                if (v->kind == VAL_STR) {
                        int n = port ? port_number(v->str) : proto_number(v->str);
                        if (n < 0)
                                goto unknown;
                        return match_push_range(m, (uint32_t)n, (uint32_t)n);
                }
                if (v->kind == VAL_RANGE && value_to_num(v->lo, port, &lo) == 0 &&
                    value_to_num(v->hi, port, &hi) == 0)
                        return match_push_range(m, lo, hi);
                goto unknown;
        }
        case MK_SADDR:
                if (v->kind == VAL_PREFIX) {
                        if (v->plen == 0)
                                m->any = true;
                        return 0;
                }
                if (v->kind == VAL_STR) {
                        if (addr_text_is_any(v->str))
                                m->any = true;
                        return 0;
                }
                if (v->kind == VAL_RANGE) {
                        const char *lo = json_string_value(v->lo), *hi = json_string_value(v->hi);
                        if (lo && hi &&
                            ((strcmp(lo, "0.0.0.0") == 0 && strcmp(hi, "255.255.255.255") == 0) ||
                             (strcmp(lo, "::") == 0 &&
                              strcasecmp(hi, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") == 0)))
                                m->any = true;
                        return 0;
                }
                goto unknown;
        case MK_IIF:
                if (v->kind == VAL_STR && strcmp(v->str, "lo") == 0)
                        return 0;
                /* Another interface name: whether the generic packet comes
                 * in there cannot be told. */
                goto unknown;
        case MK_CTSTATE: {
                unsigned b = v->kind == VAL_STR ? ct_bit(v->str) : 0;
                if (!b)
                        goto unknown;
                m->ct |= b;
                return 0;
        }
        case MK_NFPROTO:
                if (v->kind == VAL_STR) {
                        if (strcmp(v->str, "ipv4") == 0 || strcmp(v->str, "ip") == 0) {
                                m->fam |= FAM_IP;
                                return 0;
                        }
                        if (strcmp(v->str, "ipv6") == 0 || strcmp(v->str, "ip6") == 0) {
                                m->fam |= FAM_IP6;
                                return 0;
                        }
                }
                goto unknown;
        default:
                return 0;
        }
unknown:
        match_done(m);
        m->kind = MK_UNKNOWN;
        return 0;
}

/* Classify the left-hand side of a match into M's kind and fields. */
static void nft_left(json_t *left, match_t *m)
{
        json_t *p;

        m->kind = MK_UNKNOWN;
        if ((p = json_object_get(left, "payload")) && json_is_object(p)) {
                const char *proto = json_string_value(json_object_get(p, "protocol"));
                const char *field = json_string_value(json_object_get(p, "field"));
                static const char *const other_l4[] = {
                        "icmp", "icmpv6", "igmp", "ah",   "esp",
                        "comp", "gre",    "sctp", "dccp", "udplite"
                };
                if (!proto || !field)
                        return;
                if (strcmp(field, "dport") == 0 &&
                    (strcmp(proto, "tcp") == 0 || strcmp(proto, "udp") == 0 ||
                     strcmp(proto, "th") == 0)) {
                        m->kind = MK_DPORT;
                        m->proto = strcmp(proto, "tcp") == 0   ? IPPROTO_TCP
                                   : strcmp(proto, "udp") == 0 ? IPPROTO_UDP
                                                               : 0;
                        return;
                }
                if (strcmp(proto, "tcp") == 0 || strcmp(proto, "udp") == 0) {
                        m->kind = MK_NEEDPROTO;
                        m->proto = strcmp(proto, "tcp") == 0 ? IPPROTO_TCP : IPPROTO_UDP;
                        return;
                }
                for (size_t i = 0; i < ELEMENTSOF(other_l4); i++)
                        if (strcmp(proto, other_l4[i]) == 0) {
                                m->kind = MK_FALSE;
                                return;
                        }
                if (strcmp(proto, "ip") == 0 || strcmp(proto, "ip6") == 0) {
                        unsigned fam = proto[2] == '6' ? FAM_IP6 : FAM_IP;
                        if (strcmp(field, "saddr") == 0) {
                                m->kind = MK_SADDR;
                                m->fam = (uint8_t)fam;
                        } else if (strcmp(field, "protocol") == 0 ||
                                   strcmp(field, "nexthdr") == 0) {
                                m->kind = MK_L4PROTO;
                                m->fam = (uint8_t)fam;
                        } else {
                                m->kind = MK_NEEDFAM;
                                m->fam = (uint8_t)fam;
                        }
                }
                return;
        }
        if ((p = json_object_get(left, "meta")) && json_is_object(p)) {
                const char *key = json_string_value(json_object_get(p, "key"));
                if (!key)
                        return;
                if (strcmp(key, "l4proto") == 0)
                        m->kind = MK_L4PROTO;
                else if (strcmp(key, "nfproto") == 0 || strcmp(key, "protocol") == 0)
                        m->kind = MK_NFPROTO;
                else if (strcmp(key, "iif") == 0 || strcmp(key, "iifname") == 0)
                        m->kind = MK_IIF;
                return;
        }
        if ((p = json_object_get(left, "ct")) && json_is_object(p)) {
                const char *key = json_string_value(json_object_get(p, "key"));
                if (key && strcmp(key, "state") == 0 && !json_object_get(p, "dir"))
                        m->kind = MK_CTSTATE;
                return;
        }
}

/* Build the match for LEFT OP RIGHT. */
static int nft_match(const where_t *w, json_t *left, const char *op, json_t *right, match_t *ret)
{
        match_t m = { 0 };
        int r;

        nft_left(left, &m);
        if (m.kind == MK_UNKNOWN || m.kind == MK_FALSE || m.kind == MK_NEEDPROTO ||
            m.kind == MK_NEEDFAM) {
                *ret = m;
                return 0;
        }
        if (strcmp(op, "!=") == 0)
                m.neg = true;
        else if (strcmp(op, "==") != 0 && strcmp(op, "in") != 0) {
                /* Comparisons make sense for ports only. */
                json_int_t v;
                if (m.kind != MK_DPORT || !json_is_integer(right)) {
                        m.kind = MK_UNKNOWN;
                        *ret = m;
                        return 0;
                }
                v = json_integer_value(right);
                if (v < 0 || v > 65535) {
                        m.kind = MK_UNKNOWN;
                        *ret = m;
                        return 0;
                }
                if (strcmp(op, "<") == 0)
                        r = v == 0 ? (m.kind = MK_FALSE, 0)
                                   : match_push_range(&m, 0, (uint32_t)v - 1);
                else if (strcmp(op, "<=") == 0)
                        r = match_push_range(&m, 0, (uint32_t)v);
                else if (strcmp(op, ">") == 0)
                        r = v == 65535 ? (m.kind = MK_FALSE, 0)
                                       : match_push_range(&m, (uint32_t)v + 1, 65535);
                else if (strcmp(op, ">=") == 0)
                        r = match_push_range(&m, (uint32_t)v, 65535);
                else {
                        m.kind = MK_UNKNOWN;
                        r = 0;
                }
                if (r < 0) {
                        match_done(&m);
                        return r;
                }
                *ret = m;
                return 0;
        }
        r = collect_values(w, right, 0, fill_match, &m);
        if (r < 0) {
                match_done(&m);
                return r;
        }
        *ret = m;
        return 0;
}

/* A verdict statement; returns true when OBJ is one. */
static bool nft_verdict(json_t *obj, verdict_t *ret, const char **ret_target)
{
        const char *key;
        json_t *val;

        *ret_target = NULL;
        if (!json_is_object(obj) || json_object_size(obj) != 1)
                return false;
        json_object_foreach (obj, key, val) {
                if (strcmp(key, "accept") == 0)
                        *ret = V_ACCEPT;
                else if (strcmp(key, "drop") == 0 || strcmp(key, "reject") == 0)
                        *ret = V_DROP;
                else if (strcmp(key, "return") == 0)
                        *ret = V_RETURN;
                else if (strcmp(key, "continue") == 0)
                        *ret = V_CONTINUE;
                else if (strcmp(key, "queue") == 0)
                        *ret = V_UNKNOWN;
                else if (strcmp(key, "jump") == 0 || strcmp(key, "goto") == 0) {
                        const char *t = json_string_value(json_object_get(val, "target"));
                        *ret = t ? (key[0] == 'j' ? V_JUMP : V_GOTO) : V_UNKNOWN;
                        *ret_target = t;
                } else
                        return false;
                return true;
        }
        return false;
}

static int rule_set_verdict(rule_t *r, verdict_t v, const char *target)
{
        r->verdict = v;
        free(r->target);
        r->target = NULL;
        if (v == V_UNKNOWN)
                r->unknown = true;
        if (target && !(r->target = strdup(target)))
                return -ENOMEM;
        return 0;
}

/* Statements that neither match nor decide. */
static bool nft_passive(const char *key)
{
        static const char *const passive[] = {
                "counter", "log", "mangle", "notrack", "set", "flow"
        };
        for (size_t i = 0; i < ELEMENTSOF(passive); i++)
                if (strcmp(key, passive[i]) == 0)
                        return true;
        return false;
}

static int rule_copy_matches(rule_t *dst, const rule_t *src)
{
        for (size_t i = 0; i < src->nm; i++) {
                match_t m;
                int r = match_copy(&m, &src->m[i]);
                if (r < 0)
                        return r;
                if ((r = rule_push_match(dst, &m)) < 0)
                        return r;
        }
        dst->unknown = src->unknown;
        return 0;
}

typedef struct vmap_elem_ctx {
        const where_t *w;
        json_t *key;
        const rule_t *base;
        chain_t *chain;
        int err;
} vmap_elem_ctx_t;

/* One [key, verdict] pair of a verdict map becomes a rule: the rule's
 * matches, "KEY == key" and the verdict. The keys of a map never overlap,
 * so the rules in a row behave as the map does. */
static int nft_vmap_pair(vmap_elem_ctx_t *c, json_t *pair)
{
        rule_t r = { 0 };
        match_t m;
        verdict_t v;
        const char *target;
        json_t *k, *verdict;
        int e;

        if (!json_is_array(pair) || json_array_size(pair) != 2)
                return 0;
        k = json_array_get(pair, 0);
        verdict = json_array_get(pair, 1);
        if ((e = rule_copy_matches(&r, c->base)) < 0)
                goto fail;
        if ((e = nft_match(c->w, c->key, "==", k, &m)) < 0)
                goto fail;
        if ((e = rule_push_match(&r, &m)) < 0)
                goto fail;
        if (!nft_verdict(verdict, &v, &target))
                v = V_UNKNOWN, target = NULL;
        if ((e = rule_set_verdict(&r, v, target)) < 0)
                goto fail;
        return chain_push(c->chain, &r);
fail:
        rule_done(&r);
        return e;
}

static int nft_vmap(const where_t *w, json_t *vmap, const rule_t *base, chain_t *chain)
{
        vmap_elem_ctx_t c = {
                .w = w, .key = json_object_get(vmap, "key"), .base = base, .chain = chain
        };
        json_t *data = json_object_get(vmap, "data"), *elems = NULL, *e;
        size_t i;

        if (json_is_string(data) && json_string_value(data)[0] == '@') {
                const nft_set_t *set =
                        nft_find_set(w->x, w->fam, w->table, json_string_value(data) + 1);
                if (set && !set->elem)
                        return 0; /* an empty map never matches */
                elems = set ? set->elem : NULL;
        } else if (json_is_object(data))
                elems = json_object_get(data, "set");
        if (!c.key || !json_is_array(elems)) {
                /* A map we cannot read: the rule may do anything. */
                rule_t r = { 0 };
                int k = rule_copy_matches(&r, base);
                if (k == 0)
                        k = rule_set_verdict(&r, V_UNKNOWN, NULL);
                if (k < 0) {
                        rule_done(&r);
                        return k;
                }
                return chain_push(chain, &r);
        }
        json_array_foreach (elems, i, e) {
                int k;
                /* Named map elements may be wrapped as {"elem": {...}}. */
                if ((k = nft_vmap_pair(&c, e)) < 0)
                        return k;
        }
        return 0;
}

static int nft_rule(table_t *t, chain_t *c, const where_t *w, json_t *expr)
{
        rule_t r = { 0 };
        json_t *stmt, *vmap = NULL;
        bool unknown_stmt = false;
        size_t i;
        int e;

        if (!json_is_array(expr))
                return -EINVAL;
        json_array_foreach (expr, i, stmt) {
                const char *key;
                json_t *val;
                verdict_t v;
                const char *target;

                if (nft_verdict(stmt, &v, &target)) {
                        if ((e = rule_set_verdict(&r, v, target)) < 0)
                                goto fail;
                        continue;
                }
                if (!json_is_object(stmt) || json_object_size(stmt) != 1) {
                        r.unknown = true;
                        continue;
                }
                json_object_foreach (stmt, key, val) {
                        match_t m = { 0 };
                        if (strcmp(key, "match") == 0) {
                                const char *op = json_string_value(json_object_get(val, "op"));
                                json_t *left = json_object_get(val, "left");
                                json_t *right = json_object_get(val, "right");
                                if (!op || !json_is_object(left) || !right)
                                        m.kind = MK_UNKNOWN;
                                else if ((e = nft_match(w, left, op, right, &m)) < 0)
                                        goto fail;
                        } else if (strcmp(key, "limit") == 0) {
                                /* The first packet of a connection is within any
                                 * rate; "limit rate over" only takes the excess. */
                                m.kind = json_is_true(json_object_get(val, "inv")) ? MK_FALSE
                                                                                   : MK_TRUE;
                        } else if (strcmp(key, "vmap") == 0) {
                                vmap = val;
                                continue;
                        } else if (strcmp(key, "xt") == 0) {
                                const char *type = json_string_value(json_object_get(val, "type"));
                                const char *name = json_string_value(json_object_get(val, "name"));
                                t->has_xt = true;
                                if (type && name && strcmp(type, "match") == 0 &&
                                    strcmp(name, "comment") == 0)
                                        continue;
                                if (type && name && strcmp(type, "target") == 0 &&
                                    (strcmp(name, "LOG") == 0 || strcmp(name, "NFLOG") == 0))
                                        continue;
                                if (type && strcmp(type, "target") == 0) {
                                        if ((e = rule_set_verdict(&r, V_UNKNOWN, NULL)) < 0)
                                                goto fail;
                                        continue;
                                }
                                m.kind = MK_UNKNOWN;
                        } else if (nft_passive(key))
                                continue;
                        else {
                                unknown_stmt = true;
                                continue;
                        }
                        if ((e = rule_push_match(&r, &m)) < 0)
                                goto fail;
                }
        }
        /* A statement we do not know in a rule without a verdict may be
         * one that decides (synproxy, tproxy, fwd ...). */
        if (r.verdict == V_CONTINUE && unknown_stmt)
                if ((e = rule_set_verdict(&r, V_UNKNOWN, NULL)) < 0)
                        goto fail;
        if (vmap) {
                e = nft_vmap(w, vmap, &r, c);
                rule_done(&r);
                return e;
        }
        return chain_push(c, &r);
fail:
        rule_done(&r);
        return e;
}

static table_t *fw_find_table(fw_t *fw, unsigned fam, const char *name, int origin)
{
        for (size_t i = 0; i < fw->n; i++)
                if (fw->t[i].fam == fam && fw->t[i].origin == origin &&
                    strcmp(fw->t[i].name, name) == 0)
                        return &fw->t[i];
        return NULL;
}

int fw_add_nft_json(fw_t *fw, const char *data, size_t n, char **ret_error)
{
        _cleanup_(fw_freep) fw_t *tmp = NULL;
        nft_ctx_t x = { 0 };
        json_error_t jerr;
        json_t *list, *item;
        size_t i, first_new;
        int r = 0;

        if (n > FW_MAX_INPUT)
                return -E2BIG;
        tmp = fw_new();
        if (!tmp)
                return -ENOMEM;
        x.doc = json_loadb(data, n, JSON_REJECT_DUPLICATES, &jerr);
        if (!x.doc) {
                if (ret_error)
                        *ret_error = str_printf("not JSON at line %d column %d: %s", jerr.line,
                                                jerr.column, jerr.text);
                return -EINVAL;
        }
        list = json_object_get(x.doc, "nftables");
        if (!json_is_array(list)) {
                if (ret_error)
                        *ret_error = strdup("no \"nftables\" array at the top level");
                json_decref(x.doc);
                return -EINVAL;
        }

        /* First pass: tables, chains and sets, so rules may refer to any of
         * them whatever the order of the document. */
        json_array_foreach (list, i, item) {
                json_t *o;
                unsigned fam;
                const char *tname, *name;

                if (!json_is_object(item))
                        continue;
                if ((o = json_object_get(item, "table"))) {
                        fam = nft_family(json_string_value(json_object_get(o, "family")));
                        name = json_string_value(json_object_get(o, "name"));
                        if (!fam || !name || fw_find_table(tmp, fam, name, ORIGIN_NFT))
                                continue;
                        if (!table_add(tmp, name, fam, ORIGIN_NFT)) {
                                r = -ENOMEM;
                                goto out;
                        }
                } else if ((o = json_object_get(item, "set")) ||
                           (o = json_object_get(item, "map"))) {
                        fam = nft_family(json_string_value(json_object_get(o, "family")));
                        tname = json_string_value(json_object_get(o, "table"));
                        name = json_string_value(json_object_get(o, "name"));
                        if (!fam || !tname || !name)
                                continue;
                        if (grow((void **)&x.sets, &x.cap_sets, x.n_sets, sizeof(*x.sets)) < 0) {
                                r = -ENOMEM;
                                goto out;
                        }
                        /* A set without elements has no "elem": it is an
                         * empty list, not an unknown one. */
                        x.sets[x.n_sets++] =
                                (nft_set_t){ fam, tname, name, json_object_get(o, "elem") };
                }
        }
        json_array_foreach (list, i, item) {
                json_t *o = json_object_get(item, "chain");
                const char *tname, *name, *hook, *type, *policy;
                unsigned fam;
                table_t *t;
                chain_t *c;

                if (!json_is_object(o))
                        continue;
                fam = nft_family(json_string_value(json_object_get(o, "family")));
                tname = json_string_value(json_object_get(o, "table"));
                name = json_string_value(json_object_get(o, "name"));
                if (!fam || !tname || !name)
                        continue;
                t = fw_find_table(tmp, fam, tname, ORIGIN_NFT);
                if (!t && !(t = table_add(tmp, tname, fam, ORIGIN_NFT))) {
                        r = -ENOMEM;
                        goto out;
                }
                if (chain_find(t, name))
                        continue;
                if (!(c = chain_add(t, name))) {
                        r = -ENOMEM;
                        goto out;
                }
                hook = json_string_value(json_object_get(o, "hook"));
                type = json_string_value(json_object_get(o, "type"));
                policy = json_string_value(json_object_get(o, "policy"));
                c->hooked = hook && type && strcmp(type, "filter") == 0 &&
                            (strcmp(hook, "input") == 0 || strcmp(hook, "prerouting") == 0);
                c->policy_drop = policy && strcmp(policy, "drop") == 0;
        }
        /* Second pass: rules. */
        json_array_foreach (list, i, item) {
                json_t *o = json_object_get(item, "rule");
                const char *tname, *cname;
                unsigned fam;
                table_t *t;
                chain_t *c;
                where_t w;

                if (!json_is_object(o))
                        continue;
                fam = nft_family(json_string_value(json_object_get(o, "family")));
                tname = json_string_value(json_object_get(o, "table"));
                cname = json_string_value(json_object_get(o, "chain"));
                if (!fam || !tname || !cname)
                        continue;
                t = fw_find_table(tmp, fam, tname, ORIGIN_NFT);
                c = t ? chain_find(t, cname) : NULL;
                if (!c)
                        continue;
                w = (where_t){ &x, fam, tname };
                r = nft_rule(t, c, &w, json_object_get(o, "expr"));
                if (r == -EINVAL) {
                        /* A rule without an expression list: count it as one
                         * the model cannot judge. */
                        rule_t u = { .verdict = V_UNKNOWN, .unknown = true };
                        r = chain_push(c, &u);
                }
                if (r < 0)
                        goto out;
        }

        /* Hand the tables over; make room first so nothing can fail half
         * way. */
        if (fw->cap - fw->n < tmp->n) {
                size_t cap = fw->n + tmp->n;
                table_t *v = realloc(fw->t, cap * sizeof(*v));
                if (!v) {
                        r = -ENOMEM;
                        goto out;
                }
                fw->t = v;
                fw->cap = cap;
        }
        first_new = fw->n;
        for (size_t k = 0; k < tmp->n; k++)
                fw->t[fw->n++] = tmp->t[k];
        for (size_t k = first_new; k < fw->n; k++)
                resolve_targets(&fw->t[k]);
        /* The tables now belong to FW; keep TMP from freeing them. */
        tmp->n = 0;
out:
        free(x.sets);
        json_decref(x.doc);
        return r;
}

/* ---- iptables-save ----------------------------------------------------- */

/* Split LINE into tokens in place: spaces separate, "..." quotes with
 * backslash escapes (as iptables-save writes comments). Returns the number
 * of tokens, or -EINVAL for an unterminated quote, -E2BIG over MAX. */
static int ipt_tokens(char *line, char **tok, int max)
{
        int n = 0;
        char *p = line;

        for (;;) {
                char *out;

                while (*p == ' ' || *p == '\t')
                        p++;
                if (!*p)
                        return n;
                if (n == max)
                        return -E2BIG;
                tok[n++] = out = p;
                if (*p == '"') {
                        p++;
                        while (*p && *p != '"') {
                                if (*p == '\\' && p[1])
                                        p++;
                                *out++ = *p++;
                        }
                        if (*p != '"')
                                return -EINVAL;
                        p++;
                        if (*p && *p != ' ' && *p != '\t')
                                return -EINVAL;
                } else {
                        while (*p && *p != ' ' && *p != '\t')
                                *out++ = *p++;
                }
                /* OUT never passes P, so ending the token may overwrite the
                 * separator P stands on. */
                if (*p) {
                        *out = 0;
                        p++;
                } else
                        *out = 0;
        }
}

static int ipt_ports(match_t *m, const char *list)
{
        _cleanup_(strv_clear) strv_t parts = { 0 };
        int r;

        if ((r = strv_split(&parts, list, ",")) < 0)
                return r;
        for (size_t i = 0; i < parts.n; i++) {
                char *colon = strchr(parts.v[i], ':');
                int lo, hi;
                if (colon) {
                        *colon = 0;
                        lo = *parts.v[i] ? port_number(parts.v[i]) : 0;
                        hi = colon[1] ? port_number(colon + 1) : 65535;
                } else
                        lo = hi = port_number(parts.v[i]);
                if (lo < 0 || hi < 0) {
                        match_done(m);
                        m->kind = MK_UNKNOWN;
                        return 0;
                }
                if ((r = match_push_range(m, (uint32_t)lo, (uint32_t)hi)) < 0)
                        return r;
        }
        return 0;
}

static int ipt_ctstate(match_t *m, const char *list)
{
        _cleanup_(strv_clear) strv_t parts = { 0 };
        int r;

        if ((r = strv_split(&parts, list, ",")) < 0)
                return r;
        m->kind = MK_CTSTATE;
        for (size_t i = 0; i < parts.n; i++) {
                unsigned b = ct_bit(parts.v[i]);
                /* SNAT/DNAT states say nothing about a new inbound packet. */
                if (!b && strcasecmp(parts.v[i], "SNAT") != 0 &&
                    strcasecmp(parts.v[i], "DNAT") != 0) {
                        m->kind = MK_UNKNOWN;
                        return 0;
                }
                m->ct |= b;
        }
        return 0;
}

/* Parse the tokens of one "-A CHAIN ..." line (starting after CHAIN) into R. */
static int ipt_rule(char **tok, int n, unsigned fam, rule_t *r)
{
        int proto = -1; /* from -p, for --dport */
        bool neg = false, in_target = false;
        int e;

        for (int i = 0; i < n; i++) {
                const char *t = tok[i];
                const char *arg = i + 1 < n ? tok[i + 1] : NULL;
                match_t m = { 0 };

                if (strcmp(t, "!") == 0) {
                        neg = true;
                        continue;
                }
                if (in_target) {
                        continue; /* target options (--log-prefix, --reject-with ...) */
                }
                if (strcmp(t, "-j") == 0 || strcmp(t, "--jump") == 0 || strcmp(t, "-g") == 0 ||
                    strcmp(t, "--goto") == 0) {
                        bool go = t[1] == 'g' || strcmp(t, "--goto") == 0;
                        verdict_t v;
                        const char *target = NULL;
                        if (!arg)
                                return -EINVAL;
                        i++;
                        in_target = true;
                        if (strcmp(arg, "ACCEPT") == 0)
                                v = V_ACCEPT;
                        else if (strcmp(arg, "DROP") == 0 || strcmp(arg, "REJECT") == 0)
                                v = V_DROP;
                        else if (strcmp(arg, "RETURN") == 0)
                                v = V_RETURN;
                        else if (strcmp(arg, "LOG") == 0 || strcmp(arg, "NFLOG") == 0 ||
                                 strcmp(arg, "ULOG") == 0 || strcmp(arg, "MARK") == 0 ||
                                 strcmp(arg, "CONNMARK") == 0 || strcmp(arg, "TRACE") == 0 ||
                                 strcmp(arg, "CT") == 0 || strcmp(arg, "AUDIT") == 0)
                                v = V_CONTINUE;
                        else if (strcmp(arg, "QUEUE") == 0 || strcmp(arg, "NFQUEUE") == 0)
                                v = V_UNKNOWN;
                        else {
                                v = go ? V_GOTO : V_JUMP;
                                target = arg;
                        }
                        if ((e = rule_set_verdict(r, v, target)) < 0)
                                return e;
                        neg = false;
                        continue;
                }
                m.neg = neg;
                neg = false;
                if (strcmp(t, "-p") == 0 || strcmp(t, "--protocol") == 0) {
                        int p;
                        if (!arg)
                                return -EINVAL;
                        i++;
                        if (strcmp(arg, "all") == 0 || strcmp(arg, "0") == 0) {
                                if (m.neg)
                                        m.kind = MK_FALSE;
                                else
                                        continue;
                        } else if ((p = proto_number(arg)) < 0)
                                m.kind = MK_UNKNOWN;
                        else {
                                m.kind = MK_L4PROTO;
                                if (!m.neg)
                                        proto = p;
                                if ((e = match_push_range(&m, (uint32_t)p, (uint32_t)p)) < 0)
                                        return e;
                        }
                } else if (strcmp(t, "-s") == 0 || strcmp(t, "--source") == 0 ||
                           strcmp(t, "--src-range") == 0) {
                        if (!arg)
                                return -EINVAL;
                        i++;
                        m.kind = MK_SADDR;
                        m.fam = (uint8_t)fam;
                        m.any = addr_text_is_any(arg);
                } else if (strcmp(t, "--match-set") == 0) {
                        if (i + 2 >= n)
                                return -EINVAL;
                        /* An ipset of sources: a specific list. */
                        m.kind = str_startswith(tok[i + 2], "src") ? MK_SADDR : MK_UNKNOWN;
                        m.fam = (uint8_t)fam;
                        i += 2;
                } else if (strcmp(t, "-i") == 0 || strcmp(t, "--in-interface") == 0) {
                        if (!arg)
                                return -EINVAL;
                        i++;
                        m.kind = strcmp(arg, "lo") == 0 ? MK_IIF : MK_UNKNOWN;
                } else if (strcmp(t, "--dport") == 0 || strcmp(t, "--destination-port") == 0 ||
                           strcmp(t, "--dports") == 0 || strcmp(t, "--destination-ports") == 0) {
                        if (!arg)
                                return -EINVAL;
                        i++;
                        m.kind = MK_DPORT;
                        m.proto = proto == IPPROTO_TCP || proto == IPPROTO_UDP ? (uint8_t)proto : 0;
                        if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
                                m.kind = MK_UNKNOWN;
                        else if ((e = ipt_ports(&m, arg)) < 0)
                                return e;
                } else if (strcmp(t, "--ctstate") == 0 || strcmp(t, "--state") == 0) {
                        if (!arg)
                                return -EINVAL;
                        i++;
                        if ((e = ipt_ctstate(&m, arg)) < 0)
                                return e;
                } else if (strcmp(t, "-m") == 0 || strcmp(t, "--match") == 0) {
                        if (!arg)
                                return -EINVAL;
                        i++;
                        continue; /* loading a match module says nothing by itself */
                } else if (strcmp(t, "--comment") == 0 || strcmp(t, "--limit") == 0 ||
                           strcmp(t, "--limit-burst") == 0) {
                        if (!arg)
                                return -EINVAL;
                        i++;
                        continue;
                } else if (strcmp(t, "-d") == 0 || strcmp(t, "--destination") == 0 ||
                           strcmp(t, "-o") == 0 || strcmp(t, "--out-interface") == 0) {
                        if (!arg)
                                return -EINVAL;
                        i++;
                        m.kind = MK_UNKNOWN;
                } else if (strcmp(t, "--icmp-type") == 0 || strcmp(t, "--icmpv6-type") == 0) {
                        if (!arg)
                                return -EINVAL;
                        i++;
                        m.kind = MK_FALSE; /* an ICMP packet is never TCP or UDP */
                } else if (t[0] == '-') {
                        /* An option of a match module we do not model: its
                         * arguments run to the next option. */
                        while (i + 1 < n && tok[i + 1][0] != '-' && strcmp(tok[i + 1], "!") != 0)
                                i++;
                        m.kind = MK_UNKNOWN;
                } else
                        return -EINVAL;
                if ((e = rule_push_match(r, &m)) < 0)
                        return e;
        }
        if (r->verdict == V_UNKNOWN)
                r->unknown = true;
        return 0;
}

int fw_add_iptables_save(fw_t *fw, const char *data, size_t n, int family, char **ret_error)
{
        _cleanup_free_ char *copy = NULL;
        table_t *t = NULL;
        unsigned fam = family == AF_INET6 ? FAM_IP6 : FAM_IP;
        bool in_filter = false, seen_table = false;
        size_t lineno = 0, old_n = fw->n;
        char *p, *next;
        int r = 0;

        if (n > FW_MAX_INPUT)
                return -E2BIG;
        if (memchr(data, 0, n)) {
                if (ret_error)
                        *ret_error = strdup("binary data (a NUL byte)");
                return -EINVAL;
        }
        copy = str_ndup(data, n);
        if (!copy)
                return -ENOMEM;
        for (p = copy; p; p = next) {
                char *tok[256];
                char chain_name[64] = "";
                int nt;

                next = strchr(p, '\n');
                if (next)
                        *next++ = 0;
                lineno++;
                if (*p == '#' || *p == 0)
                        continue;
                if (*p == '*') {
                        seen_table = true;
                        in_filter = strcmp(p, "*filter") == 0;
                        if (in_filter) {
                                /* A second *filter section continues the first. */
                                t = fw_find_table(fw, fam, "filter", ORIGIN_IPT);
                                if (t && (size_t)(t - fw->t) < old_n)
                                        t = NULL;
                                if (!t && !(t = table_add(fw, "filter", fam, ORIGIN_IPT))) {
                                        r = -ENOMEM;
                                        goto fail;
                                }
                        }
                        continue;
                }
                if (strcmp(p, "COMMIT") == 0) {
                        in_filter = false;
                        continue;
                }
                if (!seen_table) {
                        if (ret_error)
                                *ret_error =
                                        str_printf("line %zu: not iptables-save output", lineno);
                        r = -EINVAL;
                        goto fail;
                }
                if (!in_filter)
                        continue;
                if (str_startswith(p, "-A ")) {
                        /* Keep the chain name apart: tokenizing works in
                         * place and may fail half way. */
                        const char *cn = p + 3;
                        size_t cl = strcspn(cn, " \t");
                        if (cl == 0 || cl >= sizeof(chain_name))
                                chain_name[0] = 0;
                        else {
                                memcpy(chain_name, cn, cl);
                                chain_name[cl] = 0;
                        }
                }
                nt = ipt_tokens(p, tok, (int)ELEMENTSOF(tok));
                if (nt < 0 && chain_name[0]) {
                        /* A rule line we cannot split: it may do anything. */
                        chain_t *c = chain_find(t, chain_name);
                        rule_t rule = { .verdict = V_UNKNOWN, .unknown = true };
                        if (!c && !(c = chain_add(t, chain_name))) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        if ((r = chain_push(c, &rule)) < 0)
                                goto fail;
                        continue;
                }
                if (nt <= 0)
                        continue;
                if (tok[0][0] == ':') {
                        const char *name = tok[0] + 1;
                        chain_t *c;
                        if (!*name)
                                continue;
                        c = chain_find(t, name);
                        if (!c && !(c = chain_add(t, name))) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        c->hooked = strcmp(name, "INPUT") == 0;
                        c->policy_drop = nt > 1 && strcmp(tok[1], "DROP") == 0;
                        continue;
                }
                if ((strcmp(tok[0], "-A") == 0 || strcmp(tok[0], "--append") == 0) && nt >= 2) {
                        chain_t *c = chain_find(t, tok[1]);
                        rule_t rule = { 0 };
                        int k;
                        if (!c && !(c = chain_add(t, tok[1]))) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        k = ipt_rule(tok + 2, nt - 2, fam, &rule);
                        if (k == -ENOMEM) {
                                rule_done(&rule);
                                r = k;
                                goto fail;
                        }
                        if (k < 0) {
                                /* A line we cannot read still counts: the
                                 * rule may do anything. */
                                rule_done(&rule);
                                rule.verdict = V_UNKNOWN;
                                rule.unknown = true;
                        }
                        if ((r = chain_push(c, &rule)) < 0)
                                goto fail;
                }
        }
        if (!seen_table && n > 0) {
                for (size_t i = 0; i < n; i++)
                        if (data[i] != ' ' && data[i] != '\n' && data[i] != '\t' &&
                            data[i] != '\r') {
                                if (ret_error)
                                        *ret_error = strdup("not iptables-save output");
                                r = -EINVAL;
                                goto fail;
                        }
        }
        for (size_t k = old_n; k < fw->n; k++)
                resolve_targets(&fw->t[k]);
        return 0;
fail:
        for (size_t k = old_n; k < fw->n; k++)
                table_done(&fw->t[k]);
        fw->n = old_n;
        return r;
}

/* ---- questions --------------------------------------------------------- */

bool fw_nft_has_xt(const fw_t *fw, int family)
{
        unsigned fam = family == AF_INET6 ? FAM_IP6 : FAM_IP;

        for (size_t i = 0; i < fw->n; i++)
                if (fw->t[i].origin == ORIGIN_NFT && (fw->t[i].fam & fam) && fw->t[i].has_xt)
                        return true;
        return false;
}

void fw_drop_nft_table(fw_t *fw, int family, const char *name)
{
        unsigned fam = family == AF_INET6 ? FAM_IP6 : FAM_IP;
        size_t k = 0;

        for (size_t i = 0; i < fw->n; i++) {
                if (fw->t[i].origin == ORIGIN_NFT && fw->t[i].fam == fam &&
                    strcmp(fw->t[i].name, name) == 0) {
                        table_done(&fw->t[i]);
                        continue;
                }
                fw->t[k++] = fw->t[i];
        }
        fw->n = k;
}

void fw_counts(const fw_t *fw, size_t *ret_tables, size_t *ret_rules, size_t *ret_unknown)
{
        size_t rules = 0, unknown = 0;

        for (size_t i = 0; i < fw->n; i++)
                for (size_t c = 0; c < fw->t[i].n; c++)
                        for (size_t k = 0; k < fw->t[i].chains[c].n; k++) {
                                rules++;
                                if (fw->t[i].chains[c].rules[k].unknown)
                                        unknown++;
                        }
        if (ret_tables)
                *ret_tables = fw->n;
        if (ret_rules)
                *ret_rules = rules;
        if (ret_unknown)
                *ret_unknown = unknown;
}

enum { OUT_ACCEPT = 1, OUT_DROP = 2, OUT_RET = 4 };
enum { T_NO, T_YES, T_MAYBE };

typedef struct pkt {
        unsigned fam;
        int proto;
        uint32_t port;
} pkt_t;

typedef struct eval {
        const table_t *t;
        pkt_t pkt;
        size_t visits;
} eval_t;

static bool in_ranges(const match_t *m, uint32_t v)
{
        for (size_t i = 0; i < m->n; i++)
                if (v >= m->v[i].lo && v <= m->v[i].hi)
                        return true;
        return false;
}

static int tri(bool v, bool neg)
{
        return v != neg ? T_YES : T_NO;
}

static int match_eval(const match_t *m, const pkt_t *p)
{
        switch (m->kind) {
        case MK_TRUE:
                return T_YES;
        case MK_FALSE:
                return T_NO;
        case MK_UNKNOWN:
                return T_MAYBE;
        case MK_L4PROTO:
                if (m->fam && !(m->fam & p->fam))
                        return T_NO;
                return tri(in_ranges(m, (uint32_t)p->proto), m->neg);
        case MK_DPORT:
                if (m->proto && m->proto != p->proto)
                        return T_NO;
                return tri(in_ranges(m, p->port), m->neg);
        case MK_SADDR:
                if (m->fam && !(m->fam & p->fam))
                        return T_NO;
                return tri(m->any, m->neg);
        case MK_IIF:
                return tri(false, m->neg);
        case MK_CTSTATE:
                return tri((m->ct & CT_NEW) != 0, m->neg);
        case MK_NFPROTO:
                return tri((m->fam & p->fam) != 0, m->neg);
        case MK_NEEDPROTO:
                return m->proto != p->proto ? T_NO : T_MAYBE;
        case MK_NEEDFAM:
                return !(m->fam & p->fam) ? T_NO : T_MAYBE;
        }
        return T_MAYBE;
}

static unsigned eval_chain(eval_t *e, size_t ci, size_t from, unsigned depth);

/* What applying rule R (at index I of chain CI) leads to. */
static unsigned apply_rule(eval_t *e, size_t ci, size_t i, const rule_t *r, unsigned depth)
{
        unsigned res;

        switch (r->verdict) {
        case V_CONTINUE:
                return eval_chain(e, ci, i + 1, depth);
        case V_ACCEPT:
                return OUT_ACCEPT;
        case V_DROP:
                return OUT_DROP;
        case V_RETURN:
                return OUT_RET;
        case V_JUMP:
        case V_GOTO:
                if (r->target_idx < 0 || depth >= FW_MAX_JUMPS)
                        return OUT_ACCEPT | OUT_DROP;
                res = eval_chain(e, (size_t)r->target_idx, 0, depth + 1);
                if (r->verdict == V_GOTO || !(res & OUT_RET))
                        return res;
                /* The jumped-to chain may return: go on after the jump. */
                return (res & ~(unsigned)OUT_RET) | eval_chain(e, ci, i + 1, depth);
        case V_UNKNOWN:
                break;
        }
        return OUT_ACCEPT | OUT_DROP;
}

static unsigned eval_chain(eval_t *e, size_t ci, size_t from, unsigned depth)
{
        const chain_t *c = &e->t->chains[ci];

        for (size_t i = from; i < c->n; i++) {
                const rule_t *r = &c->rules[i];
                int t = T_YES;

                if (++e->visits > FW_MAX_VISITS)
                        return OUT_ACCEPT | OUT_DROP;
                if (r->verdict == V_CONTINUE)
                        continue;
                for (size_t k = 0; k < r->nm && t != T_NO; k++) {
                        int mt = match_eval(&r->m[k], &e->pkt);
                        if (mt == T_NO)
                                t = T_NO;
                        else if (mt == T_MAYBE)
                                t = T_MAYBE;
                }
                if (t == T_NO)
                        continue;
                if (t == T_YES)
                        return apply_rule(e, ci, i, r, depth);
                /* Both ways: the rule applies, or it does not. */
                return apply_rule(e, ci, i, r, depth) | eval_chain(e, ci, i + 1, depth);
        }
        return OUT_RET;
}

static fw_state_t port_state_fam(const fw_t *fw, unsigned fam, int proto, uint16_t port)
{
        bool any_chain = false, all_accept = true;

        for (size_t ti = 0; ti < fw->n; ti++) {
                const table_t *t = &fw->t[ti];
                if (!(t->fam & fam))
                        continue;
                for (size_t ci = 0; ci < t->n; ci++) {
                        eval_t e = { .t = t, .pkt = { fam, proto, port } };
                        unsigned res;

                        if (!t->chains[ci].hooked)
                                continue;
                        any_chain = true;
                        res = eval_chain(&e, ci, 0, 0);
                        if (res & OUT_RET) {
                                res &= ~(unsigned)OUT_RET;
                                res |= t->chains[ci].policy_drop ? OUT_DROP : OUT_ACCEPT;
                        }
                        if (res == OUT_DROP)
                                return FW_STATE_RESTRICTED;
                        if (res != OUT_ACCEPT)
                                all_accept = false;
                }
        }
        if (!any_chain)
                return FW_STATE_NONE;
        return all_accept ? FW_STATE_UNRESTRICTED : FW_STATE_UNKNOWN;
}

fw_state_t fw_port_state(const fw_t *fw, int family, int proto, uint16_t port)
{
        fw_state_t a, b;

        if (!fw)
                return FW_STATE_UNKNOWN;
        if (family == AF_INET)
                return port_state_fam(fw, FAM_IP, proto, port);
        if (family == AF_INET6)
                return port_state_fam(fw, FAM_IP6, proto, port);
        /* Both families: the more reachable answer wins. */
        a = port_state_fam(fw, FAM_IP, proto, port);
        b = port_state_fam(fw, FAM_IP6, proto, port);
        if (a == FW_STATE_UNRESTRICTED || b == FW_STATE_UNRESTRICTED)
                return FW_STATE_UNRESTRICTED;
        if (a == FW_STATE_NONE || b == FW_STATE_NONE)
                return FW_STATE_NONE;
        if (a == FW_STATE_UNKNOWN || b == FW_STATE_UNKNOWN)
                return FW_STATE_UNKNOWN;
        return FW_STATE_RESTRICTED;
}

const char *fw_state_name(fw_state_t s)
{
        switch (s) {
        case FW_STATE_NONE:
                return "none";
        case FW_STATE_RESTRICTED:
                return "restricted";
        case FW_STATE_UNRESTRICTED:
                return "unrestricted";
        case FW_STATE_UNKNOWN:
                break;
        }
        return "unknown";
}

/* ---- the running host --------------------------------------------------- */

static int run_tool(const char *name, const char *const *args, char **ret, size_t *ret_len)
{
        _cleanup_free_ char *path = NULL;
        const char *argv[8];
        size_t k = 0;
        int status, r;

        r = cmdrun_find_program(name, &path);
        if (r < 0)
                return r;
        argv[k++] = path;
        for (; *args && k < ELEMENTSOF(argv) - 1; args++)
                argv[k++] = *args;
        argv[k] = NULL;
        r = cmdrun_capture(argv, FW_CMD_TIMEOUT_MS, FW_MAX_INPUT, ret, ret_len, &status);
        if (r < 0)
                return r;
        if (status != 0) {
                free(*ret);
                *ret = NULL;
                return -EACCES;
        }
        return 0;
}

/* The table names an iptables-save output holds ("*filter" → "filter"). */
static int ipt_table_names(const char *data, strv_t *ret)
{
        for (const char *p = data; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
                if (*p == '*') {
                        const char *e = strchr(p, '\n');
                        size_t len = e ? (size_t)(e - p - 1) : strlen(p + 1);
                        _cleanup_free_ char *name = str_ndup(p + 1, len);
                        if (!name || strv_push(ret, name) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

int fw_load_host(fw_t **ret, char **ret_error)
{
        static const char *const nft_args[] = { "-j", "list", "ruleset", NULL };
        static const char *const no_args[] = { NULL };
        static const struct {
                const char *tool;
                int family;
        } ipt[] = { { "iptables-save", AF_INET }, { "ip6tables-save", AF_INET6 } };
        _cleanup_(fw_freep) fw_t *fw = fw_new();
        _cleanup_free_ char *why = NULL;
        bool have_nft = false, have_any = false, tool_found = false;
        int r;

        if (!fw)
                return -ENOMEM;
        {
                _cleanup_free_ char *out = NULL, *err = NULL;
                size_t len = 0;
                r = run_tool("nft", nft_args, &out, &len);
                if (r == -ENOMEM)
                        return r;
                if (r != -ENOENT)
                        tool_found = true;
                if (r == 0) {
                        r = fw_add_nft_json(fw, out, len, &err);
                        if (r == -ENOMEM)
                                return r;
                        if (r == 0)
                                have_nft = have_any = true;
                        else
                                why = str_printf("nft -j list ruleset: %s",
                                                 err ? err : strerror(-r));
                } else if (r != -ENOENT)
                        why = str_printf("nft -j list ruleset failed: %s",
                                         r == -EACCES ? "the command reported an error (not root?)"
                                                      : strerror(-r));
        }
        for (size_t i = 0; i < ELEMENTSOF(ipt); i++) {
                _cleanup_free_ char *out = NULL, *err = NULL;
                _cleanup_(strv_clear) strv_t names = { 0 };
                size_t len = 0;

                /* iptables rules are already in the nftables ruleset when
                 * iptables is the nf_tables variant; read them as iptables
                 * text only when nft had nothing or could not show them. */
                if (have_nft && !fw_nft_has_xt(fw, ipt[i].family))
                        continue;
                r = run_tool(ipt[i].tool, no_args, &out, &len);
                if (r == -ENOMEM)
                        return r;
                if (r == -ENOENT)
                        continue;
                tool_found = true;
                if (r < 0) {
                        if (!why)
                                why = str_printf("%s failed: %s", ipt[i].tool,
                                                 r == -EACCES ? "the command reported an error"
                                                              : strerror(-r));
                        continue;
                }
                if (have_nft && strstr(out, "(nf_tables)")) {
                        if ((r = ipt_table_names(out, &names)) < 0)
                                return r;
                        for (size_t k = 0; k < names.n; k++)
                                fw_drop_nft_table(fw, ipt[i].family, names.v[k]);
                }
                r = fw_add_iptables_save(fw, out, len, ipt[i].family, &err);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        if (!why)
                                why = str_printf("%s: %s", ipt[i].tool, err ? err : strerror(-r));
                        continue;
                }
                have_any = true;
        }
        if (!have_any) {
                if (ret_error)
                        *ret_error = why ? TAKE_PTR(why)
                                         : strdup("neither nft nor iptables-save is installed");
                return tool_found ? -EACCES : -ENOENT;
        }
        *ret = TAKE_PTR(fw);
        return 0;
}
