/* The kernel's network counters that the flood detector samples: TCP
 * listen-queue drops and SYN cookies (/proc/net/netstat, "TcpExt:"), UDP
 * datagrams and receive errors (/proc/net/snmp "Udp:", /proc/net/snmp6),
 * and the number of half-open connections (sockets in state SYN_RECV in
 * /proc/net/tcp and /proc/net/tcp6). The counters are those of the network
 * namespace the reader runs in.
 *
 * The parsers take the text as bytes and trust none of it: lines have a
 * cap, a header line and its value line must agree on the number of fields,
 * a value that is not a decimal number is skipped, and a counter a kernel
 * does not have (older kernels lack some, e.g. TCPReqQFullDrop before 3.x)
 * is simply absent from the sample — the "have" mask says which were read.
 * Every line must end with a newline: a last line without one was cut off
 * and is not used. Malformed lines are counted, never fatal. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A /proc counter table line longer than this is malformed (real TcpExt
 * lines are about 3 KiB). */
#define NETSTAT_MAX_LINE (16 * 1024)
/* The counter tables are read whole up to this size. */
#define NETSTAT_MAX_FILE (1024 * 1024)
/* At most this many sockets of /proc/net/tcp and tcp6 together are looked
 * at per sample; a host with more gets a count "at least" (synrecv_capped). */
#define NETSTAT_MAX_SOCKETS (1024 * 1024)

typedef enum netstat_counter {
        NETSTAT_LISTEN_OVERFLOWS,   /* TcpExt ListenOverflows: accept queue full */
        NETSTAT_LISTEN_DROPS,       /* TcpExt ListenDrops: any SYN dropped by a listener */
        NETSTAT_REQQ_FULL_DROP,     /* TcpExt TCPReqQFullDrop: SYN queue full, no cookies */
        NETSTAT_SYNCOOKIES_SENT,    /* TcpExt SyncookiesSent */
        NETSTAT_SYNCOOKIES_FAILED,  /* TcpExt SyncookiesFailed */
        NETSTAT_UDP_IN,             /* Udp InDatagrams */
        NETSTAT_UDP_NOPORTS,        /* Udp NoPorts */
        NETSTAT_UDP_IN_ERRORS,      /* Udp InErrors */
        NETSTAT_UDP_RCVBUF_ERRORS,  /* Udp RcvbufErrors */
        NETSTAT_UDP6_IN,            /* Udp6InDatagrams */
        NETSTAT_UDP6_NOPORTS,       /* Udp6NoPorts */
        NETSTAT_UDP6_IN_ERRORS,     /* Udp6InErrors */
        NETSTAT_UDP6_RCVBUF_ERRORS, /* Udp6RcvbufErrors */
        NETSTAT_COUNTER__MAX,
} netstat_counter_t;

typedef struct netstat_sample {
        uint64_t v[NETSTAT_COUNTER__MAX];
        uint32_t have;       /* bit (1 << counter) set for each counter read */
        uint64_t synrecv;    /* sockets in SYN_RECV */
        bool have_synrecv;   /* at least one of tcp, tcp6 was read */
        bool synrecv_capped; /* NETSTAT_MAX_SOCKETS reached: synrecv is a lower bound */
        size_t bad_lines;    /* lines of any table that did not parse */
} netstat_sample_t;

/* The counter's name as the kernel prints it ("ListenDrops", "Udp6InErrors"). */
const char *netstat_counter_name(netstat_counter_t c);

static inline bool netstat_has(const netstat_sample_t *s, netstat_counter_t c)
{
        return s->have & (1u << c);
}

/* Parse N bytes in the "Prefix: name name …" / "Prefix: value value …"
 * line-pair format of /proc/net/netstat and /proc/net/snmp, taking the
 * counters above from the TcpExt and Udp pairs into S (others are ignored).
 * Bad lines are counted in S->bad_lines. Returns 0 (also when nothing was
 * found). */
int netstat_parse_pairs(const char *data, size_t n, netstat_sample_t *s);

/* Parse N bytes in the "Name value" per-line format of /proc/net/snmp6.
 * Returns 0. */
int netstat_parse_snmp6(const char *data, size_t n, netstat_sample_t *s);

/* Count the sockets in state SYN_RECV (03) in N bytes of /proc/net/tcp or
 * tcp6 text; the header line is skipped, a partial last line (no newline)
 * is counted as bad. Adds to *RET_COUNT and to *RET_BAD (lines that did not parse)
 * and *RET_LINES (socket lines seen). Returns 0. */
int netstat_count_synrecv(const char *data, size_t n, uint64_t *ret_count, size_t *ret_bad,
                          uint64_t *ret_lines);

/* Count the SYN_RECV sockets of PROC_DIR/net/tcp and net/tcp6 into S
 * (synrecv, have_synrecv, synrecv_capped, bad_lines). This is the costly
 * part of a sample: the kernel walks its whole connection hash table for
 * each file (about 5 ms of system time per file on a host with a large
 * table, however few sockets it holds), which is why the flood detector
 * reads them only now and then or when the counters move. Returns 0,
 * -ENOENT when neither exists, -ENOMEM, or the errno of a failed read. */
int netstat_read_synrecv(const char *proc_dir, netstat_sample_t *s);

/* Read a whole sample from PROC_DIR (normally "/proc"): net/netstat,
 * net/snmp, net/snmp6 and, when WITH_SYNRECV, net/tcp and net/tcp6 (read
 * in bounded chunks, never whole). Missing files leave their counters
 * absent. Returns 0, -ENOENT when none of the counter files could be read,
 * -EFBIG for a counter table over NETSTAT_MAX_FILE, -ENOMEM, or the errno of
 * a failed read. */
int netstat_read(const char *proc_dir, bool with_synrecv, netstat_sample_t *ret);
