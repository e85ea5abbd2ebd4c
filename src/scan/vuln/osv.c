#include "scan/vuln/osv.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scan/vuln/cvss.h"
#include "scan/vuln/ecosystem.h"

/* Where in the record the parser is: a stack of member names and array
 * indexes, turned into "affected[2].ranges[0]" only when an error needs it,
 * so a well-formed record costs no formatting. */
typedef struct seg {
        const char *key; /* NULL for an array index */
        size_t idx;
} seg_t;

typedef struct ctx {
        fj_arena_t *a;
        feed_error_t *err;
        unsigned ignored;
        seg_t path[16];
        unsigned depth;
} ctx_t;

static void push_key(ctx_t *c, const char *key)
{
        if (c->depth < ELEMENTSOF(c->path))
                c->path[c->depth] = (seg_t){ key, 0 };
        c->depth++;
}

static void push_idx(ctx_t *c, size_t idx)
{
        if (c->depth < ELEMENTSOF(c->path))
                c->path[c->depth] = (seg_t){ NULL, idx };
        c->depth++;
}

static void pop(ctx_t *c)
{
        c->depth--;
}

static int fail(ctx_t *c, size_t pos, const char *fmt, ...) _printf_(3, 4);
static int fail(ctx_t *c, size_t pos, const char *fmt, ...)
{
        char where[sizeof(c->err->where)] = "";
        size_t n = 0;
        va_list ap;

        if (!c->err)
                return -EINVAL;
        for (unsigned i = 0; i < c->depth && i < ELEMENTSOF(c->path) && n < sizeof(where); i++) {
                int k;
                if (c->path[i].key)
                        k = snprintf(where + n, sizeof(where) - n, "%s%s", n ? "." : "",
                                     c->path[i].key);
                else
                        k = snprintf(where + n, sizeof(where) - n, "[%zu]", c->path[i].idx);
                if (k < 0)
                        break;
                n += (size_t)k;
        }
        c->err->pos = pos;
        memcpy(c->err->where, where, sizeof(where));
        c->err->where[sizeof(c->err->where) - 1] = 0;
        va_start(ap, fmt);
        vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
        va_end(ap);
        return -EINVAL;
}

static const char *const record_fields[] = {
        "schema_version", "id",       "modified",   "published", "withdrawn",
        "aliases",        "related",  "upstream",   "summary",   "details",
        "severity",       "affected", "references", "credits",   "database_specific",
};

bool osv_is_record_field(const char *key)
{
        for (size_t i = 0; i < ELEMENTSOF(record_fields); i++)
                if (strcmp(record_fields[i], key) == 0)
                        return true;
        return false;
}

static int oom(ctx_t *c)
{
        fail(c, 0, "out of memory");
        return -ENOMEM;
}

/* V must be a string without control characters, at most MAX bytes. */
static int want_str(ctx_t *c, const fj_value_t *v, size_t max, const char **ret)
{
        if (!v || v->type != FJ_STRING)
                return fail(c, v ? v->pos : 0, "expected a string, found %s", fj_type_name(v));
        if (v->n > max)
                return fail(c, v->pos, "string longer than %zu bytes", max);
        for (size_t i = 0; i < v->n; i++) {
                unsigned char ch = (unsigned char)v->u.str[i];
                if (ch < 0x20 || ch == 0x7f)
                        return fail(c, v->pos, "control character in string");
        }
        *ret = v->u.str;
        return 0;
}

/* Like want_str for an optional member KEY of OBJ (NULL when absent or null). */
static int opt_str(ctx_t *c, const fj_value_t *obj, const char *key, size_t max, const char **ret)
{
        const fj_value_t *v = fj_get(obj, key);
        int r;

        *ret = NULL;
        if (!v || v->type == FJ_NULL)
                return 0;
        push_key(c, key);
        r = want_str(c, v, max, ret);
        pop(c);
        return r;
}

static int want_array(ctx_t *c, const fj_value_t *v)
{
        if (v->type != FJ_ARRAY)
                return fail(c, v->pos, "expected an array, found %s", fj_type_name(v));
        if (v->n > OSV_MAX_ITEMS)
                return fail(c, v->pos, "more than %d items", OSV_MAX_ITEMS);
        return 0;
}

static int want_object(ctx_t *c, const fj_value_t *v)
{
        if (v->type != FJ_OBJECT)
                return fail(c, v->pos, "expected an object, found %s", fj_type_name(v));
        return 0;
}

