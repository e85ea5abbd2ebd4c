/* Unit tests for scan/exposure/probes: every response parser on answers
 * captured from the real servers (tests/fixtures/exposure/probe: Redis 7,
 * Memcached 1.6, MariaDB 10.11, nginx 1.22) and on hand-made ones for the
 * services that cannot run here (MySQL 8 handshakes, Docker, Elasticsearch,
 * MongoDB OP_MSG), truncated and malformed input; then each probe end to end
 * against a canned server on loopback (canned.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "canned.h"
#include "core/macro.h"
#include "scan/exposure/probes.h"

static char *fixture(const char *name, size_t *ret_len)
{
        const char *dir = getenv("VIGIL_FIXTURES");
        char path[4096];
        FILE *f;
        char *data;
        long n;

        assert_non_null(dir);
        snprintf(path, sizeof(path), "%s/exposure/probe/%s", dir, name);
        f = fopen(path, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        data = malloc((size_t)n + 1);
        assert_non_null(data);
        assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
        data[n] = 0;
        fclose(f);
        *ret_len = (size_t)n;
        return data;
}

/* ---- Redis ---- */

static void test_redis_parse(void **state)
{
        size_t n;
        char *pong = fixture("redis_pong", &n), *info, *noauth;
        char v[64];
        probe_resp_t r;
        (void)state;

        assert_int_equal(probe_redis_parse(pong, n, &r), 0);
        assert_int_equal(r.type, RESP_SIMPLE);
        assert_int_equal(r.len, 4);
        assert_memory_equal(r.data, "PONG", 4);
        assert_int_equal(r.consumed, n);
        for (size_t k = 0; k < n; k++)
                assert_int_equal(probe_redis_parse(pong, k, &r), -EAGAIN);
        free(pong);

        noauth = fixture("redis_noauth", &n);
        assert_int_equal(probe_redis_parse(noauth, n, &r), 0);
        assert_int_equal(r.type, RESP_ERROR);
        assert_true(r.len > 6 && memcmp(r.data, "NOAUTH", 6) == 0);
        free(noauth);

        info = fixture("redis_info", &n);
        assert_int_equal(probe_redis_parse(info, n, &r), 0);
        assert_int_equal(r.type, RESP_BULK);
        assert_int_equal(r.consumed, n);
        assert_true(probe_redis_info_field(r.data, r.len, "redis_version", v, sizeof(v)));
        assert_string_equal(v, "7.0.15");
        assert_true(probe_redis_info_field(r.data, r.len, "tcp_port", v, sizeof(v)));
        assert_string_equal(v, "6379");
        assert_false(probe_redis_info_field(r.data, r.len, "redis", v, sizeof(v)));
        for (size_t k = 0; k < n; k += 7)
                assert_int_equal(probe_redis_parse(info, k, &r), -EAGAIN);
        free(info);

        assert_int_equal(probe_redis_parse("$-1\r\n", 5, &r), 0);
        assert_int_equal(r.type, RESP_NULL);
        assert_int_equal(probe_redis_parse(":-12\r\n", 6, &r), 0);
        assert_int_equal(r.type, RESP_INTEGER);
        assert_int_equal(probe_redis_parse("*2\r\n", 4, &r), 0);
        assert_int_equal(r.type, RESP_OTHER);
        assert_int_equal(probe_redis_parse("HTTP/1.1 400\r\n", 14, &r), -EINVAL);
        assert_int_equal(probe_redis_parse(":1x\r\n", 5, &r), -EINVAL);
        assert_int_equal(probe_redis_parse("$x\r\n", 4, &r), -EINVAL);
        assert_int_equal(probe_redis_parse("$3\r\nabcXY", 9, &r), -EINVAL);
        assert_int_equal(probe_redis_parse("$99999999999\r\n", 15, &r), -EINVAL);
        assert_int_equal(probe_redis_parse("$9999999\r\n", 10, &r), -E2BIG);
}

/* ---- Memcached ---- */

static void test_memcached_parse(void **state)
{
        size_t n;
        char *stats = fixture("memcached_stats", &n);
        probe_result_t r = { 0 };
        (void)state;

        assert_int_equal(probe_memcached_parse(stats, n, &r), 0);
        assert_int_equal(r.verdict, PROBE_OPEN);
        assert_string_equal(r.version, "1.6.18");
        assert_int_equal(probe_memcached_parse(stats, n - 1, &r), -EAGAIN);
        assert_int_equal(probe_memcached_parse(stats, 40, &r), -EAGAIN);
        free(stats);
        memset(&r, 0, sizeof(r));
        assert_int_equal(probe_memcached_parse("CLIENT_ERROR unauthenticated\r\n", 30, &r), -EPERM);
        assert_string_equal(r.info, "CLIENT_ERROR unauthenticated");
        assert_int_equal(probe_memcached_parse("ERROR\r\n", 7, &r), -EPERM);
        assert_int_equal(probe_memcached_parse("END\r\n", 5, &r), -EINVAL);
        assert_int_equal(probe_memcached_parse("+PONG\r\n", 7, &r), -EINVAL);
}

