/* Unit tests for ospkg_collect: every database present under a root is
 * read, each package keeps its kind, a missing or unreadable database does
 * not stop the others. The combined root is a Debian system that also has
 * an rpm database (built with rpmbuild/rpm, Debian package "rpm") and an apk
 * database. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/report.h"
#include "core/rootfs.h"
#include "core/text.h"
#include "inventory/os/ospkg.h"

static char top_tmpl[] = "/tmp/vigil-ospkg-XXXXXX";
static char *top;

static void run(char *const argv[])
{
        int status;
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                execvp(argv[0], argv);
                _exit(127);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("%s failed (status %d)", argv[0], status);
}

static char *at(const char *rel)
{
        char *p = str_printf("%s/%s", top, rel);
        assert_non_null(p);
        return p;
}

static char *fixture(const char *rel)
{
        const char *base = getenv("VIGIL_FIXTURES");
        char *p;

        assert_non_null(base);
        p = str_printf("%s/%s", base, rel);
        assert_non_null(p);
        return p;
}

static int setup(void **state)
{
        _cleanup_free_ char *spec = fixture("os/rpm/vigil-plain.spec"), *status = NULL,
                            *installed = NULL, *db = NULL, *rpm = NULL, *topdir = NULL,
                            *rpmdir = NULL, *tmppath = NULL, *dpkgdir = NULL, *apkdir = NULL,
                            *dst1 = NULL, *dst2 = NULL;
        (void)state;

        top = mkdtemp(top_tmpl);
        assert_non_null(top);
        status = fixture("os/debian12/var/lib/dpkg/status");
        installed = fixture("os/alpine319/lib/apk/db/installed");
        dpkgdir = at("root/var/lib/dpkg");
        apkdir = at("root/lib/apk/db");
        db = at("root/var/lib/rpm");
        {
                char *argv[] = { "mkdir", "-p", dpkgdir, apkdir, db, NULL };
                run(argv);
        }
        dst1 = at("root/var/lib/dpkg/status");
        dst2 = at("root/lib/apk/db/installed");
        {
                char *a1[] = { "cp", status, dst1, NULL };
                char *a2[] = { "cp", installed, dst2, NULL };
                run(a1);
                run(a2);
        }
        topdir = str_printf("_topdir %s/build", top);
        rpmdir = str_printf("_rpmdir %s/rpms", top);
        tmppath = str_printf("_tmppath %s", top);
        {
                char *argv[] = { "rpmbuild", "-bb",      "--quiet", "--define", topdir, "--define",
                                 rpmdir,     "--define", tmppath,   spec,       NULL };
                run(argv);
        }
        rpm = str_printf("%s/rpms/noarch/vigil-plain-0.9-1.noarch.rpm", top);
        {
                char *init[] = { "rpm", "--dbpath", db, "--initdb", NULL };
                char *inst[] = { "rpm",
                                 "--dbpath",
                                 db,
                                 "-i",
                                 "--justdb",
                                 "--nodeps",
                                 "--noscripts",
                                 "--notriggers",
                                 "--ignoresize",
                                 rpm,
                                 NULL };
                run(init);
                run(inst);
        }
        return 0;
}

static int teardown(void **state)
{
        char *argv[] = { "rm", "-rf", top, NULL };
        (void)state;
        run(argv);
        return 0;
}

static size_t count_kind(const pkg_list_t *l, pkg_kind_t kind)
{
        size_t n = 0;
        for (size_t i = 0; i < l->n; i++)
                n += l->v[i].kind == kind;
        return n;
}

static void test_all_databases(void **state)
{
        _cleanup_free_ char *path = at("root");
        _cleanup_rootfs_ rootfs_t *root = NULL;
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        report_t *rep = report_new("t", path);
        (void)state;

        assert_int_equal(rootfs_open(path, &root), 0);
        assert_int_equal(ospkg_collect(root, &l, rep), 0);
        assert_int_equal(count_kind(&l, PKG_DPKG), 15);
        assert_int_equal(count_kind(&l, PKG_RPM), 1);
        assert_int_equal(count_kind(&l, PKG_APK), 6);
        assert_int_equal(l.n, 22);
        assert_int_equal(rep->n_notes, 0);
        for (size_t i = 0; i < l.n; i++)
                if (l.v[i].kind == PKG_RPM) {
                        assert_string_equal(l.v[i].name, "vigil-plain");
                        assert_string_equal(l.v[i].version, "0.9-1");
                }
        report_free(rep);
}

static void test_single_and_none(void **state)
{
        _cleanup_free_ char *deb = fixture("os/debian12"), *alp = fixture("os/alpine319"),
                            *ubu = fixture("os/ubuntu2204");
        _cleanup_rootfs_ rootfs_t *r1 = NULL, *r2 = NULL, *r3 = NULL;
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        (void)state;

        assert_int_equal(rootfs_open(deb, &r1), 0);
        assert_int_equal(rootfs_open(alp, &r2), 0);
        assert_int_equal(rootfs_open(ubu, &r3), 0);
        assert_int_equal(ospkg_collect(r1, &l, NULL), 0);
        assert_int_equal(l.n, 15);
        assert_int_equal(ospkg_collect(r2, &l, NULL), 0);
        assert_int_equal(l.n, 21);
        assert_int_equal(count_kind(&l, PKG_APK), 6);
        /* No database at all: the list is unchanged. */
        assert_int_equal(ospkg_collect(r3, &l, NULL), 0);
        assert_int_equal(l.n, 21);
}

/* An unreadable dpkg database (a directory where the file should be) is
 * noted; the apk database beside it is still read. */
static void test_unreadable_database_does_not_stop_others(void **state)
{
        _cleanup_free_ char *path = at("broken"), *status = at("broken/var/lib/dpkg/status"),
                            *apkdir = at("broken/lib/apk/db"),
                            *src = fixture("os/alpine319/lib/apk/db/installed");
        _cleanup_rootfs_ rootfs_t *root = NULL;
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        report_t *rep = report_new("t", path);
        bool noted = false;
        (void)state;

        {
                char *argv[] = { "mkdir", "-p", status, apkdir, NULL };
                char *cp[] = { "cp", src, apkdir, NULL };
                run(argv);
                run(cp);
        }
        assert_int_equal(rootfs_open(path, &root), 0);
        assert_int_equal(ospkg_collect(root, &l, rep), 0);
        assert_int_equal(l.n, 6);
        for (size_t i = 0; i < rep->n_notes; i++)
                if (strcmp(rep->notes[i].source, status) == 0 &&
                    strstr(rep->notes[i].message, "cannot read the dpkg database"))
                        noted = true;
        assert_true(noted);
        report_free(rep);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_all_databases),
                cmocka_unit_test(test_single_and_none),
                cmocka_unit_test(test_unreadable_database_does_not_stop_others),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
