/* Unit tests for scan/secrets/gitscan against repositories made with the
 * real git at test time: a file committed and deleted later is handed over
 * with the commit that added it; the same after "git gc" (pack files with
 * deltas); commits only in the reflog; caps; binary and oversized blobs;
 * SHA-256 repositories refused. Skipped when git is not installed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/rootfs.h"
#include "core/text.h"
#include "scan/secrets/gitscan.h"

static char tmpl[] = "/tmp/vigil-gitscan-XXXXXX";
static char *top;

#define GIT                                                                                        \
        "git -c user.name=t -c user.email=t@example.org -c init.defaultBranch=main "               \
        "-c gc.auto=0 -c commit.gpgsign=false -C "

_printf_(1, 2) static void sh(const char *fmt, ...)
{
        char cmd[4096];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        if (system(cmd) != 0) {
                fprintf(stderr, "command failed: %s\n", cmd);
                fail();
        }
}

_printf_(3, 4) static void capture(char *out, size_t n, const char *fmt, ...)
{
        char cmd[4096];
        va_list ap;
        FILE *p;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        p = popen(cmd, "r");
        assert_non_null(p);
        assert_non_null(fgets(out, (int)n, p));
        out[strcspn(out, "\n")] = 0;
        pclose(p);
}

static bool have_git(void)
{
        return system("git --version >/dev/null 2>&1") == 0;
}

typedef struct seen {
        char commit[64][41];
        char path[64][256];
        char content[64][128];
        size_t n;
} seen_t;

static int on_blob(const char *data, size_t len, const secrets_git_blob_t *b, void *userdata)
{
        seen_t *s = userdata;
        if (s->n >= 64)
                return -E2BIG;
        snprintf(s->commit[s->n], sizeof(s->commit[0]), "%s", b->commit);
        snprintf(s->path[s->n], sizeof(s->path[0]), "%s", b->path);
        snprintf(s->content[s->n], sizeof(s->content[0]), "%.*s", (int)(len < 127 ? len : 127),
                 data);
        assert_int_equal(strlen(b->blob), 40);
        s->n++;
        return 0;
}

static const char *find_path(const seen_t *s, const char *path, size_t *ret_i)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->path[i], path) == 0) {
                        if (ret_i)
                                *ret_i = i;
                        return s->commit[i];
                }
        return NULL;
}

static const secrets_git_opts_t opts = {
        .max_blob_size = 1024 * 1024,
        .max_total_bytes = 1ULL << 30,
        .max_commits = 100000,
        .max_seconds = 60,
};

static int scan_repo(const char *gitdir_rel, seen_t *s, secrets_git_stats_t *st,
                     const secrets_git_opts_t *o)
{
        rootfs_t *root = NULL;
        char *problem = NULL;
        int r;

        memset(s, 0, sizeof(*s));
        assert_int_equal(rootfs_open(top, &root), 0);
        r = secrets_git_scan(root, gitdir_rel, o ? o : &opts, on_blob, s, st, &problem);
        if (problem)
                fprintf(stderr, "problem: %s\n", problem);
        free(problem);
        rootfs_free(root);
        return r;
}

static char added_commit[41], later_commit[41];

static int setup(void **state)
{
        (void)state;
        if (!have_git())
                return 0;
        top = mkdtemp(tmpl);
        assert_non_null(top);
        sh("mkdir -p %s/repo/config && cd %s/repo && git init -q . ", top, top);
        sh("printf 'DB_PASSWORD=one-secret-value-1\\n' > %s/repo/config/prod.env", top);
        sh("printf 'hello\\n' > %s/repo/README", top);
        sh("printf 'a\\0binary' > %s/repo/blob.bin", top);
        sh("head -c 2000000 /dev/zero | tr '\\0' 'x' > %s/repo/big.txt", top);
        sh(GIT "%s/repo add -A && " GIT "%s/repo commit -q -m one", top, top);
        capture(added_commit, sizeof(added_commit), GIT "%s/repo rev-parse HEAD", top);
        sh(GIT "%s/repo rm -q config/prod.env && " GIT "%s/repo commit -q -m two", top, top);
        /* Many versions of one file, so gc makes deltas. */
        for (int i = 0; i < 12; i++) {
                sh("for k in $(seq 1 200); do echo \"line $k of the notes file\"; done > "
                   "%s/repo/notes.txt; echo 'version %d' >> %s/repo/notes.txt",
                   top, i, top);
                sh(GIT "%s/repo commit -q -am v%d >/dev/null 2>&1 || (" GIT "%s/repo add -A && " GIT
                       "%s/repo commit -q -m v%d)",
                   top, i, top, top, i);
        }
        capture(later_commit, sizeof(later_commit), GIT "%s/repo rev-parse HEAD", top);
        /* A commit only the reflog remembers. */
        sh("printf 'TOKEN=reflog-only-secret\\n' > %s/repo/oops.env && " GIT
           "%s/repo add oops.env && " GIT "%s/repo commit -q -m oops && " GIT
           "%s/repo reset -q --hard HEAD~1",
           top, top, top, top);
        return 0;
}

