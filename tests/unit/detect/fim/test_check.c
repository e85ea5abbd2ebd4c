/* Unit tests for detect/fim/check on a small dpkg root made in a temp
 * directory: a replaced package program caught without a baseline, a clean
 * root, the baseline's modified/added/deleted/permissions alerts with their
 * levels and evidence, a package upgrade accepted without an alert, the
 * re-hash schedule catching a change the stat tuple hides, the hold while
 * a package manager (a real process holding the dpkg lock) runs, and a
 * released check (baseline and package digests in the store only) judging
 * a series of changes exactly like one that holds them in memory. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
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

#include "core/text.h"
#include "detect/fim/check.h"

static char root_path[64];

static void put(const char *path, const char *content)
{
        char full[512];
        FILE *f;

        snprintf(full, sizeof(full), "%s%s", root_path, path);
        f = fopen(full, "w");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

/* Run a shell command with $R set to the root. */
static void sh(const char *cmd)
{
        assert_int_equal(setenv("R", root_path, 1), 0);
        assert_int_equal(system(cmd), 0);
}

struct alerts {
        alert_t *v[64];
        size_t n;
};

static int sink(alert_t *a, void *userdata)
{
        struct alerts *al = userdata;
        if (al->n == 64) {
                alert_free(a);
                return 0;
        }
        al->v[al->n++] = a;
        return 0;
}

static void alerts_clear(struct alerts *al)
{
        for (size_t i = 0; i < al->n; i++)
                alert_free(al->v[i]);
        al->n = 0;
}

static const alert_t *find(const struct alerts *al, const char *rule, const char *path)
{
        for (size_t i = 0; i < al->n; i++)
                if (strcmp(al->v[i]->rule, rule) == 0 &&
                    str_endswith(json_string_value(json_object_get(al->v[i]->evidence, "path")),
                                 path))
                        return al->v[i];
        return NULL;
}

struct env {
        rootfs_t *root;
        fimpolicy_t policy;
        fimdb_t *db;
        report_t *report;
        struct alerts alerts;
};

static fimcheck_t *make_check(struct env *e, int64_t now)
{
        fimcheck_t *c = NULL;
        fimcheck_opts_t o = {
                .root = e->root,
                .policy = &e->policy,
                .db = e->db,
                .report = e->report,
                .sink = { sink, &e->alerts },
                .threads = 2,
                .rehash_interval = 7 * 86400,
                .verify_packages = true,
                .now = now,
        };
        assert_int_equal(fimcheck_new(&o, &c), 0);
        return c;
}

static void run(struct env *e, fimcheck_mode_t mode, int64_t now, fimcheck_stats_t *st)
{
        fimcheck_t *c = make_check(e, now);
        alerts_clear(&e->alerts);
        assert_int_equal(fimcheck_run(c, mode, st), 0);
        fimcheck_free(c);
}

