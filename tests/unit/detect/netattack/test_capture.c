/* Unit tests for detect/netattack/capture: real captures of an nmap SYN
 * scan (tests/fixtures/netattack/pcap, taken with tcpdump inside the target
 * namespace on the "any" device in both cooked formats and on the veth as
 * Ethernet: `nmap -sS -p 1-30 10.99.0.2`, `nmap -6 -sS -p 8075-8084
 * fd99::2` and one ordinary connection to port 22) read through the same
 * filter and parser as a live capture and fed to the port scan detector;
 * and, as root, a live capture on the loopback device. */
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
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "detect/netattack/capture.h"
#include "detect/netattack/portscan.h"

typedef struct seen {
        unsigned v4, v6, to_port_22, other_src;
        uint32_t ports_v4[65536 / 32];
        portscan_t *ps;
        uint16_t watch_port; /* live test: SYNs to this port */
        unsigned watched;
} seen_t;

static int on_syn(const netpkt_syn_t *syn, int64_t t, void *userdata)
{
        seen_t *s = userdata;
        char src[IPADDR_STR_MAX];

        ipaddr_format(&syn->src, src);
        if (s->watch_port) {
                if (syn->dport == s->watch_port)
                        s->watched++;
                return 0;
        }
        if (strcmp(src, "10.99.0.1") == 0) {
                s->v4++;
                s->ports_v4[syn->dport / 32] |= 1u << (syn->dport % 32);
        } else if (strcmp(src, "fd99::1") == 0)
                s->v6++;
        else
                s->other_src++;
        if (syn->dport == 22)
                s->to_port_22++;
        if (s->ps)
                assert_int_equal(portscan_feed(s->ps, &syn->src, &syn->dst, syn->dport, t), 0);
        return 0;
}

static int collect(alert_t *a, void *userdata)
{
        alert_t **slot = userdata;
        assert_null(*slot);
        *slot = a;
        return 0;
}

static void read_file(const char *name, int want_link)
{
        const char *fixtures = getenv("VIGIL_FIXTURES");
        char path[1024];
        seen_t *s = calloc(1, sizeof(*s));
        capture_t *c = NULL;
        capture_stats_t st;
        portscan_opts_t o;
        alert_t *a = NULL;
        alert_sink_t sink = { collect, &a };
        size_t frames, total = 0;
        unsigned distinct = 0;

        assert_non_null(s);
        assert_non_null(fixtures);
        snprintf(path, sizeof(path), "%s/netattack/pcap/%s", fixtures, name);
        assert_int_equal(capture_open_file(path, &c, NULL), 0);
        assert_int_equal(capture_linktype(c), want_link);
        assert_int_equal(capture_fd(c), -1);
        portscan_opts_default(&o);
        assert_int_equal(portscan_new(&o, &sink, &s->ps), 0);
        do {
                assert_int_equal(capture_dispatch(c, on_syn, s, &frames), 0);
                total += frames;
        } while (frames > 0);

        /* tcpdump counted 41 incoming SYNs in each file (the filter passed
         * only those to the parser). */
        assert_int_equal(s->v4, 31);
        assert_int_equal(s->v6, 10);
        assert_int_equal(s->other_src, 0);
        assert_int_equal(s->to_port_22, 2);
        for (unsigned p = 1; p <= 30; p++)
                distinct += (s->ports_v4[p / 32] >> (p % 32)) & 1;
        assert_int_equal(distinct, 30);
        capture_get_stats(c, &st);
        assert_int_equal(st.syns, 41);
        assert_int_equal(st.frames, total);
        assert_int_equal(st.malformed, 0);

        /* 30 ports from 10.99.0.1: a vertical scan; 10 from fd99::1: not. */
        assert_int_equal(portscan_flush(s->ps, 0), 0);
        assert_non_null(a);
        assert_string_equal(a->subject, "10.99.0.1");
        assert_string_equal(a->rule, "netattack.portscan.vertical");
        assert_int_equal(a->level, ALERT_REMINDER);
        assert_int_equal(json_integer_value(json_object_get(a->evidence, "ports_count")), 30);
        assert_string_equal(json_string_value(json_array_get(
                                    json_object_get(a->evidence, "local_addresses"), 0)),
                            "10.99.0.2");
        alert_free(a);
        portscan_free(s->ps);
        capture_free(c);
        free(s);
}

