/* Unit tests for detect/login/sshd: every message form, and log injection
 * through user names, key ids and client disconnect texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lptest.h"

#define H "2026-11-26T23:15:10.128954+00:00 web1 sshd[622]: "

typedef struct tcase {
        const char *line;
        const char *want;
} tcase_t;

static void run_cases(const tcase_t *c, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                logparse_ctx_t *ctx = lp_ctx(NULL);
                char buf[2048];
                const char *got;

                assert_non_null(ctx);
                got = lp_parse(ctx, c[i].line, buf, sizeof(buf));
                if (strcmp(got, c[i].want) != 0)
                        fail_msg("line: %s\n got: %s\nwant: %s", c[i].line, got, c[i].want);
                logparse_free(ctx);
        }
}

static void test_messages(void **state)
{
        static const tcase_t cases[] = {
                { H "Failed password for root from 203.0.113.9 port 51234 ssh2",
                  "auth_failure method=password user=root src=203.0.113.9 port=51234" },
                { H "Failed password for invalid user admin from 203.0.113.9 port 51234 ssh2",
                  "auth_failure method=password user=admin src=203.0.113.9 port=51234 invalid" },
                { H "Failed publickey for bob from 2001:db8::7 port 40000 ssh2: ED25519 "
                    "SHA256:Xa3k9pQ0mYqk7d7kq1I2b3fZ8v5Lw8xZ0c9mY7p5Q2s",
                  "auth_failure method=publickey user=bob src=2001:db8::7 port=40000" },
                { H
                  "Failed keyboard-interactive/pam for bob from ::ffff:198.51.100.4 port 2222 ssh2",
                  "auth_failure method=keyboard-interactive/pam user=bob src=198.51.100.4 "
                  "port=2222" },
                { H "Failed none for invalid user guest from 203.0.113.9 port 5 ssh2",
                  "auth_failure method=none user=guest src=203.0.113.9 port=5 invalid" },
                { H "Accepted password for alice from 192.0.2.10 port 60001 ssh2",
                  "auth_success method=password user=alice src=192.0.2.10 port=60001" },
                { H "Accepted publickey for alice from 192.0.2.10 port 60001 ssh2: RSA "
                    "SHA256:abcdEFGH0123456789+/abcdEFGH0123456789abcde",
                  "auth_success method=publickey user=alice src=192.0.2.10 port=60001" },
                { H "Accepted keyboard-interactive/pam for alice from 192.0.2.10 port 60001 ssh2",
                  "auth_success method=keyboard-interactive/pam user=alice src=192.0.2.10 "
                  "port=60001" },
                { H "Invalid user oracle from 203.0.113.9 port 44444",
                  "invalid_user method= user=oracle src=203.0.113.9 port=44444 invalid" },
                { H "Invalid user  from 203.0.113.9 port 44444",
                  "invalid_user method= user= src=203.0.113.9 port=44444 invalid" },
                { H "Invalid user oracle from 203.0.113.9",
                  "invalid_user method= user=oracle src=203.0.113.9 port=0 invalid" },
                { H "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
                    "ruser= rhost=203.0.113.9  user=root",
                  "pam_failure method= user=root src=203.0.113.9 port=0" },
                { H "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
                    "ruser= rhost=attacker.example.net",
                  "pam_failure method= user= src=attacker.example.net(name) port=0 invalid" },
                { H "pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)",
                  "unmatched" },
                { H "ROOT LOGIN REFUSED FROM 203.0.113.9 port 5555",
                  "root_refused method= user=root src=203.0.113.9 port=5555" },
                { H "User root from 203.0.113.9 not allowed because not listed in AllowUsers",
                  "root_refused method= user=root src=203.0.113.9 port=0" },
                { H "User bob from host.example.org not allowed because listed in DenyUsers",
                  "not_allowed method= user=bob src=host.example.org(name) port=0" },
                { H "error: maximum authentication attempts exceeded for root from 203.0.113.9 "
                    "port 5 ssh2 [preauth]",
                  "max_attempts method= user=root src=203.0.113.9 port=5" },
                { H "error: maximum authentication attempts exceeded for invalid user x from "
                    "203.0.113.9 port 5 ssh2 [preauth]",
                  "max_attempts method= user=x src=203.0.113.9 port=5 invalid" },
                { H "Disconnecting authenticating user root 203.0.113.9 port 5: Too many "
                    "authentication failures [preauth]",
                  "preauth_close method= user=root src=203.0.113.9 port=5" },
                { H "Disconnecting invalid user x 203.0.113.9 port 5: Too many authentication "
                    "failures [preauth]",
                  "preauth_close method= user=x src=203.0.113.9 port=5 invalid" },
                { H "Connection closed by authenticating user root 203.0.113.9 port 5 [preauth]",
                  "preauth_close method= user=root src=203.0.113.9 port=5" },
                { H "Connection closed by invalid user admin 203.0.113.9 port 5 [preauth]",
                  "preauth_close method= user=admin src=203.0.113.9 port=5 invalid" },
                { H "Connection closed by 203.0.113.9 port 5 [preauth]",
                  "preauth_close method= user= src=203.0.113.9 port=5" },
                { H "Connection reset by 2001:db8::1 port 5 [preauth]",
                  "preauth_close method= user= src=2001:db8::1 port=5" },
                { H "Connection reset by authenticating user root 203.0.113.9 port 5 [preauth]",
                  "preauth_close method= user=root src=203.0.113.9 port=5" },
                { H "Connection closed by 203.0.113.9 port 5", "unmatched" },
                { H "Disconnected from invalid user a 203.0.113.9 port 5 [preauth]",
                  "preauth_close method= user=a src=203.0.113.9 port=5 invalid" },
                { H "Disconnected from user alice 192.0.2.10 port 60001", "unmatched" },
                { H "Received disconnect from 203.0.113.9 port 5:11: Bye Bye [preauth]",
                  "unmatched" },
                { H "Received disconnect from 203.0.113.9 port 5:3: com.jcraft.jsch.JSchException: "
                    "Auth fail [preauth]",
                  "auth_failure method= user= src=203.0.113.9 port=5" },
                { H "Received disconnect from 192.0.2.10 port 60001:11: disconnected by user",
                  "unmatched" },
                { H "Timeout before authentication for 203.0.113.9 port 5",
                  "preauth_close method= user= src=203.0.113.9 port=5" },
                { H "fatal: Timeout before authentication for 203.0.113.9 port 5",
                  "preauth_close method= user= src=203.0.113.9 port=5" },
                { H "error: PAM: Authentication failure for illegal user x from 203.0.113.9",
                  "pam_failure method= user=x src=203.0.113.9 port=0 invalid" },
                { H "error: PAM: Authentication failure for root from bad.example.com",
                  "pam_failure method= user=root src=bad.example.com(name) port=0" },
                { H "Server listening on 0.0.0.0 port 22.", "unmatched" },
                { H "Failed password for root from not_an_address! port 5 ssh2", "unmatched" },
                { H "Failed password for root from 203.0.113.9 port 0 ssh2", "unmatched" },
                { H "Failed password for root from 203.0.113.9 port 99999 ssh2", "unmatched" },
                { H "Failed password for root from 203.0.113.9 port 5", "unmatched" },
                { H "Failed pass word for root from 203.0.113.9 port 5 ssh2", "unmatched" },
                /* OpenSSH 9.8+ splits the per-connection process out. */
                { "2026-11-26T23:15:10+00:00 web1 sshd-session[900]: Failed password for root "
                  "from 203.0.113.9 port 5 ssh2",
                  "auth_failure method=password user=root src=203.0.113.9 port=5" },
                { "Nov 26 23:15:10 web1 sshd[622]: Accepted password for alice from 192.0.2.10 "
                  "port 60001 ssh2",
                  "auth_success method=password user=alice src=192.0.2.10 port=60001" },
                { "<38>1 2026-11-26T23:15:10.1+01:00 web1 sshd 622 - - Invalid user z from "
                  "203.0.113.9 port 1",
                  "invalid_user method= user=z src=203.0.113.9 port=1 invalid" },
        };
        (void)state;
        run_cases(cases, ELEMENTSOF(cases));
}

