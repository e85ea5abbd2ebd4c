/* Unit tests for detect/netattack/packet: frames built byte by byte for
 * every link type the parser knows (Ethernet with and without VLAN tags,
 * Linux cooked v1 and v2, raw IP), IPv4 and IPv6 (with extension headers),
 * and the ways a frame can lie: cut short at every length, header lengths
 * that contradict each other, later fragments, other TCP flags, frames the
 * host sent itself. Captured frames from a real nmap scan are covered by
 * test_capture.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <errno.h>

#include "detect/netattack/packet.h"

/* Frame builder: a link header, then IP, then TCP. */
typedef struct frame {
        uint8_t b[512];
        size_t n;
} frame_t;

static void put(frame_t *f, const void *p, size_t n)
{
        assert_true(f->n + n <= sizeof(f->b));
        memcpy(f->b + f->n, p, n);
        f->n += n;
}

static void put16(frame_t *f, unsigned v)
{
        uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
        put(f, b, 2);
}

static void put8(frame_t *f, unsigned v)
{
        uint8_t b = (uint8_t)v;
        put(f, &b, 1);
}

static void put_zero(frame_t *f, size_t n)
{
        static const uint8_t z[64];
        assert_true(n <= sizeof(z));
        put(f, z, n);
}

static void eth(frame_t *f, unsigned type)
{
        put_zero(f, 12);
        put16(f, type);
}

static void sll(frame_t *f, unsigned pkttype, unsigned proto)
{
        put16(f, pkttype);
        put16(f, 1); /* ARPHRD_ETHER */
        put16(f, 6);
        put_zero(f, 8);
        put16(f, proto);
}

static void sll2(frame_t *f, unsigned pkttype, unsigned proto)
{
        put16(f, proto);
        put16(f, 0);
        put_zero(f, 4); /* ifindex */
        put16(f, 1);
        put8(f, pkttype);
        put8(f, 6);
        put_zero(f, 8);
}

/* IPv4 header of IHL words (≥ 5, options zero) with total length TOTAL. */
static void ipv4(frame_t *f, unsigned ihl, unsigned total, unsigned proto, unsigned frag,
                 const char *src, const char *dst)
{
        uint8_t a[4];

        put8(f, 0x40 | ihl);
        put8(f, 0);
        put16(f, total);
        put16(f, 0x1234);
        put16(f, frag);
        put8(f, 64);
        put8(f, proto);
        put16(f, 0);
        assert_int_equal(inet_pton(AF_INET, src, a), 1);
        put(f, a, 4);
        assert_int_equal(inet_pton(AF_INET, dst, a), 1);
        put(f, a, 4);
        put_zero(f, (ihl - 5) * 4);
}

static void ipv6(frame_t *f, unsigned payload, unsigned next, const char *src, const char *dst)
{
        uint8_t a[16];

        put8(f, 0x60);
        put_zero(f, 3);
        put16(f, payload);
        put8(f, next);
        put8(f, 64);
        assert_int_equal(inet_pton(AF_INET6, src, a), 1);
        put(f, a, 16);
        assert_int_equal(inet_pton(AF_INET6, dst, a), 1);
        put(f, a, 16);
}

static void tcp(frame_t *f, unsigned sport, unsigned dport, unsigned doff, unsigned flags)
{
        put16(f, sport);
        put16(f, dport);
        put_zero(f, 8);              /* seq, ack */
        put8(f, (doff & 0x0f) << 4); /* data offset */
        put8(f, flags);
        put16(f, 1024); /* window */
        put_zero(f, 4); /* checksum, urgent */
        if (doff > 5)
                put_zero(f, (doff - 5) * 4);
}

static void assert_syn(const netpkt_syn_t *s, const char *src, const char *dst, unsigned sport,
                       unsigned dport)
{
        char a[IPADDR_STR_MAX];

        assert_string_equal(ipaddr_format(&s->src, a), src);
        assert_string_equal(ipaddr_format(&s->dst, a), dst);
        assert_int_equal(s->sport, sport);
        assert_int_equal(s->dport, dport);
}

/* The standard IPv4 SYN behind LINK (a callback that writes the header). */
static void v4_syn(frame_t *f, unsigned flags)
{
        ipv4(f, 5, 40, 6, 0x4000, "203.0.113.9", "10.0.0.2");
        tcp(f, 40000, 22, 5, flags);
}

