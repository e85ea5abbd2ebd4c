/* Unit tests for scan/weakpass/mysqlauth: the handshake packet of a real
 * MariaDB 10.11 server (captured into the fixtures), replies, malformed
 * packets, and the scramble of both methods against vectors computed with
 * Python's hashlib. The integration test logs in to a running server. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/hash.h"
#include "scan/weakpass/mysqlauth.h"

static void test_real_handshake(void **state)
{
        char path[512];
        const char *dir = getenv("VIGIL_FIXTURES");
        uint8_t buf[512];
        mysqlauth_handshake_t hs;
        size_t n;
        FILE *f;

        (void)state;
        snprintf(path, sizeof(path), "%s/weakpass/mariadb-handshake.bin",
                 dir ? dir : "tests/fixtures");
        f = fopen(path, "rb");
        assert_non_null(f);
        n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        assert_true(n > 4);
        assert_int_equal(buf[0] | (buf[1] << 8) | (buf[2] << 16), n - 4);
        assert_int_equal(mysqlauth_parse_handshake(buf + 4, n - 4, &hs), 0);
        assert_int_equal(hs.protocol, 10);
        assert_string_equal(hs.server_version, "5.5.5-10.11.19-MariaDB-0+deb12u1");
        assert_int_equal(hs.scramble_len, 20);
        assert_memory_equal(hs.scramble, "W24Mf;2(nv%TU14Qx+iS", 20);
        assert_string_equal(hs.plugin, "mysql_native_password");
        assert_true(hs.capabilities & 0x8000);
        /* Every truncation is either rejected or parsed within bounds. */
        for (size_t k = 0; k < n - 4; k++) {
                int r = mysqlauth_parse_handshake(buf + 4, k, &hs);
                assert_true(r == 0 || r == -EPROTO);
        }
}

static void test_error_handshake(void **state)
{
        static const uint8_t err[] = "\xff\x69\x04Host '10.0.0.1' is blocked\x01";
        mysqlauth_handshake_t hs;

        (void)state;
        assert_int_equal(mysqlauth_parse_handshake(err, sizeof(err) - 1, &hs), 0);
        assert_int_equal(hs.protocol, 0xff);
        assert_int_equal(hs.error_code, 1129);
        /* Control bytes from the server are dropped. */
        assert_string_equal(hs.message, "Host '10.0.0.1' is blocked");
        assert_int_equal(mysqlauth_parse_handshake((const uint8_t *)"\x09xx", 3, &hs), -EPROTO);
        assert_int_equal(mysqlauth_parse_handshake((const uint8_t *)"\x0a"
                                                                    "5.7",
                                                   4, &hs),
                         -EPROTO);
        assert_int_equal(mysqlauth_parse_handshake(NULL, 0, &hs), -EPROTO);
}

static void test_replies(void **state)
{
        mysqlauth_reply_t rep;
        static const uint8_t ok[] = { 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00 };
        static const uint8_t err[] = "\xff\x15\x04#28000Access denied for user 'root'";
        static const uint8_t sw[] = "\xfe"
                                    "caching_sha2_password\0"
                                    "0123456789abcdefghij\0";
        static const uint8_t more[] = { 0x01, 0x04 };

        (void)state;
        assert_int_equal(mysqlauth_parse_reply(ok, sizeof(ok), &rep), 0);
        assert_int_equal(rep.kind, MYSQLAUTH_REPLY_OK);
        assert_int_equal(mysqlauth_parse_reply(err, sizeof(err) - 1, &rep), 0);
        assert_int_equal(rep.kind, MYSQLAUTH_REPLY_ERR);
        assert_int_equal(rep.error_code, 1045);
        assert_string_equal(rep.message, "Access denied for user 'root'");
        assert_int_equal(mysqlauth_parse_reply(sw, sizeof(sw) - 1, &rep), 0);
        assert_int_equal(rep.kind, MYSQLAUTH_REPLY_SWITCH);
        assert_string_equal(rep.plugin, "caching_sha2_password");
        assert_int_equal(rep.data_len, 20);
        assert_memory_equal(rep.data, "0123456789abcdefghij", 20);
        assert_int_equal(mysqlauth_parse_reply((const uint8_t *)"\xfe", 1, &rep), 0);
        assert_string_equal(rep.plugin, "mysql_old_password");
        assert_int_equal(mysqlauth_parse_reply((const uint8_t *)"\xfe"
                                                                "noterm",
                                               7, &rep),
                         -EPROTO);
        assert_int_equal(mysqlauth_parse_reply(more, sizeof(more), &rep), 0);
        assert_int_equal(rep.kind, MYSQLAUTH_REPLY_MORE_DATA);
        assert_int_equal(rep.data[0], 4);
        assert_int_equal(mysqlauth_parse_reply((const uint8_t *)"\x07", 1, &rep), -EPROTO);
}

