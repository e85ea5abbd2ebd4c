/* The evaluator: runs rules and checks of a loaded policy against the
 * scanned root with Wazuh SCA semantics.
 *
 * A rule is "found" (true), "not found" (false) or "invalid" (it cannot be
 * decided here: a file to read is missing, commands are not allowed, there
 * is no process list in --root mode, …). A leading `not` swaps found and
 * not found and leaves invalid alone. A check's condition combines them:
 *   all:  any false rule fails the check; else any invalid makes it not
 *         applicable; else it passes.
 *   any:  any true rule passes it; else any invalid makes it not
 *         applicable; else it fails.
 *   none: any true rule fails it; else any invalid makes it not
 *         applicable; else it passes.
 * Rules are evaluated in order and evaluation stops as soon as the result is
 * known, as in Wazuh.
 *
 * Files are read through the rootfs (symlinks stay inside the root; files
 * over EVAL_MAX_FILE are not read) and kept in a cache for the scan, as are
 * command outputs, the process list, sshd's settings and sysctl values. The
 * evaluator is not thread-safe: one context per thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/rootfs.h"
#include "scan/baseline/policy.h"
#include "scan/baseline/rule.h"
#include "scan/baseline/sshdcfg.h"
#include "scan/baseline/sysctlcfg.h"

#define EVAL_MAX_FILE      (8 * MiB)  /* a file bigger than this is not read */
#define EVAL_MAX_CACHE     (64 * MiB) /* file contents kept for the scan */
#define EVAL_MAX_DIR_DEPTH 32
#define EVAL_MAX_DIR_ITEMS 100000
#define EVAL_MAX_EVIDENCE  240 /* bytes of a matched line kept as evidence */

typedef enum eval_status {
        EVAL_NOT_FOUND = 0,
        EVAL_FOUND = 1,
        EVAL_INVALID = 2,
} eval_status_t;

typedef enum eval_result {
        EVAL_FAILED,
        EVAL_PASSED,
        EVAL_NOT_APPLICABLE,
} eval_result_t;

/* What a rule looked at. Every field may be NULL/0. */
typedef struct eval_evidence {
        char *path;         /* file, directory, command, key or process the rule examined */
        unsigned long line; /* line number of TEXT in PATH */
        char *text;         /* the line or value that matched or decided */
        char *reason;       /* why the rule is invalid, or what was missing */
} eval_evidence_t;

struct eval_file;
struct eval_cmd;
struct proc_list;

typedef struct eval_ctx {
        const rootfs_t *root;
        /* May c: rules run? The caller sets this per policy (config and the
         * policy file's ownership); false makes them invalid. */
        bool allow_commands;
        unsigned command_timeout_ms;
        /* Set by eval_check from the check's `missing: no-match`. */
        bool missing_no_match;
        /* Caches, filled on demand. */
        struct eval_file *files;
        size_t n_files, cap_files, cached_bytes;
        struct eval_cmd *cmds;
        size_t n_cmds, cap_cmds;
        struct proc_list *procs;
        int procs_err; /* 1 until loaded, then 0 or a negative errno */
        sshdcfg_t sshd;
        int sshd_err; /* 1 until loaded */
        sysctlcfg_t sysctl;
        /* Counters for the statistics. */
        size_t files_read, commands_run;
} eval_ctx_t;

/* Prepare CTX for ROOT (borrowed; must outlive CTX). */
void eval_ctx_init(eval_ctx_t *ctx, const rootfs_t *root);
/* Free the caches; CTX can be initialised again. */
void eval_ctx_clear(eval_ctx_t *ctx);

/* Evaluate RULE (with its `not`). *EV is filled with what was examined
 * (clear it with eval_evidence_clear). Returns the status, or -ENOMEM. */
int eval_rule(eval_ctx_t *ctx, const rule_t *rule, eval_evidence_t *ev);

typedef struct eval_outcome {
        eval_result_t result;
        /* The rule that decided the result (for a check that passed
         * without one deciding rule: the last rule evaluated), or -1. */
        long rule;
        eval_evidence_t ev; /* evidence of that rule */
} eval_outcome_t;

/* Evaluate CHECK (or a policy's requirements). Returns 0 and fills *OUT
 * (clear with eval_outcome_clear), or -ENOMEM. */
int eval_check(eval_ctx_t *ctx, const policy_check_t *check, eval_outcome_t *out);

void eval_evidence_clear(eval_evidence_t *ev);
void eval_outcome_clear(eval_outcome_t *o);

const char *eval_result_name(eval_result_t r);
