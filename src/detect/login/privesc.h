/* Privilege changes and local logins: su, sudo and login.
 *
 *   su (util-linux)  "FAILED SU (to root) bob on pts/0"      → priv_failure
 *                    "(to root) bob on pts/0"                → session_open
 *   su (shadow)      "FAILED su for root by bob"             → priv_failure
 *                    "Successful su for root by bob"         → session_open
 *   sudo             "bob : 3 incorrect password attempts ; TTY=… ; USER=root ; COMMAND=…"
 *                    "bob : user NOT in sudoers ; …", "bob : command not allowed ; …"
 *                                                            → priv_failure
 *                    "bob : TTY=pts/0 ; PWD=… ; USER=root ; COMMAND=…" → session_open
 *   login            "FAILED LOGIN 1 FROM tty1 FOR bob, Authentication failure"
 *                                                            → auth_failure
 *
 * The invoking user of su and sudo is a local account; the target account of
 * sudo is read from the first " ; USER=" field, which a local user could
 * fake with a working directory named like one (the event's kind and
 * invoking user cannot be faked that way). PAM lines of these programs are
 * pam.h's. */
#pragma once

#include "detect/login/logmsg.h"

/* True for the program tags "su", "sudo" and "login". */
bool privesc_is_prog(const char *prog, size_t n);

/* Parse M. Returns 1 when E was filled, 0 when not an event. */
int privesc_parse(const logmsg_t *m, logevent_t *e);
