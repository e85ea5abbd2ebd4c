/* The weak password scanner (finding category weak_password): local
 * accounts whose password is empty or guessable (every hash in /etc/shadow
 * and any hash left in /etc/passwd, checked with libcrypt against the empty
 * password, variants of the account name and the candidate dictionary),
 * and services that let clients in without a real password: Redis
 * (requirepass and ACL users), MySQL/MariaDB (a live login attempt over the
 * local socket and loopback, on the running host only), PostgreSQL
 * (pg_hba.conf "trust" rules) and FTP (anonymous logins in vsftpd and
 * ProFTPD). docs/weak-passwords.md describes the checks, lists, budgets and
 * configuration keys.
 *
 * A password the scanner finds is never printed, logged or stored: findings
 * say which list it was in and give a masked hint. */
#pragma once

#include "core/scanctx.h"

/* Run every enabled check on CTX's root and put findings, notes and
 * statistics into CTX->report. Returns 0, or -ENOMEM when the scanner could
 * not do its job (a note says so). */
int weakpass_scan(scan_ctx_t *ctx);
