/* Unit tests for detect/netattack/flood: the rate logic on samples with
 * known counters and times (each SYN flood test, the UDP thresholds and
 * levels, the cool-down, counter resets, short intervals, counters an older
 * kernel lacks), and flood_tick over the real before/during copies of a
 * SYN-flooded namespace's /proc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alert.h"
#include "detect/netattack/flood.h"

#define SEC  1000000LL
#define T0   (1700000000LL * SEC)
#define MAXA 16

typedef struct collected {
        alert_t *a[MAXA];
        size_t n;
} collected_t;

static int collect(alert_t *a, void *userdata)
{
        collected_t *c = userdata;

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

static flood_t *make(const flood_opts_t *o, collected_t *c)
{
        alert_sink_t sink = { collect, c };
        flood_t *f;

        assert_int_equal(flood_new(o, &sink, &f), 0);
        return f;
}

/* A sample with every counter present and zero. */
static netstat_sample_t base(void)
{
        netstat_sample_t s = { 0 };

        s.have = (1u << NETSTAT_COUNTER__MAX) - 1;
        s.have_synrecv = true;
        return s;
}

static long long ev_int(const alert_t *a, const char *key)
{
        json_t *v = json_object_get(a->evidence, key);
        assert_true(json_is_integer(v));
        return (long long)json_integer_value(v);
}

static bool triggered(const alert_t *a, const char *why)
{
        json_t *arr = json_object_get(a->evidence, "triggered_by"), *v;
        size_t i;

        json_array_foreach (arr, i, v)
                if (strcmp(json_string_value(v), why) == 0)
                        return true;
        return false;
}

static void test_syn_by_drops(void **state)
{
        collected_t c = { 0 };
        flood_opts_t o;
        flood_t *f;
        netstat_sample_t s = base();
        (void)state;

        flood_opts_default(&o);
        f = make(&o, &c);
        s.v[NETSTAT_LISTEN_DROPS] = 1000;
        assert_int_equal(flood_feed(f, &s, T0), 0); /* the baseline */
        assert_int_equal(c.n, 0);

        /* 245 drops in 5 s: 49/s, below 50. */
        s.v[NETSTAT_LISTEN_DROPS] += 245;
        assert_int_equal(flood_feed(f, &s, T0 + 5 * SEC), 0);
        assert_int_equal(c.n, 0);

        /* 250 in 5 s: 50/s. */
        s.v[NETSTAT_LISTEN_DROPS] += 250;
        s.v[NETSTAT_LISTEN_OVERFLOWS] += 250;
        assert_int_equal(flood_feed(f, &s, T0 + 10 * SEC), 0);
        assert_int_equal(c.n, 1);
        assert_int_equal(c.a[0]->type, ALERT_NETWORK_ATTACK);
        assert_int_equal(c.a[0]->level, ALERT_SUSPICIOUS);
        assert_string_equal(c.a[0]->rule, "netattack.flood.syn");
        assert_string_equal(c.a[0]->subject, "tcp-syn");
        assert_int_equal(c.a[0]->time_us, T0 + 10 * SEC);
        assert_int_equal(ev_int(c.a[0], "listen_drops"), 250);
        assert_int_equal(ev_int(c.a[0], "listen_overflows"), 250);
        assert_int_equal(ev_int(c.a[0], "dropped_per_sec"), 50);
        assert_int_equal(ev_int(c.a[0], "interval_ms"), 5000);
        assert_int_equal(ev_int(c.a[0], "syn_recv"), 0);
        assert_true(triggered(c.a[0], "listen_drops"));
        assert_false(triggered(c.a[0], "syncookies"));
        assert_null(json_object_get(c.a[0]->evidence, "missing_counters"));
        assert_non_null(strstr(c.a[0]->remediation, "tcp_syncookies"));

        /* Still flooding: within the cool-down, quiet; after it, again. */
        for (int i = 3; i < 100; i++) {
                s.v[NETSTAT_LISTEN_DROPS] += 5000;
                assert_int_equal(flood_feed(f, &s, T0 + i * 5 * SEC), 0);
        }
        assert_int_equal(c.n, 1);
        s.v[NETSTAT_LISTEN_DROPS] += 120 * 50;
        assert_int_equal(flood_feed(f, &s, T0 + 615 * SEC), 0);
        assert_int_equal(c.n, 2);
        collected_clear(&c);
        flood_free(f);
}

