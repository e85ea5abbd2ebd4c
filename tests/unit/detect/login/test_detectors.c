/* The login detectors' rules over synthetic event streams: thresholds at
 * N-1 and N, sliding windows, cool-down and follow-ups, the counting rules
 * (connections, publickey grace), spraying both ways, login after brute
 * force, the abnormal-login baseline, root password logins, private
 * addresses, the memory caps and persistence across a restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <unistd.h>

#include "core/timeutil.h"
#include "dettest.h"

#define BF_CONF(extra)                                                                             \
        "{\"login\": {\"bruteforce\": {\"failures\": 5, \"window\": \"2m\"}" extra "}}"

static const char *const ATTACKER = "45.33.32.156";

static void bf_threshold_exact(void **state)
{
        dt_t t = { 0 };
        alert_t *a;

        assert_int_equal(dt_start(&t, BF_CONF(", \"spray\": {\"accounts\": 0}"), NULL), 0);
        for (int i = 0; i < 4; i++)
                assert_int_equal(dt_fail(&t, "root", ATTACKER, i * 10), 0);
        assert_int_equal(login_detectors_flush(t.d), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 0);
        assert_int_equal(dt_fail(&t, "admin", ATTACKER, 40), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 1);
        a = dt_last(&t.alerts, "login.brute_force");
        assert_int_equal(a->type, ALERT_ABNORMAL_LOGIN);
        assert_int_equal(a->level, ALERT_SUSPICIOUS);
        assert_string_equal(a->host, "testhost");
        assert_string_equal(a->subject, ATTACKER);
        assert_int_equal(a->time_us, DT_SEC(40));
        assert_string_equal(dt_ev_str(a, "src"), ATTACKER);
        assert_string_equal(dt_ev_str(a, "service"), "sshd");
        assert_int_equal(dt_ev_int(a, "count"), 5);
        assert_int_equal(dt_ev_int(a, "window"), 120);
        assert_string_equal(dt_ev_str(a, "first_time"), "2026-11-26T10:00:00Z");
        assert_string_equal(dt_ev_str(a, "last_time"), "2026-11-26T10:00:40Z");
        assert_string_equal(dt_ev_str(a, "method"), "password");
        assert_string_equal(dt_ev_str(a, "file"), "test.log");
        assert_int_equal(dt_ev_int(a, "line"), 41);
        assert_int_equal(json_array_size(json_object_get(a->evidence, "users")), 2);
        assert_string_equal(a->title,
                            "Brute force against sshd from 45.33.32.156: 5 failed logins in 40 s");
        assert_non_null(strstr(a->remediation,
                               "nft add element inet vigil blocked4 { 45.33.32.156 timeout 12h }"));
        dt_end(&t);
}

static void bf_window_slides(void **state)
{
        dt_t t = { 0 };

        assert_int_equal(dt_start(&t, BF_CONF(", \"spray\": {\"accounts\": 0}"), NULL), 0);
        /* One failure every 31 s: any 5 span 124 s > 2 min. */
        for (int i = 0; i < 20; i++)
                assert_int_equal(dt_fail(&t, "root", ATTACKER, i * 31), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 0);
        /* Every 30 s: 5 span exactly 2 min, which is within. */
        for (int i = 0; i < 4; i++)
                assert_int_equal(dt_fail(&t, "root", ATTACKER, 19 * 31 + 30 * (i + 1)), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 1);
        /* The episode counts every failure since the first. */
        assert_int_equal(dt_ev_int(dt_last(&t.alerts, "login.brute_force"), "count"), 24);
        dt_end(&t);
}

static void bf_out_of_order(void **state)
{
        dt_t t = { 0 };
        int secs[] = { 50, 10, 40, 20, 30 };

        assert_int_equal(dt_start(&t, BF_CONF(", \"spray\": {\"accounts\": 0}"), NULL), 0);
        for (size_t i = 0; i < ELEMENTSOF(secs); i++)
                assert_int_equal(dt_fail(&t, "root", ATTACKER, secs[i]), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 1);
        assert_string_equal(dt_ev_str(dt_last(&t.alerts, "login.brute_force"), "first_time"),
                            "2026-11-26T10:00:10Z");
        dt_end(&t);
}

static void bf_cooldown_and_followup(void **state)
{
        dt_t t = { 0 };
        alert_t *a;
        int s = 0;

        assert_int_equal(dt_start(&t,
                                  BF_CONF(", \"spray\": {\"accounts\": 0},"
                                          "\"bruteforce\": {\"failures\": 5, \"window\": \"2m\","
                                          " \"cooldown\": \"10m\", \"followup_factor\": 10}"),
                                  NULL),
                         0);
        /* 49 failures: one alert. */
        for (int i = 0; i < 49; i++, s += 5)
                assert_int_equal(dt_fail(&t, "root", ATTACKER, s), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 1);
        /* The 50th is 10 times the first alert's count: a follow-up. */
        assert_int_equal(dt_fail(&t, "root", ATTACKER, s), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 2);
        a = dt_last(&t.alerts, "login.brute_force");
        assert_int_equal(dt_ev_int(a, "count"), 50);
        assert_int_equal(dt_ev_int(a, "previous_count"), 5);
        assert_true(json_is_true(json_object_get(a->evidence, "follow_up")));
        /* Quiet for 9 min: the same attack. */
        s += 9 * 60;
        for (int i = 0; i < 10; i++, s += 5)
                assert_int_equal(dt_fail(&t, "root", ATTACKER, s), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 2);
        /* Quiet for 11 min: a new attack, a new alert at its 5th failure. */
        s += 11 * 60;
        for (int i = 0; i < 5; i++, s += 5)
                assert_int_equal(dt_fail(&t, "root", ATTACKER, s), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 3);
        assert_int_equal(dt_ev_int(dt_last(&t.alerts, "login.brute_force"), "count"), 5);
        dt_end(&t);
}

