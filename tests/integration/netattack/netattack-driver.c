/* Test driver for the network attack detectors and the blocker, run by the
 * integration tests inside network namespaces. It links the detect library
 * and does what the agent will do, in the simplest form:
 *
 *   netattack-driver watch --config FILE [--ready FILE]
 *       Capture (immediate mode, so a test never waits on batching) and
 *       sample the flood counters every second; print each alert as one
 *       JSON line ({"kind":"alert", …the alert…}) on stdout. On SIGTERM or
 *       SIGINT: handle what the capture still holds, send held reminders,
 *       print {"kind":"stats", …} and exit 0. --ready names a file created
 *       once the capture is open.
 *   netattack-driver block --config FILE ADDR SECONDS [REASON]
 *   netattack-driver unblock --config FILE ADDR
 *   netattack-driver list --config FILE
 *   netattack-driver teardown --config FILE
 *       The blocker with the response.block settings of FILE. block prints
 *       the nft command (or "unchanged"); list prints one JSON line per
 *       blocked address. Exit status: 0, 3 refused (an address that must not
 *       be blocked), 4 blocking disabled, 1 other errors, 2 usage. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alert.h"
#include "core/config.h"
#include "core/timeutil.h"
#include "detect/netattack/block.h"
#include "detect/netattack/netattack.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
        (void)sig;
        stop = 1;
}

static int print_alert(alert_t *a, void *userdata)
{
        json_t *j = alert_to_json(a);

        (void)userdata;
        if (j) {
                json_object_set_new(j, "kind", json_string("alert"));
                json_dumpf(j, stdout, JSON_COMPACT | JSON_SORT_KEYS);
                fputc('\n', stdout);
                fflush(stdout);
                json_decref(j);
        }
        alert_free(a);
        return 0;
}

static int usage(void)
{
        fprintf(stderr, "usage: netattack-driver watch|block|unblock|list|teardown --config FILE "
                        "[ARGS]\n");
        return 2;
}

static int watch(const config_t *c, const char *ready)
{
        netattack_config_t nc;
        netattack_t *n = NULL;
        netattack_stats_t st;
        alert_sink_t sink = { print_alert, NULL };
        struct sigaction sa = { .sa_handler = on_signal };
        char *err = NULL;
        int64_t next_tick;
        int r;

        r = netattack_config_load(c, &nc, &err);
        if (r < 0) {
                fprintf(stderr, "config: %s\n", err ? err : strerror(-r));
                return 1;
        }
        nc.capture.immediate = true;
        r = netattack_new(&nc, &sink, &n);
        netattack_config_clear(&nc);
        if (r < 0) {
                fprintf(stderr, "netattack_new: %s\n", strerror(-r));
                return 1;
        }
        r = netattack_start_capture(n, &err);
        if (r < 0) {
                fprintf(stderr, "capture: %s\n", err ? err : strerror(-r));
                netattack_free(n);
                return 1;
        }
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        /* The first counter sample is the flood detector's baseline. */
        netattack_on_tick(n, timeutil_now_us());
        if (ready) {
                int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd >= 0)
                        close(fd);
        }
        next_tick = timeutil_mono_us() + 1000000;
        while (!stop) {
                struct pollfd p = { .fd = netattack_fd(n), .events = POLLIN };
                int64_t left = next_tick - timeutil_mono_us();

                if (left > 0 && poll(&p, p.fd >= 0 ? 1 : 0, (int)(left / 1000) + 1) > 0)
                        netattack_on_readable(n);
                if (timeutil_mono_us() >= next_tick) {
                        r = netattack_on_tick(n, timeutil_now_us());
                        if (r < 0)
                                fprintf(stderr, "tick: %s\n", strerror(-r));
                        next_tick = timeutil_mono_us() + 1000000;
                }
        }
        netattack_flush(n, timeutil_now_us());
        netattack_get_stats(n, &st);
        printf("{\"kind\":\"stats\",\"frames\":%llu,\"syns\":%llu,\"malformed\":%llu,"
               "\"kernel_drops\":%llu,\"sources\":%zu,\"alerts\":%llu,\"flood_samples\":%llu,"
               "\"flood_errors\":%llu}\n",
               (unsigned long long)st.capture.frames, (unsigned long long)st.capture.syns,
               (unsigned long long)st.capture.malformed,
               (unsigned long long)st.capture.kernel_drops, st.portscan.sources,
               (unsigned long long)st.portscan.alerts, (unsigned long long)st.flood_samples,
               (unsigned long long)st.flood_errors);
        fflush(stdout);
        netattack_free(n);
        return 0;
}

