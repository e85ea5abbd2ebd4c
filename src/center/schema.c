#include "center/schema.h"

#include "core/macro.h"

/* Finding status: open, fixed, ignored. Alert status: open, handled,
 * ignored, allowlisted (the handling endpoints set the last three). Levels
 * are stored as numbers (core's enum values, 1 lowest .. 3 highest) so
 * that sorting and comparing by level works in SQL. */
static const char v1_sql[] =
        "CREATE TABLE hosts ("
        " id BIGINT PRIMARY KEY,"
        " hostname TEXT NOT NULL,"
        " os TEXT, os_version TEXT, arch TEXT, kernel TEXT, agent_version TEXT,"
        " secret_hash TEXT NOT NULL,"
        " token_id TEXT,"
        " enrolled_at BIGINT NOT NULL,"
        " last_seen BIGINT NOT NULL,"
        " last_ip TEXT,"
        " revoked INTEGER NOT NULL DEFAULT 0,"
        " score INTEGER NOT NULL DEFAULT 100,"
        " f_high INTEGER NOT NULL DEFAULT 0, f_medium INTEGER NOT NULL DEFAULT 0,"
        " f_low INTEGER NOT NULL DEFAULT 0, f_baseline INTEGER NOT NULL DEFAULT 0,"
        " a_urgent INTEGER NOT NULL DEFAULT 0, a_suspicious INTEGER NOT NULL DEFAULT 0,"
        " a_reminder INTEGER NOT NULL DEFAULT 0,"
        " spool_items BIGINT NOT NULL DEFAULT 0, spool_bytes BIGINT NOT NULL DEFAULT 0,"
        " last_seq BIGINT NOT NULL DEFAULT 0,"
        " updated_at BIGINT NOT NULL);"
        "CREATE INDEX hosts_hostname ON hosts (hostname, id);"
        "CREATE INDEX hosts_score ON hosts (score, id);"
        "CREATE INDEX hosts_last_seen ON hosts (last_seen);"

        "CREATE TABLE enroll_tokens ("
        " id TEXT PRIMARY KEY,"
        " token_hash TEXT NOT NULL UNIQUE,"
        " uses_total INTEGER NOT NULL,"
        " uses_left INTEGER NOT NULL,"
        " expires_at BIGINT NOT NULL,"
        " created_at BIGINT NOT NULL,"
        " created_by TEXT,"
        " note TEXT,"
        " revoked INTEGER NOT NULL DEFAULT 0);"

        "CREATE TABLE api_keys ("
        " id TEXT PRIMARY KEY,"
        " key_hash TEXT NOT NULL UNIQUE,"
        " name TEXT NOT NULL,"
        " role TEXT NOT NULL,"
        " created_at BIGINT NOT NULL,"
        " last_used BIGINT,"
        " revoked INTEGER NOT NULL DEFAULT 0);"

        "CREATE TABLE batches ("
        " host_id BIGINT NOT NULL,"
        " batch_id TEXT NOT NULL,"
        " seq BIGINT NOT NULL,"
        " items INTEGER NOT NULL,"
        " received BIGINT NOT NULL,"
        " PRIMARY KEY (host_id, batch_id));"
        "CREATE INDEX batches_received ON batches (received);"

        "CREATE TABLE findings ("
        " host_id BIGINT NOT NULL,"
        " id TEXT NOT NULL,"
        " category TEXT NOT NULL,"
        " check_id TEXT NOT NULL,"
        " level INTEGER NOT NULL,"
        " title TEXT NOT NULL,"
        " detail TEXT, remediation TEXT,"
        " evidence TEXT NOT NULL, refs TEXT NOT NULL, tags TEXT NOT NULL,"
        " status TEXT NOT NULL,"
        " status_reason TEXT,"
        " first_seen BIGINT NOT NULL,"
        " last_seen BIGINT NOT NULL,"
        " fixed_at BIGINT,"
        " scan_id TEXT,"
        " updated_at BIGINT NOT NULL,"
        " PRIMARY KEY (host_id, id));"
        "CREATE INDEX findings_seen ON findings (last_seen, host_id, id);"
        "CREATE INDEX findings_host ON findings (host_id, status, category, level);"
        "CREATE INDEX findings_status ON findings (status, level, category);"

        "CREATE TABLE alerts ("
        " host_id BIGINT NOT NULL,"
        " id TEXT NOT NULL,"
        " type TEXT NOT NULL,"
        " rule TEXT NOT NULL,"
        " subject TEXT,"
        " level INTEGER NOT NULL,"
        " time BIGINT NOT NULL,"
        " received BIGINT NOT NULL,"
        " title TEXT NOT NULL,"
        " remediation TEXT,"
        " evidence TEXT NOT NULL,"
        " status TEXT NOT NULL DEFAULT 'open',"
        " status_reason TEXT,"
        " updated_at BIGINT NOT NULL,"
        " PRIMARY KEY (host_id, id));"
        "CREATE INDEX alerts_time ON alerts (time, host_id, id);"
        "CREATE INDEX alerts_host_time ON alerts (host_id, time);"

        "CREATE TABLE events ("
        " host_id BIGINT NOT NULL,"
        " id TEXT NOT NULL,"
        " time BIGINT NOT NULL,"
        " received BIGINT NOT NULL,"
        " type TEXT NOT NULL,"
        " data TEXT NOT NULL,"
        " PRIMARY KEY (host_id, id));"
        "CREATE INDEX events_time ON events (time);"

        "CREATE TABLE scans ("
        " host_id BIGINT NOT NULL,"
        " id TEXT NOT NULL,"
        " started BIGINT NOT NULL,"
        " finished BIGINT NOT NULL,"
        " categories TEXT NOT NULL,"
        " findings INTEGER NOT NULL,"
        " fixed INTEGER NOT NULL,"
        " received BIGINT NOT NULL,"
        " PRIMARY KEY (host_id, id));"
        "CREATE INDEX scans_received ON scans (received);"

        /* New alerts per host, hour and level, kept at intake for trend
         * charts without counting the alerts table. */
        "CREATE TABLE alert_counts ("
        " host_id BIGINT NOT NULL,"
        " bucket BIGINT NOT NULL,"
        " level INTEGER NOT NULL,"
        " n BIGINT NOT NULL,"
        " PRIMARY KEY (host_id, bucket, level));"
        "CREATE INDEX alert_counts_bucket ON alert_counts (bucket);"

        /* The host's score at the end of each hour it changed in. */
        "CREATE TABLE score_history ("
        " host_id BIGINT NOT NULL,"
        " bucket BIGINT NOT NULL,"
        " score INTEGER NOT NULL,"
        " PRIMARY KEY (host_id, bucket));"
        "CREATE INDEX score_history_bucket ON score_history (bucket);"

        /* The fleet per hour, written by every center's maintenance task
         * (the same numbers from any process, so the last write wins). */
        "CREATE TABLE fleet_history ("
        " bucket BIGINT PRIMARY KEY,"
        " score INTEGER NOT NULL,"
        " mean_score DOUBLE PRECISION NOT NULL,"
        " hosts INTEGER NOT NULL,"
        " online INTEGER NOT NULL,"
        " f_high INTEGER NOT NULL, f_medium INTEGER NOT NULL, f_low INTEGER NOT NULL,"
        " a_urgent INTEGER NOT NULL, a_suspicious INTEGER NOT NULL,"
        " a_reminder INTEGER NOT NULL,"
        " new_urgent BIGINT NOT NULL, new_suspicious BIGINT NOT NULL,"
        " new_reminder BIGINT NOT NULL,"
        " updated_at BIGINT NOT NULL);"

        "CREATE TABLE commands ("
        " id BIGINT PRIMARY KEY,"
        " host_id BIGINT NOT NULL,"
        " kind TEXT NOT NULL,"
        " args TEXT NOT NULL,"
        " status TEXT NOT NULL,"
        " created_at BIGINT NOT NULL,"
        " created_by TEXT,"
        " expires_at BIGINT NOT NULL,"
        " sent_at BIGINT,"
        " deliveries INTEGER NOT NULL DEFAULT 0,"
        " done_at BIGINT,"
        " result TEXT);"
        "CREATE INDEX commands_host ON commands (host_id, status, created_at);";

