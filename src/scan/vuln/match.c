#include "scan/vuln/match.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scan/vuln/cvss.h"

/* ---- range evaluation ---- */

typedef struct sort_ctx {
        version_scheme_t scheme;
} sort_ctx_t;

static bool is_zero_intro(const feed_event_t *e)
{
        return e->kind == FEED_EV_INTRODUCED && strcmp(e->version, "0") == 0;
}

/* Order of events by version; "introduced: 0" sorts before everything. */
static int event_cmp(const sort_ctx_t *c, const feed_event_t *a, const feed_event_t *b)
{
        bool za = is_zero_intro(a), zb = is_zero_intro(b);

        if (za || zb)
                return za && zb ? 0 : za ? -1 : 1;
        return vercmp(c->scheme, a->version, b->version);
}

/* Stable merge sort of event pointers (ties keep the feed's order). */
static void sort_events(const sort_ctx_t *c, const feed_event_t **v, const feed_event_t **tmp,
                        size_t n)
{
        if (n < 2)
                return;
        if (n <= 8) {
                for (size_t i = 1; i < n; i++) {
                        const feed_event_t *x = v[i];
                        size_t j = i;
                        while (j > 0 && event_cmp(c, v[j - 1], x) > 0) {
                                v[j] = v[j - 1];
                                j--;
                        }
                        v[j] = x;
                }
                return;
        }
        size_t h = n / 2, i = 0, j = h, k = 0;
        sort_events(c, v, tmp, h);
        sort_events(c, v + h, tmp, n - h);
        while (i < h && j < n)
                tmp[k++] = event_cmp(c, v[j], v[i]) < 0 ? v[j++] : v[i++];
        while (i < h)
                tmp[k++] = v[i++];
        while (j < n)
                tmp[k++] = v[j++];
        memcpy(v, tmp, n * sizeof(*v));
}

static bool before_limits(version_scheme_t scheme, const char *version, const feed_range_t *rg)
{
        bool any = false;

        for (size_t i = 0; i < rg->n_events; i++) {
                const feed_event_t *e = &rg->events[i];
                if (e->kind != FEED_EV_LIMIT)
                        continue;
                any = true;
                /* A limit containing "*" stands for infinity. */
                if (strchr(e->version, '*') || vercmp(scheme, version, e->version) < 0)
                        return true;
        }
        return !any;
}

/* Is VERSION inside range RG? On success *RET_FIX is the event that ends
 * the affected stretch it is in (NULL when none). */
static bool in_range(version_scheme_t scheme, const char *version, const feed_range_t *rg,
                     const feed_event_t **ret_fix)
{
        const feed_event_t *small[32], *small_tmp[32];
        const feed_event_t **v = small, **tmp = small_tmp;
        sort_ctx_t c = { scheme };
        size_t n = 0, intro_at = 0;
        bool vulnerable = false;

        *ret_fix = NULL;
        if (!before_limits(scheme, version, rg))
                return false;
        if (rg->n_events > ELEMENTSOF(small)) {
                v = malloc(rg->n_events * sizeof(*v));
                tmp = malloc(rg->n_events * sizeof(*tmp));
                if (!v || !tmp) {
                        /* Out of memory: fall back to the feed's order, which
                         * the schema recommends be sorted already. */
                        free(v);
                        free(tmp);
                        v = NULL;
                }
        }
        for (size_t i = 0; i < rg->n_events; i++)
                if (rg->events[i].kind != FEED_EV_LIMIT) {
                        if (v)
                                v[n] = &rg->events[i];
                        n++;
                }
        if (!v) {
                /* Walk unsorted. */
                for (size_t i = 0, k = 0; i < rg->n_events; i++) {
                        const feed_event_t *e = &rg->events[i];
                        if (e->kind == FEED_EV_LIMIT)
                                continue;
                        if (e->kind == FEED_EV_INTRODUCED &&
                            (is_zero_intro(e) || vercmp(scheme, version, e->version) >= 0)) {
                                vulnerable = true;
                                intro_at = k;
                        } else if (e->kind == FEED_EV_FIXED &&
                                   vercmp(scheme, version, e->version) >= 0)
                                vulnerable = false;
                        else if (e->kind == FEED_EV_LAST_AFFECTED &&
                                 vercmp(scheme, version, e->version) > 0)
                                vulnerable = false;
                        k++;
                }
                return vulnerable;
        }
        sort_events(&c, v, tmp, n);
        for (size_t i = 0; i < n; i++) {
                const feed_event_t *e = v[i];
                if (e->kind == FEED_EV_INTRODUCED) {
                        if (is_zero_intro(e) || vercmp(scheme, version, e->version) >= 0) {
                                vulnerable = true;
                                intro_at = i;
                        }
                } else if (e->kind == FEED_EV_FIXED) {
                        if (vercmp(scheme, version, e->version) >= 0)
                                vulnerable = false;
                } else if (e->kind == FEED_EV_LAST_AFFECTED) {
                        if (vercmp(scheme, version, e->version) > 0)
                                vulnerable = false;
                }
        }
        if (vulnerable)
                for (size_t i = intro_at + 1; i < n; i++)
                        if (v[i]->kind == FEED_EV_FIXED || v[i]->kind == FEED_EV_LAST_AFFECTED) {
                                *ret_fix = v[i];
                                break;
                        }
        if (v != small) {
                free(v);
                free(tmp);
        }
        return vulnerable;
}