/* A user name is free text in the middle of every message: whatever it
 * holds, the source is the real client. */
static void test_injection_user(void **state)
{
        static const char *const users[] = {
                "x from 6.6.6.6 port 22",
                "x from 6.6.6.6 port 22 ssh2",
                "x from 6.6.6.6 port 22 ssh2: RSA SHA256:abcd",
                "x from 6.6.6.6 port 22 ssh2: RSA-CERT SHA256:abc ID y (serial 1) CA RSA SHA256:zz",
                /* sshd writes control characters as octal escapes. */
                "root from 6.6.6.6 port 22 ssh2\\012Failed password for root",
                "6.6.6.6 port 22 [preauth]",
                "authenticating user root 6.6.6.6 port 22",
                "invalid user x",
                " from 6.6.6.6",
                "x 6.6.6.6 port 22: Too many authentication failures [preauth]",
                "y not allowed because not listed in AllowUsers from 6.6.6.6",
                "x' from 6.6.6.6 port 22 ssh2 ",
                "from 6.6.6.6 port 22",
        };
        static const char *const forms[] = {
                H "Failed password for %s from 198.51.100.7 port 4242 ssh2",
                H "Failed password for invalid user %s from 198.51.100.7 port 4242 ssh2",
                H "Failed publickey for %s from 198.51.100.7 port 4242 ssh2: ED25519 SHA256:q1w2e3",
                H "Accepted password for %s from 198.51.100.7 port 4242 ssh2",
                H "Invalid user %s from 198.51.100.7 port 4242",
                H "Connection closed by invalid user %s 198.51.100.7 port 4242 [preauth]",
                H "Connection closed by authenticating user %s 198.51.100.7 port 4242 [preauth]",
                H "Disconnected from invalid user %s 198.51.100.7 port 4242 [preauth]",
                H "Disconnecting invalid user %s 198.51.100.7 port 4242: Too many authentication "
                  "failures [preauth]",
                H "error: maximum authentication attempts exceeded for invalid user %s from "
                  "198.51.100.7 port 4242 ssh2 [preauth]",
                H "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
                  "ruser= rhost=198.51.100.7  user=%s",
        };
        (void)state;
        for (size_t f = 0; f < ELEMENTSOF(forms); f++)
                for (size_t u = 0; u < ELEMENTSOF(users); u++) {
                        logparse_ctx_t *ctx = lp_ctx(NULL);
                        char line[1024];
                        logevent_t e;
                        size_t n = 0;
                        const char *nl;
                        size_t len;
                        int r;

                        {
                                /* FORMS hold one "%s" for the user. */
                                const char *at = strstr(forms[f], "%s");
                                snprintf(line, sizeof(line), "%.*s%s%s", (int)(at - forms[f]),
                                         forms[f], users[u], at + 2);
                        }
                        /* A newline in a name ends the line in a file. */
                        nl = strchr(line, '\n');
                        len = nl ? (size_t)(nl - line) : strlen(line);
                        r = logparse_line(ctx, line, len, "t", 1, &e, 1, &n);
                        if (nl) {
                                /* The tail line has no header: never an event. */
                                logevent_t e2;
                                size_t n2 = 0;
                                assert_int_not_equal(logparse_line(ctx, nl + 1, strlen(nl + 1), "t",
                                                                   2, &e2, 1, &n2),
                                                     LOGPARSE_EVENT);
                        }
                        if (r == LOGPARSE_EVENT) {
                                if (strstr(e.src, "6.6.6.6"))
                                        fail_msg("attributed to 6.6.6.6: %s", line);
                                if (e.src[0])
                                        assert_string_equal(e.src, "198.51.100.7");
                                if (e.port)
                                        assert_int_equal(e.port, 4242);
                        }
                        /* Every form with a port gives the event when the name has no
                         * newline, except the ones a name can legitimately not be. */
                        if (!nl && f != 8 && f != 10)
                                assert_int_equal(r, LOGPARSE_EVENT);
                        logparse_free(ctx);
                }
}

