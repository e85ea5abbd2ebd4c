#include "core/report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/jsonx.h"
#include "core/text.h"
#include "core/timeutil.h"

report_t *report_new(const char *host, const char *root)
{
        report_t *r = calloc(1, sizeof(*r));

        if (!r)
                return NULL;
        r->host = strdup(host);
        r->root = strdup(root);
        r->stats = json_object();
        r->started_us = timeutil_now_us();
        pthread_mutex_init(&r->lock, NULL);
        if (!r->host || !r->root || !r->stats) {
                report_free(r);
                return NULL;
        }
        return r;
}

void report_free(report_t *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->n_findings; i++)
                finding_free(r->findings[i]);
        for (size_t i = 0; i < r->n_alerts; i++)
                alert_free(r->alerts[i]);
        for (size_t i = 0; i < r->n_notes; i++) {
                free(r->notes[i].source);
                free(r->notes[i].message);
        }
        free(r->findings);
        free(r->alerts);
        free(r->notes);
        free(r->index);
        json_decref(r->stats);
        json_decref(r->os);
        free(r->host);
        free(r->root);
        pthread_mutex_destroy(&r->lock);
        free(r);
}

static size_t id_slot(const char *id, size_t size)
{
        return (size_t)hash_fnv1a(id, FINDING_ID_HEX) & (size - 1);
}

static int index_rebuild(report_t *r, size_t size)
{
        size_t *idx = calloc(size, sizeof(size_t));

        if (!idx)
                return -ENOMEM;
        for (size_t i = 0; i < r->n_findings; i++) {
                size_t s = id_slot(r->findings[i]->id, size);
                while (idx[s])
                        s = (s + 1) & (size - 1);
                idx[s] = i + 1;
        }
        free(r->index);
        r->index = idx;
        r->index_size = size;
        return 0;
}

/* Position of the finding with ID, or -1. Caller holds the lock. */
static long index_find(const report_t *r, const char *id, size_t *ret_slot)
{
        size_t s;

        if (!r->index_size)
                return -1;
        s = id_slot(id, r->index_size);
        while (r->index[s]) {
                size_t pos = r->index[s] - 1;
                if (memcmp(r->findings[pos]->id, id, FINDING_ID_HEX) == 0)
                        return (long)pos;
                s = (s + 1) & (r->index_size - 1);
        }
        if (ret_slot)
                *ret_slot = s;
        return -1;
}

static void merge_into(finding_t *dst, const finding_t *src)
{
        size_t i;
        json_t *v;

        if (src->level > dst->level)
                dst->level = src->level;
        json_array_foreach (src->references, i, v)
                finding_add_reference(dst, json_string_value(v));
        json_array_foreach (src->tags, i, v)
                finding_add_tag(dst, json_string_value(v));
        json_object_update_missing(dst->evidence, src->evidence);
}

int report_add_finding(report_t *r, finding_t *f)
{
        int ret = 0;
        long pos;
        size_t slot;

        if (!f)
                return -ENOMEM;
        pthread_mutex_lock(&r->lock);
        pos = index_find(r, f->id, NULL);
        if (pos >= 0) {
                merge_into(r->findings[pos], f);
                finding_free(f);
                goto out;
        }
        if (r->n_findings == r->cap_findings) {
                size_t cap = r->cap_findings ? r->cap_findings * 2 : 64;
                finding_t **v = realloc(r->findings, cap * sizeof(*v));
                if (!v) {
                        finding_free(f);
                        ret = -ENOMEM;
                        goto out;
                }
                r->findings = v;
                r->cap_findings = cap;
        }
        /* Keep the index at most half full. */
        if ((r->n_findings + 1) * 2 > r->index_size) {
                ret = index_rebuild(r, r->index_size ? r->index_size * 2 : 128);
                if (ret < 0) {
                        finding_free(f);
                        goto out;
                }
        }
        index_find(r, f->id, &slot);
        r->findings[r->n_findings++] = f;
        r->index[slot] = r->n_findings;
out:
        pthread_mutex_unlock(&r->lock);
        return ret;
}

int report_add_alert(report_t *r, alert_t *a)
{
        int ret = 0;

        if (!a)
                return -ENOMEM;
        pthread_mutex_lock(&r->lock);
        if (!a->host && alert_set_host(a, r->host) < 0) {
                alert_free(a);
                ret = -ENOMEM;
                goto out;
        }
        if (r->n_alerts == r->cap_alerts) {
                size_t cap = r->cap_alerts ? r->cap_alerts * 2 : 16;
                alert_t **v = realloc(r->alerts, cap * sizeof(*v));
                if (!v) {
                        alert_free(a);
                        ret = -ENOMEM;
                        goto out;
                }
                r->alerts = v;
                r->cap_alerts = cap;
        }
        r->alerts[r->n_alerts++] = a;
out:
        pthread_mutex_unlock(&r->lock);
        return ret;
}