/* ---- MySQL ---- */

/* A MySQL 8 greeting whose default plugin is caching_sha2_password. */
static size_t mysql8_greeting(uint8_t *out)
{
        static const char plugin[] = "caching_sha2_password";
        uint8_t p[128];
        size_t n = 0;

        p[n++] = 10;
        memcpy(p + n, "8.0.36", 7);
        n += 7;
        memcpy(p + n, "\x11\x00\x00\x00", 4); /* connection id */
        n += 4;
        memcpy(p + n, "abcdefgh", 8); /* scramble part 1 */
        n += 8;
        p[n++] = 0;
        p[n++] = 0xff, p[n++] = 0xff; /* caps low */
        p[n++] = 0xff;                /* charset */
        p[n++] = 0x02, p[n++] = 0x00; /* status */
        p[n++] = 0xff, p[n++] = 0xdf; /* caps high: PLUGIN_AUTH among them */
        p[n++] = 21;                  /* auth data length */
        memset(p + n, 0, 10);
        n += 10;
        memcpy(p + n, "ijklmnopqrst", 13); /* part 2 with its NUL */
        n += 13;
        memcpy(p + n, plugin, sizeof(plugin));
        n += sizeof(plugin);
        out[0] = (uint8_t)n, out[1] = 0, out[2] = 0, out[3] = 0;
        memcpy(out + 4, p, n);
        return n + 4;
}

static void test_mysql_parse(void **state)
{
        size_t n;
        uint8_t *g = (uint8_t *)fixture("mysql_greeting", &n), buf[256];
        uint8_t *err = NULL;
        probe_mysql_packet_t pk;
        probe_mysql_greeting_t gr;
        probe_mysql_reply_t rep;
        (void)state;

        assert_int_equal(probe_mysql_packet(g, n, &pk), 0);
        assert_int_equal(pk.seq, 0);
        assert_int_equal(pk.consumed, n);
        assert_int_equal(probe_mysql_parse_greeting(pk.payload, pk.len, &gr), 0);
        assert_int_equal(gr.protocol, 10);
        assert_string_equal(gr.version, "5.5.5-10.11.19-MariaDB-0+deb12u1");
        assert_string_equal(gr.plugin, "mysql_native_password");
        assert_true(gr.caps & 0x200);
        for (size_t k = 0; k < n; k++)
                assert_int_equal(probe_mysql_packet(g, k, &pk), -EAGAIN);
        /* Every cut of the payload is refused or read without overrun. */
        for (size_t k = 0; k + 4 < n; k++)
                (void)probe_mysql_parse_greeting(g + 4, k, &gr);
        assert_int_equal(probe_mysql_parse_greeting(g + 4, 20, &gr), -EINVAL);
        free(g);

        n = mysql8_greeting(buf);
        assert_int_equal(probe_mysql_packet(buf, n, &pk), 0);
        assert_int_equal(probe_mysql_parse_greeting(pk.payload, pk.len, &gr), 0);
        assert_string_equal(gr.version, "8.0.36");
        assert_string_equal(gr.plugin, "caching_sha2_password");

        /* "Host ... is not allowed to connect" instead of a greeting */
        {
                static const uint8_t hostdeny[] = "\xff\x6a\x04Host '10.0.0.9' is not allowed";
                assert_int_equal(probe_mysql_parse_greeting(hostdeny, sizeof(hostdeny) - 1, &gr),
                                 -EPERM);
                assert_string_equal(gr.version, "Host '10.0.0.9' is not allowed");
        }
        assert_int_equal(probe_mysql_parse_greeting((const uint8_t *)"\x09x", 2, &gr), -EINVAL);

        err = (uint8_t *)fixture("mysql_err_denied", &n);
        assert_int_equal(probe_mysql_packet(err, n, &pk), 0);
        assert_int_equal(probe_mysql_parse_reply(pk.payload, pk.len, &rep), 0);
        assert_int_equal(rep.kind, MYSQL_REPLY_ERR);
        assert_int_equal(rep.error, 1045);
        assert_string_equal(rep.message,
                            "Access denied for user 'root'@'localhost' (using password: NO)");
        free(err);

        assert_int_equal(probe_mysql_parse_reply((const uint8_t *)"\x00\x00\x00\x02\x00", 5, &rep),
                         0);
        assert_int_equal(rep.kind, MYSQL_REPLY_OK);
        assert_int_equal(probe_mysql_parse_reply((const uint8_t *)"\xfe"
                                                                  "client_ed25519\0abc",
                                                 18, &rep),
                         0);
        assert_int_equal(rep.kind, MYSQL_REPLY_SWITCH);
        assert_string_equal(rep.plugin, "client_ed25519");
        assert_int_equal(probe_mysql_parse_reply((const uint8_t *)"\xfe", 1, &rep), 0);
        assert_string_equal(rep.plugin, "mysql_old_password");
        assert_int_equal(probe_mysql_parse_reply((const uint8_t *)"\x01\x04", 2, &rep), 0);
        assert_int_equal(rep.kind, MYSQL_REPLY_MORE);
        assert_int_equal(rep.more, 4);
        assert_int_equal(probe_mysql_parse_reply((const uint8_t *)"", 0, &rep), -EINVAL);
        {
                uint8_t big[4] = { 0xff, 0xff, 0xff, 0 };
                assert_int_equal(probe_mysql_packet(big, 4, &pk), -E2BIG);
        }
}

