/* Unit tests for scan/weakpass/redisconf: Redis' argument splitting and the
 * user model (requirepass, "user" lines, aclfile, includes). The rules
 * tested here were checked against redis-server 7 by hand and are checked
 * again by the integration test with a running server. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan/weakpass/redisconf.h"

static void split_ok(const char *line, size_t n_expect, ...)
{
        strv_t v = { 0 };
        va_list ap;

        assert_int_equal(redisconf_split(line, strlen(line), &v), 0);
        assert_int_equal(v.n, n_expect);
        va_start(ap, n_expect);
        for (size_t i = 0; i < n_expect; i++)
                assert_string_equal(v.v[i], va_arg(ap, const char *));
        va_end(ap);
        strv_clear(&v);
}

static void test_split(void **state)
{
        strv_t v = { 0 };

        (void)state;
        split_ok("requirepass secret", 2, "requirepass", "secret");
        split_ok("  a\t b  ", 2, "a", "b");
        split_ok("requirepass \"with space\"", 2, "requirepass", "with space");
        split_ok("x \"a\\x41\\n\\\"q\"", 2, "x", "aA\n\"q");
        split_ok("x 'it\\'s'", 2, "x", "it's");
        split_ok("x ''", 2, "x", "");
        /* A quote may open in the middle of an argument. */
        split_ok("x ab\"c d\"", 2, "x", "abc d");
        /* \x with bad digits is just an escaped 'x'. */
        split_ok("x \"\\xzz\"", 2, "x", "xzz");
        assert_int_equal(redisconf_split("x \"open", 7, &v), -EINVAL);
        assert_int_equal(redisconf_split("x \"a\"b", 6, &v), -EINVAL);
        assert_int_equal(redisconf_split("x 'a'b", 6, &v), -EINVAL);
        assert_int_equal(redisconf_split("x \"a\\x00b\"", 10, &v), -EINVAL);
}

static const redis_user_t *user(const redisconf_t *c, const char *name)
{
        for (size_t i = 0; i < c->n_users; i++)
                if (strcmp(c->users[i].name, name) == 0)
                        return &c->users[i];
        return NULL;
}

static redisconf_t parse(const char *text)
{
        redisconf_t c;

        assert_int_equal(redisconf_init(&c), 0);
        assert_int_equal(redisconf_parse(&c, text, strlen(text), "redis.conf", NULL, NULL, NULL),
                         0);
        assert_int_equal(redisconf_finish(&c), 0);
        return c;
}

static void test_requirepass(void **state)
{
        redisconf_t c;
        const redis_user_t *u;

        (void)state;
        /* No password at all: the default user is on and nopass. */
        c = parse("port 6379\n# requirepass commented\n");
        u = user(&c, "default");
        assert_true(u->on && u->nopass);
        redisconf_clear(&c);

        c = parse("requirepass first\nREQUIREPASS \"s3cret pass\"\n");
        u = user(&c, "default");
        assert_true(u->on);
        assert_false(u->nopass);
        assert_int_equal(u->passwords.n, 1);
        assert_string_equal(u->passwords.v[0], "s3cret pass");
        assert_string_equal(u->where, "redis.conf:2");
        redisconf_clear(&c);

        /* An empty requirepass takes the password away again. */
        c = parse("requirepass x\nrequirepass \"\"\n");
        assert_true(user(&c, "default")->nopass);
        redisconf_clear(&c);
}

static void test_user_lines(void **state)
{
        redisconf_t c;
        const redis_user_t *u;
        static const char hex[] =
                "5E884898DA28047151D0E56F8DC6292773603D0D6AABBDD62A11EF721D1542D8";

        (void)state;
        /* A "user default" line wins over requirepass, wherever it is. */
        c = parse("user default on nopass ~* +@all\nrequirepass Str0ng-Pass-xyz\n");
        u = user(&c, "default");
        assert_true(u->on && u->nopass);
        assert_int_equal(u->passwords.n, 0);
        redisconf_clear(&c);

        /* A user line starts from scratch: without "on" the user is off. */
        c = parse("user default >pw ~*\n");
        assert_false(user(&c, "default")->on);
        redisconf_clear(&c);

        char text[512];
        snprintf(text, sizeof(text),
                 "user app on >one >two <one ~* +@all\n"
                 "user h on #%s\n"
                 "user gone on >x resetpass\n"
                 "user bad on #123\n"
                 "user np on >x nopass\n"
                 "user np2 on nopass >y\n",
                 hex);
        report_t *r = report_new("h", "/");
        assert_int_equal(redisconf_init(&c), 0);
        assert_int_equal(redisconf_parse(&c, text, strlen(text), "redis.conf", r, NULL, NULL), 0);
        assert_int_equal(redisconf_finish(&c), 0);
        u = user(&c, "app");
        assert_int_equal(u->passwords.n, 1);
        assert_string_equal(u->passwords.v[0], "two");
        u = user(&c, "h");
        assert_int_equal(u->hashes.n, 1);
        assert_string_equal(u->hashes.v[0],
                            "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8");
        u = user(&c, "gone");
        assert_true(u->on);
        assert_false(u->nopass);
        assert_int_equal(u->passwords.n, 0);
        assert_true(user(&c, "np")->nopass);
        assert_false(user(&c, "np2")->nopass);
        assert_int_equal(r->n_notes, 1);
        assert_string_equal(r->notes[0].source, "redis.conf:4");
        report_free(r);
        redisconf_clear(&c);
}

