/* Unit tests for scan/exposure/exposure: configuration, which services are
 * probed where, and the findings the scanner makes from a given set of
 * listening sockets and firewall (saved nft rulesets from
 * tests/fixtures/exposure/firewall), with canned servers standing in for the
 * services. The integration test runs the same logic against real servers. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "canned.h"
#include "core/config.h"
#include "core/report.h"
#include "core/rootfs.h"
#include "core/scanctx.h"
#include "scan/exposure/exposure.h"

static void add_sock(sock_list_t *l, int proto, const char *addr, uint16_t port, pid_t pid,
                     const char *comm)
{
        sock_info_t s = { .proto = proto, .port = port, .pid = pid };
        struct in_addr a4;

        if (inet_pton(AF_INET, addr, &a4) == 1) {
                s.family = AF_INET;
                s.addr.s6_addr[10] = s.addr.s6_addr[11] = 0xff;
                memcpy(&s.addr.s6_addr[12], &a4, 4);
                s.any_address = a4.s_addr == 0;
                s.loopback = (ntohl(a4.s_addr) >> 24) == 127;
        } else {
                assert_int_equal(inet_pton(AF_INET6, addr, &s.addr), 1);
                s.family = AF_INET6;
                s.any_address = IN6_IS_ADDR_UNSPECIFIED(&s.addr);
                s.loopback = IN6_IS_ADDR_LOOPBACK(&s.addr);
        }
        snprintf(s.addr_str, sizeof(s.addr_str), "%s", addr);
        s.comm = comm ? strdup(comm) : NULL;
        s.exe = comm ? str_printf("/usr/sbin/%s", comm) : NULL;
        if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 16;
                l->v = realloc(l->v, l->cap * sizeof(*l->v));
                assert_non_null(l->v);
        }
        l->v[l->n++] = s;
}

static fw_t *load_fw(const char *name)
{
        const char *dir = getenv("VIGIL_FIXTURES");
        char path[4096];
        char *data = NULL;
        size_t len;
        fw_t *fw = fw_new();
        int fd;

        snprintf(path, sizeof(path), "%s/exposure/firewall/%s", dir, name);
        fd = open(path, O_RDONLY);
        assert_true(fd >= 0);
        assert_int_equal(rootfs_read_fd(fd, 1 << 20, &data, &len), 0);
        close(fd);
        assert_int_equal(fw_add_nft_json(fw, data, len, NULL), 0);
        free(data);
        return fw;
}

typedef struct env {
        rootfs_t *root;
        config_t *config;
        report_t *report;
        scan_ctx_t ctx;
} env_t;

static void env_init(env_t *e, const char *yaml_json)
{
        json_error_t err;

        memset(e, 0, sizeof(*e));
        assert_int_equal(rootfs_open("/", &e->root), 0);
        e->config = config_new_empty();
        assert_non_null(e->config);
        if (yaml_json) {
                json_t *j = json_loads(yaml_json, 0, &err);
                if (!j)
                        fail_msg("bad test JSON: %s", err.text);
                json_decref(e->config->root);
                e->config->root = j;
        }
        e->report = report_new("test", "/");
        assert_non_null(e->report);
        e->ctx = (scan_ctx_t){
                .root = e->root, .config = e->config, .report = e->report, .threads = 1
        };
}

static void env_done(env_t *e)
{
        report_free(e->report);
        config_free(e->config);
        rootfs_free(e->root);
}

static const finding_t *find(const report_t *r, const char *check, unsigned port)
{
        char obj_tcp[32], obj_udp[32];

        snprintf(obj_tcp, sizeof(obj_tcp), "tcp/%u", port);
        snprintf(obj_udp, sizeof(obj_udp), "udp/%u", port);
        for (size_t i = 0; i < r->n_findings; i++) {
                const finding_t *f = r->findings[i];
                if (strcmp(f->check, check) == 0 &&
                    (strcmp(f->object, obj_tcp) == 0 || strcmp(f->object, obj_udp) == 0))
                        return f;
        }
        return NULL;
}

static const char *ev_str(const finding_t *f, const char *key)
{
        return json_string_value(json_object_get(f->evidence, key));
}

static void test_port_spec(void **state)
{
        struct exposure_port_spec p;
        (void)state;

        assert_int_equal(exposure_parse_port_spec("22", &p), 0);
        assert_int_equal(p.proto, 0);
        assert_int_equal(p.port, 22);
        assert_int_equal(exposure_parse_port_spec("udp/5353", &p), 0);
        assert_int_equal(p.proto, IPPROTO_UDP);
        assert_int_equal(exposure_parse_port_spec("tcp/65535", &p), 0);
        assert_int_equal(p.proto, IPPROTO_TCP);
        assert_int_equal(exposure_parse_port_spec("tcp/0", &p), -EINVAL);
        assert_int_equal(exposure_parse_port_spec("65536", &p), -EINVAL);
        assert_int_equal(exposure_parse_port_spec("sctp/1", &p), -EINVAL);
        assert_int_equal(exposure_parse_port_spec("", &p), -EINVAL);
}

static void test_opts(void **state)
{
        exposure_opts_t o;
        env_t e;
        (void)state;

        env_init(&e, NULL);
        assert_int_equal(exposure_opts_load(e.config, &o, e.report), 0);
        assert_int_equal(o.firewall, EXPO_FW_AUTO);
        assert_true(o.probes);
        assert_int_equal(o.connect_timeout_ms, 1000);
        assert_int_equal(o.read_timeout_ms, 2000);
        assert_int_equal(o.n_ports, 0);
        assert_int_equal(e.report->n_notes, 0);
        exposure_opts_done(&o);
        env_done(&e);

        env_init(&e, "{\"exposure\": {\"firewall\": \"none\", \"probes\": false, "
                     "\"ports\": [22, \"6379\", 0, \"x\"], \"expected_ports\": [22, \"udp/53\", "
                     "\"tcp/x\"], \"probe_ports\": {\"redis\": [7000, 7001], \"redis\": 7002, "
                     "\"gopher\": [70]}, \"nft_ruleset_file\": \"/tmp/r.json\", "
                     "\"connect_timeout_ms\": 5, \"read_timeout_ms\": 500}}");
        assert_int_equal(exposure_opts_load(e.config, &o, e.report), 0);
        assert_int_equal(o.firewall, EXPO_FW_NONE);
        assert_false(o.probes);
        assert_int_equal(o.n_ports, 2);
        assert_int_equal(o.ports[0], 22);
        assert_int_equal(o.ports[1], 6379);
        assert_int_equal(o.n_expected, 2);
        assert_int_equal(o.expected[1].proto, IPPROTO_UDP);
        assert_int_equal(o.expected[1].port, 53);
        assert_string_equal(o.nft_ruleset_file, "/tmp/r.json");
        assert_int_equal(o.connect_timeout_ms, 1000);
        assert_int_equal(o.read_timeout_ms, 500);
        assert_true(exposure_services_for(&o, 7002, NULL) & (1u << EXPO_SVC_REDIS));
        /* Warnings: 2 bad ports, 1 bad expected port, unknown service, bad
         * timeout. */
        assert_int_equal(report_count_notes(e.report, REPORT_NOTE_WARNING), 5);
        exposure_opts_done(&o);
        env_done(&e);

        env_init(&e, "{\"exposure\": {\"firewall\": \"maybe\", \"probes\": \"yes\", \"ports\": "
                     "{\"a\": 1}, \"expected_ports\": 22, \"probe_ports\": []}}");
        assert_int_equal(exposure_opts_load(e.config, &o, e.report), 0);
        assert_int_equal(o.firewall, EXPO_FW_AUTO);
        assert_true(o.probes);
        assert_int_equal(report_count_notes(e.report, REPORT_NOTE_WARNING), 5);
        exposure_opts_done(&o);
        env_done(&e);
}

