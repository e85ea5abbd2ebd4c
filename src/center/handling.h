/* Handling: what people do about findings and alerts, and the record of it.
 *
 * An admin (HTTP_AUTH_ADMIN) may ignore a finding or an alert with a
 * reason, mark an alert handled, reopen either, add allowlist rules, ask a
 * host to block an address, quarantine a file or kill a process (commands
 * queued through center/commands.h), and ask a host to verify a fixed risk
 * (a "scan_now" command for the finding's category). Viewers only read:
 * the rule list and the audit log. Every change is written, in the same
 * transaction as the change itself, to the audit log: who (the principal's
 * name and role, and the client address), when, what, on which target, and
 * the target's state before and after as JSON.
 *
 * Allowlist rules are one condition on an alert: a field ("type", "rule",
 * "subject", "title", "level" or "evidence.KEY"), an operator (equals,
 * not_equals, contains, not_contains, regex) and a value, for one host or
 * for every host. Regular expressions are PCRE2, checked when the rule is
 * created, and matched under match and depth limits, so a pattern that
 * backtracks without end stops and counts as no match. Intake calls
 * handling_intake_allowlist for every batch: alerts that match a rule in
 * force for their host are stored with status "allowlisted" and do not
 * count against the host's score. Rules only decide about alerts as they
 * arrive (or, when asked at creation, about the open alerts already
 * stored); removing a rule does not reopen anything.
 *
 * The module's state is all in the database (tables allowlist_rules and
 * audit_log, schema.c), so any number of center processes can serve it. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "center/cdb.h"
#include "center/http.h"
#include "center/intake.h"

#define HANDLING_REASON_MAX      1024 /* bytes of a reason or note */
#define HANDLING_VALUE_MAX       1024 /* bytes of a rule's value */
#define HANDLING_EVIDENCE_KEY    64   /* bytes of KEY in "evidence.KEY" */
#define HANDLING_MAX_RULES       1000 /* rules in force at once, all hosts */
#define HANDLING_MATCH_LIMIT     100000
#define HANDLING_DEPTH_LIMIT     2000
#define HANDLING_APPLY_MAX       100000      /* open alerts examined by apply_existing */
#define HANDLING_AUDIT_STATE_MAX (32 * 1024) /* a before or after state, as JSON text */

typedef enum handling_op {
        HANDLING_EQUALS,
        HANDLING_NOT_EQUALS,
        HANDLING_CONTAINS,
        HANDLING_NOT_CONTAINS,
        HANDLING_REGEX,
} handling_op_t;

/* A compiled allowlist rule. FIELD and VALUE are owned; for HANDLING_REGEX
 * RE, MD and MCTX are set (owned). HOST_ID is 0 for a rule for every host.
 * A rule is used by one thread at a time (the match data is shared by the
 * calls on it). */
typedef struct handling_rule {
        int64_t id;
        int64_t host_id;
        char *field;
        handling_op_t op;
        char *value;
        pcre2_code *re;
        pcre2_match_data *md;
        pcre2_match_context *mctx;
} handling_rule_t;

/* The fields of an alert a rule can look at (all borrowed; any may be
 * NULL, which reads as an empty string). EVIDENCE is a JSON object. */
typedef struct handling_alert {
        const char *type, *rule, *subject, *title;
        int level; /* ALERT_REMINDER .. ALERT_URGENT */
        json_t *evidence;
} handling_alert_t;

/* The operator named OP ("equals", "not_equals", "contains",
 * "not_contains", "regex"). Returns 0 or -EINVAL. */
int handling_op_from_name(const char *op, handling_op_t *ret);
const char *handling_op_name(handling_op_t op);

/* Check and compile a rule. FIELD must be one of the fields above
 * ("evidence.KEY" with KEY 1-64 characters of [A-Za-z0-9_.-]); VALUE 1 to
 * HANDLING_VALUE_MAX bytes; a regex must compile. Fills RET (clear it with
 * handling_rule_clear). Returns 0, -EINVAL with *RET_ERROR (caller frees)
 * saying what is wrong, or -ENOMEM. */
int handling_rule_compile(const char *field, const char *op, const char *value,
                          handling_rule_t *ret, char **ret_error);
/* Free what RULE owns. Accepts a zeroed rule. */
void handling_rule_clear(handling_rule_t *rule);

/* Whether A matches RULE. A field that is missing reads as "", so
 * "not_equals" and "not_contains" match alerts without it. A regex that
 * reaches the match limits does not match. */
bool handling_rule_match(const handling_rule_t *rule, const handling_alert_t *a);

/* The rules in force for HOST_ID (its own and those for every host),
 * compiled, into *RET (an array of *RET_N, caller frees with
 * handling_rules_free). A stored rule that no longer compiles is skipped.
 * Returns 0 or a database error. */
int handling_rules_load(cdb_conn_t *c, int64_t host_id, handling_rule_t **ret, size_t *ret_n);
void handling_rules_free(handling_rule_t *rules, size_t n);

/* The intake hook: run inside intake's transaction right after the alerts
 * of B are inserted for HOST_ID at NOW_US. Alerts of B newly stored by
 * this batch that match a rule in force are set to "allowlisted", and
 * subtracted from OPEN_ALERTS (the host's open alerts by level, as intake
 * keeps them). *RET_N (may be NULL) gets how many. Returns 0 or a
 * database error. */
int handling_intake_allowlist(cdb_conn_t *c, int64_t host_id, const intake_batch_t *b,
                              int64_t now_us, unsigned open_alerts[4], size_t *ret_n);

/* One entry in the audit log, written with C (inside the caller's
 * transaction). WHO is the principal of the request (name and role);
 * REMOTE the client address (may be NULL); ACTION a verb such as
 * "alert.ignore"; TARGET_TYPE and TARGET what was changed ("alert",
 * "5:ab12"); HOST_ID 0 when the change is not about one host; BEFORE and
 * AFTER the target's state (borrowed; NULL for none); REASON may be NULL.
 * States larger than HANDLING_AUDIT_STATE_MAX are recorded as
 * {"truncated": true}. Other modules may record their own changes with it.
 * Returns 0, -EINVAL for a missing action or target, or a database
 * error. */
int handling_audit(cdb_conn_t *c, const http_principal_t *who, const char *remote,
                   const char *action, const char *target_type, const char *target, int64_t host_id,
                   json_t *before, json_t *after, const char *reason, int64_t now_us);

/* The handling routes (docs/api.md, "Handling"), for the route table. */
extern const http_route_t handling_routes[];
extern const size_t handling_n_routes;
