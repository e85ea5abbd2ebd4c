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
#include "core/hash.h"
#include "core/report.h"
#include "core/rootfs.h"
#include "core/text.h"
#include "inventory/os/ospkg.h"
#include "inventory/os/rpmdb.h"

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

/* ---- package files (rpmdb_read_files, rpmdb_parse_files) ---- */

typedef struct seen_file {
        char pkg[64], evr[64], path[256];
        unsigned algo;
        char hex[2 * RPMDB_DIGEST_MAX + 1];
        uint32_t mode, flags, state;
        bool has_digest;
} seen_file_t;

typedef struct seen {
        seen_file_t v[64];
        size_t n;
        int fail_at; /* return -ECANCELED on this call (1-based), 0: never */
} seen_t;

static int on_file(const rpmdb_file_t *f, void *userdata)
{
        seen_t *s = userdata;
        seen_file_t *e;

        if (s->fail_at && (int)s->n + 1 == s->fail_at)
                return -ECANCELED;
        assert_true(s->n < ELEMENTSOF(s->v));
        e = &s->v[s->n++];
        snprintf(e->pkg, sizeof(e->pkg), "%s", f->pkg);
        snprintf(e->evr, sizeof(e->evr), "%s", f->evr);
        snprintf(e->path, sizeof(e->path), "%s", f->path);
        e->algo = f->algo;
        e->mode = f->mode;
        e->flags = f->flags;
        e->state = f->state;
        e->hex[0] = 0;
        e->has_digest = f->digest != NULL;
        assert_true(f->digest ? f->digest_len > 0 : f->digest_len == 0);
        if (f->digest)
                hash_hex(f->digest, f->digest_len, e->hex);
        return 0;
}

static const seen_file_t *seen_find(const seen_t *s, const char *path)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->v[i].path, path) == 0)
                        return &s->v[i];
        return NULL;
}

#define SHA_A "5b1bdf2bd5b0e3a4b6e0e6b2d4e8c5f0a0b1c2d3e4f5061728394a5b6c7d8e9f"

/* A well-formed stream of two packages. */
static void good_stream(buf_t *b)
{
        uint64_t epoch = 3;

        assert_int_equal(rpmdb_put_package(b, 7, &epoch, "coreutils", "9.1", "1.el9"), 0);
        assert_int_equal(
                rpmdb_put_file(b, RPMDB_DIGEST_SHA256, 0, 0100755, 0, "/usr/bin/ls", SHA_A), 0);
        assert_int_equal(rpmdb_put_file(b, RPMDB_DIGEST_SHA256, RPMDB_FILE_CONFIG, 0100644, 0,
                                        "/etc/DIR_COLORS", "00FF"),
                         0);
        assert_int_equal(rpmdb_put_file(b, 0, 0, 040755, 0, "/usr/share/doc", NULL), 0);
        assert_int_equal(rpmdb_put_file(b, 8, 0, 0120777, 0, "/usr/bin/dir", ""), 0);
        assert_int_equal(buf_append(b, "L", 1), 0);
        {
                uint32_t n = 5;
                assert_int_equal(buf_append(b, &n, sizeof(n)), 0);
                assert_int_equal(buf_append(b, "hello", 5), 0);
        }
        assert_int_equal(rpmdb_put_package(b, 8, NULL, "bash", "5.1", "2"), 0);
        assert_int_equal(rpmdb_put_file(b, RPMDB_DIGEST_MD5, 0, 0100755, 2, "/usr/bin/bash",
                                        "d41d8cd98f00b204e9800998ecf8427e"),
                         0);
}

static void test_parse_files_good(void **state)
{
        buf_t b;
        seen_t s = { 0 };
        strv_t log = { 0 };
        size_t bad = 0;
        const seen_file_t *f;
        (void)state;

        buf_init(&b, 1 * MiB);
        good_stream(&b);
        assert_int_equal(rpmdb_put_end(&b, 0), 0);
        assert_int_equal(rpmdb_parse_files(b.data, b.len, on_file, &s, &log, &bad), 0);
        assert_int_equal(bad, 0);
        assert_int_equal(s.n, 5);
        assert_int_equal(log.n, 1);
        assert_string_equal(log.v[0], "hello");
        f = seen_find(&s, "/usr/bin/ls");
        assert_non_null(f);
        assert_string_equal(f->pkg, "coreutils");
        assert_string_equal(f->evr, "3:9.1-1.el9");
        assert_int_equal(f->algo, RPMDB_DIGEST_SHA256);
        assert_string_equal(f->hex, SHA_A);
        assert_int_equal(f->mode, 0100755);
        f = seen_find(&s, "/etc/DIR_COLORS");
        assert_non_null(f);
        assert_int_equal(f->flags, RPMDB_FILE_CONFIG);
        assert_string_equal(f->hex, "00ff");
        f = seen_find(&s, "/usr/share/doc");
        assert_non_null(f);
        assert_string_equal(f->hex, "");
        assert_false(f->has_digest);
        /* An empty digest is no digest. */
        f = seen_find(&s, "/usr/bin/dir");
        assert_non_null(f);
        assert_false(f->has_digest);
        f = seen_find(&s, "/usr/bin/bash");
        assert_non_null(f);
        assert_string_equal(f->evr, "5.1-2");
        assert_int_equal(f->state, 2);
        strv_clear(&log);
        buf_free(&b);
}

