/* Load generator for `vigil center`: enrolls many agents, then has them
 * send gzip-compressed batches of alerts to POST /api/v1/agent/batch as
 * fast as the center takes them, and reports alerts stored per second,
 * the latency of each batch (p50, p99, max) and the center's peak RSS.
 * Optionally times GET /api/v1/overview afterwards.
 *
 * Each thread owns a share of the agents and one keep-alive connection,
 * and sends one batch at a time (a closed loop): THREADS is the number of
 * requests in flight, AGENTS the number of distinct credentials and hosts.
 * Plain HTTP on loopback only (the benchmark measures the center, not TLS).
 *
 * Build: cc -O2 -pthread loadgen.c -o loadgen -ljansson -lz (run.sh does). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define RESP_MAX   (1 << 20)
#define MIN_(a, b) ((a) < (b) ? (a) : (b))

struct opts {
        const char *host;
        int port;
        const char *token;
        const char *apikey;
        int agents, threads, batches, per_batch, first_agent, overview_n;
        double rate;            /* alerts/s offered by all threads together; 0: as fast as taken */
        const char *creds_file; /* where enrolled credentials are kept between runs */
        int pid;
};

struct agent {
        long long id;
        char cred[96];
};

struct conn {
        int fd;
        char *rbuf;
        size_t rlen;
};

static struct opts o = { .host = "127.0.0.1",
                         .agents = 1000,
                         .threads = 16,
                         .batches = 10,
                         .per_batch = 100,
                         .overview_n = 50 };
static struct agent *agents;

static int64_t mono_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(const char *msg)
{
        fprintf(stderr, "loadgen: %s\n", msg);
        exit(2);
}

static int conn_open(struct conn *c)
{
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)o.port) };
        int one = 1;

        if (inet_pton(AF_INET, o.host, &sa.sin_addr) != 1)
                die("--host must be an IPv4 address");
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -errno;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (!c->rbuf)
                c->rbuf = malloc(RESP_MAX + 1);
        c->rlen = 0;
        return c->rbuf ? 0 : -ENOMEM;
}

static int write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return -EIO;
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

/* One request on C; the status into *STATUS and the body (NUL-terminated,
 * in C's buffer) into *BODY. Reconnects once when the server closed. */
static int http(struct conn *c, const char *method, const char *path, const char *headers,
                const char *body, size_t body_len, int *status, char **ret_body)
{
        char head[2048];
        int n, tries = 0;

again:
        if (c->fd < 0 && conn_open(c) < 0)
                return -ECONNREFUSED;
        n = snprintf(head, sizeof(head),
                     "%s %s HTTP/1.1\r\nHost: %s\r\n%sContent-Length: %zu\r\n\r\n", method, path,
                     o.host, headers, body_len);
        if (n < 0 || (size_t)n >= sizeof(head) || write_all(c->fd, head, (size_t)n) < 0 ||
            write_all(c->fd, body, body_len) < 0)
                goto reconnect;
        c->rlen = 0;
        for (;;) {
                char *end;
                ssize_t r = read(c->fd, c->rbuf + c->rlen, RESP_MAX - c->rlen);
                if (r <= 0)
                        goto reconnect;
                c->rlen += (size_t)r;
                c->rbuf[c->rlen] = 0;
                end = strstr(c->rbuf, "\r\n\r\n");
                if (end) {
                        const char *cl = strcasestr(c->rbuf, "\r\nContent-Length:");
                        size_t hlen = (size_t)(end + 4 - c->rbuf), blen;
                        if (!cl || cl > end)
                                die("response without Content-Length");
                        blen = strtoul(cl + 17, NULL, 10);
                        if (hlen + blen > RESP_MAX)
                                die("response too large");
                        while (c->rlen < hlen + blen) {
                                r = read(c->fd, c->rbuf + c->rlen, RESP_MAX - c->rlen);
                                if (r <= 0)
                                        goto reconnect;
                                c->rlen += (size_t)r;
                        }
                        c->rbuf[hlen + blen] = 0;
                        *status = atoi(c->rbuf + 9);
                        *ret_body = c->rbuf + hlen;
                        return 0;
                }
                if (c->rlen >= RESP_MAX)
                        die("response headers too large");
        }
reconnect:
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
        if (++tries < 3)
                goto again;
        return -EIO;
}

