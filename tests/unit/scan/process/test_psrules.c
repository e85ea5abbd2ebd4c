/* Unit tests for scan/process/psrules: which names are shells and
 * interpreters (with version suffixes and busybox applets), the miner
 * command-line test on real miner command lines and on ordinary ones that
 * look a little alike, the escaping of evidence text, and the directory
 * test for temporary directories. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan/process/psrules.h"

/* Miner program names are written with a '|' that this takes out, so the
 * test binary itself never holds them and vigil's YARA miner rules do not
 * take it for a miner (the sweep of a concurrently running test would). */
static const char *unbar(const char *s)
{
        static char bufs[4][64];
        static int k;
        char *out = bufs[k++ % 4];
        size_t j = 0;

        for (; *s && j < 63; s++)
                if (*s != '|')
                        out[j++] = *s;
        out[j] = 0;
        return out;
}

/* A command line as /proc shows it: arguments separated by NULs. */
static size_t argv_of(char *out, size_t cap, const char *const *argv)
{
        size_t n = 0;

        for (size_t i = 0; argv[i]; i++) {
                size_t k = strlen(argv[i]);
                assert_true(n + k + 1 <= cap);
                memcpy(out + n, argv[i], k + 1);
                n += k + 1;
        }
        return n ? n - 1 : 0;
}

static bool miner(const char *const *argv, const char *exe, const char *comm, psrules_miner_t *ret)
{
        char buf[4096];
        size_t n = argv_of(buf, sizeof(buf), argv);

        *ret = (psrules_miner_t){ 0 };
        assert_int_equal(psrules_miner_scan(buf, n, exe, comm, ret), 0);
        return psrules_miner_verdict(ret);
}

static void test_interpreters(void **state)
{
        strv_t extra = { 0 };

        (void)state;
        assert_string_equal(psrules_interpreter_name("/usr/bin/bash", NULL), "bash");
        assert_string_equal(psrules_interpreter_name("/bin/sh", NULL), "sh");
        assert_string_equal(psrules_interpreter_name("/usr/bin/python3.11", NULL), "python");
        assert_string_equal(psrules_interpreter_name("python3", NULL), "python");
        assert_string_equal(psrules_interpreter_name("/usr/bin/perl5.36.0", NULL), "perl");
        assert_string_equal(psrules_interpreter_name("/usr/bin/php8.2", NULL), "php");
        assert_string_equal(psrules_interpreter_name("/usr/bin/lua5.4", NULL), "lua");
        assert_string_equal(psrules_interpreter_name("/bin/nc.openbsd", NULL), "nc.openbsd");
        assert_string_equal(psrules_interpreter_name("/usr/bin/socat", NULL), "socat");
        assert_string_equal(psrules_interpreter_name("/usr/bin/node", NULL), "node");
        /* servers that share a prefix are not interpreters */
        assert_null(psrules_interpreter_name("/usr/sbin/php-fpm8.2", NULL));
        assert_null(psrules_interpreter_name("/usr/bin/python3-config", NULL));
        assert_null(psrules_interpreter_name("/usr/sbin/sshd", NULL));
        assert_null(psrules_interpreter_name("/usr/bin/bashbug", NULL));
        assert_null(psrules_interpreter_name("", NULL));
        assert_null(psrules_interpreter_name(NULL, NULL));
        assert_int_equal(strv_push(&extra, "tclkit"), 0);
        assert_string_equal(psrules_interpreter_name("/opt/tclkit", &extra), "tclkit");
        strv_clear(&extra);

        /* busybox: the applet is named by argv[0] or comm */
        assert_string_equal(psrules_interpreter("/bin/busybox", "sh", "sh", NULL), "sh");
        assert_string_equal(psrules_interpreter("/bin/busybox", "ash", "-ash", NULL) ?: "", "ash");
        assert_string_equal(psrules_interpreter("/bin/busybox", "nc", "/bin/nc", NULL), "nc");
        assert_null(psrules_interpreter("/bin/busybox", "httpd", "httpd", NULL));
        /* without a readable exe the name decides */
        assert_string_equal(psrules_interpreter(NULL, "bash", "bash", NULL), "bash");
        /* the exe decides over a comm a process chose */
        assert_null(psrules_interpreter("/usr/sbin/nginx", "bash", "bash", NULL));
}

