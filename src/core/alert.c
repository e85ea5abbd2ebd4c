#include "core/alert.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/hash.h"
#include "core/jsonx.h"
#include "core/text.h"
#include "core/timeutil.h"

static const char *const type_names[ALERT_TYPE__MAX] = {
        [ALERT_ABNORMAL_LOGIN] = "abnormal_login",     [ALERT_MALICIOUS_FILE] = "malicious_file",
        [ALERT_NETWORK_ATTACK] = "network_attack",     [ALERT_DATA_LEAK] = "data_leak",
        [ALERT_CONFIG_RISK] = "config_risk",           [ALERT_COMPLIANCE_RISK] = "compliance_risk",
        [ALERT_ABNORMAL_PROCESS] = "abnormal_process", [ALERT_FILE_TAMPERING] = "file_tampering",
};

const char *alert_type_name(alert_type_t type)
{
        return type < ALERT_TYPE__MAX ? type_names[type] : "unknown";
}

int alert_type_from_name(const char *name, alert_type_t *ret)
{
        for (int i = 0; i < ALERT_TYPE__MAX; i++)
                if (strcmp(name, type_names[i]) == 0) {
                        *ret = (alert_type_t)i;
                        return 0;
                }
        return -EINVAL;
}

const char *alert_level_name(alert_level_t level)
{
        switch (level) {
        case ALERT_URGENT:
                return "urgent";
        case ALERT_SUSPICIOUS:
                return "suspicious";
        case ALERT_REMINDER:
                return "reminder";
        }
        return "unknown";
}

alert_t *alert_new(alert_type_t type, const char *rule, const char *subject, alert_level_t level,
                   int64_t time_us)
{
        uint8_t rnd[ALERT_ID_HEX / 2];
        alert_t *a = calloc(1, sizeof(*a));

        if (!a)
                return NULL;
        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
                free(a);
                return NULL;
        }
        hash_hex(rnd, sizeof(rnd), a->id);
        a->type = type;
        a->level = level;
        a->time_us = time_us;
        a->rule = strdup(rule);
        a->subject = strdup(subject);
        a->evidence = json_object();
        if (!a->rule || !a->subject || !a->evidence) {
                alert_free(a);
                return NULL;
        }
        return a;
}

