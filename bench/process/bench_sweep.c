/* Benchmark of the process sweep (scan/process/sweep.h): starts N sleeping
 * processes (a copy of nothing: /bin/sleep itself), then times psweep_run
 * in-process under several configurations, from the per-process rules
 * alone to everything `vigil scan --only process` does. Prints one
 * Markdown table row per configuration: median and best wall time, median
 * CPU time (user+system of this process), over RUNS sweeps after one warm-up
 * sweep (which fills the YARA verdict cache and learns the persistence
 * state), and the peak RSS at the end.
 *
 *   bench-sweep [N] [RUNS] [STATE_DIR]
 *
 * Never run by the test suite: bench/process/run.sh builds and runs it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/rootfs.h"
#include "scan/process/sweep.h"

static double now_ms(clockid_t c)
{
        struct timespec t;
        clock_gettime(c, &t);
        return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static int drop_alert(alert_t *a, void *userdata)
{
        (*(size_t *)userdata)++;
        alert_free(a);
        return 0;
}

/* A configuration: the "process" section as JSON. */
typedef struct bench_conf {
        const char *name;
        const char *json;
        bool state;
} bench_conf_t;

static const bench_conf_t confs[] = {
        { "per-process rules, own network namespace only",
          "{\"all_netns\":false,\"miner\":{\"yara\":false},\"hidden\":{\"enabled\":false},"
          "\"persistence\":false}",
          false },
        { "per-process rules only (no YARA, no hidden probe, no persistence)",
          "{\"miner\":{\"yara\":false},\"hidden\":{\"enabled\":false},\"persistence\":false}",
          false },
        { "+ YARA miner rules (verdict cache warm)",
          "{\"hidden\":{\"enabled\":false},\"persistence\":false}", false },
        { "+ hidden-process checks, probe window 8192 pids (agent default)",
          "{\"hidden\":{\"probe_window\":8192},\"persistence\":false}", false },
        { "+ hidden-process checks, every pid probed",
          "{\"hidden\":{\"probe_window\":0},\"persistence\":false}", false },
        { "everything `vigil scan --only process` does (+ persistence, listening ports)",
          "{\"hidden\":{\"probe_window\":0}}", true },
};

int main(int argc, char **argv)
{
        int n = argc > 1 ? atoi(argv[1]) : 2000;
        int runs = argc > 2 ? atoi(argv[2]) : 7;
        const char *state = argc > 3 ? argv[3] : "/tmp/vigil-bench-process-state";
        pid_t *kids;
        rootfs_t *root = NULL;
        struct rusage ru;
        int ready = 0;

        if (n < 0 || n > 100000 || runs < 1 || runs > 1000) {
                fprintf(stderr, "usage: bench-sweep [N] [RUNS] [STATE_DIR]\n");
                return 2;
        }
        kids = calloc((size_t)n + 1, sizeof(*kids));
        if (!kids || rootfs_open("/", &root) < 0)
                return 1;
        for (int i = 0; i < n; i++) {
                kids[i] = fork();
                if (kids[i] < 0) {
                        perror("fork");
                        n = i;
                        break;
                }
                if (kids[i] == 0) {
                        prctl(PR_SET_PDEATHSIG, SIGKILL);
                        execl("/bin/sleep", "sleep", "3600", (char *)NULL);
                        _exit(127);
                }
        }
        /* Wait until every child runs sleep (its exe link says so). */
        while (ready < n) {
                char path[64], link[256];
                ssize_t k;
                snprintf(path, sizeof(path), "/proc/%d/exe", (int)kids[ready]);
                k = readlink(path, link, sizeof(link) - 1);
                if (k > 0 && (link[k] = 0, strstr(link, "sleep")))
                        ready++;
                else
                        usleep(1000);
        }

        printf("| configuration | processes | wall median (ms) | wall best (ms) | CPU median (ms) "
               "|\n|---|---|---|---|---|\n");
        for (size_t c = 0; c < sizeof(confs) / sizeof(confs[0]); c++) {
                config_t *cfg = config_new_empty();
                json_t *section = json_loads(confs[c].json, 0, NULL);
                psweep_t *s = NULL;
                psweep_opts_t o = { .root = root,
                                    .state_dir = confs[c].state ? state : NULL,
                                    .probe_window = 0,
                                    .remember = false };
                double *wall = calloc((size_t)runs, sizeof(double));
                double *cpu = calloc((size_t)runs, sizeof(double));
                psweep_stats_t st = { 0 };
                size_t alerts = 0;
                int r;

                if (!cfg || !section || !wall || !cpu)
                        return 1;
                json_object_set_new(cfg->root, "process", section);
                o.config = cfg;
                if ((r = psweep_new(&o, NULL, &s)) < 0) {
                        fprintf(stderr, "psweep_new: %s\n", strerror(-r));
                        return 1;
                }
                /* warm-up: YARA verdicts, persistence learning, page cache */
                if ((r = psweep_run(s, NULL, drop_alert, &alerts, &st)) < 0) {
                        fprintf(stderr, "psweep_run: %s\n", strerror(-r));
                        return 1;
                }
                for (int i = 0; i < runs; i++) {
                        double w0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
                        psweep_run(s, NULL, drop_alert, &alerts, &st);
                        wall[i] = now_ms(CLOCK_MONOTONIC) - w0;
                        cpu[i] = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
                }
                qsort(wall, (size_t)runs, sizeof(double), cmp_double);
                qsort(cpu, (size_t)runs, sizeof(double), cmp_double);
                printf("| %s | %llu | %.1f | %.1f | %.1f |\n", confs[c].name,
                       (unsigned long long)st.processes, wall[runs / 2], wall[0], cpu[runs / 2]);
                fflush(stdout);
                psweep_free(s);
                config_free(cfg);
                free(wall);
                free(cpu);
        }
        getrusage(RUSAGE_SELF, &ru);
        printf("\nPeak RSS of the benchmark process: %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
        for (int i = 0; i < n; i++)
                kill(kids[i], SIGKILL);
        while (wait(NULL) > 0 || errno == EINTR)
                ;
        rootfs_free(root);
        free(kids);
        return 0;
}
