/* Unit tests for center/notify_conf: the settings document (defaults,
 * round trip, every refusal names its field), channel definitions (mail
 * addresses that could smuggle a header are refused, secrets are redacted),
 * and the schedule arithmetic against hand-computed instants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "center/cutil.h"
#include "center/notify_conf.h"
#include "core/macro.h"

/* Field by field: the structs have padding. */
static int sched_equal(const notify_schedule_t *a, const notify_schedule_t *b)
{
        return a->always == b->always && a->offset_min == b->offset_min && a->days == b->days &&
               a->from_min == b->from_min && a->to_min == b->to_min &&
               a->digest_at_min == b->digest_at_min && a->digest_day == b->digest_day;
}

/* 2026-11-23 was a Monday. */
#define MON_2026_11_23 1795392000LL
#define S(sec)         ((int64_t)(sec)*USEC_PER_SEC)
#define HM(h, m)       ((int64_t)((h)*3600 + (m)*60))

static int parse(const char *doc, notify_settings_t *s, char **err)
{
        *err = NULL;
        return notify_settings_parse(doc, strlen(doc), s, err);
}

static void test_settings_defaults_and_round_trip(void **state)
{
        notify_settings_t s, s2;
        char *err = NULL, *out;
        json_t *j;

        assert_int_equal(parse("{}", &s, &err), 0);
        for (int l = 1; l <= 3; l++) {
                assert_false(s.alert[l].enabled);
                assert_false(s.finding[l].enabled);
                assert_true(s.alert[l].sched.always);
        }
        assert_int_equal(s.settle_us, S(30));
        notify_settings_clear(&s);

        assert_int_equal(parse("{\"settle_seconds\": 5, \"alerts\": {\"urgent\": {\"enabled\": "
                               "true, \"channels\": [\"a\", \"b-2\"], \"schedule\": {\"tz\": "
                               "\"+08:00\", \"days\": [\"mon\", \"fri\"], \"from\": \"09:00\", "
                               "\"to\": \"18:30\"}}}, \"findings\": {\"high\": {\"enabled\": "
                               "true, \"mode\": \"weekly\", \"channels\": [\"a\"], \"schedule\": "
                               "{\"tz\": \"-0530\", \"digest_at\": \"07:15\", \"digest_day\": "
                               "\"wed\"}}}}",
                               &s, &err),
                         0);
        assert_true(s.alert[3].enabled);
        assert_int_equal(s.alert[3].n_channels, 2);
        assert_string_equal(s.alert[3].channels[1], "b-2");
        assert_false(s.alert[3].sched.always);
        assert_int_equal(s.alert[3].sched.offset_min, 480);
        assert_int_equal(s.alert[3].sched.days, (1u << 0) | (1u << 4));
        assert_int_equal(s.alert[3].sched.from_min, 540);
        assert_int_equal(s.alert[3].sched.to_min, 18 * 60 + 30);
        assert_int_equal(s.finding[3].mode, NOTIFY_WEEKLY);
        assert_int_equal(s.finding[3].sched.offset_min, -330);
        assert_int_equal(s.finding[3].sched.digest_at_min, 7 * 60 + 15);
        assert_int_equal(s.finding[3].sched.digest_day, 2);
        assert_true(s.finding[3].sched.always);
        assert_int_equal(s.settle_us, S(5));

        /* What the API returns parses back to the same settings. */
        j = notify_settings_json(&s);
        assert_non_null(j);
        out = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        assert_int_equal(parse(out, &s2, &err), 0);
        assert_true(sched_equal(&s.alert[3].sched, &s2.alert[3].sched));
        assert_true(sched_equal(&s.finding[3].sched, &s2.finding[3].sched));
        assert_int_equal(s2.finding[3].mode, NOTIFY_WEEKLY);
        assert_int_equal(s2.settle_us, S(5));
        free(out);
        notify_settings_clear(&s);
        notify_settings_clear(&s2);
}