static size_t gzip_buf(const char *in, size_t n, char *out, size_t cap)
{
        z_stream zs = { 0 };
        size_t len;

        if (deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                die("deflateInit2");
        zs.next_in = (Bytef *)in;
        zs.avail_in = (uInt)n;
        zs.next_out = (Bytef *)out;
        zs.avail_out = (uInt)cap;
        if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
                die("deflate: output buffer too small");
        len = cap - zs.avail_out;
        deflateEnd(&zs);
        return len;
}

/* ---- enrollment ---- */

struct range {
        int from, to;
        int64_t *lat;
        size_t n_lat;
        long long alerts, errors;
};

static void *enroll_main(void *arg)
{
        struct range *r = arg;
        struct conn c = { .fd = -1 };
        char body[512];

        for (int i = r->from; i < r->to; i++) {
                int status;
                char *resp;
                json_t *j;
                int n = snprintf(body, sizeof(body),
                                 "{\"token\":\"%s\",\"hostname\":\"bench-%05d\",\"os\":\"debian\","
                                 "\"os_version\":\"12\",\"agent_version\":\"0.1.0\"}",
                                 o.token, i);
                if (http(&c, "POST", "/api/v1/agent/enroll", "Content-Type: application/json\r\n",
                         body, (size_t)n, &status, &resp) < 0 ||
                    status != 201)
                        die("enrollment failed");
                j = json_loads(resp, 0, NULL);
                agents[i].id = json_integer_value(json_object_get(j, "agent_id"));
                snprintf(agents[i].cred, sizeof(agents[i].cred), "%s",
                         json_string_value(json_object_get(j, "credential")));
                json_decref(j);
        }
        if (c.fd >= 0)
                close(c.fd);
        free(c.rbuf);
        return NULL;
}

/* ---- batches ---- */

static const char *const levels[] = { "urgent", "suspicious", "reminder", "reminder" };
static const char *const rules[] = { "ssh.brute_force", "ssh.login_new_location", "net.port_scan",
                                     "proc.reverse_shell" };
static const char *const types[] = { "abnormal_login", "abnormal_login", "network_attack",
                                     "abnormal_process" };

static size_t build_batch(char *out, size_t cap, const struct agent *a, int batch, int run)
{
        size_t n = 0;
        time_t now = time(NULL) - 60;
        struct tm tm;
        char ts[32];

        gmtime_r(&now, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
        n += (size_t)snprintf(out + n, cap - n,
                              "{\"agent_id\":%lld,\"batch_id\":\"r%d-b%d\",\"seq\":%d,\"items\":[",
                              a->id, run, batch, batch + 1);
        for (int i = 0; i < o.per_batch; i++) {
                int k = (batch * 7 + i) % 4;
                n += (size_t)snprintf(
                        out + n, cap - n,
                        "%s{\"kind\":\"alert\",\"id\":\"r%d-%d-%d\",\"type\":\"%s\",\"rule\":\"%"
                        "s\","
                        "\"level\":\"%s\",\"time\":\"%s\",\"subject\":\"root@198.51.100.%d\","
                        "\"title\":\"%s from 198.51.100.%d\",\"remediation\":\"Block the "
                        "address or check the account.\",\"evidence\":{\"src\":\"198.51.100.%d\","
                        "\"user\":\"root\",\"count\":%d}}",
                        i ? "," : "", run, batch, i, types[k], rules[k], levels[k], ts, i % 250,
                        rules[k], i % 250, i % 250, 5 + i);
                if (n >= cap - 64)
                        die("batch buffer too small");
        }
        n += (size_t)snprintf(out + n, cap - n,
                              ",{\"kind\":\"heartbeat\",\"spool_items\":0,\"spool_bytes\":0}]}");
        (void)n;
        return strlen(out);
}

static int run_id;

static void *send_main(void *arg)
{
        struct range *r = arg;
        struct conn c = { .fd = -1 };
        size_t cap = (size_t)o.per_batch * 700 + 4096;
        char *json = malloc(cap), *gz = malloc(cap), headers[512];

        /* With --rate, each thread sends on a fixed schedule and latency is
         * counted from the scheduled time, so a slow answer that delays the
         * next send is charged to the latency (no coordinated omission). */
        int64_t interval = o.rate > 0 ? (int64_t)(1e6 * o.threads * o.per_batch / o.rate) : 0;
        int64_t next = mono_us();

        r->lat = calloc((size_t)(r->to - r->from) * (size_t)o.batches + 1, sizeof(int64_t));
        for (int b = 0; b < o.batches; b++)
                for (int i = r->from; i < r->to; i++) {
                        size_t jn = build_batch(json, cap, &agents[i], b, run_id), zn;
                        int status;
                        char *resp;
                        int64_t t0;

                        zn = gzip_buf(json, jn, gz, cap);
                        snprintf(headers, sizeof(headers),
                                 "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                                 "Content-Encoding: gzip\r\n",
                                 agents[i].cred);
                        t0 = mono_us();
                        if (interval) {
                                if (next > t0) {
                                        struct timespec ts = { .tv_sec = (next - t0) / 1000000,
                                                               .tv_nsec = ((next - t0) % 1000000) *
                                                                          1000 };
                                        nanosleep(&ts, NULL);
                                }
                                t0 = next;
                                next += interval;
                        }
                        if (http(&c, "POST", "/api/v1/agent/batch", headers, gz, zn, &status,
                                 &resp) < 0) {
                                r->errors++;
                                continue;
                        }
                        r->lat[r->n_lat++] = mono_us() - t0;
                        if (status != 200) {
                                if (r->errors++ < 5)
                                        fprintf(stderr, "batch: %d %s\n", status, resp);
                                continue;
                        }
                        {
                                const char *s = strstr(resp, "\"alerts\":");
                                r->alerts += s ? atoll(s + 9) : 0;
                        }
                }
        if (c.fd >= 0)
                close(c.fd);
        free(c.rbuf);
        free(json);
        free(gz);
        return NULL;
}

static int cmp64(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

        return x < y ? -1 : x > y;
}

static long rss_kb(const char *field)
{
        char path[64], line[256];
        long v = -1;
        FILE *f;

        if (o.pid <= 0)
                return -1;
        snprintf(path, sizeof(path), "/proc/%d/status", o.pid);
        f = fopen(path, "r");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, field, strlen(field)) == 0)
                        v = atol(line + strlen(field));
        fclose(f);
        return v;
}

