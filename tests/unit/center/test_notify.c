/* Unit tests for center/notify on a real database (SQLite, or PostgreSQL
 * with VIGIL_TEST_PG): the endpoints through the center's own route table
 * and auth hook, the cursor (history before the settings were saved is not
 * sent, the settle time holds rows back), dedupe (a rewound cursor queues
 * nothing twice), the per-host daily limit, claims held by another process
 * and their lease, retries with backoff until the last attempt, the failure
 * counter in /metrics, daily digests, and a syslog datagram on a local UDP
 * socket. Rounds are run with explicit times, so nothing waits. */
#include "ctest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "center/auth.h"
#include "center/cutil.h"
#include "center/notify.h"
#include "center/notify_render.h"
#include "core/timeutil.h"

struct q {
        const char *auth;
};

static const char *lookup(void *data, http_value_kind_t kind, const char *name)
{
        struct q *q = data;

        if (kind == HTTP_HEADER && strcmp(name, "Authorization") == 0)
                return q->auth;
        return NULL;
}

/* Run METHOD PATH with BODY as AUTH; check the status; return the JSON. */
static json_t *call(center_t *c, const char *auth, const char *method, const char *path,
                    const char *body, int want)
{
        struct q q = { .auth = auth };
        http_app_t app = center_http_app(c);
        http_req_t req = { .method = method,
                           .path = path,
                           .body = body ? body : "",
                           .body_len = body ? strlen(body) : 0,
                           .lookup = lookup,
                           .lookup_data = &q };
        http_resp_t resp;
        json_t *j;

        http_resp_init(&resp);
        http_handle(&app, &req, &resp);
        if (resp.status != want) {
                fprintf(stderr, "%s %s: %d %s\n", method, path, resp.status,
                        resp.body.data ? resp.body.data : "");
                fail();
        }
        j = json_loads(resp.body.data ? resp.body.data : "null", JSON_DECODE_ANY, NULL);
        http_resp_free(&resp);
        return j;
}

static void key(center_t *c, int role, char out[128])
{
        cdb_conn_t *conn;
        char *k = NULL, kid[17];

        assert_int_equal(cdb_acquire(c->db, &conn), 0);
        assert_int_equal(
                auth_apikey_create(conn, role == HTTP_AUTH_ADMIN ? "a" : "v", role, 1, &k, kid), 0);
        snprintf(out, 128, "Bearer %s", k);
        free(k);
        cdb_release(conn);
}

