/* The rule language of baseline policies: one rule string, as written in a
 * Wazuh SCA policy file (plus vigil's extensions), parsed into a rule_t whose
 * regular expressions are compiled once.
 *
 *   [not ]TYPE:TARGET[ -> CONTENT]          f: c: p: r: and extensions
 *   [not ]d:DIRS[ -> NAME[ -> CONTENT]]     directories, recursive
 *   CONTENT = TEST[ && TEST]...             all tests must hold on one line
 *   TEST    = [!]LITERAL | [!]r:REGEX | [!]n:REGEX compare OP NUMBER
 *
 * vigil's extensions: stat:PATHS -> FIELD OP VALUE[ && ...] (mode, uid, gid,
 * user, group); sysctl:KEY -> CONTENT (the effective kernel parameter);
 * sshd:KEYWORD -> CONTENT (the effective sshd_config value, following
 * Include and first-match-wins); x:NAME (a built-in check, see eval.h).
 * Variables ($name) are replaced in the target only, as Wazuh does. */
#pragma once

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/text.h"

/* Limits that keep a hostile or broken policy cheap. */
#define RULE_MAX_LEN   8192 /* bytes in one rule string */
#define RULE_MAX_TESTS 32   /* tests joined with && */

typedef enum rule_type {
        RULE_FILE,     /* f: */
        RULE_DIR,      /* d: */
        RULE_PROCESS,  /* p: */
        RULE_COMMAND,  /* c: */
        RULE_REGISTRY, /* r: (Windows; never applicable here) */
        RULE_STAT,     /* stat: (vigil) */
        RULE_SYSCTL,   /* sysctl: (vigil) */
        RULE_SSHD,     /* sshd: (vigil) */
        RULE_BUILTIN,  /* x: (vigil) */
} rule_type_t;

/* Which regex dialect r: and n: patterns are written in: the policy's
 * regex_type, "osregex" (Wazuh's default) or "pcre2". */
typedef enum rule_dialect {
        RULE_DIALECT_OSREGEX,
        RULE_DIALECT_PCRE2,
} rule_dialect_t;

typedef enum rule_test_kind {
        RULE_TEST_LITERAL, /* the whole line, ignoring ASCII case */
        RULE_TEST_REGEX,   /* r: */
        RULE_TEST_NUMERIC, /* n: */
        RULE_TEST_STAT,    /* a stat: field comparison */
} rule_test_kind_t;

typedef enum rule_op {
        RULE_OP_LT,
        RULE_OP_LE,
        RULE_OP_EQ,
        RULE_OP_NE,
        RULE_OP_GE,
        RULE_OP_GT,
} rule_op_t;

typedef enum rule_stat_field {
        RULE_STAT_MODE, /* permission bits; "<=" means no bit outside VALUE */
        RULE_STAT_UID,
        RULE_STAT_GID,
        RULE_STAT_USER,  /* owner name, resolved in the scanned root's passwd */
        RULE_STAT_GROUP, /* group name, resolved in the scanned root's group */
} rule_stat_field_t;

typedef struct rule_test {
        bool negate;
        rule_test_kind_t kind;
        char *text;     /* the test as written, without '!' */
        pcre2_code *re; /* REGEX, NUMERIC; NULL when the pattern did not compile */
        rule_op_t op;   /* NUMERIC, STAT */
        long long value;
        rule_stat_field_t field; /* STAT */
        strv_t names;            /* STAT user/group: accepted names (|-separated) */
        /* Matching state owned by rule.c; matching a rule is therefore not
         * thread-safe (policies are evaluated by one thread). */
        pcre2_match_data *md;
        pcre2_match_context *mctx;
} rule_test_t;

typedef struct rule {
        char *text; /* the rule as written */
        bool negate;
        rule_type_t type;
        char *target;       /* after variable expansion: path list, command, key, … */
        strv_t targets;     /* TARGET split at commas (f:, d:, stat:) */
        rule_test_t *name;  /* d: the file name test, or NULL */
        rule_test_t *tests; /* content tests, all must hold on one line */
        size_t n_tests;
        /* Set when a pattern did not compile: the test never matches (as in
         * Wazuh) and the loader reports this text as a warning. */
        char *warning;
} rule_t;

/* Variables of a policy: NAMES[i] ("$sshd_file") stands for VALUES[i]. */
typedef struct rule_vars {
        strv_t names;
        strv_t values;
} rule_vars_t;

/* Parse TEXT. VARS may be NULL. Returns 0 and a new rule in *RET (free with
 * rule_free), -EINVAL with a message in *RET_ERROR (caller frees) for a rule
 * that cannot be understood, or -ENOMEM. */
int rule_parse(const char *text, rule_dialect_t dialect, const rule_vars_t *vars, rule_t **ret,
               char **ret_error);
void rule_free(rule_t *r);
static inline void rule_freep(rule_t **r)
{
        rule_free(*r);
}
#define _cleanup_rule_ _cleanup_(rule_freep)

/* Test one line (N bytes, no newline) against all content tests of R (the
 * && chain, each with its '!'). A rule without tests matches every line.
 * Returns true when every test holds. */
bool rule_match_line(const rule_t *r, const char *line, size_t n);
/* Test one line against the single test T. */
bool rule_test_line(const rule_test_t *t, const char *line, size_t n);

/* The names x: accepts: built-in checks the rule language cannot express.
 * Each is true ("found") when the problem it names exists. */
extern const char *const rule_builtins[];
extern const size_t rule_n_builtins;

/* The short name of TYPE as written in rules ("f", "stat", …). */
const char *rule_type_name(rule_type_t type);
