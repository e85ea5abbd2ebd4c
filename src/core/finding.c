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

/* ---- Reading a finding back from JSON ---- */

int finding_level_from_name(const char *name, finding_level_t *ret)
{
        static const finding_level_t levels[] = { FINDING_LOW, FINDING_MEDIUM, FINDING_HIGH };

        for (size_t i = 0; i < ELEMENTSOF(levels); i++)
                if (strcmp(name, finding_level_name(levels[i])) == 0) {
                        *ret = levels[i];
                        return 0;
                }
        return -EINVAL;
}

static int bad(char **ret_error, const char *fmt, ...) _printf_(2, 3);
static int bad(char **ret_error, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(ret_error, fmt, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return *ret_error ? -EINVAL : -ENOMEM;
}

/* Count the values in V (itself included) into *N, failing once the count
 * passes the cap or the nesting the depth cap. */
static bool evidence_within(const json_t *v, unsigned depth, size_t *n)
{
        const char *key;
        json_t *item;
        size_t i;

        if (++*n > FINDING_JSON_MAX_ITEMS || depth > FINDING_JSON_MAX_DEPTH)
                return false;
        if (json_is_object(v)) {
                json_object_foreach ((json_t *)v, key, item)
                        if (!evidence_within(item, depth + 1, n))
                                return false;
        } else if (json_is_array(v)) {
                json_array_foreach (v, i, item)
                        if (!evidence_within(item, depth + 1, n))
                                return false;
        }
        return true;
}

int finding_evidence_check(const json_t *v, char **ret_error)
{
        size_t n = 0;

        if (!json_is_object(v))
                return bad(ret_error, "evidence is not an object");
        if (!evidence_within(v, 0, &n))
                return bad(ret_error,
                           "evidence has more than %zu values or is nested deeper than %d",
                           (size_t)FINDING_JSON_MAX_ITEMS, FINDING_JSON_MAX_DEPTH);
        return 0;
}

/* The string at KEY of O: required or optional (missing or null gives
 * NULL), at most MAX bytes. */
static int get_str(const json_t *o, const char *key, bool required, size_t max, const char **ret,
                   char **ret_error)
{
        json_t *v = json_object_get(o, key);

        if (!v || json_is_null(v)) {
                if (required)
                        return bad(ret_error, "\"%s\" is missing", key);
                *ret = NULL;
                return 0;
        }
        if (!json_is_string(v))
                return bad(ret_error, "\"%s\" is not a string", key);
        if (json_string_length(v) > max)
                return bad(ret_error, "\"%s\" is longer than %zu bytes", key, max);
        *ret = json_string_value(v);
        return 0;
}

/* A list of strings at KEY of O (missing: empty) into the array DST, one
 * copy of each. */
static int get_strings(const json_t *o, const char *key, json_t *dst, char **ret_error)
{
        json_t *arr = json_object_get(o, key), *v;
        size_t i;

        if (!arr || json_is_null(arr))
                return 0;
        if (!json_is_array(arr))
                return bad(ret_error, "\"%s\" is not a list", key);
        if (json_array_size(arr) > FINDING_JSON_MAX_ITEMS)
                return bad(ret_error, "\"%s\" has more than %zu entries", key,
                           (size_t)FINDING_JSON_MAX_ITEMS);
        json_array_foreach (arr, i, v) {
                if (!json_is_string(v))
                        return bad(ret_error, "%s[%zu] is not a string", key, i);
                if (json_string_length(v) > FINDING_JSON_MAX_TEXT)
                        return bad(ret_error, "%s[%zu] is longer than %zu bytes", key, i,
                                   FINDING_JSON_MAX_TEXT);
                if (array_add_unique(dst, json_string_value(v)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int dup_field(char **field, const char *s)
{
        if (!s)
                return 0;
        *field = strdup(s);
        return *field ? 0 : -ENOMEM;
}

int finding_from_json(const json_t *o, finding_t **ret, char **ret_error)
{
        const char *id, *cat, *level, *check, *object, *title, *detail, *remediation;
        _cleanup_finding_ finding_t *f = NULL;
        finding_category_t category;
        finding_level_t lv;
        json_t *evidence;
        int r;

        *ret_error = NULL;
        if (!json_is_object(o))
                return bad(ret_error, "not an object");
        if ((r = get_str(o, "id", true, FINDING_ID_HEX, &id, ret_error)) < 0 ||
            (r = get_str(o, "category", true, 64, &cat, ret_error)) < 0 ||
            (r = get_str(o, "level", true, 64, &level, ret_error)) < 0 ||
            (r = get_str(o, "check", true, FINDING_JSON_MAX_NAME, &check, ret_error)) < 0 ||
            (r = get_str(o, "object", false, FINDING_JSON_MAX_NAME, &object, ret_error)) < 0 ||
            (r = get_str(o, "title", false, FINDING_JSON_MAX_TEXT, &title, ret_error)) < 0 ||
            (r = get_str(o, "detail", false, FINDING_JSON_MAX_TEXT, &detail, ret_error)) < 0 ||
            (r = get_str(o, "remediation", false, FINDING_JSON_MAX_TEXT, &remediation, ret_error)) <
                    0)
                return r;
        if (strlen(id) != FINDING_ID_HEX || strspn(id, "0123456789abcdef") != FINDING_ID_HEX)
                return bad(ret_error, "\"id\" is not %d lowercase hex digits", FINDING_ID_HEX);
        if (finding_category_from_name(cat, &category) < 0)
                return bad(ret_error, "unknown category");
        if (finding_level_from_name(level, &lv) < 0)
                return bad(ret_error, "unknown level");
        evidence = json_object_get(o, "evidence");
        if (evidence && !json_is_null(evidence) &&
            (r = finding_evidence_check(evidence, ret_error)) < 0)
                return r;
        f = finding_new(category, check, object ? object : "", lv);
        if (!f)
                return -ENOMEM;
        memcpy(f->id, id, FINDING_ID_HEX + 1);
        if (dup_field(&f->title, title) < 0 || dup_field(&f->detail, detail) < 0 ||
            dup_field(&f->remediation, remediation) < 0)
                return -ENOMEM;
        if (evidence && !json_is_null(evidence)) {
                json_t *copy = json_deep_copy(evidence);
                if (!copy)
                        return -ENOMEM;
                json_decref(f->evidence);
                f->evidence = copy;
        }
        if ((r = get_strings(o, "references", f->references, ret_error)) < 0 ||
            (r = get_strings(o, "tags", f->tags, ret_error)) < 0)
                return r;
        *ret = TAKE_PTR(f);
        return 0;
}
