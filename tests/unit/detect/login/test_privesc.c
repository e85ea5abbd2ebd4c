/* Unit tests for detect/login/privesc: su, sudo and login. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lptest.h"

#define H "2026-11-26T23:15:10.128954+00:00 web1 "

static void test_privesc(void **state)
{
        static const lp_case_t cases[] = {
                { H "su[5000]: FAILED SU (to root) bob on pts/0",
                  "priv_failure method= user=bob src= port=0 target=root" },
                { H "su[5000]: (to root) bob on pts/0",
                  "session_open method= user=bob src= port=0 target=root" },
                { H "su[5001]: FAILED su for root by bob",
                  "priv_failure method= user=bob src= port=0 target=root" },
                { H "su[5001]: Successful su for postgres by root",
                  "session_open method= user=root src= port=0 target=postgres" },
                { H "su[5002]: pam_unix(su:session): session opened for user root(uid=0) by "
                    "bob(uid=1000)",
                  "unmatched" },
                { H "sudo:     bob : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/bob ; "
                    "USER=root ; COMMAND=/usr/bin/id",
                  "priv_failure method= user=bob src= port=0 target=root" },
                { H "sudo:      bob : 1 incorrect password attempt ; TTY=pts/0 ; PWD=/home/bob ; "
                    "USER=root ; COMMAND=/usr/bin/id",
                  "priv_failure method= user=bob src= port=0 target=root" },
                { H "sudo:    mallory : user NOT in sudoers ; TTY=pts/1 ; PWD=/tmp ; USER=root ; "
                    "COMMAND=/bin/sh",
                  "priv_failure method= user=mallory src= port=0 target=root" },
                { H "sudo:    bob : command not allowed ; TTY=pts/1 ; PWD=/tmp ; USER=root ; "
                    "COMMAND=/bin/sh",
                  "priv_failure method= user=bob src= port=0 target=root" },
                { H "sudo:    bob : TTY=pts/0 ; PWD=/home/bob ; USER=postgres ; "
                    "COMMAND=/usr/bin/psql",
                  "session_open method= user=bob src= port=0 target=postgres" },
                /* A command line cannot change who ran it or what happened. */
                { H "sudo:    bob : TTY=pts/0 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/echo "
                    "3 incorrect password attempts ; USER=alice",
                  "session_open method= user=bob src= port=0 target=root" },
                { H "sudo:    bob : a password is required ; TTY=pts/0 ; PWD=/ ; USER=root ; "
                    "COMMAND=/bin/true",
                  "unmatched" },
                { H "sudo: pam_unix(sudo:session): session opened for user root(uid=0) by "
                    "bob(uid=1000)",
                  "unmatched" },
                { H "login[5003]: FAILED LOGIN 1 FROM tty1 FOR eve, Authentication failure",
                  "auth_failure method= user=eve src= port=0" },
                { H "login[5003]: FAILED LOGIN 2 FROM 192.0.2.4 FOR eve, x, Authentication failure",
                  "auth_failure method= user=eve, x src=192.0.2.4 port=0" },
                { H "login[5003]: ROOT LOGIN  on '/dev/tty1'", "unmatched" },
        };
        (void)state;
        LP_RUN_CASES(cases);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_privesc),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
