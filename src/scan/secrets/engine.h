/* The secret matching engine: one Hyperscan database compiled from every
 * rule (the rule's trigger, or its pattern when it has none), run in block
 * mode over a buffer, and a confirm step per Hyperscan report: PCRE2 (JIT)
 * finds the exact match and its capture group near the reported end (for a
 * trigger, in the window of lines around it), then entropy, character
 * classes, the rule's ignore regexes and the placeholder list decide whether
 * it is a secret. Each confirmed secret goes to a callback with its position
 * (line and column), SHA-256 fingerprint and a redacted preview.
 *
 * Hyperscan only reports where matches end (start of match is not asked
 * for, it would cost speed and is unsupported for some patterns); every
 * pattern has a bounded width (at most SECRETS_MAX_WIDTH bytes), so PCRE2
 * re-finds the match in [end - width, end + width]. A cursor per rule makes
 * each region be searched once, whatever the order and the number of
 * Hyperscan reports.
 *
 * Big inputs are scanned in chunks that overlap by SECRETS_OVERLAP bytes; a
 * match is confirmed in the first chunk that holds all of it with its
 * context, so a secret across a chunk edge is found once.
 *
 * The engine is immutable after creation and shared by threads; each thread
 * uses its own scratch. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"
#include "scan/secrets/rules.h"

/* Widest match a pattern without trigger, or a trigger, may have. */
#define SECRETS_MAX_WIDTH 4096
/* Bytes a pattern may look at before and after its match (lookbehind,
 * lookahead, \b). */
#define SECRETS_SLACK 256
/* Overlap between consecutive chunks of one input. */
#define SECRETS_OVERLAP (64 * KiB)
/* Longest secret (after normalisation) that is reported. */
#define SECRETS_MAX_SECRET (16 * KiB)
/* Size of a preview buffer: at most 6 characters of the secret and "…". */
#define SECRETS_PREVIEW_MAX 16

typedef struct secrets_engine secrets_engine_t;
typedef struct secrets_scratch secrets_scratch_t;

typedef struct secrets_match {
        const secrets_rule_t *rule;
        size_t rule_index; /* position of the rule in the rules file */
        uint64_t offset;   /* of the secret, from the start of the input */
        size_t length;     /* bytes of the secret in the input */
        uint64_t line;     /* 1-based line of the secret's first byte */
        uint64_t column;   /* 1-based column, in characters (UTF-8 code points) */
        /* The secret after normalisation. Borrowed for the callback only.
         * It must never be printed, logged or stored. */
        const char *secret;
        size_t secret_len;
        char fingerprint[HASH_SHA256_HEX]; /* hex SHA-256 of the secret */
        char preview[SECRETS_PREVIEW_MAX]; /* e.g. "AKIA…LE" */
} secrets_match_t;

/* Called for each confirmed secret. Return 0 to go on or a negative errno
 * to stop the scan with that error. */
typedef int (*secrets_match_fn)(const secrets_match_t *m, void *userdata);

typedef struct secrets_engine_stats {
        uint64_t bytes;        /* bytes given to the engine (chunk overlaps counted once) */
        uint64_t candidates;   /* matches confirmed by PCRE2, before the filters */
        uint64_t placeholders; /* dropped as example keys or placeholders */
        uint64_t filtered;     /* dropped by entropy, character classes or ignore regexes */
        uint64_t regex_limits; /* PCRE2 gave up on a match (match or depth limit) */
        uint64_t reported;     /* passed to the callback */
} secrets_engine_stats_t;

/* Compile RULES (borrowed: they must outlive the engine). Returns 0, -EINVAL
 * with *RET_ERROR naming the rule and the problem (caller frees), or
 * -ENOMEM. */
int secrets_engine_new(const secrets_rules_t *rules, secrets_engine_t **ret, char **ret_error);
void secrets_engine_free(secrets_engine_t *e);
static inline void secrets_engine_freep(secrets_engine_t **e)
{
        secrets_engine_free(*e);
}
#define _cleanup_secrets_engine_ _cleanup_(secrets_engine_freep)

const secrets_rules_t *secrets_engine_rules(const secrets_engine_t *e);

/* Per-thread state. Returns 0 or -ENOMEM. */
int secrets_scratch_new(const secrets_engine_t *e, secrets_scratch_t **ret);
void secrets_scratch_free(secrets_scratch_t *s);
static inline void secrets_scratch_freep(secrets_scratch_t **s)
{
        secrets_scratch_free(*s);
}
#define _cleanup_secrets_scratch_ _cleanup_(secrets_scratch_freep)

/* Counters of all scans done with S since it was created. */
void secrets_scratch_stats(const secrets_scratch_t *s, secrets_engine_stats_t *ret);

/* Scan one whole buffer of LEN bytes. Returns 0, the negative errno the
 * callback returned, or -EIO when Hyperscan failed. */
int secrets_scan_buffer(const secrets_engine_t *e, secrets_scratch_t *s, const char *data,
                        size_t len, secrets_match_fn fn, void *userdata);

/* Scan an input in chunks: call secrets_scan_begin, then secrets_scan_chunk
 * for each chunk. Every chunk but the last must be longer than
 * SECRETS_OVERLAP, and the next chunk must start with the last
 * SECRETS_OVERLAP bytes of the previous one. Offsets and lines in matches
 * count from the start of the input. Returns as secrets_scan_buffer, and
 * -EINVAL when a chunk is too short. */
void secrets_scan_begin(secrets_scratch_t *s);
int secrets_scan_chunk(const secrets_engine_t *e, secrets_scratch_t *s, const char *data,
                       size_t len, bool last, secrets_match_fn fn, void *userdata);

/* The redacted form of a secret of N bytes into OUT: the first 4 and last 2
 * characters for secrets of 16 bytes or more, 2 and 1 from 10, 1 and 0 from
 * 6, nothing shorter; bytes that are not printable ASCII show as '?'. */
void secrets_preview(const char *secret, size_t n, char out[SECRETS_PREVIEW_MAX]);

/* Shannon entropy of N bytes, in bits per byte (0 for N == 0). */
double secrets_entropy(const char *s, size_t n);
