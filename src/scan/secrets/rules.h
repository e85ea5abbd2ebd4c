/* The secret rules: the data file (rules/secrets/rules.yml) that says what a
 * leaked credential looks like, read into plain structs. Each rule has an id,
 * a title, a level, keywords, a PCRE2 pattern whose capture group holds the
 * secret, and optionally a trigger: then the trigger is what the multi-pattern
 * engine looks for and the pattern is only searched in a window of lines
 * around it (an AWS secret key near its key id). Confirm steps (entropy,
 * character classes, ignore regexes) and embedded tests complete a rule. The
 * file also lists placeholders (documented example keys, "changeme",
 * "<your-key>", "${VAR}"...) that are never findings.
 *
 * This module only reads and checks the structure; the regular expressions
 * are compiled by the engine (scan/secrets/engine.h), which reports pattern
 * errors with the rule id. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/finding.h"
#include "core/text.h"

/* Rules files larger than this are refused. */
#define SECRETS_RULES_MAX_SIZE (1 * MiB)
/* At most this many rules in one file. */
#define SECRETS_RULES_MAX 512
/* Longest pattern, trigger or ignore regex accepted. */
#define SECRETS_RULES_MAX_REGEX 2048
/* Largest window around a trigger, in bytes on each side. */
#define SECRETS_RULES_MAX_WINDOW (16 * KiB)
/* Most lines a window may reach before or after its trigger. */
#define SECRETS_RULES_MAX_WINDOW_LINES 1000

typedef struct secrets_rule {
        char *id;          /* [a-z0-9][a-z0-9.-]*, unique; the finding's check */
        char *title;       /* "AWS access key ID" */
        char *description; /* why it matters; may be NULL */
        finding_level_t level;
        strv_t keywords; /* literals every match contains (case-insensitive); at least one */
        char *pattern;   /* PCRE2; group "secret", else group 1, else the match is the secret */
        char *trigger;   /* NULL, or what the engine looks for before searching the pattern */
        unsigned lines_before, lines_after; /* window around a trigger, in lines */
        unsigned window_bytes;              /* cap of the window on each side of the trigger */
        bool window_at_trigger; /* the match starts in the trigger: search from there, not
                                   from the start of the line (window.start: trigger) */
        double entropy;         /* minimum Shannon entropy in bits per byte; 0 = none */
        unsigned min_classes;   /* minimum classes among upper, lower, digit, other; 0 = none */
        bool normalize;         /* drop white space and \n, \r escapes (PEM bodies, JSON strings) */
        bool placeholders;      /* apply the file's placeholder list (default true) */
        strv_t ignore_secret;   /* regexes; a secret matching one is not a finding */
        strv_t ignore_match;    /* regexes tried on the whole match */
        char *remediation;      /* provider-specific steps; may be NULL */
        strv_t references;      /* URLs */
        strv_t tests_match;     /* test texts; [[...]] marks the expected secret */
        strv_t tests_no_match;
} secrets_rule_t;

typedef struct secrets_rules {
        secrets_rule_t *rules; /* in file order, which is also priority order */
        size_t n;
        strv_t ph_exact;            /* secrets that are documented examples, compared exactly */
        strv_t ph_contains;         /* markers such as "example", compared case-insensitively */
        strv_t ph_regex;            /* PCRE2 regexes tried on the secret */
        unsigned ph_min_distinct;   /* fewer distinct bytes than this: a placeholder */
        size_t ph_contains_max_len; /* markers apply only to secrets up to this long */
        char *source;               /* file name for messages */
} secrets_rules_t;

/* Parse N bytes of rules YAML; SOURCE names the input in error messages.
 * Returns 0, -EINVAL with *RET_ERROR set to "SOURCE: ..." (with line and
 * column for YAML syntax errors, the rule id otherwise; caller frees), or
 * -ENOMEM. Free the result with secrets_rules_free. */
int secrets_rules_parse(const char *data, size_t n, const char *source, secrets_rules_t **ret,
                        char **ret_error);

/* Read and parse the rules file at PATH (a host path, not inside a scanned
 * root: the rules ship with vigil). Errors as above, plus the errno of
 * reading the file (-ENOENT, -EFBIG, ...), also described in *RET_ERROR. */
int secrets_rules_load(const char *path, secrets_rules_t **ret, char **ret_error);

void secrets_rules_free(secrets_rules_t *r);
static inline void secrets_rules_freep(secrets_rules_t **r)
{
        secrets_rules_free(*r);
}
#define _cleanup_secrets_rules_ _cleanup_(secrets_rules_freep)

/* The rule with ID, or NULL. */
const secrets_rule_t *secrets_rules_find(const secrets_rules_t *r, const char *id);

/* Expand a test text: every "{{CLASS:N}}" becomes N characters drawn from
 * CLASS (upper, lower, digit, alnum, hex, base32, base64, base64url) by a
 * small PRNG seeded from *SEED (which advances), so no live-looking
 * credential has to be written into the repository; "[[" and "]]" are
 * removed and the bytes between them are the expected secret. Returns 0
 * with *RET (caller frees, NUL-terminated, length *RET_LEN), and the secret's
 * offset and length (both 0 when the text has no markers), or -EINVAL for a
 * bad template, -ENOMEM. Expanded texts are capped at 64 KiB. */
int secrets_rules_expand_test(const char *tmpl, uint64_t *seed, char **ret, size_t *ret_len,
                              size_t *ret_secret_off, size_t *ret_secret_len);
