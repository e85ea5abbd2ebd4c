/* The login detectors as one unit: they receive every login event in log
 * order and raise alerts (brute force, password spraying, login after brute
 * force, abnormal login) through a callback. `vigil logscan` feeds them the
 * events of the files it reads, the agent the events of the logs it tails;
 * both call login_detectors_flush at the end (logscan) or on a timer (agent)
 * so alerts that wait for a window to close are raised.
 *
 * This header is the contract between the log parsers and the detectors.
 * The rules, their defaults and every `login.*` key are described in
 * docs/login-detection.md; the implementation is detectors.c (settings in
 * loginconf.h, learned history in loginstore.h, bounded tables in
 * lrutab.h, countries in geoip.h).
 *
 * Time: windows are measured in event (log) time, so replaying a log gives
 * the same alerts; an event without a time takes the latest time seen.
 * Memory: every table is bounded (login.limits.*); see the document. */
#pragma once

#include "core/alert.h"
#include "core/config.h"
#include "detect/login/logevent.h"

typedef struct login_detectors login_detectors_t;

/* Called for each alert raised; the callee takes ownership of A (frees it
 * with alert_free). Returns 0, or a negative errno that the detector passes
 * back to its caller. */
typedef int (*login_alert_fn)(alert_t *a, void *userdata);

typedef struct login_detectors_opts {
        const config_t *config; /* never NULL (empty when no file was read) */
        const char *state_dir; /* where learned login history lives; NULL: keep it in memory only */
        const char *host;      /* host name for alerts; NULL: the local host's */
        login_alert_fn on_alert;
        void *userdata;
} login_detectors_opts_t;

/* Create the detectors. Returns 0, -EINVAL for a bad configuration value
 * (*RET_ERROR, when not NULL, then names it; caller frees), -ENOMEM. */
int login_detectors_new(const login_detectors_opts_t *opts, login_detectors_t **ret,
                        char **ret_error);

/* Feed one event, in log order. Returns 0 or a negative errno (from the
 * alert callback or out of memory). */
int login_detectors_feed(login_detectors_t *d, const logevent_t *e);

/* Raise every alert that is only waiting for more events (end of input).
 * Returns 0 or a negative errno. */
int login_detectors_flush(login_detectors_t *d);

/* For a daemon's timer: NOW_US is the wall clock. The detectors project
 * their log clock forward by the wall time elapsed since the latest event
 * and, at that time, count the publickey failures whose grace has passed
 * (which may raise alerts), drop expired state, commit learned history and,
 * with a state directory, save what changed in the windows since the last
 * save (login_detectors_save). Windows are never measured with NOW_US itself. Returns 0 or a
 * negative errno (from the alert callback or the store). */
int login_detectors_tick(login_detectors_t *d, int64_t now_us);

/* With a state directory: save what changed in the windows since the last
 * save (rows of entries that changed written again, rows of entries that
 * went deleted) and commit. A daemon calls it after it stored the position
 * of the lines it fed, so that a crash loses no window: the lines after that
 * position are read again and the windows hold what came before. Returns
 * 0 or a negative errno (the store). */
int login_detectors_save(login_detectors_t *d);

typedef struct login_detectors_stats {
        uint64_t events;    /* events fed */
        uint64_t failures;  /* failed attempts counted (after the rules of counting) */
        uint64_t alerts;    /* alerts raised */
        size_t sources;     /* entries in the per-(service, source) table now */
        size_t accounts;    /* entries in the per-(service, account) table now */
        size_t attackers;   /* entries in the per-source/network attack memory now */
        size_t connections; /* entries in the per-connection table now */
        uint64_t evictions; /* entries dropped from full tables */
        int64_t known;      /* rows of learned login history */
} login_detectors_stats_t;

/* Counters and table sizes (for tests, `vigil agent` status and the
 * memory bounds). */
void login_detectors_stats(const login_detectors_t *d, login_detectors_stats_t *ret);

/* Free; with a state directory, save the windows and commit first (errors
 * then are ignored: call login_detectors_tick or _flush before to see
 * them). Accepts NULL. */
void login_detectors_free(login_detectors_t *d);
static inline void login_detectors_freep(login_detectors_t **d)
{
        login_detectors_free(*d);
}
#define _cleanup_login_detectors_ _cleanup_(login_detectors_freep)