static int parse_time_field(ctx_t *c, const fj_value_t *obj, const char *key, int64_t *ret,
                            bool *ret_present)
{
        const fj_value_t *v = fj_get(obj, key);
        const char *s;
        int r;

        *ret = 0;
        if (ret_present)
                *ret_present = false;
        if (!v || v->type == FJ_NULL)
                return 0;
        push_key(c, key);
        if ((r = want_str(c, v, 64, &s)) == 0 && feed_parse_time(s, ret) < 0)
                r = fail(c, v->pos, "not an RFC 3339 time: \"%s\"", s);
        pop(c);
        if (r == 0 && ret_present)
                *ret_present = true;
        return r;
}

/* Lower-case severity word from a feed ("MODERATE" -> "medium"), or NULL
 * for anything that is not a short word. */
static const char *severity_word(ctx_t *c, const char *s)
{
        char buf[33];
        size_t n = strlen(s);

        if (n == 0 || n >= sizeof(buf))
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (!isalpha((unsigned char)s[i]) && s[i] != ' ')
                        return NULL;
                buf[i] = (char)tolower((unsigned char)s[i]);
        }
        buf[n] = 0;
        if (strcmp(buf, "moderate") == 0)
                return "medium";
        if (strcmp(buf, "important") == 0)
                return "high";
        return fj_arena_strdup(c->a, buf);
}

/* Parse a severity[] array into *RET; a type "Ubuntu" entry gives a
 * severity word instead. */
static int parse_severities(ctx_t *c, const fj_value_t *arr, feed_severity_t **ret, size_t *ret_n,
                            const char **ret_word)
{
        feed_severity_t *s;
        size_t n = 0;
        int r;

        *ret = NULL;
        *ret_n = 0;
        if (!arr || arr->type == FJ_NULL)
                return 0;
        if ((r = want_array(c, arr)) < 0)
                return r;
        if (!arr->n)
                return 0;
        s = fj_arena_alloc(c->a, arr->n * sizeof(*s));
        if (!s)
                return oom(c);
        for (size_t i = 0; i < arr->n; i++) {
                const fj_value_t *e = &arr->u.items[i];
                const char *type, *score;
                push_idx(c, i);
                if ((r = want_object(c, e)) < 0 || (r = opt_str(c, e, "type", 64, &type)) < 0 ||
                    (r = opt_str(c, e, "score", CVSS_VECTOR_MAX, &score)) < 0)
                        return r;
                if (!type || !score)
                        return fail(c, e->pos, "needs \"type\" and \"score\"");
                pop(c);
                if (strcmp(type, "Ubuntu") == 0) {
                        if (ret_word && !*ret_word)
                                *ret_word = severity_word(c, score);
                        continue;
                }
                if (strcmp(type, "CVSS_V2") != 0 && strcmp(type, "CVSS_V3") != 0 &&
                    strcmp(type, "CVSS_V4") != 0) {
                        c->ignored++;
                        continue;
                }
                s[n].type = type;
                s[n].vector = score;
                /* A vector that cannot be scored is kept (shown as given) but
                 * does not decide the level. */
                if (cvss_score(score, &s[n].score, NULL) < 0)
                        s[n].score = -1;
                n++;
        }
        *ret = s;
        *ret_n = n;
        return 0;
}

static int parse_string_list(ctx_t *c, const fj_value_t *arr, size_t max, const char ***ret,
                             size_t *ret_n)
{
        const char **v;
        int r;

        *ret = NULL;
        *ret_n = 0;
        if (!arr || arr->type == FJ_NULL)
                return 0;
        if ((r = want_array(c, arr)) < 0)
                return r;
        if (!arr->n)
                return 0;
        v = fj_arena_alloc(c->a, arr->n * sizeof(*v));
        if (!v)
                return oom(c);
        for (size_t i = 0; i < arr->n; i++) {
                push_idx(c, i);
                if ((r = want_str(c, &arr->u.items[i], max, &v[i])) < 0)
                        return r;
                if (!*v[i])
                        return fail(c, arr->u.items[i].pos, "empty string");
                pop(c);
        }
        *ret = v;
        *ret_n = arr->n;
        return 0;
}

