/* Unit tests for agent/schedule and agent/aconf: parsing the scan schedule
 * and the agent's settings, and the time arithmetic of due scans. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/aconf.h"
#include "agent/schedule.h"

static config_t *cfg(const char *yaml)
{
        char path[] = "/tmp/vigil-sched.XXXXXX";
        int fd = mkstemp(path);
        config_t *c = NULL;
        _cleanup_free_ char *err = NULL;

        assert_true(fd >= 0);
        assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
        close(fd);
        assert_int_equal(config_load(path, true, &c, &err), 0);
        unlink(path);
        return c;
}

static void test_parse(void **state)
{
        int64_t s;
        int a, b;

        (void)state;
        assert_int_equal(schedule_parse_every("90", &s), 0);
        assert_int_equal(s, 90);
        assert_int_equal(schedule_parse_every("3s", &s), 0);
        assert_int_equal(s, 3);
        assert_int_equal(schedule_parse_every("10m", &s), 0);
        assert_int_equal(s, 600);
        assert_int_equal(schedule_parse_every("2d", &s), 0);
        assert_int_equal(s, 172800);
        assert_int_equal(schedule_parse_every("1w", &s), 0);
        assert_int_equal(schedule_parse_every("0s", &s), -EINVAL);
        assert_int_equal(schedule_parse_every("", &s), -EINVAL);
        assert_int_equal(schedule_parse_every("2x", &s), -EINVAL);
        assert_int_equal(schedule_parse_every("-1d", &s), -EINVAL);
        assert_int_equal(schedule_parse_every("400d", &s), -EINVAL);
        assert_int_equal(schedule_parse_every("99999999999999999999", &s), -EINVAL);
        assert_int_equal(schedule_parse_window("00:00-06:00", &a, &b), 0);
        assert_int_equal(a, 0);
        assert_int_equal(b, 360);
        assert_int_equal(schedule_parse_window("22:30-24:00", &a, &b), 0);
        assert_int_equal(a, 1350);
        assert_int_equal(b, 0);
        assert_int_equal(schedule_parse_window("06:00-06:00", &a, &b), -EINVAL);
        assert_int_equal(schedule_parse_window("6:00-07:00", &a, &b), -EINVAL);
        assert_int_equal(schedule_parse_window("06:60-07:00", &a, &b), -EINVAL);
        assert_int_equal(schedule_parse_window("06:00", &a, &b), -EINVAL);
}

static void test_load(void **state)
{
        schedule_t s;
        char *err = NULL;
        config_t *c;

        (void)state;
        c = cfg("{}\n");
        assert_int_equal(schedule_load(c, &s, &err), 0);
        assert_int_equal(s.n, 1);
        assert_string_equal(s.v[0].key, "baseline/172800s/00:00-06:00");
        schedule_clear(&s);
        config_free(c);

        c = cfg("agent:\n  scans: []\n");
        assert_int_equal(schedule_load(c, &s, &err), 0);
        assert_int_equal(s.n, 0);
        schedule_clear(&s);
        config_free(c);

        c = cfg("agent:\n  scans:\n    - only: [baseline, vulnerability]\n      every: 3s\n"
                "    - only: all\n      every: 1d\n      window: \"22:00-02:00\"\n");
        assert_int_equal(schedule_load(c, &s, &err), 0);
        assert_int_equal(s.n, 2);
        /* In the registry's order, whatever the order given. */
        assert_string_equal(s.v[0].key, "baseline,vulnerability/3s");
        assert_true(s.v[1].only.n >= 6);
        assert_true(s.v[1].has_window);
        schedule_clear(&s);
        config_free(c);

        c = cfg("agent:\n  scans:\n    - only: [nosuch]\n      every: 1d\n");
        assert_int_equal(schedule_load(c, &s, &err), -EINVAL);
        assert_non_null(strstr(err, "unknown scanner 'nosuch'"));
        free(err);
        err = NULL;
        config_free(c);
        c = cfg("agent:\n  scans:\n    - only: baseline\n      every: soon\n");
        assert_int_equal(schedule_load(c, &s, &err), -EINVAL);
        assert_non_null(strstr(err, "agent.scans[0].every"));
        free(err);
        err = NULL;
        config_free(c);
        c = cfg("agent:\n  scans:\n    - only: baseline\n      every: 1d\n      at: 3\n");
        assert_int_equal(schedule_load(c, &s, &err), -EINVAL);
        assert_non_null(strstr(err, "unknown key 'at'"));
        free(err);
        config_free(c);
}

/* 2026-11-26 at HH:MM UTC. */
static int64_t at(int day, int h, int m)
{
        return 1795651200LL + (day - 26) * 86400LL + h * 3600LL + m * 60LL;
}

