/* The alert: one event a threat detector raised (DESIGN.md, "Two kinds of
 * result"). Every alert has a unique id; its dedupe key (rule, host, subject)
 * lets a store or the center fold repeats of the same event together. */
#pragma once

#include <jansson.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"
#include "core/macro.h"

typedef enum alert_level {
        ALERT_REMINDER = 1,
        ALERT_SUSPICIOUS = 2,
        ALERT_URGENT = 3,
} alert_level_t;

typedef enum alert_type {
        ALERT_ABNORMAL_LOGIN,
        ALERT_MALICIOUS_FILE,
        ALERT_NETWORK_ATTACK,
        ALERT_DATA_LEAK,
        ALERT_CONFIG_RISK,
        ALERT_COMPLIANCE_RISK,
        ALERT_ABNORMAL_PROCESS,
        ALERT_FILE_TAMPERING,
        ALERT_TYPE__MAX,
} alert_type_t;

#define ALERT_ID_HEX 32

typedef struct alert {
        char id[ALERT_ID_HEX + 1]; /* random, unique */
        alert_type_t type;
        alert_level_t level;
        char *rule;      /* detector rule, e.g. "ssh.brute_force" */
        char *subject;   /* what the dedupe key is about, e.g. "203.0.113.9" */
        char *host;      /* host name, may be NULL until reported */
        int64_t time_us; /* event time, microseconds since the epoch (UTC) */
        char *title;
        char *remediation; /* may be NULL */
        json_t *evidence;  /* object */
} alert_t;

/* Create an alert with a fresh random id. Returns NULL when out of memory. */
alert_t *alert_new(alert_type_t type, const char *rule, const char *subject, alert_level_t level,
                   int64_t time_us);
int alert_set_title(alert_t *a, const char *fmt, ...) _printf_(2, 3);
int alert_set_remediation(alert_t *a, const char *fmt, ...) _printf_(2, 3);
int alert_set_host(alert_t *a, const char *host);
int alert_add_evidence_str(alert_t *a, const char *key, const char *value);
int alert_add_evidence_int(alert_t *a, const char *key, long long value);

/* The dedupe key "rule\x1fhost\x1fsubject". Caller frees; NULL when out of
 * memory. */
char *alert_dedupe_key(const alert_t *a);

void alert_free(alert_t *a);
static inline void alert_freep(alert_t **a)
{
        alert_free(*a);
}
#define _cleanup_alert_ _cleanup_(alert_freep)

const char *alert_level_name(alert_level_t level);
const char *alert_type_name(alert_type_t type);
int alert_type_from_name(const char *name, alert_type_t *ret);

/* The alert as a JSON object in the shape of DESIGN.md, with the dedupe
 * subject beside the rule: keys id, type, rule, subject, level, time, host,
 * title, evidence, remediation, in that order (a missing text is null).
 * New reference or NULL. */
json_t *alert_to_json(const alert_t *a);

/* Append A to B as one compact JSON object: byte for byte what
 * json_dumps(alert_to_json(A), JSON_COMPACT) prints (same keys in the same
 * order, same escapes, invalid UTF-8 in the text fields shown as U+FFFD),
 * without building a jansson tree or escaping through jansson's callbacks;
 * `vigil logscan --format jsonl` writes every alert through it. Evidence the
 * fast path cannot promise to print like jansson (a string that is not valid
 * UTF-8, a real number, nesting deeper than 32) is printed by jansson
 * itself. Returns 0, -ENOMEM, -E2BIG when B's cap would be passed, or
 * -EINVAL when jansson cannot print the alert either (no evidence object, a
 * cycle); on error B is left as it was. */
int alert_write_json(const alert_t *a, buf_t *b);