/* Every proper prefix of a good stream is a broken one: nothing is handed
 * on, and the error is -EIO. */
static void test_parse_files_truncated(void **state)
{
        buf_t b;
        (void)state;

        buf_init(&b, 1 * MiB);
        good_stream(&b);
        assert_int_equal(rpmdb_put_end(&b, 0), 0);
        for (size_t cut = 0; cut < b.len; cut++) {
                seen_t s = { 0 };
                assert_int_equal(rpmdb_parse_files(b.data, cut, on_file, &s, NULL, NULL), -EIO);
                assert_int_equal(s.n, 0);
        }
        buf_free(&b);
}

static void test_parse_files_malformed(void **state)
{
        buf_t b;
        seen_t s = { 0 };
        size_t bad = 0;
        _cleanup_free_ char *longpath = malloc(RPMDB_PATH_MAX + 2);
        (void)state;

        /* A file before any package. */
        buf_init(&b, 1 * MiB);
        assert_int_equal(rpmdb_put_file(&b, 8, 0, 0100644, 0, "/x", "00"), 0);
        assert_int_equal(rpmdb_put_end(&b, 0), 0);
        assert_int_equal(rpmdb_parse_files(b.data, b.len, on_file, &s, NULL, NULL), -EIO);
        buf_free(&b);

        /* A path over the cap. */
        assert_non_null(longpath);
        memset(longpath, 'a', RPMDB_PATH_MAX + 1);
        longpath[0] = '/';
        longpath[RPMDB_PATH_MAX + 1] = 0;
        buf_init(&b, 1 * MiB);
        assert_int_equal(rpmdb_put_package(&b, 1, NULL, "a", "1", "1"), 0);
        assert_int_equal(rpmdb_put_file(&b, 8, 0, 0100644, 0, longpath, "00"), 0);
        assert_int_equal(rpmdb_put_end(&b, 0), 0);
        assert_int_equal(rpmdb_parse_files(b.data, b.len, on_file, &s, NULL, NULL), -EIO);
        buf_free(&b);

        /* A string length past the end, an unknown record, bytes after 'E'. */
        {
                static const char lie[] = "P\1\0\0\0\0\0\0\0\0\0\0\0\xff\xff\xff\x7f";
                static const char unknown[] = "X";
                buf_init(&b, 1 * MiB);
                assert_int_equal(buf_append(&b, lie, sizeof(lie) - 1), 0);
                assert_int_equal(rpmdb_parse_files(b.data, b.len, on_file, &s, NULL, NULL), -EIO);
                buf_reset(&b);
                assert_int_equal(buf_append(&b, unknown, 1), 0);
                assert_int_equal(rpmdb_put_end(&b, 0), 0);
                assert_int_equal(rpmdb_parse_files(b.data, b.len, on_file, &s, NULL, NULL), -EIO);
                buf_reset(&b);
                assert_int_equal(rpmdb_put_end(&b, 0), 0);
                assert_int_equal(buf_append(&b, "x", 1), 0);
                assert_int_equal(rpmdb_parse_files(b.data, b.len, on_file, &s, NULL, NULL), -EIO);
                buf_free(&b);
        }
        assert_int_equal(s.n, 0);

        /* Bad content is skipped and counted; the rest is read. */
        buf_init(&b, 1 * MiB);
        assert_int_equal(rpmdb_put_package(&b, 1, NULL, "bad name", "1", "1"), 0);
        assert_int_equal(rpmdb_put_file(&b, 8, 0, 0100644, 0, "/a", "00"), 0);
        assert_int_equal(rpmdb_put_package(&b, 2, NULL, "good", "1", "1"), 0);
        assert_int_equal(rpmdb_put_file(&b, 8, 0, 0100644, 0, "/b", "0g"), 0);
        assert_int_equal(rpmdb_put_file(&b, 8, 0, 0100644, 0, "/c", "abc"), 0);
        assert_int_equal(rpmdb_put_file(&b, 8, 0, 0100644, 0, "relative", "00"), 0);
        assert_int_equal(rpmdb_put_file(&b, 8, 0, 0100644, 0, "/d", "0a"), 0);
        assert_int_equal(rpmdb_put_end(&b, 0), 0);
        assert_int_equal(rpmdb_parse_files(b.data, b.len, on_file, &s, NULL, &bad), 0);
        assert_int_equal(s.n, 1);
        assert_string_equal(s.v[0].path, "/d");
        assert_int_equal(bad, 5);
        buf_free(&b);
}