/* The web console's people and their sessions (console.c, users.c,
 * session.c). Passwords are yescrypt hashes; a TOTP secret is kept as it
 * must be to compute codes (base32), NULL when the second factor is off;
 * totp_last_step refuses a code used once already. The lockout counts
 * failures in a window that starts at the first failure (fail_window_start)
 * and locks the account until locked_until. Sessions are stored by the
 * SHA-256 of their cookie value only. */
static const char v_console_sql[] = "CREATE TABLE users ("
                                    " id BIGINT PRIMARY KEY,"
                                    " name TEXT NOT NULL UNIQUE,"
                                    " role TEXT NOT NULL,"
                                    " pw_hash TEXT NOT NULL,"
                                    " totp_secret TEXT,"
                                    " totp_last_step BIGINT NOT NULL DEFAULT 0,"
                                    " fail_count INTEGER NOT NULL DEFAULT 0,"
                                    " fail_window_start BIGINT NOT NULL DEFAULT 0,"
                                    " locked_until BIGINT NOT NULL DEFAULT 0,"
                                    " disabled INTEGER NOT NULL DEFAULT 0,"
                                    " created_at BIGINT NOT NULL,"
                                    " pw_changed_at BIGINT NOT NULL,"
                                    " last_login BIGINT);"

                                    "CREATE TABLE sessions ("
                                    " id_hash TEXT PRIMARY KEY,"
                                    " user_id BIGINT NOT NULL,"
                                    " csrf TEXT NOT NULL,"
                                    " created_at BIGINT NOT NULL,"
                                    " last_used BIGINT NOT NULL,"
                                    " expires_at BIGINT NOT NULL,"
                                    " remote TEXT);"
                                    "CREATE INDEX sessions_user ON sessions (user_id);"
                                    "CREATE INDEX sessions_expires ON sessions (expires_at);";

