/* Database servers' authentication messages: MySQL/MariaDB and PostgreSQL,
 * in their own log files and through syslog or the journal.
 *
 *   MySQL 8      "2026-11-26T23:15:10.123456Z 8 [Note] [MY-010926] [Server] Access denied
 *                 for user 'bob'@'203.0.113.9' (using password: YES)"
 *   MariaDB      "2026-11-26 23:15:10 8 [Warning] Access denied for user 'bob'@'localhost'
 *                 (using password: YES)", also as the message of mariadbd/mysqld in syslog
 *   PostgreSQL   "2026-11-26 23:15:10.123 UTC [1234] bob@db FATAL:  password authentication
 *                 failed for user "bob"" (Debian's log_line_prefix '%m [%p] %q%u@%d '),
 *                 with the client from the same pid's "LOG:  connection received:
 *                 host=203.0.113.9 port=5432" (log_connections = on)
 *
 * MySQL's user is quoted in the middle of a message whose end is fixed, so it
 * is read from the right, and the host is the part after the last "'@'"
 * (host names and addresses have no quotes). MySQL logs failures only (8.0
 * needs log_error_verbosity = 3; MariaDB logs them at its default
 * log_warnings = 2).
 *
 * PostgreSQL's prefix carries the user name before the message, where
 * anything the client sent can stand, including text that looks like a
 * message. So a failure is believed only where the user in the message
 * (at the fixed end) equals the user the prefix starts with; a client
 * address only from a line whose prefix is fixed ("[unknown]@[unknown]" or
 * none) and whose end is exact; and a success only from a line with exactly
 * one "SEVERITY:  " separator (two spaces), since any fake one hidden in a
 * user or application name would make a second. */
#pragma once

#include "detect/login/logmsg.h"
#include "detect/login/pidtab.h"
#include "detect/login/syslog.h"

/* True for "mysqld", "mariadbd", "mysqld_safe", "mariadb", "mysql". */
bool dbauth_is_mysql_prog(const char *prog, size_t n);
/* True for "postgres", "postgresql" and "postgres-*" tags. */
bool dbauth_is_pg_prog(const char *prog, size_t n);

/* Parse the message of M (a syslog/journal line of MySQL or PostgreSQL).
 * PIDS may be NULL. Returns 1 when E was filled, 0 when not an event. */
int dbauth_parse_mysql(syslog_clock_t *c, const logmsg_t *m, logevent_t *e);
int dbauth_parse_pg(syslog_clock_t *c, const logmsg_t *m, pidtab_t *pids, logevent_t *e);

/* Parse LINE as a line of MySQL's/MariaDB's error log or PostgreSQL's
 * stderr log. Returns 1 for an event in E, 0 for a line in one of those
 * formats that is not an event, -ENOMSG when the line is in neither. */
int dbauth_parse_line(syslog_clock_t *c, pidtab_t *pids, const char *line, size_t n,
                      const char *file, uint64_t lineno, logevent_t *e);
