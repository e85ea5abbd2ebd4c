/* Unit tests for detect/netattack/portscan: the scan state machine driven
 * with synthetic SYN streams and explicit times — vertical and horizontal
 * scans at both levels, a slow scan below the rate, the window, the
 * cool-down and escalation, the allowlist, a flood of spoofed sources
 * against the memory caps (with a real scanner hidden in it), eviction of
 * tracked records, idle expiry and a failing sink. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <errno.h>

#include "core/alert.h"
#include "detect/netattack/portscan.h"

#define SEC  1000000LL
#define T0   (1700000000LL * SEC)
#define MAXA 64

typedef struct collected {
        alert_t *a[MAXA];
        size_t n;
        int fail_with; /* the sink's return value when not 0 */
} collected_t;

static int collect(alert_t *a, void *userdata)
{
        collected_t *c = userdata;

        if (c->fail_with) {
                alert_free(a);
                return c->fail_with;
        }
        assert_true(c->n < MAXA);
        c->a[c->n++] = a;
        return 0;
}

static void collected_clear(collected_t *c)
{
        for (size_t i = 0; i < c->n; i++)
                alert_free(c->a[i]);
        c->n = 0;
}

static ipaddr_t ip(const char *s)
{
        ipaddr_t a;
        assert_int_equal(ipaddr_parse(s, &a), 0);
        return a;
}

static portscan_t *make(portscan_opts_t *o, collected_t *c)
{
        alert_sink_t sink = { collect, c };
        portscan_t *ps;

        assert_int_equal(portscan_new(o, &sink, &ps), 0);
        return ps;
}

static long long ev_int(const alert_t *a, const char *key)
{
        json_t *v = json_object_get(a->evidence, key);
        assert_true(json_is_integer(v));
        return (long long)json_integer_value(v);
}

static const char *ev_str(const alert_t *a, const char *key)
{
        json_t *v = json_object_get(a->evidence, key);
        assert_true(json_is_string(v));
        return json_string_value(v);
}

/* Scan PORTS consecutive ports from FIRST, one every STEP microseconds
 * from T; returns the time after the last. */
static int64_t scan(portscan_t *ps, const char *src, const char *dst, unsigned first,
                    unsigned ports, int64_t t, int64_t step)
{
        ipaddr_t s = ip(src), d = ip(dst);

        for (unsigned i = 0; i < ports; i++, t += step)
                assert_int_equal(portscan_feed(ps, &s, &d, (uint16_t)(first + i), t), 0);
        return t;
}

static void test_vertical_reminder(void **state)
{
        collected_t c = { 0 };
        portscan_opts_t o;
        portscan_t *ps;
        int64_t t;
        json_t *ports;
        (void)state;

        portscan_opts_default(&o);
        ps = make(&o, &c);
        /* 19 distinct ports in 19 s, and repeats of them: nothing. */
        t = scan(ps, "203.0.113.9", "10.0.0.2", 1000, 19, T0, SEC);
        t = scan(ps, "203.0.113.9", "10.0.0.2", 1000, 19, t, SEC / 10);
        assert_int_equal(portscan_tick(ps, t), 0);
        assert_int_equal(c.n, 0);

        /* The 20th distinct port: a reminder, held until the tick. */
        t = scan(ps, "203.0.113.9", "10.0.0.2", 1019, 1, t, SEC);
        assert_int_equal(c.n, 0);
        assert_int_equal(portscan_tick(ps, t), 0);
        assert_int_equal(c.n, 1);
        assert_int_equal(c.a[0]->type, ALERT_NETWORK_ATTACK);
        assert_int_equal(c.a[0]->level, ALERT_REMINDER);
        assert_string_equal(c.a[0]->rule, "netattack.portscan.vertical");
        assert_string_equal(c.a[0]->subject, "203.0.113.9");
        assert_string_equal(ev_str(c.a[0], "src"), "203.0.113.9");
        assert_string_equal(ev_str(c.a[0], "kind"), "vertical");
        assert_int_equal(ev_int(c.a[0], "ports_count"), 20);
        assert_int_equal(ev_int(c.a[0], "syn_count"), 39);
        assert_int_equal(ev_int(c.a[0], "local_addresses_count"), 1);
        assert_int_equal(ev_int(c.a[0], "window_seconds"), 60);
        assert_string_equal(ev_str(c.a[0], "first_seen"), "2023-11-14T22:13:20Z");
        ports = json_object_get(c.a[0]->evidence, "ports");
        assert_int_equal(json_array_size(ports), PORTSCAN_SAMPLE_PORTS);
        assert_int_equal(json_integer_value(json_array_get(ports, 0)), 1000);
        assert_int_equal(json_integer_value(json_array_get(ports, 15)), 1015);
        assert_true(json_is_true(json_object_get(c.a[0]->evidence, "ports_sampled")));
        assert_string_equal(json_string_value(json_array_get(
                                    json_object_get(c.a[0]->evidence, "local_addresses"), 0)),
                            "10.0.0.2");
        assert_non_null(strstr(c.a[0]->title, "203.0.113.9"));
        assert_non_null(strstr(c.a[0]->remediation, "blocked4 { 203.0.113.9"));

        /* More ports in the same window: no repeat. */
        t = scan(ps, "203.0.113.9", "10.0.0.2", 2000, 30, t, SEC / 100);
        assert_int_equal(portscan_tick(ps, t), 0);
        assert_int_equal(c.n, 1);
        collected_clear(&c);
        portscan_free(ps);
}

