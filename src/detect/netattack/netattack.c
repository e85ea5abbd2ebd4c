#include "detect/netattack/netattack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "core/text.h"
#include "detect/netattack/netconf.h"

#define SEC 1000000LL

struct netattack {
        netattack_config_t cfg;
        portscan_t *ps;
        flood_t *flood;
        capture_t *cap;
        uint64_t flood_samples;
        uint64_t flood_errors;
};

void netattack_config_clear(netattack_config_t *nc)
{
        free(nc->device);
        free(nc->allow);
        free(nc->proc_dir);
        *nc = (netattack_config_t){ 0 };
}

int netattack_config_load(const config_t *c, netattack_config_t *ret, char **ret_error)
{
        static const char *const default_allow[] = { "127.0.0.0/8", "::1", NULL };
        _cleanup_(netattack_config_clear) netattack_config_t nc = { 0 };
        uint64_t window = 0, cooldown = 0, ports = 0, ports_s = 0, hosts = 0, hosts_s = 0;
        uint64_t max_src = 0, max_trk = 0, buffer = 0, batch = 0, fcool = 0, fmin = 0;
        uint64_t fsynrecv = 0;
        const char *device;
        const char *why;
        int r;

        portscan_opts_default(&nc.portscan);
        flood_opts_default(&nc.flood);
        capture_opts_default(&nc.capture);

        if ((r = netconf_nets(c, "netattack.allowlist", default_allow, &nc.allow, &nc.n_allow,
                              ret_error)) < 0 ||
            (r = netconf_str(c, "netattack.capture.device", "any", &device, ret_error)) < 0 ||
            (r = netconf_size(c, "netattack.capture.buffer", nc.capture.buffer_bytes,
                              CAPTURE_MIN_BUFFER, CAPTURE_MAX_BUFFER, &buffer, ret_error)) < 0 ||
            (r = netconf_uint(c, "netattack.capture.batch_ms", (uint64_t)nc.capture.timeout_ms, 1,
                              10000, &batch, ret_error)) < 0 ||
            (r = netconf_bool(c, "netattack.capture.immediate", false, &nc.capture.immediate,
                              ret_error)) < 0)
                return r;
        /* An interface name has at most 15 bytes. */
        if (!*device || strlen(device) > 15) {
                if (ret_error)
                        *ret_error = strdup("netattack.capture.device: not an interface name");
                return -EINVAL;
        }

        if ((r = netconf_bool(c, "netattack.portscan.enabled", true, &nc.portscan_enabled,
                              ret_error)) < 0 ||
            (r = netconf_seconds(c, "netattack.portscan.window", 60, 1, 86400, &window,
                                 ret_error)) < 0 ||
            (r = netconf_seconds(c, "netattack.portscan.cooldown", 600, 0, 7 * 86400, &cooldown,
                                 ret_error)) < 0 ||
            (r = netconf_uint(c, "netattack.portscan.ports", nc.portscan.ports, 2,
                              PORTSCAN_MAX_PORTS, &ports, ret_error)) < 0 ||
            (r = netconf_uint(c, "netattack.portscan.ports_suspicious",
                              MAX(nc.portscan.ports_suspicious, ports), ports, PORTSCAN_MAX_PORTS,
                              &ports_s, ret_error)) < 0 ||
            (r = netconf_uint(c, "netattack.portscan.hosts", nc.portscan.hosts, 2,
                              PORTSCAN_MAX_HOSTS, &hosts, ret_error)) < 0 ||
            (r = netconf_uint(c, "netattack.portscan.hosts_suspicious",
                              MAX(nc.portscan.hosts_suspicious, hosts), hosts, PORTSCAN_MAX_HOSTS,
                              &hosts_s, ret_error)) < 0 ||
            (r = netconf_uint(c, "netattack.portscan.max_sources", nc.portscan.max_sources, 16,
                              PORTSCAN_MAX_SOURCES_LIMIT, &max_src, ret_error)) < 0 ||
            (r = netconf_uint(c, "netattack.portscan.max_tracked", nc.portscan.max_tracked, 1,
                              PORTSCAN_MAX_TRACKED_LIMIT, &max_trk, ret_error)) < 0)
                return r;

        if ((r = netconf_bool(c, "netattack.flood.enabled", true, &nc.flood_enabled, ret_error)) <
                    0 ||
            (r = netconf_uint(c, "netattack.flood.syn_drops_per_sec", nc.flood.syn_drops_per_sec, 0,
                              UINT32_MAX, &nc.flood.syn_drops_per_sec, ret_error)) < 0 ||
            (r = netconf_uint(c, "netattack.flood.syncookies_per_sec", nc.flood.syncookies_per_sec,
                              0, UINT32_MAX, &nc.flood.syncookies_per_sec, ret_error)) < 0 ||
            (r = netconf_uint(c, "netattack.flood.syn_recv", nc.flood.syn_recv, 0, UINT32_MAX,
                              &nc.flood.syn_recv, ret_error)) < 0 ||
            (r = netconf_uint(c, "netattack.flood.udp_errors_per_sec", nc.flood.udp_errors_per_sec,
                              0, UINT32_MAX, &nc.flood.udp_errors_per_sec, ret_error)) < 0 ||
            (r = netconf_uint(c, "netattack.flood.udp_errors_suspicious_per_sec",
                              nc.flood.udp_errors_suspicious_per_sec, 0, UINT32_MAX,
                              &nc.flood.udp_errors_suspicious_per_sec, ret_error)) < 0 ||
            (r = netconf_uint(c, "netattack.flood.udp_datagrams_per_sec",
                              nc.flood.udp_datagrams_per_sec, 0, UINT32_MAX,
                              &nc.flood.udp_datagrams_per_sec, ret_error)) < 0 ||
            (r = netconf_seconds(c, "netattack.flood.cooldown", 600, 0, 7 * 86400, &fcool,
                                 ret_error)) < 0 ||
            (r = netconf_seconds(c, "netattack.flood.min_interval", 1, 0, 3600, &fmin, ret_error)) <
                    0 ||
            (r = netconf_seconds(c, "netattack.flood.syn_recv_interval",
                                 (uint64_t)(nc.flood.synrecv_interval_us / SEC), 1, 86400,
                                 &fsynrecv, ret_error)) < 0)
                return r;

        nc.device = strdup(device);
        nc.proc_dir = strdup("/proc");
        if (!nc.device || !nc.proc_dir)
                return -ENOMEM;
        nc.capture.device = nc.device;
        nc.capture.buffer_bytes = (size_t)buffer;
        nc.capture.timeout_ms = (int)batch;
        nc.portscan.window_us = (int64_t)window * SEC;
        nc.portscan.cooldown_us = (int64_t)cooldown * SEC;
        nc.portscan.ports = (unsigned)ports;
        nc.portscan.ports_suspicious = (unsigned)ports_s;
        nc.portscan.hosts = (unsigned)hosts;
        nc.portscan.hosts_suspicious = (unsigned)hosts_s;
        nc.portscan.max_sources = (unsigned)max_src;
        nc.portscan.max_tracked = (unsigned)max_trk;
        nc.portscan.allow = nc.allow;
        nc.portscan.n_allow = nc.n_allow;
        nc.flood.cooldown_us = (int64_t)fcool * SEC;
        nc.flood.min_interval_us = (int64_t)fmin * SEC;
        nc.flood.synrecv_interval_us = (int64_t)fsynrecv * SEC;
        if (portscan_opts_check(&nc.portscan, &why) < 0) {
                if (ret_error)
                        *ret_error = str_printf("netattack.portscan: %s", why);
                return -EINVAL;
        }
        *ret = nc;
        nc = (netattack_config_t){ 0 };
        return 0;
}