static void test_ethernet_ipv4(void **state)
{
        frame_t f = { 0 };
        netpkt_syn_t s;
        (void)state;

        eth(&f, 0x0800);
        v4_syn(&f, 0x02);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_EN10MB, f.b, f.n, &s), 0);
        assert_syn(&s, "203.0.113.9", "10.0.0.2", 40000, 22);
        assert_int_equal(s.src.family, AF_INET);
        /* The unused bytes of an IPv4 address are zero, so addresses
         * compare and hash alike whatever the frame held. */
        for (int i = 4; i < 16; i++)
                assert_int_equal(s.src.bytes[i], 0);

        /* Ethernet padding after the datagram is ignored. */
        put_zero(&f, 6);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_EN10MB, f.b, f.n, &s), 0);

        /* SYN with ECN bits (ECE|CWR) is still a SYN. */
        f = (frame_t){ 0 };
        eth(&f, 0x0800);
        v4_syn(&f, 0x02 | 0x40 | 0x80);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_EN10MB, f.b, f.n, &s), 0);
}

static void test_vlan(void **state)
{
        frame_t f = { 0 };
        netpkt_syn_t s;
        (void)state;

        put_zero(&f, 12);
        put16(&f, 0x8100);
        put16(&f, 100);
        put16(&f, 0x0800);
        v4_syn(&f, 0x02);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_EN10MB, f.b, f.n, &s), 0);
        assert_syn(&s, "203.0.113.9", "10.0.0.2", 40000, 22);

        f = (frame_t){ 0 };
        put_zero(&f, 12);
        put16(&f, 0x88a8);
        put16(&f, 10);
        put16(&f, 0x8100);
        put16(&f, 20);
        put16(&f, 0x0800);
        v4_syn(&f, 0x02);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_EN10MB, f.b, f.n, &s), 0);

        /* A third tag is not followed: the type is then 0x8100, not IP. */
        f = (frame_t){ 0 };
        put_zero(&f, 12);
        for (int i = 0; i < 3; i++) {
                put16(&f, 0x8100);
                put16(&f, 1);
        }
        put16(&f, 0x0800);
        v4_syn(&f, 0x02);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_EN10MB, f.b, f.n, &s), -ENOMSG);
}

static void test_cooked(void **state)
{
        frame_t f = { 0 };
        netpkt_syn_t s;
        (void)state;

        sll(&f, 0, 0x0800);
        v4_syn(&f, 0x02);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_LINUX_SLL, f.b, f.n, &s), 0);
        assert_syn(&s, "203.0.113.9", "10.0.0.2", 40000, 22);

        /* What the host sends (4) or sees for another host (3) is not an
         * attempt against it. */
        f.b[1] = 4;
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_LINUX_SLL, f.b, f.n, &s), -ENOMSG);
        f.b[1] = 3;
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_LINUX_SLL, f.b, f.n, &s), -ENOMSG);

        f = (frame_t){ 0 };
        sll2(&f, 0, 0x86dd);
        ipv6(&f, 20, 6, "2001:db8::9", "2001:db8::2");
        tcp(&f, 50000, 443, 5, 0x02);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_LINUX_SLL2, f.b, f.n, &s), 0);
        assert_syn(&s, "2001:db8::9", "2001:db8::2", 50000, 443);
        f.b[10] = 4;
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_LINUX_SLL2, f.b, f.n, &s), -ENOMSG);

        /* ARP and other protocols. */
        f = (frame_t){ 0 };
        sll2(&f, 0, 0x0806);
        put_zero(&f, 28);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_LINUX_SLL2, f.b, f.n, &s), -ENOMSG);
}

static void test_raw(void **state)
{
        frame_t f = { 0 };
        netpkt_syn_t s;
        (void)state;

        v4_syn(&f, 0x02);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_RAW, f.b, f.n, &s), 0);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_RAW_FILE, f.b, f.n, &s), 0);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_IPV4, f.b, f.n, &s), 0);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_IPV6, f.b, f.n, &s), -EBADMSG);
        assert_int_equal(netpkt_parse_syn(147, f.b, f.n, &s), -EPROTONOSUPPORT);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_RAW, f.b, 0, &s), -EBADMSG);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_RAW, NULL, 0, &s), -EBADMSG);
}

