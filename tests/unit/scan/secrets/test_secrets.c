/* Unit tests for scan/secrets/secrets (the scanner as "vigil scan" runs it)
 * on an image directory: the default start paths inside the root, one
 * finding per secret with all its places, stable ids, the level raised
 * under an nginx web root and for a served .git, git history hits with
 * their commit, the three allowlists, bad configuration, and no full
 * secret in the text, JSON or SARIF report. */
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

#include "core/config.h"
#include "core/report.h"
#include "core/rootfs.h"
#include "core/scanctx.h"
#include "scan/secrets/rules.h"
#include "scan/secrets/secrets.h"

static char tmpl[] = "/tmp/vigil-secrets-XXXXXX";
static char *top;
static char aws_id[32], aws_secret[48], gh[48], pw[32], slack[128], pw2[32], gitpw[32];
static bool have_git;

_printf_(2, 3) static void put(const char *rel, const char *fmt, ...)
{
        char p[512], cmd[700];
        va_list ap;
        FILE *f;
        snprintf(p, sizeof(p), "%s/%s", top, rel);
        snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", p);
        assert_int_equal(system(cmd), 0);
        f = fopen(p, "w");
        assert_non_null(f);
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
        fclose(f);
}

static void gen(char *out, size_t n, const char *t, uint64_t seed)
{
        char *s = NULL;
        size_t len, o, l;
        assert_int_equal(secrets_rules_expand_test(t, &seed, &s, &len, &o, &l), 0);
        snprintf(out, n, "%s", s);
        free(s);
}

#define GIT "git -c user.name=t -c user.email=t@example.org -c commit.gpgsign=false -C "

static int setup(void **state)
{
        char cmd[2048];
        (void)state;
        top = mkdtemp(tmpl);
        assert_non_null(top);
        gen(aws_id, sizeof(aws_id), "AKIA{{base32:16}}", 11);
        gen(aws_secret, sizeof(aws_secret), "{{base64:40}}", 12);
        gen(gh, sizeof(gh), "ghp_{{alnum:36}}", 13);
        gen(pw, sizeof(pw), "{{alnum:20}}", 14);
        gen(slack, sizeof(slack),
            "https://hooks.slack.com/services/T{{upper:8}}/B{{upper:8}}/{{alnum:24}}", 15);
        gen(pw2, sizeof(pw2), "{{alnum:18}}", 16);
        gen(gitpw, sizeof(gitpw), "{{alnum:22}}", 17);

        put("etc/hostname", "img\n");
        put("etc/nginx/nginx.conf", "http { server { root /var/www/html; } }\n");
        /* The same AWS key pair in two files: one finding each. */
        put("home/alice/.aws/credentials",
            "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", aws_id, aws_secret);
        put("srv/app/.env", "# app\nAWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n", aws_id,
            aws_secret);
        put("root/.bash_history", "ls\nexport GITHUB_TOKEN=%s\n", gh);
        put("var/www/html/.env", "APP_ENV=prod\nDB_PASSWORD=%s\n", pw);
        put("srv/app/notify.yml", "slack: %s\n", slack);
        put("srv/app/vendor/lib/config.ini", "password = %s\n", pw2);
        put("srv/app/examples.env",
            "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
            "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
            "DB_PASSWORD=changeme\nAPI_KEY=<your-api-key>\nTOKEN=${TOKEN}\n");
        put("opt/outside-paths.txt", "nothing\n");
        have_git = system("git --version >/dev/null 2>&1") == 0;
        if (have_git) {
                /* A repository served by nginx: a password committed, then
                 * deleted. */
                snprintf(cmd, sizeof(cmd),
                         "set -e; cd %s/var/www/html && mkdir site && cd site && git init -q . && "
                         "printf 'MYSQL_PASSWORD=%s\\n' > db.env && " GIT ". add db.env && " GIT
                         ". commit -q -m add && " GIT ". rm -q db.env && " GIT
                         ". commit -q -m remove",
                         top, gitpw);
                assert_int_equal(system(cmd), 0);
        }
        return 0;
}

static int teardown(void **state)
{
        char cmd[600];
        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
        return system(cmd) == 0 ? 0 : -1;
}

