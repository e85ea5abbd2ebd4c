/* Unit tests for inventory/os/kernel: kernel packages of each family, the
 * newest by the package manager's version order, and reboot_needed; and the
 * running kernel of this machine. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <cmocka.h>

#include "core/rootfs.h"
#include "core/text.h"
#include "inventory/os/ospkg.h"

static void add(pkg_list_t *l, pkg_kind_t kind, const char *name, const char *version,
                const char *arch)
{
        assert_int_equal(pkg_list_add(l, kind, name, NULL, version, NULL, arch, "test", NULL), 0);
}

static void inspect(const pkg_list_t *l, const char *running, kernel_info_t *k)
{
        assert_int_equal(kernel_inspect_release(l, running, k), 0);
}

static void assert_str_or_null(const char *got, const char *want)
{
        if (!want)
                assert_null(got);
        else {
                assert_non_null(got);
                assert_string_equal(got, want);
        }
}

static void check(const kernel_info_t *k, const char *rpkg, const char *rver, const char *nrel,
                  const char *npkg, const char *nver, bool reboot)
{
        assert_str_or_null(k->running_package, rpkg);
        assert_str_or_null(k->running_version, rver);
        assert_str_or_null(k->newest_release, nrel);
        assert_str_or_null(k->newest_package, npkg);
        assert_str_or_null(k->newest_version, nver);
        assert_int_equal(k->reboot_needed, reboot);
}

static void test_debian(void **state)
{
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        kernel_info_t k = { 0 };
        (void)state;

        add(&l, PKG_DPKG, "linux-image-amd64", "6.1.76-1", "amd64");
        add(&l, PKG_DPKG, "linux-image-6.1.0-17-amd64", "6.1.69-1", "amd64");
        add(&l, PKG_DPKG, "linux-image-6.1.0-18-amd64", "6.1.76-1", "amd64");
        add(&l, PKG_DPKG, "linux-image-6.1.0-18-amd64-dbg", "6.1.99-1", "amd64");
        add(&l, PKG_DPKG, "linux-headers-6.1.0-19-amd64", "6.1.80-1", "amd64");

        inspect(&l, "6.1.0-17-amd64", &k);
        assert_string_equal(k.running_release, "6.1.0-17-amd64");
        check(&k, "linux-image-6.1.0-17-amd64", "6.1.69-1", "6.1.0-18-amd64",
              "linux-image-6.1.0-18-amd64", "6.1.76-1", true);
        kernel_info_clear(&k);

        inspect(&l, "6.1.0-18-amd64", &k);
        check(&k, "linux-image-6.1.0-18-amd64", "6.1.76-1", "6.1.0-18-amd64",
              "linux-image-6.1.0-18-amd64", "6.1.76-1", false);
        kernel_info_clear(&k);

        /* Not the running host: nothing to compare with. */
        inspect(&l, NULL, &k);
        assert_null(k.running_release);
        check(&k, NULL, NULL, "6.1.0-18-amd64", "linux-image-6.1.0-18-amd64", "6.1.76-1", false);
        kernel_info_clear(&k);

        /* A provider kernel newer than anything installed. */
        inspect(&l, "6.18.44-fc-v657", &k);
        check(&k, NULL, NULL, "6.1.0-18-amd64", "linux-image-6.1.0-18-amd64", "6.1.76-1", false);
        kernel_info_clear(&k);

        /* The running kernel's package was removed after an upgrade. */
        inspect(&l, "6.1.0-16-amd64", &k);
        check(&k, NULL, NULL, "6.1.0-18-amd64", "linux-image-6.1.0-18-amd64", "6.1.76-1", true);
        kernel_info_clear(&k);

        /* A backport: "~" sorts before anything, and 6.6 after 6.1. */
        add(&l, PKG_DPKG, "linux-image-6.6.13+bpo-amd64", "6.6.13-1~bpo12+1", "amd64");
        inspect(&l, "6.1.0-18-amd64", &k);
        check(&k, "linux-image-6.1.0-18-amd64", "6.1.76-1", "6.6.13+bpo-amd64",
              "linux-image-6.6.13+bpo-amd64", "6.6.13-1~bpo12+1", true);
        kernel_info_clear(&k);
}

