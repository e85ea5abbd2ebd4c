/* Engine-only throughput: load FILES into memory once, then scan them with
 * secrets_scan_buffer REPEAT times on one thread; prints MB/s. Separates the
 * engine's speed from reading and walking. Built by bench/secrets/run.sh. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/rootfs.h"
#include "scan/secrets/engine.h"
#include "scan/secrets/rules.h"

static int count(const secrets_match_t *m, void *userdata)
{
        (void)m;
        (*(unsigned long *)userdata)++;
        return 0;
}

static double clock_s(clockid_t id)
{
        struct timespec t;
        clock_gettime(id, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double now(void)
{
        return clock_s(CLOCK_MONOTONIC);
}

int main(int argc, char **argv)
{
        secrets_rules_t *rules;
        secrets_engine_t *engine;
        secrets_scratch_t *scratch;
        char *err = NULL, **data;
        size_t *len, total = 0;
        unsigned long hits = 0;
        int repeat;
        double t0, t1, c0, c1;

        if (argc < 4) {
                fprintf(stderr, "usage: engine_bench RULES REPEAT FILE...\n");
                return 2;
        }
        repeat = atoi(argv[2]) > 0 ? atoi(argv[2]) : 1;
        t0 = now();
        if (secrets_rules_load(argv[1], &rules, &err) < 0 ||
            secrets_engine_new(rules, &engine, &err) < 0 ||
            secrets_scratch_new(engine, &scratch) < 0) {
                fprintf(stderr, "%s\n", err ? err : "setup failed");
                return 1;
        }
        fprintf(stderr, "compile: %.0f ms\n", (now() - t0) * 1000);
        data = calloc((size_t)argc, sizeof(*data));
        len = calloc((size_t)argc, sizeof(*len));
        for (int i = 3; i < argc; i++) {
                int fd = open(argv[i], O_RDONLY);
                if (fd < 0 || rootfs_read_fd(fd, 1ULL << 32, &data[i], &len[i]) < 0) {
                        fprintf(stderr, "%s: cannot read\n", argv[i]);
                        return 1;
                }
                close(fd);
                total += len[i];
        }
        t0 = now();
        c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        for (int k = 0; k < repeat; k++)
                for (int i = 3; i < argc; i++)
                        secrets_scan_buffer(engine, scratch, data[i], len[i], count, &hits);
        t1 = now();
        c1 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        /* CPU time is what one core does; wall time also shows a busy host. */
        printf("%.1f MB in %.3f s wall, %.3f s CPU: %.0f MB/s per core, %lu matches per pass\n",
               (double)total * repeat / 1e6, t1 - t0, c1 - c0,
               (double)total * repeat / 1e6 / (c1 - c0), hits / (unsigned long)repeat);
        return 0;
}
