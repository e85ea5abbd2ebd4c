/* When the agent runs posture scans: a list of entries, each naming the
 * scanners to run, how often, and optionally a daily time window (local
 * time) in which a run may start. The reference product runs the baseline
 * check every 2 days between 00:00 and 06:00, which is the default here.
 *
 *   agent:
 *     scans:
 *       - only: [vulnerability, baseline]   # scanner names, or "all"
 *         every: 2d                         # s, m, h, d, w; at least 1s
 *         window: "00:00-06:00"             # optional; may wrap midnight
 *
 * `agent.scans: []` turns scheduled scans off. This module only reads the
 * settings and does the time arithmetic; the agent runs the scans and
 * keeps when each entry last started in its store. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/text.h"

/* A schedule list longer than this is refused. */
#define SCHEDULE_MAX_ENTRIES 64
/* Longest interval accepted: one year. */
#define SCHEDULE_MAX_EVERY (366LL * 24 * 3600)

typedef struct schedule_entry {
        char *key;     /* identity in the store: "baseline,vulnerability/2d/00:00-06:00" */
        strv_t only;   /* scanner names, in the registry's order */
        int64_t every; /* seconds, >= 1 */
        bool has_window;
        int win_start, win_end; /* minutes after local midnight; start != end */
} schedule_entry_t;

typedef struct schedule {
        schedule_entry_t *v;
        size_t n;
} schedule_t;

/* Parse "90", "30s", "10m", "2h", "2d", "1w" into seconds (> 0, at most
 * SCHEDULE_MAX_EVERY). Returns 0 or -EINVAL. */
int schedule_parse_every(const char *s, int64_t *ret);
/* Parse "HH:MM-HH:MM" into minutes after midnight. Returns 0 or -EINVAL
 * (also for an empty window, start == end). */
int schedule_parse_window(const char *s, int *ret_start, int *ret_end);

/* Read agent.scans from C (the default when the key is missing). Returns
 * 0, -EINVAL with *RET_ERROR naming the entry and the problem (caller
 * frees), -ENOMEM. Free with schedule_clear. */
int schedule_load(const config_t *c, schedule_t *ret, char **ret_error);
void schedule_clear(schedule_t *s);

/* Whether MINUTE (after local midnight) is inside E's window (always true
 * without one). */
bool schedule_in_window(const schedule_entry_t *e, int minute);

/* When E is due next (seconds since the epoch): LAST_START seconds after
 * its last start (0: never ran, so due now), moved to NOW when that is
 * past, and then to the next start of its window when outside it. Local
 * time is the process's time zone. */
int64_t schedule_next_due(const schedule_entry_t *e, int64_t last_start, int64_t now);
