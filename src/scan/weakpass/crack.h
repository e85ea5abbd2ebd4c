/* The password-hash checker. Each crypt(3) hash is tried with the empty
 * password, variants of its account's name, and then every word of a dict_t,
 * in that order. Hashes that share a setting (the same scheme, cost and salt)
 * are checked together, because one crypt computation answers for all of
 * them.
 *
 * Work is spread over worker threads: they take chunks of candidates of the
 * first hash that still has unchecked candidates, so all cores work on one
 * hash at a time and a hash is answered as early as possible. Each hash has a
 * wall-clock budget counted from its first chunk, and the whole run has one
 * too; when a budget runs out the hash is reported as incomplete with how
 * many candidates were checked. Hashes go through libxcrypt's crypt_rn with
 * one struct crypt_data per thread, except bcrypt and md5crypt, where
 * vigil's own multi-lane code (bcrypt.h, md5crypt.h) computes several
 * candidates at once; a group uses it only when libxcrypt writes the stored
 * setting back unchanged, and candidates it cannot take (8-bit passwords
 * for bcrypt, over 15 bytes for md5crypt) still go to libxcrypt.
 *
 * A found password is never returned or kept: the result says which list it
 * was in and carries a masked hint made at the moment of the match. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/progress.h"
#include "core/text.h"
#include "scan/weakpass/dict.h"

/* The most name variants made for one account. */
#define CRACK_MAX_VARIANTS 64

typedef struct crack_target {
        const char *hash;    /* crypt(3) string as stored; borrowed */
        const char *account; /* for name variants; borrowed, may be NULL */
} crack_target_t;

typedef enum crack_status {
        CRACK_NOT_FOUND,   /* every candidate was checked; none matched */
        CRACK_FOUND,       /* a candidate matched */
        CRACK_INCOMPLETE,  /* a time budget ran out first */
        CRACK_UNSUPPORTED, /* libcrypt cannot compute this kind of hash */
} crack_status_t;

typedef struct crack_result {
        crack_status_t status;
        dict_kind_t kind;         /* the list that matched (FOUND) */
        unsigned source;          /* dict source id when kind is a dictionary kind */
        char hint[DICT_HINT_MAX]; /* masked hint of the match (FOUND) */
        size_t checked;           /* candidates tried on this hash */
        size_t total;             /* candidates there were for it */
        int64_t elapsed_us;       /* wall time spent on this hash */
        bool total_budget;        /* INCOMPLETE because the run's budget ran out */
} crack_result_t;

typedef struct crack_opts {
        unsigned threads;           /* worker threads (at least 1 is used) */
        int64_t budget_per_hash_us; /* per hash; 0 means no limit */
        int64_t budget_total_us;    /* whole run; 0 means no limit */
        progress_t *progress;       /* may be NULL */
        const char *progress_stage; /* label for the progress line */
} crack_opts_t;

/* Check N targets against DICT (which is only read, so it may be shared).
 * RESULTS has room for N results and gets one per target, in order. Returns
 * 0 or -ENOMEM (or a negative errno from pthread_create when not even one
 * worker could start). */
int crack_run(const dict_t *dict, const crack_target_t *targets, size_t n, const crack_opts_t *opts,
              crack_result_t *results);

/* Append the variants of account NAME that are tried after the empty
 * password: the name as is, capitalised, upper case, reversed, doubled,
 * with common digits and symbols appended, and a few more (at most
 * CRACK_MAX_VARIANTS, no duplicates, none empty or over DICT_WORD_MAX bytes).
 * Returns 0 or -ENOMEM. */
int crack_name_variants(const char *name, strv_t *ret);