static void test_settings_refused(void **state)
{
        static const struct {
                const char *doc, *field;
        } bad[] = {
                { "[]", "JSON object" },
                { "{\"alerts\": {\"urgent\": {\"mode\": \"daily\"}}}", "alerts.urgent.mode" },
                { "{\"alerts\": {\"critical\": {}}}", "alerts.critical" },
                { "{\"findings\": {\"high\": {\"enabled\": 1}}}", "findings.high.enabled" },
                { "{\"findings\": {\"high\": {\"channels\": [\"a b\"]}}}", "channels" },
                { "{\"findings\": {\"high\": {\"channels\": [\"a\", \"a\"]}}}", "twice" },
                { "{\"alerts\": {\"urgent\": {\"schedule\": {\"tz\": \"Asia/No_Such_City\"}}}}",
                  "tz" },
                { "{\"alerts\": {\"urgent\": {\"schedule\": {\"tz\": \"+15:00\"}}}}", "tz" },
                { "{\"alerts\": {\"urgent\": {\"schedule\": {\"from\": \"09:00\"}}}}", "both" },
                { "{\"alerts\": {\"urgent\": {\"schedule\": {\"from\": \"24:00\", \"to\": "
                  "\"01:00\"}}}}",
                  "HH:MM" },
                { "{\"alerts\": {\"urgent\": {\"schedule\": {\"days\": []}}}}", "days" },
                { "{\"alerts\": {\"urgent\": {\"schedule\": {\"days\": [\"sun\", \"xyz\"]}}}}",
                  "days" },
                { "{\"alerts\": {\"urgent\": {\"schedule\": {\"when\": 1}}}}", "unknown" },
                { "{\"settle_seconds\": -1}", "settle_seconds" },
                { "{\"settle\": 1}", "unknown" },
                { "{\"alerts\": {\"urgent\": {}}, \"alerts\": {}}", "JSON object" },
        };
        notify_settings_t s;
        char *err = NULL;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int r = parse(bad[i].doc, &s, &err);
                if (r != -EINVAL || !err || !strstr(err, bad[i].field)) {
                        fprintf(stderr, "%s: %d %s\n", bad[i].doc, r, err ? err : "(none)");
                        fail();
                }
                free(err);
        }
        {
                char *big = malloc(NOTIFY_SETTINGS_MAX + 2);
                memset(big, ' ', NOTIFY_SETTINGS_MAX + 1);
                big[0] = '{';
                big[NOTIFY_SETTINGS_MAX] = '}';
                big[NOTIFY_SETTINGS_MAX + 1] = '\0';
                assert_int_equal(parse(big, &s, &err), -E2BIG);
                free(err);
                free(big);
        }
}

static int channel(const char *doc, notify_channel_t *ch, char **err)
{
        json_t *o = json_loads(doc, 0, NULL);
        int r;

        *err = NULL;
        r = notify_channel_parse(o, ch, err);
        json_decref(o);
        return r;
}