static void test_fast_large_scan_one_alert(void **state)
{
        collected_t c = { 0 };
        portscan_opts_t o;
        portscan_t *ps;
        portscan_stats_t st;
        int64_t t;
        (void)state;

        portscan_opts_default(&o);
        ps = make(&o, &c);
        /* nmap's default: 1000 ports within a second. */
        t = scan(ps, "2001:db8::66", "2001:db8::2", 1, 1000, T0, 1000);
        /* The suspicious alert went out at once, at the 200th port. */
        assert_int_equal(c.n, 1);
        assert_int_equal(c.a[0]->level, ALERT_SUSPICIOUS);
        assert_string_equal(c.a[0]->subject, "2001:db8::66");
        assert_int_equal(ev_int(c.a[0], "ports_count"), 200);
        assert_non_null(strstr(c.a[0]->remediation, "blocked6"));
        /* The reminder held at the 20th port is not sent after it. */
        assert_int_equal(portscan_tick(ps, t), 0);
        assert_int_equal(portscan_flush(ps, t), 0);
        assert_int_equal(c.n, 1);
        portscan_get_stats(ps, &st);
        assert_int_equal(st.syns, 1000);
        assert_int_equal(st.alerts, 1);
        assert_int_equal(st.sources, 1);
        assert_int_equal(st.tracked, 1);
        collected_clear(&c);
        portscan_free(ps);
}

static void test_slow_scan_below_rate(void **state)
{
        collected_t c = { 0 };
        portscan_opts_t o;
        portscan_t *ps;
        int64_t t = T0;
        (void)state;

        portscan_opts_default(&o);
        ps = make(&o, &c);
        /* 100 ports, one every 4 s: never 20 within 60 s. */
        for (unsigned i = 0; i < 100; i++) {
                t = scan(ps, "198.51.100.7", "10.0.0.2", 1 + i, 1, t, 4 * SEC);
                assert_int_equal(portscan_tick(ps, t), 0);
        }
        assert_int_equal(c.n, 0);
        /* And a 5-port scan at full speed. */
        t = scan(ps, "198.51.100.8", "10.0.0.2", 1, 5, t, 1000);
        assert_int_equal(portscan_flush(ps, t), 0);
        assert_int_equal(c.n, 0);
        portscan_free(ps);
}

