/* Unit tests for agent/cclient: the URL policy (https, or http only to
 * loopback), gzip that the center's own inflater reads back, the
 * credential file (0600, refused when others may read it, damaged files
 * refused), and the identity read from an os-release file. The HTTP
 * requests themselves are tested against a real center in
 * tests/integration/agent/agent-center.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/cclient.h"
#include "center/intake.h"

static char dir[64];

static int setup(void **state)
{
        (void)state;
        snprintf(dir, sizeof(dir), "/tmp/vigil-cclient.XXXXXX");
        assert_non_null(mkdtemp(dir));
        return 0;
}

static int teardown(void **state)
{
        char cmd[128];

        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

static void url_ok(const char *url, bool ok)
{
        char *err = NULL;
        int r = cclient_check_url(url, &err);

        if (ok && r < 0)
                fail_msg("%s refused: %s", url, err ? err : "?");
        if (!ok && r == 0)
                fail_msg("%s accepted", url);
        if (!ok)
                assert_non_null(err);
        free(err);
}

static void test_url(void **state)
{
        (void)state;
        url_ok("https://center.example:8443", true);
        url_ok("https://192.0.2.10", true);
        url_ok("https://center.example/vigil", true);
        url_ok("http://127.0.0.1:8080", true);
        url_ok("http://127.9.8.7", true);
        url_ok("http://[::1]:8080", true);
        url_ok("http://localhost:8080", true);
        url_ok("http://192.0.2.10:8080", false);
        url_ok("http://center.example", false);
        url_ok("http://[::ffff:192.0.2.1]", false);
        url_ok("ftp://127.0.0.1", false);
        url_ok("file:///etc/passwd", false);
        url_ok("https://user:pw@center.example", false);
        url_ok("https://center.example/?x=1", false);
        url_ok("https://center .example", false);
        url_ok("", false);
        url_ok("center.example", false);
}

static void test_gzip(void **state)
{
        char *gz = NULL, *back = NULL, *text = malloc(200000);
        size_t gl = 0, bl = 0;

        (void)state;
        assert_non_null(text);
        for (size_t i = 0; i < 200000; i++)
                text[i] = (char)('a' + (i * 7919) % 26);
        assert_int_equal(cclient_gzip(text, 200000, &gz, &gl), 0);
        assert_true(gl < 200000);
        assert_int_equal(intake_gunzip(gz, gl, 1 * MiB, &back, &bl), 0);
        assert_int_equal(bl, 200000);
        assert_memory_equal(back, text, 200000);
        free(gz);
        free(back);
        /* Empty input is a valid gzip member too. */
        assert_int_equal(cclient_gzip("", 0, &gz, &gl), 0);
        assert_int_equal(intake_gunzip(gz, gl, 1 * MiB, &back, &bl), 0);
        assert_int_equal(bl, 0);
        free(gz);
        free(back);
        free(text);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        assert_int_equal(chmod(path, mode), 0);
}

static void test_cred(void **state)
{
        cclient_cred_t c = { 0 }, back = { 0 };
        char path[128], *err = NULL;
        struct stat st;

        (void)state;
        assert_int_equal(cclient_cred_load(dir, &back, &err), -ENOENT);
        assert_null(err);
        c.url = (char *)"https://center.example:8443";
        c.agent_id = 123456789;
        memset(c.secret, 'a', CCLIENT_SECRET_HEX);
        c.secret[CCLIENT_SECRET_HEX] = 0;
        c.ca_file = (char *)"/etc/vigil/center-ca.pem";
        assert_int_equal(cclient_cred_save(dir, &c, &err), 0);
        snprintf(path, sizeof(path), "%s/%s", dir, CCLIENT_CRED_FILE);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(cclient_cred_load(dir, &back, &err), 0);
        assert_string_equal(back.url, c.url);
        assert_int_equal(back.agent_id, c.agent_id);
        assert_string_equal(back.secret, c.secret);
        assert_string_equal(back.ca_file, c.ca_file);
        cclient_cred_clear(&back);

        /* Readable by others: refused. */
        assert_int_equal(chmod(path, 0644), 0);
        assert_int_equal(cclient_cred_load(dir, &back, &err), -EPERM);
        assert_non_null(strstr(err, "chmod 600"));
        free(err);
        err = NULL;
        /* Damaged: a short secret, a bad URL, not JSON, a symlink. */
        write_file(path, "{\"url\":\"https://c\",\"agent_id\":1,\"secret\":\"abc\"}", 0600);
        assert_int_equal(cclient_cred_load(dir, &back, &err), -EINVAL);
        free(err);
        err = NULL;
        write_file(path,
                   "{\"url\":\"http://192.0.2.1\",\"agent_id\":1,\"secret\":"
                   "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
                   0600);
        assert_int_equal(cclient_cred_load(dir, &back, &err), -EINVAL);
        assert_non_null(strstr(err, "loopback"));
        free(err);
        err = NULL;
        write_file(path, "not json", 0600);
        assert_int_equal(cclient_cred_load(dir, &back, &err), -EINVAL);
        free(err);
        err = NULL;
        assert_int_equal(unlink(path), 0);
        assert_int_equal(symlink("/etc/hostname", path), 0);
        assert_true(cclient_cred_load(dir, &back, &err) < 0);
        free(err);
}

static void test_identity(void **state)
{
        cclient_identity_t id;
        char path[128];

        (void)state;
        snprintf(path, sizeof(path), "%s/os-release", dir);
        write_file(path,
                   "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n"
                   "VERSION_ID=\"12\"\nID=debian\nVERSION_CODENAME=bookworm\n",
                   0644);
        cclient_identity(path, &id);
        assert_string_equal(id.os, "debian");
        assert_string_equal(id.os_version, "12");
        assert_true(id.hostname[0] != 0);
        assert_true(id.kernel[0] != 0);
        /* Control characters are not passed on. */
        write_file(path, "ID='ev\til'\nVERSION_ID=\x1b[31m\n", 0644);
        cclient_identity(path, &id);
        assert_string_equal(id.os, "ev?il");
        assert_string_equal(id.os_version, "?[31m");
        /* A missing file leaves them empty. */
        snprintf(path, sizeof(path), "%s/missing", dir);
        cclient_identity(path, &id);
        assert_string_equal(id.os, "");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_url),
                cmocka_unit_test(test_gzip),
                cmocka_unit_test_setup_teardown(test_cred, setup, teardown),
                cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
