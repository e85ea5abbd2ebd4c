/* Unit tests for scan/baseline/sshdcfg: sshd's own reading rules. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "scan/baseline/sshdcfg.h"

static char tmpl[] = "/tmp/vigil-sshd-XXXXXX";
static char *top;

static void put(const char *rel, const char *content)
{
        char p[700];
        FILE *f;
        snprintf(p, sizeof(p), "%s/%s", top, rel);
        f = fopen(p, "w");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static int setup(void **state)
{
        char p[700];
        (void)state;
        top = mkdtemp(tmpl);
        assert_non_null(top);
        for (const char *d = "etc\0etc/ssh\0etc/ssh/sshd_config.d\0"; *d; d += strlen(d) + 1) {
                snprintf(p, sizeof(p), "%s/%s", top, d);
                assert_int_equal(mkdir(p, 0755), 0);
        }
        put("etc/ssh/sshd_config", "# comment\n"
                                   "  Port=2222\n"
                                   "Include sshd_config.d/*.conf /etc/ssh/extra.conf\n"
                                   "PermitRootLogin yes\n"
                                   "MaxAuthTries\t3   \n"
                                   "Include /etc/ssh/loop.conf\n"
                                   "Match Address 10.0.0.0/8\n"
                                   "  PasswordAuthentication yes\n"
                                   "Match all\n"
                                   "Banner /etc/issue.net\n");
        put("etc/ssh/sshd_config.d/50-b.conf", "permitrootlogin no\nX11Forwarding no\n");
        put("etc/ssh/sshd_config.d/10-a.conf", "X11Forwarding yes\n");
        put("etc/ssh/sshd_config.d/.hidden.conf", "MaxSessions 1\n");
        put("etc/ssh/sshd_config.d/c.conf.bak", "MaxSessions 2\n");
        put("etc/ssh/extra.conf", "LoginGraceTime 30\n");
        put("etc/ssh/loop.conf", "Include /etc/ssh/loop.conf\n");
        return 0;
}

static int teardown(void **state)
{
        char cmd[600];
        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_read(void **state)
{
        rootfs_t *root;
        sshdcfg_t c = { 0 };
        const sshdcfg_entry_t *e;
        (void)state;

        assert_int_equal(rootfs_open(top, &root), 0);
        assert_int_equal(sshdcfg_read(root, NULL, &c), 0);
        e = sshdcfg_get(&c, "port");
        assert_non_null(e);
        assert_string_equal(e->value, "2222");
        assert_int_equal(e->line, 2);
        /* included files are read in name order, where Include stands, and
         * the first value wins */
        e = sshdcfg_get(&c, "X11Forwarding");
        assert_string_equal(e->value, "yes");
        assert_string_equal(e->file, "/etc/ssh/sshd_config.d/10-a.conf");
        e = sshdcfg_get(&c, "PermitRootLogin");
        assert_string_equal(e->value, "no");
        assert_string_equal(e->file, "/etc/ssh/sshd_config.d/50-b.conf");
        assert_string_equal(sshdcfg_get(&c, "LoginGraceTime")->value, "30");
        assert_string_equal(sshdcfg_get(&c, "maxauthtries")->value, "3");
        /* hidden files and other suffixes do not match the glob */
        assert_null(sshdcfg_get(&c, "MaxSessions"));
        /* settings under Match are not global; after "Match all" they are */
        assert_null(sshdcfg_get(&c, "PasswordAuthentication"));
        assert_string_equal(sshdcfg_get(&c, "Banner")->value, "/etc/issue.net");
        /* the include loop ends at the depth cap and is reported */
        assert_true(c.problems.n >= 1);
        assert_non_null(strstr(c.problems.v[0], "too deep"));
        sshdcfg_clear(&c);

        assert_int_equal(sshdcfg_read(root, "/etc/ssh/none", &c), -ENOENT);
        rootfs_free(root);
}

static void test_defaults(void **state)
{
        (void)state;
        assert_string_equal(sshdcfg_default("PermitRootLogin"), "prohibit-password");
        assert_string_equal(sshdcfg_default("maxauthtries"), "6");
        assert_null(sshdcfg_default("NoSuchKeyword"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read),
                cmocka_unit_test(test_defaults),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
