/* FTP servers' login messages: vsftpd, ProFTPD and Pure-FTPd, in syslog and
 * (for vsftpd and ProFTPD) in their own log files.
 *
 *   vsftpd     own log "Tue Nov 26 23:15:10 2026 [pid 1234] [bob] FAIL LOGIN: Client "203.0.113.9""
 *              syslog  "vsftpd[1234]: [pid 1234] [bob] OK LOGIN: Client "203.0.113.9""
 *   ProFTPD    syslog  "proftpd[1234]: srv (client[203.0.113.9]) - USER bob (Login failed):
 * Incorrect password" own log "2026-11-26 23:15:10,123 srv proftpd[1234] srv (client[203.0.113.9]):
 * USER bob: Login successful." Pure-FTPd  syslog  "pure-ftpd: (?@203.0.113.9) [WARNING]
 * Authentication failed for user [bob]" "pure-ftpd: (?@203.0.113.9) [INFO] bob is now logged in"
 *
 * The client address always comes from a part the server writes before or
 * after the user name at a fixed place (vsftpd: the quoted address that
 * ends the line; ProFTPD and Pure-FTPd: the "(…[addr])" or "(?@addr)" in
 * front, written before any user name exists), and the user name is read
 * between fixed texts, from the right where the end is fixed. */
#pragma once

#include "detect/login/logmsg.h"
#include "detect/login/syslog.h"

/* True for the program tags "vsftpd", "proftpd" and "pure-ftpd". */
bool ftp_is_prog(const char *prog, size_t n);

/* Parse the message of M (a syslog line of one of those programs). Returns
 * 1 when E was filled, 0 when not an event. */
int ftp_parse(const logmsg_t *m, logevent_t *e);

/* Parse LINE (N bytes) as a line of vsftpd's or ProFTPD's own log. Returns
 * 1 when E was filled, 0 when the line is in one of those formats but not an
 * event, -ENOMSG when it is not in those formats. */
int ftp_parse_line(syslog_clock_t *c, const char *line, size_t n, const char *file, uint64_t lineno,
                   logevent_t *e);