static void test_aclfile(void **state)
{
        static const char acl[] = "user alice on >alicepw ~* +@all\n";
        redisconf_t c;

        (void)state;
        /* With an aclfile, requirepass does not protect the default user
         * unless the file defines it (checked with redis-server 7.0). */
        c = parse("requirepass Str0ng-Pass-xyz\naclfile /etc/redis/users.acl\n");
        assert_string_equal(c.aclfile, "/etc/redis/users.acl");
        redisconf_clear(&c);

        assert_int_equal(redisconf_init(&c), 0);
        assert_int_equal(redisconf_parse(&c, "requirepass Str0ng\naclfile u.acl\n", 34, "r.conf",
                                         NULL, NULL, NULL),
                         0);
        assert_int_equal(redisconf_parse_aclfile(&c, acl, sizeof(acl) - 1, "u.acl", NULL), 0);
        assert_int_equal(redisconf_finish(&c), 0);
        assert_true(user(&c, "default")->on && user(&c, "default")->nopass);
        assert_non_null(user(&c, "alice"));
        redisconf_clear(&c);

        static const char acl2[] = "user default on >longer-password-1\nport 1\n";
        report_t *r = report_new("h", "/");
        assert_int_equal(redisconf_init(&c), 0);
        assert_int_equal(redisconf_parse_aclfile(&c, acl2, sizeof(acl2) - 1, "u.acl", r), 0);
        assert_int_equal(redisconf_finish(&c), 0);
        assert_false(user(&c, "default")->nopass);
        assert_int_equal(r->n_notes, 1);
        assert_string_equal(r->notes[0].source, "u.acl:2");
        report_free(r);
        redisconf_clear(&c);
}

static int seen_includes;

static int on_include(const char *path, const char *where, void *userdata)
{
        redisconf_t *c = userdata;
        static const char inc[] = "requirepass from-include\n";

        assert_string_equal(path, "/etc/redis/local.conf");
        assert_string_equal(where, "main:2");
        seen_includes++;
        return redisconf_parse(c, inc, sizeof(inc) - 1, "inc", NULL, NULL, NULL);
}

static void test_include_order(void **state)
{
        static const char main_conf[] = "requirepass before\ninclude /etc/redis/local.conf\n";
        static const char main2[] = "include /etc/redis/local.conf\nrequirepass after\n";
        redisconf_t c;

        (void)state;
        assert_int_equal(redisconf_init(&c), 0);
        assert_int_equal(
                redisconf_parse(&c, main_conf, sizeof(main_conf) - 1, "main", NULL, on_include, &c),
                0);
        assert_int_equal(redisconf_finish(&c), 0);
        assert_string_equal(user(&c, "default")->passwords.v[0], "from-include");
        redisconf_clear(&c);

        assert_int_equal(redisconf_init(&c), 0);
        assert_int_equal(redisconf_parse(&c, main2, sizeof(main2) - 1, "main", NULL, NULL, NULL),
                         0);
        assert_int_equal(redisconf_finish(&c), 0);
        assert_string_equal(user(&c, "default")->passwords.v[0], "after");
        redisconf_clear(&c);
        assert_int_equal(seen_includes, 1);
}

static void test_bad_lines(void **state)
{
        static const char text[] =
                "requirepass \"unterminated\nrequirepass a b\n\nrequirepass ok\n";
        report_t *r = report_new("h", "/");
        redisconf_t c;

        (void)state;
        assert_int_equal(redisconf_init(&c), 0);
        assert_int_equal(redisconf_parse(&c, text, sizeof(text) - 1, "f", r, NULL, NULL), 0);
        assert_int_equal(redisconf_finish(&c), 0);
        assert_int_equal(r->n_notes, 2);
        assert_string_equal(r->notes[0].source, "f:1");
        assert_string_equal(r->notes[1].source, "f:2");
        assert_string_equal(user(&c, "default")->passwords.v[0], "ok");
        report_free(r);
        redisconf_clear(&c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_split),         cmocka_unit_test(test_requirepass),
                cmocka_unit_test(test_user_lines),    cmocka_unit_test(test_aclfile),
                cmocka_unit_test(test_include_order), cmocka_unit_test(test_bad_lines),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
