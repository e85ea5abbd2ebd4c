#include "center/notify_render.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/macro.h"
#include "core/timeutil.h"

/* Room for the text while it is built; what passes NOTIFY_TEXT_MAX is cut
 * afterwards. */
#define TEXT_WORK_MAX (256 * KiB)
#define SUBJECT_MAX   200

static const char *sget(const json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

static const char *hostname_of(const json_t *item)
{
        const char *h = sget(json_object_get(item, "host"), "hostname");
        return h ? h : "?";
}

/* Append S with every control character (and, unless MULTILINE, every
 * line break) turned into a space, and for Slack &, <, > escaped. S is
 * valid UTF-8 (it came out of jansson). */
static int put_text(buf_t *b, const char *s, bool multiline, bool slack)
{
        int r = 0;

        for (; s && *s && r == 0; s++) {
                unsigned char ch = (unsigned char)*s;
                if (slack && ch == '&')
                        r = buf_append_str(b, "&amp;");
                else if (slack && ch == '<')
                        r = buf_append_str(b, "&lt;");
                else if (slack && ch == '>')
                        r = buf_append_str(b, "&gt;");
                else if (ch == '\n' && multiline)
                        r = buf_append(b, "\n", 1);
                else if (ch < 0x20 || ch == 0x7f)
                        r = buf_append(b, " ", 1);
                else
                        r = buf_append(b, s, 1);
        }
        return r;
}

static void upper(char *s)
{
        for (; *s; s++)
                if (*s >= 'a' && *s <= 'z')
                        *s = (char)(*s - 'a' + 'A');
}

static int check_items(const json_t *items)
{
        size_t i;
        json_t *it;

        if (!json_is_array(items) || json_array_size(items) == 0)
                return -EINVAL;
        json_array_foreach (items, i, it)
                if (!json_is_object(it) || !sget(it, "kind"))
                        return -EINVAL;
        return 0;
}

/* "[URGENT] alert on web-1: title" for one item. */
static int put_headline(buf_t *b, const json_t *it, bool slack)
{
        char level[16];
        int r;

        snprintf(level, sizeof(level), "%s", sget(it, "level") ? sget(it, "level") : "?");
        upper(level);
        r = buf_printf(b, "[%s] %s on ", level,
                       strcmp(sget(it, "kind"), "alert") == 0 ? "alert" : "finding");
        if (r == 0)
                r = put_text(b, hostname_of(it), false, slack);
        if (r == 0)
                r = buf_append_str(b, ": ");
        if (r == 0)
                r = put_text(b, sget(it, "title"), false, slack);
        return r;
}

int notify_render_subject(const json_t *items, buf_t *out)
{
        _cleanup_buf_ buf_t s = { 0 };
        size_t n;
        int r = check_items(items);

        if (r < 0)
                return r;
        buf_init(&s, TEXT_WORK_MAX);
        n = json_array_size(items);
        if (n == 1) {
                r = buf_append_str(&s, "[vigil] ");
                if (r == 0)
                        r = put_headline(&s, json_array_get(items, 0), false);
        } else
                r = buf_printf(&s, "[vigil] %zu new %s (digest)", n,
                               strcmp(sget(json_array_get(items, 0), "kind"), "alert") == 0
                                       ? "alerts"
                                       : "findings");
        if (r < 0)
                return r;
        /* Cut long subjects at a character boundary. */
        n = s.len;
        if (n > SUBJECT_MAX) {
                n = SUBJECT_MAX;
                while (n > 0 && ((unsigned char)s.data[n] & 0xc0) == 0x80)
                        n--;
        }
        return buf_append(out, s.data, n);
}

static int put_field(buf_t *b, const char *label, const char *v, bool multiline, bool slack)
{
        int r;

        if (!v || !*v)
                return 0;
        r = buf_printf(b, "%s: ", label);
        if (r == 0)
                r = put_text(b, v, multiline, slack);
        if (r == 0)
                r = buf_append(b, "\n", 1);
        return r;
}

static int put_item(buf_t *b, const json_t *it, bool slack)
{
        bool alert = strcmp(sget(it, "kind"), "alert") == 0;
        json_t *host = json_object_get(it, "host");
        char hid[32] = "";
        int r;

        if (json_is_integer(json_object_get(host, "id")))
                snprintf(hid, sizeof(hid), "%lld",
                         (long long)json_integer_value(json_object_get(host, "id")));
        r = put_headline(b, it, slack);
        if (r == 0)
                r = buf_append(b, "\n", 1);
        if (r == 0)
                r = put_field(b, "host id", hid, false, slack);
        if (r == 0 && alert) {
                if ((r = put_field(b, "rule", sget(it, "rule"), false, slack)) == 0 &&
                    (r = put_field(b, "type", sget(it, "type"), false, slack)) == 0 &&
                    (r = put_field(b, "subject", sget(it, "subject"), false, slack)) == 0)
                        r = put_field(b, "time", sget(it, "time"), false, slack);
        } else if (r == 0) {
                if ((r = put_field(b, "category", sget(it, "category"), false, slack)) == 0 &&
                    (r = put_field(b, "check", sget(it, "check"), false, slack)) == 0 &&
                    (r = put_field(b, "first seen", sget(it, "first_seen"), false, slack)) == 0)
                        r = put_field(b, "detail", sget(it, "detail"), true, slack);
        }
        if (r == 0)
                r = put_field(b, "id", sget(it, "id"), false, slack);
        if (r == 0)
                r = put_field(b, "fix", sget(it, "remediation"), true, slack);
        return r;
}

int notify_render_text(const json_t *items, bool slack, buf_t *out)
{
        _cleanup_buf_ buf_t t = { 0 };
        size_t n, i, cut;
        json_t *it;
        int r = check_items(items);

        if (r < 0)
                return r;
        buf_init(&t, TEXT_WORK_MAX);
        n = json_array_size(items);
        if (n == 1)
                r = put_item(&t, json_array_get(items, 0), slack);
        else {
                r = buf_printf(&t, "vigil: %zu new %s\n\n", n,
                               strcmp(sget(json_array_get(items, 0), "kind"), "alert") == 0
                                       ? "alerts"
                                       : "findings");
                json_array_foreach (items, i, it) {
                        if (r < 0 || i >= NOTIFY_DIGEST_MAX)
                                break;
                        r = buf_append_str(&t, "- ");
                        if (r == 0)
                                r = put_headline(&t, it, slack);
                        if (r == 0)
                                r = buf_append(&t, "\n", 1);
                }
                if (r == 0 && n > NOTIFY_DIGEST_MAX)
                        r = buf_printf(&t, "... and %zu more\n", n - NOTIFY_DIGEST_MAX);
        }
        /* The work buffer is large; a text that passes even it is cut the
         * same way as a long one. */
        if (r < 0 && r != -E2BIG)
                return r;
        cut = t.len;
        if (cut > NOTIFY_TEXT_MAX || r == -E2BIG) {
                cut = MIN(cut, (size_t)NOTIFY_TEXT_MAX - 32);
                while (cut > 0 && ((unsigned char)t.data[cut] & 0xc0) == 0x80)
                        cut--;
                r = buf_append(out, t.data, cut);
                return r < 0 ? r : buf_append_str(out, "\n(cut: see the console)\n");
        }
        return buf_append(out, t.data ? t.data : "", cut);
}

static int put_json(buf_t *out, json_t *j)
{
        _cleanup_free_ char *s = NULL;

        if (!j)
                return -ENOMEM;
        s = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        return s ? buf_append_str(out, s) : -ENOMEM;
}

int notify_render_webhook(notify_kind_t kind, const json_t *items, buf_t *out)
{
        _cleanup_buf_ buf_t text = { 0 };
        int r = check_items(items);

        if (r < 0)
                return r;
        if (kind == NOTIFY_WEBHOOK) {
                size_t n = json_array_size(items);
                if (n == 1)
                        return put_json(out, json_incref(json_array_get(items, 0)));
                return put_json(out, json_pack("{s:s, s:I, s:O}", "kind", "digest", "count",
                                               (json_int_t)n, "items", items));
        }
        buf_init(&text, NOTIFY_TEXT_MAX + 64);
        r = notify_render_text(items, kind == NOTIFY_SLACK, &text);
        if (r < 0)
                return r;
        switch (kind) {
        case NOTIFY_SLACK:
                /* Slack incoming webhooks: {"text": "..."}. */
                return put_json(out, json_pack("{s:s}", "text", text.data));
        case NOTIFY_DINGTALK:
                /* DingTalk custom robots: a "text" message. */
                return put_json(out, json_pack("{s:s, s:{s:s}}", "msgtype", "text", "text",
                                               "content", text.data));
        case NOTIFY_FEISHU:
                /* Feishu / Lark custom bots: a "text" message. */
                return put_json(out, json_pack("{s:s, s:{s:s}}", "msg_type", "text", "content",
                                               "text", text.data));
        default:
                return -EINVAL;
        }
}

/* ---- mail ---- */

static int put_base64(buf_t *out, const void *p, size_t n, size_t line)
{
        const unsigned char *s = p;
        unsigned char enc[4 * 64 + 1];
        size_t chunk = line / 4 * 3;
        int r = 0;

        if (chunk == 0 || chunk > 3 * 64)
                return -EINVAL;
        for (size_t off = 0; off < n && r == 0; off += chunk) {
                size_t k = MIN(chunk, n - off);
                int m = EVP_EncodeBlock(enc, s + off, (int)k);
                r = buf_append(out, enc, (size_t)m);
                if (r == 0)
                        r = buf_append(out, "\r\n", 2);
        }
        return r;
}

/* The subject as a header value: as is when it is printable ASCII, else
 * RFC 2047 "B" encoded words of at most 45 bytes of text each (60 base64
 * characters, within the 75 the RFC allows), folded onto new lines. */
static int put_subject(buf_t *out, const char *s, size_t n)
{
        bool ascii = true;
        int r = 0;

        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
                        ascii = false;
        if (ascii && n <= 78 - STRLEN("Subject: "))
                return buf_append(out, s, n);
        for (size_t off = 0; off < n && r == 0;) {
                unsigned char enc[64 + 1];
                size_t k = MIN((size_t)45, n - off);
                while (off + k < n && k > 0 && ((unsigned char)s[off + k] & 0xc0) == 0x80)
                        k--;
                int m = EVP_EncodeBlock(enc, (const unsigned char *)s + off, (int)k);
                if (off)
                        r = buf_append(out, "\r\n ", 3);
                if (r == 0)
                        r = buf_printf(out, "=?UTF-8?B?%.*s?=", m, enc);
                off += k;
        }
        return r;
}

int notify_render_mail(const notify_channel_t *ch, const json_t *items, int64_t now_us,
                       const char *msgid, buf_t *out)
{
        static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
        static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        _cleanup_buf_ buf_t subject = { 0 }, body = { 0 };
        time_t t = (time_t)(now_us / 1000000);
        struct tm tm;
        int r;

        if (!ch->from || ch->n_to == 0 || !msgid)
                return -EINVAL;
        for (const char *q = msgid; *q; q++)
                if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
                      (*q >= '0' && *q <= '9') || *q == '.' || *q == '-'))
                        return -EINVAL;
        buf_init(&subject, SUBJECT_MAX + 8);
        buf_init(&body, NOTIFY_TEXT_MAX + 64);
        if ((r = notify_render_subject(items, &subject)) < 0 ||
            (r = notify_render_text(items, false, &body)) < 0)
                return r;
        if (!gmtime_r(&t, &tm))
                return -EINVAL;
        /* From and To were checked when the channel was saved: one mailbox
         * each, printable ASCII, no spaces, brackets or commas. The
         * subject has no control characters (render_subject), so no CR or
         * LF reaches a header from host data. */
        r = buf_printf(out, "From: <%s>\r\nTo: ", ch->from);
        for (size_t i = 0; r == 0 && i < ch->n_to; i++)
                r = buf_printf(out, "%s<%s>", i ? ",\r\n " : "", ch->to[i]);
        if (r == 0)
                r = buf_append_str(out, "\r\nSubject: ");
        if (r == 0)
                r = put_subject(out, subject.data, subject.len);
        if (r == 0)
                r = buf_printf(out,
                               "\r\nDate: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n"
                               "Message-ID: <%s@vigil.invalid>\r\n"
                               "MIME-Version: 1.0\r\n"
                               "Content-Type: text/plain; charset=utf-8\r\n"
                               "Content-Transfer-Encoding: base64\r\n"
                               "Auto-Submitted: auto-generated\r\n"
                               "X-Vigil-Items: %zu\r\n\r\n",
                               wd[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
                               tm.tm_hour, tm.tm_min, tm.tm_sec, msgid, json_array_size(items));
        if (r == 0)
                r = put_base64(out, body.data, body.len, 76);
        return r;
}

