#include "scan/weakpass/pghba.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/text.h"

/* One field of a record: its text without quotes, and whether any part of
 * it was quoted (a quoted "all" is a name, not the keyword). */
typedef struct field {
        char *text;
        bool quoted;
} field_t;

typedef struct record {
        field_t f[PGHBA_MAX_TOKENS];
        size_t n;
} record_t;

static void record_clear(record_t *rec)
{
        for (size_t i = 0; i < rec->n; i++)
                free(rec->f[i].text);
        rec->n = 0;
}

static bool is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Split a record into fields. A token ending in an unquoted comma continues
 * the same field with the next token ("db1, db2" is one field), as in
 * PostgreSQL. Returns 0, -EINVAL for an unterminated quote, -E2BIG for too
 * many fields, -ENOMEM. */
static int tokenize(const char *p, size_t n, record_t *rec)
{
        _cleanup_buf_ buf_t cur;
        bool in_field = false, quoted = false;
        size_t i = 0;
        int r;

        buf_init(&cur, PGHBA_LINE_MAX);
        rec->n = 0;
        while (i < n) {
                bool in_quote = false, ends_comma = false;

                while (i < n && is_blank(p[i]))
                        i++;
                if (i >= n || p[i] == '#')
                        break;
                /* One token. */
                while (i < n && (in_quote || !is_blank(p[i]))) {
                        char c = p[i++];
                        if (c == '"') {
                                in_quote = !in_quote;
                                quoted = true;
                                ends_comma = false;
                                continue;
                        }
                        if (!in_quote && c == '#') {
                                i--;
                                break;
                        }
                        if ((r = buf_append(&cur, &c, 1)) < 0)
                                return r;
                        ends_comma = !in_quote && c == ',';
                }
                if (in_quote)
                        return -EINVAL;
                in_field = true;
                if (ends_comma)
                        continue;
                if (rec->n >= PGHBA_MAX_TOKENS)
                        return -E2BIG;
                rec->f[rec->n].text = buf_take(&cur);
                if (!rec->f[rec->n].text)
                        return -ENOMEM;
                rec->f[rec->n++].quoted = quoted;
                quoted = false;
                in_field = false;
        }
        if (in_field) {
                /* The record ended on a trailing comma. */
                if (rec->n >= PGHBA_MAX_TOKENS)
                        return -E2BIG;
                rec->f[rec->n].text = buf_take(&cur);
                if (!rec->f[rec->n].text)
                        return -ENOMEM;
                rec->f[rec->n++].quoted = quoted;
        }
        return 0;
}

static bool is_loopback_v4(const struct in_addr *a, unsigned prefix)
{
        return prefix >= 8 && (ntohl(a->s_addr) >> 24) == 127;
}

static bool is_loopback_v6(const struct in6_addr *a, unsigned prefix)
{
        static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

        if (prefix == 128 && IN6_IS_ADDR_LOOPBACK(a))
                return true;
        return prefix >= 104 && memcmp(a->s6_addr, mapped, 12) == 0 && a->s6_addr[12] == 127;
}

/* Leading one bits of a mask, or -1 when it is not a mask of that form. */
static int mask_prefix(const uint8_t *m, size_t len)
{
        int bits = 0;
        size_t i = 0;

        while (i < len && m[i] == 0xff) {
                bits += 8;
                i++;
        }
        if (i < len) {
                uint8_t b = m[i++];
                while (b & 0x80) {
                        bits++;
                        b = (uint8_t)(b << 1);
                }
                if (b)
                        return -1;
        }
        for (; i < len; i++)
                if (m[i])
                        return -1;
        return bits;
}

