#include "detect/netattack/flood.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/alert.h"
#include "core/macro.h"

enum { RULE_SYN, RULE_UDP, RULE__MAX };

static const char *const rule_names[RULE__MAX] = { "netattack.flood.syn", "netattack.flood.udp" };
static const char *const rule_subjects[RULE__MAX] = { "tcp-syn", "udp" };

struct flood {
        flood_opts_t o;
        alert_sink_t sink;
        netstat_sample_t prev;
        int64_t prev_us;
        bool have_prev;
        int64_t synrecv_us; /* when the socket tables were last read */
        bool have_synrecv_time;
        int64_t alerted_us[RULE__MAX];
        alert_level_t alerted_level[RULE__MAX];
};

void flood_opts_default(flood_opts_t *o)
{
        *o = (flood_opts_t){
                .syn_drops_per_sec = 50,
                .syncookies_per_sec = 50,
                .syn_recv = 256,
                .udp_errors_per_sec = 100,
                .udp_errors_suspicious_per_sec = 5000,
                .udp_datagrams_per_sec = 0,
                .cooldown_us = 600 * 1000000LL,
                .min_interval_us = 1000000LL,
                .synrecv_interval_us = 60 * 1000000LL,
        };
}

int flood_new(const flood_opts_t *o, const alert_sink_t *sink, flood_t **ret)
{
        flood_t *f;

        if (o->cooldown_us < 0 || o->min_interval_us < 0 || o->synrecv_interval_us < 0)
                return -EINVAL;
        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->o = *o;
        if (sink)
                f->sink = *sink;
        *ret = f;
        return 0;
}

void flood_free(flood_t *f)
{
        free(f);
}

/* The change of counter C between the two samples: 0 when either sample
 * lacks it or it went down. *MISSING collects counters either lacks. */
static uint64_t delta(const netstat_sample_t *a, const netstat_sample_t *b, netstat_counter_t c,
                      uint32_t *missing)
{
        if (!netstat_has(a, c) || !netstat_has(b, c)) {
                *missing |= 1u << c;
                return 0;
        }
        return b->v[c] >= a->v[c] ? b->v[c] - a->v[c] : 0;
}

static double per_sec(uint64_t d, int64_t dt_us)
{
        return (double)d * 1e6 / (double)dt_us;
}

static bool over(double rate, uint64_t threshold)
{
        return threshold > 0 && rate >= (double)threshold;
}

static bool suppressed(const flood_t *f, int rule, alert_level_t level, int64_t now)
{
        return f->alerted_level[rule] >= level && now - f->alerted_us[rule] < f->o.cooldown_us;
}

static int add_missing(alert_t *a, uint32_t missing)
{
        json_t *arr;

        if (!missing)
                return 0;
        arr = json_array();
        if (!arr || json_object_set_new(a->evidence, "missing_counters", arr) < 0)
                return -ENOMEM;
        for (int c = 0; c < NETSTAT_COUNTER__MAX; c++)
                if ((missing & (1u << c)) &&
                    json_array_append_new(arr, json_string(netstat_counter_name(c))) < 0)
                        return -ENOMEM;
        return 0;
}

static int send_alert(flood_t *f, int rule, alert_t *a, alert_level_t level, int64_t now)
{
        f->alerted_us[rule] = now;
        f->alerted_level[rule] = level;
        return alert_sink_emit(&f->sink, a);
}