/* ---- syslog ---- */

/* RFC 5424 severities: 2 critical, 3 error, 4 warning, 5 notice. */
static int severity(const json_t *it)
{
        const char *l = sget(it, "level");

        if (!l)
                return 5;
        if (strcmp(l, "urgent") == 0)
                return 2;
        if (strcmp(l, "high") == 0)
                return 3;
        if (strcmp(l, "suspicious") == 0 || strcmp(l, "medium") == 0)
                return 4;
        return 5;
}

/* An SD-PARAM value: '"', '\' and ']' escaped with a backslash (RFC 5424
 * 6.3.3); control characters, which receivers split lines on, replaced. */
static int put_sd_value(buf_t *b, const char *s)
{
        int r = 0;

        for (; s && *s && r == 0; s++) {
                unsigned char ch = (unsigned char)*s;
                if (ch == '"' || ch == '\\' || ch == ']')
                        r = buf_printf(b, "\\%c", ch);
                else if (ch < 0x20 || ch == 0x7f)
                        r = buf_append(b, "?", 1);
                else
                        r = buf_append(b, s, 1);
        }
        return r;
}

/* The HOSTNAME header field: 1..255 printable ASCII without spaces, or
 * "-" (RFC 5424 6.2.4). */
static int put_header_name(buf_t *b, const char *s)
{
        size_t n = 0;

        for (const char *q = s; q && *q; q++, n++)
                if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f)
                        return buf_append(b, "-", 1);
        if (n == 0 || n > 255)
                return buf_append(b, "-", 1);
        return buf_append_str(b, s);
}

