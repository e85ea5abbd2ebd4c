/* Unit tests for the rpm database reader (inventory/os/rpmdb.c) against
 * real databases: two tiny packages are built with rpmbuild from the specs
 * in tests/fixtures/os/rpm and registered with rpm --justdb, and what vigil
 * reads is compared with rpm -qa. Needs the Debian package "rpm". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

#include "core/buf.h"
#include "core/report.h"
#include "core/rootfs.h"
#include "core/text.h"
#include "inventory/os/ospkg.h"

static char top_tmpl[] = "/tmp/vigil-rpmtest-XXXXXX";
static char *top;

static char *path_of(const char *rel)
{
        char *p = str_printf("%s/%s", top, rel);
        assert_non_null(p);
        return p;
}

/* Run ARGV without a shell; return its standard output (caller frees). */
static char *run(char *const argv[])
{
        int fds[2], status;
        pid_t pid;
        buf_t b;
        char chunk[4096];
        ssize_t n;

        assert_int_equal(pipe(fds), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                dup2(fds[1], 1);
                close(fds[0]);
                close(fds[1]);
                execvp(argv[0], argv);
                _exit(127);
        }
        close(fds[1]);
        buf_init(&b, 16 * MiB);
        while ((n = read(fds[0], chunk, sizeof(chunk))) > 0)
                assert_int_equal(buf_append(&b, chunk, (size_t)n), 0);
        close(fds[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("%s %s failed (status %d); is the Debian package \"rpm\" installed?",
                         argv[0], argv[1], status);
        return buf_take(&b);
}

static void mkdirs(const char *rel)
{
        _cleanup_free_ char *p = path_of(rel);
        for (char *s = p + strlen(top) + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        (void)mkdir(p, 0755);
                        *s = '/';
                }
        assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
}

/* Create an rpm database in directory REL (under top) holding the fixture
 * packages. */
static void make_db(const char *rel)
{
        _cleanup_free_ char *db = path_of(rel), *rpms = path_of("rpms/noarch"), *out = NULL;
        _cleanup_free_ char *a = str_printf("%s/vigil-fixture-1.2.3-4.vg1.noarch.rpm", rpms);
        _cleanup_free_ char *b = str_printf("%s/vigil-fixture-tools-1.2.3-4.vg1.noarch.rpm", rpms);
        _cleanup_free_ char *c = str_printf("%s/vigil-plain-0.9-1.noarch.rpm", rpms);
        char *init[] = { "rpm", "--dbpath", db, "--initdb", NULL };
        char *inst[] = {
                "rpm",          "--dbpath",     db, "-i", "--justdb", "--nodeps", "--noscripts",
                "--notriggers", "--ignoresize", a,  b,    c,          NULL
        };

        mkdirs(rel);
        free(run(init));
        out = run(inst);
}

static int setup(void **state)
{
        const char *fx = getenv("VIGIL_FIXTURES");
        _cleanup_free_ char *spec1 = NULL, *spec2 = NULL, *topdir = NULL, *rpmdir = NULL,
                            *tmppath = NULL;
        (void)state;

        assert_non_null(fx);
        top = mkdtemp(top_tmpl);
        assert_non_null(top);
        spec1 = str_printf("%s/os/rpm/vigil-fixture.spec", fx);
        spec2 = str_printf("%s/os/rpm/vigil-plain.spec", fx);
        topdir = str_printf("_topdir %s/build", top);
        rpmdir = str_printf("_rpmdir %s/rpms", top);
        tmppath = str_printf("_tmppath %s", top);
        {
                char *argv[] = { "rpmbuild", "-bb",      "--quiet", "--define", topdir, "--define",
                                 rpmdir,     "--define", tmppath,   spec1,      spec2,  NULL };
                free(run(argv));
        }
        make_db("a/var/lib/rpm");
        make_db("b/usr/lib/sysimage/rpm");
        return 0;
}

static int teardown(void **state)
{
        char *argv[] = { "rm", "-rf", top, NULL };
        (void)state;
        free(run(argv));
        return 0;
}

static const pkg_t *find(const pkg_list_t *l, const char *name)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->v[i].name, name) == 0)
                        return &l->v[i];
        return NULL;
}

static bool has_note(const report_t *r, const char *needle)
{
        for (size_t i = 0; i < r->n_notes; i++)
                if (strstr(r->notes[i].message, needle))
                        return true;
        return false;
}