static int check_syn(flood_t *f, const netstat_sample_t *a, const netstat_sample_t *b,
                     int64_t dt_us, int64_t now)
{
        _cleanup_alert_ alert_t *al = NULL;
        uint32_t missing = 0;
        uint64_t overflows = delta(a, b, NETSTAT_LISTEN_OVERFLOWS, &missing);
        uint64_t ldrops = delta(a, b, NETSTAT_LISTEN_DROPS, &missing);
        uint64_t qfull = delta(a, b, NETSTAT_REQQ_FULL_DROP, &missing);
        uint64_t cookies = delta(a, b, NETSTAT_SYNCOOKIES_SENT, &missing);
        uint64_t cfailed = delta(a, b, NETSTAT_SYNCOOKIES_FAILED, &missing);
        /* ListenDrops counts every request a listener dropped, overflows
         * and full SYN queues included; older kernels without it still
         * have the two causes. */
        uint64_t drops = netstat_has(b, NETSTAT_LISTEN_DROPS) ? ldrops : overflows + qfull;
        double drops_rate = per_sec(drops, dt_us), cookie_rate = per_sec(cookies, dt_us);
        bool by_drops = over(drops_rate, f->o.syn_drops_per_sec);
        bool by_cookies = over(cookie_rate, f->o.syncookies_per_sec);
        bool by_synrecv = f->o.syn_recv > 0 && b->have_synrecv && b->synrecv >= f->o.syn_recv;
        json_t *why;

        if (!by_drops && !by_cookies && !by_synrecv)
                return 0;
        if (suppressed(f, RULE_SYN, ALERT_SUSPICIOUS, now))
                return 0;
        al = alert_new(ALERT_NETWORK_ATTACK, rule_names[RULE_SYN], rule_subjects[RULE_SYN],
                       ALERT_SUSPICIOUS, now);
        if (!al)
                return -ENOMEM;
        if (alert_set_title(al,
                            "SYN flood in progress: %.0f dropped connection requests/s, %.0f SYN "
                            "cookies/s, %llu half-open connections",
                            drops_rate, cookie_rate,
                            (unsigned long long)(b->have_synrecv ? b->synrecv : 0)) < 0 ||
            alert_set_remediation(
                    al, "Keep SYN cookies on (sysctl -w net.ipv4.tcp_syncookies=1), raise the "
                        "SYN and accept queues (sysctl -w net.ipv4.tcp_max_syn_backlog=4096; "
                        "sysctl -w net.core.somaxconn=4096, then restart the attacked service so "
                        "its listen backlog grows), and find the targeted port with ss -tn state "
                        "syn-recv. A flood that fills the link can only be filtered upstream: ask "
                        "the network provider for DDoS filtering.") < 0)
                return -ENOMEM;
        why = json_array();
        if (!why || json_object_set_new(al->evidence, "triggered_by", why) < 0)
                return -ENOMEM;
        if ((by_drops && json_array_append_new(why, json_string("listen_drops")) < 0) ||
            (by_cookies && json_array_append_new(why, json_string("syncookies")) < 0) ||
            (by_synrecv && json_array_append_new(why, json_string("syn_recv")) < 0))
                return -ENOMEM;
        if (alert_add_evidence_int(al, "interval_ms", dt_us / 1000) < 0 ||
            alert_add_evidence_int(al, "listen_drops", (long long)ldrops) < 0 ||
            alert_add_evidence_int(al, "listen_overflows", (long long)overflows) < 0 ||
            alert_add_evidence_int(al, "reqq_full_drops", (long long)qfull) < 0 ||
            alert_add_evidence_int(al, "syncookies_sent", (long long)cookies) < 0 ||
            alert_add_evidence_int(al, "syncookies_failed", (long long)cfailed) < 0 ||
            alert_add_evidence_int(al, "dropped_per_sec", (long long)drops_rate) < 0 ||
            alert_add_evidence_int(al, "syncookies_per_sec", (long long)cookie_rate) < 0 ||
            add_missing(al, missing) < 0)
                return -ENOMEM;
        if (b->have_synrecv && (alert_add_evidence_int(al, "syn_recv", (long long)b->synrecv) < 0 ||
                                json_object_set_new(al->evidence, "syn_recv_capped",
                                                    json_boolean(b->synrecv_capped)) < 0))
                return -ENOMEM;
        return send_alert(f, RULE_SYN, TAKE_PTR(al), ALERT_SUSPICIOUS, now);
}