bool match_affected(version_scheme_t scheme, const char *version, const feed_affected_t *af,
                    match_result_t *ret, size_t *ranges_compared)
{
        match_result_t res = { 0 };

        for (size_t i = 0; i < af->n_ranges; i++) {
                const feed_range_t *rg = &af->ranges[i];
                version_scheme_t s = rg->type == FEED_RANGE_SEMVER ? VERSION_SEMVER : scheme;
                const feed_event_t *fix;
                if (ranges_compared)
                        (*ranges_compared)++;
                if (!in_range(s, version, rg, &fix))
                        continue;
                res.affected = true;
                if (fix && fix->kind == FEED_EV_FIXED)
                        res.fixed = fix->version;
                else if (fix)
                        res.last_affected = fix->version;
                break;
        }
        if (!res.affected)
                for (size_t i = 0; i < af->n_versions; i++)
                        if (vercmp(scheme, version, af->versions[i]) == 0) {
                                res.affected = true;
                                res.by_version_list = true;
                                break;
                        }
        if (ret)
                *ret = res;
        return res.affected;
}

/* ---- grouping ---- */

bool match_is_cve(const char *id)
{
        size_t i = 4, k;

        if (strncmp(id, "CVE-", 4) != 0)
                return false;
        for (k = 0; k < 4; k++, i++)
                if (!isdigit((unsigned char)id[i]))
                        return false;
        if (id[i++] != '-')
                return false;
        for (k = 0; isdigit((unsigned char)id[i]); k++, i++)
                ;
        return k >= 4 && id[i] == 0;
}

int match_word_level(const char *word, finding_level_t *ret)
{
        static const struct {
                const char *word;
                finding_level_t level;
        } words[] = {
                { "critical", FINDING_HIGH },      { "high", FINDING_HIGH },
                { "important", FINDING_HIGH },     { "medium", FINDING_MEDIUM },
                { "moderate", FINDING_MEDIUM },    { "not yet assigned", FINDING_MEDIUM },
                { "end-of-life", FINDING_MEDIUM }, { "low", FINDING_LOW },
                { "negligible", FINDING_LOW },     { "unimportant", FINDING_LOW },
        };

        if (!word)
                return -ENOENT;
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (strcmp(word, words[i].word) == 0) {
                        *ret = words[i].level;
                        return 0;
                }
        return -ENOENT;
}

/* Ranking of advisory prefixes when one of several equivalent advisories
 * must name the finding: distribution advisories first, then GHSA. */
static int prefix_rank(const char *id)
{
        static const char *const prefixes[] = {
                "DSA-",  "DLA-",  "DTSA-",     "USN-",  "RHSA-",  "RLSA-", "ALSA-",
                "ELSA-", "SUSE-", "openSUSE-", "GHSA-", "PYSEC-", "GO-",   "RUSTSEC-",
        };
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (strncmp(id, prefixes[i], strlen(prefixes[i])) == 0)
                        return (int)i;
        return (int)ELEMENTSOF(prefixes);
}

/* The CVE a per-CVE record is about, or NULL when HIT bundles several. */
static const char *percve_id(fj_arena_t *a, const match_hit_t *h)
{
        const char *p;

        if (match_is_cve(h->id))
                return h->id;
        /* "DEBIAN-CVE-2024-1234", "UBUNTU-CVE-2024-1234", ... */
        p = strstr(h->id, "-CVE-");
        if (p && match_is_cve(p + 1)) {
                if (strcmp(h->source, FEED_SOURCE_TRACKER) == 0)
                        return p + 1;
                for (size_t i = 0; i < h->n_aliases; i++)
                        if (strcmp(h->aliases[i].id, p + 1) == 0)
                                return h->aliases[i].id;
                return fj_arena_strdup(a, p + 1);
        }
        return NULL;
}

