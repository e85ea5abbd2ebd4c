/* Unit tests for detect/login/ftp: vsftpd, ProFTPD and Pure-FTPd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lptest.h"

#define H "Nov 26 23:15:10 web1 "

static void test_ftp(void **state)
{
        static const lp_case_t cases[] = {
                /* vsftpd's own log (ctime stamps) and syslog. */
                { "Thu Nov 26 23:15:10 2026 [pid 1234] [bob] FAIL LOGIN: Client \"203.0.113.9\"",
                  "auth_failure method=password user=bob src=203.0.113.9 port=0" },
                { "Thu Nov  5 23:15:10 2026 [pid 1234] [bob] OK LOGIN: Client \"::ffff:192.0.2.8\"",
                  "auth_success method=password user=bob src=192.0.2.8 port=0" },
                { "Thu Nov 26 23:15:10 2026 [pid 1234] CONNECT: Client \"203.0.113.9\"",
                  "unmatched" },
                { "Thu Nov 26 23:15:10 2026 [pid 1234] [ftp] OK LOGIN: Client \"203.0.113.9\", "
                  "anon password \"x\" FAIL LOGIN: Client \"6.6.6.6\"",
                  "auth_success method=password user=ftp src=203.0.113.9 port=0" },
                { H "vsftpd[1234]: [pid 1234] [carol] FAIL LOGIN: Client \"2001:db8::5\"",
                  "auth_failure method=password user=carol src=2001:db8::5 port=0" },
                { H "vsftpd[1234]: [x] FAIL LOGIN: Client \"6.6.6.6\"] FAIL LOGIN: Client "
                    "\"203.0.113.9\"",
                  "auth_failure method=password user=x] FAIL LOGIN: Client \"6.6.6.6\" "
                  "src=203.0.113.9 port=0" },
                /* ProFTPD. */
                { H "proftpd[2000]: web1 (203.0.113.9[203.0.113.9]) - USER bob (Login failed): "
                    "Incorrect password",
                  "auth_failure method=password user=bob src=203.0.113.9 port=0" },
                { H "proftpd[2000]: web1 (host.example.net[2001:db8::9]) - USER bob: Login "
                    "successful.",
                  "auth_success method=password user=bob src=2001:db8::9 port=0" },
                { H "proftpd[2000]: web1 (203.0.113.9[203.0.113.9]) - USER nobody: no such user "
                    "found from 203.0.113.9 [203.0.113.9] to 10.0.0.1:21",
                  "invalid_user method= user=nobody src=203.0.113.9 port=0 invalid" },
                { H "proftpd[2000]: web1 (203.0.113.9[203.0.113.9]) - Maximum login attempts (3) "
                    "exceeded, connection refused",
                  "max_attempts method= user= src=203.0.113.9 port=0" },
                { H "proftpd[2000]: web1 (203.0.113.9[203.0.113.9]) - SECURITY VIOLATION: Root "
                    "login attempted",
                  "root_refused method= user=root src=203.0.113.9 port=0" },
                { H "proftpd[2000]: web1 (203.0.113.9[203.0.113.9]) - USER x (Login failed): y: "
                    "Login successful. (Login failed): Incorrect password",
                  "auth_failure method=password user=x (Login failed): y: Login successful. "
                  "src=203.0.113.9 port=0" },
                { "2026-11-26 23:15:10,123 web1 proftpd[2001] web1 (203.0.113.9[203.0.113.9]): "
                  "USER dave (Login failed): Incorrect password",
                  "auth_failure method=password user=dave src=203.0.113.9 port=0" },
                /* Pure-FTPd. */
                { H "pure-ftpd: (?@203.0.113.9) [WARNING] Authentication failed for user [eve]",
                  "auth_failure method=password user=eve src=203.0.113.9 port=0" },
                { H "pure-ftpd: (?@203.0.113.9) [WARNING] Authentication failed for user [a] b]",
                  "auth_failure method=password user=a] b src=203.0.113.9 port=0" },
                { H "pure-ftpd: (?@203.0.113.9) [INFO] eve is now logged in",
                  "auth_success method=password user=eve src=203.0.113.9 port=0" },
                { H "pure-ftpd: (eve@203.0.113.9) [INFO] Logout.", "unmatched" },
        };
        (void)state;
        LP_RUN_CASES(cases);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ftp),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
