#include "center/metrics.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/macro.h"

/* Upper bounds of the latency buckets, in microseconds. */
static const int64_t bucket_us[] = { 1000,   2500,   5000,   10000,   25000,   50000,
                                     100000, 250000, 500000, 1000000, 2500000, 5000000 };
#define N_BUCKETS ELEMENTSOF(bucket_us)

#define MAX_CHANNELS 32

struct metrics {
        uint64_t counters[METRIC__MAX];
        uint64_t http[6]; /* by status / 100 */
        uint64_t lat_buckets[N_BUCKETS + 1];
        uint64_t lat_sum_us, lat_count;
        pthread_mutex_t lock; /* guards the channel names */
        char channels[MAX_CHANNELS + 1][33];
        uint64_t channel_fail[MAX_CHANNELS + 1];
        size_t n_channels;
};

metrics_t *metrics_new(void)
{
        metrics_t *m = calloc(1, sizeof(*m));

        if (!m)
                return NULL;
        pthread_mutex_init(&m->lock, NULL);
        return m;
}

void metrics_free(metrics_t *m)
{
        if (!m)
                return;
        pthread_mutex_destroy(&m->lock);
        free(m);
}

void metrics_add(metrics_t *m, metric_id_t id, uint64_t n)
{
        if (m && id < METRIC__MAX)
                __atomic_add_fetch(&m->counters[id], n, __ATOMIC_RELAXED);
}

uint64_t metrics_get(metrics_t *m, metric_id_t id)
{
        return id < METRIC__MAX ? __atomic_load_n(&m->counters[id], __ATOMIC_RELAXED) : 0;
}

void metrics_http_status(metrics_t *m, int status)
{
        int c = status / 100;

        if (m && c >= 1 && c <= 5)
                __atomic_add_fetch(&m->http[c], 1, __ATOMIC_RELAXED);
}

void metrics_observe_intake(metrics_t *m, int64_t dur_us)
{
        size_t i = 0;

        if (!m)
                return;
        if (dur_us < 0)
                dur_us = 0;
        while (i < N_BUCKETS && dur_us > bucket_us[i])
                i++;
        __atomic_add_fetch(&m->lat_buckets[i], 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&m->lat_sum_us, (uint64_t)dur_us, __ATOMIC_RELAXED);
        __atomic_add_fetch(&m->lat_count, 1, __ATOMIC_RELAXED);
}

static bool channel_name_ok(const char *s)
{
        size_t n = 0;

        for (; s && *s; s++, n++)
                if (n >= 32 || !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
                                 *s == '_' || *s == '-'))
                        return false;
        return n > 0;
}

void metrics_notification_failure(metrics_t *m, const char *channel)
{
        size_t i;

        if (!m)
                return;
        pthread_mutex_lock(&m->lock);
        if (!channel_name_ok(channel))
                channel = "other";
        for (i = 0; i < m->n_channels; i++)
                if (strcmp(m->channels[i], channel) == 0)
                        break;
        if (i == m->n_channels) {
                if (m->n_channels < MAX_CHANNELS) {
                        snprintf(m->channels[i], sizeof(m->channels[i]), "%s", channel);
                        m->n_channels++;
                } else {
                        /* The spare slot at the end collects the rest. */
                        i = MAX_CHANNELS;
                        snprintf(m->channels[i], sizeof(m->channels[i]), "other");
                }
        }
        m->channel_fail[i]++;
        pthread_mutex_unlock(&m->lock);
}

struct counter_desc {
        metric_id_t id;
        const char *name;
        const char *labels;
};

