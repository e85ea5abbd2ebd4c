/* Benchmark of the process sweep (scan/process/sweep.h) against ps: starts
 * N real sleeping processes (/bin/sleep, forked and exec'ed here, killed
 * with this process), checks they all run, then
 *
 *  1. times psweep_run in this process under several configurations, from
 *     the per-process rules alone to everything `vigil scan --only process`
 *     does: RUNS sweeps each after one warm-up sweep (which fills the YARA
 *     verdict cache and learns the persistence state), wall time and CPU
 *     time (user + system of this process) per sweep, and the number of
 *     processes each sweep read;
 *  2. runs, in turn and RUNS times each, one agent-default sweep in this
 *     process, `ps -eo pid,args`, `ps aux` and (given VIGIL) the whole
 *     `vigil scan --only process` command, over the same processes, so the
 *     peers see the same load: wall time, CPU time of the child (from
 *     wait4) and the processes each one listed (lines of ps output without
 *     the header; the "processes" statistic of vigil's JSON).
 *
 * Prints Markdown. A process count below N fails the benchmark (exit 1):
 * a sweep that missed the sleepers would be timed on the wrong work.
 *
 *   bench-sweep [N] [RUNS] [STATE_DIR] [VIGIL]
 *
 * With BENCH_ONLY=K in the environment only configuration K (from 0) of
 * part 1 runs, and part 2 is left out: for profiling one configuration
 * (perf record -p PID).
 *
 * Never run by the test suite: bench/process/run.sh builds and runs it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/rootfs.h"
#include "scan/process/pslist.h"
#include "scan/process/sweep.h"

/* Output of a peer command kept to count its lines, at most. */
#define OUT_MAX (64 * 1024 * 1024)

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