static int teardown(void **state)
{
        char cmd[600];
        (void)state;
        if (!top)
                return 0;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
        return system(cmd) == 0 ? 0 : -1;
}

static void check_history(const seen_t *s, const secrets_git_stats_t *st)
{
        size_t i = 0;
        const char *c = find_path(s, "config/prod.env", &i);

        assert_non_null(c);
        assert_string_equal(c, added_commit);
        assert_non_null(strstr(s->content[i], "one-secret-value-1"));
        assert_non_null(find_path(s, "README", NULL));
        assert_non_null(find_path(s, "oops.env", NULL));
        assert_null(find_path(s, "blob.bin", NULL));
        assert_null(find_path(s, "big.txt", NULL));
        assert_true(st->blobs_binary >= 1);
        assert_true(st->blobs_too_large >= 1);
        /* 14 commits on main plus the one in the reflog. */
        assert_int_equal(st->commits, 15);
        assert_false(st->truncated);
        assert_int_equal(st->objects_missing, 0);
        assert_int_equal(st->objects_corrupt, 0);
        /* Every version of notes.txt once. */
        {
                size_t versions = 0;
                for (size_t k = 0; k < s->n; k++)
                        versions += strcmp(s->path[k], "notes.txt") == 0;
                assert_int_equal(versions, 12);
        }
}

static void test_loose(void **state)
{
        seen_t *s = calloc(1, sizeof(*s));
        secrets_git_stats_t st;
        (void)state;

        if (!top)
                skip();
        assert_int_equal(scan_repo("/repo/.git", s, &st, NULL), 0);
        check_history(s, &st);
        free(s);
}

static void test_packed(void **state)
{
        seen_t *s = calloc(1, sizeof(*s));
        secrets_git_stats_t st;
        (void)state;

        if (!top)
                skip();
        /* Everything into one pack with deltas, reflog kept. */
        sh(GIT "%s/repo repack -q -a -d -f --depth=50 --window=50 && " GIT "%s/repo prune-packed",
           top, top);
        sh("test -z \"$(find %s/repo/.git/objects -type f -path '*/objects/[0-9a-f][0-9a-f]/*')\" "
           "|| "
           "echo 'loose objects remain' >&2",
           top);
        assert_int_equal(scan_repo("/repo/.git", s, &st, NULL), 0);
        check_history(s, &st);
        free(s);
}

static void test_caps(void **state)
{
        seen_t *s = calloc(1, sizeof(*s));
        secrets_git_stats_t st;
        secrets_git_opts_t o = opts;
        (void)state;

        if (!top)
                skip();
        o.max_commits = 3;
        assert_int_equal(scan_repo("/repo/.git", s, &st, &o), 0);
        assert_true(st.truncated);
        assert_string_equal(st.truncated_by, "commits");
        assert_int_equal(st.commits, 3);
        o = opts;
        o.max_total_bytes = 10;
        assert_int_equal(scan_repo("/repo/.git", s, &st, &o), 0);
        assert_true(st.truncated);
        assert_string_equal(st.truncated_by, "bytes");
        free(s);
}

static void test_bad_repos(void **state)
{
        seen_t *s = calloc(1, sizeof(*s));
        secrets_git_stats_t st;
        (void)state;

        if (!top)
                skip();
        /* Not a repository. */
        sh("mkdir -p %s/notrepo/.git", top);
        assert_int_equal(scan_repo("/notrepo/.git", s, &st, NULL), -ENOTSUP);
        /* SHA-256 object format, where git supports it. */
        if (system("git init -q --object-format=sha256 /dev/null/x 2>&1 | grep -q 'unknown'") !=
                    0 &&
            system("cd /tmp && git init -q --object-format=sha256 "
                   "/tmp/vigil-gitscan-sha256-probe >/dev/null 2>&1") == 0) {
                sh("rm -rf /tmp/vigil-gitscan-sha256-probe");
                sh("git init -q --object-format=sha256 %s/sha", top);
                assert_int_equal(scan_repo("/sha/.git", s, &st, NULL), -ENOTSUP);
        }
        /* A corrupt loose object is counted, not fatal. */
        sh("mkdir -p %s/broken && cd %s/broken && git init -q . && echo x > f && " GIT
           "%s/broken add f && " GIT "%s/broken commit -q -m x",
           top, top, top, top);
        sh("cd %s/broken/.git/objects && for f in $(find . -path './[0-9a-f][0-9a-f]/*' -type f); "
           "do "
           "chmod u+w $f; printf 'garbage' > $f; done",
           top);
        assert_int_equal(scan_repo("/broken/.git", s, &st, NULL), 0);
        assert_true(st.objects_corrupt > 0);
        free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_loose),
                cmocka_unit_test(test_packed),
                cmocka_unit_test(test_caps),
                cmocka_unit_test(test_bad_repos),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
