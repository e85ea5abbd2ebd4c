/* Unit tests for scan/secrets/filescan on a real tree: text files found at
 * their line and column, a secret across the 4 MiB read chunk edge, a 20 MB
 * single-line minified file, binary files skipped by content, a FIFO that
 * must not block, a symlink loop and symlinks not followed, files over the
 * size cap, empty files, .git directories reported and their config
 * scanned, allowlisted paths, an unreadable file (only when not running as
 * root: root reads a mode 000 file, so that check is skipped there), and
 * one and several worker threads giving the same result. */
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
#include <unistd.h>

#include <cmocka.h>

#include "core/rootfs.h"
#include "scan/secrets/filescan.h"

#ifndef VIGIL_SOURCE_RULES
#define VIGIL_SOURCE_RULES "rules"
#endif

static char tmpl[] = "/tmp/vigil-filescan-XXXXXX";
static char *top;
static secrets_rules_t *rules;
static secrets_engine_t *engine;
static char key1[64], key2[64], key3[64], key4[64];

typedef struct hit {
        char path[256];
        char rule[64];
        uint64_t line, col;
} hit_t;

typedef struct result {
        pthread_mutex_t lock;
        hit_t v[64];
        size_t n;
        char repos[8][256];
        size_t n_repos;
} result_t;

static int on_match(const char *path, const secrets_match_t *m, void *userdata)
{
        result_t *r = userdata;
        pthread_mutex_lock(&r->lock);
        if (r->n < 64) {
                snprintf(r->v[r->n].path, sizeof(r->v[0].path), "%s", path);
                snprintf(r->v[r->n].rule, sizeof(r->v[0].rule), "%s", m->rule->id);
                r->v[r->n].line = m->line;
                r->v[r->n].col = m->column;
                r->n++;
        }
        pthread_mutex_unlock(&r->lock);
        return 0;
}

static void on_repo(const char *worktree, const char *gitdir, void *userdata)
{
        result_t *r = userdata;
        if (r->n_repos < 8)
                snprintf(r->repos[r->n_repos++], sizeof(r->repos[0]), "%s|%s",
                         worktree ? worktree : "(bare)", gitdir);
}

static bool skip_cb(const char *path, bool is_dir, void *userdata)
{
        (void)userdata;
        (void)is_dir;
        return strstr(path, "/allowlisted") != NULL;
}

static void put(const char *rel, const char *data, size_t n)
{
        char p[512], cmd[700];
        FILE *f;
        snprintf(p, sizeof(p), "%s/%s", top, rel);
        snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", p);
        assert_int_equal(system(cmd), 0);
        f = fopen(p, "w");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, n, f), n);
        fclose(f);
}

static void puts_file(const char *rel, const char *s)
{
        put(rel, s, strlen(s));
}

static void make_key(char *out, const char *tmpl_text, uint64_t seed)
{
        char *s = NULL;
        size_t len, o, l;
        assert_int_equal(secrets_rules_expand_test(tmpl_text, &seed, &s, &len, &o, &l), 0);
        snprintf(out, 64, "%s", s);
        free(s);
}

