/* The frame parser of the port scan detector: from the raw bytes of one
 * captured frame to a SYN record (source, destination, ports), or a reason
 * why the frame is not one. It knows the link layers a Linux capture hands
 * out — the cooked headers of the "any" device (SLL and SLL2), Ethernet
 * with up to two VLAN tags, and raw IP — then IPv4 and IPv6 (walking a few
 * extension headers) and the fixed part of the TCP header.
 *
 * The bytes come from the network, so nothing in them is trusted: every
 * length field is checked against the bytes actually captured and against
 * the other lengths it must agree with, and a frame that is cut short or
 * contradicts itself is rejected as malformed. The capture filter already
 * keeps only SYNs, but the parser does not rely on it. It has no state and
 * no dependency on libpcap, so it can be fuzzed and tested on built frames. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/ipaddr.h"

/* Link-layer header types, numbered as libpcap's DLT_* values on Linux. */
#define NETPKT_LINK_EN10MB     1   /* Ethernet */
#define NETPKT_LINK_RAW        12  /* raw IPv4/IPv6, no link header (DLT_RAW) */
#define NETPKT_LINK_RAW_FILE   101 /* the same, as savefiles number it (LINKTYPE_RAW) */
#define NETPKT_LINK_LINUX_SLL  113 /* Linux cooked capture v1 */
#define NETPKT_LINK_IPV4       228
#define NETPKT_LINK_IPV6       229
#define NETPKT_LINK_LINUX_SLL2 276 /* Linux cooked capture v2 */

/* How many IPv6 extension headers are walked before the frame is given up
 * as "not a SYN" (real packets carry zero to two). */
#define NETPKT_MAX_EXT_HEADERS 8

/* A connection attempt: a TCP segment with SYN set and ACK and RST clear. */
typedef struct netpkt_syn {
        ipaddr_t src; /* the family tells IPv4 from IPv6; unused bytes are zero */
        ipaddr_t dst;
        uint16_t sport;
        uint16_t dport;
} netpkt_syn_t;

/* Parse the first CAPLEN bytes of a frame of link type LINKTYPE.
 * Returns 0 with *RET filled for an incoming TCP SYN;
 * -ENOMSG for a well-formed frame that is something else (another protocol,
 *   a SYN-ACK, a later IP fragment, a frame the host sent itself);
 * -EBADMSG for a frame that is cut short or whose lengths do not agree;
 * -EPROTONOSUPPORT for a link type this parser does not know.
 * Never reads past CAPLEN bytes. */
int netpkt_parse_syn(int linktype, const uint8_t *frame, size_t caplen, netpkt_syn_t *ret);