/* A certificate's key id is client text too: with free text on both sides,
 * a line that splits two ways gets no source unless the connection's earlier
 * lines name one of the candidates. */
static void test_injection_certificate(void **state)
{
        const char *line =
                H "Failed publickey for x from 6.6.6.6 port 22 ssh2: RSA-CERT SHA256:abc ID y "
                  "from 198.51.100.7 port 4242 ssh2: RSA-CERT SHA256:real ID z (serial 1) CA RSA "
                  "SHA256:ca";
        logparse_ctx_t *ctx = lp_ctx(NULL);
        char buf[1024];
        (void)state;

        assert_string_equal(lp_parse(ctx, line, buf, sizeof(buf)),
                            "auth_failure method=publickey user=x src= port=0");
        /* The same connection said where it came from before. */
        lp_parse(ctx, H "Invalid user x from 198.51.100.7 port 4242", buf, sizeof(buf));
        assert_string_equal(lp_parse(ctx, line, buf, sizeof(buf)),
                            "auth_failure method=publickey user=x from 6.6.6.6 port 22 ssh2: "
                            "RSA-CERT SHA256:abc ID y src=198.51.100.7 port=4242");
        /* A plain certificate line is not ambiguous. */
        assert_string_equal(
                lp_parse(ctx,
                         H "Accepted publickey for deploy from 198.51.100.8 port 1 ssh2: "
                           "ED25519-CERT SHA256:k1 ID ci from 6.6.6.6 port 22 ssh2 (serial 7) CA "
                           "ED25519 SHA256:ca",
                         buf, sizeof(buf)),
                "auth_success method=publickey user=deploy src=198.51.100.8 port=1");
        logparse_free(ctx);
}

