/* Notification settings and channels as the admin writes them (JSON through
 * the API), checked and turned into plain structs, and the time arithmetic
 * of schedules: when a notification held by a time window may go out, and
 * when the next daily or weekly digest is due.
 *
 * Settings hold one rule per alert level (urgent, suspicious, reminder) and
 * per finding level (high, medium, low): on or off, the channels (by name),
 * immediate or digest (daily, weekly; findings only), and a schedule. A
 * schedule is a time window ("09:00"-"18:00", overnight windows such as
 * "22:00"-"06:00" allowed) on some weekdays, in a time zone: a fixed offset
 * from UTC ("UTC", "+08:00", "-05:30") or a named zone ("Europe/Berlin",
 * "Asia/Shanghai") read from the system's zone files with core/tzif, so
 * that windows and digest times follow daylight saving time: 09:00-18:00
 * Europe/Berlin is 07:00-16:00 UTC in summer and 08:00-17:00 UTC in winter.
 * The zone files are read when the settings are parsed; after that,
 * everything is a pure, thread-safe function of its inputs (TZ and
 * localtime_r are never used).
 *
 * Nothing here touches the database or the network (the fuzz target and
 * unit tests drive it). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tzif.h"

#define NOTIFY_NAME_MAX         64 /* channel names */
#define NOTIFY_MAX_CHANNELS     32 /* channels per rule */
#define NOTIFY_MAX_RECIPIENTS   16 /* mail recipients per channel */
#define NOTIFY_URL_MAX          2048
#define NOTIFY_ADDR_MAX         320 /* a mail address, a host:port */
#define NOTIFY_SECRET_MAX       512
#define NOTIFY_CA_MAX           (8 * 1024)  /* PEM certificates a mail channel trusts */
#define NOTIFY_SETTINGS_MAX     (64 * 1024) /* a settings document, serialised */
#define NOTIFY_DEFAULT_SETTLE_S 30
#define NOTIFY_MAX_SETTLE_S     3600
#define NOTIFY_MAX_PER_HOST_DAY 100000

typedef enum notify_mode {
        NOTIFY_IMMEDIATE,
        NOTIFY_DAILY,
        NOTIFY_WEEKLY,
} notify_mode_t;

/* Invariants after parsing: 0 <= from, to, digest_at < 1440 (minutes of
 * the day); days has at least one of its seven low bits set (bit 0 is
 * Monday); -14:00 <= offset <= +14:00; digest_day 0 (Monday) .. 6. With a
 * named zone, zone holds its name, tz the loaded zone (owned by the
 * settings that hold the schedule: freed by notify_settings_clear, so a
 * copy of the struct must not outlive them) and offset_min is 0;
 * otherwise zone is "" and tz NULL. */
typedef struct notify_schedule {
        bool always; /* no window: any time of any day */
        int offset_min;
        char zone[TZIF_NAME_MAX + 1];
        tzif_t *tz;
        unsigned days;
        int from_min, to_min; /* from == to: the whole day */
        int digest_at_min;
        int digest_day;
} notify_schedule_t;

typedef struct notify_rule {
        bool enabled;
        notify_mode_t mode;
        notify_schedule_t sched;
        char *channels[NOTIFY_MAX_CHANNELS]; /* owned names */
        size_t n_channels;
} notify_rule_t;

/* Rules indexed by level (1 lowest .. 3 highest, as core's enums). */
typedef struct notify_settings {
        notify_rule_t alert[4];
        notify_rule_t finding[4];
        /* How old a stored alert or finding must be before the notifier
         * takes it: intake transactions that started earlier may commit
         * later, and the notifier's cursor must not pass them by. */
        int64_t settle_us;
} notify_settings_t;

typedef enum notify_kind {
        NOTIFY_INBOX,
        NOTIFY_EMAIL,
        NOTIFY_WEBHOOK,
        NOTIFY_SLACK,
        NOTIFY_DINGTALK,
        NOTIFY_FEISHU,
        NOTIFY_SYSLOG,
        NOTIFY__KIND_MAX,
} notify_kind_t;

/* One channel. Strings are owned; NULL when not set or not used by the
 * kind. */
typedef struct notify_channel {
        int64_t id;
        char *name;
        notify_kind_t kind;
        int64_t max_per_host_day; /* 0: no limit */
        char *url;                /* email: smtp:// or smtps://; webhooks: http(s):// */
        char *from;
        char *to[NOTIFY_MAX_RECIPIENTS];
        size_t n_to;
        char *username, *password;
        bool starttls; /* email over smtp://: require STARTTLS */
        char *ca;      /* email: PEM CA certificates trusted instead of the system's */
        char *address; /* syslog: HOST:PORT */
        bool tcp;      /* syslog: TCP with octet counting, else UDP */
        int facility;  /* syslog facility number, 0..23 */
} notify_channel_t;

/* "urgent", "high", ... for level L of alerts (ALERT) or findings; NULL out
 * of range. */
const char *notify_level_name(bool alert, int level);
/* The kind's name ("email") or NULL; parse a name, returns 0 or -EINVAL. */
const char *notify_kind_name(notify_kind_t k);
int notify_kind_from_name(const char *s, notify_kind_t *ret);

/* Defaults: every rule off, no channels, always, settle 30 s. */
void notify_settings_init(notify_settings_t *s);
/* Parse a settings document of N bytes. Levels missing from it keep the
 * defaults. A schedule's "tz" is UTC, an offset or a zone name; the zone is
 * loaded from TZIF_DIR, and a name that is not a readable, valid zone file
 * is refused like any other bad field. Returns 0 with *RET filled (clear
 * with notify_settings_clear),
 * -EINVAL with *RET_ERROR saying which field (caller frees), -E2BIG for a
 * document over NOTIFY_SETTINGS_MAX, -ENOMEM. */
int notify_settings_parse(const char *p, size_t n, notify_settings_t *ret, char **ret_error);
/* The settings as a JSON object (new reference; NULL when out of memory). */
json_t *notify_settings_json(const notify_settings_t *s);
void notify_settings_clear(notify_settings_t *s);

/* Check a channel definition {"name", "type", ...}. Returns 0 with *RET
 * (clear with notify_channel_clear; its id is 0), -EINVAL with *RET_ERROR
 * (caller frees), -ENOMEM. */
int notify_channel_parse(const json_t *o, notify_channel_t *ret, char **ret_error);
/* The channel as JSON; with REDACT the password is left out and webhook
 * URLs (which carry their token) are cut to scheme and host. New reference
 * or NULL. */
json_t *notify_channel_json(const notify_channel_t *ch, bool redact);
void notify_channel_clear(notify_channel_t *ch);

/* The earliest time at or after T_US (microseconds since the epoch) that
 * lies inside S's window, the window's times read as local time of S's zone
 * at each instant. A window that opens in an hour skipped by a change to
 * daylight saving time opens when the clock jumps; a time that occurs twice
 * when the clocks go back is taken at its first occurrence. Returns T_US
 * when S is always open. */
int64_t notify_schedule_next(const notify_schedule_t *s, int64_t t_us);
/* When a digest of MODE collecting items from T_US is due: the first
 * digest time (S's digest_at, on digest_day for weekly digests) at or after
 * T_US. For NOTIFY_IMMEDIATE, notify_schedule_next. */
int64_t notify_due(notify_mode_t mode, const notify_schedule_t *s, int64_t t_us);