static void test_services_for(void **state)
{
        exposure_opts_t o = { 0 };
        uint16_t extra[] = { 9999 };
        (void)state;

        assert_int_equal(exposure_services_for(&o, 6379, NULL), 1u << EXPO_SVC_REDIS);
        assert_int_equal(exposure_services_for(&o, 7000, "redis-server"), 1u << EXPO_SVC_REDIS);
        assert_int_equal(exposure_services_for(&o, 3307, "mariadbd"), 1u << EXPO_SVC_MYSQL);
        assert_int_equal(exposure_services_for(&o, 8000, "nginx"), 1u << EXPO_SVC_HTTP);
        assert_int_equal(exposure_services_for(&o, 2376, NULL), 1u << EXPO_SVC_DOCKER);
        assert_int_equal(exposure_services_for(&o, 22, "sshd"), 0);
        assert_int_equal(exposure_services_for(&o, 9999, NULL), 0);
        o.probe_ports[EXPO_SVC_MONGODB] = extra;
        o.n_probe_ports[EXPO_SVC_MONGODB] = 1;
        assert_int_equal(exposure_services_for(&o, 9999, NULL), 1u << EXPO_SVC_MONGODB);
        assert_string_equal(exposure_service_name(EXPO_SVC_ELASTICSEARCH), "elasticsearch");
}

