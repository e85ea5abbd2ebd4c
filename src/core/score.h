/* The security score, 0-100 per host (DESIGN.md, "Security score"; the rules
 * are documented for users in docs/score.md, and this is the one function
 * that computes them). */
#pragma once

#include "core/alert.h"
#include "core/finding.h"

/* Open risks and alerts of one host (or of a fleet), by level. The arrays are
 * indexed by level value (FINDING_LOW..FINDING_HIGH, ALERT_REMINDER..
 * ALERT_URGENT); index 0 is unused. */
typedef struct score_input {
        unsigned findings[4];
        unsigned baseline_failures; /* open findings of category baseline, any level */
        unsigned alerts[4];
} score_input_t;

typedef enum score_band {
        SCORE_SECURE,     /* 95-100 */
        SCORE_FEW_RISKS,  /* 85-94 */
        SCORE_MANY_RISKS, /* 70-84 */
        SCORE_HIGH_RISK,  /* <= 69 */
} score_band_t;

#define SCORE_MAX   100
#define SCORE_FLOOR 10

/* The score for IN, between SCORE_FLOOR and SCORE_MAX. */
int score_compute(const score_input_t *in);

score_band_t score_band(int score);
/* "secure", "few risks", "many risks", "high risk". */
const char *score_band_name(score_band_t band);