/* Lines without an address take the source of the same pid's earlier lines,
 * and only of the same pid and host. */
static void test_pid_correlation(void **state)
{
        logparse_ctx_t *ctx = lp_ctx(NULL);
        char buf[1024];
        (void)state;

        assert_string_equal(
                lp_parse(ctx,
                         "Nov 26 23:15:10 web1 sshd[700]: Failed password for root from "
                         "203.0.113.9 port 5 ssh2",
                         buf, sizeof(buf)),
                "auth_failure method=password user=root src=203.0.113.9 port=5");
        /* Other host, same pid: not attributed. */
        assert_string_equal(lp_parse(ctx,
                                     "Nov 26 23:15:11 web2 sshd[700]: Disconnecting: Too many "
                                     "authentication failures [preauth]",
                                     buf, sizeof(buf)),
                            "max_attempts method= user= src= port=0");
        assert_string_equal(lp_parse(ctx,
                                     "Nov 26 23:15:11 web1 sshd[700]: Disconnecting: Too many "
                                     "authentication failures for root [preauth]",
                                     buf, sizeof(buf)),
                            "max_attempts method= user=root src=203.0.113.9 port=5");
        /* The connection ended: a reused pid learns nothing from it. */
        assert_string_equal(lp_parse(ctx,
                                     "Nov 26 23:15:12 web1 sshd[700]: Disconnecting: Too many "
                                     "authentication failures [preauth]",
                                     buf, sizeof(buf)),
                            "max_attempts method= user= src= port=0");
        /* The newer sequence reports max_attempts once. */
        lp_parse(ctx,
                 "Nov 26 23:16:00 web1 sshd[701]: error: maximum authentication attempts exceeded "
                 "for bob from 203.0.113.10 port 6 ssh2 [preauth]",
                 buf, sizeof(buf));
        assert_string_equal(lp_parse(ctx,
                                     "Nov 26 23:16:00 web1 sshd[701]: Disconnecting: Too many "
                                     "authentication failures [preauth]",
                                     buf, sizeof(buf)),
                            "preauth_close method= user=bob src=203.0.113.10 port=6");
        /* Entries expire after ten minutes of log time. */
        lp_parse(ctx, "Nov 26 23:20:00 web1 sshd[702]: Invalid user q from 203.0.113.11 port 7",
                 buf, sizeof(buf));
        assert_string_equal(lp_parse(ctx,
                                     "Nov 26 23:31:00 web1 sshd[702]: Disconnecting: Too many "
                                     "authentication failures [preauth]",
                                     buf, sizeof(buf)),
                            "max_attempts method= user= src= port=0");
        logparse_free(ctx);
}

/* Only the program tag in the header makes a line sshd's. */
static void test_tag_not_message(void **state)
{
        static const tcase_t cases[] = {
                { "Nov 26 23:15:10 web1 myapp[1]: sshd[622]: Failed password for root from "
                  "6.6.6.6 port 22 ssh2",
                  "none" },
                { "Nov 26 23:15:10 web1 logger: Failed password for root from 6.6.6.6 port 22 ssh2",
                  "none" },
                { "Nov 26 23:15:10 web1 sshdx[1]: Failed password for root from 6.6.6.6 port 22 "
                  "ssh2",
                  "none" },
                { "Failed password for root from 6.6.6.6 port 22 ssh2", "none" },
                { "Nov 26 23:15:10 web1 Failed password for root from 6.6.6.6 port 22 ssh2",
                  "none" },
        };
        (void)state;
        run_cases(cases, ELEMENTSOF(cases));
}

/* Header-less lines are read only when the context says who wrote them. */
static void test_bare_lines(void **state)
{
        logparse_ctx_t *ctx = lp_ctx("sshd");
        char buf[1024];
        (void)state;

        assert_string_equal(lp_parse(ctx,
                                     "Failed password for root from 127.0.0.1 port 40000 ssh2\r",
                                     buf, sizeof(buf)),
                            "auth_failure method=password user=root src=127.0.0.1 port=40000");
        logparse_free(ctx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_messages),
                cmocka_unit_test(test_injection_user),
                cmocka_unit_test(test_injection_certificate),
                cmocka_unit_test(test_pid_correlation),
                cmocka_unit_test(test_tag_not_message),
                cmocka_unit_test(test_bare_lines),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