/* Handling (handling.c): allowlist rules for alerts (host_id NULL: every
 * host) and the audit log of every change people make. An audit entry's
 * before and after states are JSON text; ids are random (several center
 * processes write at once), so entries are ordered by (time, id). */
static const char v_handling_sql[] =
        "CREATE TABLE allowlist_rules ("
        " id BIGINT PRIMARY KEY,"
        " host_id BIGINT,"
        " field TEXT NOT NULL,"
        " op TEXT NOT NULL,"
        " value TEXT NOT NULL,"
        " note TEXT,"
        " created_at BIGINT NOT NULL,"
        " created_by TEXT);"
        "CREATE INDEX allowlist_rules_host ON allowlist_rules (host_id);"

        "CREATE TABLE audit_log ("
        " id BIGINT PRIMARY KEY,"
        " time BIGINT NOT NULL,"
        " actor TEXT NOT NULL,"
        " role TEXT NOT NULL,"
        " remote TEXT,"
        " action TEXT NOT NULL,"
        " target_type TEXT NOT NULL,"
        " target TEXT NOT NULL,"
        " host_id BIGINT,"
        " before_state TEXT,"
        " after_state TEXT,"
        " reason TEXT);"
        "CREATE INDEX audit_log_time ON audit_log (time, id);";

/* Notifications (notify.c): the settings document (one row), channels
 * (their config as JSON, secrets included: the database is as sensitive
 * as the configuration file), the notifier's cursor per source, the
 * delivery queue (its primary key is what keeps one item from going twice
 * to one channel), and the console inbox. The two indexes let the
 * notifier read alerts and findings in the order they were stored. */
static const char v_notify_sql[] =
        "CREATE TABLE notify_settings ("
        " id INTEGER PRIMARY KEY,"
        " doc TEXT NOT NULL,"
        " updated_at BIGINT NOT NULL,"
        " updated_by TEXT);"

        "CREATE TABLE notify_channels ("
        " id BIGINT PRIMARY KEY,"
        " name TEXT NOT NULL UNIQUE,"
        " kind TEXT NOT NULL,"
        " config TEXT NOT NULL,"
        " created_at BIGINT NOT NULL,"
        " created_by TEXT);"

        "CREATE TABLE notify_cursor ("
        " source TEXT PRIMARY KEY,"
        " t BIGINT NOT NULL,"
        " host_id BIGINT NOT NULL,"
        " item_id TEXT NOT NULL);"

        "CREATE TABLE notify_queue ("
        " channel_id BIGINT NOT NULL,"
        " kind TEXT NOT NULL,"
        " host_id BIGINT NOT NULL,"
        " item_id TEXT NOT NULL,"
        " level INTEGER NOT NULL,"
        " digest INTEGER NOT NULL,"
        " created_at BIGINT NOT NULL,"
        " due_at BIGINT NOT NULL,"
        " status TEXT NOT NULL,"
        " attempts INTEGER NOT NULL DEFAULT 0,"
        " next_try BIGINT NOT NULL,"
        " claimed_by TEXT,"
        " claimed_until BIGINT,"
        " sent_at BIGINT,"
        " last_error TEXT,"
        " PRIMARY KEY (channel_id, kind, host_id, item_id));"
        "CREATE INDEX notify_queue_next ON notify_queue (status, next_try);"
        "CREATE INDEX notify_queue_sent ON notify_queue (channel_id, host_id, sent_at);"

        "CREATE TABLE notify_inbox ("
        " id BIGINT PRIMARY KEY,"
        " channel_id BIGINT NOT NULL,"
        " created_at BIGINT NOT NULL,"
        " kind TEXT NOT NULL,"
        " level TEXT NOT NULL,"
        " title TEXT NOT NULL,"
        " body TEXT NOT NULL,"
        " items TEXT NOT NULL,"
        " read_at BIGINT);"
        "CREATE INDEX notify_inbox_created ON notify_inbox (created_at, id);"

        "CREATE INDEX alerts_received ON alerts (received, host_id, id);"
        "CREATE INDEX findings_updated ON findings (updated_at, host_id, id);";

const cdb_migration_t schema_migrations[] = {
        { 1, "hosts, tokens, intake, results, history, commands", v1_sql },
        { 2, "console users and sessions", v_console_sql },
        { 3, "handling: allowlist rules, audit log", v_handling_sql },
        { 4, "notifications: settings, channels, queue, inbox", v_notify_sql },
};

const size_t schema_n_migrations = ELEMENTSOF(schema_migrations);