typedef struct node {
        size_t hit; /* representative hit */
        const char *id;
        const char *cve;   /* per-CVE nodes */
        const char **cves; /* groups: sorted, unique */
        size_t n_cves;
        size_t *members; /* hits folded into this node */
        size_t n_members, cap_members;
        bool group;
        bool dead;
        const char **listed; /* groups: CVEs shown (not shown by an earlier group) */
        size_t n_listed;
        const char **absorbed; /* ids of groups folded in */
        size_t n_absorbed, cap_absorbed;
} node_t;

static int cmp_strp(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool sorted_has(const char **v, size_t n, const char *s)
{
        return n && bsearch(&s, v, n, sizeof(*v), cmp_strp);
}

static int add_member(node_t *n, size_t hit)
{
        if (n->n_members == n->cap_members) {
                size_t c = n->cap_members ? n->cap_members * 2 : 4;
                size_t *v = realloc(n->members, c * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                n->members = v;
                n->cap_members = c;
        }
        n->members[n->n_members++] = hit;
        return 0;
}

static int add_absorbed(node_t *n, const char *id)
{
        if (n->n_absorbed == n->cap_absorbed) {
                size_t c = n->cap_absorbed ? n->cap_absorbed * 2 : 4;
                const char **v = realloc(n->absorbed, c * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                n->absorbed = v;
                n->cap_absorbed = c;
        }
        n->absorbed[n->n_absorbed++] = id;
        return 0;
}

/* Fold node FROM into node TO. */
static int absorb(node_t *to, node_t *from)
{
        int r;

        for (size_t i = 0; i < from->n_members; i++)
                if ((r = add_member(to, from->members[i])) < 0)
                        return r;
        if (strcmp(to->id, from->id) != 0 && (r = add_absorbed(to, from->id)) < 0)
                return r;
        for (size_t i = 0; i < from->n_absorbed; i++)
                if ((r = add_absorbed(to, from->absorbed[i])) < 0)
                        return r;
        from->dead = true;
        return 0;
}

static bool alias_linked(const match_hit_t *a, const match_hit_t *b)
{
        for (size_t i = 0; i < a->n_aliases; i++)
                if (strcmp(a->aliases[i].id, b->id) == 0)
                        return true;
        for (size_t i = 0; i < b->n_aliases; i++)
                if (strcmp(b->aliases[i].id, a->id) == 0)
                        return true;
        return false;
}

typedef struct group_order {
        const match_hit_t *hits;
        node_t *nodes;
} group_order_t;

static int cmp_group(const void *x, const void *y, void *ud)
{
        const group_order_t *o = ud;
        const node_t *a = &o->nodes[*(const size_t *)x], *b = &o->nodes[*(const size_t *)y];
        int ra, rb;

        if (a->n_cves != b->n_cves)
                return a->n_cves > b->n_cves ? -1 : 1;
        ra = prefix_rank(a->id);
        rb = prefix_rank(b->id);
        if (ra != rb)
                return ra < rb ? -1 : 1;
        return strcmp(a->id, b->id);
}

static int cmp_node_cve(const void *x, const void *y, void *ud)
{
        const node_t *nodes = ud;
        const node_t *a = &nodes[*(const size_t *)x], *b = &nodes[*(const size_t *)y];
        int c = strcmp(a->cve, b->cve);

        if (c)
                return c;
        return a->hit < b->hit ? -1 : a->hit > b->hit;
}

/* Collect the CVE ids a group hit lists (sorted, unique) into the arena. */
static int group_cves(fj_arena_t *a, const match_hit_t *h, node_t *n)
{
        size_t k = 0;

        n->cves = fj_arena_alloc(a, (h->n_aliases + 1) * sizeof(*n->cves));
        if (!n->cves)
                return -ENOMEM;
        for (size_t i = 0; i < h->n_aliases; i++)
                if (match_is_cve(h->aliases[i].id))
                        n->cves[k++] = h->aliases[i].id;
        qsort(n->cves, k, sizeof(*n->cves), cmp_strp);
        n->n_cves = 0;
        for (size_t i = 0; i < k; i++)
                if (!n->n_cves || strcmp(n->cves[n->n_cves - 1], n->cves[i]) != 0)
                        n->cves[n->n_cves++] = n->cves[i];
        return 0;
}

static int finish_group(version_scheme_t scheme, const match_hit_t *hits, const node_t *n,
                        fj_arena_t *a, match_group_t *g)
{
        finding_level_t word_level = 0, urg_level = 0, l;
        const char *word = NULL, *urg = NULL;
        size_t cap_refs;

        *g = (match_group_t){ .check = n->group ? n->id : n->cve, .cvss_score = -1 };
        if (n->group) {
                g->cves = n->listed;
                g->n_cves = n->n_listed;
        } else {
                g->cves = fj_arena_alloc(a, sizeof(*g->cves));
                if (!g->cves)
                        return -ENOMEM;
                g->cves[0] = n->cve;
                g->n_cves = 1;
        }
        g->advisories = fj_arena_alloc(a, (n->n_members + n->n_absorbed + 1) * sizeof(char *));
        cap_refs = 0;
        for (size_t i = 0; i < n->n_members; i++)
                cap_refs += hits[n->members[i]].n_refs;
        g->refs = fj_arena_alloc(a, (cap_refs ? cap_refs : 1) * sizeof(char *));
        if (!g->advisories || !g->refs)
                return -ENOMEM;
        g->advisories[g->n_advisories++] = g->check;

        for (size_t i = 0; i < n->n_members; i++) {
                const match_hit_t *h = &hits[n->members[i]];
                bool dup = false;
                for (size_t k = 0; k < g->n_advisories && !dup; k++)
                        dup = strcmp(g->advisories[k], h->id) == 0;
                if (!dup)
                        g->advisories[g->n_advisories++] = h->id;
                if (!g->summary || (n->group && strcmp(h->id, n->id) == 0 && h->summary))
                        g->summary = h->summary ? h->summary : g->summary;
                if (h->fixed && (!g->fixed || vercmp(scheme, h->fixed, g->fixed) > 0))
                        g->fixed = h->fixed;
                if (h->last_affected &&
                    (!g->last_affected || vercmp(scheme, h->last_affected, g->last_affected) > 0))
                        g->last_affected = h->last_affected;
                if (h->cvss_score >= 0 && h->cvss_score > g->cvss_score) {
                        g->cvss_score = h->cvss_score;
                        g->cvss_vector = h->cvss_vector;
                }
                if (match_word_level(h->severity, &l) == 0 && l > word_level) {
                        word_level = l;
                        word = h->severity;
                }
                if (match_word_level(h->urgency, &l) == 0 && l > urg_level) {
                        urg_level = l;
                        urg = h->urgency;
                }
                for (size_t k = 0; k < h->n_refs; k++) {
                        bool seen = false;
                        for (size_t j = 0; j < g->n_refs && !seen; j++)
                                seen = strcmp(g->refs[j], h->refs[k].url) == 0;
                        if (!seen)
                                g->refs[g->n_refs++] = h->refs[k].url;
                }
        }
        for (size_t i = 0; i < n->n_absorbed; i++) {
                bool dup = false;
                for (size_t k = 0; k < g->n_advisories && !dup; k++)
                        dup = strcmp(g->advisories[k], n->absorbed[i]) == 0;
                if (!dup)
                        g->advisories[g->n_advisories++] = n->absorbed[i];
        }
        /* A known fixed version wins over a last affected one. */
        if (g->fixed)
                g->last_affected = NULL;
        if (g->cvss_score >= 0) {
                g->level = cvss_level(g->cvss_score);
                g->level_source = MATCH_LEVEL_CVSS;
        } else if (word_level) {
                g->level = word_level;
                g->level_source = MATCH_LEVEL_SEVERITY;
                g->severity = word;
        } else if (urg_level) {
                g->level = urg_level;
                g->level_source = MATCH_LEVEL_URGENCY;
                g->severity = urg;
        } else {
                g->level = FINDING_MEDIUM;
                g->level_source = MATCH_LEVEL_DEFAULT;
        }
        return 0;
}

static void nodes_free(node_t *nodes, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(nodes[i].members);
                free(nodes[i].absorbed);
        }
        free(nodes);
}

int match_group_hits(version_scheme_t scheme, const match_hit_t *hits, size_t n, fj_arena_t *a,
                     match_group_t **ret, size_t *ret_n)
{
        node_t *nodes = calloc(n ? n : 1, sizeof(*nodes));
        size_t *groups = malloc((n ? n : 1) * sizeof(*groups));
        size_t *percve = malloc((n ? n : 1) * sizeof(*percve));
        size_t n_groups = 0, n_percve = 0, n_out = 0;
        const char **listed = NULL; /* every CVE listed so far, sorted */
        size_t n_listed_all = 0;
        match_group_t *out = NULL;
        group_order_t order = { hits, nodes };
        int r = -ENOMEM;

        if (!nodes || !groups || !percve)
                goto out;

        for (size_t i = 0; i < n; i++) {
                node_t *nd = &nodes[i];
                nd->hit = i;
                nd->id = hits[i].id;
                nd->cve = percve_id(a, &hits[i]);
                if ((r = add_member(nd, i)) < 0)
                        goto out;
                if (nd->cve)
                        percve[n_percve++] = i;
                else {
                        nd->group = true;
                        if ((r = group_cves(a, &hits[i], nd)) < 0)
                                goto out;
                        groups[n_groups++] = i;
                }
        }

        /* The same CVE from several sources is one finding. */
        qsort_r(percve, n_percve, sizeof(*percve), cmp_node_cve, nodes);
        for (size_t i = 1, first = 0; i < n_percve; i++) {
                if (strcmp(nodes[percve[i]].cve, nodes[percve[first]].cve) == 0) {
                        if ((r = absorb(&nodes[percve[first]], &nodes[percve[i]])) < 0)
                                goto out;
                } else
                        first = i;
        }

        /* Groups, biggest first: fold a group into an earlier one when they
         * alias each other or all its CVEs are already listed. */
        qsort_r(groups, n_groups, sizeof(*groups), cmp_group, &order);
        {
                size_t cap_listed = 0;
                for (size_t i = 0; i < n_groups; i++)
                        cap_listed += nodes[groups[i]].n_cves;
                listed = malloc((cap_listed ? cap_listed : 1) * sizeof(*listed));
                if (!listed) {
                        r = -ENOMEM;
                        goto out;
                }
        }
        for (size_t gi = 0; gi < n_groups; gi++) {
                node_t *g = &nodes[groups[gi]];
                node_t *into = NULL;
                size_t best = 0;
                for (size_t k = 0; k < gi && !into; k++) {
                        node_t *h = &nodes[groups[k]];
                        if (!h->dead && alias_linked(&hits[g->hit], &hits[h->hit]))
                                into = h;
                }
                if (!into && g->n_cves) {
                        bool all = true;
                        for (size_t c = 0; c < g->n_cves && all; c++)
                                all = sorted_has(listed, n_listed_all, g->cves[c]);
                        for (size_t k = 0; all && k < gi; k++) {
                                node_t *h = &nodes[groups[k]];
                                size_t common = 0;
                                if (h->dead)
                                        continue;
                                for (size_t c = 0; c < g->n_cves; c++)
                                        common += sorted_has(h->cves, h->n_cves, g->cves[c]);
                                if (common > best) {
                                        best = common;
                                        into = h;
                                }
                        }
                }
                if (into) {
                        if ((r = absorb(into, g)) < 0)
                                goto out;
                        continue;
                }
                g->listed = fj_arena_alloc(a, (g->n_cves ? g->n_cves : 1) * sizeof(*g->listed));
                if (!g->listed) {
                        r = -ENOMEM;
                        goto out;
                }
                for (size_t c = 0; c < g->n_cves; c++)
                        if (!sorted_has(listed, n_listed_all, g->cves[c]))
                                g->listed[g->n_listed++] = g->cves[c];
                for (size_t c = 0; c < g->n_listed; c++)
                        listed[n_listed_all++] = g->listed[c];
                qsort(listed, n_listed_all, sizeof(*listed), cmp_strp);
        }

        /* Per-CVE records whose CVE a kept group has join that group. */
        for (size_t i = 0; i < n_percve; i++) {
                node_t *p = &nodes[percve[i]];
                if (p->dead)
                        continue;
                for (size_t k = 0; k < n_groups; k++) {
                        node_t *g = &nodes[groups[k]];
                        if (!g->dead && sorted_has(g->cves, g->n_cves, p->cve)) {
                                if ((r = absorb(g, p)) < 0)
                                        goto out;
                                break;
                        }
                }
        }

        out = fj_arena_alloc(a, (n ? n : 1) * sizeof(*out));
        if (!out) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t k = 0; k < n_groups; k++)
                if (!nodes[groups[k]].dead &&
                    (r = finish_group(scheme, hits, &nodes[groups[k]], a, &out[n_out++])) < 0)
                        goto out;
        for (size_t i = 0; i < n_percve; i++)
                if (!nodes[percve[i]].dead &&
                    (r = finish_group(scheme, hits, &nodes[percve[i]], a, &out[n_out++])) < 0)
                        goto out;
        *ret = out;
        *ret_n = n_out;
        r = 0;
out:
        if (nodes)
                nodes_free(nodes, n);
        free(groups);
        free(percve);
        free(listed);
        return r;
}