static void test_syn_by_cookies_and_synrecv(void **state)
{
        collected_t c = { 0 };
        flood_opts_t o;
        flood_t *f;
        netstat_sample_t s = base();
        (void)state;

        flood_opts_default(&o);
        f = make(&o, &c);
        assert_int_equal(flood_feed(f, &s, T0), 0);
        s.v[NETSTAT_SYNCOOKIES_SENT] = 1173;
        s.v[NETSTAT_SYNCOOKIES_FAILED] = 3;
        assert_int_equal(flood_feed(f, &s, T0 + 3 * SEC), 0);
        assert_int_equal(c.n, 1);
        assert_true(triggered(c.a[0], "syncookies"));
        assert_int_equal(ev_int(c.a[0], "syncookies_per_sec"), 391);
        assert_int_equal(ev_int(c.a[0], "syncookies_failed"), 3);
        collected_clear(&c);
        flood_free(f);

        /* Half-open connections alone. */
        f = make(&o, &c);
        s = base();
        assert_int_equal(flood_feed(f, &s, T0), 0);
        s.synrecv = 255;
        assert_int_equal(flood_feed(f, &s, T0 + 5 * SEC), 0);
        assert_int_equal(c.n, 0);
        s.synrecv = 256;
        assert_int_equal(flood_feed(f, &s, T0 + 10 * SEC), 0);
        assert_int_equal(c.n, 1);
        assert_true(triggered(c.a[0], "syn_recv"));
        assert_int_equal(ev_int(c.a[0], "syn_recv"), 256);
        collected_clear(&c);
        flood_free(f);

        /* A threshold of 0 turns its test off. */
        o.syn_recv = 0;
        o.syncookies_per_sec = 0;
        f = make(&o, &c);
        s = base();
        assert_int_equal(flood_feed(f, &s, T0), 0);
        s.synrecv = 100000;
        s.v[NETSTAT_SYNCOOKIES_SENT] = 1000000;
        assert_int_equal(flood_feed(f, &s, T0 + 5 * SEC), 0);
        assert_int_equal(c.n, 0);
        flood_free(f);
}

static void test_old_kernel_counters(void **state)
{
        collected_t c = { 0 };
        flood_opts_t o;
        flood_t *f;
        netstat_sample_t s = { 0 };
        json_t *missing;
        (void)state;

        flood_opts_default(&o);
        f = make(&o, &c);
        /* No ListenDrops, no TCPReqQFullDrop counter; no socket tables. */
        s.have = (1u << NETSTAT_LISTEN_OVERFLOWS) | (1u << NETSTAT_SYNCOOKIES_SENT) |
                 (1u << NETSTAT_UDP_IN) | (1u << NETSTAT_UDP_IN_ERRORS);
        assert_int_equal(flood_feed(f, &s, T0), 0);
        s.v[NETSTAT_LISTEN_OVERFLOWS] = 600;
        assert_int_equal(flood_feed(f, &s, T0 + 5 * SEC), 0);
        assert_int_equal(c.n, 1);
        assert_int_equal(ev_int(c.a[0], "dropped_per_sec"), 120);
        assert_null(json_object_get(c.a[0]->evidence, "syn_recv"));
        missing = json_object_get(c.a[0]->evidence, "missing_counters");
        assert_true(json_is_array(missing));
        assert_string_equal(json_string_value(json_array_get(missing, 0)), "ListenDrops");
        collected_clear(&c);
        flood_free(f);
}