/* User plus system CPU seconds of the center so far. */
static double cpu_s(void)
{
        char path[64], buf[1024], *p;
        unsigned long long ut = 0, st = 0;
        FILE *f;
        size_t n;

        if (o.pid <= 0)
                return 0;
        snprintf(path, sizeof(path), "/proc/%d/stat", o.pid);
        f = fopen(path, "r");
        if (!f)
                return 0;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = 0;
        p = strrchr(buf, ')');
        /* After the name: state, then fields 4..; utime and stime are 14, 15. */
        if (!p ||
            sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
                return 0;
        return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void run_threads(void *(*fn)(void *), struct range *rs)
{
        pthread_t *t = calloc((size_t)o.threads, sizeof(*t));
        int per = (o.agents + o.threads - 1) / o.threads;

        for (int i = 0; i < o.threads; i++) {
                rs[i].from = MIN_(i * per, o.agents);
                rs[i].to = MIN_((i + 1) * per, o.agents);
                pthread_create(&t[i], NULL, fn, &rs[i]);
        }
        for (int i = 0; i < o.threads; i++)
                pthread_join(t[i], NULL);
        free(t);
}

static void load_creds(void)
{
        FILE *f = o.creds_file ? fopen(o.creds_file, "r") : NULL;
        int n = 0;

        if (!f)
                return;
        while (n < o.agents && fscanf(f, "%lld %95s", &agents[n].id, agents[n].cred) == 2)
                n++;
        fclose(f);
        if (n < o.agents)
                die("the credentials file has fewer agents than --agents");
}

static void overview(void)
{
        struct conn c = { .fd = -1 };
        int64_t *lat = calloc((size_t)o.overview_n, sizeof(*lat));
        char headers[256];

        snprintf(headers, sizeof(headers), "Authorization: Bearer %s\r\n", o.apikey);
        for (int i = 0; i < o.overview_n; i++) {
                int status;
                char *resp;
                int64_t t0 = mono_us();
                if (http(&c, "GET", "/api/v1/overview", headers, "", 0, &status, &resp) < 0 ||
                    status != 200)
                        die("GET /api/v1/overview failed");
                lat[i] = mono_us() - t0;
                if (i == 0)
                        printf("overview_sample %.300s\n", resp);
        }
        qsort(lat, (size_t)o.overview_n, sizeof(*lat), cmp64);
        printf("overview_ms p50=%.1f p99=%.1f max=%.1f n=%d\n", lat[o.overview_n / 2] / 1000.0,
               lat[(o.overview_n * 99) / 100] / 1000.0, lat[o.overview_n - 1] / 1000.0,
               o.overview_n);
        free(lat);
        if (c.fd >= 0)
                close(c.fd);
        free(c.rbuf);
}

static void usage(void)
{
        fputs("Usage: loadgen --port N [--token T | --creds FILE] [--agents N] [--threads N]\n"
              "               [--batches N] [--per-batch N] [--pid PID] [--run N]\n"
              "               [--rate ALERTS_PER_S] [--apikey KEY [--overview N]]\n"
              "  --creds FILE   read enrolled agents from FILE; with --token, enroll and\n"
              "                 write them there\n"
              "  --batches 0    enroll only\n"
              "  --rate R       offer R alerts/s on a fixed schedule (default: as fast as\n"
              "                 the center answers)\n",
              stderr);
        exit(2);
}

int main(int argc, char **argv)
{
        static const struct option lo[] = {
                { "host", 1, 0, 'H' },      { "port", 1, 0, 'p' },    { "token", 1, 0, 't' },
                { "agents", 1, 0, 'a' },    { "threads", 1, 0, 'T' }, { "batches", 1, 0, 'b' },
                { "per-batch", 1, 0, 'n' }, { "pid", 1, 0, 'P' },     { "creds", 1, 0, 'c' },
                { "apikey", 1, 0, 'k' },    { "rate", 1, 0, 'R' },    { "overview", 1, 0, 'o' },
                { "run", 1, 0, 'r' },       { 0, 0, 0, 0 },
        };
        struct range *rs;
        int ch;

        while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
                switch (ch) {
                case 'H':
                        o.host = optarg;
                        break;
                case 'p':
                        o.port = atoi(optarg);
                        break;
                case 't':
                        o.token = optarg;
                        break;
                case 'a':
                        o.agents = atoi(optarg);
                        break;
                case 'T':
                        o.threads = atoi(optarg);
                        break;
                case 'b':
                        o.batches = atoi(optarg);
                        break;
                case 'n':
                        o.per_batch = atoi(optarg);
                        break;
                case 'P':
                        o.pid = atoi(optarg);
                        break;
                case 'c':
                        o.creds_file = optarg;
                        break;
                case 'k':
                        o.apikey = optarg;
                        break;
                case 'o':
                        o.overview_n = atoi(optarg);
                        break;
                case 'r':
                        run_id = atoi(optarg);
                        break;
                case 'R':
                        o.rate = atof(optarg);
                        break;
                default:
                        usage();
                }
        }
        if (o.port <= 0 || o.agents <= 0 || o.threads <= 0 || o.per_batch <= 0 || o.overview_n <= 0)
                usage();
        if (o.threads > o.agents)
                o.threads = o.agents;
        agents = calloc((size_t)o.agents, sizeof(*agents));
        rs = calloc((size_t)o.threads, sizeof(*rs));
        if (o.token) {
                int64_t t0 = mono_us();
                run_threads(enroll_main, rs);
                printf("enrolled %d agents in %.1f s\n", o.agents, (mono_us() - t0) / 1e6);
                if (o.creds_file) {
                        FILE *f = fopen(o.creds_file, "w");
                        for (int i = 0; f && i < o.agents; i++)
                                fprintf(f, "%lld %s\n", agents[i].id, agents[i].cred);
                        if (f)
                                fclose(f);
                }
        } else if (o.creds_file) {
                load_creds();
        } else if (o.batches > 0) {
                usage();
        }
        if (o.batches > 0) {
                int64_t t0 = mono_us(), wall;
                double cpu0 = cpu_s(), cpu;
                long long alerts = 0, errors = 0;
                size_t n = 0, k = 0;
                int64_t *all;

                memset(rs, 0, sizeof(*rs) * (size_t)o.threads);
                run_threads(send_main, rs);
                wall = mono_us() - t0;
                cpu = cpu_s() - cpu0;
                for (int i = 0; i < o.threads; i++)
                        n += rs[i].n_lat;
                all = calloc(n + 1, sizeof(*all));
                for (int i = 0; i < o.threads; i++) {
                        memcpy(all + k, rs[i].lat, rs[i].n_lat * sizeof(*all));
                        k += rs[i].n_lat;
                        alerts += rs[i].alerts;
                        errors += rs[i].errors;
                        free(rs[i].lat);
                }
                qsort(all, n, sizeof(*all), cmp64);
                printf("agents=%d threads=%d batches=%zu alerts_per_batch=%d errors=%lld\n",
                       o.agents, o.threads, n, o.per_batch, errors);
                printf("stored_alerts=%lld wall_s=%.2f alerts_per_s=%.0f\n", alerts, wall / 1e6,
                       alerts / (wall / 1e6));
                if (o.pid > 0 && cpu > 0)
                        printf("center_cpu_s=%.2f alerts_per_center_cpu_s=%.0f\n", cpu,
                               alerts / cpu);
                if (n)
                        printf("batch_latency_ms p50=%.1f p99=%.1f max=%.1f\n", all[n / 2] / 1000.0,
                               all[(n * 99) / 100] / 1000.0, all[n - 1] / 1000.0);
                free(all);
        }
        if (o.pid > 0)
                printf("center_rss_mb now=%.1f peak=%.1f\n", rss_kb("VmRSS:") / 1024.0,
                       rss_kb("VmHWM:") / 1024.0);
        if (o.apikey)
                overview();
        free(rs);
        free(agents);
        return 0;
}
