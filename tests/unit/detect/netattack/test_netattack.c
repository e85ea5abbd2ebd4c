/* Unit tests for detect/netattack/netattack: the settings read from YAML
 * (defaults, every key, errors that name the key) and the bundle driven as
 * the agent drives it — a capture (here a real scan's savefile) read on
 * readiness, ticks that flush held reminders and sample the flood counters
 * (here the real before/during copies of a SYN-flooded namespace). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <unistd.h>

#include "core/alert.h"
#include "detect/netattack/netattack.h"

#define SEC  1000000LL
#define MAXA 8

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

static config_t *config_from(const char *yaml)
{
        char path[] = "/tmp/vigil-nacfg-XXXXXX";
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
        config_t *c = config_new_empty();
        netattack_config_t nc;
        char s[IPADDR_STR_MAX + 4];
        (void)state;

        assert_int_equal(netattack_config_load(c, &nc, NULL), 0);
        assert_true(nc.portscan_enabled);
        assert_true(nc.flood_enabled);
        assert_string_equal(nc.capture.device, "any");
        assert_int_equal(nc.capture.buffer_bytes, 2 * 1024 * 1024);
        assert_int_equal(nc.capture.timeout_ms, 500);
        assert_false(nc.capture.immediate);
        assert_int_equal(nc.portscan.window_us, 60 * SEC);
        assert_int_equal(nc.portscan.cooldown_us, 600 * SEC);
        assert_int_equal(nc.portscan.ports, 20);
        assert_int_equal(nc.portscan.ports_suspicious, 200);
        assert_int_equal(nc.portscan.hosts, 8);
        assert_int_equal(nc.portscan.hosts_suspicious, 32);
        assert_int_equal(nc.portscan.max_sources, 65536);
        assert_int_equal(nc.portscan.max_tracked, 1024);
        assert_int_equal(nc.n_allow, 2);
        assert_string_equal(ipnet_format(&nc.allow[0], s), "127.0.0.0/8");
        assert_string_equal(ipnet_format(&nc.allow[1], s), "::1/128");
        assert_ptr_equal(nc.portscan.allow, nc.allow);
        assert_int_equal(nc.flood.syn_drops_per_sec, 50);
        assert_int_equal(nc.flood.syncookies_per_sec, 50);
        assert_int_equal(nc.flood.syn_recv, 256);
        assert_int_equal(nc.flood.udp_errors_per_sec, 100);
        assert_int_equal(nc.flood.udp_errors_suspicious_per_sec, 5000);
        assert_int_equal(nc.flood.udp_datagrams_per_sec, 0);
        assert_int_equal(nc.flood.min_interval_us, SEC);
        /* The socket tables are costly to read: once a minute when quiet. */
        assert_int_equal(nc.flood.synrecv_interval_us, 60 * SEC);
        assert_string_equal(nc.proc_dir, "/proc");
        netattack_config_clear(&nc);
        config_free(c);
}

static void test_every_key(void **state)
{
        config_t *c = config_from("netattack:\n"
                                  "  allowlist: [10.0.0.0/8]\n"
                                  "  capture: {device: eth0, buffer: 4MiB, batch_ms: 200, "
                                  "immediate: true}\n"
                                  "  portscan:\n"
                                  "    enabled: false\n"
                                  "    window: 2m\n"
                                  "    cooldown: 1h\n"
                                  "    ports: 50\n"
                                  "    ports_suspicious: 500\n"
                                  "    hosts: 4\n"
                                  "    hosts_suspicious: 100\n"
                                  "    max_sources: 1024\n"
                                  "    max_tracked: 16\n"
                                  "  flood:\n"
                                  "    enabled: false\n"
                                  "    syn_drops_per_sec: 1\n"
                                  "    syncookies_per_sec: 2\n"
                                  "    syn_recv: 3\n"
                                  "    udp_errors_per_sec: 4\n"
                                  "    udp_errors_suspicious_per_sec: 5\n"
                                  "    udp_datagrams_per_sec: 6\n"
                                  "    cooldown: 90s\n"
                                  "    min_interval: 0\n"
                                  "    syn_recv_interval: 2m\n");
        netattack_config_t nc;
        (void)state;

        assert_int_equal(netattack_config_load(c, &nc, NULL), 0);
        assert_int_equal(nc.n_allow, 1);
        assert_string_equal(nc.capture.device, "eth0");
        assert_int_equal(nc.capture.buffer_bytes, 4 * 1024 * 1024);
        assert_int_equal(nc.capture.timeout_ms, 200);
        assert_true(nc.capture.immediate);
        assert_false(nc.portscan_enabled);
        assert_int_equal(nc.portscan.window_us, 120 * SEC);
        assert_int_equal(nc.portscan.cooldown_us, 3600 * SEC);
        assert_int_equal(nc.portscan.ports, 50);
        assert_int_equal(nc.portscan.ports_suspicious, 500);
        assert_int_equal(nc.portscan.hosts, 4);
        assert_int_equal(nc.portscan.hosts_suspicious, 100);
        assert_int_equal(nc.portscan.max_sources, 1024);
        assert_int_equal(nc.portscan.max_tracked, 16);
        assert_false(nc.flood_enabled);
        assert_int_equal(nc.flood.syn_drops_per_sec, 1);
        assert_int_equal(nc.flood.syncookies_per_sec, 2);
        assert_int_equal(nc.flood.syn_recv, 3);
        assert_int_equal(nc.flood.udp_errors_per_sec, 4);
        assert_int_equal(nc.flood.udp_errors_suspicious_per_sec, 5);
        assert_int_equal(nc.flood.udp_datagrams_per_sec, 6);
        assert_int_equal(nc.flood.cooldown_us, 90 * SEC);
        assert_int_equal(nc.flood.min_interval_us, 0);
        assert_int_equal(nc.flood.synrecv_interval_us, 120 * SEC);
        netattack_config_clear(&nc);
        config_free(c);

        /* An empty allowlist turns the loopback default off. */
        c = config_from("netattack:\n  allowlist: []\n");
        assert_int_equal(netattack_config_load(c, &nc, NULL), 0);
        assert_int_equal(nc.n_allow, 0);
        assert_null(nc.allow);
        netattack_config_clear(&nc);
        config_free(c);
}

