/* The port scan detector: a state machine fed with connection attempts
 * (TCP SYNs: source, destination, destination port, time) that raises
 * network_attack alerts when one source tries many distinct ports
 * (a vertical scan, rule "netattack.portscan.vertical") or many distinct
 * local addresses (a horizontal scan, rule "netattack.portscan.horizontal")
 * within a window. It knows nothing of packet capture, so tests drive it
 * with synthetic SYN streams and explicit times.
 *
 * Counting. Each source has a window that opens with its first SYN and
 * lasts window seconds; the distinct destination ports and addresses seen
 * in it are counted exactly, up to the suspicious thresholds (past them a
 * count has nothing left to decide, so it stops there: an alert says
 * "200 ports", not how many more followed). A window that has run out is
 * replaced by a fresh one at the source's next SYN. A burst that straddles
 * the end of a window is split between two windows; a scan always starts
 * a fresh window when the source was quiet before it.
 *
 * Levels and repeats. Reaching the "ports" or "hosts" threshold gives a
 * reminder, reaching the "suspicious" ones gives suspicious. A suspicious
 * alert goes out at once; a reminder is held until the next
 * portscan_tick() (or portscan_flush()) so that a fast scan which goes on
 * to the suspicious threshold raises one alert, not two, and the reminder's
 * evidence covers the whole burst. After an alert for (source, kind) no
 * further alert of the same or a lower level is raised for that pair until
 * the cool-down has passed; a higher level still is.
 *
 * Memory. The state is bounded whatever arrives, including floods of SYNs
 * from spoofed random sources: a table of at most max_sources sources (152
 * bytes each on x86-64, so 9.5 MiB for the default 65,536) with
 * least-recently-seen eviction, each holding up to 8 ports and 4 addresses
 * inline; a source that goes past those gets a "tracked" record (open-
 * addressing sets sized for the suspicious thresholds: about 1.5 KiB with
 * the defaults) from a pool of at most max_tracked (1,024 by default, so
 * 1.5 MiB), again with least-recently-used eviction. A source that loses
 * its tracked record starts a fresh window (it is under-counted, never
 * over-counted). Every SYN costs a bounded amount of work: one keyed hash
 * lookup (the key is random per detector, so chosen addresses cannot force
 * collisions), one probe of a half-empty keyed set of ports and one of
 * addresses. Memory is touched as sources arrive, so an idle host pays
 * only for what it has seen. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ipaddr.h"
#include "detect/sink.h"

/* Upper limits of the suspicious thresholds (they size the tracked
 * records). */
#define PORTSCAN_MAX_PORTS 4096
#define PORTSCAN_MAX_HOSTS 1024
/* Ports and addresses listed in an alert's evidence. */
#define PORTSCAN_SAMPLE_PORTS 16
#define PORTSCAN_SAMPLE_HOSTS 8
/* Hard limits on the configurable table sizes. */
#define PORTSCAN_MAX_SOURCES_LIMIT (1u << 22)
#define PORTSCAN_MAX_TRACKED_LIMIT 65536u

typedef struct portscan_opts {
        int64_t window_us;         /* counting window per source */
        int64_t cooldown_us;       /* no repeat alert per (source, kind) within this */
        unsigned ports;            /* distinct ports for a reminder (vertical) */
        unsigned ports_suspicious; /* distinct ports for suspicious */
        unsigned hosts;            /* distinct local addresses for a reminder (horizontal) */
        unsigned hosts_suspicious; /* distinct local addresses for suspicious */
        unsigned max_sources;      /* sources remembered at once */
        unsigned max_tracked;      /* sources with a full port map at once */
        const ipnet_t *allow;      /* sources never counted; borrowed, copied by portscan_new */
        size_t n_allow;
} portscan_opts_t;

/* Defaults: window 60 s, cool-down 600 s, 20 / 200 ports, 8 / 32 hosts,
 * 65,536 sources, 1,024 tracked, no allowlist (the configuration loader
 * adds loopback). */
void portscan_opts_default(portscan_opts_t *o);

/* Check O for consistency (thresholds ≥ 2, suspicious ≥ reminder,
 * suspicious thresholds ≤ PORTSCAN_MAX_PORTS / PORTSCAN_MAX_HOSTS, sizes
 * within the limits). Returns 0 or -EINVAL with *RET_WHY a static
 * description. */
int portscan_opts_check(const portscan_opts_t *o, const char **ret_why);

typedef struct portscan portscan_t;

/* Counters, for the agent's status and for tests. */
typedef struct portscan_stats {
        uint64_t syns;            /* SYNs fed */
        uint64_t allowlisted;     /* SYNs from allowlisted sources, ignored */
        uint64_t sources_evicted; /* sources dropped to make room */
        uint64_t tracked_evicted; /* tracked records taken from a source */
        uint64_t alerts;          /* alerts handed to the sink */
        uint64_t sink_errors;     /* alerts the sink refused */
        size_t sources;           /* sources remembered now */
        size_t tracked;           /* tracked records in use now */
        size_t bytes;             /* memory held by the detector now */
} portscan_stats_t;

/* Create a detector with options O (copied; see portscan_opts_check) that
 * hands alerts to SINK (copied; its userdata is borrowed). Returns 0,
 * -EINVAL for bad options, -ENOMEM. Free with portscan_free. */
int portscan_new(const portscan_opts_t *o, const alert_sink_t *sink, portscan_t **ret);
void portscan_free(portscan_t *ps);
static inline void portscan_freep(portscan_t **ps)
{
        portscan_free(*ps);
}
#define _cleanup_portscan_ _cleanup_(portscan_freep)

/* Feed one SYN from SRC to DST port DPORT seen at TIME_US (microseconds
 * since the epoch; times may arrive slightly out of order). May emit a
 * suspicious alert. Returns 0, or the first error of the sink or -ENOMEM
 * from building an alert (the state stays consistent either way). */
int portscan_feed(portscan_t *ps, const ipaddr_t *src, const ipaddr_t *dst, uint16_t dport,
                  int64_t time_us);

/* The periodic call: emit held reminders and forget sources idle longer
 * than both the window and the cool-down. NOW_US is the current time.
 * Returns 0 or the first error as for portscan_feed. */
int portscan_tick(portscan_t *ps, int64_t now_us);

/* Emit every held reminder now (before shutting down). Returns as
 * portscan_tick. */
int portscan_flush(portscan_t *ps, int64_t now_us);

void portscan_get_stats(const portscan_t *ps, portscan_stats_t *ret);