/* ---- HTTP ---- */

static void test_http_parse(void **state)
{
        size_t n;
        char *ok = fixture("http_nginx_200", &n);
        probe_http_resp_t h;
        (void)state;

        assert_int_equal(probe_http_parse(ok, n, false, &h), 0);
        assert_int_equal(h.status, 200);
        assert_string_equal(h.server, "nginx/1.22.1");
        assert_string_equal(h.content_type, "text/plain");
        assert_int_equal(h.body_len, 6);
        assert_string_equal(h.body, "hello\n");
        probe_http_resp_done(&h);
        for (size_t k = 0; k < n; k++)
                assert_int_equal(probe_http_parse(ok, k, false, &h), -EAGAIN);
        assert_int_equal(probe_http_parse(ok, n - 1, true, &h), -EINVAL);
        free(ok);

        ok = fixture("http_nginx_301", &n);
        assert_int_equal(probe_http_parse(ok, n, true, &h), 0);
        assert_int_equal(h.status, 301);
        assert_string_equal(h.location, "https://example.org/");
        probe_http_resp_done(&h);
        free(ok);

        {
                static const char chunked[] =
                        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n";
                assert_int_equal(probe_http_parse(chunked, sizeof(chunked) - 1, false, &h), 0);
                assert_true(h.chunked);
                assert_string_equal(h.body, "hello world");
                probe_http_resp_done(&h);
                assert_int_equal(probe_http_parse(chunked, sizeof(chunked) - 3, false, &h),
                                 -EAGAIN);
                assert_int_equal(probe_http_parse(chunked, sizeof(chunked) - 3, true, &h), -EINVAL);
        }
        {
                static const char noclen[] = "HTTP/1.0 401 Unauthorized\nWWW-Authenticate: Basic\n"
                                             "\nno";
                assert_int_equal(probe_http_parse(noclen, sizeof(noclen) - 1, false, &h), -EAGAIN);
                assert_int_equal(probe_http_parse(noclen, sizeof(noclen) - 1, true, &h), 0);
                assert_int_equal(h.status, 401);
                assert_true(h.www_authenticate);
                assert_string_equal(h.body, "no");
                probe_http_resp_done(&h);
        }
        {
                static const char *const bad[] = {
                        "HTTP/2 200 OK\r\n\r\n",
                        "HTTP/1.1 99 x\r\n\r\n",
                        "HTTP/1.1 2000\r\n\r\n",
                        "SSH-2.0-OpenSSH_9.2\r\n",
                        "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
                        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
                        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                };
                for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                        assert_int_equal(probe_http_parse(bad[i], strlen(bad[i]), true, &h),
                                         -EINVAL);
        }
        {
                static const char huge[] = "HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n";
                assert_int_equal(probe_http_parse(huge, sizeof(huge) - 1, false, &h), -E2BIG);
        }
        {
                char *head = malloc(PROBE_MAX_HTTP_HEAD + 100);
                assert_non_null(head);
                memcpy(head, "HTTP/1.1 200 OK\r\n", 17);
                memset(head + 17, 'a', PROBE_MAX_HTTP_HEAD + 83);
                assert_int_equal(probe_http_parse(head, PROBE_MAX_HTTP_HEAD + 100, false, &h),
                                 -E2BIG);
                free(head);
        }
}

/* ---- MongoDB ---- */

typedef struct bs {
        uint8_t b[2048];
        size_t n;
} bs_t;