static double median(double *v, int n)
{
        qsort(v, (size_t)n, sizeof(*v), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double best(double *v, int n)
{
        qsort(v, (size_t)n, sizeof(*v), cmp_double);
        return v[0];
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
          "\"persistence\":false,\"listening_ports\":false}",
          false },
        { "per-process rules, every network namespace",
          "{\"miner\":{\"yara\":false},\"hidden\":{\"enabled\":false},\"persistence\":false,"
          "\"listening_ports\":false}",
          false },
        { "+ YARA miner rules on executables (verdict cache warm)",
          "{\"hidden\":{\"enabled\":false},\"persistence\":false,\"listening_ports\":false}",
          false },
        { "+ hidden-process checks, 8192 pids probed (the agent's default sweep)",
          "{\"hidden\":{\"probe_window\":8192},\"persistence\":false,\"listening_ports\":false}",
          false },
        { "+ persistence and new listening ports (the agent's default sweep, with state)",
          "{\"hidden\":{\"probe_window\":8192}}", true },
        { "+ every pid probed (what `vigil scan --only process` runs)",
          "{\"hidden\":{\"probe_window\":0}}", true },
};
/* The configuration of part 2, next to the peers. */
#define AGENT_CONF 4

/* The number of processes in /proc now, by the same getdents64 listing
 * the sweep uses. */
static size_t count_procs(void)
{
        _cleanup_close_ int pfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;

        if (pfd < 0 || pslist_pids_raw(pfd, &pids, &n) < 0)
                return 0;
        return n;
}

/* Run ARGV with its standard output read here (and counted in lines, or
 * kept in *RET_OUT when asked), standard error to /dev/null. Wall time
 * from fork to reaping, CPU time of the child from wait4. Returns 0 or -1. */
static int run_peer(char *const *argv, double *ret_wall, double *ret_cpu, size_t *ret_lines,
                    char **ret_out)
{
        char *out = NULL;
        size_t len = 0, lines = 0;
        struct rusage ru;
        int p[2], status;
        double w0;
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        if (ret_out && !(out = malloc(OUT_MAX + 1)))
                return -1;
        w0 = now_ms(CLOCK_MONOTONIC);
        pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (dup2(p[1], 1) < 0 || null < 0 || dup2(null, 2) < 0)
                        _exit(127);
                execvp(argv[0], argv);
                _exit(127);
        }
        close(p[1]);
        for (;;) {
                char buf[65536];
                ssize_t n = read(p[0], buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                for (ssize_t i = 0; i < n; i++)
                        lines += buf[i] == '\n';
                if (out && len + (size_t)n <= OUT_MAX) {
                        memcpy(out + len, buf, (size_t)n);
                        len += (size_t)n;
                }
        }
        close(p[0]);
        if (wait4(pid, &status, 0, &ru) != pid) {
                free(out);
                return -1;
        }
        *ret_wall = now_ms(CLOCK_MONOTONIC) - w0;
        *ret_cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                   (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
        *ret_lines = lines;
        if (out) {
                out[len] = 0;
                *ret_out = out;
        }
        return WIFEXITED(status) && WEXITSTATUS(status) <= 1 ? 0 : -1;
}

/* The "processes" statistic of vigil's JSON report, or 0. */
static size_t vigil_processes(const char *json)
{
        const char *p = strstr(json, "\"processes\":");
        return p ? (size_t)strtoull(p + 12, NULL, 10) : 0;
}

static psweep_t *new_sweep(const rootfs_t *root, const bench_conf_t *c, const char *state,
                           config_t **ret_cfg)
{
        config_t *cfg = config_new_empty();
        json_t *section = json_loads(c->json, 0, NULL);
        psweep_opts_t o = { .root = root, .state_dir = c->state ? state : NULL };
        psweep_t *s = NULL;
        int r;

        if (!cfg || !section)
                return NULL;
        json_object_set_new(cfg->root, "process", section);
        o.config = cfg;
        if ((r = psweep_new(&o, NULL, &s)) < 0) {
                fprintf(stderr, "psweep_new: %s\n", strerror(-r));
                return NULL;
        }
        *ret_cfg = cfg;
        return s;
}

/* One timed sweep; false when it failed or read fewer than MIN processes. */
static bool timed_sweep(psweep_t *s, size_t min, double *wall, double *cpu, uint64_t *procs)
{
        psweep_stats_t st = { 0 };
        size_t alerts = 0;
        double w0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
        int r = psweep_run(s, NULL, drop_alert, &alerts, &st);

        *wall = now_ms(CLOCK_MONOTONIC) - w0;
        *cpu = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
        *procs = st.processes;
        if (r < 0) {
                fprintf(stderr, "psweep_run: %s\n", strerror(-r));
                return false;
        }
        if (st.processes < min) {
                fprintf(stderr, "a sweep read %llu processes, fewer than the %zu started\n",
                        (unsigned long long)st.processes, min);
                return false;
        }
        return true;
}

int main(int argc, char **argv)
{
        int n = argc > 1 ? atoi(argv[1]) : 2000;
        int runs = argc > 2 ? atoi(argv[2]) : 7;
        const char *state = argc > 3 ? argv[3] : "/tmp/vigil-bench-process-state";
        const char *vigil = argc > 4 ? argv[4] : NULL;
        char vstate[4096];
        pid_t *kids;
        rootfs_t *root = NULL;
        struct rusage ru;
        int ready = 0, ret = 0;
        size_t before, listed;
        const char *only_env = getenv("BENCH_ONLY");
        long only = only_env ? strtol(only_env, NULL, 10) : -1;

        if (n < 1 || n > 100000 || runs < 1 || runs > 1000) {
                fprintf(stderr, "usage: bench-sweep [N] [RUNS] [STATE_DIR] [VIGIL]\n");
                return 2;
        }
        snprintf(vstate, sizeof(vstate), "%s/vigil", state);
        if ((mkdir(state, 0700) < 0 && errno != EEXIST) ||
            (mkdir(vstate, 0700) < 0 && errno != EEXIST)) {
                perror(state);
                return 2;
        }
        kids = calloc((size_t)n + 1, sizeof(*kids));
        if (!kids || rootfs_open("/", &root) < 0)
                return 1;
        before = count_procs();
        for (int i = 0; i < n; i++) {
                kids[i] = fork();
                if (kids[i] < 0) {
                        perror("fork");
                        n = i;
                        ret = 1;
                        break;
                }
                if (kids[i] == 0) {
                        /* Gone with the benchmark, however it ends. */
                        prctl(PR_SET_PDEATHSIG, SIGKILL);
                        if (getppid() == 1)
                                _exit(0);
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
        listed = count_procs();
        printf("%d sleeping processes started and checked (/proc/PID/exe is sleep); /proc "
               "lists %zu processes (%zu before).\n\n",
               n, listed, before);

        printf("### 1. The sweep in one process, by configuration (%d sweeps each)\n\n", runs);
        printf("| configuration | processes read | wall median (ms) | wall best (ms) "
               "| CPU median (ms) | CPU best (ms) |\n|---|---|---|---|---|---|\n");
        for (size_t c = 0; c < sizeof(confs) / sizeof(confs[0]) && !ret; c++) {
                config_t *cfg = NULL;
                psweep_t *s = new_sweep(root, &confs[c], state, &cfg);
                double *wall = calloc((size_t)runs, sizeof(double));
                double *cpu = calloc((size_t)runs, sizeof(double));
                uint64_t procs = 0, pmin = UINT64_MAX, pmax = 0;
                double w, u;

                if (only >= 0 && (size_t)only != c) {
                        psweep_free(s);
                        config_free(cfg);
                        free(wall);
                        free(cpu);
                        continue;
                }
                if (!s || !wall || !cpu)
                        return 1;
                /* warm-up: YARA verdicts, persistence learning, page cache */
                if (!timed_sweep(s, (size_t)n, &w, &u, &procs))
                        ret = 1;
                for (int i = 0; i < runs && !ret; i++) {
                        if (!timed_sweep(s, (size_t)n, &wall[i], &cpu[i], &procs))
                                ret = 1;
                        pmin = procs < pmin ? procs : pmin;
                        pmax = procs > pmax ? procs : pmax;
                }
                if (!ret)
                        printf("| %s | %llu-%llu | %.1f | %.1f | %.1f | %.1f |\n", confs[c].name,
                               (unsigned long long)pmin, (unsigned long long)pmax,
                               median(wall, runs), best(wall, runs), median(cpu, runs),
                               best(cpu, runs));
                fflush(stdout);
                psweep_free(s);
                config_free(cfg);
                free(wall);
                free(cpu);
        }

        if (!ret && only < 0) {
                enum { SWEEP, PS_ARGS, PS_AUX, VIGIL, NPEER };
                static const char *const names[NPEER] = {
                        "vigil's sweep in this process (the agent's default sweep, 5th row above)",
                        "`ps -eo pid,args`",
                        "`ps aux`",
                        "`vigil --state DIR scan --only process --format json` (whole command)",
                };
                char *ps_args[] = { "ps", "-eo", "pid,args", NULL };
                char *ps_aux[] = { "ps", "aux", NULL };
                char *vg[] = { (char *)vigil, "--state",  vstate, "scan",          "--only",
                               "process",     "--format", "json", "--no-progress", NULL };
                double wall[NPEER][1000], cpu[NPEER][1000];
                size_t cnt_min[NPEER], cnt_max[NPEER];
                config_t *cfg = NULL;
                psweep_t *s = new_sweep(root, &confs[AGENT_CONF], state, &cfg);
                double w, u;
                uint64_t procs;

                if (!s || !timed_sweep(s, (size_t)n, &w, &u, &procs))
                        return 1;
                for (int k = 0; k < NPEER; k++) {
                        cnt_min[k] = SIZE_MAX;
                        cnt_max[k] = 0;
                }
                for (int i = 0; i < runs && !ret; i++)
                        for (int k = 0; k < NPEER && !ret; k++) {
                                size_t count = 0, lines = 0;
                                char *out = NULL;
                                int r = 0;

                                if (k == SWEEP) {
                                        if (!timed_sweep(s, (size_t)n, &wall[k][i], &cpu[k][i],
                                                         &procs))
                                                ret = 1;
                                        count = (size_t)procs;
                                } else if (k == VIGIL) {
                                        if (!vigil)
                                                continue;
                                        r = run_peer(vg, &wall[k][i], &cpu[k][i], &lines, &out);
                                        count = out ? vigil_processes(out) : 0;
                                        free(out);
                                } else {
                                        r = run_peer(k == PS_ARGS ? ps_args : ps_aux, &wall[k][i],
                                                     &cpu[k][i], &lines, NULL);
                                        count = lines ? lines - 1 : 0; /* the header */
                                }
                                if (r < 0 || count < (size_t)n) {
                                        fprintf(stderr, "%s failed or listed %zu processes\n",
                                                names[k], count);
                                        ret = 1;
                                }
                                cnt_min[k] = count < cnt_min[k] ? count : cnt_min[k];
                                cnt_max[k] = count > cnt_max[k] ? count : cnt_max[k];
                        }
                printf("\n### 2. Side by side, in turn over the same processes (%d runs each)\n\n"
                       "| run | processes listed | wall median (ms) | wall best (ms) "
                       "| CPU median (ms) | CPU best (ms) |\n|---|---|---|---|---|---|\n",
                       runs);
                for (int k = 0; k < NPEER && !ret; k++) {
                        if (k == VIGIL && !vigil)
                                continue;
                        printf("| %s | %zu-%zu | %.1f | %.1f | %.1f | %.1f |\n", names[k],
                               cnt_min[k], cnt_max[k], median(wall[k], runs), best(wall[k], runs),
                               median(cpu[k], runs), best(cpu[k], runs));
                }
                psweep_free(s);
                config_free(cfg);
        }

        getrusage(RUSAGE_SELF, &ru);
        printf("\nPeak RSS of the benchmark process: %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
        for (int i = 0; i < n; i++)
                kill(kids[i], SIGKILL);
        while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
                ;
        rootfs_free(root);
        free(kids);
        return ret;
}