static void test_window_boundary(void **state)
{
        collected_t c = { 0 };
        portscan_opts_t o;
        portscan_t *ps;
        int64_t t;
        (void)state;

        portscan_opts_default(&o);
        o.window_us = 10 * SEC;
        ps = make(&o, &c);
        /* 15 ports, a pause longer than the window, 15 more: two windows
         * of 15, no alert. */
        t = scan(ps, "192.0.2.50", "10.0.0.2", 1, 15, T0, SEC / 10);
        t = scan(ps, "192.0.2.50", "10.0.0.2", 100, 15, t + 11 * SEC, SEC / 10);
        assert_int_equal(portscan_flush(ps, t), 0);
        assert_int_equal(c.n, 0);
        portscan_free(ps);
}

static void test_horizontal(void **state)
{
        collected_t c = { 0 };
        portscan_opts_t o;
        portscan_t *ps;
        ipaddr_t src = ip("203.0.113.77");
        int64_t t = T0;
        char dst[32];
        json_t *locals;
        (void)state;

        portscan_opts_default(&o);
        ps = make(&o, &c);
        /* Port 22 on 7 local addresses: nothing; the 8th: a reminder. */
        for (int i = 1; i <= 8; i++, t += SEC) {
                ipaddr_t d;
                snprintf(dst, sizeof(dst), "10.1.0.%d", i);
                d = ip(dst);
                assert_int_equal(portscan_feed(ps, &src, &d, 22, t), 0);
                if (i == 7) {
                        assert_int_equal(portscan_tick(ps, t), 0);
                        assert_int_equal(c.n, 0);
                }
        }
        assert_int_equal(portscan_tick(ps, t), 0);
        assert_int_equal(c.n, 1);
        assert_string_equal(c.a[0]->rule, "netattack.portscan.horizontal");
        assert_int_equal(c.a[0]->level, ALERT_REMINDER);
        assert_int_equal(ev_int(c.a[0], "local_addresses_count"), 8);
        assert_int_equal(ev_int(c.a[0], "ports_count"), 1);
        locals = json_object_get(c.a[0]->evidence, "local_addresses");
        /* The first address and every one after the inline set overflowed
         * are known by address; the 2nd to 4th only by hash. */
        assert_true(json_array_size(locals) >= 5);
        assert_string_equal(json_string_value(json_array_get(locals, 0)), "10.1.0.1");

        /* Up to 32 addresses: suspicious, once. */
        for (int i = 9; i <= 40; i++, t += SEC / 10) {
                ipaddr_t d;
                snprintf(dst, sizeof(dst), "10.1.0.%d", i);
                d = ip(dst);
                assert_int_equal(portscan_feed(ps, &src, &d, 22, t), 0);
        }
        assert_int_equal(portscan_tick(ps, t), 0);
        assert_int_equal(c.n, 2);
        assert_int_equal(c.a[1]->level, ALERT_SUSPICIOUS);
        assert_int_equal(ev_int(c.a[1], "local_addresses_count"), 32);
        collected_clear(&c);
        portscan_free(ps);
}

static void test_hosts_saturate(void **state)
{
        collected_t c = { 0 };
        portscan_opts_t o;
        portscan_t *ps;
        portscan_stats_t st;
        ipaddr_t src = ip("203.0.113.78");
        int64_t t = T0;
        (void)state;

        portscan_opts_default(&o);
        ps = make(&o, &c);
        /* A /16 sweep: the address count stops at its cap. */
        for (unsigned i = 0; i < 5000; i++, t += 100) {
                ipaddr_t d = { .family = AF_INET,
                               .bytes = { 10, 2, (uint8_t)(i >> 8), (uint8_t)i } };
                assert_int_equal(portscan_feed(ps, &src, &d, 443, t), 0);
        }
        assert_int_equal(portscan_flush(ps, t), 0);
        assert_int_equal(c.n, 1);
        assert_int_equal(c.a[0]->level, ALERT_SUSPICIOUS);
        portscan_get_stats(ps, &st);
        assert_int_equal(st.syns, 5000);
        collected_clear(&c);
        portscan_free(ps);
}