static void bf_per_service_and_source(void **state)
{
        dt_t t = { 0 };

        assert_int_equal(dt_start(&t, BF_CONF(", \"spray\": {\"accounts\": 0}"), NULL), 0);
        /* 4 on sshd, 4 on vsftpd, 4 from another source: no alert. */
        for (int i = 0; i < 4; i++) {
                assert_int_equal(dt_fail(&t, "root", ATTACKER, i), 0);
                assert_int_equal(dt_feed(&t, LOGEVENT_AUTH_FAILURE, "vsftpd", "password", "ftp",
                                         ATTACKER, 0, i),
                                 0);
                assert_int_equal(dt_fail(&t, "root", "45.33.32.157", i), 0);
        }
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 0);
        /* The fifth FTP failure: an FTP brute force. */
        assert_int_equal(
                dt_feed(&t, LOGEVENT_AUTH_FAILURE, "vsftpd", "password", "ftp", ATTACKER, 0, 5), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 1);
        assert_string_equal(dt_ev_str(dt_last(&t.alerts, "login.brute_force"), "service"),
                            "vsftpd");
        /* MySQL and PostgreSQL the same way. */
        for (int i = 0; i < 5; i++) {
                assert_int_equal(dt_feed(&t, LOGEVENT_AUTH_FAILURE, "mysql", "password", "root",
                                         ATTACKER, 0, 10 + i),
                                 0);
                assert_int_equal(dt_feed(&t, LOGEVENT_AUTH_FAILURE, "postgres", "scram-sha-256",
                                         "postgres", ATTACKER, 0, 10 + i),
                                 0);
        }
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 3);
        dt_end(&t);
}

/* "Invalid user", then "Failed password for invalid user", then the close,
 * on one connection: one attempt, not three. */
static void bf_counts_connections(void **state)
{
        dt_t t = { 0 };

        assert_int_equal(dt_start(&t, BF_CONF(", \"spray\": {\"accounts\": 0}"), NULL), 0);
        for (int c = 0; c < 5; c++) {
                unsigned port = 41000 + (unsigned)c;
                assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 0);
                assert_int_equal(dt_feed(&t, LOGEVENT_INVALID_USER, "sshd", "", "guest", ATTACKER,
                                         port, c * 3),
                                 0);
                assert_int_equal(dt_feed(&t, LOGEVENT_AUTH_FAILURE, "sshd", "none", "guest",
                                         ATTACKER, port, c * 3),
                                 0);
                assert_int_equal(dt_feed(&t, LOGEVENT_AUTH_FAILURE, "sshd", "password", "guest",
                                         ATTACKER, port, c * 3 + 1),
                                 0);
                assert_int_equal(dt_feed(&t, LOGEVENT_PREAUTH_CLOSE, "sshd", "", "guest", ATTACKER,
                                         port, c * 3 + 2),
                                 0);
        }
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 1);
        assert_int_equal(dt_ev_int(dt_last(&t.alerts, "login.brute_force"), "count"), 5);
        dt_end(&t);
}

/* Three passwords on one connection count three; a connection that only
 * names an account before closing counts one; a bare close counts none. */
static void bf_attempts_and_markers(void **state)
{
        dt_t t = { 0 };
        login_detectors_stats_t st;

        assert_int_equal(dt_start(&t, BF_CONF(", \"spray\": {\"accounts\": 0}"), NULL), 0);
        for (int i = 0; i < 3; i++)
                assert_int_equal(dt_feed(&t, LOGEVENT_AUTH_FAILURE, "sshd", "password", "root",
                                         ATTACKER, 42000, i),
                                 0);
        assert_int_equal(dt_feed(&t, LOGEVENT_MAX_ATTEMPTS, "sshd", "", "root", ATTACKER, 42000, 3),
                         0);
        assert_int_equal(
                dt_feed(&t, LOGEVENT_PREAUTH_CLOSE, "sshd", "", "root", ATTACKER, 42000, 3), 0);
        assert_int_equal(dt_feed(&t, LOGEVENT_PREAUTH_CLOSE, "sshd", "", "", ATTACKER, 42001, 4),
                         0);
        assert_int_equal(
                dt_feed(&t, LOGEVENT_PREAUTH_CLOSE, "sshd", "", "oracle", ATTACKER, 42002, 5), 0);
        login_detectors_stats(t.d, &st);
        assert_int_equal(st.failures, 4);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 0);
        /* sshd's own PAM line is not a second count; vsftpd's is the only one. */
        assert_int_equal(dt_feed(&t, LOGEVENT_PAM_FAILURE, "sshd", "", "root", ATTACKER, 0, 6), 0);
        login_detectors_stats(t.d, &st);
        assert_int_equal(st.failures, 4);
        assert_int_equal(dt_feed(&t, LOGEVENT_PAM_FAILURE, "vsftpd", "", "ftp", ATTACKER, 0, 6), 0);
        login_detectors_stats(t.d, &st);
        assert_int_equal(st.failures, 5);
        /* The fifth sshd failure. */
        assert_int_equal(dt_fail(&t, "root", ATTACKER, 7), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 1);
        dt_end(&t);
}