static void test_due(void **state)
{
        schedule_entry_t e = {
                .every = 2 * 86400, .has_window = true, .win_start = 0, .win_end = 360
        };
        schedule_entry_t n = { .every = 3 };

        (void)state;
        /* The helper's epoch is right. */
        {
                time_t t = (time_t)at(26, 0, 0);
                struct tm tm;
                gmtime_r(&t, &tm);
                assert_int_equal(tm.tm_mday, 26);
                assert_int_equal(tm.tm_hour, 0);
        }
        /* Never ran: now, when inside the window; else the next window. */
        assert_int_equal(schedule_next_due(&e, 0, at(26, 3, 0)), at(26, 3, 0));
        assert_int_equal(schedule_next_due(&e, 0, at(26, 12, 0)), at(27, 0, 0));
        /* Ran at 01:00 on the 26th: due at 01:00 on the 28th. */
        assert_int_equal(schedule_next_due(&e, at(26, 1, 0), at(26, 2, 0)), at(28, 1, 0));
        /* Overdue and outside the window: the next window. */
        assert_int_equal(schedule_next_due(&e, at(20, 1, 0), at(26, 7, 0)), at(27, 0, 0));
        /* Overdue inside the window: now. */
        assert_int_equal(schedule_next_due(&e, at(20, 1, 0), at(26, 5, 59)), at(26, 5, 59));
        /* A window over midnight. */
        e.win_start = 22 * 60;
        e.win_end = 2 * 60;
        assert_true(schedule_in_window(&e, 23 * 60));
        assert_true(schedule_in_window(&e, 60));
        assert_false(schedule_in_window(&e, 2 * 60));
        assert_false(schedule_in_window(&e, 12 * 60));
        assert_int_equal(schedule_next_due(&e, 0, at(26, 12, 0)), at(26, 22, 0));
        assert_int_equal(schedule_next_due(&e, 0, at(26, 1, 0)), at(26, 1, 0));
        /* No window. */
        assert_int_equal(schedule_next_due(&n, 0, 100), 100);
        assert_int_equal(schedule_next_due(&n, 100, 101), 103);
        assert_int_equal(schedule_next_due(&n, 100, 200), 200);
}

static void test_aconf(void **state)
{
        char root[] = "/tmp/vigil-aconf.XXXXXX";
        agent_config_t ac;
        char *err = NULL, cmd[256];
        config_t *c;

        (void)state;
        assert_non_null(mkdtemp(root));
        snprintf(cmd, sizeof(cmd), "mkdir -p %s/var/log && touch %s/var/log/secure", root, root);
        assert_int_equal(system(cmd), 0);

        /* Defaults: the syslog auth files that exist; no journal then. */
        c = cfg("{}\n");
        assert_int_equal(agent_config_load(c, root, &ac, &err), 0);
        assert_int_equal(ac.n_logs, 1);
        assert_non_null(strstr(ac.logs[0].path, "/var/log/secure"));
        assert_false(ac.journal);
        assert_int_equal(ac.start, TAIL_START_END);
        assert_int_equal(ac.poll_us, 2000000);
        assert_int_equal(ac.batch, 1024 * 1024);
        assert_true(ac.netattack);
        assert_int_equal(ac.scans.n, 1);
        agent_config_clear(&ac);
        config_free(c);

        c = cfg("agent:\n  default_logs: false\n  utmp: true\n  start_at: beginning\n"
                "  poll_interval: 250ms\n  output: /tmp/x.jsonl\n"
                "  logs:\n    - {path: /srv/sshd.log, service: sshd}\n"
                "    - /var/log/vsftpd.log\n");
        assert_int_equal(agent_config_load(c, root, &ac, &err), 0);
        assert_int_equal(ac.n_logs, 4);
        assert_string_equal(ac.logs[0].service, "sshd");
        assert_null(ac.logs[1].service);
        assert_int_equal(ac.logs[2].format, AGENT_LOG_BTMP);
        assert_int_equal(ac.logs[3].format, AGENT_LOG_WTMP);
        /* No syslog auth file: the journal is read. */
        assert_true(ac.journal);
        assert_int_equal(ac.start, TAIL_START_BEGINNING);
        assert_int_equal(ac.poll_us, 250000);
        assert_string_equal(ac.output, "/tmp/x.jsonl");
        agent_config_clear(&ac);
        config_free(c);

        c = cfg("agent:\n  logs:\n    - {path: relative.log}\n");
        assert_int_equal(agent_config_load(c, root, &ac, &err), -EINVAL);
        assert_non_null(strstr(err, "agent.logs[0]"));
        free(err);
        err = NULL;
        config_free(c);
        c = cfg("agent:\n  logs:\n    - {path: /x, service: \"a b\"}\n");
        assert_int_equal(agent_config_load(c, root, &ac, &err), -EINVAL);
        free(err);
        err = NULL;
        config_free(c);
        /* A journal directory asks for the journal even with auth files. */
        c = cfg("agent:\n  journal_dir: /srv/journal\n");
        assert_int_equal(agent_config_load(c, root, &ac, &err), 0);
        assert_true(ac.journal);
        assert_string_equal(ac.journal_dir, "/srv/journal");
        agent_config_clear(&ac);
        config_free(c);
        c = cfg("agent:\n  journal_dir: relative\n");
        assert_int_equal(agent_config_load(c, root, &ac, &err), -EINVAL);
        free(err);
        err = NULL;
        config_free(c);
        c = cfg("agent:\n  journal: maybe\n");
        assert_int_equal(agent_config_load(c, root, &ac, &err), -EINVAL);
        free(err);
        err = NULL;
        config_free(c);
        c = cfg("agent:\n  poll_interval: 5ms\n");
        assert_int_equal(agent_config_load(c, root, &ac, &err), -EINVAL);
        free(err);
        config_free(c);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
        assert_int_equal(system(cmd), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_load),
                cmocka_unit_test(test_due),
                cmocka_unit_test(test_aconf),
        };
        setenv("TZ", "UTC", 1);
        tzset();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
