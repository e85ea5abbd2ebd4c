/* The names of the posture scanners, in the order `vigil scan` runs them,
 * without the scanners themselves. Code that only needs to check or list
 * scanner names (the agent validating its schedule and the center's scan
 * commands) uses this module, so it does not link the scan layer and the
 * libraries behind it (Hyperscan, YARA, librpm ...). scan/scanners.c builds
 * its registry from these names; a unit test checks that the two agree. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define SCANNAME_BASELINE      "baseline"
#define SCANNAME_EXPOSURE      "exposure"
#define SCANNAME_WEAK_PASSWORD "weak_password"
#define SCANNAME_VULNERABILITY "vulnerability"
#define SCANNAME_SECRET        "secret"
#define SCANNAME_MALWARE       "malware"
#define SCANNAME_PROCESS       "process"

/* How many scanners there are. */
#define SCANNAMES_COUNT 7

/* All scanner names in the registry's order; *RET_N gets their count. The
 * array and the strings are static: never freed. */
const char *const *scannames_all(size_t *ret_n);

/* Whether NAME is the name of a scanner (exact, case-sensitive). */
bool scannames_known(const char *name);
