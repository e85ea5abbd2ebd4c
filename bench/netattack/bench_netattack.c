/* Benchmarks of the network attack detectors (bench/netattack/run.sh builds
 * and runs this; never part of the test suite):
 *   1. portscan_feed under a flood of SYNs from random spoofed sources
 *      (every SYN a new source: the worst case, one eviction per SYN), with
 *      the default table sizes; SYNs/s and the detector's memory;
 *   2. portscan_feed for many scanners at once, each scanning many ports,
 *      so every tracked record is in use and taken back and forth;
 *   3. netpkt_parse_syn on a real captured SYN (Linux cooked v2);
 *   4. one flood sample: the counters, and the socket tables apart.
 * Peak RSS of the whole process is printed at the end. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "detect/netattack/netstat.h"
#include "detect/netattack/packet.h"
#include "detect/netattack/portscan.h"

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng(uint64_t *s)
{
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        return *s;
}

static unsigned long alerts;

static int count_alert(alert_t *a, void *userdata)
{
        (void)userdata;
        alert_free(a);
        alerts++;
        return 0;
}

int main(int argc, char **argv)
{
        unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000000UL;
        alert_sink_t sink = { count_alert, NULL };
        portscan_opts_t o;
        portscan_stats_t st;
        portscan_t *ps;
        ipaddr_t local = { .family = AF_INET, .bytes = { 10, 0, 0, 2 } };
        uint64_t seed = 0x9e3779b97f4a7c15ULL;
        struct rusage ru;
        double t0, t1;

        /* 1. spoofed flood */
        portscan_opts_default(&o);
        if (portscan_new(&o, &sink, &ps) < 0)
                return 1;
        t0 = now();
        for (unsigned long i = 0; i < n; i++) {
                uint64_t x = rng(&seed);
                ipaddr_t src = { .family = AF_INET };
                memcpy(src.bytes, &x, 4);
                portscan_feed(ps, &src, &local, (uint16_t)(x >> 32), (int64_t)i);
        }
        t1 = now();
        portscan_get_stats(ps, &st);
        printf("spoofed flood: %lu SYNs in %.2f s CPU: %.1f million SYNs/s, %.0f ns/SYN; "
               "sources %zu, evicted %llu, detector memory %.1f MiB, alerts %lu\n",
               n, t1 - t0, n / (t1 - t0) / 1e6, (t1 - t0) * 1e9 / n, st.sources,
               (unsigned long long)st.sources_evicted, st.bytes / 1048576.0, alerts);
        portscan_free(ps);

        /* 2. 1,000 scanners at once, 200 ports each, interleaved */
        alerts = 0;
        if (portscan_new(&o, &sink, &ps) < 0)
                return 1;
        t0 = now();
        for (unsigned p = 0; p < 200; p++)
                for (unsigned s = 0; s < 1000; s++) {
                        ipaddr_t src = { .family = AF_INET,
                                         .bytes = { 198, 18, (uint8_t)(s >> 8), (uint8_t)s } };
                        portscan_feed(ps, &src, &local, (uint16_t)(1 + p), (int64_t)(p * 1000 + s));
                }
        t1 = now();
        portscan_get_stats(ps, &st);
        printf("1000 concurrent scanners x 200 ports: %.0f ns/SYN; tracked %zu, tracked "
               "evictions %llu, alerts %lu, detector memory %.1f MiB\n",
               (t1 - t0) * 1e9 / 200000, st.tracked, (unsigned long long)st.tracked_evicted, alerts,
               st.bytes / 1048576.0);
        portscan_free(ps);

        /* 3. the frame parser on a real SLL2 SYN from an nmap scan */
        {
                static const uint8_t frame[] = {
                        0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00,
                        0x06, 0x6e, 0x0c, 0x9d, 0x1b, 0x2b, 0x3c, 0x00, 0x00, 0x45, 0x00,
                        0x00, 0x2c, 0x9f, 0x32, 0x00, 0x00, 0x2d, 0x06, 0xc8, 0x4c, 0x0a,
                        0x63, 0x00, 0x01, 0x0a, 0x63, 0x00, 0x02, 0x97, 0x6e, 0x00, 0x16,
                        0x1a, 0xb8, 0x2c, 0x9d, 0x00, 0x00, 0x00, 0x00, 0x60, 0x02, 0x04,
                        0x00, 0x8a, 0x6c, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
                };
                netpkt_syn_t syn;
                unsigned long ok = 0, m = n * 10;

                t0 = now();
                for (unsigned long i = 0; i < m; i++)
                        ok += netpkt_parse_syn(NETPKT_LINK_LINUX_SLL2, frame, sizeof(frame),
                                               &syn) == 0;
                t1 = now();
                printf("frame parser: %.1f ns/frame (%lu SYNs)\n", (t1 - t0) * 1e9 / m, ok);
        }

        /* 4. one flood sample */
        {
                netstat_sample_t s;
                int reps = 1000;

                t0 = now();
                for (int i = 0; i < reps; i++)
                        netstat_read("/proc", false, &s);
                t1 = now();
                printf("flood counters of /proc (netstat, snmp, snmp6): %.0f us CPU\n",
                       (t1 - t0) * 1e6 / reps);
                t0 = now();
                for (int i = 0; i < reps / 10; i++)
                        netstat_read_synrecv("/proc", &s);
                t1 = now();
                printf("SYN_RECV count of /proc (tcp, tcp6): %.0f us CPU\n",
                       (t1 - t0) * 1e6 / (reps / 10));
        }
        getrusage(RUSAGE_SELF, &ru);
        printf("peak RSS of the benchmark process: %.1f MiB\n", ru.ru_maxrss / 1024.0);
        return 0;
}