static report_t *run(const char *config_yaml, int *ret)
{
        rootfs_t *root = NULL;
        config_t *cfg = NULL;
        report_t *rep = report_new("img", top);
        strv_t paths = { 0 };
        char cfgpath[600], *err = NULL;
        scan_ctx_t ctx;

        snprintf(cfgpath, sizeof(cfgpath), "%s.yml", top);
        {
                FILE *f = fopen(cfgpath, "w");
                assert_non_null(f);
                fputs(config_yaml ? config_yaml : "", f);
                fclose(f);
        }
        assert_int_equal(config_load(cfgpath, true, &cfg, &err), 0);
        assert_int_equal(rootfs_open(top, &root), 0);
        ctx = (scan_ctx_t){ .root = root,
                            .config = cfg,
                            .state_dir = top,
                            .report = rep,
                            .paths = &paths,
                            .threads = 2 };
        *ret = secrets_scan(&ctx);
        rootfs_free(root);
        config_free(cfg);
        unlink(cfgpath);
        return rep;
}

static const finding_t *by_check_path(const report_t *r, const char *check, const char *suffix)
{
        for (size_t i = 0; i < r->n_findings; i++) {
                const finding_t *f = r->findings[i];
                const char *p = json_string_value(json_object_get(f->evidence, "path"));
                if (strcmp(f->check, check) == 0 && p && strlen(p) >= strlen(suffix) &&
                    strcmp(p + strlen(p) - strlen(suffix), suffix) == 0)
                        return f;
        }
        return NULL;
}

static bool has_tag(const finding_t *f, const char *tag)
{
        size_t i;
        json_t *v;

        json_array_foreach (f->tags, i, v)
                if (strcmp(json_string_value(v), tag) == 0)
                        return true;
        return false;
}

static char *dump(const report_t *r, int kind)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        report_text_opts_t o = { .verbose = true };
        assert_non_null(f);
        if (kind == 0)
                report_write_text(r, f, &o);
        else if (kind == 1)
                report_write_json(r, f);
        else
                report_write_sarif(r, f);
        fclose(f);
        return buf;
}

static void test_scan(void **state)
{
        int r;
        report_t *rep = run(NULL, &r);
        const finding_t *f;
        json_t *locs;
        (void)state;

        assert_int_equal(r, 0);
        if (getenv("VIGIL_TEST_DEBUG")) {
                char *stats = json_dumps(rep->stats, 0);
                fprintf(stderr, "%s\n", stats ? stats : "");
                free(stats);
        }
        for (size_t i = 0; i < rep->n_findings; i++)
                fprintf(stderr, "%s %s %s\n", rep->findings[i]->check,
                        finding_level_name(rep->findings[i]->level), rep->findings[i]->title);
        /* One finding for the AWS key id, with both places; the primary is
         * the first path in order. */
        f = by_check_path(rep, "aws-access-key-id", "/home/alice/.aws/credentials");
        assert_non_null(f);
        assert_int_equal(f->level, FINDING_HIGH);
        assert_int_equal(json_integer_value(json_object_get(f->evidence, "locations_count")), 2);
        assert_int_equal(json_integer_value(json_object_get(f->evidence, "line")), 2);
        assert_int_equal(json_integer_value(json_object_get(f->evidence, "column")), 21);
        locs = json_object_get(f->evidence, "locations");
        assert_int_equal(json_array_size(locs), 2);
        assert_non_null(strstr(json_string_value(json_array_get(locs, 1)), "/srv/app/.env:2:19"));
        assert_string_equal(f->object,
                            json_string_value(json_object_get(f->evidence, "fingerprint")));
        assert_non_null(
                by_check_path(rep, "aws-secret-access-key", "/home/alice/.aws/credentials"));
        f = by_check_path(rep, "github-token", "/root/.bash_history");
        assert_non_null(f);
        assert_int_equal(json_integer_value(json_object_get(f->evidence, "line")), 2);
        assert_int_equal(json_integer_value(json_object_get(f->evidence, "column")), 21);
        /* Under the nginx root: medium raised to high, tagged data_leak. */
        f = by_check_path(rep, "generic-secret", "/var/www/html/.env");
        assert_non_null(f);
        assert_int_equal(f->level, FINDING_HIGH);
        assert_true(json_is_true(json_object_get(f->evidence, "in_webroot")));
        assert_true(has_tag(f, "data_leak"));
        /* Not under a web root: medium. */
        f = by_check_path(rep, "generic-secret", "/srv/app/vendor/lib/config.ini");
        assert_non_null(f);
        assert_int_equal(f->level, FINDING_MEDIUM);
        assert_true(json_is_false(json_object_get(f->evidence, "in_webroot")));
        assert_non_null(by_check_path(rep, "slack-webhook", "/srv/app/notify.yml"));
        /* Examples and placeholders: nothing from that file. */
        for (size_t i = 0; i < rep->n_findings; i++)
                assert_null(strstr(rep->findings[i]->title, "examples.env"));
        if (have_git) {
                f = by_check_path(rep, "generic-secret", "/var/www/html/site/db.env");
                assert_non_null(f);
                assert_non_null(json_object_get(f->evidence, "git_commit"));
                assert_string_equal(json_string_value(json_object_get(f->evidence, "git_path")),
                                    "db.env");
                /* Its .git is served: a leak, raised to high. */
                assert_int_equal(f->level, FINDING_HIGH);
                assert_non_null(strstr(f->remediation, "git filter-repo"));
                assert_true(has_tag(f, "git-history"));
        }
        assert_int_equal(rep->n_findings, have_git ? 7 : 6);
        assert_int_equal(report_count_notes(rep, REPORT_NOTE_ERROR), 0);

        /* The secrets themselves appear in no output. */
        for (int kind = 0; kind < 3; kind++) {
                char *out = dump(rep, kind);
                const char *secrets[] = { aws_id, aws_secret, gh, pw, slack, pw2, gitpw };
                for (size_t i = 0; i < ELEMENTSOF(secrets); i++) {
                        if (strstr(out, secrets[i]))
                                fprintf(stderr, "secret %zu in output %d\n", i, kind);
                        assert_null(strstr(out, secrets[i]));
                        /* Not even 7 characters of it in a row. */
                        for (size_t k = 0; k + 7 <= strlen(secrets[i]); k++) {
                                char part[8];
                                memcpy(part, secrets[i] + k, 7);
                                part[7] = 0;
                                if (k == 0 && strncmp(secrets[i], "AKIA", 4) == 0)
                                        continue;
                                if (strncmp(secrets[i], "https://hooks.slack.com", 20) == 0)
                                        break;
                                assert_null(strstr(out, part));
                        }
                }
                free(out);
        }
        {
                /* Ids depend on rule and fingerprint: a second scan gives the same. */
                int r2;
                report_t *again = run(NULL, &r2);
                assert_int_equal(again->n_findings, rep->n_findings);
                for (size_t i = 0; i < rep->n_findings; i++) {
                        bool found = false;
                        for (size_t k = 0; k < again->n_findings; k++)
                                found |= strcmp(rep->findings[i]->id, again->findings[k]->id) == 0;
                        assert_true(found);
                }
                report_free(again);
        }
        report_free(rep);
}

