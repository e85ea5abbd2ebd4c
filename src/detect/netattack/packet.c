#include "detect/netattack/packet.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#define ETH_HLEN   14
#define SLL_HLEN   16
#define SLL2_HLEN  20
#define IPV4_MIN   20
#define IPV6_HLEN  40
#define TCP_MIN    20
#define ETHER_IPV4 0x0800
#define ETHER_IPV6 0x86dd

/* Linux packet types (the "pkttype" of the cooked headers). A frame the
 * host sent, or one meant for another host and seen in promiscuous mode, is
 * not a connection attempt against this host. */
#define PACKET_OTHERHOST_ 3
#define PACKET_OUTGOING_  4

#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

static uint16_t be16(const uint8_t *p)
{
        return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

/* Parse the TCP header at P (AVAIL bytes captured, SEGLEN bytes the IP
 * header says the segment has). */
static int parse_tcp(const uint8_t *p, size_t avail, size_t seglen, netpkt_syn_t *syn)
{
        unsigned doff, flags;

        if (seglen < TCP_MIN)
                return -EBADMSG;
        if (avail < TCP_MIN)
                return -EBADMSG;
        doff = (unsigned)(p[12] >> 4) * 4;
        if (doff < TCP_MIN || doff > seglen)
                return -EBADMSG;
        flags = p[13];
        if (!(flags & TCP_FLAG_SYN) || (flags & (TCP_FLAG_ACK | TCP_FLAG_RST)))
                return -ENOMSG;
        syn->sport = be16(p);
        syn->dport = be16(p + 2);
        return 0;
}

static int parse_ipv4(const uint8_t *p, size_t avail, netpkt_syn_t *ret)
{
        netpkt_syn_t syn = { 0 };
        size_t ihl, total;
        int r;

        if (avail < IPV4_MIN)
                return -EBADMSG;
        if ((p[0] >> 4) != 4)
                return -EBADMSG;
        ihl = (size_t)(p[0] & 0x0f) * 4;
        total = be16(p + 2);
        if (ihl < IPV4_MIN || total < ihl)
                return -EBADMSG;
        if (ihl > avail)
                return -EBADMSG;
        if (p[9] != IPPROTO_TCP)
                return -ENOMSG;
        /* A later fragment carries no TCP header at its start. */
        if (be16(p + 6) & 0x1fff)
                return -ENOMSG;
        /* Bytes past the datagram's total length are link padding. */
        if (avail > total)
                avail = total;
        r = parse_tcp(p + ihl, avail - ihl, total - ihl, &syn);
        if (r < 0)
                return r;
        syn.src.family = AF_INET;
        memcpy(syn.src.bytes, p + 12, 4);
        syn.dst.family = AF_INET;
        memcpy(syn.dst.bytes, p + 16, 4);
        *ret = syn;
        return 0;
}

static int parse_ipv6(const uint8_t *p, size_t avail, netpkt_syn_t *ret)
{
        netpkt_syn_t syn = { 0 };
        size_t payload, off = IPV6_HLEN;
        unsigned next;
        int r;

        if (avail < IPV6_HLEN)
                return -EBADMSG;
        if ((p[0] >> 4) != 6)
                return -EBADMSG;
        payload = be16(p + 4);
        /* A zero payload length announces a jumbogram; no SYN is one. */
        if (payload == 0)
                return -ENOMSG;
        if (avail > IPV6_HLEN + payload)
                avail = IPV6_HLEN + payload;
        next = p[6];
        for (unsigned i = 0;; i++) {
                size_t len;

                if (next == IPPROTO_TCP)
                        break;
                if (i >= NETPKT_MAX_EXT_HEADERS)
                        return -ENOMSG;
                switch (next) {
                case IPPROTO_HOPOPTS:
                case IPPROTO_ROUTING:
                case IPPROTO_DSTOPTS:
                        if (off + 2 > avail)
                                return -EBADMSG;
                        len = ((size_t)p[off + 1] + 1) * 8;
                        break;
                case IPPROTO_AH:
                        if (off + 2 > avail)
                                return -EBADMSG;
                        len = ((size_t)p[off + 1] + 2) * 4;
                        break;
                case IPPROTO_FRAGMENT:
                        if (off + 8 > avail)
                                return -EBADMSG;
                        if (be16(p + off + 2) & 0xfff8)
                                return -ENOMSG;
                        len = 8;
                        break;
                default:
                        /* ESP, "no next header", or another protocol. */
                        return -ENOMSG;
                }
                if (len > IPV6_HLEN + payload - off)
                        return -EBADMSG;
                next = p[off];
                off += len;
        }
        if (off > avail)
                return -EBADMSG;
        r = parse_tcp(p + off, avail - off, IPV6_HLEN + payload - off, &syn);
        if (r < 0)
                return r;
        syn.src.family = AF_INET6;
        memcpy(syn.src.bytes, p + 8, 16);
        syn.dst.family = AF_INET6;
        memcpy(syn.dst.bytes, p + 24, 16);
        *ret = syn;
        return 0;
}

/* Dispatch on an EtherType (after the link header). */
static int parse_ether_payload(unsigned type, const uint8_t *p, size_t avail, netpkt_syn_t *ret)
{
        if (type == ETHER_IPV4)
                return parse_ipv4(p, avail, ret);
        if (type == ETHER_IPV6)
                return parse_ipv6(p, avail, ret);
        return -ENOMSG;
}

/* Raw IP: the version nibble tells the protocol. */
static int parse_raw(const uint8_t *p, size_t avail, netpkt_syn_t *ret)
{
        if (avail < 1)
                return -EBADMSG;
        switch (p[0] >> 4) {
        case 4:
                return parse_ipv4(p, avail, ret);
        case 6:
                return parse_ipv6(p, avail, ret);
        default:
                return -ENOMSG;
        }
}

static int parse_ethernet(const uint8_t *p, size_t avail, netpkt_syn_t *ret)
{
        size_t off = 12;
        unsigned type;

        if (avail < ETH_HLEN)
                return -EBADMSG;
        type = be16(p + off);
        /* At most two VLAN tags (802.1Q, and 802.1ad or the older 0x9100
         * for the outer one of a QinQ pair). */
        for (int tags = 0; (type == 0x8100 || type == 0x88a8 || type == 0x9100) && tags < 2;
             tags++) {
                off += 4;
                if (off + 2 > avail)
                        return -EBADMSG;
                type = be16(p + off);
        }
        off += 2;
        return parse_ether_payload(type, p + off, avail - off, ret);
}

int netpkt_parse_syn(int linktype, const uint8_t *frame, size_t caplen, netpkt_syn_t *ret)
{
        if (!frame && caplen > 0)
                return -EBADMSG;
        switch (linktype) {
        case NETPKT_LINK_EN10MB:
                return parse_ethernet(frame, caplen, ret);
        case NETPKT_LINK_LINUX_SLL: {
                unsigned pkttype;

                if (caplen < SLL_HLEN)
                        return -EBADMSG;
                pkttype = be16(frame);
                if (pkttype == PACKET_OUTGOING_ || pkttype == PACKET_OTHERHOST_)
                        return -ENOMSG;
                return parse_ether_payload(be16(frame + 14), frame + SLL_HLEN, caplen - SLL_HLEN,
                                           ret);
        }
        case NETPKT_LINK_LINUX_SLL2: {
                unsigned pkttype;

                if (caplen < SLL2_HLEN)
                        return -EBADMSG;
                pkttype = frame[10];
                if (pkttype == PACKET_OUTGOING_ || pkttype == PACKET_OTHERHOST_)
                        return -ENOMSG;
                return parse_ether_payload(be16(frame), frame + SLL2_HLEN, caplen - SLL2_HLEN, ret);
        }
        case NETPKT_LINK_RAW:
        case NETPKT_LINK_RAW_FILE:
                return parse_raw(frame, caplen, ret);
        case NETPKT_LINK_IPV4:
                return parse_ipv4(frame, caplen, ret);
        case NETPKT_LINK_IPV6:
                return parse_ipv6(frame, caplen, ret);
        default:
                return -EPROTONOSUPPORT;
        }
}
