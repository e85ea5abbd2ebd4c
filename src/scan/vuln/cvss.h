/* CVSS base scores computed from vector strings, as FIRST specifies them:
 * CVSS v2.0, v3.0 and v3.1 with their formulas (v3.1 with its Roundup that
 * avoids floating point surprises), and v4.0 with the MacroVector lookup
 * table and the interpolation of the FIRST reference calculator.
 *
 * Only the base metrics decide the score. Threat, temporal, environmental
 * and supplemental metrics in a vector are checked for syntax and otherwise
 * ignored, because a feed's vector describes the vulnerability, not this
 * host's environment. Vectors are attacker-written feed text: every metric
 * name and value is checked, each metric may appear once, and the base
 * metrics must all be present; anything else is -EINVAL, never a guess. */
#pragma once

#include "core/finding.h"

typedef enum cvss_version {
        CVSS_V2 = 20,
        CVSS_V30 = 30,
        CVSS_V31 = 31,
        CVSS_V40 = 40,
} cvss_version_t;

/* Longest vector accepted. */
#define CVSS_VECTOR_MAX 512

/* Score VECTOR, whichever version it is ("CVSS:4.0/…", "CVSS:3.1/…",
 * "CVSS:3.0/…", or a v2 vector "AV:N/AC:L/Au:N/…", optionally in
 * parentheses). Returns 0 with *RET_SCORE (0.0–10.0, one decimal) and
 * *RET_VERSION (either may be NULL), or -EINVAL. */
int cvss_score(const char *vector, double *ret_score, cvss_version_t *ret_version);

int cvss2_score(const char *vector, double *ret_score);
int cvss3_score(const char *vector, double *ret_score, cvss_version_t *ret_version);
int cvss4_score(const char *vector, double *ret_score);

/* The finding level for a base score: >= 7.0 high, >= 4.0 medium, else low. */
finding_level_t cvss_level(double score);

/* "2.0", "3.0", "3.1", "4.0". */
const char *cvss_version_name(cvss_version_t v);
