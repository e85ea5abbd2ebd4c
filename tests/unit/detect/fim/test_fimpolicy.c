/* Unit tests for detect/fim/fimpolicy: what the patterns cover, wildcard
 * expansion inside a root (dot files included, symlinks not followed out),
 * "~/" patterns from passwd with wildcard characters in a home escaped,
 * classes, the alert level table and ld.so.preload entries. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "detect/fim/fimpolicy.h"

static void test_patterns(void **state)
{
        fimpolicy_t p = { 0 };

        (void)state;
        assert_int_equal(fimpolicy_add(&p, "relative"), -EINVAL);
        assert_int_equal(fimpolicy_add(&p, "/etc/../shadow"), -EINVAL);
        assert_int_equal(fimpolicy_add(&p, "/etc/./x"), -EINVAL);
        assert_int_equal(fimpolicy_add(&p, "/etc//x"), -EINVAL);
        assert_int_equal(fimpolicy_add(&p, "~/"), -EINVAL);
        assert_int_equal(fimpolicy_add(&p, ""), -EINVAL);
        assert_int_equal(fimpolicy_add(&p, "/etc/ssh/"), 0); /* trailing slash dropped */
        assert_int_equal(fimpolicy_add(&p, "/etc/ssh"), 0);  /* duplicate */
        assert_int_equal(fimpolicy_add(&p, "/etc/cron.*"), 0);
        assert_int_equal(fimpolicy_add(&p, "/etc/passwd"), 0);
        assert_int_equal(fimpolicy_add(&p, "~/.ssh/authorized_keys"), 0);
        assert_int_equal(p.n_include, 3);
        assert_int_equal(p.home.n, 1);
        assert_int_equal(fimpolicy_add_exclude(&p, "*/__pycache__"), 0);

        assert_true(fimpolicy_covers(&p, "/etc/ssh"));
        assert_true(fimpolicy_covers(&p, "/etc/ssh/sshd_config.d/x.conf"));
        assert_false(fimpolicy_covers(&p, "/etc/sshx"));
        assert_true(fimpolicy_covers(&p, "/etc/passwd"));
        assert_false(fimpolicy_covers(&p, "/etc/passwd-"));
        assert_true(fimpolicy_covers(&p, "/etc/cron.d"));
        assert_true(fimpolicy_covers(&p, "/etc/cron.d/job"));
        assert_true(fimpolicy_covers(&p, "/etc/cron.hourly/.hidden"));
        assert_false(fimpolicy_covers(&p, "/etc/crontab"));
        assert_false(fimpolicy_covers(&p, "/etc"));
        assert_false(fimpolicy_covers(&p, "/etc/ssh/__pycache__/x.pyc"));
        assert_true(fimpolicy_excluded(&p, "/usr/lib/python3/x/__pycache__/a.pyc"));
        assert_true(fimpolicy_excluded_self(&p, "/usr/lib/python3/x/__pycache__"));
        assert_false(fimpolicy_excluded_self(&p, "/usr/lib/python3/x/__pycache__/a.pyc"));
        fimpolicy_clear(&p);
}

