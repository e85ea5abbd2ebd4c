/* Unit tests for scan/baseline/baseline: which policy files may run
 * commands, and whole scans driven by configuration (policy directories,
 * allow_commands, the policy filter), with their findings and notes. */
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
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/report.h"
#include "scan/baseline/baseline.h"

static char tmpl[] = "/tmp/vigil-baseline-XXXXXX";
static char *top;

static void put(const char *rel, const char *content, mode_t mode)
{
        char p[700];
        FILE *f;
        snprintf(p, sizeof(p), "%s/%s", top, rel);
        f = fopen(p, "w");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
        assert_int_equal(chmod(p, mode), 0);
}

static int setup(void **state)
{
        char p[700];
        (void)state;
        top = mkdtemp(tmpl);
        assert_non_null(top);
        snprintf(p, sizeof(p), "%s/policies", top);
        assert_int_equal(mkdir(p, 0755), 0);
        put("policies/10-cmd.yml",
            "policy: {id: cmd, name: Commands}\n"
            "checks:\n"
            "  - id: echo\n    title: echo works\n    condition: all\n"
            "    rules: ['c:echo hello -> r:^hello$']\n"
            "  - id: passwd\n    title: Has no such user\n    level: medium\n"
            "    compliance: [{cis: ['1.2']}, {gdpr: ['32']}]\n    tags: [demo]\n"
            "    remediation: remove it\n    condition: all\n"
            "    rules: ['f:/etc/passwd -> r:^no-such-user-vigil:']\n",
            0644);
        put("policies/20-writable.yml",
            "policy: {id: writable, name: Writable}\n"
            "checks:\n"
            "  - id: echo\n    title: echo works\n    condition: all\n"
            "    rules: ['c:echo hello -> r:^hello$']\n",
            0666);
        put("policies/30-broken.yml",
            "policy: {id: broken, name: Broken}\n"
            "checks:\n"
            "  - id: 1\n    title: t\n    condition: sometimes\n    rules: ['f:/etc/passwd']\n"
            "  - id: 2\n    title: fine\n    condition: all\n    rules: ['f:/etc/passwd']\n",
            0644);
        put("policies/40-syntax.yaml", "policy: {id: x\nchecks: [\n", 0644);
        put("policies/notes.txt", "not a policy\n", 0644);
        return 0;
}