static void bs_name(bs_t *b, uint8_t type, const char *name)
{
        b->b[b->n++] = type;
        memcpy(b->b + b->n, name, strlen(name) + 1);
        b->n += strlen(name) + 1;
}

static void bs_i32(bs_t *b, int32_t v)
{
        uint32_t u = (uint32_t)v;
        for (int i = 0; i < 4; i++)
                b->b[b->n++] = (uint8_t)(u >> (8 * i));
}

static size_t bs_open(bs_t *b)
{
        size_t at = b->n;
        b->n += 4;
        return at;
}

static void bs_close(bs_t *b, size_t at)
{
        uint32_t len;
        b->b[b->n++] = 0;
        len = (uint32_t)(b->n - at);
        for (int i = 0; i < 4; i++)
                b->b[at + (size_t)i] = (uint8_t)(len >> (8 * i));
}

static void bs_double(bs_t *b, const char *name, double d)
{
        bs_name(b, 0x01, name);
        memcpy(b->b + b->n, &d, 8);
        b->n += 8;
}

static void bs_string(bs_t *b, const char *name, const char *s)
{
        bs_name(b, 0x02, name);
        bs_i32(b, (int32_t)strlen(s) + 1);
        memcpy(b->b + b->n, s, strlen(s) + 1);
        b->n += strlen(s) + 1;
}

/* An OP_MSG around one body document built by FILL. */
static size_t mongo_msg(uint8_t *out, void (*fill)(bs_t *))
{
        bs_t b = { .n = 0 };
        size_t doc, total;

        bs_i32(&b, 0);    /* length, set below */
        bs_i32(&b, 77);   /* requestID */
        bs_i32(&b, 1);    /* responseTo */
        bs_i32(&b, 2013); /* OP_MSG */
        bs_i32(&b, 0);    /* flagBits */
        b.b[b.n++] = 0;   /* section kind 0 */
        doc = bs_open(&b);
        fill(&b);
        bs_close(&b, doc);
        total = b.n;
        for (int i = 0; i < 4; i++)
                b.b[i] = (uint8_t)(total >> (8 * i));
        memcpy(out, b.b, total);
        return total;
}

static void fill_hello(bs_t *b)
{
        bs_name(b, 0x08, "isWritablePrimary");
        b->b[b->n++] = 1;
        bs_name(b, 0x10, "maxWireVersion");
        bs_i32(b, 21);
        bs_double(b, "ok", 1.0);
}

static void fill_notfound(bs_t *b)
{
        bs_double(b, "ok", 0.0);
        bs_string(b, "errmsg", "no such command: 'hello'");
        bs_name(b, 0x10, "code");
        bs_i32(b, 59);
}

static void fill_ismaster(bs_t *b)
{
        bs_name(b, 0x08, "ismaster");
        b->b[b->n++] = 1;
        bs_name(b, 0x10, "ok");
        bs_i32(b, 1);
}

static void fill_dbs(bs_t *b)
{
        static const char *const names[] = { "admin", "config", "shop" };
        size_t arr;

        bs_name(b, 0x04, "databases");
        arr = bs_open(b);
        for (int i = 0; i < 3; i++) {
                char key[4];
                size_t sub;
                snprintf(key, sizeof(key), "%d", i);
                bs_name(b, 0x03, key);
                sub = bs_open(b);
                bs_string(b, "name", names[i]);
                bs_close(b, sub);
        }
        bs_close(b, arr);
        bs_double(b, "ok", 1.0);
}

static void fill_unauth(bs_t *b)
{
        bs_double(b, "ok", 0.0);
        bs_string(b, "errmsg", "command listDatabases requires authentication");
        bs_name(b, 0x10, "code");
        bs_i32(b, 13);
        bs_string(b, "codeName", "Unauthorized");
}