static void test_sll2(void **state)
{
        (void)state;
        read_file("scan-sll2.pcap", NETPKT_LINK_LINUX_SLL2);
}

static void test_sll(void **state)
{
        (void)state;
        read_file("scan-sll.pcap", NETPKT_LINK_LINUX_SLL);
}

static void test_ethernet(void **state)
{
        (void)state;
        read_file("scan-eth.pcap", NETPKT_LINK_EN10MB);
}

static void test_bad_files(void **state)
{
        capture_t *c = NULL;
        char *err = NULL;
        char path[] = "/tmp/vigil-pcap-XXXXXX";
        int fd;
        (void)state;

        assert_int_equal(capture_open_file("/nonexistent/x.pcap", &c, &err), -ENOENT);
        assert_non_null(err);
        free(err);
        err = NULL;
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "not a capture file at all", 25), 25);
        close(fd);
        assert_int_equal(capture_open_file(path, &c, &err), -EBADMSG);
        assert_non_null(err);
        free(err);
        unlink(path);
        capture_free(NULL);
}

static void test_options(void **state)
{
        capture_opts_t o;
        capture_t *c = NULL;
        char *err = NULL;
        (void)state;

        capture_opts_default(&o);
        assert_string_equal(o.device, "any");
        o.buffer_bytes = 1024;
        assert_int_equal(capture_open(&o, &c, &err), -EINVAL);
        free(err);
        err = NULL;
        capture_opts_default(&o);
        o.device = "vigil-no-such0";
        {
                int r = capture_open(&o, &c, &err);
                /* Without CAP_NET_RAW the permission check comes first. */
                assert_true(r == -ENODEV || r == -EPERM);
                assert_non_null(err);
                free(err);
        }
}

/* As root: open "lo", make a connection attempt to a closed port, and see
 * exactly one SYN (the outgoing copy on lo is filtered by direction). */
static void test_live_loopback(void **state)
{
        capture_opts_t o;
        capture_t *c = NULL;
        seen_t *s = calloc(1, sizeof(*s));
        struct sockaddr_in sin = { .sin_family = AF_INET };
        char *err = NULL;
        int fd, r;
        (void)state;

        assert_non_null(s);
        if (geteuid() != 0) {
                free(s);
                skip();
        }
        capture_opts_default(&o);
        o.device = "lo";
        o.immediate = true;
        r = capture_open(&o, &c, &err);
        if (r == -EPERM) {
                free(err);
                free(s);
                skip();
        }
        assert_int_equal(r, 0);
        assert_true(capture_fd(c) >= 0);

        /* A closed port: the kernel answers RST, the SYN was seen. Port 9 is
         * "discard", closed here; any closed port would do. */
        s->watch_port = 9;
        fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        sin.sin_port = htons(9);
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        (void)connect(fd, (struct sockaddr *)&sin, sizeof(sin));
        close(fd);
        /* The packet is in the ring already; poll only bounds the wait. */
        for (int i = 0; i < 50 && s->watched == 0; i++) {
                struct pollfd p = { .fd = capture_fd(c), .events = POLLIN };
                (void)poll(&p, 1, 100);
                assert_int_equal(capture_dispatch(c, on_syn, s, NULL), 0);
        }
        assert_int_equal(capture_dispatch(c, on_syn, s, NULL), 0);
        assert_int_equal(s->watched, 1);
        capture_free(c);
        free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sll2),     cmocka_unit_test(test_sll),
                cmocka_unit_test(test_ethernet), cmocka_unit_test(test_bad_files),
                cmocka_unit_test(test_options),  cmocka_unit_test(test_live_loopback),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
