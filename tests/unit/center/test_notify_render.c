/* Unit tests for center/notify_render: the chat services' documented
 * text-message shapes, the generic webhook body (the item unchanged, or a
 * digest), a mail message read back with a real parser (python3's email
 * package, when present) and checked for injected header lines, RFC 5424
 * syslog lines with escaped structured data and TCP framing, and cuts of
 * long texts at character boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "center/notify_render.h"

static const char *const hostile = "evil\r\nBcc: v@example.org\r\n\"q\" <b>&] \\ 日本語 \x1b[31m";

static json_t *item(const char *kind, const char *level, const char *title)
{
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:{s:i, s:s}, s:s, s:s, s:{s:s}}", "kind", kind,
                              "id", "a1b2", "level", level, "title", title, "host", "id", 42,
                              "hostname", "web-1", "rule", "ssh.brute_force", "time",
                              "2026-11-23T01:02:03Z", "evidence", "cmd", title);
        assert_non_null(o);
        return o;
}

static bool valid_utf8(const char *s)
{
        json_t *j = json_string(s);
        json_decref(j);
        return j != NULL;
}

static json_t *one(json_t *it)
{
        json_t *a = json_array();
        json_array_append_new(a, it);
        return a;
}

static json_t *render_json(notify_kind_t k, json_t *items)
{
        buf_t b;
        json_t *j;

        buf_init(&b, 1 << 20);
        assert_int_equal(notify_render_webhook(k, items, &b), 0);
        j = json_loads(b.data, 0, NULL);
        assert_non_null(j);
        buf_free(&b);
        return j;
}

static void test_webhooks(void **state)
{
        json_t *items = one(item("alert", "urgent", hostile)), *j, *digest;
        const char *t;

        /* Generic: the item itself, strings unchanged. */
        j = render_json(NOTIFY_WEBHOOK, items);
        assert_true(json_equal(j, json_array_get(items, 0)));
        json_decref(j);
        /* Slack: {"text"} with &, <, > escaped and controls replaced. */
        j = render_json(NOTIFY_SLACK, items);
        assert_int_equal(json_object_size(j), 1);
        t = json_string_value(json_object_get(j, "text"));
        assert_non_null(strstr(t, "[URGENT] alert on web-1: evil  Bcc"));
        assert_non_null(strstr(t, "&lt;b&gt;&amp;]"));
        assert_null(strchr(t, '\x1b'));
        assert_null(strchr(t, '\r'));
        json_decref(j);
        /* DingTalk: {"msgtype": "text", "text": {"content"}}. */
        j = render_json(NOTIFY_DINGTALK, items);
        assert_string_equal(json_string_value(json_object_get(j, "msgtype")), "text");
        t = json_string_value(json_object_get(json_object_get(j, "text"), "content"));
        assert_non_null(strstr(t, "<b>&]"));
        assert_non_null(strstr(t, "rule: ssh.brute_force\n"));
        json_decref(j);
        /* Feishu: {"msg_type": "text", "content": {"text"}}. */
        j = render_json(NOTIFY_FEISHU, items);
        assert_string_equal(json_string_value(json_object_get(j, "msg_type")), "text");
        assert_non_null(
                strstr(json_string_value(json_object_get(json_object_get(j, "content"), "text")),
                       "日本語"));
        json_decref(j);

        /* A digest of 60: the generic webhook gets them all, text lists 50. */
        digest = json_array();
        for (int i = 0; i < 60; i++)
                json_array_append_new(digest, item("finding", "high", "weak ssh"));
        j = render_json(NOTIFY_WEBHOOK, digest);
        assert_string_equal(json_string_value(json_object_get(j, "kind")), "digest");
        assert_int_equal(json_integer_value(json_object_get(j, "count")), 60);
        assert_int_equal(json_array_size(json_object_get(j, "items")), 60);
        json_decref(j);
        j = render_json(NOTIFY_SLACK, digest);
        t = json_string_value(json_object_get(j, "text"));
        assert_non_null(strstr(t, "vigil: 60 new findings"));
        assert_non_null(strstr(t, "... and 10 more"));
        json_decref(j);
        json_decref(digest);

        /* Bad input. */
        {
                buf_t b;
                json_t *empty = json_array(), *bad = json_pack("[i]", 1);
                buf_init(&b, 1024);
                assert_int_equal(notify_render_webhook(NOTIFY_WEBHOOK, empty, &b), -EINVAL);
                assert_int_equal(notify_render_webhook(NOTIFY_SLACK, bad, &b), -EINVAL);
                assert_int_equal(notify_render_webhook(NOTIFY_EMAIL, items, &b), -EINVAL);
                buf_free(&b);
                json_decref(empty);
                json_decref(bad);
        }
        json_decref(items);
}

static void test_long_text_cut(void **state)
{
        /* 3-byte characters: the cut must not split one. */
        size_t n = 3 * 3000;
        char *title = malloc(n + 1);
        json_t *items;
        buf_t b;

        for (size_t i = 0; i < n; i += 3)
                memcpy(title + i, "語", 3);
        title[n] = '\0';
        items = one(item("alert", "reminder", title));
        buf_init(&b, NOTIFY_TEXT_MAX + 64);
        assert_int_equal(notify_render_text(items, false, &b), 0);
        assert_true(b.len <= NOTIFY_TEXT_MAX);
        assert_non_null(strstr(b.data, "(cut: see the console)"));
        assert_true(valid_utf8(b.data));
        buf_free(&b);
        /* The subject is cut too, still valid UTF-8. */
        buf_init(&b, 1024);
        assert_int_equal(notify_render_subject(items, &b), 0);
        assert_true(b.len <= 200);
        assert_true(valid_utf8(b.data));
        buf_free(&b);
        json_decref(items);
        free(title);
}