static void test_mongo_parse(void **state)
{
        uint8_t m[2048];
        size_t n, used;
        probe_mongo_reply_t r;
        (void)state;

        n = mongo_msg(m, fill_hello);
        assert_int_equal(probe_mongo_parse(m, n, &r, &used), 0);
        assert_int_equal(used, n);
        assert_true(r.has_ok && r.ok && r.is_mongo);
        for (size_t k = 0; k < n; k++)
                assert_int_equal(probe_mongo_parse(m, k, &r, NULL), k < 16 || k < n ? -EAGAIN : 0);

        n = mongo_msg(m, fill_dbs);
        assert_int_equal(probe_mongo_parse(m, n, &r, NULL), 0);
        assert_true(r.ok);
        assert_int_equal(r.n_databases, 3);

        n = mongo_msg(m, fill_unauth);
        assert_int_equal(probe_mongo_parse(m, n, &r, NULL), 0);
        assert_true(r.has_ok);
        assert_false(r.ok);
        assert_int_equal(r.code, 13);
        assert_string_equal(r.errmsg, "command listDatabases requires authentication");

        /* Corrupt the body: an inner length that points past the end. */
        n = mongo_msg(m, fill_dbs);
        m[21 + 4 + 1 + 10] = 0x7f;
        assert_int_equal(probe_mongo_parse(m, n, &r, NULL), -EINVAL);
        /* Not OP_MSG. */
        n = mongo_msg(m, fill_hello);
        m[12] = 1;
        m[13] = 0;
        assert_int_equal(probe_mongo_parse(m, n, &r, NULL), -EINVAL);
        /* Over the cap. */
        m[0] = 0, m[1] = 0, m[2] = 0, m[3] = 0x7f;
        assert_int_equal(probe_mongo_parse(m, n, &r, NULL), -E2BIG);
        /* A checksum flag with no room for it. */
        n = mongo_msg(m, fill_hello);
        m[16] = 1;
        assert_int_equal(probe_mongo_parse(m, n, &r, NULL), -EINVAL);

        assert_int_equal(probe_bson_validate((const uint8_t *)"\x05\x00\x00\x00\x00", 5), 0);
        assert_int_equal(probe_bson_validate((const uint8_t *)"\x05\x00\x00\x00\x01", 5), -EINVAL);
        assert_int_equal(probe_bson_validate((const uint8_t *)"\x06\x00\x00\x00\x00", 5), -EINVAL);
}

static void test_printable(void **state)
{
        char out[8];
        (void)state;

        probe_printable(out, sizeof(out), "ab\x1b[c", 5);
        assert_string_equal(out, "ab?[c");
        probe_printable(out, sizeof(out), "0123456789", 10);
        assert_string_equal(out, "0123...");
        probe_printable(out, sizeof(out), "", 0);
        assert_string_equal(out, "");
}

/* ---- probes end to end ---- */

static probe_target_t target(uint16_t port)
{
        probe_target_t t;
        assert_int_equal(probe_target_init(&t, "127.0.0.1", port), 0);
        t.connect_timeout_ms = 2000;
        t.io_timeout_ms = 5000;
        return t;
}

static void test_target_init(void **state)
{
        probe_target_t t;
        (void)state;

        assert_int_equal(probe_target_init(&t, "::1", 6379), 0);
        assert_int_equal(t.addr.ss_family, AF_INET6);
        assert_int_equal(probe_target_init(&t, "localhost", 1), -EINVAL);
}

static void test_probe_redis(void **state)
{
        size_t np, ni, nn;
        char *pong = fixture("redis_pong", &np), *info = fixture("redis_info", &ni);
        char *noauth = fixture("redis_noauth", &nn);
        canned_step_t open_steps[] = { { FRAME_BYTES, 14, pong, np },
                                       { FRAME_BYTES, 26, info, ni } };
        canned_step_t auth_steps[] = { { FRAME_BYTES, 14, noauth, nn } };
        canned_step_t http_steps[] = { { FRAME_BYTES, 14, "HTTP/1.1 400 Bad\r\n\r\n", 20 } };
        canned_t c;
        probe_result_t r;
        probe_target_t t;
        (void)state;

        assert_int_equal(canned_start(&c, open_steps, 2, 1), 0);
        t = target(c.port);
        assert_int_equal(probe_redis(&t, &r), 0);
        canned_stop(&c);
        assert_int_equal(r.verdict, PROBE_OPEN);
        assert_string_equal(r.version, "7.0.15");
        assert_memory_equal(c.req, "*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n", 26);

        assert_int_equal(canned_start(&c, auth_steps, 1, 1), 0);
        t = target(c.port);
        assert_int_equal(probe_redis(&t, &r), 0);
        canned_stop(&c);
        assert_int_equal(r.verdict, PROBE_PROTECTED);
        assert_string_equal(r.info, "NOAUTH Authentication required.");

        assert_int_equal(canned_start(&c, http_steps, 1, 1), 0);
        t = target(c.port);
        assert_int_equal(probe_redis(&t, &r), 0);
        canned_stop(&c);
        assert_int_equal(r.verdict, PROBE_OTHER);
        free(pong);
        free(info);
        free(noauth);
}