_printf_(2, 0) static int set_vfmt(char **field, const char *fmt, va_list ap)
{
        char *s;

        if (vasprintf(&s, fmt, ap) < 0)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

int alert_set_title(alert_t *a, const char *fmt, ...)
{
        va_list ap;
        int r;
        va_start(ap, fmt);
        r = set_vfmt(&a->title, fmt, ap);
        va_end(ap);
        return r;
}

int alert_set_remediation(alert_t *a, const char *fmt, ...)
{
        va_list ap;
        int r;
        va_start(ap, fmt);
        r = set_vfmt(&a->remediation, fmt, ap);
        va_end(ap);
        return r;
}

int alert_set_host(alert_t *a, const char *host)
{
        char *h = strdup(host);
        if (!h)
                return -ENOMEM;
        free(a->host);
        a->host = h;
        return 0;
}

int alert_add_evidence_str(alert_t *a, const char *key, const char *value)
{
        return jsonx_set_str(a->evidence, key, value);
}

int alert_add_evidence_int(alert_t *a, const char *key, long long value)
{
        return json_object_set_new(a->evidence, key, json_integer(value)) < 0 ? -ENOMEM : 0;
}

char *alert_dedupe_key(const alert_t *a)
{
        return str_printf("%s\x1f%s\x1f%s", a->rule, a->host ? a->host : "", a->subject);
}

void alert_free(alert_t *a)
{
        if (!a)
                return;
        free(a->rule);
        free(a->subject);
        free(a->host);
        free(a->title);
        free(a->remediation);
        json_decref(a->evidence);
        free(a);
}

json_t *alert_to_json(const alert_t *a)
{
        char when[TIMEUTIL_ISO_LEN];
        json_t *o = json_object();

        if (!o)
                return NULL;
        timeutil_format_iso(a->time_us, when, sizeof(when));
        if (jsonx_set_str(o, "id", a->id) < 0 ||
            jsonx_set_str(o, "type", alert_type_name(a->type)) < 0 ||
            jsonx_set_str(o, "rule", a->rule) < 0 || jsonx_set_str(o, "subject", a->subject) < 0 ||
            jsonx_set_str(o, "level", alert_level_name(a->level)) < 0 ||
            jsonx_set_str(o, "time", when) < 0 || jsonx_set_str(o, "host", a->host) < 0 ||
            jsonx_set_str(o, "title", a->title) < 0 ||
            json_object_set(o, "evidence", a->evidence) < 0 ||
            jsonx_set_str(o, "remediation", a->remediation) < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

/* ---- The fast JSON writer ---- */

/* Deeper evidence is printed by jansson (which also catches cycles). */
#define JSON_FAST_DEPTH 32

/* The length of the valid UTF-8 sequence at S (N bytes left), 0 when the
 * byte starts none. Same acceptance as jansson's check and core/jsonx.c: no
 * overlong forms, no surrogates, nothing above U+10FFFF. S[0] >= 0x80. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
        unsigned char c = s[0];
        size_t len;
        uint32_t cp;

        if (c >= 0xC2 && c <= 0xDF) {
                len = 2;
                cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
                len = 3;
                cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
                len = 4;
                cp = c & 0x07;
        } else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
                return 0;
        return len;
}

#define PUT_LIT(b, lit) buf_append((b), (lit), sizeof(lit) - 1)

/* 1 for the bytes a JSON string cannot hold as they are (control
 * characters, '"', '\\') and for every byte above 0x7F (UTF-8 to check). */
static const uint8_t esc_tab[256] = {
        [0x00 ... 0x1f] = 1,
        ['"'] = 1,
        ['\\'] = 1,
        [0x80 ... 0xff] = 1,
};

static inline bool plain(unsigned char c)
{
        return !esc_tab[c];
}

/* Whether none of the 8 bytes of W needs attention: no control character,
 * no '"', no '\\', nothing above 0x7F. Each test is the classic "some byte
 * is zero / less than N" bit trick, which never misses such a byte. */
static inline bool word_plain(uint64_t w)
{
        const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
        uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\');

        return ((w | ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) |
                 ((bslash - ones) & ~bslash)) &
                high) == 0;
}

/* N bytes of S as a JSON string, escaped as jansson escapes (", \ and the
 * control characters; everything else as is). A byte that is not part of
 * valid UTF-8 becomes U+FFFD when LOSSY (what jsonx_string_lossy stores);
 * otherwise it makes the call fail with -EINVAL, as jansson's dump would. */
static int put_json_str(buf_t *b, const char *str, size_t n, bool lossy)
{
        static const char hex[] = "0123456789ABCDEF";
        const unsigned char *s = (const unsigned char *)str;
        size_t i = 0;
        int r;

        if ((r = PUT_LIT(b, "\"")) < 0)
                return r;
        while (i < n) {
                size_t run = i, len;
                unsigned char c;

                /* Copy what needs no escape in one piece: nearly all text,
                 * scanned 8 bytes at a time while it is plain ASCII. */
                while (run < n) {
                        uint64_t w;

                        c = s[run];
                        if (n - run >= 8 && (memcpy(&w, s + run, sizeof(w)), word_plain(w)))
                                run += 8;
                        else if (plain(c))
                                run++;
                        else if (c >= 0x80 && (len = utf8_seq_len(s + run, n - run)) > 0)
                                run += len;
                        else
                                break;
                }
                if (run > i && (r = buf_append(b, s + i, run - i)) < 0)
                        return r;
                i = run;
                if (i == n)
                        break;
                c = s[i++];
                if (c == '"')
                        r = PUT_LIT(b, "\\\"");
                else if (c == '\\')
                        r = PUT_LIT(b, "\\\\");
                else if (c == '\b')
                        r = PUT_LIT(b, "\\b");
                else if (c == '\f')
                        r = PUT_LIT(b, "\\f");
                else if (c == '\n')
                        r = PUT_LIT(b, "\\n");
                else if (c == '\r')
                        r = PUT_LIT(b, "\\r");
                else if (c == '\t')
                        r = PUT_LIT(b, "\\t");
                else if (c < 0x20) {
                        char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
                        r = buf_append(b, u, sizeof(u));
                } else if (lossy)
                        r = PUT_LIT(b, "\xEF\xBF\xBD");
                else
                        r = -EINVAL;
                if (r < 0)
                        return r;
        }
        return PUT_LIT(b, "\"");
}

/* A C string field: null when missing, like jsonx_set_str. */
static int put_text(buf_t *b, const char *s)
{
        return s ? put_json_str(b, s, strlen(s), true) : PUT_LIT(b, "null");
}

static int put_int(buf_t *b, json_int_t v)
{
        char tmp[24];
        size_t k = sizeof(tmp);
        unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

        do {
                tmp[--k] = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (v < 0)
                tmp[--k] = '-';
        return buf_append(b, tmp + k, sizeof(tmp) - k);
}

/* V as jansson prints it in compact form. -EINVAL: leave it to jansson. */
static int put_value(buf_t *b, const json_t *v, unsigned depth)
{
        int r;

        if (!v || depth > JSON_FAST_DEPTH)
                return -EINVAL;
        switch (json_typeof(v)) {
        case JSON_NULL:
                return PUT_LIT(b, "null");
        case JSON_TRUE:
                return PUT_LIT(b, "true");
        case JSON_FALSE:
                return PUT_LIT(b, "false");
        case JSON_INTEGER:
                return put_int(b, json_integer_value(v));
        case JSON_STRING:
                return put_json_str(b, json_string_value(v), json_string_length(v), false);
        case JSON_ARRAY: {
                size_t i;
                json_t *e;

                if ((r = PUT_LIT(b, "[")) < 0)
                        return r;
                json_array_foreach (v, i, e) {
                        if ((i && (r = PUT_LIT(b, ",")) < 0) ||
                            (r = put_value(b, e, depth + 1)) < 0)
                                return r;
                }
                return PUT_LIT(b, "]");
        }
        case JSON_OBJECT: {
                const char *key;
                size_t klen;
                json_t *e;
                bool first = true;

                if ((r = PUT_LIT(b, "{")) < 0)
                        return r;
                json_object_keylen_foreach((json_t *)v, key, klen, e)
                {
                        if ((!first && (r = PUT_LIT(b, ",")) < 0) ||
                            (r = put_json_str(b, key, klen, false)) < 0 ||
                            (r = PUT_LIT(b, ":")) < 0 || (r = put_value(b, e, depth + 1)) < 0)
                                return r;
                        first = false;
                }
                return PUT_LIT(b, "}");
        }
        case JSON_REAL:
                /* Rare in alerts; jansson's own formatting of doubles is
                 * the one to match. */
                return -EINVAL;
        }
        return -EINVAL;
}

static int write_fast(const alert_t *a, buf_t *b)
{
        char when[TIMEUTIL_ISO_LEN];
        int r;

        timeutil_format_iso(a->time_us, when, sizeof(when));
        if ((r = PUT_LIT(b, "{\"id\":")) < 0 || (r = put_text(b, a->id)) < 0 ||
            (r = PUT_LIT(b, ",\"type\":")) < 0 || (r = put_text(b, alert_type_name(a->type))) < 0 ||
            (r = PUT_LIT(b, ",\"rule\":")) < 0 || (r = put_text(b, a->rule)) < 0 ||
            (r = PUT_LIT(b, ",\"subject\":")) < 0 || (r = put_text(b, a->subject)) < 0 ||
            (r = PUT_LIT(b, ",\"level\":")) < 0 ||
            (r = put_text(b, alert_level_name(a->level))) < 0 ||
            (r = PUT_LIT(b, ",\"time\":")) < 0 || (r = put_text(b, when)) < 0 ||
            (r = PUT_LIT(b, ",\"host\":")) < 0 || (r = put_text(b, a->host)) < 0 ||
            (r = PUT_LIT(b, ",\"title\":")) < 0 || (r = put_text(b, a->title)) < 0 ||
            (r = PUT_LIT(b, ",\"evidence\":")) < 0 || (r = put_value(b, a->evidence, 0)) < 0 ||
            (r = PUT_LIT(b, ",\"remediation\":")) < 0 || (r = put_text(b, a->remediation)) < 0)
                return r;
        return PUT_LIT(b, "}");
}

static int write_jansson(const alert_t *a, buf_t *b)
{
        json_t *o = alert_to_json(a);
        char *s;
        int r;

        if (!o)
                return a->evidence ? -ENOMEM : -EINVAL;
        s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!s)
                return -EINVAL;
        r = buf_append_str(b, s);
        free(s);
        return r;
}

int alert_write_json(const alert_t *a, buf_t *b)
{
        size_t start = b->len;
        int r;

        if (!a->evidence)
                return -EINVAL;
        r = write_fast(a, b);
        if (r == -EINVAL) {
                /* Something only jansson can be trusted to print its way. */
                b->len = start;
                r = write_jansson(a, b);
        }
        if (r < 0 && b->data) {
                b->len = start;
                b->data[start] = 0;
        }
        return r;
}