static int parse_events(ctx_t *c, const fj_value_t *arr, const fj_value_t *range, feed_range_t *rg)
{
        static const char *const kinds[] = {
                [FEED_EV_INTRODUCED] = "introduced",
                [FEED_EV_FIXED] = "fixed",
                [FEED_EV_LAST_AFFECTED] = "last_affected",
                [FEED_EV_LIMIT] = "limit",
        };
        bool introduced = false, fixed = false, last = false;
        int r;

        if (!arr)
                return fail(c, range->pos, "range without \"events\"");
        push_key(c, "events");
        if ((r = want_array(c, arr)) < 0)
                return r;
        rg->events = fj_arena_alloc(c->a, (arr->n ? arr->n : 1) * sizeof(*rg->events));
        if (!rg->events)
                return oom(c);
        for (size_t i = 0; i < arr->n; i++) {
                const fj_value_t *e = &arr->u.items[i];
                size_t k;
                push_idx(c, i);
                if ((r = want_object(c, e)) < 0)
                        return r;
                if (e->n != 1)
                        return fail(c, e->pos,
                                    "an event must have exactly one of introduced, fixed, "
                                    "last_affected, limit");
                for (k = 0; k < ELEMENTSOF(kinds); k++)
                        if (strcmp(e->u.members[0].key, kinds[k]) == 0)
                                break;
                if (k == ELEMENTSOF(kinds))
                        return fail(c, e->pos, "unknown event \"%s\"", e->u.members[0].key);
                push_key(c, kinds[k]);
                if ((r = want_str(c, &e->u.members[0].value, OSV_MAX_STRING,
                                  &rg->events[i].version)) < 0)
                        return r;
                if (!*rg->events[i].version)
                        return fail(c, e->u.members[0].value.pos, "empty version");
                pop(c);
                pop(c);
                rg->events[i].kind = (feed_event_kind_t)k;
                introduced |= k == FEED_EV_INTRODUCED;
                fixed |= k == FEED_EV_FIXED;
                last |= k == FEED_EV_LAST_AFFECTED;
        }
        if (!introduced)
                return fail(c, arr->pos, "range without an \"introduced\" event");
        if (fixed && last)
                return fail(c, arr->pos, "range with both \"fixed\" and \"last_affected\" events");
        pop(c);
        rg->n_events = arr->n;
        return 0;
}

static int parse_ranges(ctx_t *c, const fj_value_t *arr, feed_affected_t *af)
{
        int r;

        if (!arr || arr->type == FJ_NULL)
                return 0;
        push_key(c, "ranges");
        if ((r = want_array(c, arr)) < 0)
                return r;
        af->ranges = fj_arena_alloc(c->a, (arr->n ? arr->n : 1) * sizeof(*af->ranges));
        if (!af->ranges)
                return oom(c);
        for (size_t i = 0; i < arr->n; i++) {
                const fj_value_t *rv = &arr->u.items[i];
                feed_range_t *rg = &af->ranges[af->n_ranges];
                const char *type;
                push_idx(c, i);
                if ((r = want_object(c, rv)) < 0 || (r = opt_str(c, rv, "type", 64, &type)) < 0)
                        return r;
                if (!type)
                        return fail(c, rv->pos, "range without \"type\"");
                if (strcmp(type, "GIT") == 0) {
                        /* Commit ranges need the repository's history; they
                         * never match an installed version. */
                        af->git_ranges++;
                        c->ignored++;
                        pop(c);
                        continue;
                }
                if (strcmp(type, "ECOSYSTEM") == 0)
                        rg->type = FEED_RANGE_ECOSYSTEM;
                else if (strcmp(type, "SEMVER") == 0)
                        rg->type = FEED_RANGE_SEMVER;
                else {
                        af->unknown_ranges++;
                        c->ignored++;
                        pop(c);
                        continue;
                }
                if ((r = parse_events(c, fj_get(rv, "events"), rv, rg)) < 0)
                        return r;
                pop(c);
                af->n_ranges++;
        }
        pop(c);
        return 0;
}

/* Per-package urgency some databases give (Debian's converted tracker
 * records use ecosystem_specific.urgency). */
static int package_urgency(ctx_t *c, const fj_value_t *e, const char **ret)
{
        static const char *const holders[] = { "ecosystem_specific", "database_specific" };
        int r;

        *ret = NULL;
        for (size_t i = 0; i < ELEMENTSOF(holders) && !*ret; i++) {
                const fj_value_t *h = fj_get(e, holders[i]);
                const fj_value_t *u = fj_get(h, "urgency");
                const char *s;
                if (!u || u->type != FJ_STRING)
                        continue;
                push_key(c, holders[i]);
                push_key(c, "urgency");
                if ((r = want_str(c, u, 64, &s)) < 0)
                        return r;
                pop(c);
                pop(c);
                *ret = severity_word(c, s);
        }
        return 0;
}