static void host_sockets(sock_list_t *l)
{
        add_sock(l, IPPROTO_TCP, "0.0.0.0", 22, 100, "sshd");
        add_sock(l, IPPROTO_TCP, "::", 22, 100, "sshd");
        add_sock(l, IPPROTO_TCP, "127.0.0.1", 6379, 200, "redis-server");
        add_sock(l, IPPROTO_TCP, "::", 3306, 300, "mariadbd");
        add_sock(l, IPPROTO_UDP, "0.0.0.0", 5353, 400, "avahi-daemon");
        add_sock(l, IPPROTO_TCP, "0.0.0.0", 8000, 500, "python3");
        add_sock(l, IPPROTO_TCP, "0.0.0.0", 631, 600, "cupsd");
        add_sock(l, IPPROTO_UDP, "0.0.0.0", 11211, 0, NULL);
}

static void test_port_findings(void **state)
{
        sock_list_t l = { 0 };
        exposure_opts_t o = { .probes = false };
        const finding_t *f;
        fw_t *fw;
        env_t e;
        (void)state;

        host_sockets(&l);

        /* No firewall information. */
        env_init(&e, NULL);
        assert_int_equal(exposure_scan_sockets(&e.ctx, &o, &l, NULL), 0);
        assert_int_equal(e.report->n_findings, 5);
        f = find(e.report, "exposure.remote-admin-open", 22);
        assert_non_null(f);
        assert_int_equal(f->level, FINDING_MEDIUM);
        assert_string_equal(ev_str(f, "proto"), "tcp");
        assert_string_equal(ev_str(f, "address"), "0.0.0.0, ::");
        assert_int_equal(json_integer_value(json_object_get(f->evidence, "port")), 22);
        assert_string_equal(ev_str(f, "process"), "sshd");
        assert_int_equal(json_integer_value(json_object_get(f->evidence, "pid")), 100);
        assert_string_equal(ev_str(f, "exe"), "/usr/sbin/sshd");
        assert_string_equal(ev_str(f, "firewall"), "unknown");
        assert_non_null(strstr(f->remediation, "nft add rule inet filter input tcp dport 22 ip "
                                               "saddr 203.0.113.0/24 accept"));
        f = find(e.report, "exposure.risky-port-open", 3306);
        assert_non_null(f);
        assert_int_equal(f->level, FINDING_MEDIUM);
        f = find(e.report, "exposure.risky-port-open", 11211);
        assert_non_null(f);
        assert_string_equal(ev_str(f, "proto"), "udp");
        assert_string_equal(ev_str(f, "process"), "");
        assert_non_null(find(e.report, "exposure.unneeded-service", 5353));
        f = find(e.report, "exposure.unneeded-service", 631);
        assert_non_null(f);
        assert_int_equal(f->level, FINDING_LOW);
        assert_null(find(e.report, "exposure.risky-port-open", 6379)); /* loopback */
        env_done(&e);

        /* A default-drop firewall that only lets 80/443 in: nothing is
         * reachable, nothing reported. */
        fw = load_fw("default-drop.json");
        env_init(&e, NULL);
        assert_int_equal(exposure_scan_sockets(&e.ctx, &o, &l, fw), 0);
        assert_int_equal(e.report->n_findings, 0);
        env_done(&e);
        fw_free(fw);

        /* An empty ruleset: no filtering, firewall "none". */
        fw = load_fw("empty.json");
        env_init(&e, NULL);
        assert_int_equal(exposure_scan_sockets(&e.ctx, &o, &l, fw), 0);
        f = find(e.report, "exposure.remote-admin-open", 22);
        assert_non_null(f);
        assert_string_equal(ev_str(f, "firewall"), "none");
        env_done(&e);
        fw_free(fw);

        /* 22 accepted from anywhere, 3389 not listening: 22 unrestricted. */
        fw = load_fw("open-ssh.json");
        env_init(&e, NULL);
        assert_int_equal(exposure_scan_sockets(&e.ctx, &o, &l, fw), 0);
        f = find(e.report, "exposure.remote-admin-open", 22);
        assert_non_null(f);
        assert_string_equal(ev_str(f, "firewall"), "unrestricted");
        assert_int_equal(e.report->n_findings, 1);
        env_done(&e);
        fw_free(fw);

        /* Expected ports are not reported; a port filter limits the scan. */
        {
                struct exposure_port_spec exp[] = { { 0, 22 },
                                                    { IPPROTO_UDP, 5353 },
                                                    { IPPROTO_TCP, 11211 } };
                uint16_t only[] = { 22, 631 };
                o.expected = exp;
                o.n_expected = 3;
                env_init(&e, NULL);
                assert_int_equal(exposure_scan_sockets(&e.ctx, &o, &l, NULL), 0);
                assert_null(find(e.report, "exposure.remote-admin-open", 22));
                assert_null(find(e.report, "exposure.unneeded-service", 5353));
                /* tcp/11211 says nothing about udp/11211 */
                assert_non_null(find(e.report, "exposure.risky-port-open", 11211));
                assert_int_equal(e.report->n_findings, 3);
                env_done(&e);
                o.expected = NULL;
                o.n_expected = 0;
                o.ports = only;
                o.n_ports = 2;
                env_init(&e, NULL);
                assert_int_equal(exposure_scan_sockets(&e.ctx, &o, &l, NULL), 0);
                assert_int_equal(e.report->n_findings, 2);
                assert_non_null(find(e.report, "exposure.remote-admin-open", 22));
                assert_non_null(find(e.report, "exposure.unneeded-service", 631));
                env_done(&e);
        }
        sock_list_clear(&l);
}