static void test_row(void **state)
{
        char out[16];

        (void)state;
        assert_int_equal(
                mysqlauth_parse_row((const uint8_t *)"\x0eroot@localhost", 15, out, sizeof(out)),
                0);
        assert_string_equal(out, "root@localhost");
        /* Kept within the output buffer. */
        assert_int_equal(mysqlauth_parse_row((const uint8_t *)"\x14"
                                                              "abcdefghijklmnopqrst",
                                             21, out, sizeof(out)),
                         0);
        assert_string_equal(out, "abcdefghijklmno");
        assert_int_equal(
                mysqlauth_parse_row((const uint8_t *)"\x0a@localhost", 11, out, sizeof(out)), 0);
        assert_string_equal(out, "@localhost");
        assert_int_equal(mysqlauth_parse_row((const uint8_t *)"\x09short", 6, out, sizeof(out)),
                         -EPROTO);
        assert_int_equal(mysqlauth_parse_row((const uint8_t *)"\xfb", 1, out, sizeof(out)),
                         -ENODATA);
        assert_int_equal(mysqlauth_parse_row((const uint8_t *)"\xfc\x02\x00"
                                                              "ab",
                                             5, out, sizeof(out)),
                         0);
        assert_string_equal(out, "ab");
        assert_int_equal(mysqlauth_parse_row((const uint8_t *)"\xfe\x00\x00", 3, out, sizeof(out)),
                         -EPROTO);
}

static void test_scramble(void **state)
{
        static const uint8_t s[] = "W24Mf;2(nv%TU14Qx+iS";
        uint8_t out[32];
        char hex[65];
        size_t n;

        (void)state;
        assert_int_equal(mysqlauth_scramble("mysql_native_password", "password", s, 20, out, &n),
                         0);
        assert_int_equal(n, 20);
        hash_hex(out, n, hex);
        assert_string_equal(hex, "824a21d7948f6d6ef76ea908acb1a3e94da59600");
        assert_int_equal(mysqlauth_scramble("caching_sha2_password", "password", s, 20, out, &n),
                         0);
        assert_int_equal(n, 32);
        hash_hex(out, n, hex);
        assert_string_equal(hex,
                            "4d75fda4da68c654c903e049e7d8cd599e01a52af425d43b0ecbe58b23893109");
        /* The empty password sends nothing. */
        assert_int_equal(mysqlauth_scramble("mysql_native_password", "", s, 20, out, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(mysqlauth_scramble("client_ed25519", "x", s, 20, out, &n), -EOPNOTSUPP);
        assert_int_equal(mysqlauth_scramble("mysql_native_password", "x", s, 8, out, &n), -EPROTO);
}

static void test_no_server(void **state)
{
        mysqlauth_endpoint_t ep = { .unix_path = "/nonexistent/vigil/mysql.sock" };
        mysqlauth_result_t res;

        (void)state;
        assert_int_equal(mysqlauth_try(&ep, "root", "", 500, &res), -ENOENT);
        ep = (mysqlauth_endpoint_t){ .host = "not-an-address", .port = 3306 };
        assert_int_equal(mysqlauth_try(&ep, "root", "", 500, &res), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_real_handshake), cmocka_unit_test(test_error_handshake),
                cmocka_unit_test(test_replies),        cmocka_unit_test(test_row),
                cmocka_unit_test(test_scramble),       cmocka_unit_test(test_no_server),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