static int setup(void **state)
{
        static struct env e;
        char *err = NULL;

        snprintf(root_path, sizeof(root_path), "/tmp/vigil-fimcheck.XXXXXX");
        if (!mkdtemp(root_path))
                return -1;
        sh("mkdir -p \"$R/usr/bin\" \"$R/etc/sudoers.d\" \"$R/var/lib/dpkg/info\" && "
           "ln -s usr/bin \"$R/bin\"");
        put("/usr/bin/ls", "#!/bin/sh\necho ls\n");
        put("/usr/bin/cat", "#!/bin/sh\necho cat\n");
        sh("chmod 755 \"$R/usr/bin/ls\" \"$R/usr/bin/cat\"");
        put("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
        put("/etc/group", "root:x:0:\n");
        put("/etc/sudoers", "root ALL=(ALL) ALL\n");
        put("/var/lib/dpkg/status", "Package: coreutils\nStatus: install ok installed\n"
                                    "Version: 9.1-1\nArchitecture: amd64\n\n");
        /* md5sum output, paths made relative to the root. */
        sh("cd \"$R\" && md5sum bin/ls usr/bin/cat > var/lib/dpkg/info/coreutils.md5sums");
        e = (struct env){ 0 };
        if (rootfs_open(root_path, &e.root) < 0 || fimdb_open(":memory:", true, &e.db, &err) < 0)
                return -1;
        e.report = report_new("h", root_path);
        fimpolicy_add(&e.policy, "/etc/passwd");
        fimpolicy_add(&e.policy, "/etc/sudoers");
        fimpolicy_add(&e.policy, "/etc/sudoers.d");
        fimpolicy_add(&e.policy, "/etc/ld.so.preload");
        fimpolicy_add(&e.policy, "/bin");
        fimpolicy_add(&e.policy, "/usr/bin");
        *state = &e;
        return 0;
}

static int teardown(void **state)
{
        struct env *e = *state;
        alerts_clear(&e->alerts);
        fimdb_close(e->db);
        rootfs_free(e->root);
        report_free(e->report);
        fimpolicy_clear(&e->policy);
        sh("rm -rf \"$R\"");
        return 0;
}

static void test_first_run_package(void **state)
{
        struct env *e = *state;
        fimcheck_t *c;
        fimcheck_stats_t st;
        const alert_t *a;

        /* No baseline, no store: a clean root has nothing to say. */
        {
                fimdb_t *db = e->db;
                e->db = NULL;
                run(e, FIMCHECK_CHECK, 0, &st);
                assert_int_equal(e->alerts.n, 0);
                assert_int_equal(st.package_files, 2);
                assert_false(st.had_baseline);
                /* Replace ls: caught on the first run, urgent. */
                put("/usr/bin/ls", "#!/bin/sh\necho evil\n");
                c = make_check(e, 0);
                assert_int_equal(fimcheck_run(c, FIMCHECK_CHECK, &st), 0);
                fimcheck_free(c);
                e->db = db;
        }
        assert_int_equal(e->alerts.n, 1);
        a = find(&e->alerts, "fim.package_mismatch", "/usr/bin/ls");
        assert_non_null(a);
        assert_int_equal(a->type, ALERT_FILE_TAMPERING);
        assert_int_equal(a->level, ALERT_URGENT);
        assert_string_equal(json_string_value(json_object_get(a->evidence, "package")),
                            "coreutils");
        assert_string_equal(json_string_value(json_object_get(a->evidence, "package_version")),
                            "9.1-1");
        assert_true(str_startswith(
                json_string_value(json_object_get(a->evidence, "expected_digest")), "md5:"));
        assert_non_null(json_object_get(json_object_get(a->evidence, "after"), "sha256"));
        assert_non_null(strstr(a->remediation, "apt-get install --reinstall coreutils"));
        put("/usr/bin/ls", "#!/bin/sh\necho ls\n");
}

static void test_baseline_changes(void **state)
{
        struct env *e = *state;
        fimcheck_stats_t st;
        const alert_t *a;
        json_t *before, *after;

        run(e, FIMCHECK_INIT, 1000, &st);
        assert_int_equal(e->alerts.n, 0);
        run(e, FIMCHECK_CHECK, 1001, &st);
        assert_int_equal(e->alerts.n, 0);
        /* Unchanged files are not read again. */
        assert_int_equal(st.hashed, 0);
        assert_true(st.skipped >= 4);

        put("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nbob:x:0:0::/:/bin/sh\n");
        put("/etc/sudoers.d/bob", "bob ALL=(ALL) NOPASSWD: ALL\n");
        put("/etc/ld.so.preload", "/usr/lib/libevil.so\n");
        sh("chmod 4755 \"$R/usr/bin/cat\" && rm \"$R/etc/sudoers\"");
        run(e, FIMCHECK_CHECK, 1002, &st);
        assert_int_equal(e->alerts.n, 5);
        a = find(&e->alerts, "fim.modified", "/etc/passwd");
        assert_non_null(a);
        assert_int_equal(a->level, ALERT_SUSPICIOUS);
        before = json_object_get(a->evidence, "before");
        after = json_object_get(a->evidence, "after");
        assert_non_null(before);
        assert_non_null(after);
        assert_string_not_equal(json_string_value(json_object_get(before, "sha256")),
                                json_string_value(json_object_get(after, "sha256")));
        assert_int_equal(json_integer_value(json_object_get(before, "size")), 30);
        assert_string_equal(json_string_value(json_object_get(after, "owner")), "root:root");
        a = find(&e->alerts, "fim.added", "/etc/sudoers.d/bob");
        assert_non_null(a);
        assert_int_equal(a->level, ALERT_SUSPICIOUS);
        /* ld.so.preload naming a library: urgent. */
        a = find(&e->alerts, "fim.added", "/etc/ld.so.preload");
        assert_non_null(a);
        assert_int_equal(a->level, ALERT_URGENT);
        /* A set-uid bit on a program: urgent, content the same. */
        a = find(&e->alerts, "fim.permissions", "/usr/bin/cat");
        assert_non_null(a);
        assert_int_equal(a->level, ALERT_URGENT);
        a = find(&e->alerts, "fim.deleted", "/etc/sudoers");
        assert_non_null(a);
        assert_int_equal(a->level, ALERT_SUSPICIOUS);

        /* A check accepts nothing: the same alerts again. */
        run(e, FIMCHECK_CHECK, 1003, &st);
        assert_int_equal(e->alerts.n, 5);
        /* --update reports and accepts; then all is quiet. */
        run(e, FIMCHECK_UPDATE, 1004, &st);
        assert_int_equal(e->alerts.n, 5);
        run(e, FIMCHECK_CHECK, 1005, &st);
        assert_int_equal(e->alerts.n, 0);
}

static void test_package_upgrade(void **state)
{
        struct env *e = *state;
        fimcheck_stats_t st;

        run(e, FIMCHECK_INIT, 2000, &st);
        /* A new version of the package: new content and new digests. */
        put("/usr/bin/ls", "#!/bin/sh\necho ls version 2\n");
        sh("cd \"$R\" && md5sum bin/ls usr/bin/cat > var/lib/dpkg/info/coreutils.md5sums");
        run(e, FIMCHECK_CHECK, 2001, &st);
        assert_int_equal(e->alerts.n, 0);
        assert_int_equal(st.package_accepted, 1);
        /* Accepted into the baseline: nothing to hash next time. */
        run(e, FIMCHECK_CHECK, 2002, &st);
        assert_int_equal(e->alerts.n, 0);
        assert_int_equal(st.hashed, 0);
}

static void test_rehash_schedule(void **state)
{
        struct env *e = *state;
        fimcheck_stats_t st;
        char sql[512];

        run(e, FIMCHECK_INIT, 3000, &st);
        /* Make the stored hash of /etc/passwd disagree while its stat tuple
         * matches: what a change behind the file system's back looks like. */
        snprintf(sql, sizeof(sql),
                 "UPDATE files SET sha256 = zeroblob(32) WHERE path = '/etc/passwd'");
        assert_int_equal(sqlite3_exec(fimdb_sqlite(e->db), sql, NULL, NULL, NULL), SQLITE_OK);
        run(e, FIMCHECK_CHECK, 3001, &st);
        assert_int_equal(e->alerts.n, 0); /* trusted by its tuple */
        /* A week later every file has come due and is read again. */
        run(e, FIMCHECK_CHECK, 3000 + 7 * 86400 + 1, &st);
        assert_int_equal(st.hashed, 3 + 2); /* passwd, sudoers.d/bob, ld.so.preload, ls, cat */
        assert_non_null(find(&e->alerts, "fim.modified", "/etc/passwd"));
}

static void test_package_manager_hold(void **state)
{
        struct env *e = *state;
        static const char script[] = "import ctypes, fcntl, sys\n"
                                     "ctypes.CDLL(None).prctl(15, b'dpkg', 0, 0, 0)\n"
                                     "f = open(sys.argv[1], 'r+')\n"
                                     "fcntl.lockf(f, fcntl.LOCK_EX)\n"
                                     "print('ready', flush=True)\n"
                                     "sys.stdin.read()\n";
        char lock[256], buf[16] = "";
        fimcheck_stats_t st;
        int in[2], out[2], status;
        pid_t pid;

        if (access("/usr/bin/python3", X_OK) < 0)
                skip();
        run(e, FIMCHECK_INIT, 4000, &st);
        snprintf(lock, sizeof(lock), "%s/var/lib/dpkg/lock-frontend", root_path);
        put("/var/lib/dpkg/lock-frontend", "");
        assert_int_equal(pipe(in), 0);
        assert_int_equal(pipe(out), 0);
        pid = fork();
        if (pid == 0) {
                dup2(in[0], 0);
                dup2(out[1], 1);
                close(in[1]);
                close(out[0]);
                execl("/usr/bin/python3", "python3", "-c", script, lock, (char *)NULL);
                _exit(127);
        }
        close(in[0]);
        close(out[1]);
        /* The read end stays open while the holder lives: it may write its
         * line in pieces, and a closed pipe would kill it. */
        assert_true(read(out[0], buf, sizeof(buf) - 1) > 0);

        /* dpkg is at work: a half-installed program is not an alert yet. */
        put("/usr/bin/ls", "#!/bin/sh\necho half\n");
        put("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nsystemd-x:x:999:999::/:/bin/false\n");
        run(e, FIMCHECK_CHECK, 4001, &st);
        assert_int_equal(e->alerts.n, 0);
        assert_int_equal(st.deferred, 2);
        assert_true(st.pm.running);
        assert_int_equal(st.pm.pid, pid);

        close(in[1]);
        waitpid(pid, &status, 0);
        close(out[0]);
        /* Finished: what is left is judged (nothing was accepted meanwhile). */
        run(e, FIMCHECK_CHECK, 4002, &st);
        assert_false(st.pm.running);
        assert_non_null(find(&e->alerts, "fim.package_mismatch", "/usr/bin/ls"));
        assert_non_null(find(&e->alerts, "fim.modified", "/etc/passwd"));
        put("/usr/bin/ls", "#!/bin/sh\necho ls version 2\n");
}

static int count_entry(const char *path, uint32_t mode, void *userdata)
{
        size_t *n = userdata;

        (void)path;
        (void)mode;
        ++*n;
        return 0;
}

static size_t entries(fimcheck_t *c)
{
        size_t n = 0;

        assert_int_equal(fimcheck_foreach(c, count_entry, &n), 0);
        return n;
}

static int alert_cmp(const void *a, const void *b)
{
        const alert_t *x = *(alert_t *const *)a, *y = *(alert_t *const *)b;
        int r = strcmp(x->rule, y->rule);

        return r ? r : strcmp(x->subject, y->subject);
}

/* The alerts of the two checks are the same, one for one; returns how many
 * (sorted, so they can be looked at). */
static size_t same_alerts(struct alerts *a, struct alerts *b)
{
        assert_int_equal(a->n, b->n);
        qsort(a->v, a->n, sizeof(a->v[0]), alert_cmp);
        qsort(b->v, b->n, sizeof(b->v[0]), alert_cmp);
        for (size_t i = 0; i < a->n; i++) {
                assert_string_equal(a->v[i]->rule, b->v[i]->rule);
                assert_string_equal(a->v[i]->subject, b->v[i]->subject);
                assert_int_equal(a->v[i]->level, b->v[i]->level);
                assert_string_equal(a->v[i]->title, b->v[i]->title);
                assert_string_equal(a->v[i]->remediation, b->v[i]->remediation);
                assert_true(json_equal(a->v[i]->evidence, b->v[i]->evidence));
        }
        return a->n;
}

static const alert_t *must_find(const struct alerts *al, const char *rule, const char *path,
                                const char *file, int line)
{
        const alert_t *a = find(al, rule, path);
        _assert_true(a != NULL, path, file, line);
        return a;
}
#define only(al, rule, path) must_find(al, rule, path, __FILE__, __LINE__)

static void test_released_same(void **state)
{
        struct env *e = *state;
        struct alerts la = { 0 }, lb = { 0 };
        fimdb_t *dba = NULL, *dbb = NULL, *keep = e->db;
        fimcheck_t *a, *b;
        fimcheck_stats_t st;
        char *err = NULL;

        /* Two stores with the same baseline; A keeps it in memory, B
         * gives it back to its store, as the agent's watcher does. */
        assert_int_equal(fimdb_open(":memory:", true, &dba, &err), 0);
        assert_int_equal(fimdb_open(":memory:", true, &dbb, &err), 0);
        e->db = dba;
        run(e, FIMCHECK_INIT, 6000, &st);
        a = make_check(e, 0);
        e->db = dbb;
        run(e, FIMCHECK_INIT, 6000, &st);
        b = make_check(e, 0);
        e->db = keep;
        alerts_clear(&e->alerts);
        assert_int_equal(fimcheck_run(a, FIMCHECK_UPDATE, &st), 0);
        assert_int_equal(fimcheck_run(b, FIMCHECK_UPDATE, &st), 0);
        assert_int_equal(e->alerts.n, 0);
        assert_int_equal(fimcheck_release(b), 0);
        assert_int_equal(fimcheck_release(b), 0); /* once is enough */
        assert_int_equal(fimcheck_table(b)->n, 0);
        assert_true(fimcheck_table(a)->n > 0);
        assert_int_equal(entries(a), fimcheck_table(a)->n);
        assert_int_equal(entries(b), fimcheck_table(a)->n);
        assert_int_equal(fimcheck_known(b, "/etc/passwd"), 1);
        assert_int_equal(fimcheck_known(b, "/etc/nothing"), 0);

#define BOTH(call)                                                                                 \
        do {                                                                                       \
                alerts_clear(&e->alerts);                                                          \
                assert_int_equal(call(a), 0);                                                      \
                la = e->alerts;                                                                    \
                e->alerts.n = 0;                                                                   \
                assert_int_equal(call(b), 0);                                                      \
                lb = e->alerts;                                                                    \
                e->alerts.n = 0;                                                                   \
        } while (0)
#define ON_PASSWD(c)  fimcheck_path(c, "/etc/passwd", NULL, true)
#define ON_NEW(c)     fimcheck_path(c, "/etc/sudoers.d/lean", NULL, true)
#define ON_LS(c)      fimcheck_path(c, "/usr/bin/ls", NULL, true)
#define ON_CAT(c)     fimcheck_path(c, "/usr/bin/cat", NULL, true)
#define ON_SUDOERS(c) fimcheck_tree(c, "/etc/sudoers.d", NULL, true)
#define ON_USRBIN(c)  fimcheck_tree(c, "/usr/bin", NULL, true)
#define ON_RELOAD(c)  fimcheck_reload_packages(c)
#define ON_RUN(c)     fimcheck_run(c, FIMCHECK_UPDATE, NULL)

        put("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\neve:x:0:0::/:/bin/sh\n");
        BOTH(ON_PASSWD);
        assert_int_equal(same_alerts(&la, &lb), 1);
        only(&la, "fim.modified", "/etc/passwd");
        alerts_clear(&la);
        alerts_clear(&lb);

        put("/etc/sudoers.d/lean", "eve ALL=(ALL) ALL\n");
        BOTH(ON_NEW);
        assert_int_equal(same_alerts(&la, &lb), 1);
        only(&la, "fim.added", "/etc/sudoers.d/lean");
        alerts_clear(&la);
        alerts_clear(&lb);

        /* A package program replaced: its digest comes from the store. */
        put("/usr/bin/ls", "#!/bin/sh\necho lean evil\n");
        BOTH(ON_LS);
        assert_int_equal(same_alerts(&la, &lb), 1);
        assert_string_equal(json_string_value(json_object_get(
                                    only(&lb, "fim.package_mismatch", "/usr/bin/ls")->evidence,
                                    "package_version")),
                            "9.1-1");
        alerts_clear(&la);
        alerts_clear(&lb);

        /* A package file deleted, then missing from its tree. */
        sh("rm \"$R/usr/bin/cat\"");
        BOTH(ON_CAT);
        assert_int_equal(same_alerts(&la, &lb), 1);
        only(&la, "fim.deleted", "/usr/bin/cat");
        alerts_clear(&la);
        alerts_clear(&lb);
        BOTH(ON_USRBIN);
        /* ls still differs from its package: said again for the tree. */
        assert_int_equal(same_alerts(&la, &lb), 2);
        only(&lb, "fim.package_mismatch", "/usr/bin/ls");
        assert_non_null(strstr(only(&lb, "fim.deleted", "/usr/bin/cat")->title,
                               "package coreutils installs it"));
        alerts_clear(&la);
        alerts_clear(&lb);

        /* A directory added under a tree, then removed with what it held. */
        sh("mkdir \"$R/etc/sudoers.d/sub\" && echo x >\"$R/etc/sudoers.d/sub/f\"");
        BOTH(ON_SUDOERS);
        assert_int_equal(same_alerts(&la, &lb), 2);
        only(&la, "fim.added", "/etc/sudoers.d/sub/f");
        alerts_clear(&la);
        alerts_clear(&lb);
        sh("rm -r \"$R/etc/sudoers.d/sub\" \"$R/etc/sudoers.d/lean\"");
        BOTH(ON_SUDOERS);
        assert_int_equal(same_alerts(&la, &lb), 3);
        only(&lb, "fim.deleted", "/etc/sudoers.d/sub/f");
        only(&lb, "fim.deleted", "/etc/sudoers.d/lean");
        alerts_clear(&la);
        alerts_clear(&lb);

        /* An upgrade: new digests read again, the new program accepted. */
        put("/usr/bin/ls", "#!/bin/sh\necho ls version 3\n");
        put("/usr/bin/cat", "#!/bin/sh\necho cat version 3\n");
        sh("cd \"$R\" && md5sum bin/ls usr/bin/cat > var/lib/dpkg/info/coreutils.md5sums");
        BOTH(ON_RELOAD);
        assert_int_equal(fimcheck_table(b)->n, 0);
        BOTH(ON_LS);
        assert_int_equal(same_alerts(&la, &lb), 0);
        BOTH(ON_CAT);
        assert_int_equal(same_alerts(&la, &lb), 0);

        /* A full pass of a released check loads what it needs, then gives
         * it back again. */
        put("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nmallory:x:0:0::/:/bin/sh\n");
        BOTH(ON_RUN);
        assert_int_equal(same_alerts(&la, &lb), 1);
        only(&la, "fim.modified", "/etc/passwd");
        alerts_clear(&la);
        alerts_clear(&lb);
        assert_int_equal(fimcheck_table(b)->n, 0);
        assert_int_equal(entries(b), entries(a));
        assert_int_equal(fimcheck_totals(a)->alerts, fimcheck_totals(b)->alerts);
        assert_int_equal(fimcheck_totals(a)->package_missing, fimcheck_totals(b)->package_missing);
        assert_int_equal(fimcheck_totals(a)->package_accepted,
                         fimcheck_totals(b)->package_accepted);
        assert_int_equal(fimcheck_totals(a)->hashed, fimcheck_totals(b)->hashed);
#undef BOTH
        fimcheck_free(a);
        fimcheck_free(b);
        fimdb_close(dba);
        fimdb_close(dbb);
        put("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_first_run_package),
                cmocka_unit_test(test_baseline_changes),
                cmocka_unit_test(test_package_upgrade),
                cmocka_unit_test(test_rehash_schedule),
                cmocka_unit_test(test_package_manager_hold),
                cmocka_unit_test(test_released_same),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