static void test_probe_memcached(void **state)
{
        size_t n;
        char *stats = fixture("memcached_stats", &n);
        canned_step_t steps[] = { { FRAME_CRLF, 0, stats, n } };
        canned_step_t err[] = { { FRAME_CRLF, 0, "CLIENT_ERROR unauthenticated\r\n", 30 } };
        canned_t c;
        probe_result_t r;
        probe_target_t t;
        (void)state;

        assert_int_equal(canned_start(&c, steps, 1, 1), 0);
        t = target(c.port);
        assert_int_equal(probe_memcached(&t, &r), 0);
        canned_stop(&c);
        assert_int_equal(r.verdict, PROBE_OPEN);
        assert_string_equal(r.version, "1.6.18");
        assert_memory_equal(c.req, "stats\r\n", 7);

        assert_int_equal(canned_start(&c, err, 1, 1), 0);
        t = target(c.port);
        assert_int_equal(probe_memcached(&t, &r), 0);
        canned_stop(&c);
        assert_int_equal(r.verdict, PROBE_PROTECTED);
        free(stats);
}

static void test_probe_mysql(void **state)
{
        static const uint8_t ok2[] = "\x07\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00";
        static const uint8_t ok4[] = "\x07\x00\x00\x04\x00\x00\x00\x02\x00\x00\x00";
        static const uint8_t fast_ok[] = "\x02\x00\x00\x02\x01\x03"
                                         "\x07\x00\x00\x03\x00\x00\x00\x02\x00\x00\x00";
        static const uint8_t full_auth[] = "\x02\x00\x00\x02\x01\x04";
        static const uint8_t sw_native[] = "\x2c\x00\x00\x02\xfe"
                                           "mysql_native_password\0"
                                           "0123456789abcdefghij\0";
        static const uint8_t sw_ed[] = "\x2a\x00\x00\x02\xfe"
                                       "client_ed25519\0"
                                       "0123456789abcdefghij0123456";
        size_t ng, nd;
        uint8_t *maria = (uint8_t *)fixture("mysql_greeting", &ng), m8[256];
        char *denied = fixture("mysql_err_denied", &nd);
        size_t n8 = mysql8_greeting(m8);
        canned_t c;
        probe_result_t r;
        probe_target_t t;
        (void)state;

        /* MariaDB, root without a password: OK at once. */
        {
                canned_step_t s[] = { { FRAME_NONE, 0, maria, ng },
                                      { FRAME_MYSQL, 0, ok2, sizeof(ok2) - 1 } };
                assert_int_equal(canned_start(&c, s, 2, 1), 0);
                t = target(c.port);
                assert_int_equal(probe_mysql(&t, &r), 0);
                canned_stop(&c);
                assert_int_equal(r.verdict, PROBE_OPEN);
                assert_string_equal(r.version, "10.11.19-MariaDB-0+deb12u1");
        }
        /* The response: sequence 1, user root, an empty auth response. */
        {
                canned_step_t s[] = { { FRAME_NONE, 0, maria, ng },
                                      { FRAME_MYSQL, 0, denied, nd } };
                assert_int_equal(canned_start(&c, s, 2, 1), 0);
                t = target(c.port);
                assert_int_equal(probe_mysql(&t, &r), 0);
                canned_stop(&c);
                assert_int_equal(r.verdict, PROBE_PROTECTED);
                assert_true(strstr(r.info, "Access denied") != NULL);
                assert_int_equal(c.req[3], 1);
                assert_memory_equal(c.req + 4 + 32, "root\0\0mysql_native_password\0", 28);
        }
        /* MySQL 8: the account's plugin differs, the server switches. */
        {
                canned_step_t s[] = { { FRAME_NONE, 0, m8, n8 },
                                      { FRAME_MYSQL, 0, sw_native, sizeof(sw_native) - 1 },
                                      { FRAME_MYSQL, 0, ok4, sizeof(ok4) - 1 } };
                assert_int_equal(canned_start(&c, s, 3, 1), 0);
                t = target(c.port);
                assert_int_equal(probe_mysql(&t, &r), 0);
                canned_stop(&c);
                assert_int_equal(r.verdict, PROBE_OPEN);
                /* The answer to the switch is an empty packet, sequence 3. */
                assert_int_equal(c.req_len, 4);
                assert_memory_equal(c.req, "\x00\x00\x00\x03", 4);
        }
        /* caching_sha2 fast path: "fast auth ok" and the OK in one read. */
        {
                canned_step_t s[] = { { FRAME_NONE, 0, m8, n8 },
                                      { FRAME_MYSQL, 0, fast_ok, sizeof(fast_ok) - 1 } };
                assert_int_equal(canned_start(&c, s, 2, 1), 0);
                t = target(c.port);
                assert_int_equal(probe_mysql(&t, &r), 0);
                canned_stop(&c);
                assert_int_equal(r.verdict, PROBE_OPEN);
        }
        /* Full authentication wanted: the probe stops. */
        {
                canned_step_t s[] = { { FRAME_NONE, 0, m8, n8 },
                                      { FRAME_MYSQL, 0, full_auth, sizeof(full_auth) - 1 } };
                assert_int_equal(canned_start(&c, s, 2, 1), 0);
                t = target(c.port);
                assert_int_equal(probe_mysql(&t, &r), 0);
                canned_stop(&c);
                assert_int_equal(r.verdict, PROBE_PROTECTED);
        }
        /* ed25519 cannot be answered with an empty response: not tested. */
        {
                canned_step_t s[] = { { FRAME_NONE, 0, maria, ng },
                                      { FRAME_MYSQL, 0, sw_ed, sizeof(sw_ed) - 1 } };
                assert_int_equal(canned_start(&c, s, 2, 1), 0);
                t = target(c.port);
                assert_int_equal(probe_mysql(&t, &r), 0);
                canned_stop(&c);
                assert_int_equal(r.verdict, PROBE_PROTECTED);
                assert_string_equal(r.info, "account uses client_ed25519; not tested");
        }
        free(maria);
        free(denied);
}