static int check_udp(flood_t *f, const netstat_sample_t *a, const netstat_sample_t *b,
                     int64_t dt_us, int64_t now)
{
        _cleanup_alert_ alert_t *al = NULL;
        uint32_t missing = 0;
        uint64_t in4 = delta(a, b, NETSTAT_UDP_IN, &missing);
        uint64_t in6 = delta(a, b, NETSTAT_UDP6_IN, &missing);
        uint64_t err4 = delta(a, b, NETSTAT_UDP_IN_ERRORS, &missing);
        uint64_t err6 = delta(a, b, NETSTAT_UDP6_IN_ERRORS, &missing);
        uint64_t buf4 = delta(a, b, NETSTAT_UDP_RCVBUF_ERRORS, &missing);
        uint64_t buf6 = delta(a, b, NETSTAT_UDP6_RCVBUF_ERRORS, &missing);
        uint64_t np4 = delta(a, b, NETSTAT_UDP_NOPORTS, &missing);
        uint64_t np6 = delta(a, b, NETSTAT_UDP6_NOPORTS, &missing);
        /* InErrors includes RcvbufErrors on kernels that have both; taking
         * the larger per family counts each error once either way. */
        uint64_t errors = MAX(err4, buf4) + MAX(err6, buf6);
        double err_rate = per_sec(errors, dt_us), in_rate = per_sec(in4 + in6, dt_us);
        alert_level_t level = 0;

        if (over(err_rate, f->o.udp_errors_suspicious_per_sec))
                level = ALERT_SUSPICIOUS;
        else if (over(err_rate, f->o.udp_errors_per_sec) ||
                 over(in_rate, f->o.udp_datagrams_per_sec))
                level = ALERT_REMINDER;
        /* IPv6 counters are missing on hosts without IPv6; that is normal
         * and not worth listing. */
        missing &= ~((1u << NETSTAT_UDP6_IN) | (1u << NETSTAT_UDP6_IN_ERRORS) |
                     (1u << NETSTAT_UDP6_RCVBUF_ERRORS) | (1u << NETSTAT_UDP6_NOPORTS));
        if (!level || suppressed(f, RULE_UDP, level, now))
                return 0;
        al = alert_new(ALERT_NETWORK_ATTACK, rule_names[RULE_UDP], rule_subjects[RULE_UDP], level,
                       now);
        if (!al)
                return -ENOMEM;
        if (alert_set_title(al, "UDP flood: %.0f receive errors/s, %.0f datagrams/s", err_rate,
                            in_rate) < 0 ||
            alert_set_remediation(
                    al, "Find the receiving service (ss -ulpn) and the sources (tcpdump -n udp). "
                        "Raise its receive buffer (sysctl -w net.core.rmem_max=8388608 and the "
                        "service's own setting), rate-limit UDP to it in the firewall (nft add "
                        "rule inet filter input udp dport PORT limit rate over 1000/second drop), "
                        "and close UDP services that need not be public. A flood that fills the "
                        "link can only be filtered upstream by the network provider.") < 0)
                return -ENOMEM;
        if (alert_add_evidence_int(al, "interval_ms", dt_us / 1000) < 0 ||
            alert_add_evidence_int(al, "in_datagrams", (long long)(in4 + in6)) < 0 ||
            alert_add_evidence_int(al, "in_errors", (long long)(err4 + err6)) < 0 ||
            alert_add_evidence_int(al, "rcvbuf_errors", (long long)(buf4 + buf6)) < 0 ||
            alert_add_evidence_int(al, "no_ports", (long long)(np4 + np6)) < 0 ||
            alert_add_evidence_int(al, "errors_per_sec", (long long)err_rate) < 0 ||
            alert_add_evidence_int(al, "datagrams_per_sec", (long long)in_rate) < 0 ||
            add_missing(al, missing) < 0)
                return -ENOMEM;
        return send_alert(f, RULE_UDP, TAKE_PTR(al), level, now);
}

int flood_feed(flood_t *f, const netstat_sample_t *s, int64_t now_us)
{
        int64_t dt;
        int r1, r2;

        if (!f->have_prev) {
                f->prev = *s;
                f->prev_us = now_us;
                f->have_prev = true;
                return 0;
        }
        dt = now_us - f->prev_us;
        if (dt <= 0 || dt < f->o.min_interval_us) {
                /* Too close to the previous sample (or the clock stepped
                 * back): keep the older baseline, except that a clock step
                 * backwards restarts it. */
                if (dt < 0) {
                        f->prev = *s;
                        f->prev_us = now_us;
                }
                return 0;
        }
        r1 = check_syn(f, &f->prev, s, dt, now_us);
        r2 = check_udp(f, &f->prev, s, dt, now_us);
        f->prev = *s;
        f->prev_us = now_us;
        return r1 < 0 ? r1 : r2;
}

/* Whether any SYN counter went up between A and B. */
static bool syn_counters_moved(const netstat_sample_t *a, const netstat_sample_t *b)
{
        static const netstat_counter_t syn[] = { NETSTAT_LISTEN_OVERFLOWS, NETSTAT_LISTEN_DROPS,
                                                 NETSTAT_REQQ_FULL_DROP, NETSTAT_SYNCOOKIES_SENT };

        for (size_t i = 0; i < ELEMENTSOF(syn); i++)
                if (netstat_has(a, syn[i]) && netstat_has(b, syn[i]) && b->v[syn[i]] > a->v[syn[i]])
                        return true;
        return false;
}

int flood_tick(flood_t *f, const char *proc_dir, int64_t now_us)
{
        netstat_sample_t s;
        bool want;
        int r;

        r = netstat_read(proc_dir, false, &s);
        if (r < 0)
                return r;
        want = f->o.syn_recv > 0 &&
               (!f->have_synrecv_time || now_us - f->synrecv_us >= f->o.synrecv_interval_us ||
                now_us < f->synrecv_us || (f->have_prev && syn_counters_moved(&f->prev, &s)));
        if (want) {
                r = netstat_read_synrecv(proc_dir, &s);
                if (r < 0 && r != -ENOENT)
                        return r;
                f->synrecv_us = now_us;
                f->have_synrecv_time = true;
        }
        return flood_feed(f, &s, now_us);
}
