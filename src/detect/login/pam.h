/* PAM's authentication failure message, which every PAM-using service
 * writes the same way:
 *
 *   pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0
 *       tty=ssh ruser= rhost=203.0.113.9  user=root
 *
 * The fields come in a fixed order and all but the last are written by the
 * system (no spaces in them); "user=" is last and may hold anything the
 * client sent, so the fields are read from the left and the user is the rest
 * of the line. The event is LOGEVENT_PAM_FAILURE with the PAM service name as
 * its service; for su the invoking user (ruser) is the user and the account
 * asked for is the target. */
#pragma once

#include "detect/login/logmsg.h"

/* True when M's message is a "pam_*(…)" line this module may parse. */
bool pam_is_pam(const logmsg_t *m);

/* Parse M. Returns 1 when E was filled, 0 when the line is not a PAM
 * authentication failure. */
int pam_parse(const logmsg_t *m, logevent_t *e);