/* A client offering several keys: the refused ones before a login are not
 * failures; refused keys without a login are, after the grace. */
static void bf_publickey_grace(void **state)
{
        dt_t t = { 0 };
        login_detectors_stats_t st;

        assert_int_equal(dt_start(&t,
                                  BF_CONF(", \"spray\": {\"accounts\": 0},"
                                          "\"after_bruteforce\": {\"failures\": 3}"),
                                  NULL),
                         0);
        for (int i = 0; i < 8; i++)
                assert_int_equal(dt_feed(&t, LOGEVENT_AUTH_FAILURE, "sshd", "publickey", "alice",
                                         ATTACKER, 43000, i),
                                 0);
        assert_int_equal(dt_login(&t, "alice", ATTACKER, "publickey", 9), 0);
        assert_int_equal(login_detectors_flush(t.d), 0);
        login_detectors_stats(t.d, &st);
        assert_int_equal(st.failures, 0);
        assert_int_equal(t.alerts.n, 0);

        /* Same keys refused, no login: counted, the last ones at the end of
         * input. */
        for (int i = 0; i < 8; i++)
                assert_int_equal(dt_feed(&t, LOGEVENT_AUTH_FAILURE, "sshd", "publickey", "bob",
                                         "45.33.32.157", 43001, 100 + i),
                                 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 0);
        assert_int_equal(login_detectors_flush(t.d), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 1);
        /* A refused key counts once its grace (30 s) has passed in log
         * time, without waiting for the end. */
        for (int i = 0; i < 5; i++)
                assert_int_equal(dt_feed(&t, LOGEVENT_AUTH_FAILURE, "sshd", "publickey", "carol",
                                         "45.33.32.158", 43002, 200 + i),
                                 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 1);
        assert_int_equal(dt_fail(&t, "carol", "45.33.32.158", 240), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 2);
        dt_end(&t);
}

/* The parser keeps the address from sshd's fixed suffix; whatever the
 * user name says, the detectors key only by the event's source. */
static void bf_injected_user_names(void **state)
{
        dt_t t = { 0 };

        assert_int_equal(dt_start(&t, BF_CONF(""), NULL), 0);
        for (int i = 0; i < 5; i++)
                assert_int_equal(dt_fail(&t, "x from 6.6.6.6 port 22", "127.0.0.1", i), 0);
        assert_int_equal(dt_login(&t, "x from 6.6.6.6 port 22", "127.0.0.1", "password", 6), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 1);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force_success"), 1);
        for (size_t i = 0; i < t.alerts.n; i++) {
                alert_t *a = t.alerts.v[i];
                const char *src = dt_ev_str(a, "src");
                assert_true(strncmp(a->subject, "6.6.6.6", 7) != 0);
                if (src)
                        assert_string_equal(src, "127.0.0.1");
                assert_null(strstr(a->remediation, "{ 6.6.6.6"));
        }
        /* The remediation quotes the name for the shell. */
        assert_non_null(strstr(dt_last(&t.alerts, "login.brute_force_success")->remediation,
                               "passwd -l 'x from 6.6.6.6 port 22'"));
        dt_end(&t);
}

static void spray_many_accounts(void **state)
{
        dt_t t = { 0 };
        alert_t *a;
        char user[32];

        assert_int_equal(dt_start(&t,
                                  "{\"login\": {\"bruteforce\": {\"failures\": 100},"
                                  " \"spray\": {\"accounts\": 6, \"sources\": 0, \"window\": "
                                  "\"1h\"}}}",
                                  NULL),
                         0);
        /* Five accounts, tried twice each over 50 minutes: no alert. */
        for (int round = 0; round < 2; round++)
                for (int i = 0; i < 5; i++) {
                        snprintf(user, sizeof(user), "user%d", i);
                        assert_int_equal(dt_fail(&t, user, ATTACKER, round * 1500 + i * 60), 0);
                }
        assert_int_equal(dt_count(&t.alerts, "login.password_spray"), 0);
        /* A sixth account within the hour. */
        assert_int_equal(dt_fail(&t, "user5", ATTACKER, 3200), 0);
        assert_int_equal(dt_count(&t.alerts, "login.password_spray"), 1);
        a = dt_last(&t.alerts, "login.password_spray");
        assert_string_equal(dt_ev_str(a, "kind"), "many_accounts");
        assert_int_equal(dt_ev_int(a, "accounts"), 6);
        assert_string_equal(dt_ev_str(a, "src"), ATTACKER);
        /* A seventh: the same spray, no second alert. */
        assert_int_equal(dt_fail(&t, "user6", ATTACKER, 3300), 0);
        assert_int_equal(dt_count(&t.alerts, "login.password_spray"), 1);
        dt_end(&t);
}

static void spray_window_expires(void **state)
{
        dt_t t = { 0 };
        char user[32];

        assert_int_equal(dt_start(&t,
                                  "{\"login\": {\"bruteforce\": {\"failures\": 100},"
                                  " \"spray\": {\"accounts\": 3, \"sources\": 0, \"window\": "
                                  "\"10m\"}}}",
                                  NULL),
                         0);
        /* Three accounts, but never three within 10 minutes. */
        for (int i = 0; i < 6; i++) {
                snprintf(user, sizeof(user), "u%d", i);
                assert_int_equal(dt_fail(&t, user, ATTACKER, i * 301), 0);
        }
        assert_int_equal(dt_count(&t.alerts, "login.password_spray"), 0);
        dt_end(&t);
}

