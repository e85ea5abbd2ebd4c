/* Hosts (one per enrolled agent): their open counts and score, online
 * state, score history, and the fleet's figures.
 *
 * Each host row carries its open findings by level (and open baseline
 * failures) and its open alerts by level, and the score computed from them
 * with core/score.h. Intake keeps the counts current: new alerts add to
 * them as they are stored, and a batch with findings or scan results counts
 * the host's open findings again. Code that changes the status of findings
 * or alerts in other ways (handling: ignore, mark handled, allowlist; retention)
 * calls hosts_recount afterwards, in the same transaction. Whenever the
 * score changes, the hour's sample in score_history is written, which is
 * what the trend charts read.
 *
 * A host is online when the center heard from it within offline_after
 * (center.offline_after, 10 minutes by default; docs/center.md says why);
 * nothing is stored for that, it is computed from last_seen when read. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "center/cdb.h"
#include "core/score.h"

/* The host's open counts, as kept on its row. */
typedef struct hosts_counts {
        score_input_t in;
        int score;
} hosts_counts_t;

/* Count HOST_ID's open findings from the findings table into COUNTS (the
 * alert counts are left alone). Returns 0 or a database error. */
int hosts_count_findings(cdb_conn_t *c, int64_t host_id, hosts_counts_t *counts);
/* Count HOST_ID's open alerts from the alerts table into COUNTS. */
int hosts_count_alerts(cdb_conn_t *c, int64_t host_id, hosts_counts_t *counts);

/* Compute the score of COUNTS; when it differs from OLD_SCORE, write the
 * hour's score_history sample at NOW_US. Sets COUNTS->score. Does not
 * write the host row. Returns 0 or a database error. */
int hosts_score(cdb_conn_t *c, int64_t host_id, int old_score, int64_t now_us,
                hosts_counts_t *counts);

/* Count everything open of HOST_ID again, compute the score and store
 * counts, score and history. For handling code, inside its transaction.
 * *RET_SCORE (may be NULL) gets the new score. Returns 0, -ENOENT for an
 * unknown host, or a database error. */
int hosts_recount(cdb_conn_t *c, int64_t host_id, int64_t now_us, int *ret_score);

bool hosts_online(int64_t last_seen_us, int64_t now_us, int64_t offline_after_us);

/* The columns hosts_row_json reads, in its order, for SELECT lists. */
#define HOSTS_COLUMNS                                                                              \
        "id, hostname, os, os_version, arch, kernel, agent_version, enrolled_at, last_seen,"       \
        " last_ip, revoked, score, f_high, f_medium, f_low, f_baseline, a_urgent,"                 \
        " a_suspicious, a_reminder, spool_items, spool_bytes"
#define HOSTS_N_COLUMNS 21

/* A host as JSON from a row selected with HOSTS_COLUMNS (from column
 * FIRST on). New reference or NULL when out of memory. */
json_t *hosts_row_json(cdb_res_t *r, int first, int64_t now_us, int64_t offline_after_us);

/* The fleet right now. */
typedef struct hosts_fleet {
        int64_t hosts, online, revoked;
        int64_t spool_items, spool_bytes;
        int64_t findings[4], baseline, alerts[4];
        int64_t bands[4]; /* hosts per score_band_t */
        double mean_score;
        int score; /* score_compute over the fleet's open counts (docs/score.md) */
} hosts_fleet_t;

/* Read the fleet's figures (active hosts; revoked ones counted apart).
 * Returns 0 or a database error. */
int hosts_fleet(cdb_conn_t *c, int64_t now_us, int64_t offline_after_us, hosts_fleet_t *ret);

/* Write the fleet_history sample of the hour of NOW_US from the current
 * figures and the hour's new alerts. Returns 0 or a database error. */
int hosts_fleet_sample(cdb_conn_t *c, int64_t now_us, int64_t offline_after_us);
