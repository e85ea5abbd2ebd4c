/* The login detectors' settings: durations, approved time windows (days,
 * ranges across midnight, offsets), account lists with groups, defaults,
 * and the errors for bad values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "detect/login/loginconf.h"
#include "dettest.h"

static void durations(void **state)
{
        int64_t us;

        assert_int_equal(login_conf_parse_duration("90", &us), 0);
        assert_true(us == LOGIN_SEC(90));
        assert_int_equal(login_conf_parse_duration("5m", &us), 0);
        assert_true(us == LOGIN_SEC(300));
        assert_int_equal(login_conf_parse_duration("1h30m", &us), 0);
        assert_true(us == LOGIN_SEC(5400));
        assert_int_equal(login_conf_parse_duration("2d", &us), 0);
        assert_true(us == LOGIN_SEC(172800));
        assert_int_equal(login_conf_parse_duration("", &us), -EINVAL);
        assert_int_equal(login_conf_parse_duration("5x", &us), -EINVAL);
        assert_int_equal(login_conf_parse_duration("m", &us), -EINVAL);
        assert_int_equal(login_conf_parse_duration("1h30", &us), -EINVAL);
        assert_int_equal(login_conf_parse_duration("-5m", &us), -EINVAL);
        assert_int_equal(login_conf_parse_duration("99999999999d", &us), -EINVAL);
}

static void time_windows(void **state)
{
        login_timewin_t w;

        assert_int_equal(login_conf_parse_timewin("mon-fri 08:00-18:30", &w), 0);
        assert_int_equal(w.days, 0x1f);
        assert_int_equal(w.start, 480);
        assert_int_equal(w.end, 1110);
        assert_int_equal(login_conf_parse_timewin("sat,sun 10:00-12:00", &w), 0);
        assert_int_equal(w.days, 0x60);
        assert_int_equal(login_conf_parse_timewin("fri-mon 22:00-06:00", &w), 0);
        assert_int_equal(w.days, 0x71);
        assert_int_equal(login_conf_parse_timewin("00:00-24:00", &w), 0);
        assert_int_equal(w.days, 0x7f);
        assert_int_equal(login_conf_parse_timewin("08:00-08:00", &w), -EINVAL);
        assert_int_equal(login_conf_parse_timewin("mon-fry 08:00-18:00", &w), -EINVAL);
        assert_int_equal(login_conf_parse_timewin("mon, 08:00-18:00", &w), -EINVAL);
        assert_int_equal(login_conf_parse_timewin("8:00-18:00", &w), -EINVAL);
        assert_int_equal(login_conf_parse_timewin("08:60-18:00", &w), -EINVAL);
}

static void approved_times(void **state)
{
        config_t *c =
                dt_config("{\"login\": {\"approved\": {\"utc_offset\": \"-05:00\", \"times\": ["
                          "{\"accounts\": [\"@dev\"], \"times\": [\"mon-fri 09:00-17:00\"]},"
                          "{\"accounts\": \"nightop\", \"times\": \"sun 22:00-02:00\"}]},"
                          " \"groups\": {\"dev\": [\"alice\", \"bob\"]}}}");
        login_conf_t lc;
        char *err = NULL;

        assert_int_equal(login_conf_load(c, &lc, &err), 0);
        /* DT_T0 is Thursday 10:00 UTC, 05:00 at -05:00. */
        assert_int_equal(login_conf_time_approved(&lc, "alice", DT_SEC(0)), 0);
        assert_int_equal(login_conf_time_approved(&lc, "alice", DT_SEC(5 * 3600)), 1);
        assert_int_equal(login_conf_time_approved(&lc, "alice", DT_SEC(12 * 3600)), 0);
        /* No rule for carol: not judged. */
        assert_int_equal(login_conf_time_approved(&lc, "carol", DT_SEC(0)), -1);
        /* Sunday 23:00 and Monday 01:00 local are in; Monday 03:00 not. */
        assert_int_equal(login_conf_time_approved(&lc, "nightop", DT_SEC((3 * 24 + 18) * 3600)), 1);
        assert_int_equal(login_conf_time_approved(&lc, "nightop", DT_SEC((3 * 24 + 20) * 3600)), 1);
        assert_int_equal(login_conf_time_approved(&lc, "nightop", DT_SEC((3 * 24 + 22) * 3600)), 0);
        assert_true(login_conf_account_in(&lc, &lc.times[0].accounts, "bob"));
        assert_false(login_conf_account_in(&lc, &lc.times[0].accounts, "nightop"));
        login_conf_clear(&lc);
        config_free(c);
}

static void defaults(void **state)
{
        config_t *c = config_new_empty();
        login_conf_t lc;

        assert_int_equal(login_conf_load(c, &lc, NULL), 0);
        assert_int_equal(lc.bf_failures, 5);
        assert_true(lc.bf_window_us == LOGIN_SEC(300));
        assert_true(lc.bf_cooldown_us == LOGIN_SEC(3600));
        assert_int_equal(lc.bf_followup_factor, 10);
        assert_true(lc.pk_grace_us == LOGIN_SEC(30));
        assert_int_equal(lc.spray_accounts, 10);
        assert_int_equal(lc.spray_sources, 20);
        assert_int_equal(lc.abf_failures, 5);
        assert_true(lc.abf_lookback_us == LOGIN_SEC(3600));
        assert_int_equal(lc.abf_scope, LOGIN_SCOPE_NETWORK);
        assert_int_equal(lc.v4_prefix, 24);
        assert_int_equal(lc.v6_prefix, 64);
        assert_true(lc.learning_us == LOGIN_SEC(86400));
        assert_int_equal(lc.usual_after, 6);
        assert_int_equal(lc.source_scope, LOGIN_SCOPE_NETWORK);
        assert_false(lc.judge_private);
        assert_true(lc.root_password);
        assert_true(lc.local_time);
        assert_int_equal(lc.max_sources, 8192);
        assert_null(lc.geoip_db);
        login_conf_clear(&lc);
        config_free(c);
}

static void errors(void **state)
{
        static const struct {
                const char *json, *key;
        } bad[] = {
                { "{\"login\": {\"bruteforce\": {\"failures\": 1001}}}",
                  "login.bruteforce.failures" },
                { "{\"login\": {\"bruteforce\": {\"window\": 0}}}", "login.bruteforce.window" },
                { "{\"login\": {\"judge_private\": \"yes\"}}", "login.judge_private" },
                { "{\"login\": {\"approved\": {\"sources\": 5}}}", "login.approved.sources" },
                { "{\"login\": {\"approved\": {\"utc_offset\": \"+25:00\"}}}", "utc_offset" },
                { "{\"login\": {\"approved\": {\"times\": [{\"accounts\": [1]}]}}}", "accounts" },
                { "{\"login\": {\"groups\": [\"a\"]}}", "login.groups" },
                { "{\"login\": {\"limits\": {\"sources\": 1}}}", "login.limits.sources" },
                { "{\"login\": {\"after_bruteforce\": {\"scope\": \"none\"}}}", "scope" },
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                config_t *c = dt_config(bad[i].json);
                login_conf_t lc;
                char *err = NULL;

                if (login_conf_load(c, &lc, &err) != -EINVAL)
                        fail_msg("accepted: %s", bad[i].json);
                assert_non_null(err);
                if (!strstr(err, bad[i].key))
                        fail_msg("%s: error '%s' does not name %s", bad[i].json, err, bad[i].key);
                free(err);
                config_free(c);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(durations),      cmocka_unit_test(time_windows),
                cmocka_unit_test(approved_times), cmocka_unit_test(defaults),
                cmocka_unit_test(errors),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
