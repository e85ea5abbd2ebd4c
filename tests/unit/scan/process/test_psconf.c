/* Unit tests for scan/process/psconf: defaults without a configuration,
 * every key read from a real YAML file, values of the wrong type falling
 * back to their default with a warning note, and allowlist matching by
 * path, directory and name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pstest.h"
#include "scan/process/psconf.h"

static config_t *load(const char *yaml)
{
        char path[] = "/tmp/vigil-psconf-XXXXXX";
        int fd = mkstemp(path);
        config_t *c = NULL;
        char *err = NULL;

        assert_true(fd >= 0);
        assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
        close(fd);
        assert_int_equal(config_load(path, true, &c, &err), 0);
        unlink(path);
        return c;
}

static void test_defaults(void **state)
{
        psconf_t c = { 0 };
        report_t *r = report_new("h", "/");

        (void)state;
        assert_int_equal(psconf_load(NULL, r, &c), 0);
        assert_int_equal(r->n_notes, 0);
        assert_int_equal(c.tmp_dirs.n, 3);
        assert_true(strv_contains(&c.tmp_dirs, "/dev/shm"));
        assert_true(psconf_is_pool_port(&c, 3333));
        assert_true(psconf_is_pool_port(&c, 14444));
        assert_false(psconf_is_pool_port(&c, 443));
        assert_true(c.miner_yara && c.hidden && c.persistence && c.listening_ports && c.all_netns);
        assert_false(c.kill);
        assert_false(c.rs_ignore_loopback);
        assert_int_equal(c.probe_window, -1);
        assert_null(c.ld_preload_file);
        psconf_done(&c);
        report_free(r);
}

static void test_values(void **state)
{
        config_t *cfg = load("process:\n"
                             "  allowlist: [/opt/app/, backupd, /usr/bin/rsync]\n"
                             "  tmp_dirs: [/scratch/, relative]\n"
                             "  all_netns: false\n"
                             "  reverse_shell: {ignore_loopback: true, interpreters: [tclkit]}\n"
                             "  miner: {pool_ports: [1234, 70000, x], yara: false}\n"
                             "  hidden: {enabled: false, probe_window: 100}\n"
                             "  ld_preload_file: /srv/preload\n"
                             "  ld_preload_allow: [/usr/lib/libfoo.so]\n"
                             "  persistence: false\n"
                             "  listening_ports: no\n"
                             "  response: {kill: true, allowlist: [sshd]}\n");
        psconf_t c = { 0 };
        report_t *r = report_new("h", "/");

        (void)state;
        assert_int_equal(psconf_load(cfg, r, &c), 0);
        assert_int_equal(c.tmp_dirs.n, 1);
        assert_string_equal(c.tmp_dirs.v[0], "/scratch");
        assert_false(c.all_netns);
        assert_true(c.rs_ignore_loopback);
        assert_true(strv_contains(&c.interpreters, "tclkit"));
        assert_int_equal(c.n_pool_ports, 1);
        assert_true(psconf_is_pool_port(&c, 1234));
        assert_false(psconf_is_pool_port(&c, 3333));
        assert_false(c.miner_yara || c.hidden || c.persistence || c.listening_ports);
        assert_int_equal(c.probe_window, 100);
        assert_string_equal(c.ld_preload_file, "/srv/preload");
        assert_true(c.kill);
        assert_true(psconf_listed(&c.kill_allowlist, "/usr/sbin/sshd", "sshd"));
        /* relative tmp dir, two bad ports: three warnings */
        assert_int_equal(r->n_notes, 3);

        assert_true(psconf_listed(&c.allowlist, "/opt/app/bin/worker", "worker"));
        assert_true(psconf_listed(&c.allowlist, "/usr/bin/rsync", "rsync"));
        assert_false(psconf_listed(&c.allowlist, "/usr/bin/rsync2", "rsync2"));
        assert_true(psconf_listed(&c.allowlist, "/usr/local/bin/backupd", "other"));
        assert_true(psconf_listed(&c.allowlist, NULL, "backupd"));
        assert_false(psconf_listed(&c.allowlist, "/opt/application/x", "x"));
        assert_false(psconf_listed(&c.allowlist, NULL, NULL));
        psconf_done(&c);
        report_free(r);
        config_free(cfg);
}

static void test_bad_types(void **state)
{
        config_t *cfg = load("process:\n"
                             "  allowlist: 5\n"
                             "  all_netns: maybe\n"
                             "  miner: {pool_ports: {a: 1}}\n"
                             "  hidden: {probe_window: -3}\n"
                             "  ld_preload_file: relative/path\n");
        psconf_t c = { 0 };
        report_t *r = report_new("h", "/");

        (void)state;
        assert_int_equal(psconf_load(cfg, r, &c), 0);
        assert_int_equal(r->n_notes, 5);
        assert_true(c.all_netns);
        assert_true(psconf_is_pool_port(&c, 3333));
        assert_int_equal(c.probe_window, -1);
        assert_null(c.ld_preload_file);
        assert_int_equal(c.allowlist.n, 0);
        psconf_done(&c);
        report_free(r);
        config_free(cfg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_values),
                cmocka_unit_test(test_bad_types),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