int notify_render_syslog(const notify_channel_t *ch, const json_t *item, const char *hostname,
                         int64_t now_us, buf_t *out)
{
        static const char *const drop[] = { "evidence", "detail", "remediation" };
        _cleanup_buf_ buf_t line = { 0 };
        char ts[TIMEUTIL_ISO_LEN], hid[32] = "";
        json_t *host = json_object_get(item, "host");
        json_t *copy = NULL;
        int r;

        if (!json_is_object(item) || !sget(item, "kind") || ch->facility < 0 || ch->facility > 23)
                return -EINVAL;
        if (json_is_integer(json_object_get(host, "id")))
                snprintf(hid, sizeof(hid), "%lld",
                         (long long)json_integer_value(json_object_get(host, "id")));
        buf_init(&line, NOTIFY_SYSLOG_MAX);
        timeutil_format_iso(now_us, ts, sizeof(ts));
        r = buf_printf(&line, "<%d>1 %s ", ch->facility * 8 + severity(item), ts);
        if (r == 0)
                r = put_header_name(&line, hostname);
        if (r == 0)
                r = buf_printf(&line, " vigil - %s [vigil@32473 host_id=\"%s\" host=\"",
                               strcmp(sget(item, "kind"), "alert") == 0 ? "alert" : "finding", hid);
        if (r == 0)
                r = put_sd_value(&line, hostname_of(item));
        if (r == 0)
                r = buf_append_str(&line, "\" id=\"");
        if (r == 0)
                r = put_sd_value(&line, sget(item, "id"));
        if (r == 0)
                r = buf_append_str(&line, "\" level=\"");
        if (r == 0)
                r = put_sd_value(&line, sget(item, "level"));
        /* MSG: a UTF-8 BOM, then the item as compact JSON (which has no
         * raw line breaks). Long items lose their bulky fields first. */
        if (r == 0)
                r = buf_append_str(&line, "\"] \xef\xbb\xbf");
        if (r < 0)
                return r;
        {
                size_t mark = line.len;
                r = put_json(&line, json_incref((json_t *)item));
                if (r == -E2BIG) {
                        line.len = mark;
                        line.data[mark] = '\0';
                        copy = json_deep_copy(item);
                        if (!copy)
                                return -ENOMEM;
                        for (size_t i = 0; i < ELEMENTSOF(drop); i++)
                                json_object_del(copy, drop[i]);
                        r = put_json(&line, copy);
                }
                if (r < 0)
                        return r;
        }
        if (ch->tcp) {
                r = buf_printf(out, "%zu ", line.len);
                if (r < 0)
                        return r;
        }
        return buf_append(out, line.data, line.len);
}