static void check_fixture_packages(const pkg_list_t *l, const char *display)
{
        const pkg_t *p;

        assert_int_equal(l->n, 3);
        p = find(l, "vigil-fixture");
        assert_non_null(p);
        assert_int_equal(p->kind, PKG_RPM);
        assert_string_equal(p->version, "3:1.2.3-4.vg1");
        assert_string_equal(p->arch, "noarch");
        assert_null(p->source); /* the same as the name */
        assert_null(p->source_version);
        assert_string_equal(p->location, display);
        p = find(l, "vigil-fixture-tools");
        assert_non_null(p);
        assert_string_equal(p->version, "3:1.2.3-4.vg1");
        assert_string_equal(p->source, "vigil-fixture");
        p = find(l, "vigil-plain");
        assert_non_null(p);
        assert_string_equal(p->version, "0.9-1");
        assert_null(p->source);
}

/* What rpm itself says is in the database at DB, in vigil's terms. */
static void check_against_rpm_qa(const pkg_list_t *l, const char *db)
{
        char *argv[] = { "rpm", "--dbpath", (char *)db,
                         "-qa", "--qf",     "%{NAME} %{EVR} %{ARCH} %{SOURCERPM}\n",
                         NULL };
        _cleanup_free_ char *text = run(argv);
        size_t lines = 0;

        for (char *line = text, *nl; *line; line = nl + 1) {
                char name[256], evr[256], arch[64], srpm[256];
                const pkg_t *p;
                nl = strchr(line, '\n');
                assert_non_null(nl);
                *nl = 0;
                assert_int_equal(sscanf(line, "%255s %255s %63s %255s", name, evr, arch, srpm), 4);
                p = find(l, name);
                assert_non_null(p);
                assert_string_equal(p->version, evr);
                assert_string_equal(p->arch, arch);
                /* "name-version-release.src.rpm" -> name */
                *strrchr(srpm, '-') = 0;
                *strrchr(srpm, '-') = 0;
                assert_string_equal(pkg_source_name(p), srpm);
                lines++;
        }
        assert_int_equal(lines, l->n);
}

static void test_read_root_var_lib_rpm(void **state)
{
        _cleanup_free_ char *rootp = path_of("a"), *db = path_of("a/var/lib/rpm");
        _cleanup_rootfs_ rootfs_t *root = NULL;
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        report_t *rep = report_new("t", rootp);
        (void)state;

        assert_int_equal(rootfs_open(rootp, &root), 0);
        assert_int_equal(rpmdb_read(root, &l, rep), 0);
        check_fixture_packages(&l, db);
        check_against_rpm_qa(&l, db);
        assert_int_equal(rep->n_notes, 0);
        assert_int_equal(json_integer_value(json_object_get(
                                 json_object_get(rep->stats, "inventory"), "rpm_packages")),
                         3);
        report_free(rep);
}

static void test_read_root_sysimage(void **state)
{
        _cleanup_free_ char *rootp = path_of("b"), *db = path_of("b/usr/lib/sysimage/rpm");
        _cleanup_rootfs_ rootfs_t *root = NULL;
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        (void)state;

        assert_int_equal(rootfs_open(rootp, &root), 0);
        /* Appends to what the list already holds. */
        assert_int_equal(pkg_list_add(&l, PKG_DPKG, "x", NULL, "1", NULL, NULL, NULL, NULL), 0);
        assert_int_equal(rpmdb_read(root, &l, NULL), 0);
        assert_int_equal(l.n, 4);
        assert_string_equal(l.v[0].name, "x");
        {
                pkg_list_t rest = { .v = l.v + 1, .n = 3, .cap = 3 };
                check_fixture_packages(&rest, db);
        }
}

static void test_read_dir_in_place(void **state)
{
        _cleanup_free_ char *db = path_of("a/var/lib/rpm");
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        (void)state;

        assert_int_equal(rpmdb_read_dir(db, db, &l, NULL), 0);
        check_fixture_packages(&l, db);
}

/* The scanned image is only read: reading a database that has no -shm,
 * -wal or lock file must not create them. */
static void test_image_left_untouched(void **state)
{
        _cleanup_free_ char *src = path_of("a/var/lib/rpm/rpmdb.sqlite"),
                            *dst = path_of("c/var/lib/rpm/rpmdb.sqlite"), *rootp = path_of("c"),
                            *dbdir = path_of("c/var/lib/rpm");
        char *cp[] = { "cp", src, dst, NULL };
        _cleanup_rootfs_ rootfs_t *root = NULL;
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        struct dirent *de;
        DIR *d;
        int files = 0;
        (void)state;

        mkdirs("c/var/lib/rpm");
        free(run(cp));
        assert_int_equal(rootfs_open(rootp, &root), 0);
        assert_int_equal(rpmdb_read(root, &l, NULL), 0);
        assert_int_equal(l.n, 3);
        d = opendir(dbdir);
        assert_non_null(d);
        while ((de = readdir(d)) != NULL)
                if (de->d_name[0] != '.') {
                        assert_string_equal(de->d_name, "rpmdb.sqlite");
                        files++;
                }
        closedir(d);
        assert_int_equal(files, 1);
}