static void test_flags(void **state)
{
        static const struct {
                unsigned flags;
                int want;
        } cases[] = {
                { 0x02, 0 },        /* SYN */
                { 0x12, -ENOMSG },  /* SYN-ACK: an answer, not an attempt */
                { 0x06, -ENOMSG },  /* SYN+RST: nonsense */
                { 0x10, -ENOMSG },  /* ACK */
                { 0x04, -ENOMSG },  /* RST */
                { 0x01 | 0x02, 0 }, /* SYN+FIN still opens */
                { 0x29, -ENOMSG },  /* FIN|PSH|URG (an Xmas probe) */
                { 0x00, -ENOMSG },  /* null probe */
        };
        (void)state;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                frame_t f = { 0 };
                netpkt_syn_t s;

                eth(&f, 0x0800);
                v4_syn(&f, cases[i].flags);
                assert_int_equal(netpkt_parse_syn(NETPKT_LINK_EN10MB, f.b, f.n, &s), cases[i].want);
        }
}

static void test_ipv4_lies(void **state)
{
        frame_t f;
        netpkt_syn_t s;
        (void)state;

        /* IHL below 5. */
        f = (frame_t){ 0 };
        v4_syn(&f, 0x02);
        f.b[0] = 0x44;
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_RAW, f.b, f.n, &s), -EBADMSG);

        /* IHL past the captured bytes. */
        f = (frame_t){ 0 };
        v4_syn(&f, 0x02);
        f.b[0] = 0x4f;
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_RAW, f.b, f.n, &s), -EBADMSG);

        /* Total length shorter than the IP header. */
        f = (frame_t){ 0 };
        ipv4(&f, 5, 19, 6, 0, "1.2.3.4", "5.6.7.8");
        tcp(&f, 1, 2, 5, 0x02);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_RAW, f.b, f.n, &s), -EBADMSG);

        /* Total length leaves no room for a TCP header, although the bytes
         * were captured. */
        f = (frame_t){ 0 };
        ipv4(&f, 5, 30, 6, 0, "1.2.3.4", "5.6.7.8");
        tcp(&f, 1, 2, 5, 0x02);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_RAW, f.b, f.n, &s), -EBADMSG);

        /* TCP data offset below 5 and beyond the segment. */
        f = (frame_t){ 0 };
        ipv4(&f, 5, 40, 6, 0, "1.2.3.4", "5.6.7.8");
        tcp(&f, 1, 2, 4, 0x02);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_RAW, f.b, f.n, &s), -EBADMSG);
        f = (frame_t){ 0 };
        ipv4(&f, 5, 40, 6, 0, "1.2.3.4", "5.6.7.8");
        tcp(&f, 1, 2, 5, 0x02);
        f.b[20 + 12] = 0xf0; /* 60 bytes of TCP header in a 20-byte segment */
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_RAW, f.b, f.n, &s), -EBADMSG);

        /* IPv4 with options: the TCP header moves. */
        f = (frame_t){ 0 };
        ipv4(&f, 8, 52, 6, 0, "1.2.3.4", "5.6.7.8");
        tcp(&f, 1000, 8080, 5, 0x02);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_RAW, f.b, f.n, &s), 0);
        assert_syn(&s, "1.2.3.4", "5.6.7.8", 1000, 8080);

        /* A later fragment, and a first fragment (MF set, offset 0). */
        f = (frame_t){ 0 };
        ipv4(&f, 5, 40, 6, 0x0010, "1.2.3.4", "5.6.7.8");
        tcp(&f, 1, 2, 5, 0x02);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_RAW, f.b, f.n, &s), -ENOMSG);
        f = (frame_t){ 0 };
        ipv4(&f, 5, 40, 6, 0x2000, "1.2.3.4", "5.6.7.8");
        tcp(&f, 1, 2, 5, 0x02);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_RAW, f.b, f.n, &s), 0);

        /* UDP. */
        f = (frame_t){ 0 };
        ipv4(&f, 5, 28, 17, 0, "1.2.3.4", "5.6.7.8");
        put_zero(&f, 8);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_RAW, f.b, f.n, &s), -ENOMSG);

        /* Version 5. */
        f = (frame_t){ 0 };
        v4_syn(&f, 0x02);
        f.b[0] = 0x55;
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_IPV4, f.b, f.n, &s), -EBADMSG);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_RAW, f.b, f.n, &s), -ENOMSG);
}