static void spray_many_sources(void **state)
{
        dt_t t = { 0 };
        alert_t *a;
        char src[32];

        assert_int_equal(
                dt_start(&t, "{\"login\": {\"spray\": {\"accounts\": 0, \"sources\": 10}}}", NULL),
                0);
        for (int i = 0; i < 9; i++) {
                snprintf(src, sizeof(src), "45.33.%d.%d", 40 + i, i + 1);
                assert_int_equal(dt_fail(&t, "root", src, i * 60), 0);
                /* The same sources again do not add. */
                assert_int_equal(dt_fail(&t, "root", src, i * 60 + 1), 0);
        }
        assert_int_equal(dt_count(&t.alerts, "login.password_spray"), 0);
        assert_int_equal(dt_fail(&t, "root", "45.33.99.1", 600), 0);
        assert_int_equal(dt_count(&t.alerts, "login.password_spray"), 1);
        a = dt_last(&t.alerts, "login.password_spray");
        assert_string_equal(dt_ev_str(a, "kind"), "many_sources");
        assert_string_equal(dt_ev_str(a, "user"), "root");
        assert_int_equal(dt_ev_int(a, "sources"), 10);
        assert_string_equal(a->subject, "root@sshd");
        /* Other accounts are apart. */
        assert_int_equal(dt_fail(&t, "admin", "45.33.99.2", 601), 0);
        assert_int_equal(dt_count(&t.alerts, "login.password_spray"), 1);
        dt_end(&t);
}

