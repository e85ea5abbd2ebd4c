/* The service side of the weak password scanner: each function reads the
 * service's configuration inside the scanned root (or, for MySQL, tries
 * logins on the running host) and files findings through W. Each returns 0
 * when it did its job, problems with inputs having become notes, or -ENOMEM. */
#pragma once

#include "scan/weakpass/wpcommon.h"

/* Redis: default user without a password, users with "nopass", and plaintext
 * passwords that are weak by the quality rule or hashed passwords that are in
 * the dictionary. */
int services_check_redis(wp_t *w);

/* MySQL/MariaDB: accounts that accept an empty or default password, tried
 * live over the configured sockets and loopback addresses (at most four
 * passwords per account and endpoint, and a random wrong password to rule
 * out authentication that ignores passwords). Only on the running host. */
int services_check_mysql(wp_t *w);

/* PostgreSQL: pg_hba.conf rules with the trust method. */
int services_check_postgresql(wp_t *w);

/* FTP: anonymous logins in vsftpd and ProFTPD configurations. */
int services_check_ftp(wp_t *w);