static const char docker_version[] =
        "HTTP/1.1 200 OK\r\nApi-Version: 1.43\r\nContent-Type: application/json\r\n"
        "Server: Docker/24.0.7 (linux)\r\nContent-Length: 114\r\n\r\n"
        "{\"Version\":\"24.0.7\",\"ApiVersion\":\"1.43\",\"MinAPIVersion\":\"1.12\",\"Os\":"
        "\"linux\","
        "\"Arch\":\"amd64\",\"KernelVersion\":\"6.1\"}\n";

static const char es_root[] =
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 142\r\n\r\n"
        "{\"name\":\"node-1\",\"cluster_name\":\"prod\",\"version\":{\"number\":\"7.17.9\","
        "\"lucene_version\":\"8.11.1\"},\"tagline\":\"You Know, for Search\",\"x\":\"yyyyyy\"}\n";

static const char es_401[] =
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"security\"\r\n"
        "content-type: application/json\r\ncontent-length: 2\r\n\r\n{}";

static void test_probe_http_family(void **state)
{
        size_t n200, n301;
        char *ok = fixture("http_nginx_200", &n200), *redir = fixture("http_nginx_301", &n301);
        canned_t c;
        probe_result_t r;
        probe_target_t t;
        bool https;
        (void)state;

        {
                canned_step_t s[] = { { FRAME_HTTP, 0, docker_version,
                                        sizeof(docker_version) - 1 } };
                assert_int_equal(canned_start(&c, s, 1, 1), 0);
                t = target(c.port);
                assert_int_equal(probe_docker(&t, &r), 0);
                canned_stop(&c);
                assert_int_equal(r.verdict, PROBE_OPEN);
                assert_string_equal(r.version, "24.0.7");
                assert_string_equal(r.info, "API version 1.43, linux/amd64");
                assert_true(memcmp(c.req, "GET /version HTTP/1.0\r\n", 23) == 0);
        }
        {
                /* nginx is HTTP but not Docker. */
                canned_step_t s[] = { { FRAME_HTTP, 0, ok, n200 } };
                assert_int_equal(canned_start(&c, s, 1, 1), 0);
                t = target(c.port);
                assert_int_equal(probe_docker(&t, &r), 0);
                canned_stop(&c);
                assert_int_equal(r.verdict, PROBE_OTHER);
        }
        {
                canned_step_t s[] = { { FRAME_HTTP, 0, es_root, sizeof(es_root) - 1 } };
                assert_int_equal(canned_start(&c, s, 1, 1), 0);
                t = target(c.port);
                assert_int_equal(probe_elasticsearch(&t, &r), 0);
                canned_stop(&c);
                assert_int_equal(r.verdict, PROBE_OPEN);
                assert_string_equal(r.version, "7.17.9");
                assert_string_equal(r.info, "cluster prod");
        }
        {
                canned_step_t s[] = { { FRAME_HTTP, 0, es_401, sizeof(es_401) - 1 } };
                assert_int_equal(canned_start(&c, s, 1, 1), 0);
                t = target(c.port);
                assert_int_equal(probe_elasticsearch(&t, &r), 0);
                canned_stop(&c);
                assert_int_equal(r.verdict, PROBE_PROTECTED);
        }
        {
                canned_step_t s[] = { { FRAME_HTTP, 0, ok, n200 } };
                assert_int_equal(canned_start(&c, s, 1, 1), 0);
                t = target(c.port);
                assert_int_equal(probe_http(&t, &r, &https), 0);
                canned_stop(&c);
                assert_int_equal(r.verdict, PROBE_OPEN);
                assert_false(https);
                assert_string_equal(r.info, "HTTP 200");
                assert_string_equal(r.version, "nginx/1.22.1");
        }
        {
                canned_step_t s[] = { { FRAME_HTTP, 0, redir, n301 } };
                assert_int_equal(canned_start(&c, s, 1, 1), 0);
                t = target(c.port);
                assert_int_equal(probe_http(&t, &r, &https), 0);
                canned_stop(&c);
                assert_true(https);
                assert_string_equal(r.info, "HTTP 301 -> https://example.org/");
        }
        {
                /* Plain HTTP does not pass for TLS. */
                canned_step_t s[] = { { FRAME_HTTP, 0, ok, n200 } };
                assert_int_equal(canned_start(&c, s, 1, 1), 0);
                t = target(c.port);
                t.io_timeout_ms = 300;
                assert_int_equal(probe_tls(&t, &r), 0);
                canned_stop(&c);
                assert_int_not_equal(r.verdict, PROBE_OPEN);
        }
        free(ok);
        free(redir);
}