static int teardown(void **state)
{
        char cmd[600];
        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_permission_rule(void **state)
{
        struct stat st = { .st_mode = S_IFREG | 0644, .st_uid = 0 };
        (void)state;
        assert_true(baseline_policy_may_run_commands(&st));
        st.st_mode = S_IFREG | 0600;
        assert_true(baseline_policy_may_run_commands(&st));
        st.st_mode = S_IFREG | 0664; /* group-writable */
        assert_false(baseline_policy_may_run_commands(&st));
        st.st_mode = S_IFREG | 0646; /* world-writable */
        assert_false(baseline_policy_may_run_commands(&st));
        st.st_mode = S_IFREG | 0644;
        st.st_uid = 1000; /* not root's */
        assert_false(baseline_policy_may_run_commands(&st));
        st.st_uid = 0;
        st.st_mode = S_IFLNK | 0777;
        assert_false(baseline_policy_may_run_commands(&st));
}

/* Scan the host with the test policy directory and EXTRA config lines. */
static report_t *scan(const char *extra)
{
        char cfgpath[700];
        config_t *cfg = NULL;
        char *err = NULL;
        rootfs_t *root;
        report_t *rep = report_new("test", "/");
        FILE *f;

        snprintf(cfgpath, sizeof(cfgpath), "%s/vigil.yml", top);
        f = fopen(cfgpath, "w");
        fprintf(f, "baseline:\n  policy_dirs: ['%s/policies']\n%s", top, extra);
        fclose(f);
        assert_int_equal(config_load(cfgpath, true, &cfg, &err), 0);
        assert_int_equal(rootfs_open("/", &root), 0);
        scan_ctx_t ctx = { .root = root, .config = cfg, .report = rep, .threads = 1 };
        assert_int_equal(baseline_scan(&ctx), 0);
        rootfs_free(root);
        config_free(cfg);
        return rep;
}

static bool has_note(const report_t *r, report_note_kind_t kind, const char *needle)
{
        for (size_t i = 0; i < r->n_notes; i++)
                if (r->notes[i].kind == kind &&
                    (strstr(r->notes[i].message, needle) || strstr(r->notes[i].source, needle)))
                        return true;
        return false;
}

static const finding_t *finding(const report_t *r, const char *check)
{
        for (size_t i = 0; i < r->n_findings; i++)
                if (strcmp(r->findings[i]->check, check) == 0)
                        return r->findings[i];
        return NULL;
}

static void dump_notes(const report_t *r)
{
        for (size_t i = 0; i < r->n_notes; i++)
                print_message("note %d %s: %s\n", r->notes[i].kind, r->notes[i].source,
                              r->notes[i].message);
}

static void test_scan_allowed(void **state)
{
        report_t *r;
        const finding_t *f;
        (void)state;

        if (geteuid() != 0)
                skip(); /* the policy files must be root-owned to run commands */
        r = scan("  allow_commands: true\n  builtin_policy: false\n  tls_certificates: false\n");
        dump_notes(r);
        /* 10-cmd: the command ran and passed; the f: check failed. */
        assert_true(has_note(r, REPORT_NOTE_INFO,
                             "baseline: Commands: 1 of 2 checks passed (50%), 1 failed, 0 not "
                             "applicable"));
        f = finding(r, "cmd:passwd");
        assert_non_null(f);
        assert_int_equal(f->category, CAT_BASELINE);
        assert_int_equal(f->level, FINDING_MEDIUM);
        assert_string_equal(f->object, "cmd");
        assert_string_equal(f->title, "Has no such user");
        assert_string_equal(f->remediation, "remove it");
        assert_string_equal(json_string_value(json_object_get(f->evidence, "file")), "/etc/passwd");
        assert_string_equal(json_string_value(json_array_get(f->tags, 0)), "cis:1.2");
        assert_string_equal(json_string_value(json_array_get(f->tags, 1)), "gdpr:32");
        assert_string_equal(json_string_value(json_array_get(f->tags, 2)), "demo");
        /* 20-writable: world-writable, so its command is not run. */
        assert_true(has_note(r, REPORT_NOTE_WARNING, "group/world-writable"));
        assert_true(has_note(r, REPORT_NOTE_INFO,
                             "baseline: Writable: no applicable checks, 1 not applicable"));
        /* 30-broken: the bad check is reported with its position and id,
         * the good one still runs. */
        assert_true(
                has_note(r, REPORT_NOTE_WARNING, "'condition' must be all, any or none (check 1)"));
        assert_true(has_note(r, REPORT_NOTE_WARNING, "/policies/30-broken.yml:5:16"));
        assert_true(has_note(r, REPORT_NOTE_INFO,
                             "baseline: Broken: 1 of 1 checks passed (100%), 0 failed"));
        /* 40-syntax.yaml: refused whole, with a position. */
        assert_true(has_note(r, REPORT_NOTE_WARNING, "/policies/40-syntax.yaml:"));
        assert_int_equal(json_integer_value(json_object_get(json_object_get(r->stats, "baseline"),
                                                            "commands_run")),
                         1);
        report_free(r);
}

static void test_scan_commands_off_and_filter(void **state)
{
        report_t *r;
        (void)state;

        r = scan("  policies: [cmd]\n  builtin_policy: false\n  tls_certificates: false\n");
        dump_notes(r);
        assert_true(has_note(r, REPORT_NOTE_INFO, "baseline.allow_commands is off"));
        assert_true(has_note(r, REPORT_NOTE_INFO,
                             "baseline: Commands: 0 of 1 checks passed (0%), 1 failed, 1 not "
                             "applicable"));
        assert_false(has_note(r, REPORT_NOTE_INFO, "baseline: Broken"));
        assert_int_equal(json_integer_value(json_object_get(json_object_get(r->stats, "baseline"),
                                                            "commands_run")),
                         0);
        report_free(r);
}

static void test_scan_shipped_on_fixture(void **state)
{
        const char *fx = getenv("VIGIL_FIXTURES");
        char cmd[1024], root_path[700], cfgpath[700];
        config_t *cfg = NULL;
        char *err = NULL;
        rootfs_t *root;
        report_t *rep = report_new("test", "x");
        FILE *f;
        (void)state;

        snprintf(root_path, sizeof(root_path), "%s/bad", top);
        snprintf(cmd, sizeof(cmd), "sh '%s/baseline/roots/prepare.sh' bad '%s'", fx, root_path);
        assert_int_equal(system(cmd), 0);
        snprintf(cfgpath, sizeof(cfgpath), "%s/rules.yml", top);
        f = fopen(cfgpath, "w");
        fprintf(f, "rules_dir: %s/../../rules\n", fx);
        fclose(f);
        assert_int_equal(config_load(cfgpath, true, &cfg, &err), 0);
        assert_int_equal(rootfs_open(root_path, &root), 0);
        scan_ctx_t ctx = { .root = root, .config = cfg, .report = rep, .threads = 1 };
        assert_int_equal(baseline_scan(&ctx), 0);
        dump_notes(rep);
        assert_true(has_note(rep, REPORT_NOTE_INFO, "baseline: vigil Linux baseline: 0 of"));
        assert_true(rep->n_findings >= 40);
        const finding_t *fi = finding(rep, "vigil-linux:ssh-root-login");
        assert_non_null(fi);
        /* evidence shows the path as the user knows it: under the root */
        const char *file = json_string_value(json_object_get(fi->evidence, "file"));
        assert_non_null(file);
        assert_non_null(strstr(file, "/bad/etc/ssh/sshd_config.d/50-cloud-init.conf"));
        assert_int_equal(json_integer_value(json_object_get(fi->evidence, "line")), 2);
        assert_int_equal(report_count_notes(rep, REPORT_NOTE_WARNING), 0);
        rootfs_free(root);
        config_free(cfg);
        report_free(rep);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_permission_rule),
                cmocka_unit_test(test_scan_allowed),
                cmocka_unit_test(test_scan_commands_off_and_filter),
                cmocka_unit_test(test_scan_shipped_on_fixture),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