static void test_ubuntu(void **state)
{
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        kernel_info_t k = { 0 };
        (void)state;

        add(&l, PKG_DPKG, "linux-image-5.15.0-91-generic", "5.15.0-91.101", "amd64");
        add(&l, PKG_DPKG, "linux-image-unsigned-6.5.0-14-generic", "6.5.0-14.14~22.04.1", "amd64");
        add(&l, PKG_DPKG, "linux-image-generic", "5.15.0.91.88", "amd64");
        inspect(&l, "5.15.0-91-generic", &k);
        check(&k, "linux-image-5.15.0-91-generic", "5.15.0-91.101", "6.5.0-14-generic",
              "linux-image-unsigned-6.5.0-14-generic", "6.5.0-14.14~22.04.1", true);
        kernel_info_clear(&k);
}

static void test_rhel(void **state)
{
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        kernel_info_t k = { 0 };
        (void)state;

        add(&l, PKG_RPM, "kernel", "5.14.0-362.8.1.el9_3", "x86_64");
        add(&l, PKG_RPM, "kernel-core", "5.14.0-362.8.1.el9_3", "x86_64");
        add(&l, PKG_RPM, "kernel-core", "5.14.0-362.13.1.el9_3", "x86_64");
        add(&l, PKG_RPM, "kernel", "5.14.0-362.13.1.el9_3", "x86_64");
        add(&l, PKG_RPM, "kernel-headers", "5.14.0-400.1.1.el9", "x86_64");
        add(&l, PKG_RPM, "kernel-devel", "5.14.0-400.1.1.el9", "x86_64");
        add(&l, PKG_RPM, "kernel-tools", "5.14.0-400.1.1.el9", "x86_64");

        inspect(&l, "5.14.0-362.8.1.el9_3.x86_64", &k);
        check(&k, "kernel-core", "5.14.0-362.8.1.el9_3", "5.14.0-362.13.1.el9_3.x86_64",
              "kernel-core", "5.14.0-362.13.1.el9_3", true);
        kernel_info_clear(&k);

        inspect(&l, "5.14.0-362.13.1.el9_3.x86_64", &k);
        check(&k, "kernel-core", "5.14.0-362.13.1.el9_3", "5.14.0-362.13.1.el9_3.x86_64",
              "kernel-core", "5.14.0-362.13.1.el9_3", false);
        kernel_info_clear(&k);
}

static void test_suse_and_uek(void **state)
{
        _cleanup_pkg_list_ pkg_list_t l = { 0 }, u = { 0 };
        kernel_info_t k = { 0 };
        (void)state;

        add(&l, PKG_RPM, "kernel-default", "5.14.21-150500.55.39.1", "x86_64");
        add(&l, PKG_RPM, "kernel-default", "5.14.21-150500.55.44.1", "x86_64");
        add(&l, PKG_RPM, "kernel-default-base", "5.14.21-150500.55.50.1", "x86_64");
        inspect(&l, "5.14.21-150500.55.44-default", &k);
        check(&k, "kernel-default", "5.14.21-150500.55.44.1", "5.14.21-150500.55.44-default",
              "kernel-default", "5.14.21-150500.55.44.1", false);
        kernel_info_clear(&k);

        add(&u, PKG_RPM, "kernel-uek-core", "5.15.0-200.131.27.el9uek", "x86_64");
        add(&u, PKG_RPM, "kernel-uek-core", "5.15.0-205.149.5.1.el9uek", "x86_64");
        inspect(&u, "5.15.0-200.131.27.el9uek.x86_64", &k);
        check(&k, "kernel-uek-core", "5.15.0-200.131.27.el9uek", "5.15.0-205.149.5.1.el9uek.x86_64",
              "kernel-uek-core", "5.15.0-205.149.5.1.el9uek", true);
        kernel_info_clear(&k);
}

