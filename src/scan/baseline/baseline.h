/* The baseline scanner (finding category `baseline`): runs configuration
 * and compliance policies — vigil's shipped rules/policies/vigil-linux.yml
 * and every *.yml and *.yaml file in the directories of config `baseline.policy_dirs`
 * (restricted to the ids in `baseline.policies` when set) — plus the
 * built-in TLS certificate checks, against the scanned root.
 *
 * Each failed check becomes a finding (check "<policy id>:<check id>",
 * object the policy id); passed and not applicable checks are counted in
 * the statistics, and each policy's pass rate is an informational note.
 * Configuration:
 *   baseline.policy_dirs: [DIR, …]   more policy files
 *   baseline.policies: [ID, …]       run only these policies
 *   baseline.builtin_policy: bool    run vigil-linux.yml (default true)
 *   baseline.allow_commands: bool    let c: rules run (default false)
 *   baseline.command_timeout: secs   per command (default 5, 1–300)
 *   baseline.tls_certificates: bool  certificate checks (default true) */
#pragma once

#include <stdbool.h>
#include <sys/stat.h>

#include "core/scanctx.h"

/* Run the scanner (see scan/scanners.h for the contract). */
int baseline_scan(scan_ctx_t *ctx);

/* Whether the policy file with status ST may run command rules: a regular
 * file owned by root that neither its group nor others can write. */
bool baseline_policy_may_run_commands(const struct stat *st);