static void test_parse_files_results(void **state)
{
        buf_t b;
        seen_t s = { .fail_at = 2 };
        (void)state;

        /* The helper's own error is returned; its running out of memory is
         * not this process running out. */
        buf_init(&b, 1 * MiB);
        assert_int_equal(rpmdb_put_end(&b, -ENOENT), 0);
        assert_int_equal(rpmdb_parse_files(b.data, b.len, NULL, NULL, NULL, NULL), -ENOENT);
        buf_reset(&b);
        assert_int_equal(rpmdb_put_end(&b, -ENOMEM), 0);
        assert_int_equal(rpmdb_parse_files(b.data, b.len, NULL, NULL, NULL, NULL), -EIO);
        buf_reset(&b);
        assert_int_equal(rpmdb_put_end(&b, 5), 0);
        assert_int_equal(rpmdb_parse_files(b.data, b.len, NULL, NULL, NULL, NULL), -EIO);
        /* The callback's error stops the read and is returned. */
        buf_reset(&b);
        good_stream(&b);
        assert_int_equal(rpmdb_put_end(&b, 0), 0);
        assert_int_equal(rpmdb_parse_files(b.data, b.len, on_file, &s, NULL, NULL), -ECANCELED);
        assert_int_equal(s.n, 1);
        buf_free(&b);
}

/* The files read through librpm are the ones rpm -q lists, with the same
 * digests. */
static void test_read_files_against_rpm(void **state)
{
        _cleanup_free_ char *rootp = path_of("a"), *db = path_of("a/var/lib/rpm"), *text = NULL;
        _cleanup_rootfs_ rootfs_t *root = NULL;
        seen_t s = { 0 };
        size_t bad = 0, lines = 0;
        report_t *rep = report_new("t", rootp);
        char *argv[] = {
                "rpm",  "--dbpath",
                db,     "-qa",
                "--qf", "[%{FILENAMES} %{FILEDIGESTS} %{FILEMODES} %{FILEFLAGS} %{NAME}\n]",
                NULL
        };
        (void)state;

        assert_int_equal(rootfs_open(rootp, &root), 0);
        assert_int_equal(rpmdb_read_files(root, on_file, &s, rep, &bad), 0);
        assert_int_equal(bad, 0);
        assert_int_equal(rep->n_notes, 0);
        text = run(argv);
        for (char *line = text, *nl; *line; line = nl + 1) {
                char path[256], rest[256], name[64];
                unsigned mode, flags;
                const seen_file_t *f;
                nl = strchr(line, '\n');
                assert_non_null(nl);
                *nl = 0;
                /* A package without files. */
                if (strncmp(line, "(none) ", 7) == 0)
                        continue;
                /* A file without a digest has an empty column. */
                if (sscanf(line, "%255s %255s %u %u %63s", path, rest, &mode, &flags, name) != 5) {
                        assert_int_equal(
                                sscanf(line, "%255s %u %u %63s", path, &mode, &flags, name), 4);
                        rest[0] = 0;
                }
                f = seen_find(&s, path);
                assert_non_null(f);
                assert_string_equal(f->hex, rest);
                assert_int_equal(f->mode, mode);
                assert_int_equal(f->flags, flags);
                assert_string_equal(f->pkg, name);
                lines++;
        }
        assert_true(lines > 0);
        assert_int_equal(lines, s.n);
        report_free(rep);
}

static void test_read_files_no_database(void **state)
{
        _cleanup_rootfs_ rootfs_t *root = NULL;
        seen_t s = { 0 };
        (void)state;

        assert_int_equal(rootfs_open(top, &root), 0);
        assert_int_equal(rpmdb_read_files(root, on_file, &s, NULL, NULL), -ENOENT);
        assert_int_equal(s.n, 0);
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
                cmocka_unit_test(test_parse_files_good),
                cmocka_unit_test(test_parse_files_truncated),
                cmocka_unit_test(test_parse_files_malformed),
                cmocka_unit_test(test_parse_files_results),
                cmocka_unit_test(test_read_files_against_rpm),
                cmocka_unit_test(test_read_files_no_database),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