static void test_ipv6_ext(void **state)
{
        frame_t f;
        netpkt_syn_t s;
        (void)state;

        /* Hop-by-hop (8 bytes) then destination options (16) then TCP. */
        f = (frame_t){ 0 };
        ipv6(&f, 8 + 16 + 20, 0, "2001:db8::9", "2001:db8::2");
        put8(&f, 60);
        put8(&f, 0);
        put_zero(&f, 6);
        put8(&f, 6);
        put8(&f, 1);
        put_zero(&f, 14);
        tcp(&f, 1, 25, 5, 0x02);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_IPV6, f.b, f.n, &s), 0);
        assert_syn(&s, "2001:db8::9", "2001:db8::2", 1, 25);

        /* An extension header claiming more than the payload. */
        f.b[40 + 8 + 1] = 200;
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_IPV6, f.b, f.n, &s), -EBADMSG);

        /* First fragment passes, a later one does not. */
        f = (frame_t){ 0 };
        ipv6(&f, 8 + 20, 44, "2001:db8::9", "2001:db8::2");
        put8(&f, 6);
        put8(&f, 0);
        put16(&f, 0x0001); /* offset 0, M set */
        put_zero(&f, 4);
        tcp(&f, 1, 80, 5, 0x02);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_IPV6, f.b, f.n, &s), 0);
        f.b[40 + 2] = 0x01; /* offset 32 */
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_IPV6, f.b, f.n, &s), -ENOMSG);

        /* No next header, ESP, jumbogram. */
        f = (frame_t){ 0 };
        ipv6(&f, 20, 59, "2001:db8::9", "2001:db8::2");
        put_zero(&f, 20);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_IPV6, f.b, f.n, &s), -ENOMSG);
        f.b[6] = 50;
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_IPV6, f.b, f.n, &s), -ENOMSG);
        f.b[6] = 6;
        f.b[4] = f.b[5] = 0;
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_IPV6, f.b, f.n, &s), -ENOMSG);

        /* A chain of more extension headers than the parser walks. */
        f = (frame_t){ 0 };
        ipv6(&f, 8 * 10 + 20, 60, "2001:db8::9", "2001:db8::2");
        for (int i = 0; i < 10; i++) {
                put8(&f, i == 9 ? 6 : 60);
                put8(&f, 0);
                put_zero(&f, 6);
        }
        tcp(&f, 1, 80, 5, 0x02);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_IPV6, f.b, f.n, &s), -ENOMSG);

        /* Payload length shorter than the TCP header. */
        f = (frame_t){ 0 };
        ipv6(&f, 10, 6, "2001:db8::9", "2001:db8::2");
        tcp(&f, 1, 80, 5, 0x02);
        assert_int_equal(netpkt_parse_syn(NETPKT_LINK_IPV6, f.b, f.n, &s), -EBADMSG);
}

/* Cutting a valid frame anywhere short of the TCP flags never yields a
 * SYN, and never reads past the cut (ASan checks the latter: the copy is
 * in a buffer of exactly the cut length). */
static void test_truncation(void **state)
{
        static const int links[] = { NETPKT_LINK_EN10MB, NETPKT_LINK_LINUX_SLL,
                                     NETPKT_LINK_LINUX_SLL2, NETPKT_LINK_RAW };
        (void)state;

        for (size_t li = 0; li < sizeof(links) / sizeof(links[0]); li++) {
                for (int v6 = 0; v6 < 2; v6++) {
                        frame_t f = { 0 };
                        netpkt_syn_t s;

                        switch (links[li]) {
                        case NETPKT_LINK_EN10MB:
                                eth(&f, v6 ? 0x86dd : 0x0800);
                                break;
                        case NETPKT_LINK_LINUX_SLL:
                                sll(&f, 0, v6 ? 0x86dd : 0x0800);
                                break;
                        case NETPKT_LINK_LINUX_SLL2:
                                sll2(&f, 0, v6 ? 0x86dd : 0x0800);
                                break;
                        default:
                                break;
                        }
                        if (v6) {
                                ipv6(&f, 20, 6, "2001:db8::9", "2001:db8::2");
                                tcp(&f, 1, 2, 5, 0x02);
                        } else
                                v4_syn(&f, 0x02);
                        assert_int_equal(netpkt_parse_syn(links[li], f.b, f.n, &s), 0);
                        for (size_t cut = 0; cut < f.n; cut++) {
                                uint8_t *copy = malloc(cut ? cut : 1);
                                int r;

                                assert_non_null(copy);
                                memcpy(copy, f.b, cut);
                                r = netpkt_parse_syn(links[li], copy, cut, &s);
                                assert_true(r == -EBADMSG || r == -ENOMSG);
                                free(copy);
                        }
                }
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ethernet_ipv4), cmocka_unit_test(test_vlan),
                cmocka_unit_test(test_cooked),        cmocka_unit_test(test_raw),
                cmocka_unit_test(test_flags),         cmocka_unit_test(test_ipv4_lies),
                cmocka_unit_test(test_ipv6_ext),      cmocka_unit_test(test_truncation),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