static int setup(void **state)
{
        char p[512], *err = NULL, *big;
        size_t n;
        (void)state;

        if (secrets_rules_load(VIGIL_SOURCE_RULES "/secrets/rules.yml", &rules, &err) < 0 ||
            secrets_engine_new(rules, &engine, &err) < 0) {
                fprintf(stderr, "%s\n", err);
                return -1;
        }
        top = mkdtemp(tmpl);
        assert_non_null(top);
        make_key(key1, "ghp_{{alnum:36}}", 1);
        make_key(key2, "AKIA{{base32:16}}", 2);
        make_key(key3, "glpat-{{base64url:20}}", 3);
        make_key(key4, "sk_live_{{alnum:30}}", 4);

        snprintf(p, sizeof(p), "a = 1\n\n  token: %s\n", key1);
        puts_file("app/config.yml", p);
        puts_file("app/empty", "");

        /* Binary by content: a NUL early on, a key after it. */
        {
                char bin[256];
                memset(bin, 'x', sizeof(bin));
                bin[10] = 0;
                n = (size_t)snprintf(bin + 100, 100, "\nid=%s\n", key2);
                put("app/data.bin", bin, 100 + n);
        }
        /* A key across the first chunk edge of a file bigger than the buffer. */
        n = SECRETS_FILESCAN_BUF + 100000;
        big = malloc(n);
        assert_non_null(big);
        for (size_t i = 0; i < n; i++)
                big[i] = i % 64 == 63 ? '\n' : 'a' + (char)(i % 26);
        {
                size_t at = SECRETS_FILESCAN_BUF - 10; /* starts 10 bytes before the edge */
                at -= at % 64;                         /* at a line start */
                at += 64 - 12;
                big[at - 1] = '\n';
                memcpy(big + at, key3, strlen(key3));
                big[at + strlen(key3)] = '\n';
        }
        put("app/big.log", big, n);
        free(big);
        /* A 20 MB minified file on one line, a key near the end. */
        n = 20 * 1000 * 1000;
        big = malloc(n + 100);
        assert_non_null(big);
        for (size_t i = 0; i < n; i++)
                big[i] = "{\"k\":1,\"v\":\"abc\"},"[i % 18];
        memcpy(big + n - 200, "\"stripe\":\"", 10);
        memcpy(big + n - 190, key4, strlen(key4));
        big[n - 190 + strlen(key4)] = '"';
        put("web/app.min.js", big, n);
        free(big);

        snprintf(p, sizeof(p), "%s/app/fifo", top);
        assert_int_equal(mkfifo(p, 0600), 0);
        snprintf(p, sizeof(p), "%s/app/loop1", top);
        assert_int_equal(symlink("loop2", p), 0);
        snprintf(p, sizeof(p), "%s/app/loop2", top);
        assert_int_equal(symlink("loop1", p), 0);
        snprintf(p, sizeof(p), "%s/app/link-to-config", top);
        assert_int_equal(symlink("config.yml", p), 0);
        snprintf(p, sizeof(p), "%s/app/dirloop", top);
        assert_int_equal(symlink(".", p), 0);

        snprintf(p, sizeof(p), "url = https://bot:%s@gitlab.example.org/g/p.git\n", key3);
        puts_file("repo/.git/config", p);
        puts_file("repo/.git/HEAD", "ref: refs/heads/main\n");
        snprintf(p, sizeof(p), "%s/repo/.git/objects", top);
        assert_int_equal(mkdir(p, 0755), 0);
        puts_file("repo/.git/packed-refs", "# nothing\n");
        puts_file("bare.git/HEAD", "ref: refs/heads/main\n");
        snprintf(p, sizeof(p), "%s/bare.git/objects", top);
        assert_int_equal(mkdir(p, 0755), 0);

        snprintf(p, sizeof(p), "GITHUB_TOKEN=%s\n", key1);
        puts_file("allowlisted/secret.env", p);
        puts_file("toolarge/big.txt", "x = 1\n0123456789012345678901234567890123456789\n");
        snprintf(p, sizeof(p), "key=%s\n", key2);
        puts_file("noread/secret.txt", p);
        snprintf(p, sizeof(p), "%s/noread/secret.txt", top);
        assert_int_equal(chmod(p, 0), 0);
        return 0;
}

static int teardown(void **state)
{
        char cmd[600];
        (void)state;
        secrets_engine_free(engine);
        secrets_rules_free(rules);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
        return system(cmd) == 0 ? 0 : -1;
}

static const hit_t *find(const result_t *r, const char *path, const char *rule)
{
        for (size_t i = 0; i < r->n; i++)
                if (strcmp(r->v[i].path, path) == 0 && strcmp(r->v[i].rule, rule) == 0)
                        return &r->v[i];
        return NULL;
}

static void run(unsigned threads, uint64_t max_size, result_t *res, secrets_filescan_stats_t *st,
                report_t *rep)
{
        rootfs_t *root = NULL;
        strv_t starts = { 0 };
        secrets_filescan_opts_t o = {
                .engine = engine,
                .max_file_size = max_size,
                .threads = threads,
                .report = rep,
                .on_match = on_match,
                .skip = skip_cb,
                .on_repo = on_repo,
                .userdata = res,
        };

        memset(res, 0, sizeof(*res));
        pthread_mutex_init(&res->lock, NULL);
        assert_int_equal(rootfs_open(top, &root), 0);
        o.root = root;
        assert_int_equal(strv_push(&starts, "/"), 0);
        assert_int_equal(secrets_filescan_run(&o, &starts, st), 0);
        strv_clear(&starts);
        rootfs_free(root);
}

