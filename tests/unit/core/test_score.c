/* Unit tests for core/score: deductions, caps, floor and bands. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/score.h"

static void test_clean_host_scores_100(void **state)
{
        score_input_t in = { 0 };
        (void)state;
        assert_int_equal(score_compute(&in), 100);
        assert_int_equal(score_band(100), SCORE_SECURE);
}

static void test_one_high_caps_at_80(void **state)
{
        score_input_t in = { 0 };
        (void)state;
        in.findings[FINDING_HIGH] = 1;
        assert_int_equal(score_compute(&in), 80);
        assert_int_equal(score_band(80), SCORE_MANY_RISKS);
}

static void test_baseline_caps_at_90(void **state)
{
        score_input_t in = { 0 };
        (void)state;
        in.findings[FINDING_LOW] = 1;
        in.baseline_failures = 1;
        assert_int_equal(score_compute(&in), 90);
}

static void test_urgent_caps_at_60(void **state)
{
        score_input_t in = { 0 };
        (void)state;
        in.alerts[ALERT_URGENT] = 1;
        assert_int_equal(score_compute(&in), 60);
        assert_int_equal(score_band(60), SCORE_HIGH_RISK);
}

static void test_deductions_are_capped_and_floored(void **state)
{
        score_input_t in = { 0 };
        (void)state;
        in.findings[FINDING_LOW] = 1000;
        assert_int_equal(score_compute(&in), 85);
        in.findings[FINDING_HIGH] = 1000;
        in.findings[FINDING_MEDIUM] = 1000;
        in.alerts[ALERT_URGENT] = 1000;
        in.alerts[ALERT_SUSPICIOUS] = 1000;
        assert_int_equal(score_compute(&in), SCORE_FLOOR);
}

static void test_band_edges(void **state)
{
        (void)state;
        assert_int_equal(score_band(95), SCORE_SECURE);
        assert_int_equal(score_band(94), SCORE_FEW_RISKS);
        assert_int_equal(score_band(85), SCORE_FEW_RISKS);
        assert_int_equal(score_band(84), SCORE_MANY_RISKS);
        assert_int_equal(score_band(70), SCORE_MANY_RISKS);
        assert_int_equal(score_band(69), SCORE_HIGH_RISK);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_clean_host_scores_100),
                cmocka_unit_test(test_one_high_caps_at_80),
                cmocka_unit_test(test_baseline_caps_at_90),
                cmocka_unit_test(test_urgent_caps_at_60),
                cmocka_unit_test(test_deductions_are_capped_and_floored),
                cmocka_unit_test(test_band_edges),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
