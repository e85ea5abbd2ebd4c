/* Unit tests for scan/baseline/sysctlcfg: the order systemd-sysctl applies
 * configuration in an image, and live values on the host. */
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

#include "scan/baseline/sysctlcfg.h"

static char tmpl[] = "/tmp/vigil-sysctl-XXXXXX";
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
        for (const char *d = "etc\0etc/sysctl.d\0usr\0usr/lib\0usr/lib/sysctl.d\0"; *d;
             d += strlen(d) + 1) {
                snprintf(p, sizeof(p), "%s/%s", top, d);
                assert_int_equal(mkdir(p, 0755), 0);
        }
        /* /usr/lib 50-x.conf is hidden by /etc's 50-x.conf of the same name */
        put("usr/lib/sysctl.d/50-x.conf", "a.b = lib\nkernel.x = 9\n");
        put("etc/sysctl.d/50-x.conf", "a.b = etc\n");
        put("usr/lib/sysctl.d/10-early.conf", "c.d = early\n");
        put("etc/sysctl.d/90-late.conf", "; comment\n# comment\nc.d\t=\t late   value \n"
                                         "-e.f = ignored-errors\nbad line\nx/y/z=1\n");
        put("etc/sysctl.d/README", "c.d = not a conf file\n");
        put("etc/sysctl.conf", "e.f = from sysctl.conf\n");
        return 0;
}

static int teardown(void **state)
{
        char cmd[600];
        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
        return system(cmd) == 0 ? 0 : -1;
}

static void expect(rootfs_t *root, sysctlcfg_t *c, const char *key, const char *value,
                   const char *source)
{
        char *v = NULL, *s = NULL;
        assert_int_equal(sysctlcfg_get(root, c, key, &v, &s), 0);
        assert_string_equal(v, value);
        assert_string_equal(s, source);
        free(v);
        free(s);
}

static void test_image(void **state)
{
        rootfs_t *root;
        sysctlcfg_t c = { 0 };
        char *v, *s;
        (void)state;

        assert_int_equal(rootfs_open(top, &root), 0);
        expect(root, &c, "a.b", "etc", "/etc/sysctl.d/50-x.conf:1");
        expect(root, &c, "c.d", "late value", "/etc/sysctl.d/90-late.conf:3");
        expect(root, &c, "e.f", "from sysctl.conf", "/etc/sysctl.conf:1");
        expect(root, &c, "x.y.z", "1", "/etc/sysctl.d/90-late.conf:6");
        expect(root, &c, "x/y/z", "1", "/etc/sysctl.d/90-late.conf:6");
        /* kernel.x was only in the hidden file */
        assert_int_equal(sysctlcfg_get(root, &c, "kernel.x", &v, &s), -ENOENT);
        assert_int_equal(sysctlcfg_get(root, &c, "../etc", &v, &s), -EINVAL);
        assert_int_equal(sysctlcfg_get(root, &c, "a b", &v, &s), -EINVAL);
        sysctlcfg_clear(&c);
        rootfs_free(root);
}

static void test_host(void **state)
{
        rootfs_t *root;
        sysctlcfg_t c = { 0 };
        char *v = NULL, *s = NULL;
        (void)state;

        assert_int_equal(rootfs_open("/", &root), 0);
        assert_int_equal(sysctlcfg_get(root, &c, "kernel.ostype", &v, &s), 0);
        assert_string_equal(v, "Linux");
        assert_string_equal(s, "/proc/sys/kernel/ostype");
        free(v);
        free(s);
        assert_int_equal(sysctlcfg_get(root, &c, "kernel.no_such_vigil", &v, &s), -ENOENT);
        sysctlcfg_clear(&c);
        rootfs_free(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_image),
                cmocka_unit_test(test_host),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