static void sql(center_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sql(center_t *c, const char *fmt, ...)
{
        cdb_conn_t *conn;
        char buf[2048];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        assert_int_equal(cdb_acquire(c->db, &conn), 0);
        if (cdb_exec(conn, buf, NULL, 0, NULL) < 0) {
                fprintf(stderr, "%s: %s\n", buf, cdb_errmsg(conn));
                fail();
        }
        cdb_release(conn);
}

static int64_t scalar(center_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int64_t scalar(center_t *c, const char *fmt, ...)
{
        cdb_conn_t *conn;
        char buf[2048];
        int64_t v = -1;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        assert_int_equal(cdb_acquire(c->db, &conn), 0);
        assert_int_equal(cdb_query_int(conn, buf, NULL, 0, &v), 0);
        cdb_release(conn);
        return v;
}

static void host(center_t *c, int64_t id)
{
        sql(c,
            "INSERT INTO hosts (id, hostname, secret_hash, enrolled_at, last_seen, updated_at)"
            " VALUES (%lld, 'host-%lld', 'x', 1, 1, 1)",
            (long long)id, (long long)id);
}

static void alert(center_t *c, int64_t host_id, const char *id, int level, int64_t received)
{
        sql(c,
            "INSERT INTO alerts (host_id, id, type, rule, level, time, received, title,"
            " evidence, updated_at) VALUES (%lld, '%s', 'abnormal_login', 'ssh.brute_force',"
            " %d, %lld, %lld, 'alert %s', '{}', %lld)",
            (long long)host_id, id, level, (long long)received, (long long)received, id,
            (long long)received);
}

static void finding(center_t *c, int64_t host_id, const char *id, int level, int64_t t)
{
        sql(c,
            "INSERT INTO findings (host_id, id, category, check_id, level, title, evidence, refs,"
            " tags, status, first_seen, last_seen, updated_at) VALUES (%lld, '%s', 'baseline',"
            " 'ssh.root-login', %d, 'finding %s', '{}', '[]', '[]', 'open', %lld, %lld, %lld)",
            (long long)host_id, id, level, id, (long long)t, (long long)t, (long long)t);
}

static int64_t channel(center_t *c, const char *auth, const char *body)
{
        json_t *j = call(c, auth, "POST", "/api/v1/notifications/channels", body, 201);
        int64_t id = json_integer_value(json_object_get(j, "id"));
        json_decref(j);
        assert_true(id > 0);
        return id;
}

static void settings(center_t *c, const char *auth, const char *body)
{
        json_decref(call(c, auth, "PUT", "/api/v1/notifications/settings", body, 200));
}

static notify_stats_t round_at(center_t *c, const char *instance, int64_t now)
{
        notify_stats_t st;

        assert_int_equal(notify_round(c, instance, now, &st), 0);
        return st;
}

static void test_api(void **state)
{
        center_t *c = ctest_center(NULL);
        char admin[128], viewer[128], path[128];
        int64_t id;
        json_t *j;

        key(c, HTTP_AUTH_ADMIN, admin);
        key(c, HTTP_AUTH_VIEWER, viewer);
        json_decref(call(c, viewer, "PUT", "/api/v1/notifications/settings", "{}", 403));
        json_decref(call(c, NULL, "GET", "/api/v1/notifications/settings", NULL, 401));
        json_decref(call(c, admin, "PUT", "/api/v1/notifications/settings",
                         "{\"alerts\": {\"urgent\": {\"enabled\": true, \"channels\": [\"x\"]}}}",
                         400));
        json_decref(call(c, admin, "POST", "/api/v1/notifications/channels", "{\"name\": 1}", 400));
        json_decref(call(c, admin, "POST", "/api/v1/notifications/channels", "not json", 400));
        id = channel(c, admin, "{\"name\": \"x\", \"type\": \"inbox\"}");
        json_decref(call(c, admin, "POST", "/api/v1/notifications/channels",
                         "{\"name\": \"x\", \"type\": \"inbox\"}", 409));
        settings(c, admin,
                 "{\"alerts\": {\"urgent\": {\"enabled\": true, \"channels\": [\"x\"]}}}");
        j = call(c, viewer, "GET", "/api/v1/notifications/settings", NULL, 200);
        assert_true(json_is_true(json_object_get(
                json_object_get(json_object_get(j, "alerts"), "urgent"), "enabled")));
        json_decref(j);
        snprintf(path, sizeof(path), "/api/v1/notifications/channels/%lld", (long long)id);
        json_decref(call(c, admin, "DELETE", path, NULL, 409)); /* in use */
        json_decref(call(c, viewer, "DELETE", path, NULL, 403));
        settings(c, admin, "{}");
        json_decref(call(c, admin, "DELETE", path, NULL, 200));
        json_decref(call(c, admin, "DELETE", path, NULL, 404));
        json_decref(call(c, admin, "DELETE", "/api/v1/notifications/channels/abc", NULL, 404));
        j = call(c, viewer, "GET", "/api/v1/notifications/channels", NULL, 200);
        assert_int_equal(json_array_size(json_object_get(j, "channels")), 0);
        json_decref(j);
        /* Test-send to the inbox. */
        id = channel(c, admin, "{\"name\": \"box\", \"type\": \"inbox\"}");
        snprintf(path, sizeof(path), "/api/v1/notifications/channels/%lld/test", (long long)id);
        json_decref(call(c, admin, "POST", path, NULL, 200));
        j = call(c, viewer, "GET", "/api/v1/inbox", NULL, 200);
        assert_int_equal(json_integer_value(json_object_get(j, "unread")), 1);
        json_decref(j);
        json_decref(call(c, viewer, "POST", "/api/v1/inbox/read", NULL, 200));
        j = call(c, viewer, "GET", "/api/v1/inbox", NULL, 200);
        assert_int_equal(json_integer_value(json_object_get(j, "unread")), 0);
        assert_int_equal(json_array_size(json_object_get(j, "messages")), 1);
        json_decref(j);
        center_free(c);
}

static void test_cursor_settle_dedupe(void **state)
{
        center_t *c = ctest_center(NULL);
        char admin[128];
        int64_t t0 = timeutil_now_us();
        notify_stats_t st;

        key(c, HTTP_AUTH_ADMIN, admin);
        host(c, 1);
        /* Nothing is configured: rounds do nothing. */
        alert(c, 1, "before", 3, t0 - USEC_PER_HOUR);
        st = round_at(c, "p1", t0);
        assert_int_equal(st.queued + st.sent, 0);
        channel(c, admin, "{\"name\": \"box\", \"type\": \"inbox\"}");
        settings(c, admin,
                 "{\"settle_seconds\": 30, \"alerts\": {\"urgent\": {\"enabled\": true, "
                 "\"channels\": [\"box\"]}, \"reminder\": {\"enabled\": false, \"channels\": "
                 "[\"box\"]}}}");
        alert(c, 1, "new", 3, t0 + USEC_PER_SEC * 2);
        alert(c, 1, "quiet", 1, t0 + USEC_PER_SEC * 2); /* its rule is off */
        /* Not settled yet. */
        st = round_at(c, "p1", t0 + 10 * USEC_PER_SEC);
        assert_int_equal(st.queued, 0);
        st = round_at(c, "p1", t0 + 40 * USEC_PER_SEC);
        assert_int_equal(st.queued, 1);
        assert_int_equal(st.sent, 1);
        assert_int_equal(scalar(c, "SELECT count(*) FROM notify_inbox"), 1);
        /* Again, and with the cursor rewound to the start: the queue's key
         * keeps every item to one send per channel. */
        st = round_at(c, "p2", t0 + 50 * USEC_PER_SEC);
        assert_int_equal(st.queued + st.sent, 0);
        sql(c, "UPDATE notify_cursor SET t = %lld, host_id = 0, item_id = ''",
            (long long)(t0 + USEC_PER_SEC));
        st = round_at(c, "p2", t0 + 60 * USEC_PER_SEC);
        assert_int_equal(st.queued + st.sent, 0);
        assert_int_equal(scalar(c, "SELECT count(*) FROM notify_inbox"), 1);
        assert_int_equal(scalar(c, "SELECT count(*) FROM notify_queue WHERE item_id = 'before'"),
                         0);
        /* A handled alert is not sent. */
        alert(c, 1, "handled", 3, t0 + 61 * USEC_PER_SEC);
        sql(c, "UPDATE alerts SET status = 'handled' WHERE id = 'handled'");
        st = round_at(c, "p2", t0 + 100 * USEC_PER_SEC);
        assert_int_equal(st.queued, 0);
        center_free(c);
}

static void test_limit(void **state)
{
        center_t *c = ctest_center(NULL);
        char admin[128];
        int64_t t0 = timeutil_now_us();
        notify_stats_t st;

        key(c, HTTP_AUTH_ADMIN, admin);
        host(c, 1);
        host(c, 2);
        channel(c, admin, "{\"name\": \"box\", \"type\": \"inbox\", \"max_per_host_per_day\": 2}");
        settings(c, admin,
                 "{\"settle_seconds\": 0, \"alerts\": {\"suspicious\": {\"enabled\": true, "
                 "\"channels\": [\"box\"]}}}");
        t0 = timeutil_now_us(); /* the cursor starts when the settings are saved */
        alert(c, 1, "a1", 2, t0 + 1);
        alert(c, 1, "a2", 2, t0 + 2);
        alert(c, 1, "a3", 2, t0 + 3);
        alert(c, 2, "b1", 2, t0 + 4);
        st = round_at(c, "p", t0 + USEC_PER_SEC);
        assert_int_equal(st.sent, 3);
        assert_int_equal(st.suppressed, 1);
        assert_int_equal(scalar(c, "SELECT count(*) FROM notify_queue WHERE status = "
                                   "'suppressed' AND host_id = 1 AND item_id = 'a3'"),
                         1);
        /* A day later host 1 may get two more. */
        alert(c, 1, "a4", 2, t0 + 5);
        st = round_at(c, "p", t0 + USEC_PER_DAY + 2 * USEC_PER_SEC);
        assert_int_equal(st.sent, 1);
        center_free(c);
}

static void test_claims_and_retries(void **state)
{
        center_t *c = ctest_center(NULL);
        char admin[128], *text = NULL;
        int64_t t0 = timeutil_now_us(), now;
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
        socklen_t sl = sizeof(sa);
        notify_stats_t st;
        int fd;
        buf_t m;

        key(c, HTTP_AUTH_ADMIN, admin);
        host(c, 1);
        /* A TCP port nothing listens on: bind one, note it, close it. */
        fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
        close(fd);
        {
                char body[256];
                snprintf(body, sizeof(body),
                         "{\"name\": \"dead\", \"type\": \"syslog\", \"transport\": \"tcp\", "
                         "\"address\": \"127.0.0.1:%d\"}",
                         ntohs(sa.sin_port));
                channel(c, admin, body);
        }
        channel(c, admin, "{\"name\": \"box\", \"type\": \"inbox\"}");
        settings(c, admin,
                 "{\"settle_seconds\": 0, \"alerts\": {\"urgent\": {\"enabled\": true, "
                 "\"channels\": [\"box\"]}, \"suspicious\": {\"enabled\": true, \"channels\": "
                 "[\"dead\"]}}}");
        /* Queued and held by another process: not queued again, not sent
         * until the other's lease runs out. */
        alert(c, 1, "u1", 3, t0 + 1);
        now = t0 + USEC_PER_SEC;
        sql(c,
            "INSERT INTO notify_queue (channel_id, kind, host_id, item_id, level, digest,"
            " created_at, due_at, status, next_try, claimed_by, claimed_until)"
            " SELECT id, 'alert', 1, 'u1', 3, 0, %lld, %lld, 'pending', %lld, 'other', %lld"
            " FROM notify_channels WHERE name = 'box'",
            (long long)now, (long long)now, (long long)now, (long long)(now + NOTIFY_LEASE_US));
        st = round_at(c, "p1", now);
        assert_int_equal(st.queued, 0);
        assert_int_equal(st.sent, 0);
        st = round_at(c, "p1", now + NOTIFY_LEASE_US + 1);
        assert_int_equal(st.sent, 1);
        assert_int_equal(scalar(c, "SELECT count(*) FROM notify_queue WHERE status = 'sent'"
                                   " AND claimed_by IS NULL"),
                         1);

        /* A receiver that refuses: retried with backoff, then failed. */
        alert(c, 1, "s1", 2, now + 2);
        now += NOTIFY_LEASE_US + 10 * USEC_PER_SEC;
        for (int attempt = 1; attempt <= NOTIFY_MAX_ATTEMPTS; attempt++) {
                st = round_at(c, "p1", now);
                assert_int_equal(st.failed, 1);
                assert_int_equal(scalar(c, "SELECT attempts FROM notify_queue WHERE item_id = "
                                           "'s1'"),
                                 attempt);
                /* Not again before its time. */
                st = round_at(c, "p1", now + notify_backoff_us(attempt) - 1);
                assert_int_equal(st.failed, 0);
                now += notify_backoff_us(attempt) + USEC_PER_SEC; /* sends take real time */
        }
        assert_int_equal(scalar(c, "SELECT count(*) FROM notify_queue WHERE item_id = 's1'"
                                   " AND status = 'failed' AND last_error IS NOT NULL"),
                         1);
        st = round_at(c, "p1", now + USEC_PER_DAY);
        assert_int_equal(st.failed, 0);
        buf_init(&m, 1 << 20);
        assert_int_equal(metrics_render(c->metrics, NULL, &m), 0);
        text = strstr(m.data, "vigil_center_notification_failures_total{channel=\"syslog\"} 8");
        assert_non_null(text);
        buf_free(&m);
        assert_int_equal(notify_backoff_us(1), 30 * USEC_PER_SEC);
        assert_int_equal(notify_backoff_us(2), 60 * USEC_PER_SEC);
        assert_int_equal(notify_backoff_us(30), NOTIFY_RETRY_MAX_US);
        center_free(c);
}

static void test_digest_and_syslog(void **state)
{
        center_t *c = ctest_center(NULL);
        char admin[128], body[256], dgram[NOTIFY_SYSLOG_MAX + 1];
        int64_t t0 = timeutil_now_us(), due;
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
        socklen_t sl = sizeof(sa);
        notify_stats_t st;
        json_t *j;
        ssize_t n;
        int fd;

        key(c, HTTP_AUTH_ADMIN, admin);
        host(c, 7);
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
        snprintf(body, sizeof(body),
                 "{\"name\": \"sys\", \"type\": \"syslog\", \"address\": \"127.0.0.1:%d\"}",
                 ntohs(sa.sin_port));
        channel(c, admin, body);
        channel(c, admin, "{\"name\": \"box\", \"type\": \"inbox\"}");
        settings(c, admin,
                 "{\"settle_seconds\": 0, \"findings\": {\"high\": {\"enabled\": true, "
                 "\"channels\": [\"box\", \"sys\"], \"mode\": \"daily\", \"schedule\": "
                 "{\"digest_at\": \"09:00\"}}}}");
        t0 = timeutil_now_us(); /* the cursor starts when the settings are saved */
        finding(c, 7, "f1", 3, t0 + 1);
        finding(c, 7, "f2", 3, t0 + 2);
        finding(c, 7, "f3", 3, t0 + 3);
        finding(c, 7, "low", 1, t0 + 4);
        st = round_at(c, "p", t0 + USEC_PER_SEC);
        assert_int_equal(st.queued, 6);
        assert_int_equal(st.sent, 0);
        due = scalar(c, "SELECT min(due_at) FROM notify_queue");
        assert_int_equal(scalar(c, "SELECT max(due_at) FROM notify_queue"), due);
        assert_int_equal(due % USEC_PER_DAY, 9 * USEC_PER_HOUR);
        assert_true(due >= t0 && due <= t0 + USEC_PER_DAY);
        st = round_at(c, "p", due - 1);
        assert_int_equal(st.sent, 0);
        st = round_at(c, "p", due);
        assert_int_equal(st.sent, 6);
        /* One inbox message listing the three. */
        j = call(c, admin, "GET", "/api/v1/inbox", NULL, 200);
        assert_int_equal(json_array_size(json_object_get(j, "messages")), 1);
        assert_int_equal(json_array_size(json_object_get(
                                 json_array_get(json_object_get(j, "messages"), 0), "items")),
                         3);
        json_decref(j);
        /* Syslog: one datagram per item. */
        for (int i = 0; i < 3; i++) {
                n = recv(fd, dgram, sizeof(dgram) - 1, 0);
                assert_true(n > 0);
                dgram[n] = '\0';
                assert_memory_equal(dgram, "<131>1 ", 7); /* local0, error (high) */
                assert_non_null(strstr(dgram, " vigil - finding [vigil@32473 host_id=\"7\""));
        }
        assert_true(recv(fd, dgram, sizeof(dgram), 0) < 0);
        close(fd);
        center_free(c);
}

/* The background notifier delivers without being asked, and stops. */
static void test_notifier_thread(void **state)
{
        center_t *c = ctest_center(NULL);
        notifier_t *n = NULL;
        char admin[128];
        int64_t t0;

        key(c, HTTP_AUTH_ADMIN, admin);
        host(c, 1);
        channel(c, admin, "{\"name\": \"box\", \"type\": \"inbox\"}");
        settings(c, admin,
                 "{\"settle_seconds\": 0, \"alerts\": {\"urgent\": {\"enabled\": true, "
                 "\"channels\": [\"box\"]}}}");
        t0 = timeutil_now_us();
        alert(c, 1, "t1", 3, t0 + 1);
        assert_int_equal(notify_start(c, &n), 0);
        /* Its first round runs at once; allow a minute on a loaded machine. */
        for (int i = 0; i < 600 && scalar(c, "SELECT count(*) FROM notify_inbox") == 0; i++)
                usleep(100 * 1000);
        notify_stop(n);
        assert_int_equal(scalar(c, "SELECT count(*) FROM notify_inbox"), 1);
        notify_stop(NULL);
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
                cmocka_unit_test(test_api),
                cmocka_unit_test(test_cursor_settle_dedupe),
                cmocka_unit_test(test_limit),
                cmocka_unit_test(test_claims_and_retries),
                cmocka_unit_test(test_digest_and_syslog),
                cmocka_unit_test(test_notifier_thread),
        };
        return cmocka_run_group_tests_name(ctest_pg() ? "center_notify (postgresql)"
                                                      : "center_notify (sqlite)",
                                           tests, NULL, teardown);
}
