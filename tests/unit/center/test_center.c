/* Unit tests for center/center: settings from the configuration file with
 * their defaults and checks, and a center opened, maintained and freed
 * without listening. */
#include "ctest.h"

#include <errno.h>

#include "center/cutil.h"
#include "core/config.h"

static config_t *yaml(const char *text)
{
        char path[] = "/tmp/vigil-center-cfg.XXXXXX";
        int fd = mkstemp(path);
        config_t *c = NULL;
        char *err = NULL;

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        assert_int_equal(config_load(path, true, &c, &err), 0);
        unlink(path);
        return c;
}

static void test_config(void **state)
{
        center_config_t cfg;
        char *err = NULL;
        config_t *c;

        assert_int_equal(center_config_load(NULL, "/var/lib/x", &cfg, &err), 0);
        assert_string_equal(cfg.listen, CENTER_DEFAULT_LISTEN);
        assert_string_equal(cfg.db_url, "sqlite:/var/lib/x/center.db");
        assert_true(cfg.offline_after_us == 10 * 60 * USEC_PER_SEC);
        assert_true(cfg.retention_alerts_us == 180 * USEC_PER_DAY);
        assert_null(cfg.tls_cert);
        center_config_clear(&cfg);

        c = yaml("center:\n  listen: 0.0.0.0:8443\n  db: postgres://u@h/db\n"
                 "  offline_after: 12h\n  retention:\n    alerts: 30d\n    events: forever\n"
                 "  tls:\n    cert: /c.pem\n    key: /k.pem\n  intake:\n    max_body: 4MiB\n"
                 "    max_items: 500\n    rate: 100\n  threads: 4\n  sqlite:\n"
                 "    synchronous: full\n");
        assert_int_equal(center_config_load(c, "/s", &cfg, &err), 0);
        assert_string_equal(cfg.listen, "0.0.0.0:8443");
        assert_string_equal(cfg.db_url, "postgres://u@h/db");
        assert_true(cfg.offline_after_us == 12 * USEC_PER_HOUR);
        assert_true(cfg.retention_alerts_us == 30 * USEC_PER_DAY);
        assert_true(cfg.retention_events_us == 0);
        assert_string_equal(cfg.tls_key, "/k.pem");
        assert_int_equal(cfg.intake_max_body, 4 << 20);
        assert_int_equal(cfg.intake_max_items, 500);
        assert_true(cfg.intake_rate == 100);
        assert_true(cfg.intake_burst >= 501);
        assert_int_equal(cfg.threads, 4);
        assert_int_equal(cfg.db_pool, 6);
        assert_true(cfg.sqlite_sync_full);
        center_config_clear(&cfg);
        config_free(c);

        const char *bad[] = {
                "center:\n  offline_after: soon\n",
                "center:\n  threads: 0\n",
                "center:\n  tls:\n    cert: /c.pem\n",
                "center:\n  intake:\n    max_body: 1\n",
                "center:\n  sqlite:\n    synchronous: off\n",
                "center:\n  listen: 8080\n",
                "center:\n  metrics_public: yes please\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                c = yaml(bad[i]);
                err = NULL;
                assert_int_equal(center_config_load(c, "/s", &cfg, &err), -EINVAL);
                assert_non_null(strstr(err, "center."));
                free(err);
                config_free(c);
        }
}

static void test_lifecycle(void **state)
{
        center_t *c = ctest_center(NULL);
        char *err = NULL;

        assert_int_equal(center_maintenance(c, 1800000000000000LL, true), 0);
        /* Plain HTTP on a public address is refused before listening. */
        free(c->cfg.listen);
        c->cfg.listen = strdup("0.0.0.0:0");
        assert_int_equal(center_start(c, &err), -EPERM);
        assert_non_null(strstr(err, "refusing plain HTTP"));
        free(err);
        err = NULL;
        /* Loopback listens (port 0: any free port) and stops. */
        free(c->cfg.listen);
        c->cfg.listen = strdup("127.0.0.1:0");
        assert_int_equal(center_start(c, &err), 0);
        assert_true(center_port(c) > 0);
        center_stop(c);
        center_stop(c);
        center_free(c);
}

static int teardown(void **state)
{
        ctest_cleanup();
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_config),
                cmocka_unit_test(test_lifecycle),
        };
        return cmocka_run_group_tests_name(ctest_pg() ? "center_center (postgresql)"
                                                      : "center_center (sqlite)",
                                           tests, NULL, teardown);
}
