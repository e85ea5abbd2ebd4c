/* PostgreSQL's client authentication file, pg_hba.conf: one rule per
 * record, "TYPE DATABASE USER [ADDRESS [MASK]] METHOD [OPTIONS]", first match
 * wins. vigil reads it to find rules that let clients in with the "trust"
 * method, i.e. without any password, and tells whether a rule admits only
 * the host itself (a local socket, loopback addresses, "samehost",
 * "localhost") or other machines.
 *
 * Tokens follow PostgreSQL's rules: white space separates fields, '#'
 * outside double quotes starts a comment, double quotes keep spaces and
 * commas, a backslash at the end of a line continues it (PostgreSQL 16).
 * The include directives of PostgreSQL 16 ("include", "include_if_exists",
 * "include_dir") are handed to a callback so the caller can read those files
 * inside the scanned root. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/report.h"

/* Longest record (after joining continuation lines) and most tokens. */
#define PGHBA_LINE_MAX   (64 * KiB)
#define PGHBA_MAX_TOKENS 256

typedef enum pghba_scope {
        PGHBA_SCOPE_SOCKET,   /* "local": Unix-domain socket */
        PGHBA_SCOPE_LOOPBACK, /* TCP from the host itself only */
        PGHBA_SCOPE_REMOTE,   /* TCP from other machines */
} pghba_scope_t;

typedef struct pghba_rule {
        size_t line;
        char *type;     /* local, host, hostssl, hostnossl, hostgssenc, hostnogssenc */
        char *database; /* as written, e.g. "all" or "db1,db2" */
        char *user;
        char *address; /* address as written ("10.0.0.0/8", "10.0.0.0 255.0.0.0", "all", …); NULL
                          for local */
        char *method;
        pghba_scope_t scope;
} pghba_rule_t;

typedef enum pghba_include_kind {
        PGHBA_INCLUDE,           /* include FILE: missing file is an error */
        PGHBA_INCLUDE_IF_EXISTS, /* include_if_exists FILE */
        PGHBA_INCLUDE_DIR,       /* include_dir DIR: its *.conf files in name order */
} pghba_include_kind_t;

/* Called at an include directive; PATH is as written, WHERE "FILE:LINE".
 * Returns 0 or a negative errno, which aborts the parse. */
typedef int (*pghba_include_fn)(pghba_include_kind_t kind, const char *path, const char *where,
                                void *userdata);

/* Called for each rule, in file order; the rule is borrowed for the call.
 * WHERE is "FILE:LINE". Returns 0 or a negative errno, which aborts. */
typedef int (*pghba_rule_fn)(const pghba_rule_t *rule, const char *where, void *userdata);

/* Parse DATA (LEN bytes); SOURCE names the file in notes added to R (may be
 * NULL). Malformed records become warnings and are skipped. INCLUDE may be
 * NULL (includes are ignored). Returns 0, -ENOMEM, or what a callback
 * returned. */
int pghba_parse(const char *data, size_t len, const char *source, report_t *r,
                pghba_rule_fn on_rule, pghba_include_fn include, void *userdata);

/* Classify an address field (and MASK, or NULL) of a host rule. Returns 0
 * and the scope, or -EINVAL for an address PostgreSQL would reject. */
int pghba_address_scope(const char *address, const char *mask, pghba_scope_t *ret);