static void after_bruteforce_same_ip(void **state)
{
        dt_t t = { 0 };
        alert_t *a;

        assert_int_equal(dt_start(&t, BF_CONF(""), NULL), 0);
        for (int i = 0; i < 6; i++)
                assert_int_equal(dt_fail(&t, "alice", ATTACKER, i * 10), 0);
        assert_int_equal(dt_login(&t, "alice", ATTACKER, "password", 70), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 1);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force_success"), 1);
        /* The brute force alert came first. */
        assert_string_equal(t.alerts.v[0]->rule, "login.brute_force");
        a = dt_last(&t.alerts, "login.brute_force_success");
        assert_int_equal(a->level, ALERT_URGENT);
        assert_string_equal(dt_ev_str(a, "user"), "alice");
        assert_string_equal(dt_ev_str(a, "src"), ATTACKER);
        assert_int_equal(dt_ev_int(a, "count"), 6);
        assert_string_equal(dt_ev_str(a, "method"), "password");
        assert_string_equal(dt_ev_str(a, "matched"), "address");
        assert_string_equal(dt_ev_str(a, "first_time"), "2026-11-26T10:00:00Z");
        assert_non_null(strstr(a->remediation, "last -i 'alice'"));
        assert_non_null(strstr(a->remediation, "passwd -l 'alice'"));
        assert_non_null(strstr(a->remediation, "pkill -KILL -u 'alice'"));
        assert_non_null(strstr(a->remediation,
                               "nft add element inet vigil blocked4 { 45.33.32.156 timeout 12h }"));
        /* Logging in again: no second urgent alert for the same account. */
        assert_int_equal(dt_login(&t, "alice", ATTACKER, "password", 80), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force_success"), 1);
        dt_end(&t);
}

static void after_bruteforce_threshold(void **state)
{
        dt_t t = { 0 };

        assert_int_equal(dt_start(&t, BF_CONF(""), NULL), 0);
        /* Four failures, then a login: a typo or two, not a brute force. */
        for (int i = 0; i < 4; i++)
                assert_int_equal(dt_fail(&t, "alice", ATTACKER, i * 10), 0);
        assert_int_equal(dt_login(&t, "alice", ATTACKER, "password", 50), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force_success"), 0);
        dt_end(&t);
}

static void after_bruteforce_network(void **state)
{
        dt_t t = { 0 };
        alert_t *a;

        assert_int_equal(dt_start(&t, BF_CONF(""), NULL), 0);
        for (int i = 0; i < 5; i++)
                assert_int_equal(dt_fail(&t, "bob", ATTACKER, i), 0);
        /* A neighbour in the same /24 logs in 50 minutes later. */
        assert_int_equal(dt_login(&t, "bob", "45.33.32.9", "password", 3000), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force_success"), 1);
        a = dt_last(&t.alerts, "login.brute_force_success");
        assert_string_equal(dt_ev_str(a, "matched"), "network");
        assert_string_equal(dt_ev_str(a, "network"), "45.33.32.0/24");
        assert_string_equal(dt_ev_str(a, "src"), "45.33.32.9");
        /* Another /24: nothing. After the lookback: nothing. */
        assert_int_equal(dt_login(&t, "carol", "45.33.33.9", "password", 3001), 0);
        assert_int_equal(dt_login(&t, "dave", ATTACKER, "password", 3 * 3600), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force_success"), 1);
        dt_end(&t);

        /* With scope "ip", the neighbour is not matched. */
        assert_int_equal(dt_start(&t, BF_CONF(", \"after_bruteforce\": {\"scope\": \"ip\"}"), NULL),
                         0);
        for (int i = 0; i < 5; i++)
                assert_int_equal(dt_fail(&t, "bob", ATTACKER, i), 0);
        assert_int_equal(dt_login(&t, "bob", "45.33.32.9", "password", 60), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force_success"), 0);
        dt_end(&t);

        /* IPv6: the /64. */
        assert_int_equal(dt_start(&t, BF_CONF(""), NULL), 0);
        for (int i = 0; i < 5; i++)
                assert_int_equal(dt_fail(&t, "bob", "2a02:ff00:1:2::10", i), 0);
        assert_int_equal(dt_login(&t, "bob", "2a02:ff00:1:2::99", "password", 60), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force_success"), 1);
        assert_string_equal(dt_ev_str(dt_last(&t.alerts, "login.brute_force_success"), "network"),
                            "2a02:ff00:1:2::/64");
        dt_end(&t);
}

#define AB_CONF(extra) "{\"login\": {\"learning_period\": \"1h\", \"usual_after\": 3," extra "}}"

static void abnormal_learning(void **state)
{
        dt_t t = { 0 };
        alert_t *a;

        assert_int_equal(dt_start(&t, AB_CONF("\"abnormal\": {\"cooldown\": 0}"), NULL), 0);
        /* The first public login starts learning; the hour after it is
         * learned silently. */
        assert_int_equal(dt_login(&t, "alice", "81.2.69.10", "publickey", 0), 0);
        assert_int_equal(dt_login(&t, "alice", "5.6.7.8", "publickey", 1800), 0);
        assert_int_equal(dt_login(&t, "bob", "1.2.3.4", "publickey", 3000), 0);
        assert_int_equal(t.alerts.n, 0);
        /* After it: the learned networks are usual, a new one is not. */
        assert_int_equal(dt_login(&t, "alice", "81.2.69.77", "publickey", 4000), 0);
        assert_int_equal(dt_login(&t, "alice", "5.6.7.9", "publickey", 4001), 0);
        assert_int_equal(t.alerts.n, 0);
        assert_int_equal(dt_login(&t, "alice", "1.2.3.4", "publickey", 4002), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 1);
        a = dt_last(&t.alerts, "login.abnormal");
        assert_int_equal(a->level, ALERT_SUSPICIOUS);
        assert_string_equal(dt_ev_str(a, "user"), "alice");
        assert_string_equal(dt_ev_str(a, "src"), "1.2.3.4");
        assert_string_equal(dt_ev_str(a, "source_key"), "1.2.3.0/24");
        assert_string_equal(
                json_string_value(json_array_get(json_object_get(a->evidence, "reasons"), 0)),
                "new_source");
        assert_string_equal(a->subject, "alice@1.2.3.0/24");
        assert_non_null(strstr(a->title, "alice"));
        /* bob's network is usual for bob only. */
        assert_int_equal(dt_login(&t, "bob", "1.2.3.4", "publickey", 4003), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 1);
        dt_end(&t);
}

static void abnormal_usual_after(void **state)
{
        dt_t t = { 0 };

        assert_int_equal(dt_start(&t,
                                  "{\"login\": {\"learning_period\": 0, \"usual_after\": 3,"
                                  " \"abnormal\": {\"cooldown\": 0}}}",
                                  NULL),
                         0);
        /* No learning: the first three logins from a network are unusual,
         * the fourth is not. */
        for (int i = 0; i < 3; i++) {
                assert_int_equal(dt_login(&t, "alice", "81.2.69.10", "publickey", i * 100), 0);
                assert_int_equal(dt_count(&t.alerts, "login.abnormal"), (size_t)i + 1);
        }
        assert_int_equal(dt_login(&t, "alice", "81.2.69.10", "publickey", 400), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 3);
        dt_end(&t);

        /* With the default cool-down, one alert per hour and network. */
        assert_int_equal(dt_start(&t, "{\"login\": {\"learning_period\": 0}}", NULL), 0);
        assert_int_equal(dt_login(&t, "alice", "81.2.69.10", "publickey", 0), 0);
        assert_int_equal(dt_login(&t, "alice", "81.2.69.11", "publickey", 600), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 1);
        assert_int_equal(dt_login(&t, "alice", "81.2.69.11", "publickey", 3700), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 2);
        dt_end(&t);

        /* Scope "ip": another address of the same network is new. */
        assert_int_equal(dt_start(&t, AB_CONF("\"abnormal\": {\"source_scope\": \"ip\"}"), NULL),
                         0);
        assert_int_equal(dt_login(&t, "alice", "81.2.69.10", "publickey", 0), 0);
        assert_int_equal(dt_login(&t, "alice", "81.2.69.11", "publickey", 7200), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 1);
        dt_end(&t);
}

static const char *reason0(const alert_t *a)
{
        return json_string_value(json_array_get(json_object_get(a->evidence, "reasons"), 0));
}

static void abnormal_approved(void **state)
{
        dt_t t = { 0 };

        /* Approved sources rule the source dimension, even while learning. */
        assert_int_equal(dt_start(&t,
                                  AB_CONF("\"approved\": {\"sources\": [\"81.2.69.0/24\", "
                                          "\"2a02:ff00::/32\"]}"),
                                  NULL),
                         0);
        assert_int_equal(dt_login(&t, "alice", "81.2.69.10", "publickey", 0), 0);
        assert_int_equal(dt_login(&t, "alice", "2a02:ff00:5::1", "publickey", 10), 0);
        assert_int_equal(t.alerts.n, 0);
        assert_int_equal(dt_login(&t, "alice", "5.6.7.8", "publickey", 20), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 1);
        assert_string_equal(reason0(dt_last(&t.alerts, "login.abnormal")), "source_not_approved");
        dt_end(&t);

        /* Approved accounts, with a group from login.groups. */
        assert_int_equal(dt_start(&t,
                                  AB_CONF("\"approved\": {\"accounts\": [\"alice\", \"@ops\"]},"
                                          "\"groups\": {\"ops\": [\"bob\"]}"),
                                  NULL),
                         0);
        assert_int_equal(dt_login(&t, "alice", "81.2.69.10", "publickey", 0), 0);
        assert_int_equal(dt_login(&t, "bob", "81.2.69.10", "publickey", 1), 0);
        assert_int_equal(t.alerts.n, 0);
        assert_int_equal(dt_login(&t, "mallory", "81.2.69.10", "publickey", 2), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 1);
        assert_string_equal(reason0(dt_last(&t.alerts, "login.abnormal")), "account_not_approved");
        dt_end(&t);

        /* Approved times: weekdays 08:00-18:00 UTC for everyone, the night
         * shift for "@night". DT_T0 is a Thursday at 10:00. */
        assert_int_equal(dt_start(&t,
                                  AB_CONF("\"abnormal\": {\"source_scope\": \"none\"},"
                                          "\"approved\": {\"utc_offset\": \"UTC\", \"times\": ["
                                          "\"mon-fri 08:00-18:00\","
                                          "{\"accounts\": [\"@night\"], \"times\": "
                                          "[\"22:00-06:00\"]}]},"
                                          "\"groups\": {\"night\": [\"nora\"]}"),
                                  NULL),
                         0);
        assert_int_equal(dt_login(&t, "alice", "81.2.69.10", "publickey", 0), 0);
        assert_int_equal(t.alerts.n, 0);
        /* 20:00 Thursday. */
        assert_int_equal(dt_login(&t, "alice", "81.2.69.10", "publickey", 10 * 3600), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 1);
        assert_string_equal(reason0(dt_last(&t.alerts, "login.abnormal")),
                            "outside_approved_times");
        /* nora at 02:00 Friday: in the night window (which crosses midnight). */
        assert_int_equal(dt_login(&t, "nora", "81.2.69.10", "publickey", 16 * 3600), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 1);
        /* Saturday 10:00: outside for alice. */
        assert_int_equal(dt_login(&t, "alice", "81.2.69.10", "publickey", 48 * 3600), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 2);
        dt_end(&t);

        /* Same with a +09:00 offset: 10:00 UTC is 19:00 there, outside. */
        assert_int_equal(dt_start(&t,
                                  AB_CONF("\"approved\": {\"utc_offset\": \"+09:00\", \"times\": "
                                          "\"mon-fri 08:00-18:00\"}"),
                                  NULL),
                         0);
        assert_int_equal(dt_login(&t, "alice", "81.2.69.10", "publickey", 0), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 1);
        dt_end(&t);
}

static void abnormal_private_not_judged(void **state)
{
        dt_t t = { 0 };

        assert_int_equal(dt_start(&t, "{\"login\": {\"learning_period\": 0}}", NULL), 0);
        assert_int_equal(dt_login(&t, "alice", "10.1.2.3", "publickey", 0), 0);
        assert_int_equal(dt_login(&t, "alice", "127.0.0.1", "publickey", 0), 0);
        assert_int_equal(dt_login(&t, "alice", "192.168.1.5", "publickey", 0), 0);
        assert_int_equal(dt_login(&t, "alice", "fd00::1", "publickey", 0), 0);
        assert_int_equal(dt_login(&t, "alice", "backup.example.org", "publickey", 0), 0);
        assert_int_equal(t.alerts.n, 0);
        dt_end(&t);

        assert_int_equal(dt_start(&t,
                                  "{\"login\": {\"learning_period\": 0, \"judge_private\": true}}",
                                  NULL),
                         0);
        assert_int_equal(dt_login(&t, "alice", "127.0.0.1", "publickey", 0), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 1);
        dt_end(&t);
}

static void root_password_reminder(void **state)
{
        dt_t t = { 0 };
        alert_t *a;

        assert_int_equal(dt_start(&t, NULL, NULL), 0);
        assert_int_equal(dt_login(&t, "root", "10.0.0.5", "publickey", 0), 0);
        assert_int_equal(dt_count(&t.alerts, "login.root_password"), 0);
        assert_int_equal(dt_login(&t, "root", "10.0.0.5", "password", 10), 0);
        assert_int_equal(dt_count(&t.alerts, "login.root_password"), 1);
        a = dt_last(&t.alerts, "login.root_password");
        assert_int_equal(a->level, ALERT_REMINDER);
        assert_non_null(strstr(a->remediation, "PermitRootLogin prohibit-password"));
        /* Once a day per source. */
        assert_int_equal(dt_login(&t, "root", "10.0.0.5", "keyboard-interactive/pam", 20), 0);
        assert_int_equal(dt_count(&t.alerts, "login.root_password"), 1);
        assert_int_equal(dt_login(&t, "root", "10.0.0.6", "password", 30), 0);
        assert_int_equal(dt_count(&t.alerts, "login.root_password"), 2);
        /* A database's "root" is not the system's. */
        assert_int_equal(
                dt_feed(&t, LOGEVENT_AUTH_SUCCESS, "mysql", "password", "root", "10.0.0.7", 0, 40),
                0);
        assert_int_equal(dt_count(&t.alerts, "login.root_password"), 2);
        dt_end(&t);
}

/* Half a million spoofed sources (and as many user names), nearly 500
 * times the tables' capacity: the tables stay at their caps, and a real
 * attacker among them is still seen. (Half a million rather than a million
 * keeps the test fast in unoptimised sanitizer builds.) */
static void memory_cap(void **state)
{
        dt_t t = { 0 };
        login_detectors_stats_t st;
        char src[64];

        assert_int_equal(dt_start(&t,
                                  "{\"login\": {\"limits\": {\"sources\": 1024, \"accounts\": 512,"
                                  " \"connections\": 256}}}",
                                  NULL),
                         0);
        for (int i = 0; i < 500000; i++) {
                snprintf(src, sizeof(src), "%d.%d.%d.%d", 20 + (i >> 24 & 0x3f), i >> 16 & 0xff,
                         i >> 8 & 0xff, i & 0xff);
                assert_int_equal(dt_feed(&t, LOGEVENT_INVALID_USER, "sshd", "", src + 2, src,
                                         (unsigned)(1024 + i % 60000), i / 500),
                                 0);
                if (i % 50000 == 0)
                        assert_int_equal(dt_fail(&t, "root", ATTACKER, i / 500), 0);
        }
        login_detectors_stats(t.d, &st);
        assert_true(st.sources <= 1024);
        assert_true(st.accounts <= 512);
        assert_true(st.attackers <= 1024);
        assert_true(st.connections <= 256);
        assert_true(st.evictions > 500000);
        /* The attacker's ten failures were spread over 900 s: no alert yet.
         * Five fast ones now. */
        for (int i = 0; i < 5; i++)
                assert_int_equal(dt_fail(&t, "root", ATTACKER, 1000 + i), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 1);
        assert_string_equal(dt_ev_str(dt_last(&t.alerts, "login.brute_force"), "src"), ATTACKER);
        dt_end(&t);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
        return remove(path);
}

static void persistence(void **state)
{
        char dir[] = "/tmp/vigil-logd-XXXXXX";
        dt_t t = { 0 };
        login_detectors_stats_t st;

        assert_non_null(mkdtemp(dir));
        assert_int_equal(dt_start(&t, BF_CONF(", \"learning_period\": \"1h\""), dir), 0);
        /* Learn a network, count three failures, stop. */
        assert_int_equal(dt_login(&t, "alice", "81.2.69.10", "publickey", 0), 0);
        for (int i = 0; i < 3; i++)
                assert_int_equal(dt_fail(&t, "root", ATTACKER, 7200 + i), 0);
        assert_int_equal(login_detectors_tick(t.d, timeutil_now_us()), 0);
        dt_stop(&t);
        assert_int_equal(t.alerts.n, 0);

        /* Restart: two more failures make five; the learned network and
         * the end of learning are remembered. */
        assert_int_equal(dt_start(&t, NULL, dir), 0);
        login_detectors_stats(t.d, &st);
        assert_int_equal(st.known, 1);
        assert_int_equal(dt_fail(&t, "root", ATTACKER, 7204), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 0);
        assert_int_equal(dt_fail(&t, "root", ATTACKER, 7205), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 1);
        assert_int_equal(dt_ev_int(dt_last(&t.alerts, "login.brute_force"), "count"), 5);
        assert_int_equal(dt_login(&t, "alice", "81.2.69.99", "publickey", 7300), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 0);
        assert_int_equal(dt_login(&t, "alice", "5.6.7.8", "publickey", 7301), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 1);
        dt_stop(&t);

        /* A third start: the same attack goes on without a second alert,
         * and the login after it is urgent. */
        assert_int_equal(dt_start(&t, NULL, dir), 0);
        assert_int_equal(dt_fail(&t, "root", ATTACKER, 7400), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 1);
        assert_int_equal(dt_login(&t, "root", ATTACKER, "password", 7401), 0);
        assert_int_equal(dt_count(&t.alerts, "login.brute_force_success"), 1);
        dt_end(&t);
        assert_int_equal(nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

/* The windows of the spraying checks hold fingerprints of accounts and
 * sources; after a restart the same account or source must still be the
 * same fingerprint, or one would count twice. */
static void persistence_spray_fingerprints(void **state)
{
        char dir[] = "/tmp/vigil-logd-XXXXXX";
        dt_t t = { 0 };

        assert_non_null(mkdtemp(dir));
        assert_int_equal(dt_start(&t,
                                  "{\"login\": {\"bruteforce\": {\"failures\": 100},"
                                  " \"spray\": {\"accounts\": 4, \"sources\": 4, \"window\": "
                                  "\"1h\"}}}",
                                  dir),
                         0);
        /* Three accounts from one source; three sources for one account. */
        assert_int_equal(dt_fail(&t, "alice", ATTACKER, 0), 0);
        assert_int_equal(dt_fail(&t, "bob", ATTACKER, 10), 0);
        assert_int_equal(dt_fail(&t, "carol", ATTACKER, 20), 0);
        assert_int_equal(dt_fail(&t, "dave", "45.33.40.1", 30), 0);
        assert_int_equal(dt_fail(&t, "dave", "45.33.41.1", 40), 0);
        assert_int_equal(dt_fail(&t, "dave", "45.33.42.1", 50), 0);
        assert_int_equal(login_detectors_tick(t.d, timeutil_now_us()), 0);
        dt_stop(&t);

        /* After the restart the same account and the same source again add
         * nothing; a fourth new one is the spray. */
        assert_int_equal(dt_start(&t, NULL, dir), 0);
        assert_int_equal(dt_fail(&t, "alice", ATTACKER, 60), 0);
        assert_int_equal(dt_fail(&t, "dave", "45.33.40.1", 70), 0);
        assert_int_equal(dt_count(&t.alerts, "login.password_spray"), 0);
        assert_int_equal(dt_fail(&t, "erin", ATTACKER, 80), 0);
        assert_int_equal(dt_count(&t.alerts, "login.password_spray"), 1);
        assert_int_equal(dt_fail(&t, "dave", "45.33.43.1", 90), 0);
        assert_int_equal(dt_count(&t.alerts, "login.password_spray"), 2);
        dt_end(&t);
        assert_int_equal(nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

/* A daemon killed without a chance to save: what the detectors saw up to
 * their last save is in the store. A second instance opened on the same
 * state directory while the first is still open (as after a SIGKILL, whose
 * process never ran login_detectors_free) goes on from there. */
static void persistence_without_clean_stop(void **state)
{
        char dir[] = "/tmp/vigil-logd-XXXXXX";
        dt_t a = { 0 }, b = { 0 };

        assert_non_null(mkdtemp(dir));
        assert_int_equal(dt_start(&a, BF_CONF(""), dir), 0);
        for (int i = 0; i < 3; i++)
                assert_int_equal(dt_fail(&a, "root", ATTACKER, 100 + i), 0);
        assert_int_equal(login_detectors_save(a.d), 0);
        /* Seen after the last save: lost with the process, and read again
         * by the agent from its stored position. */
        assert_int_equal(dt_fail(&a, "root", ATTACKER, 103), 0);

        assert_int_equal(dt_start(&b, BF_CONF(""), dir), 0);
        assert_int_equal(dt_fail(&b, "root", ATTACKER, 103), 0);
        assert_int_equal(dt_count(&b.alerts, "login.brute_force"), 0);
        assert_int_equal(dt_fail(&b, "root", ATTACKER, 104), 0);
        assert_int_equal(dt_count(&b.alerts, "login.brute_force"), 1);
        assert_int_equal(dt_ev_int(dt_last(&b.alerts, "login.brute_force"), "count"), 5);
        dt_end(&b);
        dt_end(&a);
        assert_int_equal(nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

static void events_without_time(void **state)
{
        dt_t t = { 0 };

        /* sshd -E writes no time: everything happens at the latest known
         * time, so a stream without times is one burst. */
        assert_int_equal(dt_start(&t, BF_CONF(""), NULL), 0);
        for (int i = 0; i < 5; i++) {
                logevent_t e = dt_event(LOGEVENT_AUTH_FAILURE, "sshd", "password", "u", "127.0.0.1",
                                        44000 + (unsigned)i, 0, 0);
                e.time_us = 0;
                assert_int_equal(login_detectors_feed(t.d, &e), 0);
        }
        assert_int_equal(dt_count(&t.alerts, "login.brute_force"), 1);
        dt_end(&t);
}

static void bad_config(void **state)
{
        static const char *const bad[] = {
                "{\"login\": {\"bruteforce\": {\"failures\": 1}}}",
                "{\"login\": {\"bruteforce\": {\"failures\": \"five\"}}}",
                "{\"login\": {\"bruteforce\": {\"window\": \"5 minutes\"}}}",
                "{\"login\": {\"approved\": {\"sources\": [\"10.0.0.0/33\"]}}}",
                "{\"login\": {\"approved\": {\"countries\": [\"Japan\"]}}}",
                "{\"login\": {\"approved\": {\"times\": [\"mon-fri 8-18\"]}}}",
                "{\"login\": {\"abnormal\": {\"source_scope\": \"city\"}}}",
                "{\"login\": {\"geoip\": {\"database\": \"/nonexistent/x.mmdb\"}}}",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                config_t *c = dt_config(bad[i]);
                login_detectors_opts_t o = { .config = c, .on_alert = dt_collect };
                login_detectors_t *d = NULL;
                char *err = NULL;
                int r = login_detectors_new(&o, &d, &err);

                if (r >= 0)
                        fail_msg("accepted: %s", bad[i]);
                assert_non_null(err);
                assert_non_null(strstr(err, i == 7 ? "x.mmdb" : "login."));
                free(err);
                config_free(c);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(bf_threshold_exact),
                cmocka_unit_test(bf_window_slides),
                cmocka_unit_test(bf_out_of_order),
                cmocka_unit_test(bf_cooldown_and_followup),
                cmocka_unit_test(bf_per_service_and_source),
                cmocka_unit_test(bf_counts_connections),
                cmocka_unit_test(bf_attempts_and_markers),
                cmocka_unit_test(bf_publickey_grace),
                cmocka_unit_test(bf_injected_user_names),
                cmocka_unit_test(spray_many_accounts),
                cmocka_unit_test(spray_window_expires),
                cmocka_unit_test(spray_many_sources),
                cmocka_unit_test(after_bruteforce_same_ip),
                cmocka_unit_test(after_bruteforce_threshold),
                cmocka_unit_test(after_bruteforce_network),
                cmocka_unit_test(abnormal_learning),
                cmocka_unit_test(abnormal_usual_after),
                cmocka_unit_test(abnormal_approved),
                cmocka_unit_test(abnormal_private_not_judged),
                cmocka_unit_test(root_password_reminder),
                cmocka_unit_test(memory_cap),
                cmocka_unit_test(persistence),
                cmocka_unit_test(persistence_spray_fingerprints),
                cmocka_unit_test(persistence_without_clean_stop),
                cmocka_unit_test(events_without_time),
                cmocka_unit_test(bad_config),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