static const struct counter_desc counters[] = {
        { METRIC_BATCH_OK, "vigil_center_intake_batches_total", "result=\"ok\"" },
        { METRIC_BATCH_DUPLICATE, "vigil_center_intake_batches_total", "result=\"duplicate\"" },
        { METRIC_BATCH_REJECTED, "vigil_center_intake_batches_total", "result=\"rejected\"" },
        { METRIC_BATCH_FAILED, "vigil_center_intake_batches_total", "result=\"failed\"" },
        { METRIC_STORED_ALERT, "vigil_center_items_ingested_total", "kind=\"alert\"" },
        { METRIC_STORED_FINDING, "vigil_center_items_ingested_total", "kind=\"finding\"" },
        { METRIC_STORED_EVENT, "vigil_center_items_ingested_total", "kind=\"event\"" },
        { METRIC_STORED_SCAN, "vigil_center_items_ingested_total", "kind=\"scan_result\"" },
        { METRIC_STORED_HEARTBEAT, "vigil_center_items_ingested_total", "kind=\"heartbeat\"" },
        { METRIC_RECEIVED_ITEMS, "vigil_center_items_received_total", NULL },
        { METRIC_DUPLICATE_ITEMS, "vigil_center_items_duplicate_total", NULL },
        { METRIC_AUTH_FAIL_AGENT, "vigil_center_auth_failures_total", "who=\"agent\"" },
        { METRIC_AUTH_FAIL_USER, "vigil_center_auth_failures_total", "who=\"user\"" },
        { METRIC_RATE_LIMITED, "vigil_center_rate_limited_total", NULL },
        { METRIC_ENROLL_OK, "vigil_center_enrollments_total", "result=\"ok\"" },
        { METRIC_ENROLL_FAILED, "vigil_center_enrollments_total", "result=\"refused\"" },
        { METRIC_COMMANDS_CREATED, "vigil_center_commands_total", "event=\"created\"" },
        { METRIC_COMMANDS_DELIVERED, "vigil_center_commands_total", "event=\"delivered\"" },
        { METRIC_COMMANDS_ACKED, "vigil_center_commands_total", "event=\"acked\"" },
        { METRIC_RETENTION_DELETED, "vigil_center_retention_deleted_total", NULL },
};

static const char *help_of(const char *name)
{
        static const struct {
                const char *name, *help;
        } h[] = {
                { "vigil_center_intake_batches_total", "Agent batches by outcome." },
                { "vigil_center_items_ingested_total",
                  "Items from agents newly stored (replays not counted)." },
                { "vigil_center_items_received_total", "Items received in accepted batches." },
                { "vigil_center_items_duplicate_total",
                  "Items received again and ignored (idempotent intake)." },
                { "vigil_center_auth_failures_total", "Requests refused for their credential." },
                { "vigil_center_rate_limited_total", "Agent requests refused by the rate limit." },
                { "vigil_center_enrollments_total", "Agent enrollments by outcome." },
                { "vigil_center_commands_total", "Agent commands created, delivered, acked." },
                { "vigil_center_retention_deleted_total", "Rows deleted by retention." },
        };

        for (size_t i = 0; i < ELEMENTSOF(h); i++)
                if (strcmp(h[i].name, name) == 0)
                        return h[i].help;
        return "";
}

static long rss_bytes(void)
{
        FILE *f = fopen("/proc/self/statm", "re");
        long size = 0, rss = 0;

        if (!f)
                return 0;
        if (fscanf(f, "%ld %ld", &size, &rss) != 2)
                rss = 0;
        fclose(f);
        return rss * sysconf(_SC_PAGESIZE);
}

