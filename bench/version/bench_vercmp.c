/* Benchmark for Debian version comparison: how many vercmp_dpkg calls one
 * core makes per second on pairs drawn from a list of real versions (one per
 * line, e.g. `dpkg-query -W -f='${Version}\n'`).
 *
 *   bench-vercmp VERSIONS_FILE [PAIRS [SECONDS]]
 *
 * PAIRS pairs (default 1,000,000) are drawn with a fixed seed; the whole
 * array is compared over and over until SECONDS (default 2) of CPU time have
 * passed, and the rate is printed for the direct call and for the vercmp()
 * dispatcher. A checksum of the results keeps the compiler from dropping the
 * work. Run it through bench/version/run.sh. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inventory/version/vercmp.h"

#define MAX_VERSIONS 1000000
#define MAX_LINE     4096

static double cpu_seconds(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*: a fixed-seed generator, so every run draws the same pairs. */
static uint64_t rng_next(uint64_t *s)
{
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        return *s * UINT64_C(2685821657736338717);
}

typedef int (*cmp_fn)(const char *, const char *);

static int via_dispatch(const char *a, const char *b)
{
        return vercmp(VERSION_DPKG, a, b);
}

static void run(const char *label, cmp_fn fn, const char **pa, const char **pb, size_t n,
                double seconds)
{
        double start = cpu_seconds(), elapsed;
        uint64_t calls = 0;
        long sum = 0;

        do {
                for (size_t i = 0; i < n; i++)
                        sum += fn(pa[i], pb[i]);
                calls += n;
                elapsed = cpu_seconds() - start;
        } while (elapsed < seconds);
        printf("%-22s %12.0f comparisons/s  (%.1f ns each, %llu calls, checksum %ld)\n", label,
               (double)calls / elapsed, elapsed * 1e9 / (double)calls, (unsigned long long)calls,
               sum);
}

int main(int argc, char **argv)
{
        static char line[MAX_LINE];
        const char **versions, **pa, **pb;
        size_t nv = 0, npairs = 1000000;
        double seconds = 2.0;
        uint64_t seed = UINT64_C(0x9e3779b97f4a7c15);
        FILE *f;

        if (argc < 2 || argc > 4) {
                fprintf(stderr, "usage: bench-vercmp VERSIONS_FILE [PAIRS [SECONDS]]\n");
                return 2;
        }
        if (argc > 2)
                npairs = strtoul(argv[2], NULL, 10);
        if (argc > 3)
                seconds = strtod(argv[3], NULL);
        if (npairs == 0 || seconds <= 0) {
                fprintf(stderr, "bench-vercmp: bad PAIRS or SECONDS\n");
                return 2;
        }
        f = fopen(argv[1], "re");
        if (!f) {
                fprintf(stderr, "bench-vercmp: %s: %s\n", argv[1], strerror(errno));
                return 1;
        }
        versions = calloc(MAX_VERSIONS, sizeof(*versions));
        pa = calloc(npairs, sizeof(*pa));
        pb = calloc(npairs, sizeof(*pb));
        if (!versions || !pa || !pb) {
                fprintf(stderr, "bench-vercmp: out of memory\n");
                return 1;
        }
        while (nv < MAX_VERSIONS && fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                if (line[0] && !(versions[nv++] = strdup(line))) {
                        fprintf(stderr, "bench-vercmp: out of memory\n");
                        return 1;
                }
        }
        fclose(f);
        if (nv < 2) {
                fprintf(stderr, "bench-vercmp: need at least two versions\n");
                return 1;
        }
        for (size_t i = 0; i < npairs; i++) {
                pa[i] = versions[rng_next(&seed) % nv];
                pb[i] = versions[rng_next(&seed) % nv];
        }
        printf("%zu versions, %zu pairs, %.1f s of CPU per measurement\n", nv, npairs, seconds);
        run("vercmp_dpkg", vercmp_dpkg, pa, pb, npairs, seconds);
        run("vercmp(VERSION_DPKG)", via_dispatch, pa, pb, npairs, seconds);
        return 0;
}