int report_note(report_t *r, report_note_kind_t kind, const char *source, const char *fmt, ...)
{
        va_list ap;
        char *msg, *src;
        int ret = 0;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        src = strdup(source);
        if (!msg || !src) {
                free(msg);
                free(src);
                return -ENOMEM;
        }
        pthread_mutex_lock(&r->lock);
        if (r->n_notes == r->cap_notes) {
                size_t cap = r->cap_notes ? r->cap_notes * 2 : 16;
                report_note_t *v = realloc(r->notes, cap * sizeof(*v));
                if (!v) {
                        free(msg);
                        free(src);
                        ret = -ENOMEM;
                        goto out;
                }
                r->notes = v;
                r->cap_notes = cap;
        }
        r->notes[r->n_notes++] = (report_note_t){ kind, src, msg };
out:
        pthread_mutex_unlock(&r->lock);
        return ret;
}

int report_count(report_t *r, const char *scanner, const char *name, long long delta)
{
        json_t *s, *v;
        int ret = 0;

        pthread_mutex_lock(&r->lock);
        s = json_object_get(r->stats, scanner);
        if (!s) {
                s = json_object();
                if (!s || json_object_set_new(r->stats, scanner, s) < 0) {
                        ret = -ENOMEM;
                        goto out;
                }
        }
        v = json_object_get(s, name);
        if (v)
                json_integer_set(v, json_integer_value(v) + delta);
        else if (json_object_set_new(s, name, json_integer(delta)) < 0)
                ret = -ENOMEM;
out:
        pthread_mutex_unlock(&r->lock);
        return ret;
}

void report_set_os(report_t *r, json_t *os)
{
        pthread_mutex_lock(&r->lock);
        json_decref(r->os);
        r->os = os;
        pthread_mutex_unlock(&r->lock);
}

static bool finding_has_tag(const finding_t *f, const char *tag)
{
        size_t n = strlen(tag), i;
        json_t *v;

        json_array_foreach (f->tags, i, v) {
                const char *t = json_string_value(v);
                if (t && strncmp(t, tag, n) == 0 && (t[n] == 0 || t[n] == ':'))
                        return true;
        }
        return false;
}

size_t report_keep_tagged(report_t *r, const char *tag)
{
        size_t kept = 0, removed;

        pthread_mutex_lock(&r->lock);
        for (size_t i = 0; i < r->n_findings; i++) {
                if (finding_has_tag(r->findings[i], tag))
                        r->findings[kept++] = r->findings[i];
                else
                        finding_free(r->findings[i]);
        }
        removed = r->n_findings - kept;
        r->n_findings = kept;
        if (r->index_size)
                index_rebuild(r, r->index_size);
        pthread_mutex_unlock(&r->lock);
        return removed;
}

static int cmp_finding(const void *a, const void *b)
{
        const finding_t *x = *(finding_t *const *)a, *y = *(finding_t *const *)b;
        int c;

        if (x->level != y->level)
                return (int)y->level - (int)x->level;
        if (x->category != y->category)
                return (int)x->category - (int)y->category;
        c = strcmp(x->object, y->object);
        if (c)
                return c;
        return strcmp(x->check, y->check);
}

static int cmp_alert(const void *a, const void *b)
{
        const alert_t *x = *(alert_t *const *)a, *y = *(alert_t *const *)b;

        if (x->level != y->level)
                return (int)y->level - (int)x->level;
        return x->time_us < y->time_us ? -1 : x->time_us > y->time_us;
}

void report_sort(report_t *r)
{
        pthread_mutex_lock(&r->lock);
        if (r->n_findings)
                qsort(r->findings, r->n_findings, sizeof(*r->findings), cmp_finding);
        if (r->n_alerts)
                qsort(r->alerts, r->n_alerts, sizeof(*r->alerts), cmp_alert);
        if (r->index_size)
                index_rebuild(r, r->index_size);
        pthread_mutex_unlock(&r->lock);
}

void report_score_input(const report_t *r, score_input_t *ret)
{
        memset(ret, 0, sizeof(*ret));
        for (size_t i = 0; i < r->n_findings; i++) {
                ret->findings[r->findings[i]->level]++;
                if (r->findings[i]->category == CAT_BASELINE)
                        ret->baseline_failures++;
        }
        for (size_t i = 0; i < r->n_alerts; i++)
                ret->alerts[r->alerts[i]->level]++;
}

int report_score(const report_t *r)
{
        score_input_t in;

        report_score_input(r, &in);
        return score_compute(&in);
}

bool report_has_high(const report_t *r)
{
        for (size_t i = 0; i < r->n_findings; i++)
                if (r->findings[i]->level == FINDING_HIGH)
                        return true;
        return false;
}

size_t report_count_notes(const report_t *r, report_note_kind_t kind)
{
        size_t n = 0;

        for (size_t i = 0; i < r->n_notes; i++)
                n += r->notes[i].kind == kind;
        return n;
}
