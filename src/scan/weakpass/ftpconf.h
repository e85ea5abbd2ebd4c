/* Anonymous FTP in the configuration of vsftpd and ProFTPD: a login that
 * needs no password, and, worse, one that may write.
 *
 * vsftpd.conf is "option=value" per line with no blanks around '=' and '#'
 * comments at the start of a line, exactly as vsftpd reads it (a line it
 * would reject is a warning here); later settings win; booleans are
 * YES/TRUE/1 and NO/FALSE/0 in any case. Defaults are vsftpd 3's
 * (anonymous_enable=NO, write_enable=NO).
 *
 * proftpd.conf is Apache-like: directives and <Section> blocks. An
 * <Anonymous> block enables anonymous logins unless it denies LOGIN with a
 * <Limit LOGIN> DenyAll, or requires the real password of its user
 * (AnonRequirePassword on); it may write when a <Limit> of WRITE, STOR, MKD,
 * APPE, or STOU inside it (also inside a nested <Directory>) says AllowAll.
 * Include directives are handed to a callback. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/report.h"

#define FTPCONF_LINE_MAX  (64 * KiB)
#define FTPCONF_MAX_ANONS 256

typedef struct vsftpd_conf {
        bool anonymous_enable;
        bool write_enable;
        bool anon_upload_enable;
        bool anon_mkdir_write_enable;
        bool anon_other_write_enable;
        bool no_anon_password;
        size_t anonymous_line; /* line of the anonymous_enable that counts, 0 if default */
} vsftpd_conf_t;

/* Parse a vsftpd.conf. *RET starts at the defaults. Bad lines are warnings
 * in R (may be NULL). Returns 0 or -ENOMEM. */
int ftpconf_parse_vsftpd(const char *data, size_t len, const char *source, report_t *r,
                         vsftpd_conf_t *ret);

typedef struct proftpd_anon {
        char *where; /* "FILE:LINE" of the <Anonymous> line */
        char *dir;   /* its directory argument */
        bool login_denied;
        bool require_password;
        bool writable;
} proftpd_anon_t;

typedef struct proftpd_conf {
        proftpd_anon_t anons[FTPCONF_MAX_ANONS];
        size_t n_anons;
} proftpd_conf_t;

/* Called for "Include PATH" outside an <Anonymous> block; WHERE is
 * "FILE:LINE". Returns 0 or a negative errno, which aborts the parse. */
typedef int (*ftpconf_include_fn)(const char *path, const char *where, void *userdata);

/* Parse a proftpd.conf into C (zeroed by the caller; blocks are appended).
 * Returns 0, -ENOMEM or what INCLUDE returned. */
int ftpconf_parse_proftpd(const char *data, size_t len, const char *source, report_t *r,
                          ftpconf_include_fn include, void *userdata, proftpd_conf_t *c);
void ftpconf_proftpd_clear(proftpd_conf_t *c);