static void test_allowlists(void **state)
{
        char cfg[1024];
        const finding_t *f;
        report_t *rep;
        int r;
        (void)state;

        rep = run(NULL, &r);
        f = by_check_path(rep, "github-token", "/root/.bash_history");
        assert_non_null(f);
        snprintf(cfg, sizeof(cfg),
                 "secret:\n"
                 "  allowlist:\n"
                 "    fingerprints: ['sha256:%.16s']\n"
                 "    rules: [slack-webhook]\n"
                 "    paths: ['*/vendor/*']\n"
                 "  git:\n"
                 "    enabled: false\n",
                 f->object);
        report_free(rep);
        rep = run(cfg, &r);
        assert_int_equal(r, 0);
        assert_null(by_check_path(rep, "github-token", "/root/.bash_history"));
        assert_null(by_check_path(rep, "slack-webhook", "/srv/app/notify.yml"));
        assert_null(by_check_path(rep, "generic-secret", "/srv/app/vendor/lib/config.ini"));
        assert_null(by_check_path(rep, "generic-secret", "/var/www/html/site/db.env"));
        assert_non_null(by_check_path(rep, "generic-secret", "/var/www/html/.env"));
        assert_int_equal(rep->n_findings, 3);
        report_free(rep);
}

static void test_bad_config(void **state)
{
        static const char *const bad[] = {
                "secret: {max_file_size: lots}\n",
                "secret: {allowlist: {fingerprints: [xyz]}}\n",
                "secret: {allowlist: {paths: 5}}\n",
                "secret: {git: {enabled: sometimes}}\n",
                "secret: {rules_file: /nonexistent/rules.yml}\n",
        };
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int r;
                report_t *rep = run(bad[i], &r);
                assert_true(r < 0);
                assert_true(report_count_notes(rep, REPORT_NOTE_ERROR) >= 1);
                report_free(rep);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scan),
                cmocka_unit_test(test_allowlists),
                cmocka_unit_test(test_bad_config),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