static int parse_affected(ctx_t *c, const fj_value_t *arr, feed_advisory_t *adv)
{
        int r;

        if (!arr || arr->type == FJ_NULL)
                return 0;
        push_key(c, "affected");
        if ((r = want_array(c, arr)) < 0)
                return r;
        adv->affected = fj_arena_alloc(c->a, (arr->n ? arr->n : 1) * sizeof(*adv->affected));
        if (!adv->affected)
                return oom(c);
        for (size_t i = 0; i < arr->n; i++) {
                const fj_value_t *e = &arr->u.items[i], *pkg;
                feed_affected_t *af = &adv->affected[adv->n_affected];
                const char *eco, *name;
                char neco[ECOSYSTEM_MAX + 1], nname[ECOSYSTEM_NAME_MAX + 1];
                size_t n_versions;

                *af = (feed_affected_t){ 0 };
                push_idx(c, i);
                if ((r = want_object(c, e)) < 0)
                        return r;
                pkg = fj_get(e, "package");
                if (!pkg || pkg->type == FJ_NULL) {
                        /* Allowed by the schema for commit-only entries; there
                         * is no package to match. */
                        c->ignored++;
                        pop(c);
                        continue;
                }
                push_key(c, "package");
                if ((r = want_object(c, pkg)) < 0 ||
                    (r = opt_str(c, pkg, "ecosystem", ECOSYSTEM_MAX, &eco)) < 0 ||
                    (r = opt_str(c, pkg, "name", ECOSYSTEM_NAME_MAX, &name)) < 0)
                        return r;
                if (!eco || !name || !*eco || !*name)
                        return fail(c, pkg->pos, "package needs \"ecosystem\" and \"name\"");
                if (ecosystem_normalise(eco, neco, sizeof(neco)) < 0)
                        return fail(c, pkg->pos, "bad ecosystem \"%s\"", eco);
                if (ecosystem_normalise_name(neco, name, nname, sizeof(nname)) < 0)
                        return fail(c, pkg->pos, "bad package name");
                pop(c);
                af->ecosystem = strcmp(neco, eco) == 0 ? eco : fj_arena_strdup(c->a, neco);
                af->name = strcmp(nname, name) == 0 ? name : fj_arena_strdup(c->a, nname);
                if (!af->ecosystem || !af->name)
                        return oom(c);

                if ((r = parse_ranges(c, fj_get(e, "ranges"), af)) < 0)
                        return r;
                push_key(c, "versions");
                if ((r = parse_string_list(c, fj_get(e, "versions"), OSV_MAX_STRING, &af->versions,
                                           &n_versions)) < 0)
                        return r;
                pop(c);
                af->n_versions = n_versions;
                push_key(c, "severity");
                if ((r = parse_severities(c, fj_get(e, "severity"), &af->severities,
                                          &af->n_severities, NULL)) < 0)
                        return r;
                pop(c);
                if ((r = package_urgency(c, e, &af->severity)) < 0)
                        return r;
                pop(c);
                adv->n_affected++;
        }
        pop(c);
        return 0;
}

static int parse_aliases(ctx_t *c, const fj_value_t *rec, feed_advisory_t *adv)
{
        static const struct {
                const char *key;
                feed_alias_kind_t kind;
        } lists[] = {
                { "aliases", FEED_ALIAS },
                { "related", FEED_RELATED },
                { "upstream", FEED_UPSTREAM },
        };
        const char **ids[ELEMENTSOF(lists)];
        size_t n[ELEMENTSOF(lists)], total = 0;
        int r;

        for (size_t k = 0; k < ELEMENTSOF(lists); k++) {
                push_key(c, lists[k].key);
                if ((r = parse_string_list(c, fj_get(rec, lists[k].key), 256, &ids[k], &n[k])) < 0)
                        return r;
                pop(c);
                total += n[k];
        }
        if (!total)
                return 0;
        adv->aliases = fj_arena_alloc(c->a, total * sizeof(*adv->aliases));
        if (!adv->aliases)
                return oom(c);
        for (size_t k = 0; k < ELEMENTSOF(lists); k++)
                for (size_t i = 0; i < n[k]; i++) {
                        bool dup = false;
                        for (size_t j = 0; j < adv->n_aliases && !dup; j++)
                                dup = strcmp(adv->aliases[j].id, ids[k][i]) == 0;
                        if (dup || strcmp(ids[k][i], adv->id) == 0)
                                continue;
                        adv->aliases[adv->n_aliases++] = (feed_alias_t){ ids[k][i], lists[k].kind };
                }
        return 0;
}