int pghba_address_scope(const char *address, const char *mask, pghba_scope_t *ret)
{
        struct in_addr a4;
        struct in6_addr a6;
        char host[INET6_ADDRSTRLEN + 8];
        const char *slash = strchr(address, '/');
        unsigned long long prefix;
        int v;

        if (!mask && (strcmp(address, "all") == 0 || strcmp(address, "samenet") == 0)) {
                *ret = PGHBA_SCOPE_REMOTE;
                return 0;
        }
        if (!mask && strcmp(address, "samehost") == 0) {
                *ret = PGHBA_SCOPE_LOOPBACK;
                return 0;
        }
        if (slash) {
                size_t hn = (size_t)(slash - address);
                if (mask || hn == 0 || hn >= sizeof(host) || str_to_u64(slash + 1, &prefix) < 0)
                        return -EINVAL;
                memcpy(host, address, hn);
                host[hn] = 0;
                if (inet_pton(AF_INET, host, &a4) == 1) {
                        if (prefix > 32)
                                return -EINVAL;
                        *ret = is_loopback_v4(&a4, (unsigned)prefix) ? PGHBA_SCOPE_LOOPBACK
                                                                     : PGHBA_SCOPE_REMOTE;
                        return 0;
                }
                if (inet_pton(AF_INET6, host, &a6) == 1) {
                        if (prefix > 128)
                                return -EINVAL;
                        *ret = is_loopback_v6(&a6, (unsigned)prefix) ? PGHBA_SCOPE_LOOPBACK
                                                                     : PGHBA_SCOPE_REMOTE;
                        return 0;
                }
                return -EINVAL;
        }
        if (mask) {
                struct in_addr m4;
                struct in6_addr m6;
                if (inet_pton(AF_INET, address, &a4) == 1 && inet_pton(AF_INET, mask, &m4) == 1) {
                        v = mask_prefix((const uint8_t *)&m4.s_addr, 4);
                        if (v < 0)
                                return -EINVAL;
                        *ret = is_loopback_v4(&a4, (unsigned)v) ? PGHBA_SCOPE_LOOPBACK
                                                                : PGHBA_SCOPE_REMOTE;
                        return 0;
                }
                if (inet_pton(AF_INET6, address, &a6) == 1 && inet_pton(AF_INET6, mask, &m6) == 1) {
                        v = mask_prefix(m6.s6_addr, 16);
                        if (v < 0)
                                return -EINVAL;
                        *ret = is_loopback_v6(&a6, (unsigned)v) ? PGHBA_SCOPE_LOOPBACK
                                                                : PGHBA_SCOPE_REMOTE;
                        return 0;
                }
                return -EINVAL;
        }
        /* A bare address needs a mask; anything else is a host name. */
        if (inet_pton(AF_INET, address, &a4) == 1 || inet_pton(AF_INET6, address, &a6) == 1)
                return -EINVAL;
        if (!address[0])
                return -EINVAL;
        *ret = strcmp(address, "localhost") == 0 ? PGHBA_SCOPE_LOOPBACK : PGHBA_SCOPE_REMOTE;
        return 0;
}

static int warn(report_t *r, const char *where, const char *msg)
{
        if (r && report_note(r, REPORT_NOTE_WARNING, where, "%s", msg) < 0)
                return -ENOMEM;
        return 0;
}

static bool is_host_type(const char *t)
{
        return strcmp(t, "host") == 0 || strcmp(t, "hostssl") == 0 || strcmp(t, "hostnossl") == 0 ||
               strcmp(t, "hostgssenc") == 0 || strcmp(t, "hostnogssenc") == 0;
}

