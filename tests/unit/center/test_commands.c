/* Unit tests for center/commands: argument checks per kind, queueing,
 * at-least-once delivery until acknowledged, acknowledgements only from
 * the right host and only once, and expiry. */
#include "ctest.h"

#include <errno.h>
#include <jansson.h>

#include "center/commands.h"
#include "center/cutil.h"
#include "center/enroll.h"

#define NOW 1800000000000000LL

static void test_validate(void **state)
{
        struct {
                const char *kind, *args;
                bool ok;
        } cases[] = {
                { "scan_now", NULL, true },
                { "scan_now", "{\"categories\":[\"vulnerability\",\"malware\"]}", true },
                { "scan_now", "{\"categories\":[\"rootkit\"]}", false },
                { "scan_now", "{\"cats\":[]}", false },
                { "verify", "{\"finding_id\":\"0123456789abcdef0123456789abcdef\"}", true },
                { "verify", "{\"finding_id\":\"xyz\"}", false },
                { "verify", NULL, false },
                { "update_rules", "{}", true },
                { "update_rules", "{\"x\":1}", false },
                { "block_ip", "{\"ip\":\"203.0.113.9\"}", true },
                { "block_ip", "{\"ip\":\"2001:db8::1\",\"duration\":\"24h\"}", true },
                { "block_ip", "{\"ip\":\"127.0.0.1\"}", false },
                { "block_ip", "{\"ip\":\"203.0.113.9; rm -rf /\"}", false },
                { "block_ip", "{\"ip\":\"203.0.113.9\",\"duration\":\"forever\"}", false },
                { "quarantine", "{\"path\":\"/tmp/x.php\"}", true },
                { "quarantine", "{\"path\":\"tmp/x\"}", false },
                { "quarantine", "{\"path\":\"/var/www/../../etc/passwd\"}", false },
                { "quarantine", "{\"path\":\"/\"}", false },
                { "kill", "{\"pid\":4242}", true },
                { "kill", "{\"pid\":4242,\"start_time\":99}", true },
                { "kill", "{\"pid\":1}", false },
                { "kill", "{\"pid\":\"4242\"}", false },
                { "reboot", NULL, false },
                { "scan_now", "[1]", false },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                json_t *args = cases[i].args ? json_loads(cases[i].args, 0, NULL) : NULL;
                char *err = NULL;
                int r = commands_validate(cases[i].kind, args, &err);
                if ((r == 0) != cases[i].ok) {
                        fprintf(stderr, "%s %s: %d %s\n", cases[i].kind,
                                cases[i].args ? cases[i].args : "-", r, err ? err : "");
                        fail();
                }
                if (r < 0)
                        assert_non_null(err);
                free(err);
                json_decref(args);
        }
}

static int64_t enroll(cdb_conn_t *c)
{
        char *token = NULL, id[17], secret[65];
        const char *reason;
        int64_t host;
        enroll_info_t info = { .hostname = "h" };

        assert_int_equal(enroll_token_create(c, 1, USEC_PER_DAY, NULL, "t", NOW, &token, id), 0);
        assert_int_equal(enroll_agent(c, token, &info, NOW, &host, secret, &reason), 0);
        free(token);
        return host;
}

static void test_queue(void **state)
{
        cdb_t *db = ctest_open_db(1);
        cdb_conn_t *c;
        int64_t h1, h2, id, id2, n;
        json_t *args = json_pack("{s:s}", "ip", "198.51.100.7"), *arr, *list;
        char *err = NULL;

        assert_int_equal(cdb_acquire(db, &c), 0);
        h1 = enroll(c);
        h2 = enroll(c);
        assert_int_equal(
                commands_create(c, h1, "block_ip", args, "admin", USEC_PER_HOUR, NOW, &id, &err),
                0);
        /* Queued a moment later: pulls come oldest first. */
        assert_int_equal(commands_create(c, h1, "scan_now", NULL, "admin", 10 * USEC_PER_SEC,
                                         NOW + 1, &id2, &err),
                         0);
        assert_int_equal(
                commands_create(c, 12345, "scan_now", NULL, "admin", USEC_PER_HOUR, NOW, &n, &err),
                -ENOENT);
        assert_int_equal(
                commands_create(c, h1, "format_disk", NULL, "admin", USEC_PER_HOUR, NOW, &n, &err),
                -EINVAL);
        free(err);
        /* Pulled in order, again until acknowledged; never by another host. */
        for (int i = 0; i < 2; i++) {
                assert_int_equal(commands_pull(c, h1, NOW + 2, &arr), 0);
                assert_int_equal(json_array_size(arr), 2);
                assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 0), "id")),
                                 id);
                assert_string_equal(json_string_value(json_object_get(
                                            json_object_get(json_array_get(arr, 0), "args"), "ip")),
                                    "198.51.100.7");
                json_decref(arr);
        }
        assert_int_equal(commands_pull(c, h2, NOW + 2, &arr), 0);
        assert_int_equal(json_array_size(arr), 0);
        json_decref(arr);
        assert_int_equal(commands_ack(c, h2, id, "done", NULL, NOW + 2), -ENOENT);
        assert_int_equal(commands_ack(c, h1, id, "finished", NULL, NOW + 2), -EINVAL);
        {
                json_t *res = json_pack("{s:s}", "blocked", "198.51.100.7");
                assert_int_equal(commands_ack(c, h1, id, "done", res, NOW + 2), 0);
                json_decref(res);
        }
        assert_int_equal(commands_ack(c, h1, id, "failed", NULL, NOW + 3), -EALREADY);
        /* The scan command expires unacknowledged. */
        assert_int_equal(commands_pull(c, h1, NOW + 20 * USEC_PER_SEC, &arr), 0);
        assert_int_equal(json_array_size(arr), 0);
        json_decref(arr);
        assert_int_equal(commands_ack(c, h1, id2, "done", NULL, NOW + 20 * USEC_PER_SEC),
                         -EALREADY);
        assert_int_equal(commands_expire(c, NOW + 20 * USEC_PER_SEC, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(commands_list(c, h1, 10, &list), 0);
        assert_int_equal(json_array_size(list), 2);
        {
                char *dump = json_dumps(list, JSON_SORT_KEYS);
                assert_non_null(strstr(dump, "\"status\": \"expired\""));
                assert_non_null(strstr(dump, "\"status\": \"done\""));
                assert_non_null(strstr(dump, "\"deliveries\": 2"));
                free(dump);
        }
        json_decref(list);
        json_decref(args);
        cdb_release(c);
        cdb_close(db);
}

static int teardown(void **state)
{
        ctest_cleanup();
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_validate),
                cmocka_unit_test(test_queue),
        };
        return cmocka_run_group_tests_name(ctest_pg() ? "center_commands (postgresql)"
                                                      : "center_commands (sqlite)",
                                           tests, NULL, teardown);
}