static void test_errors(void **state)
{
        static const struct {
                const char *yaml;
                const char *key;
        } cases[] = {
                { "netattack: {portscan: {window: soon}}", "netattack.portscan.window" },
                { "netattack: {portscan: {window: 0}}", "netattack.portscan.window" },
                { "netattack: {portscan: {ports: 1}}", "netattack.portscan.ports" },
                { "netattack: {portscan: {ports: 30, ports_suspicious: 20}}",
                  "netattack.portscan.ports_suspicious" },
                { "netattack: {portscan: {hosts: 2000}}", "netattack.portscan.hosts" },
                { "netattack: {portscan: {ports_suspicious: 5000}}",
                  "netattack.portscan.ports_suspicious" },
                { "netattack: {portscan: {enabled: 1}}", "netattack.portscan.enabled" },
                { "netattack: {portscan: {max_sources: 10}}", "netattack.portscan.max_sources" },
                { "netattack: {flood: {syn_recv: -1}}", "netattack.flood.syn_recv" },
                { "netattack: {flood: {cooldown: 5x}}", "netattack.flood.cooldown" },
                { "netattack: {capture: {buffer: 1k}}", "netattack.capture.buffer" },
                { "netattack: {capture: {buffer: lots}}", "netattack.capture.buffer" },
                { "netattack: {capture: {device: [eth0]}}", "netattack.capture.device" },
                { "netattack: {capture: {device: an-interface-name-too-long}}",
                  "netattack.capture.device" },
                { "netattack: {allowlist: [nonsense]}", "netattack.allowlist" },
                { "netattack: {allowlist: {a: b}}", "netattack.allowlist" },
        };
        (void)state;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                config_t *c = config_from(cases[i].yaml);
                netattack_config_t nc;
                char *err = NULL;

                assert_int_equal(netattack_config_load(c, &nc, &err), -EINVAL);
                assert_non_null(err);
                if (!strstr(err, cases[i].key))
                        fail_msg("%s: error \"%s\" does not name %s", cases[i].yaml, err,
                                 cases[i].key);
                free(err);
                config_free(c);
        }
}

static void test_bundle(void **state)
{
        const char *fixtures = getenv("VIGIL_FIXTURES");
        config_t *c = config_new_empty();
        netattack_config_t nc;
        netattack_t *n;
        netattack_stats_t st;
        collected_t got = { 0 };
        alert_sink_t sink = { collect, &got };
        char path[1024];
        int64_t t = 1700000000LL * SEC;
        (void)state;

        assert_int_equal(netattack_config_load(c, &nc, NULL), 0);
        free(nc.proc_dir);
        assert_true(asprintf(&nc.proc_dir, "%s/netattack/proc/idle", fixtures) > 0);
        assert_int_equal(netattack_new(&nc, &sink, &n), 0);
        netattack_config_clear(&nc); /* the bundle has its own copy */
        assert_int_equal(netattack_fd(n), -1);

        snprintf(path, sizeof(path), "%s/netattack/pcap/scan-sll2.pcap", fixtures);
        assert_int_equal(netattack_start_capture_file(n, path, NULL), 0);
        for (int i = 0; i < 10; i++)
                assert_int_equal(netattack_on_readable(n), 0);
        /* The first tick: the held reminder goes out; the first counter
         * sample is the baseline. */
        assert_int_equal(netattack_on_tick(n, t), 0);
        assert_int_equal(got.n, 1);
        assert_string_equal(got.a[0]->rule, "netattack.portscan.vertical");
        assert_string_equal(got.a[0]->subject, "10.99.0.1");

        netattack_get_stats(n, &st);
        assert_int_equal(st.capture.syns, 41);
        assert_int_equal(st.portscan.syns, 41);
        assert_int_equal(st.portscan.alerts, 1);
        assert_int_equal(st.flood_samples, 1);
        assert_int_equal(st.flood_errors, 0);
        assert_int_equal(netattack_flush(n, t), 0);
        assert_int_equal(got.n, 1);
        netattack_free(n);
        for (size_t i = 0; i < got.n; i++)
                alert_free(got.a[i]);
        config_free(c);
        netattack_free(NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_every_key),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_bundle),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