static void test_cooldown_and_escalation(void **state)
{
        collected_t c = { 0 };
        portscan_opts_t o;
        portscan_t *ps;
        int64_t t;
        (void)state;

        portscan_opts_default(&o);
        ps = make(&o, &c);
        t = scan(ps, "203.0.113.10", "10.0.0.2", 1, 25, T0, SEC);
        assert_int_equal(portscan_tick(ps, t), 0);
        assert_int_equal(c.n, 1);
        assert_int_equal(c.a[0]->level, ALERT_REMINDER);

        /* A new window 100 s later, the same kind of scan: within the
         * cool-down (600 s), nothing. */
        t = scan(ps, "203.0.113.10", "10.0.0.2", 100, 25, T0 + 100 * SEC, SEC);
        assert_int_equal(portscan_tick(ps, t), 0);
        assert_int_equal(c.n, 1);

        /* But a scan that goes on to the suspicious level is reported. */
        t = scan(ps, "203.0.113.10", "10.0.0.2", 200, 300, t, SEC / 100);
        assert_int_equal(c.n, 2);
        assert_int_equal(c.a[1]->level, ALERT_SUSPICIOUS);
        assert_int_equal(portscan_tick(ps, t), 0);
        assert_int_equal(c.n, 2);

        /* After the cool-down, a reminder-level scan alerts again. */
        t = scan(ps, "203.0.113.10", "10.0.0.2", 1, 25, T0 + 1000 * SEC, SEC);
        assert_int_equal(portscan_tick(ps, t), 0);
        assert_int_equal(c.n, 3);
        assert_int_equal(c.a[2]->level, ALERT_REMINDER);
        collected_clear(&c);
        portscan_free(ps);
}

static void test_allowlist(void **state)
{
        collected_t c = { 0 };
        portscan_opts_t o;
        portscan_t *ps;
        portscan_stats_t st;
        ipnet_t allow[2];
        int64_t t;
        (void)state;

        assert_int_equal(ipnet_parse("127.0.0.0/8", &allow[0]), 0);
        assert_int_equal(ipnet_parse("192.0.2.0/24", &allow[1]), 0);
        portscan_opts_default(&o);
        o.allow = allow;
        o.n_allow = 2;
        ps = make(&o, &c);
        t = scan(ps, "127.0.0.1", "127.0.0.1", 1, 1000, T0, 100);
        t = scan(ps, "192.0.2.200", "10.0.0.2", 1, 1000, t, 100);
        assert_int_equal(portscan_flush(ps, t), 0);
        assert_int_equal(c.n, 0);
        portscan_get_stats(ps, &st);
        assert_int_equal(st.allowlisted, 2000);
        assert_int_equal(st.syns, 0);
        assert_int_equal(st.sources, 0);
        /* A source next to the allowed network is not allowed. */
        t = scan(ps, "192.0.3.1", "10.0.0.2", 1, 1000, t, 100);
        assert_int_equal(c.n, 1);
        collected_clear(&c);
        portscan_free(ps);
}

/* A tiny deterministic generator for the flood. */
static uint64_t rng(uint64_t *s)
{
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        return *s;
}

static void test_spoofed_flood_memory_cap(void **state)
{
        collected_t c = { 0 };
        portscan_opts_t o;
        portscan_t *ps;
        portscan_stats_t st;
        ipaddr_t scanner = ip("203.0.113.250"), local = ip("10.0.0.2");
        uint64_t seed = 0x9e3779b97f4a7c15ULL;
        int64_t t = T0;
        size_t bytes_early = 0;
        unsigned scanned = 0;
        (void)state;

        portscan_opts_default(&o);
        o.max_sources = 4096;
        o.max_tracked = 8;
        ps = make(&o, &c);
        /* 1,000,000 SYNs from random sources to random ports, with a real
         * scanner sending one SYN in every 100. */
        for (unsigned i = 0; i < 1000000; i++, t += 10) {
                uint64_t x = rng(&seed);
                ipaddr_t src = { .family = AF_INET };

                if (i % 100 == 0 && scanned < 300) {
                        assert_int_equal(
                                portscan_feed(ps, &scanner, &local, (uint16_t)(1 + scanned++), t),
                                0);
                        continue;
                }
                memcpy(src.bytes, &x, 4);
                if (src.bytes[0] == 127 || (src.bytes[0] == 203 && src.bytes[1] == 0))
                        src.bytes[0] = 1;
                assert_int_equal(portscan_feed(ps, &src, &local, (uint16_t)(x >> 32), t), 0);
                if (i == 100000) {
                        portscan_get_stats(ps, &st);
                        bytes_early = st.bytes;
                }
        }
        portscan_get_stats(ps, &st);
        assert_int_equal(st.sources, 4096);
        assert_true(st.tracked <= 8);
        assert_true(st.sources_evicted >= 990000 - 4096);
        /* The memory held stopped growing once the table was full. */
        assert_int_equal(st.bytes, bytes_early);
        assert_true(st.bytes < 4096 * 160 + 8 * 10 * 1024 + 64 * 1024 + 8192 * 4);
        /* The scanner, seen every 100 SYNs, was never evicted; it was found,
         * and the flood raised nothing. */
        assert_int_equal(portscan_flush(ps, t), 0);
        assert_int_equal(c.n, 1);
        assert_string_equal(c.a[0]->subject, "203.0.113.250");
        assert_int_equal(c.a[0]->level, ALERT_SUSPICIOUS);
        collected_clear(&c);
        portscan_free(ps);
}

