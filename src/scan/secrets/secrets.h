/* The secret scanner ("vigil scan --only secret"): leaked access keys,
 * tokens, private keys and passwords in files and git history.
 *
 * It loads the rules (rules/secrets/rules.yml, or secret.rules_file),
 * compiles the engine, reads the web roots of nginx and Apache, scans the
 * PATH arguments (or secret.paths, or /etc /root /home /srv /var/www /opt
 * /usr/local /tmp) with ctx->threads workers, then the history of every git
 * repository found there. The same secret (same SHA-256) seen in several
 * places is one finding, whose id comes from the rule and the fingerprint,
 * never from the secret; all its places are in the evidence, the first in
 * path order (working tree before history) being the primary location for
 * SARIF. A secret in a served directory, or in a repository whose .git is
 * served, is a data leak: its level is raised by one.
 *
 * Configuration (all optional):
 *   secret.max_file_size         size cap per file (default 64MiB)
 *   secret.paths                 default start paths when no PATH is given
 *   secret.rules_file            another rules file
 *   secret.allowlist.fingerprints  SHA-256 hex of secrets to ignore (or a
 *                                prefix of at least 12 hex digits)
 *   secret.allowlist.rules       rule ids to ignore
 *   secret.allowlist.paths       fnmatch globs (on the path as shown, '*'
 *                                also matches '/') of files and directories
 *                                to leave out
 *   secret.git.enabled           scan git history (default true)
 *   secret.git.max_commits       per repository (default 100000)
 *   secret.git.max_bytes         blob bytes per repository (default 1GiB)
 *   secret.git.max_seconds       per repository (default 300)
 *
 * The secret itself is never put in a finding, a note or a log line: only
 * its fingerprint and a preview of at most 6 of its characters. */
#pragma once

#include "core/scanctx.h"

/* Default cap on the size of a scanned file. */
#define SECRETS_DEFAULT_MAX_FILE_SIZE (64 * MiB)

/* Run the scanner. Returns 0 when it ran (findings, notes and counters are
 * in ctx->report), or a negative errno when it could not run at all (no
 * rules, bad rules, bad configuration), after adding an error note. */
int secrets_scan(scan_ctx_t *ctx);
