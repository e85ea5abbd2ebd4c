/* Loading a baseline policy file (the Wazuh SCA YAML format plus vigil's
 * `level` and `tags` check fields) into a model the evaluator runs: the
 * policy header, its requirements, its variables (already substituted into
 * the rules) and its checks with compiled rules and their positions.
 *
 * A problem inside one check (a rule that does not parse, a field of the
 * wrong shape) drops that check only and is reported as
 * "FILE:LINE:COLUMN: message (check ID)"; a file whose structure is broken
 * (not YAML, no `policy` or `checks`, bad requirements) is refused whole. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/finding.h"
#include "core/text.h"
#include "scan/baseline/rule.h"

/* Policy files larger than this are refused. */
#define POLICY_MAX_SIZE (4 * MiB)
/* Caps that bound the work a policy can ask for. */
#define POLICY_MAX_CHECKS 10000
#define POLICY_MAX_RULES  256 /* per check, as Wazuh */

typedef enum policy_condition {
        POLICY_ALL,
        POLICY_ANY,
        POLICY_NONE,
} policy_condition_t;

typedef struct policy_check {
        char *id; /* as written ("3000", "ssh-root-login") */
        char *title;
        char *description; /* may be NULL, as rationale and remediation */
        char *rationale;
        char *remediation;
        strv_t compliance; /* flattened "cis:5.2.10", "gdpr:32" */
        strv_t references;
        strv_t tags; /* vigil's own tags */
        finding_level_t level;
        bool level_given; /* false: a public policy without `level`, so low */
        policy_condition_t condition;
        /* vigil's `missing: no-match`: a file or directory a rule needs that
         * does not exist counts as "no line matches" instead of making the
         * rule invalid (not applicable). */
        bool missing_no_match;
        rule_t **rules;
        size_t n_rules;
        unsigned long line, column; /* where the check starts, 1-based */
} policy_check_t;

typedef struct policy {
        char *path; /* the file as named to the user */
        char *id;
        char *file; /* the policy's own `file` field, may be NULL */
        char *name;
        char *description; /* may be NULL */
        strv_t references;
        rule_dialect_t dialect;
        bool has_requirements;
        policy_check_t requirements; /* title, description, condition, rules */
        policy_check_t *checks;
        size_t n_checks;
} policy_t;

/* Load the policy in DATA (N bytes) read from PATH (used in messages).
 * Every problem is appended to DIAGS as "PATH:LINE:COLUMN: message" (with
 * " (check ID)" for a check), whatever the return value. Returns 0 and a new
 * policy in *RET (free with policy_free) when the file is usable, even if
 * some checks were dropped; -EINVAL when it is not; -ENOMEM. */
int policy_load(const char *data, size_t n, const char *path, policy_t **ret, strv_t *diags);

void policy_free(policy_t *p);
static inline void policy_freep(policy_t **p)
{
        policy_free(*p);
}
#define _cleanup_policy_ _cleanup_(policy_freep)

const char *policy_condition_name(policy_condition_t c);