static void test_udp(void **state)
{
        collected_t c = { 0 };
        flood_opts_t o;
        flood_t *f;
        netstat_sample_t s = base();
        (void)state;

        flood_opts_default(&o);
        f = make(&o, &c);
        assert_int_equal(flood_feed(f, &s, T0), 0);

        /* Many datagrams, no errors: off by default. */
        s.v[NETSTAT_UDP_IN] += 10000000;
        assert_int_equal(flood_feed(f, &s, T0 + 5 * SEC), 0);
        assert_int_equal(c.n, 0);

        /* 600 errors in 5 s (RcvbufErrors also counted in InErrors, and
         * IPv6 on top): 120/s, a reminder. */
        s.v[NETSTAT_UDP_RCVBUF_ERRORS] += 400;
        s.v[NETSTAT_UDP_IN_ERRORS] += 400;
        s.v[NETSTAT_UDP6_IN_ERRORS] += 200;
        s.v[NETSTAT_UDP_NOPORTS] += 7;
        assert_int_equal(flood_feed(f, &s, T0 + 10 * SEC), 0);
        assert_int_equal(c.n, 1);
        assert_int_equal(c.a[0]->level, ALERT_REMINDER);
        assert_string_equal(c.a[0]->rule, "netattack.flood.udp");
        assert_string_equal(c.a[0]->subject, "udp");
        assert_int_equal(ev_int(c.a[0], "errors_per_sec"), 120);
        assert_int_equal(ev_int(c.a[0], "in_errors"), 600);
        assert_int_equal(ev_int(c.a[0], "rcvbuf_errors"), 400);
        assert_int_equal(ev_int(c.a[0], "no_ports"), 7);

        /* More of the same within the cool-down: quiet. */
        s.v[NETSTAT_UDP_IN_ERRORS] += 1000;
        assert_int_equal(flood_feed(f, &s, T0 + 15 * SEC), 0);
        assert_int_equal(c.n, 1);

        /* Rising to the suspicious rate is reported at once. */
        s.v[NETSTAT_UDP_IN_ERRORS] += 25000;
        assert_int_equal(flood_feed(f, &s, T0 + 20 * SEC), 0);
        assert_int_equal(c.n, 2);
        assert_int_equal(c.a[1]->level, ALERT_SUSPICIOUS);
        collected_clear(&c);
        flood_free(f);

        /* The datagram rate, when set. */
        o.udp_datagrams_per_sec = 100000;
        f = make(&o, &c);
        s = base();
        assert_int_equal(flood_feed(f, &s, T0), 0);
        s.v[NETSTAT_UDP6_IN] += 600000;
        assert_int_equal(flood_feed(f, &s, T0 + 5 * SEC), 0);
        assert_int_equal(c.n, 1);
        assert_int_equal(c.a[0]->level, ALERT_REMINDER);
        assert_int_equal(ev_int(c.a[0], "datagrams_per_sec"), 120000);
        collected_clear(&c);
        flood_free(f);
}

static void test_resets_and_intervals(void **state)
{
        collected_t c = { 0 };
        flood_opts_t o;
        flood_t *f;
        netstat_sample_t s = base();
        (void)state;

        flood_opts_default(&o);
        f = make(&o, &c);
        s.v[NETSTAT_LISTEN_DROPS] = 1000000;
        assert_int_equal(flood_feed(f, &s, T0), 0);
        /* The counter went down (another namespace, a reset): no rate. */
        s.v[NETSTAT_LISTEN_DROPS] = 10;
        assert_int_equal(flood_feed(f, &s, T0 + 5 * SEC), 0);
        assert_int_equal(c.n, 0);
        /* A sample 0.5 s after the previous one is ignored, the next one is
         * measured against the older baseline: 300 over 5 s is 60/s. */
        s.v[NETSTAT_LISTEN_DROPS] = 200;
        assert_int_equal(flood_feed(f, &s, T0 + 5 * SEC + SEC / 2), 0);
        assert_int_equal(c.n, 0);
        s.v[NETSTAT_LISTEN_DROPS] = 310;
        assert_int_equal(flood_feed(f, &s, T0 + 10 * SEC), 0);
        assert_int_equal(c.n, 1);
        assert_int_equal(ev_int(c.a[0], "dropped_per_sec"), 60);
        /* The clock going back restarts the baseline without alerting. */
        s.v[NETSTAT_LISTEN_DROPS] = 100000;
        assert_int_equal(flood_feed(f, &s, T0), 0);
        assert_int_equal(c.n, 1);
        collected_clear(&c);
        flood_free(f);

        o.cooldown_us = -1;
        assert_int_equal(flood_new(&o, NULL, &f), -EINVAL);
        flood_free(NULL);
}