static void test_tree(void **state)
{
        for (unsigned threads = 1; threads <= 3; threads += 2) {
                result_t *res = calloc(1, sizeof(*res));
                secrets_filescan_stats_t st;
                report_t *rep = report_new("h", top);
                const hit_t *h;
                (void)state;

                assert_non_null(res);
                run(threads, 30 * 1000 * 1000, res, &st, rep);
                for (size_t i = 0; i < res->n; i++)
                        fprintf(stderr, "%u: %s %s %llu:%llu\n", threads, res->v[i].path,
                                res->v[i].rule, (unsigned long long)res->v[i].line,
                                (unsigned long long)res->v[i].col);
                h = find(res, "/app/config.yml", "github-token");
                assert_non_null(h);
                assert_int_equal(h->line, 3);
                assert_int_equal(h->col, 10);
                /* The key across the chunk edge, found once, at its line. */
                h = find(res, "/app/big.log", "gitlab-token");
                assert_non_null(h);
                {
                        size_t at = SECRETS_FILESCAN_BUF - 10;
                        at -= at % 64;
                        at += 64 - 12;
                        /* The newline put before the key adds a line. */
                        assert_int_equal(h->line, at / 64 + 2);
                        assert_int_equal(h->col, 1);
                }
                h = find(res, "/web/app.min.js", "stripe-secret-key");
                assert_non_null(h);
                assert_int_equal(h->line, 1);
                assert_int_equal(h->col, 20 * 1000 * 1000 - 190 + 1);
                h = find(res, "/repo/.git/config", "url-credentials");
                assert_non_null(h);
                /* The same token seen by a second, more generic rule; the
                 * scanner keeps one of the two. */
                assert_non_null(find(res, "/repo/.git/config", "gitlab-token"));
                assert_non_null(find(res, "/app/config.yml", "generic-secret"));
                assert_null(find(res, "/app/data.bin", "aws-access-key-id"));
                assert_null(find(res, "/allowlisted/secret.env", "github-token"));
                assert_null(find(res, "/app/link-to-config", "github-token"));
                /* Only these. */
                assert_int_equal(res->n, geteuid() == 0 ? 7 : 6);
                assert_true(st.binary_skipped >= 1);
                assert_true(st.special_skipped >= 1); /* the FIFO */
                assert_true(st.symlinks_skipped >= 4);
                assert_true(st.empty >= 1);
                assert_true(st.excluded >= 1);
                assert_int_equal(st.repos, 2);
                assert_int_equal(res->n_repos, 2);
                {
                        bool wt = false, bare = false;
                        for (size_t i = 0; i < res->n_repos; i++) {
                                wt |= strcmp(res->repos[i], "/repo|/repo/.git") == 0;
                                bare |= strcmp(res->repos[i], "(bare)|/bare.git") == 0;
                        }
                        assert_true(wt);
                        assert_true(bare);
                }
                if (geteuid() != 0) {
                        assert_true(st.unreadable >= 1);
                        assert_true(report_count_notes(rep, REPORT_NOTE_WARNING) >= 1);
                } else {
                        /* Root reads a mode 000 file: it is scanned. */
                        assert_non_null(find(res, "/noread/secret.txt", "aws-access-key-id"));
                }
                assert_int_equal(st.vanished, 0);
                assert_int_equal(st.changed, 0);
                assert_true(st.bytes_scanned > 20 * 1000 * 1000);
                report_free(rep);
                free(res);
        }
}

/* A size cap under the big files: they are skipped and noted. */
static void test_size_cap(void **state)
{
        result_t *res = calloc(1, sizeof(*res));
        secrets_filescan_stats_t st;
        report_t *rep = report_new("h", top);
        (void)state;

        run(2, 4096, res, &st, rep);
        assert_null(find(res, "/web/app.min.js", "stripe-secret-key"));
        assert_null(find(res, "/app/big.log", "gitlab-token"));
        assert_non_null(find(res, "/app/config.yml", "github-token"));
        assert_int_equal(st.too_large, 2);
        assert_true(report_count_notes(rep, REPORT_NOTE_WARNING) >= 2);
        report_free(rep);
        free(res);
}

/* Scanning one file through the single-file entry point. */
static void test_single_fd(void **state)
{
        char p[512];
        result_t *res = calloc(1, sizeof(*res));
        secrets_scratch_t *s = NULL;
        char *buf = malloc(SECRETS_FILESCAN_BUF);
        uint64_t bytes;
        bool binary, changed;
        int fd;
        (void)state;

        pthread_mutex_init(&res->lock, NULL);
        assert_int_equal(secrets_scratch_new(engine, &s), 0);
        snprintf(p, sizeof(p), "%s/app/config.yml", top);
        fd = open(p, O_RDONLY);
        assert_true(fd >= 0);
        assert_int_equal(secrets_filescan_fd(engine, s, buf, fd, "/cfg", 1 << 20, on_match, res,
                                             &bytes, &binary, &changed),
                         0);
        assert_false(binary);
        assert_false(changed);
        assert_int_equal(res->n, 2);
        assert_non_null(find(res, "/cfg", "github-token"));
        close(fd);
        snprintf(p, sizeof(p), "%s/app/data.bin", top);
        fd = open(p, O_RDONLY);
        assert_int_equal(secrets_filescan_fd(engine, s, buf, fd, "/bin", 1 << 20, on_match, res,
                                             &bytes, &binary, &changed),
                         0);
        assert_true(binary);
        close(fd);
        snprintf(p, sizeof(p), "%s/web/app.min.js", top);
        fd = open(p, O_RDONLY);
        assert_int_equal(secrets_filescan_fd(engine, s, buf, fd, "/min", 1 << 20, on_match, res,
                                             &bytes, &binary, &changed),
                         -EFBIG);
        close(fd);
        secrets_scratch_free(s);
        free(buf);
        free(res);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tree),
                cmocka_unit_test(test_size_cap),
                cmocka_unit_test(test_single_fd),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