static void test_probe_mongodb(void **state)
{
        uint8_t hello[512], ismaster[512], notfound[512], dbs[1024], unauth[512];
        size_t nh = mongo_msg(hello, fill_hello), nm = mongo_msg(ismaster, fill_ismaster);
        size_t nf = mongo_msg(notfound, fill_notfound), nd = mongo_msg(dbs, fill_dbs);
        size_t nu = mongo_msg(unauth, fill_unauth);
        canned_t c;
        probe_result_t r;
        probe_target_t t;
        (void)state;

        {
                canned_step_t s[] = { { FRAME_MONGO, 0, hello, nh }, { FRAME_MONGO, 0, dbs, nd } };
                assert_int_equal(canned_start(&c, s, 2, 1), 0);
                t = target(c.port);
                assert_int_equal(probe_mongodb(&t, &r), 0);
                canned_stop(&c);
                assert_int_equal(r.verdict, PROBE_OPEN);
                assert_string_equal(r.info, "listDatabases answered: 3 databases");
                assert_non_null(memmem(c.req, c.req_len, "listDatabases", 13));
                assert_non_null(memmem(c.req, c.req_len, "nameOnly", 8));
        }
        {
                canned_step_t s[] = { { FRAME_MONGO, 0, hello, nh },
                                      { FRAME_MONGO, 0, unauth, nu } };
                assert_int_equal(canned_start(&c, s, 2, 1), 0);
                t = target(c.port);
                assert_int_equal(probe_mongodb(&t, &r), 0);
                canned_stop(&c);
                assert_int_equal(r.verdict, PROBE_PROTECTED);
                assert_string_equal(r.info,
                                    "code 13: command listDatabases requires authentication");
        }
        {
                /* A server without "hello" gets isMaster. */
                canned_step_t s[] = { { FRAME_MONGO, 0, notfound, nf },
                                      { FRAME_MONGO, 0, ismaster, nm },
                                      { FRAME_MONGO, 0, dbs, nd } };
                assert_int_equal(canned_start(&c, s, 3, 1), 0);
                t = target(c.port);
                assert_int_equal(probe_mongodb(&t, &r), 0);
                canned_stop(&c);
                assert_int_equal(r.verdict, PROBE_OPEN);
        }
}

static void test_no_answer(void **state)
{
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(a);
        probe_target_t t;
        probe_result_t r;
        (void)state;

        /* A port that was free a moment ago: connection refused. */
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
        close(fd);
        t = target(ntohs(a.sin_port));
        assert_int_equal(probe_redis(&t, &r), 0);
        assert_int_equal(r.verdict, PROBE_NO_ANSWER);
        assert_int_equal(probe_mysql(&t, &r), 0);
        assert_int_equal(r.verdict, PROBE_NO_ANSWER);
        assert_int_equal(probe_mongodb(&t, &r), 0);
        assert_int_equal(r.verdict, PROBE_NO_ANSWER);
        assert_int_equal(probe_docker(&t, &r), 0);
        assert_int_equal(r.verdict, PROBE_NO_ANSWER);
        assert_int_equal(probe_tls(&t, &r), 0);
        assert_int_not_equal(r.verdict, PROBE_OPEN);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_redis_parse),       cmocka_unit_test(test_memcached_parse),
                cmocka_unit_test(test_mysql_parse),       cmocka_unit_test(test_http_parse),
                cmocka_unit_test(test_mongo_parse),       cmocka_unit_test(test_printable),
                cmocka_unit_test(test_target_init),       cmocka_unit_test(test_probe_redis),
                cmocka_unit_test(test_probe_memcached),   cmocka_unit_test(test_probe_mysql),
                cmocka_unit_test(test_probe_http_family), cmocka_unit_test(test_probe_mongodb),
                cmocka_unit_test(test_no_answer),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