static int parse_refs(ctx_t *c, const fj_value_t *arr, feed_advisory_t *adv)
{
        int r;

        if (!arr || arr->type == FJ_NULL)
                return 0;
        push_key(c, "references");
        if ((r = want_array(c, arr)) < 0)
                return r;
        adv->refs = fj_arena_alloc(c->a, (arr->n ? arr->n : 1) * sizeof(*adv->refs));
        if (!adv->refs)
                return oom(c);
        for (size_t i = 0; i < arr->n; i++) {
                const fj_value_t *e = &arr->u.items[i];
                feed_ref_t *ref = &adv->refs[adv->n_refs];
                push_idx(c, i);
                if ((r = want_object(c, e)) < 0 ||
                    (r = opt_str(c, e, "type", 64, &ref->type)) < 0 ||
                    (r = opt_str(c, e, "url", OSV_MAX_URL, &ref->url)) < 0)
                        return r;
                if (!ref->url || !*ref->url)
                        return fail(c, e->pos, "reference without \"url\"");
                pop(c);
                adv->n_refs++;
        }
        pop(c);
        return 0;
}

/* The first line of DETAILS, at most about 200 bytes (cut at a space), as
 * the summary of a record that has none. */
static const char *summary_from_details(ctx_t *c, const char *d)
{
        const size_t max = 200;
        size_t n = 0, cut;
        char *s;

        while (*d == '\n' || *d == '\r' || *d == ' ' || *d == '\t')
                d++;
        while (d[n] && d[n] != '\n' && d[n] != '\r')
                n++;
        if (n <= max)
                return n ? fj_arena_strndup(c->a, d, n) : NULL;
        cut = max;
        while (cut > max / 2 && d[cut] != ' ')
                cut--;
        if (d[cut] != ' ') {
                cut = max;
                while (cut > 0 && ((unsigned char)d[cut] & 0xc0) == 0x80)
                        cut--; /* never split a UTF-8 sequence */
        }
        s = fj_arena_alloc(c->a, cut + 4);
        if (!s)
                return NULL;
        memcpy(s, d, cut);
        memcpy(s + cut, "\xe2\x80\xa6", 4); /* "…" and the terminator */
        return s;
}

int osv_parse_record(fj_arena_t *a, const fj_value_t *v, feed_advisory_t *ret,
                     unsigned *ret_ignored, feed_error_t *err)
{
        ctx_t c = { .a = a, .err = err };
        feed_advisory_t adv = { .source = FEED_SOURCE_OSV };
        const fj_value_t *ds;
        const char *word = NULL;
        int r;

        if (v->type != FJ_OBJECT)
                return fail(&c, v->pos, "an OSV record must be a JSON object, found %s",
                            fj_type_name(v));
        if ((r = opt_str(&c, v, "id", 256, &adv.id)) < 0)
                return r;
        if (!adv.id || !*adv.id)
                return fail(&c, v->pos, "record without \"id\"");
        if ((r = parse_time_field(&c, v, "modified", &adv.modified, NULL)) < 0 ||
            (r = parse_time_field(&c, v, "published", &adv.published, NULL)) < 0 ||
            (r = parse_time_field(&c, v, "withdrawn", &adv.withdrawn_at, &adv.withdrawn)) < 0)
                return r;
        if ((r = opt_str(&c, v, "summary", OSV_MAX_SUMMARY, &adv.summary)) < 0)
                return r;
        if (!adv.summary || !*adv.summary) {
                const fj_value_t *dv = fj_get(v, "details");
                adv.summary = NULL;
                if (dv && dv->type == FJ_STRING && dv->n) {
                        /* Details are Markdown and may hold newlines; only
                         * their first line is kept. */
                        adv.summary = summary_from_details(&c, dv->u.str);
                } else if (dv && dv->type != FJ_STRING && dv->type != FJ_NULL) {
                        push_key(&c, "details");
                        return fail(&c, dv->pos, "expected a string, found %s", fj_type_name(dv));
                }
        }
        if ((r = parse_aliases(&c, v, &adv)) < 0)
                return r;
        push_key(&c, "severity");
        if ((r = parse_severities(&c, fj_get(v, "severity"), &adv.severities, &adv.n_severities,
                                  &word)) < 0)
                return r;
        pop(&c);
        ds = fj_get(v, "database_specific");
        if (!word && ds && ds->type == FJ_OBJECT) {
                const fj_value_t *sv = fj_get(ds, "severity");
                const char *s;
                if (sv && sv->type == FJ_STRING) {
                        push_key(&c, "database_specific");
                        push_key(&c, "severity");
                        if ((r = want_str(&c, sv, 64, &s)) < 0)
                                return r;
                        pop(&c);
                        pop(&c);
                        word = severity_word(&c, s);
                }
        }
        adv.severity = word;
        if ((r = parse_affected(&c, fj_get(v, "affected"), &adv)) < 0 ||
            (r = parse_refs(&c, fj_get(v, "references"), &adv)) < 0)
                return r;
        *ret = adv;
        if (ret_ignored)
                *ret_ignored = c.ignored;
        return 0;
}