static void put(const char *root, const char *path, const char *content)
{
        char full[1024];
        FILE *f;

        snprintf(full, sizeof(full), "%s%s", root, path);
        f = fopen(full, "w");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static int collect(const char *path, void *userdata)
{
        return strv_push(userdata, path);
}

static void test_expand(void **state)
{
        char tmpl[] = "/tmp/vigil-fimpol.XXXXXX", cmd[512], link[512];
        const char *root_path = mkdtemp(tmpl);
        rootfs_t *root = NULL;
        fimpolicy_t p = { 0 };
        report_t *r = report_new("h", "/");
        strv_t got = { 0 };

        (void)state;
        snprintf(cmd, sizeof(cmd),
                 "mkdir -p '%1$s/etc/cron.d' '%1$s/etc/cron.daily' '%1$s/home/a*b/.ssh' "
                 "'%1$s/home/al/.ssh' '%1$s/root'",
                 root_path);
        assert_int_equal(system(cmd), 0);
        put(root_path, "/etc/cron.d/.hidden", "x");
        put(root_path, "/etc/crontab", "x");
        put(root_path, "/home/a*b/.ssh/authorized_keys", "k");
        put(root_path, "/home/al/.ssh/authorized_keys", "k");
        put(root_path, "/etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\n"
            "star:x:1000:1000::/home/a*b:/bin/sh\n"
            "al:x:1001:1001::/home/al/:/bin/sh\n"
            "dup:x:1002:1002::/home/al:/bin/sh\n"
            "bad:x:1003:1003::relative:/bin/sh\n"
            "dots:x:1004:1004::/home/../etc:/bin/sh\n"
            "short:x:1\n");
        /* A symlink out of the root must not be followed. */
        snprintf(link, sizeof(link), "%s/etc/cron.weekly", root_path);
        assert_int_equal(symlink("/etc", link), 0);

        assert_int_equal(fimpolicy_add(&p, "/etc/cron.*"), 0);
        assert_int_equal(fimpolicy_add(&p, "/etc/crontab"), 0);
        assert_int_equal(fimpolicy_add(&p, "/etc/missing"), 0);
        assert_int_equal(fimpolicy_add(&p, "~/.ssh/authorized_keys"), 0);
        assert_int_equal(rootfs_open(root_path, &root), 0);
        assert_int_equal(fimpolicy_expand_homes(&p, root, r), 0);
        /* /root, /home/a*b (escaped), /home/al once; bad homes skipped. */
        assert_true(fimpolicy_covers(&p, "/home/a*b/.ssh/authorized_keys"));
        assert_false(fimpolicy_covers(&p, "/home/aXb/.ssh/authorized_keys"));
        assert_true(fimpolicy_covers(&p, "/root/.ssh/authorized_keys"));
        assert_false(fimpolicy_covers(&p, "/etc/.ssh/authorized_keys"));
        assert_int_equal(p.n_include, 3 + 3);

        assert_int_equal(fimpolicy_expand(&p, root, r, collect, &got), 0);
        assert_true(strv_contains(&got, "/etc/cron.d"));
        assert_true(strv_contains(&got, "/etc/cron.daily"));
        /* The symlink itself is reported; walking is the caller's job and
         * never follows it. */
        assert_true(strv_contains(&got, "/etc/cron.weekly"));
        assert_true(strv_contains(&got, "/etc/crontab"));
        assert_true(strv_contains(&got, "/home/a*b/.ssh/authorized_keys"));
        assert_true(strv_contains(&got, "/home/al/.ssh/authorized_keys"));
        assert_false(strv_contains(&got, "/etc/missing"));
        assert_false(strv_contains(&got, "/root/.ssh/authorized_keys"));

        strv_clear(&got);
        fimpolicy_clear(&p);
        rootfs_free(root);
        report_free(r);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root_path);
        assert_int_equal(system(cmd), 0);
}

