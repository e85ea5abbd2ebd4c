/* The agent's settings (agent.* keys of vigil.yml) read into plain values
 * once, apart from the code that uses them. docs/agent.md lists every key:
 *
 *   agent.logs            [{path, service?, format?}] logs to follow besides
 *                         the defaults; service names the program of lines
 *                         without a syslog header ("sshd" for sshd -E),
 *                         format is text (default), wtmp or btmp
 *   agent.default_logs    true: also /var/log/auth.log, /var/log/secure and
 *                         /var/log/messages, those that exist
 *   agent.journal         auto (default: on when neither auth.log nor secure
 *                         exists), true, false
 *   agent.journal_dir     read the journal files of this directory instead
 *                         of the local journal (containers, tests)
 *   agent.utmp            false: true also follows /var/log/btmp and wtmp
 *                         (counts logins twice when auth.log is read too)
 *   agent.start_at        end (default) or beginning: where a log seen for
 *                         the first time at start is read from
 *   agent.output          a file for alerts as JSON lines, or "-"
 *   agent.netattack       true: port scan capture and flood counters
 *   agent.fim             true: real-time file integrity (fim.* keys)
 *   agent.scans           the scan schedule (schedule.h)
 *   agent.retention       {days: 90, max_alerts: 100000}
 *   agent.poll_interval   how often followed files are looked at without
 *                         an inotify event (2s; 100ms..60s)
 *   agent.batch           bytes read per source per turn of the loop (1MiB)
 *   agent.scan_nice       nice value of scan threads (10; 0..19)
 *   agent.center.*        reporting to a center (docs/agent.md, "Reporting
 *                         to a center"): enabled, ca_file, batch_items,
 *                         batch_bytes, spool_max, heartbeat, commands_interval,
 *                         retry_max, timeout
 *   agent.commands.*      which center commands run: scan_now, update_rules,
 *                         block_ip (true), quarantine, kill (false) */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/schedule.h"
#include "agent/tail.h"
#include "core/config.h"

#define AGENT_LOGS_MAX 256

typedef enum agent_log_format {
        AGENT_LOG_TEXT,
        AGENT_LOG_WTMP,
        AGENT_LOG_BTMP,
} agent_log_format_t;

typedef struct agent_log {
        char *path;
        char *service; /* NULL: lines carry a syslog header */
        agent_log_format_t format;
} agent_log_t;

typedef enum agent_journal {
        AGENT_JOURNAL_AUTO,
        AGENT_JOURNAL_ON,
        AGENT_JOURNAL_OFF,
} agent_journal_t;

typedef struct agent_config {
        agent_log_t *logs; /* agent.logs, then the defaults that exist */
        size_t n_logs;
        bool journal;      /* resolved: follow the journal */
        char *journal_dir; /* NULL: the local journal */
        tail_start_t start;
        char *output; /* NULL: none */
        bool netattack;
        bool fim;
        schedule_t scans;
        int64_t retention_s;
        int64_t max_alerts;
        int64_t poll_us;
        size_t batch;
        int scan_nice;
        /* agent.center */
        bool center;        /* report when enrolled */
        char *center_ca;    /* NULL: the one given at enrollment */
        size_t batch_items; /* 1..1000 (500) */
        size_t batch_bytes; /* item JSON per batch (1MiB) */
        uint64_t spool_max; /* bytes of spooled JSON (256MiB) */
        int64_t heartbeat_ms, commands_ms, retry_max_ms, timeout_ms;
        /* agent.commands */
        bool cmd_scan_now, cmd_update_rules, cmd_block_ip, cmd_quarantine, cmd_kill;
} agent_config_t;

/* Read the settings. Default logs are looked for under ROOT ("" or NULL
 * for the host; tests pass a directory). Returns 0, -EINVAL with
 * *RET_ERROR naming the key (caller frees), -ENOMEM. Free with
 * agent_config_clear. */
int agent_config_load(const config_t *c, const char *root, agent_config_t *ret, char **ret_error);
void agent_config_clear(agent_config_t *ac);

/* "text", "wtmp", "btmp". */
const char *agent_log_format_name(agent_log_format_t f);