static void test_no_database(void **state)
{
        _cleanup_free_ char *rootp = path_of("empty");
        _cleanup_rootfs_ rootfs_t *root = NULL;
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        (void)state;

        mkdirs("empty");
        assert_int_equal(rootfs_open(rootp, &root), 0);
        assert_int_equal(rpmdb_read(root, &l, NULL), -ENOENT);
        /* A database directory without a database, as on this Debian host. */
        mkdirs("empty/var/lib/rpm");
        assert_int_equal(rpmdb_read(root, &l, NULL), -ENOENT);
        assert_int_equal(l.n, 0);
}

/* Symlinks planted in an image cannot make vigil read a database outside
 * it: an absolute link for the directory resolves inside the root (where
 * there is nothing), and a linked database file is refused. */
static void test_symlinks_stay_inside(void **state)
{
        _cleanup_free_ char *outside = path_of("a/var/lib/rpm"),
                            *outside_file = path_of("a/var/lib/rpm/rpmdb.sqlite"),
                            *link1 = path_of("d/var/lib/rpm"), *root1 = path_of("d"),
                            *link2 = path_of("e/var/lib/rpm/rpmdb.sqlite"), *root2 = path_of("e");
        _cleanup_rootfs_ rootfs_t *r1 = NULL, *r2 = NULL;
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        report_t *rep = report_new("t", root2);
        (void)state;

        mkdirs("d/var/lib");
        assert_int_equal(symlink(outside, link1), 0);
        assert_int_equal(rootfs_open(root1, &r1), 0);
        assert_int_equal(rpmdb_read(r1, &l, NULL), -ENOENT);

        mkdirs("e/var/lib/rpm");
        assert_int_equal(symlink(outside_file, link2), 0);
        assert_int_equal(rootfs_open(root2, &r2), 0);
        assert_int_equal(rpmdb_read(r2, &l, rep), -EIO);
        assert_true(has_note(rep, "symlink"));
        assert_int_equal(l.n, 0);
        report_free(rep);
}

/* A database that is not one: an error and a note, nothing on stderr, no
 * packages. */
static void test_corrupt_database(void **state)
{
        _cleanup_free_ char *rootp = path_of("f"), *db = path_of("f/var/lib/rpm/rpmdb.sqlite"),
                            *errfile = path_of("stderr.txt");
        _cleanup_rootfs_ rootfs_t *root = NULL;
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        report_t *rep = report_new("t", rootp);
        struct stat st;
        FILE *f;
        int saved, fd;
        (void)state;

        mkdirs("f/var/lib/rpm");
        f = fopen(db, "w");
        assert_non_null(f);
        for (int i = 0; i < 4096; i++)
                fputc((i * 7919) & 0xff, f);
        fclose(f);
        assert_int_equal(rootfs_open(rootp, &root), 0);

        fflush(stderr);
        saved = dup(2);
        fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        assert_true(saved >= 0 && fd >= 0);
        dup2(fd, 2);
        close(fd);
        assert_int_equal(rpmdb_read(root, &l, rep), -EIO);
        fflush(stderr);
        dup2(saved, 2);
        close(saved);

        assert_int_equal(stat(errfile, &st), 0);
        assert_int_equal(st.st_size, 0);
        assert_int_equal(l.n, 0);
        assert_true(has_note(rep, "cannot read the rpm database"));
        report_free(rep);
}

static void *reader_thread(void *arg)
{
        const rootfs_t *root = arg;
        for (int i = 0; i < 5; i++) {
                pkg_list_t l = { 0 };
                if (rpmdb_read(root, &l, NULL) != 0 || l.n != 3) {
                        pkg_list_clear(&l);
                        return (void *)1;
                }
                pkg_list_clear(&l);
        }
        return NULL;
}

/* Reads from several threads at once (each runs its own librpm child). */
static void test_parallel_reads(void **state)
{
        _cleanup_free_ char *rootp = path_of("a");
        _cleanup_rootfs_ rootfs_t *root = NULL;
        pthread_t t[4];
        (void)state;

        assert_int_equal(rootfs_open(rootp, &root), 0);
        for (int i = 0; i < 4; i++)
                assert_int_equal(pthread_create(&t[i], NULL, reader_thread, root), 0);
        for (int i = 0; i < 4; i++) {
                void *ret;
                assert_int_equal(pthread_join(t[i], &ret), 0);
                assert_null(ret);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read_root_var_lib_rpm),
                cmocka_unit_test(test_read_root_sysimage),
                cmocka_unit_test(test_read_dir_in_place),
                cmocka_unit_test(test_image_left_untouched),
                cmocka_unit_test(test_no_database),
                cmocka_unit_test(test_symlinks_stay_inside),
                cmocka_unit_test(test_corrupt_database),
                cmocka_unit_test(test_parallel_reads),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