static void test_mail(void **state)
{
        notify_channel_t ch = { .from = "vigil@example.com", .n_to = 2 };
        json_t *items = one(item("alert", "urgent", hostile));
        char path[] = "/tmp/vigil-notify-mail.XXXXXX", cmd[512];
        FILE *f;
        buf_t b;
        int fd;

        ch.to[0] = "ops@example.com";
        ch.to[1] = "sec@example.com";
        buf_init(&b, 1 << 20);
        assert_int_equal(notify_render_mail(&ch, items, 1795392000LL * 1000000, "abc123", &b), 0);
        /* Header lines: no bare CR or LF, every header line ends in CRLF,
         * and nothing from the host starts a line. */
        {
                const char *end = strstr(b.data, "\r\n\r\n");
                assert_non_null(end);
                for (const char *p = b.data; p < end; p++) {
                        if (*p == '\n')
                                assert_true(p > b.data && p[-1] == '\r');
                        if (*p == '\r')
                                assert_true(p[1] == '\n');
                }
                assert_null(strstr(b.data, "\nBcc"));
                assert_non_null(strstr(b.data, "Date: Mon, 23 Nov 2026 00:00:00 +0000\r\n"));
                assert_non_null(strstr(b.data, "Message-ID: <abc123@vigil.invalid>\r\n"));
                assert_non_null(strstr(b.data, "Subject: =?UTF-8?B?"));
        }
        /* Python's email parser as the oracle, when available. */
        fd = mkstemp(path);
        assert_true(fd >= 0);
        f = fdopen(fd, "w");
        fwrite(b.data, 1, b.len, f);
        fclose(f);
        snprintf(cmd, sizeof(cmd),
                 "python3 -c 'import email,email.policy,sys; "
                 "m=email.message_from_binary_file(open(sys.argv[1],\"rb\"),"
                 "policy=email.policy.default); s=str(m[\"Subject\"]); b=m.get_content(); "
                 "assert m[\"Bcc\"] is None, 1; assert \"\\n\" not in s and \"\\r\" not in s, s; "
                 "assert s.startswith(\"[vigil] [URGENT] alert on web-1: evil  Bcc\"), s; "
                 "assert \"日本語\" in s, s; assert \"rule: ssh.brute_force\" in b, b; "
                 "assert m[\"To\"].addresses[1].addr_spec == \"sec@example.com\"' %s",
                 path);
        if (system("python3 -c 1 2>/dev/null") == 0)
                assert_int_equal(system(cmd), 0);
        unlink(path);
        buf_free(&b);
        /* A Message-ID part that could break the header is refused. */
        buf_init(&b, 1 << 20);
        assert_int_equal(notify_render_mail(&ch, items, 0, "a>\r\nX: y", &b), -EINVAL);
        buf_free(&b);
        json_decref(items);
}

static void test_syslog(void **state)
{
        notify_channel_t ch = { .facility = 16 };
        json_t *it = item("alert", "urgent", hostile);
        const char *want_head = "<130>1 2026-11-23T00:00:00Z center-1 vigil - alert "
                                "[vigil@32473 host_id=\"42\" host=\"web-1\" id=\"a1b2\" "
                                "level=\"urgent\"] \xef\xbb\xbf{";
        json_t *back;
        buf_t b;

        buf_init(&b, NOTIFY_SYSLOG_MAX + 16);
        assert_int_equal(notify_render_syslog(&ch, it, "center-1", 1795392000LL * 1000000, &b), 0);
        assert_memory_equal(b.data, want_head, strlen(want_head));
        assert_null(strchr(b.data, '\n'));
        back = json_loads(b.data + strlen(want_head) - 1, 0, NULL);
        assert_true(json_equal(back, it));
        json_decref(back);

        /* TCP: octet-counting frame; SD values escaped; a bad host name in
         * the header becomes "-". */
        buf_reset(&b);
        ch.tcp = true;
        ch.facility = 4;
        json_object_set_new(json_object_get(it, "host"), "hostname", json_string("a\"b]c\\d"));
        json_object_set_new(it, "level", json_string("low"));
        assert_int_equal(notify_render_syslog(&ch, it, "bad host", 0, &b), 0);
        {
                char *sp = strchr(b.data, ' ');
                assert_non_null(sp);
                assert_int_equal(strtoul(b.data, NULL, 10), b.len - (size_t)(sp + 1 - b.data));
                assert_memory_equal(sp + 1, "<37>1 1970-01-01T00:00:00Z - vigil", 34);
                assert_non_null(strstr(b.data, "host=\"a\\\"b\\]c\\\\d\""));
        }
        /* An item too large for one line loses its bulky fields. */
        {
                char *big = malloc(20000);
                memset(big, 'x', 19999);
                big[19999] = '\0';
                json_object_set_new(it, "evidence", json_pack("{s:s}", "blob", big));
                buf_reset(&b);
                ch.tcp = false;
                assert_int_equal(notify_render_syslog(&ch, it, "c", 0, &b), 0);
                assert_true(b.len <= NOTIFY_SYSLOG_MAX);
                assert_null(strstr(b.data, "\"evidence\""));
                free(big);
        }
        buf_free(&b);
        json_decref(it);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_webhooks),
                cmocka_unit_test(test_long_text_cut),
                cmocka_unit_test(test_mail),
                cmocka_unit_test(test_syslog),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
