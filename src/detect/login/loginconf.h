/* The login detectors' settings: every `login.*` key of vigil's
 * configuration read once into plain values, with the defaults and limits
 * docs/login-detection.md lists. Reading is apart from use: the detectors
 * only see a login_conf_t.
 *
 * Durations are integers of seconds or strings with a unit ("90s", "5m",
 * "1h", "2d"). Approved times are strings "DAYS HH:MM-HH:MM" ("mon-fri
 * 08:00-18:30", "sat,sun 10:00-12:00", "22:00-06:00" for every day, across
 * midnight), alone or in objects {accounts: [...], times: [...]} that
 * restrict them to some accounts. Account lists take user names and
 * "@group" (members from `login.groups.GROUP` when that key exists, else
 * from the system's group database at the time of the login). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/ipaddr.h"
#include "core/text.h"

#define LOGIN_SEC(s) ((int64_t)(s)*1000000)

/* Upper bounds of the thresholds (they size per-source arrays). */
#define LOGIN_CONF_FAILURES_MAX 1000
#define LOGIN_CONF_SPRAY_MAX    1000

typedef enum login_scope {
        LOGIN_SCOPE_NONE,    /* the dimension is not judged */
        LOGIN_SCOPE_IP,      /* the exact address */
        LOGIN_SCOPE_NETWORK, /* the /24 (IPv4) or /64 (IPv6) around it */
} login_scope_t;

/* One approved time window: on the days of DAYS (bit 0 = Monday), from
 * START to END minutes after midnight (END < START: across midnight, the
 * part after midnight belonging to the next day). */
typedef struct login_timewin {
        uint8_t days;
        uint16_t start, end;
} login_timewin_t;

typedef struct login_timerule {
        strv_t accounts; /* empty: every account */
        login_timewin_t *wins;
        size_t n_wins;
} login_timerule_t;

typedef struct login_conf {
        /* login.bruteforce.* */
        unsigned bf_failures;
        int64_t bf_window_us;
        int64_t bf_cooldown_us;
        unsigned bf_followup_factor; /* 0: no follow-up alerts */
        int64_t pk_grace_us;
        /* login.spray.* */
        unsigned spray_accounts; /* 0: off */
        unsigned spray_sources;  /* 0: off */
        int64_t spray_window_us;
        int64_t spray_cooldown_us;
        /* login.after_bruteforce.* */
        unsigned abf_failures; /* 0: off */
        int64_t abf_lookback_us;
        login_scope_t abf_scope; /* IP or NETWORK */
        /* login.network.* */
        unsigned v4_prefix, v6_prefix;
        /* baseline: login.learning_period, usual_after, abnormal.*, judge_private */
        int64_t learning_us;
        unsigned usual_after;
        login_scope_t source_scope;
        int64_t abnormal_cooldown_us;
        bool abnormal; /* login.abnormal.enabled */
        bool judge_private;
        /* login.root_password.* */
        bool root_password;
        int64_t root_cooldown_us;
        /* login.approved.* */
        ipnet_t *approved_sources;
        size_t n_approved_sources;
        strv_t approved_countries; /* upper-case ISO 3166 codes */
        strv_t approved_accounts;
        login_timerule_t *times;
        size_t n_times;
        bool local_time;    /* judge times in the host's zone (no utc_offset given) */
        int utc_offset_min; /* when !local_time */
        /* login.ignore_sources */
        ipnet_t *ignore_sources;
        size_t n_ignore_sources;
        /* login.groups: an object of lists, borrowed from the config (may be NULL) */
        const json_t *groups;
        /* login.geoip.database (NULL: no country lookups) */
        char *geoip_db;
        /* login.limits.* */
        size_t max_sources;
        size_t max_accounts;
        size_t max_connections;
} login_conf_t;

/* Read C into *RET (defaults for missing keys). Returns 0, -EINVAL with
 * *RET_ERROR naming the key and the problem (caller frees), or -ENOMEM.
 * *RET is cleared on failure. C must outlive *RET (login.groups is
 * borrowed). */
int login_conf_load(const config_t *c, login_conf_t *ret, char **ret_error);
void login_conf_clear(login_conf_t *c);

/* Parse "5m", "90", "1h30m"… into microseconds. Returns 0 or -EINVAL. */
int login_conf_parse_duration(const char *s, int64_t *ret_us);
/* Parse one approved time window "mon-fri 08:00-18:00". Returns 0 or
 * -EINVAL. */
int login_conf_parse_timewin(const char *s, login_timewin_t *ret);

/* True when USER is named in LIST, directly or through an "@group". */
bool login_conf_account_in(const login_conf_t *c, const strv_t *list, const char *user);

/* Whether a login of USER at T_US (UTC) falls in the approved times. Returns
 * 1 inside, 0 outside, -1 when no time rule applies to USER (not judged). */
int login_conf_time_approved(const login_conf_t *c, const char *user, int64_t t_us);

/* True when A is in one of the N networks. */
bool login_conf_net_match(const ipnet_t *nets, size_t n, const ipaddr_t *a);