static int exit_for(int r, const char *what)
{
        fprintf(stderr, "%s: %s\n", what, strerror(-r));
        if (r == -EPERM)
                return 3;
        if (r == -EOPNOTSUPP)
                return 4;
        return 1;
}

static int blocker(const config_t *c, const char *cmd, int argc, char **argv)
{
        block_config_t bc;
        blocker_t *b = NULL;
        char *err = NULL, *out = NULL;
        ipaddr_t a;
        int r, ret = 0;

        r = block_config_load(c, &bc, &err);
        if (r < 0) {
                fprintf(stderr, "config: %s\n", err ? err : strerror(-r));
                return 1;
        }
        r = block_new(&bc.opts, &b);
        block_config_clear(&bc);
        if (r < 0)
                return exit_for(r, "block_new");

        if (strcmp(cmd, "block") == 0 || strcmp(cmd, "unblock") == 0) {
                if (argc < 1 || ipaddr_parse(argv[0], &a) < 0) {
                        ret = usage();
                        goto out;
                }
        }
        if (strcmp(cmd, "block") == 0) {
                char *end;
                unsigned long secs;
                const char *why = NULL;

                if (argc < 2) {
                        ret = usage();
                        goto out;
                }
                errno = 0;
                secs = strtoul(argv[1], &end, 10);
                if (errno || *end || secs > 86400) {
                        ret = usage();
                        goto out;
                }
                r = block_ip(b, &a, (unsigned)secs, argc > 2 ? argv[2] : "test", &out);
                if (r == -EPERM && block_check(b, &a, &why) == -EPERM)
                        fprintf(stderr, "refused: %s\n", why);
                if (r < 0) {
                        ret = exit_for(r, "block");
                        goto out;
                }
                printf("%s\n", out ? out : "unchanged");
        } else if (strcmp(cmd, "unblock") == 0) {
                r = block_remove(b, &a, &out);
                if (r < 0) {
                        ret = exit_for(r, "unblock");
                        goto out;
                }
                printf("%s\n", out ? out : "unchanged");
        } else if (strcmp(cmd, "teardown") == 0) {
                r = block_teardown(b, &out);
                if (r < 0) {
                        ret = exit_for(r, "teardown");
                        goto out;
                }
                printf("%s\n", out);
        } else if (strcmp(cmd, "list") == 0) {
                block_entry_t *v = NULL;
                size_t n = 0;
                char s[IPADDR_STR_MAX];

                r = block_list(b, &v, &n);
                if (r < 0) {
                        ret = exit_for(r, "list");
                        goto out;
                }
                for (size_t i = 0; i < n; i++)
                        printf("{\"addr\":\"%s\",\"timeout\":%lld,\"expires\":%lld}\n",
                               ipaddr_format(&v[i].addr, s), (long long)v[i].timeout_s,
                               (long long)v[i].expires_s);
                free(v);
        } else
                ret = usage();
out:
        free(out);
        block_free(b);
        return ret;
}

int main(int argc, char **argv)
{
        const char *cmd, *config_path = NULL, *ready = NULL;
        config_t *c = NULL;
        char *err = NULL;
        int i, r;

        if (argc < 2)
                return usage();
        cmd = argv[1];
        for (i = 2; i < argc; i++) {
                if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
                        config_path = argv[++i];
                else if (strcmp(argv[i], "--ready") == 0 && i + 1 < argc)
                        ready = argv[++i];
                else
                        break;
        }
        if (!config_path)
                return usage();
        r = config_load(config_path, true, &c, &err);
        if (r < 0) {
                fprintf(stderr, "%s\n", err ? err : strerror(-r));
                return 1;
        }
        if (strcmp(cmd, "watch") == 0)
                r = watch(c, ready);
        else
                r = blocker(c, cmd, argc - i, argv + i);
        config_free(c);
        free(err);
        return r;
}