static void test_channels(void **state)
{
        static const char *const refused[] = {
                "{\"name\": \"m\", \"type\": \"email\", \"url\": \"smtp://h\", \"from\": "
                "\"a@b.c\", \"to\": [\"x@y.z\\r\\nBcc: v@w.x\"]}",
                "{\"name\": \"m\", \"type\": \"email\", \"url\": \"smtp://h\", \"from\": "
                "\"a@b.c\", \"to\": [\"x@y.z, v@w.x\"]}",
                "{\"name\": \"m\", \"type\": \"email\", \"url\": \"smtp://h\", \"from\": "
                "\"a@b.c>\\nX: y\", \"to\": [\"x@y.z\"]}",
                "{\"name\": \"m\", \"type\": \"email\", \"url\": \"http://h\", \"from\": "
                "\"a@b.c\", \"to\": [\"x@y.z\"]}",
                "{\"name\": \"m\", \"type\": \"email\", \"url\": \"smtp://h\", \"from\": "
                "\"a@b.c\", \"to\": []}",
                "{\"name\": \"m\", \"type\": \"email\", \"url\": \"smtp://h\", \"from\": "
                "\"a@b.c\", \"to\": [\"x@y.z\"], \"username\": \"u\"}",
                "{\"name\": \"w\", \"type\": \"webhook\", \"url\": \"file:///etc/passwd\"}",
                "{\"name\": \"w\", \"type\": \"slack\"}",
                "{\"name\": \"w x\", \"type\": \"inbox\"}",
                "{\"name\": \"w\", \"type\": \"pager\"}",
                "{\"name\": \"s\", \"type\": \"syslog\", \"address\": \"host\"}",
                "{\"name\": \"s\", \"type\": \"syslog\", \"address\": \"h:1\", \"transport\": "
                "\"sctp\"}",
                "{\"name\": \"s\", \"type\": \"syslog\", \"address\": \"h:1\", \"facility\": "
                "\"kern\"}",
                "{\"name\": \"i\", \"type\": \"inbox\", \"max_per_host_per_day\": -1}",
                "{\"name\": \"i\", \"type\": \"inbox\", \"extra\": 1}",
        };
        notify_channel_t ch;
        char *err = NULL, *s;
        json_t *j;

        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
                if (channel(refused[i], &ch, &err) != -EINVAL || !err) {
                        fprintf(stderr, "accepted: %s\n", refused[i]);
                        fail();
                }
                free(err);
        }
        assert_int_equal(channel("{\"name\": \"mail\", \"type\": \"email\", \"url\": "
                                 "\"smtps://mx.example.com:465\", \"from\": \"v@example.com\", "
                                 "\"to\": [\"a@example.com\", \"b@example.com\"], \"username\": "
                                 "\"u\", \"password\": \"pw-secret\", \"starttls\": true, "
                                 "\"max_per_host_per_day\": 10}",
                                 &ch, &err),
                         0);
        assert_int_equal(ch.kind, NOTIFY_EMAIL);
        assert_int_equal(ch.n_to, 2);
        assert_true(ch.starttls);
        assert_int_equal(ch.max_per_host_day, 10);
        j = notify_channel_json(&ch, true);
        s = json_dumps(j, 0);
        assert_null(strstr(s, "pw-secret"));
        free(s);
        json_decref(j);
        /* Unredacted, it is what is stored and parses back. */
        j = notify_channel_json(&ch, false);
        json_object_del(j, "id");
        notify_channel_clear(&ch);
        assert_int_equal(notify_channel_parse(j, &ch, &err), 0);
        assert_string_equal(ch.password, "pw-secret");
        json_decref(j);
        notify_channel_clear(&ch);

        assert_int_equal(channel("{\"name\": \"hook\", \"type\": \"dingtalk\", \"url\": "
                                 "\"https://oapi.dingtalk.com/robot/send?access_token=TOKEN\"}",
                                 &ch, &err),
                         0);
        j = notify_channel_json(&ch, true);
        assert_string_equal(json_string_value(json_object_get(j, "url")),
                            "https://oapi.dingtalk.com/...");
        json_decref(j);
        notify_channel_clear(&ch);

        assert_int_equal(channel("{\"name\": \"s\", \"type\": \"syslog\", \"address\": "
                                 "\"[::1]:514\", \"transport\": \"tcp\", \"facility\": \"auth\"}",
                                 &ch, &err),
                         0);
        assert_true(ch.tcp);
        assert_int_equal(ch.facility, 4);
        notify_channel_clear(&ch);
}

static notify_schedule_t sched(const char *doc)
{
        notify_settings_t s;
        notify_schedule_t out;
        char *err = NULL, full[512];

        snprintf(full, sizeof(full), "{\"findings\": {\"high\": {\"schedule\": %s}}}", doc);
        if (parse(full, &s, &err) != 0) {
                fprintf(stderr, "%s: %s\n", doc, err);
                fail();
        }
        out = s.finding[3].sched;
        notify_settings_clear(&s);
        return out;
}