static void test_alpine(void **state)
{
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        kernel_info_t k = { 0 };
        (void)state;

        add(&l, PKG_APK, "linux-firmware-none", "20231111-r1", "x86_64");
        add(&l, PKG_APK, "linux-lts", "6.6.14-r0", "x86_64");
        add(&l, PKG_APK, "linux-headers", "6.5-r0", "x86_64");
        add(&l, PKG_APK, "linux-pam", "1.5.3-r7", "x86_64");
        inspect(&l, "6.6.14-0-lts", &k);
        check(&k, "linux-lts", "6.6.14-r0", "6.6.14-0-lts", "linux-lts", "6.6.14-r0", false);
        kernel_info_clear(&k);
        inspect(&l, "6.6.13-0-lts", &k);
        check(&k, NULL, NULL, "6.6.14-0-lts", "linux-lts", "6.6.14-r0", true);
        kernel_info_clear(&k);
}

static void test_no_kernels(void **state)
{
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        kernel_info_t k = { 0 };
        (void)state;

        inspect(&l, "6.1.0-18-amd64", &k);
        assert_string_equal(k.running_release, "6.1.0-18-amd64");
        check(&k, NULL, NULL, NULL, NULL, NULL, false);
        kernel_info_clear(&k);
        add(&l, PKG_DPKG, "bash", "5.2.15-2+b2", "amd64");
        add(&l, PKG_NPM, "linux-image-1.0", "1.0.0", NULL);
        inspect(&l, NULL, &k);
        check(&k, NULL, NULL, NULL, NULL, NULL, false);
        kernel_info_clear(&k);
        kernel_info_clear(NULL);
}

/* This machine: the running release is uname's, and the running package is
 * the installed linux-image package of that release when there is one (on a
 * VM booted with a provider kernel there is none). */
static void test_this_host(void **state)
{
        _cleanup_rootfs_ rootfs_t *root = NULL;
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        kernel_info_t k = { 0 };
        struct utsname u;
        _cleanup_free_ char *expect = NULL;
        (void)state;

        assert_int_equal(uname(&u), 0);
        assert_int_equal(rootfs_open("/", &root), 0);
        assert_int_equal(ospkg_collect(root, &l, NULL), 0);
        assert_int_equal(kernel_inspect(root, &l, &k), 0);
        assert_string_equal(k.running_release, u.release);
        for (size_t i = 0; i < l.n; i++) {
                _cleanup_free_ char *name = str_printf("linux-image-%s", u.release);
                if (l.v[i].kind == PKG_DPKG && strcmp(l.v[i].name, name) == 0)
                        expect = TAKE_PTR(name);
        }
        assert_str_or_null(k.running_package, expect);
        if (!expect)
                assert_null(k.running_version);
        kernel_info_clear(&k);
}

static void test_image_root_has_no_running_kernel(void **state)
{
        const char *fx = getenv("VIGIL_FIXTURES");
        _cleanup_free_ char *path = str_printf("%s/os/debian12", fx);
        _cleanup_rootfs_ rootfs_t *root = NULL;
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        kernel_info_t k = { 0 };
        (void)state;

        assert_int_equal(rootfs_open(path, &root), 0);
        assert_int_equal(ospkg_collect(root, &l, NULL), 0);
        assert_int_equal(kernel_inspect(root, &l, &k), 0);
        assert_null(k.running_release);
        check(&k, NULL, NULL, "6.1.0-18-amd64", "linux-image-6.1.0-18-amd64", "6.1.76-1", false);
        kernel_info_clear(&k);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_debian),
                cmocka_unit_test(test_ubuntu),
                cmocka_unit_test(test_rhel),
                cmocka_unit_test(test_suse_and_uek),
                cmocka_unit_test(test_alpine),
                cmocka_unit_test(test_no_kernels),
                cmocka_unit_test(test_this_host),
                cmocka_unit_test(test_image_root_has_no_running_kernel),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
