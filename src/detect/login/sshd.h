/* OpenSSH sshd's log messages (as OpenSSH 9 on Debian 12 writes them, and
 * the older forms still common on RHEL and Ubuntu hosts) turned into login
 * events.
 *
 * User names are chosen by whoever connects and can hold spaces and text
 * like " from 6.6.6.6 port 22". sshd writes them in the middle of messages
 * whose end is fixed ("… from ADDR port N ssh2"), so every message with a
 * user is parsed from its fixed end towards the start, and the address is
 * taken from the last position where the fixed tail fits; a user name can
 * add text to the left of that, never replace it. The one message with
 * attacker text on both sides is a public key failure or success with a
 * certificate (its key id is also chosen by the client): when more than one
 * split fits, the address is taken from the same sshd process's earlier
 * lines if one of the candidates matches, and otherwise left unknown.
 *
 * Lines without an address ("Disconnecting: Too many authentication failures
 * [preauth]") get the source of the same sshd pid's earlier lines through
 * the pid table (pidtab.h). */
#pragma once

#include "detect/login/logmsg.h"
#include "detect/login/pidtab.h"

/* True when PROG (N bytes) is a program tag of OpenSSH's server: "sshd",
 * "sshd-session" (OpenSSH 9.8+) or "sshd-auth" (10.0+). */
bool sshd_is_prog(const char *prog, size_t n);

/* Parse the message of M, a line of sshd. PIDS may be NULL (no
 * correlation). Returns 1 when E was filled with an event, 0 when the
 * message is not a login event (E is then unspecified). */
int sshd_parse(const logmsg_t *m, pidtab_t *pids, logevent_t *e);