static void test_windows(void **state)
{
        /* 09:00-18:00 in +08:00, Monday to Friday: 01:00-10:00 UTC. */
        notify_schedule_t w = sched("{\"tz\": \"+08:00\", \"days\": [\"mon\", \"tue\", \"wed\", "
                                    "\"thu\", \"fri\"], \"from\": \"09:00\", \"to\": \"18:00\"}");
        int64_t mon = S(MON_2026_11_23);

        /* Monday 00:30 UTC (08:30 local): wait until 01:00 UTC. */
        assert_int_equal(notify_schedule_next(&w, mon + S(HM(0, 30))), mon + S(HM(1, 0)));
        /* Monday 05:00 UTC (13:00 local): open. */
        assert_int_equal(notify_schedule_next(&w, mon + S(HM(5, 0))), mon + S(HM(5, 0)));
        /* The window's end is not inside it. */
        assert_int_equal(notify_schedule_next(&w, mon + S(HM(10, 0))), mon + S(86400 + HM(1, 0)));
        /* Friday 11:00 UTC (19:00 local): Monday 01:00 UTC. */
        assert_int_equal(notify_schedule_next(&w, mon + S(4 * 86400 + HM(11, 0))),
                         mon + S(7 * 86400 + HM(1, 0)));
        /* Sunday 20:00 UTC is Monday 04:00 local: before the window. */
        assert_int_equal(notify_schedule_next(&w, mon - S(HM(4, 0))), mon + S(HM(1, 0)));

        /* Overnight 22:00-06:00 UTC on Saturdays only: Sunday 03:00 is still
         * inside Saturday's window; Sunday 07:00 waits for next Saturday. */
        notify_schedule_t n = sched("{\"days\": [\"sat\"], \"from\": \"22:00\", \"to\": "
                                    "\"06:00\"}");
        int64_t sat = mon + S(5 * 86400);
        assert_int_equal(notify_schedule_next(&n, sat + S(86400 + HM(3, 0))),
                         sat + S(86400 + HM(3, 0)));
        assert_int_equal(notify_schedule_next(&n, sat + S(86400 + HM(7, 0))),
                         sat + S(7 * 86400 + HM(22, 0)));
        /* from == to: the whole of the allowed days. */
        notify_schedule_t d = sched("{\"days\": [\"tue\"], \"from\": \"00:00\", \"to\": "
                                    "\"00:00\"}");
        assert_int_equal(notify_schedule_next(&d, mon + S(HM(12, 0))), mon + S(86400));
        assert_int_equal(notify_schedule_next(&d, mon + S(86400 + HM(23, 59))),
                         mon + S(86400 + HM(23, 59)));
        /* No window: now. */
        notify_schedule_t a = sched("null");
        assert_int_equal(notify_schedule_next(&a, mon + 12345), mon + 12345);
        /* Negative offsets and times before 1970 do not trip the arithmetic. */
        notify_schedule_t neg = sched("{\"tz\": \"-05:00\", \"days\": [\"thu\"], \"from\": "
                                      "\"10:00\", \"to\": \"11:00\"}");
        assert_int_equal(notify_schedule_next(&neg, 0), S(HM(15, 0)));
        assert_int_equal(notify_schedule_next(&neg, -S(86400)), S(HM(15, 0)));
}

static void test_digests(void **state)
{
        notify_schedule_t s = sched("{\"tz\": \"+08:00\", \"digest_at\": \"09:00\", "
                                    "\"digest_day\": \"mon\"}");
        int64_t mon = S(MON_2026_11_23);

        /* Daily at 09:00 +08:00 = 01:00 UTC. */
        assert_int_equal(notify_due(NOTIFY_DAILY, &s, mon + S(HM(0, 10))), mon + S(HM(1, 0)));
        assert_int_equal(notify_due(NOTIFY_DAILY, &s, mon + S(HM(1, 0))), mon + S(HM(1, 0)));
        assert_int_equal(notify_due(NOTIFY_DAILY, &s, mon + S(HM(1, 1))),
                         mon + S(86400 + HM(1, 0)));
        /* Weekly on Monday local: from Monday 02:00 UTC, the next Monday. */
        assert_int_equal(notify_due(NOTIFY_WEEKLY, &s, mon + S(HM(2, 0))),
                         mon + S(7 * 86400 + HM(1, 0)));
        /* Sunday 18:00 UTC is Monday 02:00 local, before 09:00: that Monday. */
        assert_int_equal(notify_due(NOTIFY_WEEKLY, &s, mon - S(HM(6, 0))), mon + S(HM(1, 0)));
        assert_int_equal(notify_due(NOTIFY_IMMEDIATE, &s, mon + 7), mon + 7);
}

/* Named zones: the window follows daylight saving time. 09:00-18:00
 * Europe/Berlin is 07:00-16:00 UTC in summer and 08:00-17:00 UTC in
 * winter; a window that opens in the skipped hour opens at the jump; a
 * digest time that occurs twice is taken the first time. */
