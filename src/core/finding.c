#include "core/finding.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/jsonx.h"

static const char *const category_names[CAT__MAX] = {
        [CAT_VULNERABILITY] = "vulnerability",
        [CAT_BASELINE] = "baseline",
        [CAT_WEAK_PASSWORD] = "weak_password",
        [CAT_EXPOSURE] = "exposure",
        [CAT_SECRET] = "secret",
        [CAT_MALWARE] = "malware",
};

const char *finding_category_name(finding_category_t cat)
{
        return cat < CAT__MAX ? category_names[cat] : "unknown";
}

int finding_category_from_name(const char *name, finding_category_t *ret)
{
        for (int i = 0; i < CAT__MAX; i++)
                if (strcmp(name, category_names[i]) == 0) {
                        *ret = (finding_category_t)i;
                        return 0;
                }
        return -EINVAL;
}

const char *finding_level_name(finding_level_t level)
{
        switch (level) {
        case FINDING_HIGH:
                return "high";
        case FINDING_MEDIUM:
                return "medium";
        case FINDING_LOW:
                return "low";
        }
        return "unknown";
}

void finding_make_id(finding_category_t category, const char *check, const char *object,
                     char out[FINDING_ID_HEX + 1])
{
        uint8_t digest[HASH_SHA256_LEN];
        const char *cat = finding_category_name(category);
        size_t lc = strlen(cat), lk = strlen(check), lo = strlen(object);
        char *joined = malloc(lc + lk + lo + 3);

        /* The parts are joined with NUL separators, so no choice of check or
         * object text can make two different triples hash alike. */
        if (!joined) {
                memset(out, '0', FINDING_ID_HEX);
                out[FINDING_ID_HEX] = 0;
                return;
        }
        memcpy(joined, cat, lc + 1);
        memcpy(joined + lc + 1, check, lk + 1);
        memcpy(joined + lc + lk + 2, object, lo + 1);
        hash_sha256(joined, lc + lk + lo + 3, digest);
        free(joined);
        hash_hex(digest, FINDING_ID_HEX / 2, out);
}

finding_t *finding_new(finding_category_t category, const char *check, const char *object,
                       finding_level_t level)
{
        finding_t *f = calloc(1, sizeof(*f));

        if (!f)
                return NULL;
        f->category = category;
        f->level = level;
        f->check = strdup(check);
        f->object = strdup(object);
        f->evidence = json_object();
        f->references = json_array();
        f->tags = json_array();
        if (!f->check || !f->object || !f->evidence || !f->references || !f->tags) {
                finding_free(f);
                return NULL;
        }
        finding_make_id(category, check, object, f->id);
        return f;
}

_printf_(2, 0) static int set_vfmt(char **field, const char *fmt, va_list ap)
{
        char *s;

        if (vasprintf(&s, fmt, ap) < 0)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

int finding_set_title(finding_t *f, const char *fmt, ...)
{
        va_list ap;
        int r;
        va_start(ap, fmt);
        r = set_vfmt(&f->title, fmt, ap);
        va_end(ap);
        return r;
}

int finding_set_detail(finding_t *f, const char *fmt, ...)
{
        va_list ap;
        int r;
        va_start(ap, fmt);
        r = set_vfmt(&f->detail, fmt, ap);
        va_end(ap);
        return r;
}

int finding_set_remediation(finding_t *f, const char *fmt, ...)
{
        va_list ap;
        int r;
        va_start(ap, fmt);
        r = set_vfmt(&f->remediation, fmt, ap);
        va_end(ap);
        return r;
}

int finding_add_evidence_str(finding_t *f, const char *key, const char *value)
{
        return jsonx_set_str(f->evidence, key, value);
}

int finding_add_evidence_int(finding_t *f, const char *key, long long value)
{
        return json_object_set_new(f->evidence, key, json_integer(value)) < 0 ? -ENOMEM : 0;
}

static int array_add_unique(json_t *arr, const char *s)
{
        size_t i;
        json_t *v;

        json_array_foreach (arr, i, v) {
                if (strcmp(json_string_value(v), s) == 0)
                        return 0;
        }
        return json_array_append_new(arr, jsonx_string_lossy(s)) < 0 ? -ENOMEM : 0;
}

int finding_add_reference(finding_t *f, const char *ref)
{
        return array_add_unique(f->references, ref);
}

int finding_add_tag(finding_t *f, const char *tag)
{
        return array_add_unique(f->tags, tag);
}

void finding_free(finding_t *f)
{
        if (!f)
                return;
        free(f->check);
        free(f->object);
        free(f->title);
        free(f->detail);
        free(f->remediation);
        json_decref(f->evidence);
        json_decref(f->references);
        json_decref(f->tags);
        free(f);
}

json_t *finding_to_json(const finding_t *f)
{
        json_t *o = json_object();

        if (!o)
                return NULL;
        if (jsonx_set_str(o, "id", f->id) < 0 ||
            jsonx_set_str(o, "category", finding_category_name(f->category)) < 0 ||
            jsonx_set_str(o, "check", f->check) < 0 ||
            jsonx_set_str(o, "level", finding_level_name(f->level)) < 0 ||
            jsonx_set_str(o, "title", f->title) < 0 || jsonx_set_str(o, "detail", f->detail) < 0 ||
            json_object_set(o, "evidence", f->evidence) < 0 ||
            jsonx_set_str(o, "remediation", f->remediation) < 0 ||
            json_object_set(o, "references", f->references) < 0 ||
            json_object_set(o, "tags", f->tags) < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}
