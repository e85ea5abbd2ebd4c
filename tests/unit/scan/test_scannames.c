/* Unit tests for scan/scannames: the name list the agent validates with is
 * the scanner registry's, name for name and in the same order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scan/scannames.h"
#include "scan/scanners.h"

static void test_same_names_same_order(void **state)
{
        size_t n_names, n_scanners;
        const char *const *names = scannames_all(&n_names);
        const scanner_t *scanners = scanners_all(&n_scanners);
        (void)state;

        assert_int_equal(n_names, n_scanners);
        assert_int_equal(n_names, SCANNAMES_COUNT);
        for (size_t i = 0; i < n_names; i++) {
                assert_string_equal(names[i], scanners[i].name);
                assert_true(scannames_known(scanners[i].name));
                assert_ptr_equal(scanner_find(names[i]), &scanners[i]);
        }
}

static void test_unknown_names(void **state)
{
        (void)state;
        assert_false(scannames_known(""));
        assert_false(scannames_known("all"));
        assert_false(scannames_known("Baseline"));
        assert_false(scannames_known("baseline "));
        assert_false(scannames_known("secrets"));
        assert_true(scannames_known("weak_password"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_same_names_same_order),
                cmocka_unit_test(test_unknown_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