static void test_named_zone(void **state)
{
        notify_settings_t s;
        char *err = NULL;
        const notify_schedule_t *w, *dg;
        const int64_t jul1 = S(1782864000LL), jan14 = S(1768348800LL); /* Wednesdays */
        const int64_t mar28 = S(1774656000LL), oct24 = S(1792800000LL);

        if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) != 0)
                skip();
        assert_int_equal(parse("{\"alerts\": {\"urgent\": {\"schedule\": {\"tz\": "
                               "\"Europe/Berlin\", \"from\": \"09:00\", \"to\": \"18:00\"}}, "
                               "\"suspicious\": {\"schedule\": {\"tz\": \"Europe/Berlin\", "
                               "\"from\": \"02:30\", \"to\": \"04:00\"}}}, \"findings\": "
                               "{\"high\": {\"mode\": \"daily\", \"schedule\": {\"tz\": "
                               "\"Europe/Berlin\", \"digest_at\": \"02:30\"}}, \"medium\": "
                               "{\"mode\": \"daily\", \"schedule\": {\"tz\": "
                               "\"America/New_York\", \"digest_at\": \"08:00\"}}}}",
                               &s, &err),
                         0);
        w = &s.alert[3].sched;
        assert_string_equal(w->zone, "Europe/Berlin");
        assert_non_null(w->tz);

        /* Summer: 06:30 UTC is 08:30 CEST, out; opens 07:00 UTC. */
        assert_int_equal(notify_schedule_next(w, jul1 + S(HM(6, 30))), jul1 + S(HM(7, 0)));
        assert_int_equal(notify_schedule_next(w, jul1 + S(HM(7, 30))), jul1 + S(HM(7, 30)));
        assert_int_equal(notify_schedule_next(w, jul1 + S(HM(15, 59))), jul1 + S(HM(15, 59)));
        /* 16:30 UTC is 18:30 CEST: out until tomorrow 07:00 UTC. */
        assert_int_equal(notify_schedule_next(w, jul1 + S(HM(16, 30))), jul1 + S(86400 + HM(7, 0)));
        /* Winter: 07:30 UTC is 08:30 CET, out; opens 08:00 UTC. 16:30 UTC
         * (17:30 CET) is in; 17:00 UTC is out. */
        assert_int_equal(notify_schedule_next(w, jan14 + S(HM(7, 30))), jan14 + S(HM(8, 0)));
        assert_int_equal(notify_schedule_next(w, jan14 + S(HM(16, 30))), jan14 + S(HM(16, 30)));
        assert_int_equal(notify_schedule_next(w, jan14 + S(HM(17, 0))),
                         jan14 + S(86400 + HM(8, 0)));

        /* 2026-03-29: the clocks jump from 02:00 CET to 03:00 CEST at
         * 01:00 UTC; a window from 02:30 opens at the jump. */
        dg = &s.alert[2].sched;
        assert_int_equal(notify_schedule_next(dg, mar28 + S(HM(22, 0))),
                         mar28 + S(86400 + HM(1, 0)));
        /* 2026-10-25: 02:30 occurs at 00:30 UTC (CEST) and 01:30 UTC (CET);
         * the digest goes at the first. */
        dg = &s.finding[3].sched;
        assert_int_equal(notify_due(NOTIFY_DAILY, dg, oct24 + S(HM(22, 0))),
                         oct24 + S(86400 + HM(0, 30)));
        /* Daily 08:00 America/New_York: 12:00 UTC in July, 13:00 UTC in
         * January. */
        dg = &s.finding[2].sched;
        assert_int_equal(notify_due(NOTIFY_DAILY, dg, jul1), jul1 + S(HM(12, 0)));
        assert_int_equal(notify_due(NOTIFY_DAILY, dg, jan14), jan14 + S(HM(13, 0)));

        /* Written back with its name, and parsed again the same. */
        json_t *j = notify_settings_json(&s);
        char *out = json_dumps(j, JSON_COMPACT);
        notify_settings_t s2;
        assert_non_null(strstr(out, "\"tz\":\"Europe/Berlin\""));
        assert_int_equal(parse(out, &s2, &err), 0);
        assert_string_equal(s2.alert[3].sched.zone, "Europe/Berlin");
        assert_int_equal(notify_schedule_next(&s2.alert[3].sched, jul1 + S(HM(6, 30))),
                         jul1 + S(HM(7, 0)));
        notify_settings_clear(&s2);
        free(out);
        json_decref(j);
        notify_settings_clear(&s);

        static const char *const bad[] = { "Mars/Olympus", "../../etc/passwd", "/etc/localtime",
                                           "Europe",       "Europe/Berlin\n",  "",
                                           "+15:00" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                json_t *d = json_pack("{s:{s:{s:{s:s}}}}", "alerts", "urgent", "schedule", "tz",
                                      bad[i]);
                char *doc = json_dumps(d, JSON_COMPACT);
                err = NULL;
                assert_int_equal(parse(doc, &s, &err), -EINVAL);
                assert_non_null(strstr(err, "alerts.urgent.schedule.tz"));
                free(err);
                free(doc);
                json_decref(d);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_settings_defaults_and_round_trip),
                cmocka_unit_test(test_settings_refused),
                cmocka_unit_test(test_channels),
                cmocka_unit_test(test_windows),
                cmocka_unit_test(test_digests),
                cmocka_unit_test(test_named_zone),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
