/* Unit tests for inventory/apps/appnote: notes are written up to the cap,
 * every problem is counted, and the rest are summed up in one note. */
#include "apps_test_util.h"

#include "inventory/apps/appnote.h"

static void test_cap_and_summary(void **state)
{
        report_t *r = report_new("test", "/");
        appnote_t n;
        (void)state;

        assert_non_null(r);
        appnote_init(&n, r, 2);
        appnote_warn(&n, "/a.jar", "bad %d", 1);
        appnote_warn(&n, NULL, "bad %s", "two");
        appnote_warn(&n, "/c.jar", "bad 3");
        appnote_warn(&n, "/d.jar", "bad 4");
        assert_int_equal(n.problems, 4);
        assert_int_equal(r->n_notes, 2);
        assert_string_equal(r->notes[0].source, "/a.jar");
        assert_string_equal(r->notes[0].message, "bad 1");
        assert_int_equal(r->notes[0].kind, REPORT_NOTE_WARNING);
        assert_string_equal(r->notes[1].source, "apps");
        appnote_finish(&n, "apps");
        assert_int_equal(r->n_notes, 3);
        assert_string_equal(r->notes[2].message, "2 more problems not listed");
        assert_false(n.oom);
        report_free(r);
}

static void test_no_summary_under_the_cap(void **state)
{
        report_t *r = report_new("test", "/");
        appnote_t n;
        (void)state;

        appnote_init(&n, r, 5);
        appnote_warn(&n, "/a", "%s", "100% literal");
        appnote_finish(&n, "apps");
        assert_int_equal(r->n_notes, 1);
        assert_string_equal(r->notes[0].message, "100% literal");
        report_free(r);
}

static void test_without_a_report_problems_are_counted(void **state)
{
        appnote_t n;
        (void)state;

        appnote_init(&n, NULL, 5);
        appnote_warn(&n, "/a", "x");
        appnote_finish(&n, "apps");
        assert_int_equal(n.problems, 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cap_and_summary),
                cmocka_unit_test(test_no_summary_under_the_cap),
                cmocka_unit_test(test_without_a_report_problems_are_counted),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
