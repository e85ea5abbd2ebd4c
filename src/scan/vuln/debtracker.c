#include "scan/vuln/debtracker.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scan/vuln/ecosystem.h"
#include "scan/vuln/osv.h"

/* Format a field path for error messages; a path too long for the buffer
 * is cut, which only shortens the message. */
static void wfmt(char *out, size_t n, const char *fmt, ...) _printf_(3, 4);
static void wfmt(char *out, size_t n, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(out, n, fmt, ap);
        va_end(ap);
}

/* V must be a string without control characters (tab and newline allowed
 * when TEXT), at most MAX bytes. */
static int want_str(const fj_value_t *v, size_t max, bool text, const char *where,
                    feed_error_t *err, const char **ret)
{
        if (!v || v->type != FJ_STRING)
                return feed_fail(err, v ? v->pos : 0, where, "expected a string, found %s",
                                 fj_type_name(v));
        if (v->n > max)
                return feed_fail(err, v->pos, where, "string longer than %zu bytes", max);
        for (size_t i = 0; i < v->n; i++) {
                unsigned char c = (unsigned char)v->u.str[i];
                if ((c < 0x20 && !(text && (c == '\n' || c == '\t' || c == '\r'))) || c == 0x7f)
                        return feed_fail(err, v->pos, where, "control character in string");
        }
        *ret = v->u.str;
        return 0;
}

/* The tracker's urgency in lower case without the "*" marks it sometimes
 * carries ("low**"); NULL for anything but a short word. */
static const char *urgency_word(fj_arena_t *a, const char *s)
{
        char buf[33];
        size_t n = strlen(s);

        while (n && (s[n - 1] == '*' || s[n - 1] == ' '))
                n--;
        if (!n || n >= sizeof(buf))
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (!isalpha((unsigned char)s[i]) && s[i] != ' ' && s[i] != '-')
                        return NULL;
                buf[i] = (char)tolower((unsigned char)s[i]);
        }
        buf[n] = 0;
        return fj_arena_strdup(a, buf);
}

static int parse_release(fj_arena_t *a, const char *pkg, const fj_member_t *m, const char *where,
                         feed_affected_t *af, bool *ret_use, unsigned *ignored, feed_error_t *err)
{
        char w[sizeof(err->where)];
        const fj_value_t *rel = &m->value, *v;
        const char *eco, *status = NULL, *fixed = NULL, *urgency = NULL;
        feed_event_t *ev;
        int r;

        *ret_use = false;
        wfmt(w, sizeof(w), "%s.releases.%s", where, m->key);
        if (rel->type != FJ_OBJECT)
                return feed_fail(err, rel->pos, w, "expected an object, found %s",
                                 fj_type_name(rel));
        if ((v = fj_get(rel, "status")) == NULL)
                return feed_fail(err, rel->pos, w, "release without \"status\"");
        if ((r = want_str(v, 64, false, w, err, &status)) < 0)
                return r;
        if ((v = fj_get(rel, "fixed_version")) && v->type != FJ_NULL &&
            (r = want_str(v, OSV_MAX_STRING, false, w, err, &fixed)) < 0)
                return r;
        if ((v = fj_get(rel, "urgency")) && v->type != FJ_NULL &&
            (r = want_str(v, 64, false, w, err, &urgency)) < 0)
                return r;

        eco = ecosystem_debian_release(m->key);
        if (!eco) {
                (*ignored)++;
                return 0;
        }
        if (strcmp(status, "resolved") == 0) {
                if (!fixed || !*fixed) {
                        (*ignored)++;
                        return 0;
                }
                if (strcmp(fixed, "0") == 0)
                        return 0; /* never affected in this release */
        } else if (strcmp(status, "open") == 0) {
                fixed = NULL;
        } else {
                /* "undetermined" (not yet triaged) and any status this
                 * version of vigil does not know. */
                (*ignored)++;
                return 0;
        }

        ev = fj_arena_alloc(a, 2 * sizeof(*ev));
        af->ranges = fj_arena_alloc(a, sizeof(*af->ranges));
        if (!ev || !af->ranges)
                return feed_fail(err, rel->pos, w, "out of memory"), -ENOMEM;
        ev[0] = (feed_event_t){ FEED_EV_INTRODUCED, "0" };
        if (fixed)
                ev[1] = (feed_event_t){ FEED_EV_FIXED, fixed };
        af->ranges[0] = (feed_range_t){ FEED_RANGE_ECOSYSTEM, ev, fixed ? 2 : 1 };
        af->n_ranges = 1;
        af->ecosystem = eco;
        af->name = pkg;
        af->severity = urgency ? urgency_word(a, urgency) : NULL;
        *ret_use = true;
        return 0;
}