static void test_tracked_eviction_undercounts(void **state)
{
        collected_t c = { 0 };
        portscan_opts_t o;
        portscan_t *ps;
        portscan_stats_t st;
        static const char *const srcs[] = { "198.51.100.1", "198.51.100.2", "198.51.100.3" };
        int64_t t = T0;
        (void)state;

        portscan_opts_default(&o);
        o.max_tracked = 2;
        ps = make(&o, &c);
        /* Three sources each send 12 ports, round robin: each one past 8
         * ports needs a tracked record, there are two, so they keep taking
         * them from each other. Counts are lost, never invented: no alert
         * (12 < 20), no crash. */
        for (unsigned p = 0; p < 12; p++)
                for (unsigned s = 0; s < 3; s++, t += 1000)
                        scan(ps, srcs[s], "10.0.0.2", 1 + p, 1, t, 0);
        assert_int_equal(portscan_flush(ps, t), 0);
        assert_int_equal(c.n, 0);
        portscan_get_stats(ps, &st);
        assert_true(st.tracked_evicted > 0);
        assert_true(st.tracked <= 2);
        /* Repeating the same 12 ports many times still never alerts. */
        for (unsigned round = 0; round < 20; round++)
                for (unsigned p = 0; p < 12; p++)
                        for (unsigned s = 0; s < 3; s++, t += 1000)
                                scan(ps, srcs[s], "10.0.0.2", 1 + p, 1, t, 0);
        assert_int_equal(portscan_flush(ps, t), 0);
        assert_int_equal(c.n, 0);
        portscan_free(ps);
}

static void test_idle_expiry(void **state)
{
        collected_t c = { 0 };
        portscan_opts_t o;
        portscan_t *ps;
        portscan_stats_t st;
        int64_t t;
        (void)state;

        portscan_opts_default(&o);
        ps = make(&o, &c);
        t = scan(ps, "198.51.100.20", "10.0.0.2", 1, 10, T0, SEC);
        t = scan(ps, "198.51.100.21", "10.0.0.2", 1, 10, t, SEC);
        assert_int_equal(portscan_tick(ps, t + 300 * SEC), 0);
        portscan_get_stats(ps, &st);
        assert_int_equal(st.sources, 2);
        assert_int_equal(st.tracked, 2);
        assert_int_equal(portscan_tick(ps, t + 700 * SEC), 0);
        portscan_get_stats(ps, &st);
        assert_int_equal(st.sources, 0);
        assert_int_equal(st.tracked, 0);
        /* The freed slots are used again. */
        scan(ps, "198.51.100.22", "10.0.0.2", 1, 30, t + 800 * SEC, SEC / 10);
        portscan_get_stats(ps, &st);
        assert_int_equal(st.sources, 1);
        portscan_free(ps);
}