static int copy_config(const netattack_config_t *src, netattack_config_t *dst)
{
        *dst = *src;
        dst->device = strdup(src->device ? src->device : "any");
        dst->proc_dir = strdup(src->proc_dir ? src->proc_dir : "/proc");
        dst->allow = NULL;
        if (src->n_allow > 0) {
                dst->allow = calloc(src->n_allow, sizeof(*dst->allow));
                if (dst->allow)
                        memcpy(dst->allow, src->allow, src->n_allow * sizeof(*dst->allow));
        }
        if (!dst->device || !dst->proc_dir || (src->n_allow > 0 && !dst->allow)) {
                netattack_config_clear(dst);
                return -ENOMEM;
        }
        dst->capture.device = dst->device;
        dst->portscan.allow = dst->allow;
        dst->portscan.n_allow = dst->n_allow;
        return 0;
}

int netattack_new(const netattack_config_t *cfg, const alert_sink_t *sink, netattack_t **ret)
{
        netattack_t *n;
        int r;

        n = calloc(1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        r = copy_config(cfg, &n->cfg);
        if (r < 0) {
                free(n);
                return r;
        }
        if (cfg->portscan_enabled && (r = portscan_new(&n->cfg.portscan, sink, &n->ps)) < 0)
                goto fail;
        if (cfg->flood_enabled && (r = flood_new(&n->cfg.flood, sink, &n->flood)) < 0)
                goto fail;
        *ret = n;
        return 0;
fail:
        netattack_free(n);
        return r;
}

void netattack_free(netattack_t *n)
{
        if (!n)
                return;
        capture_free(n->cap);
        portscan_free(n->ps);
        flood_free(n->flood);
        netattack_config_clear(&n->cfg);
        free(n);
}

int netattack_start_capture(netattack_t *n, char **ret_error)
{
        if (!n->ps || n->cap)
                return 0;
        return capture_open(&n->cfg.capture, &n->cap, ret_error);
}

int netattack_start_capture_file(netattack_t *n, const char *path, char **ret_error)
{
        if (!n->ps || n->cap)
                return 0;
        return capture_open_file(path, &n->cap, ret_error);
}

int netattack_fd(const netattack_t *n)
{
        return n->cap ? capture_fd(n->cap) : -1;
}

static int on_syn(const netpkt_syn_t *syn, int64_t time_us, void *userdata)
{
        netattack_t *n = userdata;

        /* A sink error is not a reason to stop reading packets: it is
         * counted by the detector and the dispatch goes on. */
        (void)portscan_feed(n->ps, &syn->src, &syn->dst, syn->dport, time_us);
        return 0;
}

int netattack_on_readable(netattack_t *n)
{
        if (!n->cap || !n->ps)
                return 0;
        return capture_dispatch(n->cap, on_syn, n, NULL);
}

/* Handle everything the capture holds, in bounded rounds so a flood that
 * keeps the buffer full cannot keep the caller here forever. */
static int drain(netattack_t *n)
{
        for (int round = 0; round < 16; round++) {
                size_t frames = 0;
                int r;

                if (!n->cap || !n->ps)
                        return 0;
                r = capture_dispatch(n->cap, on_syn, n, &frames);
                if (r < 0)
                        return r;
                if (frames == 0)
                        break;
        }
        return 0;
}

int netattack_on_tick(netattack_t *n, int64_t now_us)
{
        int ret = drain(n), r;

        if (n->ps) {
                r = portscan_tick(n->ps, now_us);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        if (n->flood) {
                r = flood_tick(n->flood, n->cfg.proc_dir, now_us);
                n->flood_samples++;
                if (r < 0) {
                        n->flood_errors++;
                        if (ret == 0)
                                ret = r;
                }
        }
        return ret;
}

int netattack_flush(netattack_t *n, int64_t now_us)
{
        int ret = drain(n), r;

        if (n->ps) {
                r = portscan_flush(n->ps, now_us);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

void netattack_get_stats(netattack_t *n, netattack_stats_t *ret)
{
        netattack_stats_t s = { 0 };

        if (n->ps)
                portscan_get_stats(n->ps, &s.portscan);
        if (n->cap)
                capture_get_stats(n->cap, &s.capture);
        s.flood_samples = n->flood_samples;
        s.flood_errors = n->flood_errors;
        *ret = s;
}