static int handle_record(record_t *rec, const char *where, report_t *r, pghba_rule_fn on_rule,
                         pghba_include_fn include, void *userdata)
{
        const char *type = rec->f[0].text;
        pghba_rule_t rule = { 0 };
        _cleanup_free_ char *address = NULL;
        size_t i;
        int ret;

        if (strcmp(type, "include") == 0 || strcmp(type, "include_if_exists") == 0 ||
            strcmp(type, "include_dir") == 0) {
                if (rec->n != 2)
                        return warn(r, where, "include directive needs exactly one file name");
                if (!include)
                        return 0;
                return include(type[7] == 0     ? PGHBA_INCLUDE
                               : type[8] == 'i' ? PGHBA_INCLUDE_IF_EXISTS
                                                : PGHBA_INCLUDE_DIR,
                               rec->f[1].text, where, userdata);
        }
        rule.type = rec->f[0].text;
        if (strcmp(type, "local") == 0) {
                if (rec->n < 4)
                        return warn(r, where, "a local record needs database, user and method");
                rule.database = rec->f[1].text;
                rule.user = rec->f[2].text;
                rule.method = rec->f[3].text;
                rule.scope = PGHBA_SCOPE_SOCKET;
        } else if (is_host_type(type)) {
                const char *mask = NULL;
                if (rec->n < 5)
                        return warn(r, where,
                                    "a host record needs database, user, address and method");
                rule.database = rec->f[1].text;
                rule.user = rec->f[2].text;
                i = 4;
                /* A bare IP address takes its mask from the next field. */
                if (!strchr(rec->f[3].text, '/') && !rec->f[3].quoted) {
                        struct in6_addr tmp;
                        if (inet_pton(AF_INET, rec->f[3].text, &tmp) == 1 ||
                            inet_pton(AF_INET6, rec->f[3].text, &tmp) == 1) {
                                if (rec->n < 6)
                                        return warn(r, where,
                                                    "an IP address without /prefix needs a "
                                                    "mask field and a method");
                                mask = rec->f[4].text;
                                i = 5;
                        }
                }
                if (rec->f[3].quoted) {
                        /* A quoted keyword is a host name (PostgreSQL). */
                        rule.scope = strcmp(rec->f[3].text, "localhost") == 0 ? PGHBA_SCOPE_LOOPBACK
                                                                              : PGHBA_SCOPE_REMOTE;
                } else if (pghba_address_scope(rec->f[3].text, mask, &rule.scope) < 0)
                        return warn(r, where, "invalid client address; record skipped");
                address = mask ? str_printf("%s %s", rec->f[3].text, mask) : strdup(rec->f[3].text);
                if (!address)
                        return -ENOMEM;
                rule.address = address;
                rule.method = rec->f[i].text;
        } else
                return warn(r, where, "unknown connection type; record skipped");
        if (!rule.method[0])
                return warn(r, where, "empty authentication method; record skipped");
        ret = on_rule ? on_rule(&rule, where, userdata) : 0;
        return ret;
}

int pghba_parse(const char *data, size_t len, const char *source, report_t *r,
                pghba_rule_fn on_rule, pghba_include_fn include, void *userdata)
{
        _cleanup_buf_ buf_t line;
        size_t pos = 0, lineno = 0;
        int ret = 0;
        record_t *rec = calloc(1, sizeof(*rec));

        if (!rec)
                return -ENOMEM;
        buf_init(&line, PGHBA_LINE_MAX);
        while (pos < len && ret == 0) {
                size_t first = lineno + 1;
                bool too_long = false;
                _cleanup_free_ char *where = NULL;

                buf_reset(&line);
                /* Join continuation lines into one record. */
                for (;;) {
                        const char *nl = memchr(data + pos, '\n', len - pos);
                        size_t end = nl ? (size_t)(nl - data) : len;
                        size_t n = end - pos;
                        bool cont;

                        lineno++;
                        while (n > 0 && data[pos + n - 1] == '\r')
                                n--;
                        cont = n > 0 && data[pos + n - 1] == '\\';
                        if (cont)
                                n--;
                        if (!too_long && buf_append(&line, data + pos, n) == -E2BIG)
                                too_long = true;
                        pos = end + 1;
                        if (!cont || pos >= len)
                                break;
                }
                where = str_printf("%s:%zu", source, first);
                if (!where) {
                        ret = -ENOMEM;
                        break;
                }
                if (too_long) {
                        ret = warn(r, where, "record too long; skipped");
                        continue;
                }
                if (line.len && memchr(line.data, 0, line.len)) {
                        ret = warn(r, where, "record holds a NUL byte; skipped");
                        continue;
                }
                ret = tokenize(line.data ? line.data : "", line.len, rec);
                if (ret == -EINVAL || ret == -E2BIG) {
                        ret = warn(r, where,
                                   ret == -EINVAL ? "unterminated quote; record skipped"
                                                  : "too many fields; record skipped");
                        record_clear(rec);
                        continue;
                }
                if (ret == 0 && rec->n > 0)
                        ret = handle_record(rec, where, r, on_rule, include, userdata);
                record_clear(rec);
        }
        record_clear(rec);
        free(rec);
        return ret;
}
