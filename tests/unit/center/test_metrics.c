/* Unit tests for center/metrics: counters, the latency histogram, the
 * notification failure counter and the text format. */
#include "ctest.h"

#include "center/metrics.h"
#include "core/buf.h"

static void test_render(void **state)
{
        metrics_t *m = metrics_new();
        metrics_gauges_t g = { .hosts = 3, .online = 2, .spool_items = 9, .fleet_score = 77 };
        buf_t b;

        metrics_add(m, METRIC_STORED_ALERT, 5);
        metrics_add(m, METRIC_STORED_ALERT, 2);
        metrics_add(m, METRIC_BATCH_DUPLICATE, 1);
        metrics_observe_intake(m, 500);      /* 0.5 ms */
        metrics_observe_intake(m, 30000);    /* 30 ms */
        metrics_observe_intake(m, 90000000); /* 90 s: only +Inf */
        metrics_http_status(m, 200);
        metrics_http_status(m, 404);
        metrics_notification_failure(m, "email");
        metrics_notification_failure(m, "email");
        metrics_notification_failure(m, "Bad Name\n");
        assert_int_equal(metrics_get(m, METRIC_STORED_ALERT), 7);
        buf_init(&b, 1 << 20);
        assert_int_equal(metrics_render(m, &g, &b), 0);
        assert_non_null(strstr(b.data, "vigil_center_items_ingested_total{kind=\"alert\"} 7\n"));
        assert_non_null(
                strstr(b.data, "vigil_center_intake_batches_total{result=\"duplicate\"} 1\n"));
        assert_non_null(
                strstr(b.data, "vigil_center_intake_duration_seconds_bucket{le=\"0.001\"} 1\n"));
        assert_non_null(
                strstr(b.data, "vigil_center_intake_duration_seconds_bucket{le=\"0.05\"} 2\n"));
        assert_non_null(
                strstr(b.data, "vigil_center_intake_duration_seconds_bucket{le=\"5\"} 2\n"));
        assert_non_null(
                strstr(b.data, "vigil_center_intake_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert_non_null(strstr(b.data, "vigil_center_intake_duration_seconds_count 3\n"));
        assert_non_null(
                strstr(b.data, "vigil_center_notification_failures_total{channel=\"email\"} 2\n"));
        assert_non_null(
                strstr(b.data, "vigil_center_notification_failures_total{channel=\"other\"} 1\n"));
        assert_null(strstr(b.data, "Bad Name"));
        assert_non_null(strstr(b.data, "vigil_center_agents{state=\"offline\"} 1\n"));
        assert_non_null(strstr(b.data, "vigil_center_agent_spool_items 9\n"));
        assert_non_null(strstr(b.data, "vigil_center_fleet_score 77\n"));
        assert_non_null(strstr(b.data, "vigil_center_http_responses_total{code=\"4xx\"} 1\n"));
        /* Each metric family has one TYPE line. */
        assert_null(strstr(strstr(b.data, "# TYPE vigil_center_items_ingested_total") + 1,
                           "# TYPE vigil_center_items_ingested_total"));
        buf_free(&b);
        /* Without gauges (database away) the counters still render. */
        buf_init(&b, 1 << 20);
        assert_int_equal(metrics_render(m, NULL, &b), 0);
        assert_null(strstr(b.data, "vigil_center_agents"));
        buf_free(&b);
        metrics_free(m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_render),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