static void test_probe_findings(void **state)
{
        static const char pong[] = "+PONG\r\n";
        static const char info[] = "$54\r\n# Server\r\nredis_version:7.2.4\r\n"
                                   "config_file:/etc/r.conf\r\n";
        static const char stats[] = "STAT pid 1\r\nSTAT version 1.6.9\r\nEND\r\n";
        canned_step_t redis_steps[] = { { FRAME_BYTES, 14, pong, 7 },
                                        { FRAME_BYTES, 26, info, sizeof(info) - 1 } };
        canned_step_t mc_steps[] = { { FRAME_CRLF, 0, stats, sizeof(stats) - 1 } };
        exposure_opts_t o = { .probes = true, .connect_timeout_ms = 2000, .read_timeout_ms = 5000 };
        sock_list_t l = { 0 };
        canned_t redis, mc;
        const finding_t *f;
        env_t e;
        (void)state;

        assert_int_equal(canned_start(&redis, redis_steps, 2, 1), 0);
        assert_int_equal(canned_start(&mc, mc_steps, 1, 2), 0);
        /* Redis bound to loopback only: still high. Memcached on loopback:
         * low. */
        add_sock(&l, IPPROTO_TCP, "127.0.0.1", redis.port, 10, "redis-server");
        add_sock(&l, IPPROTO_TCP, "127.0.0.1", mc.port, 11, "memcached");
        env_init(&e, NULL);
        assert_int_equal(exposure_scan_sockets(&e.ctx, &o, &l, NULL), 0);
        f = find(e.report, "exposure.redis-unauthenticated", redis.port);
        assert_non_null(f);
        assert_int_equal(f->level, FINDING_HIGH);
        assert_string_equal(ev_str(f, "version"), "7.2.4");
        assert_string_equal(ev_str(f, "config_file"), "/etc/r.conf");
        assert_string_equal(ev_str(f, "reach"), "loopback");
        assert_non_null(strstr(f->remediation, "In /etc/r.conf set `bind 127.0.0.1 -::1`, "
                                               "`protected-mode yes` and `requirepass`"));
        f = find(e.report, "exposure.memcached-unauthenticated", mc.port);
        assert_non_null(f);
        assert_int_equal(f->level, FINDING_LOW);
        env_done(&e);
        canned_stop(&redis);
        sock_list_clear(&l);

        /* The same Memcached bound to every address, firewall unknown: high. */
        add_sock(&l, IPPROTO_TCP, "0.0.0.0", mc.port, 11, "memcached");
        env_init(&e, NULL);
        assert_int_equal(exposure_scan_sockets(&e.ctx, &o, &l, NULL), 0);
        f = find(e.report, "exposure.memcached-unauthenticated", mc.port);
        assert_non_null(f);
        assert_int_equal(f->level, FINDING_HIGH);
        assert_string_equal(ev_str(f, "reach"), "network");
        env_done(&e);
        canned_stop(&mc);
        sock_list_clear(&l);
}

