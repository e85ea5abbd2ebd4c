/* Packet capture for the port scan detector: libpcap on one device —
 * normally "any", which on Linux covers every interface, including ones that
 * appear later — with a kernel-side BPF filter that passes only TCP
 * connection attempts (SYN set, ACK and RST clear), a snapshot length of 128
 * bytes (enough for any link header, IPv4 with options or IPv6, and the TCP
 * flags), a bounded kernel buffer, and only packets coming in.
 *
 * IPv6 and the filter: libpcap's tcp[...] accessors work for IPv4 only, so
 * the IPv6 half of the filter reads the flags at a fixed offset,
 * ip6[40 + 13], which is right when TCP follows the IPv6 header directly; a
 * SYN behind IPv6 extension headers is not passed (real scans do not use
 * them). Every packet the filter passes is parsed again in user space by
 * netpkt_parse_syn, which trusts nothing.
 *
 * The capture is non-blocking and has no thread or loop of its own: the
 * caller polls capture_fd() for input and calls capture_dispatch() when it
 * is readable, and also on its timer ticks (a capture that batches packets
 * may hold the last few until its buffer timeout, which the fd does not
 * always announce). capture_open_file reads a savefile instead, for tests
 * and benchmarks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/netattack/packet.h"

#define CAPTURE_SNAPLEN 128
/* The BPF filter, exposed for documentation and tests. */
#define CAPTURE_FILTER                                                                             \
        "(tcp[tcpflags] & (tcp-syn|tcp-ack|tcp-rst) == tcp-syn) or "                               \
        "(ip6 and ip6[6] == 6 and ip6[53] & 0x16 == 0x02)"
/* Limits of the kernel buffer size option. */
#define CAPTURE_MIN_BUFFER (256 * 1024)
#define CAPTURE_MAX_BUFFER (256 * 1024 * 1024)

typedef struct capture_opts {
        const char *device;        /* "any" or an interface name */
        size_t buffer_bytes;       /* kernel ring size; 2 MiB by default */
        int timeout_ms;            /* batching delay when not immediate; 500 */
        bool immediate;            /* hand each packet over at once (no batching) */
        unsigned max_per_dispatch; /* packets handled per capture_dispatch; 4096 */
} capture_opts_t;

void capture_opts_default(capture_opts_t *o);

typedef struct capture capture_t;

typedef struct capture_stats {
        uint64_t frames;       /* frames handed over by libpcap */
        uint64_t syns;         /* connection attempts parsed */
        uint64_t not_syn;      /* well-formed frames that were something else */
        uint64_t malformed;    /* frames that were cut short or inconsistent */
        uint64_t unsupported;  /* frames of a link type the parser does not know */
        uint64_t kernel_drops; /* packets the kernel dropped (buffer full), when known */
} capture_stats_t;

/* Called for each connection attempt; TIME_US is the capture time. A
 * negative return stops the dispatch and is returned by it. */
typedef int (*capture_syn_fn)(const netpkt_syn_t *syn, int64_t time_us, void *userdata);

/* Open a live capture with options O. Needs CAP_NET_RAW. Returns 0, -EPERM
 * (no permission), -ENODEV (no such device), -EINVAL (bad options or a
 * filter the device cannot take), -ENOMEM, or -EIO for other libpcap
 * failures; *RET_ERROR (may be NULL) gets libpcap's message (caller frees). */
int capture_open(const capture_opts_t *o, capture_t **ret, char **ret_error);

/* Read the savefile at PATH (pcap or pcapng) instead of a device; the
 * filter is applied as for a live capture. Returns as capture_open, -ENOENT
 * for a missing file, -EBADMSG for a file libpcap cannot read. */
int capture_open_file(const char *path, capture_t **ret, char **ret_error);

void capture_free(capture_t *c);
static inline void capture_freep(capture_t **c)
{
        capture_free(*c);
}
#define _cleanup_capture_ _cleanup_(capture_freep)

/* The descriptor to poll for input, or -1 for a savefile. Borrowed. */
int capture_fd(const capture_t *c);

/* The link type of the capture (a NETPKT_LINK_* / DLT_* value). */
int capture_linktype(const capture_t *c);

/* Handle the packets available now, at most max_per_dispatch of them,
 * calling FN for each SYN. *RET_FRAMES (may be NULL) gets the number of
 * frames handled; 0 means none were waiting (or the end of a savefile).
 * Returns 0, the first negative return of FN, or -EIO when libpcap failed
 * (for example the device went away). */
int capture_dispatch(capture_t *c, capture_syn_fn fn, void *userdata, size_t *ret_frames);

void capture_get_stats(capture_t *c, capture_stats_t *ret);