int metrics_render(metrics_t *m, const metrics_gauges_t *g, buf_t *out)
{
        static const char *const flevel[4] = { NULL, "low", "medium", "high" };
        static const char *const alevel[4] = { NULL, "reminder", "suspicious", "urgent" };
        const char *last = NULL;
        uint64_t cum = 0;
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(counters); i++) {
                uint64_t v = metrics_get(m, counters[i].id);
                if (!last || strcmp(last, counters[i].name) != 0) {
                        r |= buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", counters[i].name,
                                        help_of(counters[i].name), counters[i].name);
                        last = counters[i].name;
                }
                if (counters[i].labels)
                        r |= buf_printf(out, "%s{%s} %llu\n", counters[i].name, counters[i].labels,
                                        (unsigned long long)v);
                else
                        r |= buf_printf(out, "%s %llu\n", counters[i].name, (unsigned long long)v);
        }
        r |= buf_printf(out, "# HELP vigil_center_http_responses_total HTTP responses by status "
                             "class.\n# TYPE vigil_center_http_responses_total counter\n");
        for (int c = 2; c <= 5; c++)
                r |= buf_printf(out, "vigil_center_http_responses_total{code=\"%dxx\"} %llu\n", c,
                                (unsigned long long)__atomic_load_n(&m->http[c], __ATOMIC_RELAXED));

        r |= buf_printf(out, "# HELP vigil_center_intake_duration_seconds Time to handle one "
                             "agent batch.\n# TYPE vigil_center_intake_duration_seconds "
                             "histogram\n");
        for (size_t i = 0; i <= N_BUCKETS; i++) {
                cum += __atomic_load_n(&m->lat_buckets[i], __ATOMIC_RELAXED);
                if (i < N_BUCKETS)
                        r |= buf_printf(out,
                                        "vigil_center_intake_duration_seconds_bucket{le=\"%g\"} "
                                        "%llu\n",
                                        (double)bucket_us[i] / 1e6, (unsigned long long)cum);
                else
                        r |= buf_printf(out,
                                        "vigil_center_intake_duration_seconds_bucket{le=\"+Inf\"} "
                                        "%llu\n",
                                        (unsigned long long)cum);
        }
        r |= buf_printf(out, "vigil_center_intake_duration_seconds_sum %.6f\n",
                        (double)__atomic_load_n(&m->lat_sum_us, __ATOMIC_RELAXED) / 1e6);
        r |= buf_printf(out, "vigil_center_intake_duration_seconds_count %llu\n",
                        (unsigned long long)__atomic_load_n(&m->lat_count, __ATOMIC_RELAXED));

        r |= buf_printf(out, "# HELP vigil_center_notification_failures_total Notifications "
                             "that could not be delivered, by channel.\n# TYPE "
                             "vigil_center_notification_failures_total counter\n");
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i <= MAX_CHANNELS; i++)
                if (m->channel_fail[i] > 0)
                        r |= buf_printf(out,
                                        "vigil_center_notification_failures_total{channel=\"%s\"} "
                                        "%llu\n",
                                        m->channels[i], (unsigned long long)m->channel_fail[i]);
        pthread_mutex_unlock(&m->lock);

        r |= buf_printf(out,
                        "# HELP process_resident_memory_bytes Resident memory of this "
                        "center process.\n# TYPE process_resident_memory_bytes gauge\n"
                        "process_resident_memory_bytes %ld\n",
                        rss_bytes());
        if (g) {
                r |= buf_printf(out,
                                "# HELP vigil_center_agents Enrolled agents by state.\n"
                                "# TYPE vigil_center_agents gauge\n"
                                "vigil_center_agents{state=\"online\"} %lld\n"
                                "vigil_center_agents{state=\"offline\"} %lld\n"
                                "vigil_center_agents{state=\"revoked\"} %lld\n",
                                (long long)g->online, (long long)(g->hosts - g->online),
                                (long long)g->revoked);
                r |= buf_printf(out,
                                "# HELP vigil_center_agent_spool_items Items waiting in the "
                                "agents' spools, as last reported.\n"
                                "# TYPE vigil_center_agent_spool_items gauge\n"
                                "vigil_center_agent_spool_items %lld\n"
                                "# HELP vigil_center_agent_spool_bytes Bytes of the agents' "
                                "spools, as last reported.\n"
                                "# TYPE vigil_center_agent_spool_bytes gauge\n"
                                "vigil_center_agent_spool_bytes %lld\n",
                                (long long)g->spool_items, (long long)g->spool_bytes);
                r |= buf_printf(out, "# HELP vigil_center_open_findings Open risks by level.\n"
                                     "# TYPE vigil_center_open_findings gauge\n");
                for (int l = 3; l >= 1; l--)
                        r |= buf_printf(out, "vigil_center_open_findings{level=\"%s\"} %lld\n",
                                        flevel[l], (long long)g->open_findings[l]);
                r |= buf_printf(out, "# HELP vigil_center_open_alerts Open alerts by level.\n"
                                     "# TYPE vigil_center_open_alerts gauge\n");
                for (int l = 3; l >= 1; l--)
                        r |= buf_printf(out, "vigil_center_open_alerts{level=\"%s\"} %lld\n",
                                        alevel[l], (long long)g->open_alerts[l]);
                r |= buf_printf(out,
                                "# HELP vigil_center_fleet_score The fleet's security score.\n"
                                "# TYPE vigil_center_fleet_score gauge\n"
                                "vigil_center_fleet_score %d\n",
                                g->fleet_score);
        }
        return r ? -ENOMEM : 0;
}
