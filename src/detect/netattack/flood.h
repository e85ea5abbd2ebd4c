/* The flood detector: turns successive samples of the kernel's counters
 * (see netstat.h) into rates and raises network_attack alerts while a flood
 * is going on. It keeps only the previous sample; the caller (the agent's
 * timer, every few seconds) hands it each new one with the time it was
 * taken, so tests drive it with fixed samples and times.
 *
 * Rules:
 * - "netattack.flood.syn", suspicious: a SYN flood is under way when, over
 *   the last interval, connection requests were dropped by listeners
 *   (ListenDrops, or ListenOverflows + TCPReqQFullDrop where ListenDrops is
 *   missing) at syn_drops_per_sec or more, or SYN cookies were sent at
 *   syncookies_per_sec or more, or syn_recv or more half-open connections
 *   are waiting (SYN_RECV sockets).
 * - "netattack.flood.udp": UDP receive errors (RcvbufErrors + InErrors of
 *   IPv4 and IPv6; InErrors already counts RcvbufErrors on current kernels,
 *   so the larger of the two is taken per family) at udp_errors_per_sec or
 *   more give a reminder, at udp_errors_suspicious_per_sec or more
 *   suspicious; incoming datagrams at udp_datagrams_per_sec or more give a
 *   reminder when that threshold is set (0, the default, turns it off: a busy
 *   DNS server receives many).
 * A threshold of 0 turns its test off. Each rule alerts at most once per
 * cool-down unless its level rises. A counter that goes down (a reset, a
 * different namespace) counts as no change for that interval; a sample
 * taken less than min_interval after the previous one is ignored, so rates
 * are not computed over tiny intervals.
 *
 * Cost: the counters (three small /proc files) are read at every tick; the
 * socket tables that give the SYN_RECV count cost the kernel a walk of its
 * whole connection table, so flood_tick reads them only when a SYN counter
 * moved since the last sample or syn_recv_interval has passed (the count
 * is then also evidence of a flood the counters found). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "detect/netattack/netstat.h"
#include "detect/sink.h"

typedef struct flood_opts {
        uint64_t syn_drops_per_sec;             /* 50 */
        uint64_t syncookies_per_sec;            /* 50 */
        uint64_t syn_recv;                      /* 256 half-open connections */
        uint64_t udp_errors_per_sec;            /* 100, reminder */
        uint64_t udp_errors_suspicious_per_sec; /* 5000 */
        uint64_t udp_datagrams_per_sec;         /* 0 (off), reminder */
        int64_t cooldown_us;                    /* 600 s */
        int64_t min_interval_us;                /* 1 s */
        int64_t synrecv_interval_us;            /* 60 s: SYN_RECV count when quiet */
} flood_opts_t;

void flood_opts_default(flood_opts_t *o);

typedef struct flood flood_t;

/* Returns 0, -EINVAL for negative durations, -ENOMEM. SINK is copied (its
 * userdata borrowed). Free with flood_free. */
int flood_new(const flood_opts_t *o, const alert_sink_t *sink, flood_t **ret);
void flood_free(flood_t *f);
static inline void flood_freep(flood_t **f)
{
        flood_free(*f);
}
#define _cleanup_flood_ _cleanup_(flood_freep)

/* Take sample S taken at NOW_US (microseconds since the epoch) and raise
 * the alerts it calls for. The first sample only sets the baseline.
 * Returns 0 or the first error of the sink or -ENOMEM. */
int flood_feed(flood_t *f, const netstat_sample_t *s, int64_t now_us);

/* Read a sample from PROC_DIR ("/proc") with netstat_read and feed it.
 * The socket tables are read (when the syn_recv test is on) at the first
 * tick, when a SYN counter moved, and once per syn_recv_interval; a sample
 * without them does not judge the SYN_RECV count. Returns 0, an error of
 * netstat_read, or one of flood_feed. */
int flood_tick(flood_t *f, const char *proc_dir, int64_t now_us);