static void test_time_disorder(void **state)
{
        collected_t c = { 0 };
        portscan_opts_t o;
        portscan_t *ps;
        ipaddr_t s = ip("198.51.100.30"), d = ip("10.0.0.2");
        (void)state;

        portscan_opts_default(&o);
        ps = make(&o, &c);
        /* Capture times from different CPUs may step back a little. */
        for (unsigned i = 0; i < 25; i++)
                assert_int_equal(portscan_feed(ps, &s, &d, (uint16_t)(i + 1),
                                               T0 + (i % 2 ? -1 : 1) * (int64_t)i * 1000),
                                 0);
        assert_int_equal(portscan_flush(ps, T0), 0);
        assert_int_equal(c.n, 1);
        assert_int_equal(ev_int(c.a[0], "ports_count"), 25);
        collected_clear(&c);
        portscan_free(ps);
}

static void test_sink_error(void **state)
{
        collected_t c = { .fail_with = -EIO };
        portscan_opts_t o;
        portscan_t *ps;
        portscan_stats_t st;
        ipaddr_t s = ip("198.51.100.40"), d = ip("10.0.0.2");
        int r = 0;
        (void)state;

        portscan_opts_default(&o);
        ps = make(&o, &c);
        for (unsigned i = 0; i < 199; i++)
                assert_int_equal(portscan_feed(ps, &s, &d, (uint16_t)(i + 1), T0 + i), 0);
        /* The 200th port sends the suspicious alert; the sink fails. */
        assert_int_equal(portscan_feed(ps, &s, &d, 200, T0 + 200), -EIO);
        /* The pair counts as alerted: later SYNs do not retry. */
        for (unsigned i = 200; i < 400; i++)
                r |= portscan_feed(ps, &s, &d, (uint16_t)(i + 1), T0 + i);
        assert_int_equal(r, 0);
        portscan_get_stats(ps, &st);
        assert_int_equal(st.sink_errors, 1);
        assert_int_equal(st.alerts, 0);
        portscan_free(ps);
}

static void test_opts_check(void **state)
{
        portscan_opts_t o;
        const char *why = NULL;
        portscan_t *ps = NULL;
        (void)state;

        portscan_opts_default(&o);
        assert_int_equal(portscan_opts_check(&o, &why), 0);
        o.ports_suspicious = 10;
        assert_int_equal(portscan_opts_check(&o, &why), -EINVAL);
        assert_non_null(why);
        assert_int_equal(portscan_new(&o, NULL, &ps), -EINVAL);
        assert_null(ps);
        portscan_opts_default(&o);
        o.hosts = PORTSCAN_MAX_HOSTS + 1;
        o.hosts_suspicious = PORTSCAN_MAX_HOSTS + 1;
        assert_int_equal(portscan_opts_check(&o, &why), -EINVAL);
        portscan_opts_default(&o);
        o.window_us = 0;
        assert_int_equal(portscan_opts_check(&o, &why), -EINVAL);
        portscan_opts_default(&o);
        o.max_sources = 1;
        assert_int_equal(portscan_opts_check(&o, &why), -EINVAL);
        /* No sink: alerts are dropped quietly. */
        portscan_opts_default(&o);
        assert_int_equal(portscan_new(&o, NULL, &ps), 0);
        scan(ps, "198.51.100.50", "10.0.0.2", 1, 300, T0, 10);
        portscan_free(ps);
        portscan_free(NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_vertical_reminder),
                cmocka_unit_test(test_fast_large_scan_one_alert),
                cmocka_unit_test(test_slow_scan_below_rate),
                cmocka_unit_test(test_window_boundary),
                cmocka_unit_test(test_horizontal),
                cmocka_unit_test(test_hosts_saturate),
                cmocka_unit_test(test_cooldown_and_escalation),
                cmocka_unit_test(test_allowlist),
                cmocka_unit_test(test_spoofed_flood_memory_cap),
                cmocka_unit_test(test_tracked_eviction_undercounts),
                cmocka_unit_test(test_idle_expiry),
                cmocka_unit_test(test_time_disorder),
                cmocka_unit_test(test_sink_error),
                cmocka_unit_test(test_opts_check),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
