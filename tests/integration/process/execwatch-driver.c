/* The exec watcher driven the way the agent drives it, for the process
 * sweep's integration test: poll the watcher's descriptor, dispatch exec
 * events, tick for rechecks, and run the sweep's per-process rules on each
 * new program (psweep_check_pid). Writes JSON lines to OUTFILE:
 *   {"kind":"ready"}                       once subscribed
 *   {"kind":"exec","pid":N,"tgid":N}       for execs of programs whose
 *                                          executable contains FILTER
 *   {"kind":"recheck","pid":N,"tgid":N}    for their rechecks
 *   {"kind":"alert", ...alert fields...}   for every alert raised
 * and stops after SECONDS, or when OUTFILE.stop exists. Exits 77 when the
 * process connector is not available (not root, no CONFIG_PROC_EVENTS).
 *
 *   execwatch-driver OUTFILE SECONDS FILTER [CONFIG] */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/rootfs.h"
#include "detect/process/execwatch.h"
#include "scan/process/sweep.h"

typedef struct ctx {
        FILE *out;
        psweep_t *sweep;
        const char *filter;
} ctx_t;

static uint64_t now_ms(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static int print_alert(alert_t *a, void *userdata)
{
        ctx_t *c = userdata;
        json_t *j = alert_to_json(a);

        alert_free(a);
        if (!j)
                return -ENOMEM;
        json_object_set_new(j, "kind", json_string("alert"));
        json_dumpf(j, c->out, JSON_COMPACT);
        fputc('\n', c->out);
        fflush(c->out);
        json_decref(j);
        return 0;
}

static int on_event(const execwatch_event_t *ev, void *userdata)
{
        ctx_t *c = userdata;
        char path[64], exe[4096];
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/exe", (int)ev->tgid);
        n = readlink(path, exe, sizeof(exe) - 1);
        if (n > 0) {
                exe[n] = 0;
                if (strstr(exe, c->filter)) {
                        fprintf(c->out, "{\"kind\":\"%s\",\"pid\":%d,\"tgid\":%d}\n",
                                ev->kind == EXECWATCH_EXEC ? "exec" : "recheck", (int)ev->pid,
                                (int)ev->tgid);
                        fflush(c->out);
                }
        }
        /* The agent's glue: each new program through the sweep's rules. */
        return psweep_check_pid(c->sweep, ev->tgid, NULL, print_alert, c);
}

int main(int argc, char **argv)
{
        execwatch_t *w = NULL;
        config_t *cfg = NULL;
        rootfs_t *root = NULL;
        char *err = NULL, stop[4096];
        ctx_t c = { 0 };
        uint64_t end;
        int r;

        if (argc < 4) {
                fprintf(stderr, "usage: execwatch-driver OUTFILE SECONDS FILTER [CONFIG]\n");
                return 2;
        }
        c.out = fopen(argv[1], "we");
        if (!c.out)
                return 2;
        c.filter = argv[3];
        snprintf(stop, sizeof(stop), "%s.stop", argv[1]);
        end = now_ms() + (uint64_t)strtoul(argv[2], NULL, 10) * 1000;
        r = execwatch_open(NULL, &w);
        if (r < 0) {
                fprintf(c.out, "{\"kind\":\"unavailable\",\"error\":\"%s\"}\n", strerror(-r));
                fclose(c.out);
                return 77;
        }
        if (argc > 4 ? config_load(argv[4], true, &cfg, &err) < 0 : !(cfg = config_new_empty()))
                return 2;
        if (rootfs_open("/", &root) < 0)
                return 2;
        {
                psweep_opts_t o = {
                        .root = root, .config = cfg, .probe_window = -1, .remember = true
                };
                if ((r = psweep_new(&o, NULL, &c.sweep)) < 0) {
                        fprintf(stderr, "psweep_new: %s\n", strerror(-r));
                        return 2;
                }
        }
        fprintf(c.out, "{\"kind\":\"ready\"}\n");
        fflush(c.out);
        while (now_ms() < end && access(stop, F_OK) != 0) {
                struct pollfd p = { .fd = execwatch_fd(w), .events = POLLIN };
                uint64_t due = execwatch_next_due(w), now = now_ms();
                int timeout = 200;
                if (due && due > now && due - now < 200)
                        timeout = (int)(due - now);
                else if (due && due <= now)
                        timeout = 0;
                if (poll(&p, 1, timeout) > 0) {
                        r = execwatch_dispatch(w, now_ms(), on_event, &c);
                        if (r == -ENOBUFS)
                                fprintf(c.out, "{\"kind\":\"overrun\"}\n");
                        else if (r < 0) {
                                fprintf(stderr, "dispatch: %s\n", strerror(-r));
                                return 1;
                        }
                }
                if ((r = execwatch_tick(w, now_ms(), on_event, &c)) < 0) {
                        fprintf(stderr, "tick: %s\n", strerror(-r));
                        return 1;
                }
        }
        execwatch_free(w);
        psweep_free(c.sweep);
        config_free(cfg);
        rootfs_free(root);
        fclose(c.out);
        return 0;
}
