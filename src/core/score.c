#include "core/score.h"

/* Deduction per open item and the most that one kind may take away, so a
 * thousand low findings cannot outweigh one remote-code-execution flaw. The
 * numbers are the ones in docs/score.md; change both together. */
struct deduction {
        unsigned each;
        unsigned cap;
};

static const struct deduction finding_deduction[4] = {
        [FINDING_HIGH] = { 10, 50 },
        [FINDING_MEDIUM] = { 3, 30 },
        [FINDING_LOW] = { 1, 15 },
};

static const struct deduction alert_deduction[4] = {
        [ALERT_URGENT] = { 20, 60 },
        [ALERT_SUSPICIOUS] = { 5, 25 },
        [ALERT_REMINDER] = { 1, 5 },
};

static unsigned deduct(const struct deduction *d, unsigned count)
{
        unsigned long long v = (unsigned long long)d->each * count;
        return v > d->cap ? d->cap : (unsigned)v;
}

int score_compute(const score_input_t *in)
{
        long score = SCORE_MAX;

        for (int l = 1; l <= 3; l++) {
                score -= deduct(&finding_deduction[l], in->findings[l]);
                score -= deduct(&alert_deduction[l], in->alerts[l]);
        }
        if (in->alerts[ALERT_URGENT] > 0 && score > 60)
                score = 60;
        if (in->findings[FINDING_HIGH] > 0 && score > 80)
                score = 80;
        if (in->baseline_failures > 0 && score > 90)
                score = 90;
        if (score < SCORE_FLOOR)
                score = SCORE_FLOOR;
        return (int)score;
}

score_band_t score_band(int score)
{
        if (score >= 95)
                return SCORE_SECURE;
        if (score >= 85)
                return SCORE_FEW_RISKS;
        if (score >= 70)
                return SCORE_MANY_RISKS;
        return SCORE_HIGH_RISK;
}

const char *score_band_name(score_band_t band)
{
        switch (band) {
        case SCORE_SECURE:
                return "secure";
        case SCORE_FEW_RISKS:
                return "few risks";
        case SCORE_MANY_RISKS:
                return "many risks";
        case SCORE_HIGH_RISK:
                return "high risk";
        }
        return "unknown";
}