static void test_web(void **state)
{
        static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
        /* The TLS attempt holds the first connection until it gives up. */
        canned_step_t steps[] = { { FRAME_HTTP, 0, ok, sizeof(ok) - 1 } };
        exposure_opts_t o = { .probes = true, .connect_timeout_ms = 2000, .read_timeout_ms = 300 };
        sock_list_t l = { 0 };
        canned_t web;
        const finding_t *f;
        env_t e;
        (void)state;

        assert_int_equal(canned_start(&web, steps, 1, 2), 0);
        add_sock(&l, IPPROTO_TCP, "0.0.0.0", web.port, 42, "nginx");
        env_init(&e, NULL);
        assert_int_equal(exposure_scan_sockets(&e.ctx, &o, &l, NULL), 0);
        canned_stop(&web);
        f = find(e.report, "exposure.web-without-https", web.port);
        assert_non_null(f);
        assert_int_equal(f->level, FINDING_MEDIUM);
        assert_string_equal(ev_str(f, "response"), "HTTP 200");
        assert_int_equal(web.conns, 2);
        env_done(&e);
        sock_list_clear(&l);

        /* On loopback only it is not exposed: no finding. */
        assert_int_equal(canned_start(&web, steps, 1, 2), 0);
        add_sock(&l, IPPROTO_TCP, "127.0.0.1", web.port, 42, "nginx");
        env_init(&e, NULL);
        assert_int_equal(exposure_scan_sockets(&e.ctx, &o, &l, NULL), 0);
        canned_stop(&web);
        assert_int_equal(e.report->n_findings, 0);
        env_done(&e);
        sock_list_clear(&l);
}

static void test_root_scan(void **state)
{
        char dir[] = "/tmp/vigil-test-expo.XXXXXX";
        env_t e;
        (void)state;

        assert_non_null(mkdtemp(dir));
        env_init(&e, NULL);
        rootfs_free(e.root);
        assert_int_equal(rootfs_open(dir, &e.root), 0);
        e.ctx.root = e.root;
        assert_int_equal(exposure_scan(&e.ctx), 0);
        assert_int_equal(e.report->n_findings, 0);
        assert_int_equal(report_count_notes(e.report, REPORT_NOTE_INFO), 1);
        env_done(&e);
        rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_port_spec),      cmocka_unit_test(test_opts),
                cmocka_unit_test(test_services_for),   cmocka_unit_test(test_port_findings),
                cmocka_unit_test(test_probe_findings), cmocka_unit_test(test_web),
                cmocka_unit_test(test_root_scan),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