static void test_tick_on_real_copies(void **state)
{
        const char *dir = getenv("VIGIL_FIXTURES");
        char idle[1024], flood[1024];
        collected_t c = { 0 };
        flood_opts_t o;
        flood_t *f;
        (void)state;

        assert_non_null(dir);
        snprintf(idle, sizeof(idle), "%s/netattack/proc/idle", dir);
        snprintf(flood, sizeof(flood), "%s/netattack/proc/synflood", dir);
        flood_opts_default(&o);
        f = make(&o, &c);
        /* The two copies were taken about 4 s apart; 1173 SYN cookies in
         * 5 s is well over 50/s. */
        assert_int_equal(flood_tick(f, idle, T0), 0);
        assert_int_equal(flood_tick(f, flood, T0 + 5 * SEC), 0);
        assert_int_equal(c.n, 1);
        assert_string_equal(c.a[0]->rule, "netattack.flood.syn");
        assert_int_equal(ev_int(c.a[0], "syncookies_sent"), 1173);
        assert_int_equal(ev_int(c.a[0], "syn_recv"), 9);
        assert_true(triggered(c.a[0], "syncookies"));
        assert_false(triggered(c.a[0], "syn_recv"));
        collected_clear(&c);
        assert_int_equal(flood_tick(f, "/nonexistent", T0 + 10 * SEC), -ENOENT);
        flood_free(f);
}

/* Copy FROM to TO (small files). */
static void copy_file(const char *from, const char *to)
{
        char buf[65536];
        FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
        size_t n;

        assert_non_null(in);
        assert_non_null(out);
        while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
                assert_int_equal(fwrite(buf, 1, n, out), n);
        fclose(in);
        fclose(out);
}

static void test_synrecv_interval(void **state)
{
        const char *fixtures = getenv("VIGIL_FIXTURES");
        static const char *const names[] = { "netstat", "snmp", "snmp6" };
        char dir[] = "/tmp/vigil-flood-XXXXXX", path[512], from[1024];
        collected_t c = { 0 };
        flood_opts_t o;
        flood_t *f;
        FILE *tcp;
        (void)state;

        /* Quiet counters, but 300 half-open connections in the table. */
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/net", dir);
        assert_int_equal(mkdir(path, 0700), 0);
        for (size_t i = 0; i < 3; i++) {
                snprintf(from, sizeof(from), "%s/netattack/proc/idle/net/%s", fixtures, names[i]);
                snprintf(path, sizeof(path), "%s/net/%s", dir, names[i]);
                copy_file(from, path);
        }
        snprintf(path, sizeof(path), "%s/net/tcp", dir);
        tcp = fopen(path, "w");
        assert_non_null(tcp);
        fprintf(tcp, "  sl  local_address rem_address   st tx_queue rx_queue\n");
        for (int i = 0; i < 300; i++)
                fprintf(tcp, "%4d: 0200630A:0050 0100630A:%04X 03 00000000:00000000\n", i,
                        1024 + i);
        fclose(tcp);

        flood_opts_default(&o);
        f = make(&o, &c);
        /* The first tick reads the tables (and only sets the baseline). */
        assert_int_equal(flood_tick(f, dir, T0), 0);
        /* Five seconds later the counters have not moved: the tables are
         * not read, so the count is not judged. */
        assert_int_equal(flood_tick(f, dir, T0 + 5 * SEC), 0);
        assert_int_equal(c.n, 0);
        /* After syn_recv_interval they are. */
        assert_int_equal(flood_tick(f, dir, T0 + 65 * SEC), 0);
        assert_int_equal(c.n, 1);
        assert_int_equal(ev_int(c.a[0], "syn_recv"), 300);
        assert_true(triggered(c.a[0], "syn_recv"));
        collected_clear(&c);
        flood_free(f);

        for (size_t i = 0; i < 3; i++) {
                snprintf(path, sizeof(path), "%s/net/%s", dir, names[i]);
                unlink(path);
        }
        snprintf(path, sizeof(path), "%s/net/tcp", dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/net", dir);
        rmdir(path);
        rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_syn_by_drops),
                cmocka_unit_test(test_syn_by_cookies_and_synrecv),
                cmocka_unit_test(test_old_kernel_counters),
                cmocka_unit_test(test_udp),
                cmocka_unit_test(test_resets_and_intervals),
                cmocka_unit_test(test_tick_on_real_copies),
                cmocka_unit_test(test_synrecv_interval),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