static void test_classes_and_levels(void **state)
{
        (void)state;
        assert_int_equal(fimpolicy_classify("/etc/shadow"), FIM_CLASS_AUTH);
        assert_int_equal(fimpolicy_classify("/etc/sudoers.d/x"), FIM_CLASS_AUTH);
        assert_int_equal(fimpolicy_classify("/home/u/.ssh/authorized_keys"), FIM_CLASS_AUTH);
        assert_int_equal(fimpolicy_classify("/etc/pam.d/sshd"), FIM_CLASS_AUTH);
        assert_int_equal(fimpolicy_classify("/etc/ld.so.preload"), FIM_CLASS_PRELOAD);
        assert_int_equal(fimpolicy_classify("/etc/ld.so.conf.d/x.conf"), FIM_CLASS_LOADER);
        assert_int_equal(fimpolicy_classify("/etc/cron.d/job"), FIM_CLASS_PERSIST);
        assert_int_equal(fimpolicy_classify("/etc/systemd/system/x.service"), FIM_CLASS_PERSIST);
        assert_int_equal(fimpolicy_classify("/usr/bin/ls"), FIM_CLASS_BINARY);
        assert_int_equal(fimpolicy_classify("/usr/binx/ls"), FIM_CLASS_OTHER);
        assert_int_equal(fimpolicy_classify("/opt/app/conf"), FIM_CLASS_OTHER);

        /* A replaced package program or library is urgent; a data file. */
        assert_int_equal(fimpolicy_level(FIM_RULE_PACKAGE_MISMATCH, FIM_CLASS_BINARY,
                                         FIMPOLICY_F_EXECUTABLE),
                         ALERT_URGENT);
        assert_int_equal(
                fimpolicy_level(FIM_RULE_PACKAGE_MISMATCH, FIM_CLASS_BINARY, FIMPOLICY_F_LIBRARY),
                ALERT_URGENT);
        assert_int_equal(fimpolicy_level(FIM_RULE_PACKAGE_MISMATCH, FIM_CLASS_BINARY, 0),
                         ALERT_SUSPICIOUS);
        assert_int_equal(fimpolicy_level(FIM_RULE_MODIFIED, FIM_CLASS_AUTH, 0), ALERT_SUSPICIOUS);
        assert_int_equal(fimpolicy_level(FIM_RULE_ADDED, FIM_CLASS_AUTH, 0), ALERT_SUSPICIOUS);
        assert_int_equal(
                fimpolicy_level(FIM_RULE_MODIFIED, FIM_CLASS_PRELOAD, FIMPOLICY_F_PRELOAD_ENTRIES),
                ALERT_URGENT);
        assert_int_equal(fimpolicy_level(FIM_RULE_MODIFIED, FIM_CLASS_PRELOAD, 0), ALERT_REMINDER);
        assert_int_equal(fimpolicy_level(FIM_RULE_ADDED, FIM_CLASS_BINARY, FIMPOLICY_F_EXECUTABLE),
                         ALERT_SUSPICIOUS);
        assert_int_equal(fimpolicy_level(FIM_RULE_ADDED, FIM_CLASS_BINARY, 0), ALERT_REMINDER);
        assert_int_equal(fimpolicy_level(FIM_RULE_ADDED, FIM_CLASS_OTHER,
                                         FIMPOLICY_F_EXECUTABLE | FIMPOLICY_F_SETID_GAINED),
                         ALERT_URGENT);
        assert_int_equal(fimpolicy_level(FIM_RULE_MODIFIED, FIM_CLASS_OTHER, 0), ALERT_REMINDER);
        assert_int_equal(fimpolicy_level(FIM_RULE_DELETED, FIM_CLASS_AUTH, 0), ALERT_SUSPICIOUS);
        assert_int_equal(fimpolicy_level(FIM_RULE_DELETED, FIM_CLASS_BINARY, 0), ALERT_REMINDER);
        assert_int_equal(fimpolicy_level(FIM_RULE_PERMISSIONS, FIM_CLASS_BINARY,
                                         FIMPOLICY_F_SETID_GAINED | FIMPOLICY_F_EXECUTABLE),
                         ALERT_URGENT);
        assert_int_equal(
                fimpolicy_level(FIM_RULE_PERMISSIONS, FIM_CLASS_AUTH, FIMPOLICY_F_WORLD_WRITABLE),
                ALERT_SUSPICIOUS);
        assert_int_equal(
                fimpolicy_level(FIM_RULE_PERMISSIONS, FIM_CLASS_AUTH, FIMPOLICY_F_OWNER_CHANGED),
                ALERT_SUSPICIOUS);
        assert_int_equal(fimpolicy_level(FIM_RULE_PERMISSIONS, FIM_CLASS_OTHER, 0), ALERT_REMINDER);
        assert_string_equal(fimpolicy_rule_name(FIM_RULE_PACKAGE_MISMATCH), "fim.package_mismatch");
        assert_true(fimpolicy_is_library_name("/usr/lib/x86_64-linux-gnu/libc.so.6"));
        assert_true(fimpolicy_is_library_name("/lib/security/pam_unix.so"));
        assert_false(fimpolicy_is_library_name("/usr/lib/so/readme"));
}

static void test_preload(void **state)
{
        (void)state;
        assert_false(fimpolicy_preload_has_entries("", 0));
        assert_false(fimpolicy_preload_has_entries("# nothing here\n\n  \t\n", 19));
        assert_false(fimpolicy_preload_has_entries(" : :\n", 5));
        assert_true(fimpolicy_preload_has_entries("/lib/x.so\n", 10));
        assert_true(fimpolicy_preload_has_entries("# c\n  /usr/lib/evil.so # c\n", 27));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_patterns),
                cmocka_unit_test(test_expand),
                cmocka_unit_test(test_classes_and_levels),
                cmocka_unit_test(test_preload),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