static void test_miner_positive(void **state)
{
        psrules_miner_t m;

        (void)state;
        /* The integration test's fake miner. */
        {
                const char *argv[] = { "./fakeminer",
                                       "-o",
                                       "stratum+tcp:/"
                                       "/127.0.0.1:3333",
                                       "-u",
                                       "wallet",
                                       "--donate-level",
                                       "1",
                                       NULL };
                assert_true(miner(argv, "/opt/fakeminer", "fakeminer", &m));
                assert_true(m.strong >= 2);
                assert_true(strv_contains(&m.reasons, "pool URL 'stratum+tcp:/"
                                                      "/127.0.0.1:3333'"));
                assert_true(strv_contains(&m.reasons, "miner option '--donate-level'"));
                psrules_miner_clear(&m);
        }
        /* A URL glued to its option, upper case, stratum2 */
        {
                const char *argv[] = { "kworker", "--url=STRATUM2+SSL://pool.example:443", NULL };
                assert_true(miner(argv, "/tmp/.x/kworker", "kworker", &m));
                psrules_miner_clear(&m);
        }
        /* algorithm after -a */
        {
                const char *argv[] = { "bin", "-a", "rx/0", "-k", NULL };
                assert_true(miner(argv, "/tmp/bin", "bin", &m));
                assert_true(strv_contains(&m.reasons, "mining algorithm 'rx/0'"));
                psrules_miner_clear(&m);
        }
        {
                const char *argv[] = { "bin", "--algo=cn/r", NULL };
                assert_true(miner(argv, "/tmp/bin", "bin", &m));
                psrules_miner_clear(&m);
        }
        /* two weak signs */
        {
                const char *argv[] = { "svc", "--cpu-priority", "5", "--coin", "monero", NULL };
                assert_true(miner(argv, "/usr/local/bin/svc", "svc", &m));
                assert_int_equal(m.strong, 0);
                assert_int_equal(m.weak, 2);
                psrules_miner_clear(&m);
        }
        /* -o HOST:PORT -u WALLET and a weak option */
        {
                const char *argv[] = {
                        "a", "-o", "pool.example:4444", "-u", "x", "--nicehash", NULL
                };
                assert_true(miner(argv, "/tmp/a", "a", &m));
                psrules_miner_clear(&m);
        }
        /* a known name as exe, as comm, and as a rewritten argv[0] */
        {
                const char *argv[] = { "foo", NULL };
                assert_true(miner(argv, unbar("/var/tmp/xm|rig"), "foo", &m));
                psrules_miner_clear(&m);
                assert_true(miner(argv, "/usr/bin/foo", unbar("XM|Rig"), &m));
                psrules_miner_clear(&m);
        }
        {
                /* one string with spaces (setproctitle style) */
                const char *argv[] = { unbar("xm|rig -c /tmp/c.json"), NULL };
                assert_true(miner(argv, "/usr/bin/foo", "foo", &m));
                psrules_miner_clear(&m);
        }
        /* a Monero address */
        {
                char addr[96];
                const char *argv[] = { "w", addr, NULL };
                memset(addr, 'A', 95);
                addr[0] = '4';
                addr[95] = 0;
                assert_true(miner(argv, "/tmp/w", "w", &m));
                psrules_miner_clear(&m);
        }
}

static void test_miner_negative(void **state)
{
        const char *const *cases[] = {
                (const char *const[]){ "ssh", "-o", "StrictHostKeyChecking=no", "-u", "x", NULL },
                (const char *const[]){ "mount", "-o", "rw,noatime", "/dev/sda1", "/mnt", NULL },
                (const char *const[]){ "vim", "x.json", NULL },
                (const char *const[]){ "grep", "-r", "stratum", "/var/log", NULL },
                (const char *const[]){ "tar", "-a", "-cf", "x.tar.gz", "dir", NULL },
                (const char *const[]){ "docker", "run", "--cpu-priority", "1", NULL },
                (const char *const[]){ "nginx:", "worker", "process", NULL },
                (const char *const[]){ "python3", "-m", "http.server", "3333", NULL },
                (const char *const[]){ "curl", "https://example.com/stratum+tcp", NULL },
        };
        psrules_miner_t m;

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                bool v = miner(cases[i], "/usr/bin/x", "x", &m);
                if (v)
                        fail_msg("case %zu (%s %s) taken for a miner", i, cases[i][0], cases[i][1]);
                psrules_miner_clear(&m);
        }
        {
                /* a file named after a miner is not a miner */
                const char *argv[] = { "vim", unbar("xm|rig.json"), NULL };
                assert_false(miner(argv, "/usr/bin/vim", "vim", &m));
                psrules_miner_clear(&m);
        }
        /* empty command lines (kernel threads, zombies) */
        m = (psrules_miner_t){ 0 };
        assert_int_equal(psrules_miner_scan(NULL, 0, NULL, NULL, &m), 0);
        assert_false(psrules_miner_verdict(&m));
        psrules_miner_clear(&m);
}

static void test_escape(void **state)
{
        char *s;

        (void)state;
        s = psrules_escape("a\0b\x01\x7f\xc3\\", 7, 100);
        assert_string_equal(s, "a b\\x01\\x7f\\xc3\\\\");
        free(s);
        s = psrules_escape("abcdefgh", 8, 3);
        assert_string_equal(s, "abc\xe2\x80\xa6[+5 bytes]");
        free(s);
        s = psrules_escape("", 0, 3);
        assert_string_equal(s, "");
        free(s);
}

static void test_in_dirs(void **state)
{
        strv_t dirs = { 0 };

        (void)state;
        assert_int_equal(strv_push(&dirs, "/tmp"), 0);
        assert_int_equal(strv_push(&dirs, "/dev/shm"), 0);
        assert_true(psrules_in_dirs("/tmp/x", &dirs));
        assert_true(psrules_in_dirs("/dev/shm/a/b", &dirs));
        assert_false(psrules_in_dirs("/tmpfoo/x", &dirs));
        assert_false(psrules_in_dirs("/tmp", &dirs));
        assert_false(psrules_in_dirs("/usr/bin/tmp/x", &dirs));
        assert_false(psrules_in_dirs("relative/tmp/x", &dirs));
        assert_false(psrules_in_dirs(NULL, &dirs));
        strv_clear(&dirs);
        assert_string_equal(psrules_basename("/a/b/c"), "c");
        assert_string_equal(psrules_basename("c"), "c");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_interpreters),   cmocka_unit_test(test_miner_positive),
                cmocka_unit_test(test_miner_negative), cmocka_unit_test(test_escape),
                cmocka_unit_test(test_in_dirs),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
