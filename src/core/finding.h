/* The finding: one risk a posture scanner saw on a host (DESIGN.md, "Two kinds
 * of result"). A finding's id is stable: it is derived from its category, the
 * check that produced it and the object it is about, so a later scan of the
 * same host updates the same finding instead of adding a duplicate.
 *
 * Evidence, references and tags are kept as jansson values so writers can
 * print them without knowing each scanner's fields. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "core/macro.h"

typedef enum finding_level {
        FINDING_LOW = 1,
        FINDING_MEDIUM = 2,
        FINDING_HIGH = 3,
} finding_level_t;

typedef enum finding_category {
        CAT_VULNERABILITY,
        CAT_BASELINE,
        CAT_WEAK_PASSWORD,
        CAT_EXPOSURE,
        CAT_SECRET,
        CAT_MALWARE,
        CAT__MAX,
} finding_category_t;

/* Length of a finding id in hex characters (128 bits of SHA-256). */
#define FINDING_ID_HEX 32

typedef struct finding {
        char id[FINDING_ID_HEX + 1]; /* set by finding_new, never changes */
        finding_category_t category;
        finding_level_t level;
        char *check;        /* what was checked, e.g. "CVE-2024-3094" or "ssh.root-login" */
        char *object;       /* what it is about, e.g. "xz-utils" or "/etc/ssh/sshd_config" */
        char *title;        /* one line for people */
        char *detail;       /* may be NULL */
        char *remediation;  /* the exact command or change that fixes it; may be NULL */
        json_t *evidence;   /* object; string or integer values */
        json_t *references; /* array of strings (URLs, advisory ids) */
        json_t *tags;       /* array of strings */
} finding_t;

/* Create a finding; CHECK and OBJECT together with CATEGORY give its id.
 * Title, detail and remediation start NULL. Returns NULL when out of memory.
 * Free with finding_free. */
finding_t *finding_new(finding_category_t category, const char *check, const char *object,
                       finding_level_t level);

/* Setters copy their argument; they return 0 or -ENOMEM. */
int finding_set_title(finding_t *f, const char *fmt, ...) _printf_(2, 3);
int finding_set_detail(finding_t *f, const char *fmt, ...) _printf_(2, 3);
int finding_set_remediation(finding_t *f, const char *fmt, ...) _printf_(2, 3);
int finding_add_evidence_str(finding_t *f, const char *key, const char *value);
int finding_add_evidence_int(finding_t *f, const char *key, long long value);
/* Append a reference or tag unless it is already there. */
int finding_add_reference(finding_t *f, const char *ref);
int finding_add_tag(finding_t *f, const char *tag);

/* Compute the stable id for (category, check, object) into OUT. */
void finding_make_id(finding_category_t category, const char *check, const char *object,
                     char out[FINDING_ID_HEX + 1]);

void finding_free(finding_t *f);
static inline void finding_freep(finding_t **f)
{
        finding_free(*f);
}
#define _cleanup_finding_ _cleanup_(finding_freep)

/* Names as used in JSON and on the command line ("high", "vulnerability"). */
const char *finding_level_name(finding_level_t level);
const char *finding_category_name(finding_category_t cat);
/* Parse a category name; returns 0 or -EINVAL. */
int finding_category_from_name(const char *name, finding_category_t *ret);
/* Parse a level name ("high", "medium", "low"); returns 0 or -EINVAL. */
int finding_level_from_name(const char *name, finding_level_t *ret);

/* The finding as a JSON object in the shape of DESIGN.md. Returns a new
 * reference or NULL when out of memory. */
json_t *finding_to_json(const finding_t *f);

/* Caps of finding_from_json: a finding over one of them is refused. */
#define FINDING_JSON_MAX_NAME  (64 * KiB) /* check, object */
#define FINDING_JSON_MAX_TEXT  (1 * MiB)  /* title, detail, remediation */
#define FINDING_JSON_MAX_ITEMS 10000      /* references, tags, evidence values */
#define FINDING_JSON_MAX_DEPTH 16         /* nesting inside evidence */

/* Read a finding from O, the shape finding_to_json writes plus "object"
 * (which report_to_json adds; without it the object is ""). O is untrusted:
 * every type is checked, the caps above apply and unknown keys are
 * ignored. The id is taken as written, 32 lowercase hex digits: the writer
 * computed it from the exact bytes of check and object, which the JSON text
 * may only show lossily (invalid UTF-8 becomes U+FFFD). Returns 0 and the
 * finding in *RET (caller frees with finding_free), -EINVAL with a reason in
 * *RET_ERROR (caller frees), or -ENOMEM. */
int finding_from_json(const json_t *o, finding_t **ret, char **ret_error);

/* Check that V is an evidence object within the caps above (at most
 * FINDING_JSON_MAX_ITEMS values in all, nested at most
 * FINDING_JSON_MAX_DEPTH deep); alerts' evidence has the same shape.
 * Returns 0, or -EINVAL with a reason in *RET_ERROR (caller frees). */
int finding_evidence_check(const json_t *v, char **ret_error);
