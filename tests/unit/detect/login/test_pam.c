/* Unit tests for detect/login/pam. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lptest.h"

#define H "Nov 26 23:15:10 web1 "

static void test_pam(void **state)
{
        static const lp_case_t cases[] = {
                { H "su[4000]: pam_unix(su:auth): authentication failure; logname=bob uid=1000 "
                    "euid=0 tty=/dev/pts/0 ruser=bob rhost=  user=root",
                  "pam_failure method= user=bob src= port=0 target=root" },
                { H "sudo[4001]: pam_unix(sudo:auth): authentication failure; logname=bob "
                    "uid=1000 euid=0 tty=/dev/pts/0 ruser=bob rhost=  user=bob",
                  "pam_failure method= user=bob src= port=0" },
                { H "vsftpd[4002]: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 "
                    "euid=0 tty=ftp ruser=alice rhost=::ffff:203.0.113.9  user=alice",
                  "pam_failure method= user=alice src=203.0.113.9 port=0" },
                { H "sshd[4003]: pam_sss(sshd:auth): authentication failure; logname= uid=0 euid=0 "
                    "tty=ssh ruser= rhost=203.0.113.9 user=carol",
                  "pam_failure method= user=carol src=203.0.113.9 port=0" },
                /* The user comes last: anything in it stays in it. */
                { H "sshd[4004]: pam_unix(sshd:auth): authentication failure; logname= uid=0 "
                    "euid=0 tty=ssh ruser= rhost=198.51.100.7  user=x rhost=6.6.6.6  user=root",
                  "pam_failure method= user=x rhost=6.6.6.6  user=root src=198.51.100.7 port=0" },
                /* rhost must be an address or a host name. */
                { H "login[4005]: pam_unix(login:auth): authentication failure; logname=LOGIN "
                    "uid=0 euid=0 tty=/dev/tty1 ruser= rhost=  user=dave",
                  "pam_failure method= user=dave src= port=0" },
                { H "sshd[4006]: pam_unix(sshd:auth): authentication failure; logname= uid=0 "
                    "euid=0 tty=ssh ruser= rhost=a|b  user=root",
                  "unmatched" },
                { H "sshd[4007]: pam_unix(sshd:auth): check pass; user unknown", "unmatched" },
                { H "cron[4008]: pam_unix(cron:session): session opened for user root", "none" },
                { H "sshd[4009]: pam_unix(sshd:auth): authentication failure; logname= uid=0",
                  "unmatched" },
        };
        (void)state;
        LP_RUN_CASES(cases);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pam),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