int debtracker_parse_cve(fj_arena_t *a, const char *cve, const debtracker_part_t *parts, size_t n,
                         feed_advisory_t *ret, unsigned *ret_ignored, feed_error_t *err)
{
        feed_advisory_t adv = { .source = FEED_SOURCE_TRACKER, .id = cve };
        size_t n_rel = 0, idlen = strlen(cve);
        unsigned ignored = 0;
        char *url;
        int r;

        if (!idlen || idlen > 256)
                return feed_fail(err, n ? parts[0].package_pos : 0, "", "bad CVE id");
        for (size_t i = 0; i < idlen; i++)
                if ((unsigned char)cve[i] <= 0x20 || cve[i] == 0x7f)
                        return feed_fail(err, n ? parts[0].package_pos : 0, "", "bad CVE id");
        for (size_t i = 0; i < n; i++) {
                const fj_value_t *v = parts[i].value, *rels;
                char w[sizeof(err->where)];
                size_t plen = strlen(parts[i].package);

                wfmt(w, sizeof(w), "%s.%s", parts[i].package, cve);
                if (!plen || plen > ECOSYSTEM_NAME_MAX)
                        return feed_fail(err, parts[i].package_pos, parts[i].package,
                                         "bad package name");
                for (size_t k = 0; k < plen; k++)
                        if ((unsigned char)parts[i].package[k] <= 0x20)
                                return feed_fail(err, parts[i].package_pos, "", "bad package name");
                if (v->type != FJ_OBJECT)
                        return feed_fail(err, v->pos, w, "expected an object, found %s",
                                         fj_type_name(v));
                rels = fj_get(v, "releases");
                if (rels && rels->type != FJ_OBJECT && rels->type != FJ_NULL)
                        return feed_fail(err, rels->pos, w, "\"releases\" must be an object");
                if (rels && rels->type == FJ_OBJECT)
                        n_rel += rels->n;
                if (!adv.summary) {
                        const fj_value_t *d = fj_get(v, "description");
                        char wd[sizeof(err->where)];
                        wfmt(wd, sizeof(wd), "%s.description", w);
                        if (d && d->type != FJ_NULL &&
                            (r = want_str(d, DEBTRACKER_MAX_DESCRIPTION, true, wd, err,
                                          &adv.summary)) < 0)
                                return r;
                        if (adv.summary && !*adv.summary)
                                adv.summary = NULL;
                }
        }
        adv.affected = fj_arena_alloc(a, (n_rel ? n_rel : 1) * sizeof(*adv.affected));
        url = fj_arena_alloc(a, idlen + 64);
        adv.refs = fj_arena_alloc(a, sizeof(*adv.refs));
        if (!adv.affected || !url || !adv.refs)
                return feed_fail(err, 0, "", "out of memory"), -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const fj_value_t *rels = fj_get(parts[i].value, "releases");
                char w[sizeof(err->where)];
                wfmt(w, sizeof(w), "%s.%s", parts[i].package, cve);
                if (!rels || rels->type != FJ_OBJECT)
                        continue;
                for (size_t k = 0; k < rels->n; k++) {
                        feed_affected_t *af = &adv.affected[adv.n_affected];
                        bool use;
                        *af = (feed_affected_t){ 0 };
                        if ((r = parse_release(a, parts[i].package, &rels->u.members[k], w, af,
                                               &use, &ignored, err)) < 0)
                                return r;
                        if (use)
                                adv.n_affected++;
                }
        }
        snprintf(url, idlen + 64, "https://security-tracker.debian.org/tracker/%s", cve);
        adv.refs[0] = (feed_ref_t){ "ADVISORY", url };
        adv.n_refs = 1;
        *ret = adv;
        if (ret_ignored)
                *ret_ignored = ignored;
        return 0;
}
