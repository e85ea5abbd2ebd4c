/* The network attack detectors as one unit for whoever drives them (the
 * agent's event loop, a test driver): the settings read from the
 * configuration, the port scan detector fed from a packet capture, and the
 * flood detector fed from the kernel's counters. It has no thread or loop of
 * its own: the driver polls netattack_fd() and calls netattack_on_readable()
 * when it is readable, and calls netattack_on_tick() every few seconds
 * (NETATTACK_TICK_SECONDS is the interval the defaults are tuned for).
 *
 * Settings (vigil.yml; every key optional):
 *   netattack.allowlist: sources never reported as scanners
 *                        (default [127.0.0.0/8, ::1])
 *   netattack.capture.device: any        capture.buffer: 2MiB (256KiB..256MiB)
 *   netattack.capture.batch_ms: 500      capture.immediate: false
 *   netattack.portscan.enabled: true     portscan.window: 60 (s)
 *   netattack.portscan.ports: 20         portscan.ports_suspicious: 200
 *   netattack.portscan.hosts: 8          portscan.hosts_suspicious: 32
 *   netattack.portscan.cooldown: 600 (s)
 *   netattack.portscan.max_sources: 65536  portscan.max_tracked: 1024
 *   netattack.flood.enabled: true
 *   netattack.flood.syn_drops_per_sec: 50  flood.syncookies_per_sec: 50
 *   netattack.flood.syn_recv: 256      flood.syn_recv_interval: 60 (s)
 *   netattack.flood.udp_errors_per_sec: 100
 *   netattack.flood.udp_errors_suspicious_per_sec: 5000
 *   netattack.flood.udp_datagrams_per_sec: 0 (off)
 *   netattack.flood.cooldown: 600 (s)    flood.min_interval: 1 (s)
 * The blocker's settings (response.block.*) are read by block_config_load. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "detect/netattack/capture.h"
#include "detect/netattack/flood.h"
#include "detect/netattack/portscan.h"
#include "detect/sink.h"

#define NETATTACK_TICK_SECONDS 5

typedef struct netattack_config {
        bool portscan_enabled;
        portscan_opts_t portscan; /* portscan.allow points into allow */
        bool flood_enabled;
        flood_opts_t flood;
        capture_opts_t capture; /* capture.device points into device */
        char *device;
        ipnet_t *allow;
        size_t n_allow;
        char *proc_dir; /* where the flood detector reads counters: "/proc" */
} netattack_config_t;

/* Read the settings above. Returns 0, -EINVAL with *RET_ERROR naming the
 * key (caller frees; may be NULL), -ENOMEM. Free with
 * netattack_config_clear. */
int netattack_config_load(const config_t *c, netattack_config_t *ret, char **ret_error);
void netattack_config_clear(netattack_config_t *nc);

typedef struct netattack netattack_t;

typedef struct netattack_stats {
        portscan_stats_t portscan;
        capture_stats_t capture;
        uint64_t flood_samples; /* counter samples taken */
        uint64_t flood_errors;  /* samples that could not be read */
} netattack_stats_t;

/* Create the detectors of CFG (copied) sending alerts to SINK (copied, its
 * userdata borrowed). The capture is not opened yet. Returns 0, -EINVAL,
 * -ENOMEM. */
int netattack_new(const netattack_config_t *cfg, const alert_sink_t *sink, netattack_t **ret);
void netattack_free(netattack_t *n);
static inline void netattack_freep(netattack_t **n)
{
        netattack_free(*n);
}
#define _cleanup_netattack_ _cleanup_(netattack_freep)

/* Open the packet capture (needs CAP_NET_RAW; a no-op when port scan
 * detection is off). Returns as capture_open. */
int netattack_start_capture(netattack_t *n, char **ret_error);

/* Read packets from the savefile at PATH instead of a device (tests,
 * benchmarks, replaying a capture); netattack_on_readable() then reads it
 * to its end in rounds. Returns as capture_open_file. */
int netattack_start_capture_file(netattack_t *n, const char *path, char **ret_error);

/* The capture's descriptor to poll for input, or -1 when there is none. */
int netattack_fd(const netattack_t *n);

/* Handle waiting packets (at most the capture's per-dispatch limit; the
 * descriptor stays readable while more wait). An alert the sink refuses
 * does not stop the reading: it is counted (portscan.sink_errors). Returns
 * 0, or -EIO when the capture failed (the device went away). */
int netattack_on_readable(netattack_t *n);

/* The periodic work at NOW_US: packets the capture still holds, held port
 * scan reminders, forgetting idle sources, and one counter sample for the
 * flood detector. Returns 0 or the first error (the other parts still
 * run): a capture failure, a sink error from a reminder or a flood alert,
 * or the error of a counter sample that could not be read (also counted in
 * the stats). */
int netattack_on_tick(netattack_t *n, int64_t now_us);

/* Before shutting down: handle waiting packets and send held reminders.
 * Returns as netattack_on_tick. */
int netattack_flush(netattack_t *n, int64_t now_us);

void netattack_get_stats(netattack_t *n, netattack_stats_t *ret);
