/* Unit tests for scan/baseline/eval: every rule type against real files in
 * a temporary root, Wazuh's found / not found / invalid semantics and the
 * all/any/none conditions, and the exact result of every check of the
 * shipped vigil-linux.yml on the good and bad fixture roots. */
#include <errno.h>
#include <fcntl.h>
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

#include "scan/baseline/eval.h"
#include "scan/baseline/policy.h"

static char tmpl[] = "/tmp/vigil-eval-XXXXXX";
static char *top;
static char good_root[600], bad_root[600];

static void put(const char *rel, const char *content)
{
        char p[700];
        FILE *f;
        snprintf(p, sizeof(p), "%s/%s", top, rel);
        f = fopen(p, "w");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static void mk(const char *rel)
{
        char p[700];
        snprintf(p, sizeof(p), "%s/%s", top, rel);
        assert_int_equal(mkdir(p, 0755), 0);
}

static int setup(void **state)
{
        char cmd[2048], p[700];
        const char *fx = getenv("VIGIL_FIXTURES");
        (void)state;

        top = mkdtemp(tmpl);
        assert_non_null(top);
        mk("root");
        mk("root/etc");
        mk("root/etc/conf.d");
        mk("root/etc/conf.d/sub");
        mk("root/etc/empty.d");
        put("root/etc/app.conf", "# comment\nPort 2222\nMaxAuthTries 3\r\nlast line no newline");
        put("root/etc/other.conf", "Port 22\n");
        put("root/etc/conf.d/10-a.conf", "setting = one\n");
        put("root/etc/conf.d/sub/20-b.conf", "setting = deep\n");
        put("root/etc/conf.d/skip.txt", "setting = deep\n");
        put("root/etc/binary", "");
        snprintf(p, sizeof(p), "%s/root/etc/binary", top);
        {
                FILE *f = fopen(p, "wb");
                const char bin[] = "\x7f"
                                   "ELF\0\0\0needle\0\n\xff\xfe";
                fwrite(bin, 1, sizeof(bin) - 1, f);
                fclose(f);
        }
        /* A symlink that points outside: it must resolve inside the root. */
        snprintf(p, sizeof(p), "%s/root/etc/escape", top);
        assert_int_equal(symlink("/../../../../etc/app.conf", p), 0);
        /* A FIFO must never be opened for reading (it would block). */
        snprintf(p, sizeof(p), "%s/root/etc/fifo", top);
        assert_int_equal(mkfifo(p, 0644), 0);
        /* A file over the 8 MiB read cap. */
        snprintf(p, sizeof(p), "%s/root/etc/huge", top);
        assert_int_equal(truncate(p, 0) == 0 || errno == ENOENT, 1);
        {
                int fd = open(p, O_WRONLY | O_CREAT, 0644);
                assert_true(fd >= 0);
                assert_int_equal(ftruncate(fd, 9 * 1024 * 1024), 0);
                close(fd);
        }
        snprintf(good_root, sizeof(good_root), "%s/good", top);
        snprintf(bad_root, sizeof(bad_root), "%s/bad", top);
        snprintf(cmd, sizeof(cmd),
                 "sh '%s/baseline/roots/prepare.sh' good '%s' && sh "
                 "'%s/baseline/roots/prepare.sh' bad '%s'",
                 fx, good_root, fx, bad_root);
        assert_int_equal(system(cmd), 0);
        return 0;
}

static int teardown(void **state)
{
        char cmd[700];
        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
        return system(cmd) == 0 ? 0 : -1;
}

/* Evaluate the one check in a policy made of CONDITION and RULES (a YAML
 * flow list) against ROOT. */
static eval_result_t check_in(const char *root_path, bool host, const char *extra,
                              const char *condition, const char *rules, eval_outcome_t *out)
{
        char text[4096];
        policy_t *p = NULL;
        strv_t d = { 0 };
        rootfs_t *root = NULL;
        eval_ctx_t ctx;
        eval_outcome_t o;
        int rc;

        snprintf(text, sizeof(text),
                 "policy: {id: t, name: t, regex_type: pcre2}\n"
                 "checks:\n  - id: 1\n    title: t\n%s    condition: %s\n    rules: %s\n",
                 extra ? extra : "", condition, rules);
        rc = policy_load(text, strlen(text), "t.yml", &p, &d);
        if (rc != 0 || d.n)
                fail_msg("policy did not load: %s", d.n ? d.v[0] : "?");
        assert_int_equal(rootfs_open(host ? "/" : root_path, &root), 0);
        eval_ctx_init(&ctx, root);
        ctx.allow_commands = true;
        assert_int_equal(eval_check(&ctx, &p->checks[0], &o), 0);
        eval_ctx_clear(&ctx);
        rootfs_free(root);
        policy_free(p);
        strv_clear(&d);
        if (out)
                *out = o;
        else
                eval_outcome_clear(&o);
        return o.result;
}

static eval_result_t chk(const char *condition, const char *rules)
{
        char root[700];
        snprintf(root, sizeof(root), "%s/root", top);
        return check_in(root, false, NULL, condition, rules, NULL);
}

#define PASSED EVAL_PASSED
#define FAILED EVAL_FAILED
#define NA     EVAL_NOT_APPLICABLE

static void test_file_rules(void **state)
{
        eval_outcome_t o;
        char root[700];
        (void)state;
        snprintf(root, sizeof(root), "%s/root", top);

        assert_int_equal(chk("all", "['f:/etc/app.conf']"), PASSED);
        /* existence of a missing file: not found */
        assert_int_equal(chk("all", "['f:/etc/missing']"), FAILED);
        assert_int_equal(chk("none", "['f:/etc/missing']"), PASSED);
        /* content of a missing file: invalid, so not applicable */
        assert_int_equal(chk("all", "['f:/etc/missing -> r:x']"), NA);
        assert_int_equal(chk("none", "['f:/etc/missing -> r:x']"), NA);
        /* a directory is not a regular file: invalid */
        assert_int_equal(chk("all", "['f:/etc/conf.d']"), NA);
        /* content, line by line; CR before LF is not part of the line */
        assert_int_equal(chk("all", "['f:/etc/app.conf -> r:^Port\\s+2222$']"), PASSED);
        assert_int_equal(chk("all", "['f:/etc/app.conf -> MaxAuthTries 3']"), PASSED);
        assert_int_equal(chk("all", "['f:/etc/app.conf -> r:^last line no newline$']"), PASSED);
        assert_int_equal(chk("all", "['f:/etc/app.conf -> n:^MaxAuthTries (\\d+) compare <= 4']"),
                         PASSED);
        assert_int_equal(chk("all", "['f:/etc/app.conf -> r:^Port 22$']"), FAILED);
        /* a list: the first file that matches decides */
        assert_int_equal(chk("all", "['f:/etc/app.conf,/etc/other.conf -> r:^Port 22$']"), PASSED);
        /* a missing file in the list makes it invalid unless another matches */
        assert_int_equal(chk("all", "['f:/etc/missing,/etc/other.conf -> r:^Port 22$']"), PASSED);
        assert_int_equal(chk("all", "['f:/etc/missing,/etc/other.conf -> r:^Nope']"), NA);
        /* ... and with missing: no-match it is just no match */
        assert_int_equal(check_in(root, false, "    missing: no-match\n", "all",
                                  "['f:/etc/missing,/etc/other.conf -> r:^Nope']", NULL),
                         FAILED);
        /* binary content is searched byte-exactly, NULs included */
        assert_int_equal(chk("all", "['f:/etc/binary -> r:needle']"), PASSED);
        /* a FIFO is not a regular file: invalid, and the scan does not hang */
        assert_int_equal(chk("all", "['f:/etc/fifo -> r:x']"), NA);
        assert_int_equal(chk("all", "['d:/etc -> r:^fifo$ -> r:x']"), NA);
        /* a file over the read cap is not read: invalid, with a reason */
        assert_int_equal(check_in(root, false, NULL, "all", "['f:/etc/huge -> r:x']", &o), NA);
        assert_non_null(strstr(o.ev.reason, "larger than 8 MiB"));
        eval_outcome_clear(&o);
        /* a symlink cannot lead out of the root */
        assert_int_equal(
                check_in(root, false, NULL, "all", "['f:/etc/escape -> r:^Port 2222$']", &o),
                PASSED);
        assert_string_equal(o.ev.path, "/etc/escape");
        eval_outcome_clear(&o);
        /* not swaps found and not found */
        assert_int_equal(chk("all", "['not f:/etc/app.conf -> r:^Port 22$']"), PASSED);
        assert_int_equal(chk("all", "['not f:/etc/missing -> r:x']"), NA);
        /* evidence names the file and line that matched */
        assert_int_equal(check_in(root, false, NULL, "none", "['f:/etc/app.conf -> r:^Port']", &o),
                         FAILED);
        assert_int_equal(o.rule, 0);
        assert_string_equal(o.ev.path, "/etc/app.conf");
        assert_int_equal(o.ev.line, 2);
        assert_string_equal(o.ev.text, "Port 2222");
        eval_outcome_clear(&o);
}

static void test_dir_rules(void **state)
{
        eval_outcome_t o;
        char root[700];
        (void)state;
        snprintf(root, sizeof(root), "%s/root", top);

        assert_int_equal(chk("all", "['d:/etc/conf.d']"), PASSED);
        assert_int_equal(chk("all", "['d:/etc/nodir']"), FAILED);
        assert_int_equal(chk("all", "['d:/etc/app.conf']"), NA);
        /* recursive, name filtered */
        assert_int_equal(check_in(root, false, NULL, "all",
                                  "['d:/etc/conf.d -> r:\\.conf$ -> r:= deep$']", &o),
                         PASSED);
        assert_string_equal(o.ev.path, "/etc/conf.d/sub/20-b.conf");
        eval_outcome_clear(&o);
        assert_int_equal(chk("all", "['d:/etc/conf.d -> r:\\.conf$ -> r:= none$']"), FAILED);
        assert_int_equal(chk("all", "['d:/etc/conf.d -> r:\\.conf$']"), PASSED);
        assert_int_equal(chk("all", "['d:/etc/empty.d -> r:\\.conf$']"), FAILED);
        /* a plain name is a substring (OS_Match) */
        assert_int_equal(chk("all", "['d:/etc/conf.d -> skip -> r:deep']"), PASSED);
        /* a missing directory with a name test: invalid */
        assert_int_equal(chk("all", "['d:/etc/nodir -> r:x']"), NA);
}

static void test_conditions(void **state)
{
        (void)state;
        const char *T = "'f:/etc/app.conf'", *F = "'f:/etc/missing'",
                   *I = "'f:/etc/missing -> r:x'";
        char r[256];
#define RULES(fmt, a, b) (snprintf(r, sizeof(r), "[" fmt "]", a, b), r)
        assert_int_equal(chk("all", RULES("%s, %s", T, T)), PASSED);
        assert_int_equal(chk("all", RULES("%s, %s", T, F)), FAILED);
        assert_int_equal(chk("all", RULES("%s, %s", I, T)), NA);
        assert_int_equal(chk("all", RULES("%s, %s", I, F)), FAILED); /* false wins over invalid */
        assert_int_equal(chk("any", RULES("%s, %s", F, T)), PASSED);
        assert_int_equal(chk("any", RULES("%s, %s", F, F)), FAILED);
        assert_int_equal(chk("any", RULES("%s, %s", I, F)), NA);
        assert_int_equal(chk("any", RULES("%s, %s", I, T)), PASSED); /* true wins over invalid */
        assert_int_equal(chk("none", RULES("%s, %s", F, F)), PASSED);
        assert_int_equal(chk("none", RULES("%s, %s", F, T)), FAILED);
        assert_int_equal(chk("none", RULES("%s, %s", I, F)), NA);
        assert_int_equal(chk("none", RULES("%s, %s", I, T)), FAILED);
#undef RULES
}

static void test_commands_processes_registry(void **state)
{
        eval_outcome_t o;
        char root[700];
        (void)state;
        snprintf(root, sizeof(root), "%s/root", top);

        /* In --root mode, commands and processes cannot be evaluated. */
        assert_int_equal(check_in(root, false, NULL, "all", "['c:echo hi -> r:^hi$']", &o), NA);
        assert_non_null(strstr(o.ev.reason, "--root"));
        eval_outcome_clear(&o);
        assert_int_equal(check_in(root, false, NULL, "all", "['p:init']", &o), NA);
        assert_non_null(strstr(o.ev.reason, "process list"));
        eval_outcome_clear(&o);
        /* On the host they run. */
        assert_int_equal(check_in(NULL, true, NULL, "all", "['c:echo hi -> r:^hi$']", NULL),
                         PASSED);
        assert_int_equal(check_in(NULL, true, NULL, "all", "['c:echo $(id) -> $(id)']", NULL),
                         PASSED);
        assert_int_equal(check_in(NULL, true, NULL, "all", "['c:echo hi -> r:^ho$']", NULL),
                         FAILED);
        assert_int_equal(check_in(NULL, true, NULL, "all", "['c:no-such-cmd-vigil -> r:x']", &o),
                         NA);
        assert_non_null(strstr(o.ev.reason, "no such program"));
        eval_outcome_clear(&o);
        /* This test program is running; a made-up name is not. */
        assert_int_equal(check_in(NULL, true, NULL, "all", "['p:r:test_baseline_eval']", NULL),
                         PASSED);
        assert_int_equal(check_in(NULL, true, NULL, "all", "['p:no-such-process-vigil']", NULL),
                         FAILED);
        assert_int_equal(chk("all", "['r:HKLM\\\\SOFTWARE -> x -> y']"), NA);
}

static void test_commands_not_allowed(void **state)
{
        static const char text[] = "policy: {id: t, name: t}\n"
                                   "checks:\n  - id: 1\n    title: t\n    condition: all\n"
                                   "    rules: ['c:echo hi -> r:hi']\n";
        policy_t *p;
        strv_t d = { 0 };
        rootfs_t *root;
        eval_ctx_t ctx;
        eval_outcome_t o;
        (void)state;

        assert_int_equal(policy_load(text, strlen(text), "t.yml", &p, &d), 0);
        assert_int_equal(rootfs_open("/", &root), 0);
        eval_ctx_init(&ctx, root);
        assert_int_equal(eval_check(&ctx, &p->checks[0], &o), 0);
        assert_int_equal(o.result, NA);
        assert_non_null(strstr(o.ev.reason, "allow_commands"));
        assert_int_equal(ctx.commands_run, 0);
        eval_outcome_clear(&o);
        eval_ctx_clear(&ctx);
        rootfs_free(root);
        policy_free(p);
}

static void test_stat_sysctl(void **state)
{
        char root[700];
        eval_outcome_t o;
        (void)state;
        snprintf(root, sizeof(root), "%s/root/etc/app.conf", top);
        assert_int_equal(chmod(root, 0640), 0);
        assert_int_equal(chk("all", "['stat:/etc/app.conf -> mode <= 0640']"), PASSED);
        assert_int_equal(chk("all", "['stat:/etc/app.conf -> mode <= 0600']"), FAILED);
        /* bits, not numbers: 0640 is not within 0604 */
        assert_int_equal(chk("all", "['stat:/etc/app.conf -> mode <= 0604']"), FAILED);
        assert_int_equal(chk("all", "['stat:/etc/app.conf -> mode >= 0600']"), PASSED);
        assert_int_equal(chk("all", "['stat:/etc/app.conf -> mode == 0640']"), PASSED);
        assert_int_equal(chk("all", "['stat:/etc/missing -> mode <= 0640']"), NA);
        /* every existing path must pass; missing ones are skipped */
        assert_int_equal(chk("all", "['stat:/etc/missing,/etc/app.conf -> mode <= 0644']"), PASSED);
        snprintf(root, sizeof(root), "%s/root", top);
        assert_int_equal(
                check_in(root, false, NULL, "all", "['stat:/etc/app.conf -> !mode <= 0600']", &o),
                PASSED);
        assert_non_null(o.ev.text);
        assert_true(strncmp(o.ev.text, "mode 0640 uid", 13) == 0);
        eval_outcome_clear(&o);
        if (geteuid() == 0) {
                assert_int_equal(chk("all", "['stat:/etc/app.conf -> uid == 0']"), PASSED);
                /* no /etc/passwd in this root: the owner's name is "0" */
                assert_int_equal(chk("all", "['stat:/etc/app.conf -> user == root']"), FAILED);
                assert_int_equal(chk("all", "['stat:/etc/app.conf -> user == 0']"), PASSED);
        }
        /* sysctl on the host reads /proc/sys */
        assert_int_equal(check_in(NULL, true, NULL, "all", "['sysctl:kernel.ostype -> Linux']", &o),
                         PASSED);
        assert_string_equal(o.ev.path, "/proc/sys/kernel/ostype");
        eval_outcome_clear(&o);
        assert_int_equal(check_in(NULL, true, NULL, "all",
                                  "['sysctl:kernel.no_such_parameter_vigil -> r:x']", NULL),
                         NA);
        /* in an image: the configured value, /etc/sysctl.conf last */
        assert_int_equal(check_in(bad_root, false, NULL, "all",
                                  "['sysctl:net.ipv4.ip_forward -> r:^1$']", &o),
                         PASSED);
        assert_string_equal(o.ev.path, "/etc/sysctl.conf:1");
        eval_outcome_clear(&o);
        assert_int_equal(check_in(good_root, false, NULL, "all",
                                  "['sysctl:net.ipv4.conf.default.send_redirects -> r:^0$']", &o),
                         PASSED);
        assert_string_equal(o.ev.path, "/etc/sysctl.d/60-hardening.conf:6");
        eval_outcome_clear(&o);
        /* not set in an image: no value, so no match */
        assert_int_equal(
                check_in(good_root, false, NULL, "all", "['sysctl:vm.swappiness -> r:.']", NULL),
                FAILED);
}

static void test_sshd_effective(void **state)
{
        eval_outcome_t o;
        (void)state;
        /* The drop-in is included first: its value wins over the main file. */
        assert_int_equal(
                check_in(good_root, false, NULL, "all", "['sshd:X11Forwarding -> r:^no$']", &o),
                PASSED);
        eval_outcome_clear(&o);
        assert_int_equal(
                check_in(bad_root, false, NULL, "all", "['sshd:permitrootlogin -> r:^no$']", &o),
                FAILED);
        assert_string_equal(o.ev.path, "/etc/ssh/sshd_config.d/50-cloud-init.conf");
        assert_int_equal(o.ev.line, 2);
        eval_outcome_clear(&o);
        /* Settings under Match are not global. */
        assert_int_equal(check_in(good_root, false, NULL, "all",
                                  "['sshd:PasswordAuthentication -> r:^no$']", NULL),
                         PASSED);
        /* Not set anywhere: OpenSSH's default. */
        assert_int_equal(
                check_in(good_root, false, NULL, "all", "['sshd:LoginGraceTime -> r:^120$']", &o),
                PASSED);
        assert_non_null(strstr(o.ev.text, "default"));
        eval_outcome_clear(&o);
        /* No sshd_config at all: not applicable. */
        char root[700];
        snprintf(root, sizeof(root), "%s/root", top);
        assert_int_equal(check_in(root, false, NULL, "all", "['sshd:PermitRootLogin -> no']", NULL),
                         NA);
}

/* Every check of the shipped policy on both fixture roots. */
static void run_shipped(const char *root_path, eval_result_t want)
{
        const char *fx = getenv("VIGIL_FIXTURES");
        char path[1024], *data;
        policy_t *p;
        strv_t d = { 0 };
        rootfs_t *root;
        eval_ctx_t ctx;
        size_t n;
        FILE *f;

        snprintf(path, sizeof(path), "%s/../../rules/policies/vigil-linux.yml", fx);
        f = fopen(path, "r");
        assert_non_null(f);
        data = malloc(1 << 20);
        n = fread(data, 1, 1 << 20, f);
        fclose(f);
        assert_int_equal(policy_load(data, n, path, &p, &d), 0);
        assert_int_equal(rootfs_open(root_path, &root), 0);
        eval_ctx_init(&ctx, root);
        eval_outcome_t o;
        assert_int_equal(eval_check(&ctx, &p->requirements, &o), 0);
        assert_int_equal(o.result, PASSED);
        eval_outcome_clear(&o);
        for (size_t i = 0; i < p->n_checks; i++) {
                const policy_check_t *c = &p->checks[i];
                bool ownership = strncmp(c->id, "perm-", 5) == 0 ||
                                 strcmp(c->id, "ssh-config-permissions") == 0;
                assert_int_equal(eval_check(&ctx, c, &o), 0);
                if (ownership && geteuid() != 0 && want == PASSED) {
                        /* uid/gid tests need the files owned by root. */
                        eval_outcome_clear(&o);
                        continue;
                }
                if (o.result != want)
                        fail_msg("%s: check %s is %s, wanted %s (rule %ld, %s, %s)", root_path,
                                 c->id, eval_result_name(o.result), eval_result_name(want), o.rule,
                                 o.ev.path ? o.ev.path : "-",
                                 o.ev.reason ? o.ev.reason
                                 : o.ev.text ? o.ev.text
                                             : "-");
                eval_outcome_clear(&o);
        }
        assert_true(p->n_checks >= 40);
        eval_ctx_clear(&ctx);
        rootfs_free(root);
        policy_free(p);
        strv_clear(&d);
        free(data);
}

static void test_shipped_good(void **state)
{
        (void)state;
        run_shipped(good_root, PASSED);
}

static void test_shipped_bad(void **state)
{
        (void)state;
        run_shipped(bad_root, FAILED);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_file_rules),
                cmocka_unit_test(test_dir_rules),
                cmocka_unit_test(test_conditions),
                cmocka_unit_test(test_commands_processes_registry),
                cmocka_unit_test(test_commands_not_allowed),
                cmocka_unit_test(test_stat_sysctl),
                cmocka_unit_test(test_sshd_effective),
                cmocka_unit_test(test_shipped_good),
                cmocka_unit_test(test_shipped_bad),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
