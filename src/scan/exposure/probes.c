#include "scan/exposure/probes.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/text.h"

#define DEFAULT_CONNECT_MS 1000
#define DEFAULT_IO_MS      2000

/* ---- small helpers ------------------------------------------------------ */

void probe_printable(char *out, size_t size, const char *s, size_t n)
{
        size_t o = 0;

        if (size == 0)
                return;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (o + 1 >= size) {
                        if (size >= 4)
                                memcpy(out + size - 4, "...", 3);
                        o = size - 1;
                        break;
                }
                out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
        }
        out[o] = 0;
}

static void set_info(probe_result_t *r, const char *s)
{
        probe_printable(r->info, sizeof(r->info), s, strlen(s));
}

int probe_target_init(probe_target_t *t, const char *addr_text, uint16_t port)
{
        struct sockaddr_in *a4 = (struct sockaddr_in *)&t->addr;
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&t->addr;

        *t = (probe_target_t){ .connect_timeout_ms = DEFAULT_CONNECT_MS,
                               .io_timeout_ms = DEFAULT_IO_MS };
        if (inet_pton(AF_INET, addr_text, &a4->sin_addr) == 1) {
                a4->sin_family = AF_INET;
                a4->sin_port = htons(port);
                t->addr_len = sizeof(*a4);
                return 0;
        }
        if (inet_pton(AF_INET6, addr_text, &a6->sin6_addr) == 1) {
                a6->sin6_family = AF_INET6;
                a6->sin6_port = htons(port);
                t->addr_len = sizeof(*a6);
                return 0;
        }
        return -EINVAL;
}

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- network ------------------------------------------------------------ */

/* Connect to T within its connect timeout; the descriptor stays
 * non-blocking. Returns it, or a negative errno. */
static int net_connect(const probe_target_t *t)
{
        int timeout = t->connect_timeout_ms > 0 ? t->connect_timeout_ms : DEFAULT_CONNECT_MS;
        _cleanup_close_ int fd = -1;
        struct pollfd pfd;
        int err = 0, k;
        socklen_t len = sizeof(err);

        fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (const struct sockaddr *)&t->addr, t->addr_len) < 0) {
                if (errno != EINPROGRESS)
                        return -errno;
                pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
                do
                        k = poll(&pfd, 1, timeout);
                while (k < 0 && errno == EINTR);
                if (k == 0)
                        return -ETIMEDOUT;
                if (k < 0)
                        return -errno;
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                        return -errno;
                if (err)
                        return -err;
        }
        return TAKE_FD(fd);
}

static int net_send(int fd, const void *data, size_t n, long long deadline)
{
        const char *p = data;

        while (n > 0) {
                struct pollfd pfd = { .fd = fd, .events = POLLOUT };
                long long left = deadline - now_ms();
                ssize_t w;
                int k;

                if (left <= 0)
                        return -ETIMEDOUT;
                k = poll(&pfd, 1, (int)left);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return k == 0 ? -ETIMEDOUT : -errno;
                w = send(fd, p, n, MSG_NOSIGNAL);
                if (w < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        return -errno;
                }
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

/* Says whether the bytes in B make a whole answer: 0 yes, -EAGAIN not yet,
 * another negative errno: it never will. EOF: the peer closed. */
typedef int (*complete_fn)(const buf_t *b, bool eof, void *userdata);

/* Read into B (whose cap bounds the answer) until COMPLETE says so, the peer
 * closes, or DEADLINE passes. Returns what COMPLETE returned last, or
 * -ETIMEDOUT / a socket error. */
static int net_read(int fd, buf_t *b, long long deadline, complete_fn complete, void *ud)
{
        for (;;) {
                char chunk[16 * 1024];
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                long long left = deadline - now_ms();
                ssize_t n;
                int k, r;

                if (left <= 0)
                        return -ETIMEDOUT;
                k = poll(&pfd, 1, (int)left);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -ETIMEDOUT;
                n = recv(fd, chunk, MIN(sizeof(chunk), b->max - b->len + 1), 0);
                if (n < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return complete(b, true, ud);
                r = buf_append(b, chunk, (size_t)n);
                if (r < 0)
                        return r; /* -E2BIG: the answer is over its cap */
                r = complete(b, false, ud);
                if (r != -EAGAIN)
                        return r;
        }
}

/* Send REQ and read an answer with COMPLETE, within the target's read
 * timeout. */
static int net_ask(int fd, const probe_target_t *t, const void *req, size_t req_len, buf_t *b,
                   complete_fn complete, void *ud)
{
        long long deadline = now_ms() + (t->io_timeout_ms > 0 ? t->io_timeout_ms : DEFAULT_IO_MS);
        int r;

        if (req_len > 0 && (r = net_send(fd, req, req_len, deadline)) < 0)
                return r;
        return net_read(fd, b, deadline, complete, ud);
}

/* Drop the first N bytes of B (an answer already handled), keeping what
 * came after it. */
static void buf_consume(buf_t *b, size_t n)
{
        if (n >= b->len) {
                buf_reset(b);
                return;
        }
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
        b->data[b->len] = 0;
}

/* ---- Redis -------------------------------------------------------------- */

/* A line ending with CRLF starting at P (within N): its length without the
 * CRLF, or -EAGAIN, or -E2BIG when longer than MAX. */
static ssize_t crlf_line(const char *p, size_t n, size_t max)
{
        for (size_t i = 0; i + 1 < n; i++) {
                if (i > max)
                        return -E2BIG;
                if (p[i] == '\r' && p[i + 1] == '\n')
                        return (ssize_t)i;
        }
        return n > max + 1 ? -E2BIG : -EAGAIN;
}

int probe_redis_parse(const char *data, size_t n, probe_resp_t *ret)
{
        probe_resp_t r = { 0 };
        ssize_t line;

        if (n == 0)
                return -EAGAIN;
        line = crlf_line(data + 1, n - 1, 64 * KiB);
        switch (data[0]) {
        case '+':
        case '-':
        case ':':
                if (line < 0)
                        return (int)line;
                r.type = (probe_resp_type_t)data[0];
                r.data = data + 1;
                r.len = (size_t)line;
                r.consumed = 1 + (size_t)line + 2;
                if (r.type == RESP_INTEGER) {
                        size_t i = r.data[0] == '-' ? 1 : 0;
                        if (r.len == i || r.len > 20)
                                return -EINVAL;
                        for (; i < r.len; i++)
                                if (r.data[i] < '0' || r.data[i] > '9')
                                        return -EINVAL;
                }
                break;
        case '$': {
                unsigned long long len = 0;
                if (line < 0)
                        return line == -E2BIG ? -EINVAL : (int)line;
                if (line == 2 && data[1] == '-' && data[2] == '1') {
                        r.type = RESP_NULL;
                        r.consumed = 5;
                        break;
                }
                if (line == 0 || line > 10)
                        return -EINVAL;
                for (ssize_t i = 0; i < line; i++) {
                        char c = data[1 + i];
                        if (c < '0' || c > '9')
                                return -EINVAL;
                        len = len * 10 + (unsigned long long)(c - '0');
                }
                if (len > PROBE_MAX_REDIS)
                        return -E2BIG;
                /* "$N\r\n" + N bytes + "\r\n" */
                if (n - (1 + (size_t)line + 2) < len + 2)
                        return -EAGAIN;
                r.type = RESP_BULK;
                r.data = data + 1 + line + 2;
                r.len = (size_t)len;
                if (r.data[len] != '\r' || r.data[len + 1] != '\n')
                        return -EINVAL;
                r.consumed = 1 + (size_t)line + 2 + (size_t)len + 2;
                break;
        }
        case '*':
        case '%':
        case '~':
        case '>':
        case '_':
        case '#':
        case ',':
        case '(':
        case '!':
        case '=':
        case '|':
                /* Valid RESP we did not ask for: say so without parsing it. */
                r.type = RESP_OTHER;
                r.consumed = n;
                break;
        default:
                return -EINVAL;
        }
        *ret = r;
        return 0;
}

bool probe_redis_info_field(const char *info, size_t n, const char *key, char *out, size_t size)
{
        size_t klen = strlen(key), i = 0;

        while (i < n) {
                const char *line = info + i;
                const char *nl = memchr(line, '\n', n - i);
                size_t len = nl ? (size_t)(nl - line) : n - i;

                if (len > 0 && line[len - 1] == '\r')
                        len--;
                if (len > klen && memcmp(line, key, klen) == 0 && line[klen] == ':') {
                        probe_printable(out, size, line + klen + 1, len - klen - 1);
                        return true;
                }
                if (!nl)
                        break;
                i = (size_t)(nl - info) + 1;
        }
        return false;
}

static int redis_complete(const buf_t *b, bool eof, void *ud)
{
        probe_resp_t r;
        int k = probe_redis_parse(b->data ? b->data : "", b->len, &r);

        (void)ud;
        if (k == -EAGAIN && eof)
                return b->len ? -EINVAL : -ECONNRESET;
        return k;
}

int probe_redis(const probe_target_t *t, probe_result_t *ret)
{
        static const char ping[] = "*1\r\n$4\r\nPING\r\n";
        static const char info[] = "*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n";
        _cleanup_close_ int fd = -1;
        _cleanup_buf_ buf_t b;
        probe_result_t res = { .verdict = PROBE_NO_ANSWER };
        probe_resp_t r;
        int k;

        buf_init(&b, PROBE_MAX_REDIS + 64);
        fd = net_connect(t);
        if (fd < 0)
                goto out;
        k = net_ask(fd, t, ping, STRLEN(ping), &b, redis_complete, NULL);
        if (k == -ENOMEM)
                return k;
        if (k < 0) {
                res.verdict = b.len ? PROBE_OTHER : PROBE_NO_ANSWER;
                goto out;
        }
        k = probe_redis_parse(b.data, b.len, &r);
        if (k < 0) {
                res.verdict = PROBE_OTHER;
                goto out;
        }
        if (r.type == RESP_SIMPLE && r.len == 4 && memcmp(r.data, "PONG", 4) == 0)
                res.verdict = PROBE_OPEN;
        else if (r.type == RESP_ERROR) {
                /* NOAUTH, WRONGPASS, NOPERM (an ACL user without PING) and
                 * DENIED (protected mode) all mean "not without a login". */
                probe_printable(res.info, sizeof(res.info), r.data, r.len);
                res.verdict = str_startswith(res.info, "NOAUTH") ||
                                              str_startswith(res.info, "WRONGPASS") ||
                                              str_startswith(res.info, "NOPERM") ||
                                              str_startswith(res.info, "DENIED") ||
                                              strstr(res.info, "uthentication")
                                      ? PROBE_PROTECTED
                                      : PROBE_OTHER;
                goto out;
        } else {
                res.verdict = PROBE_OTHER;
                goto out;
        }

        /* Open: learn the version and the config file for the advice. */
        buf_reset(&b);
        k = net_ask(fd, t, info, STRLEN(info), &b, redis_complete, NULL);
        if (k == -ENOMEM)
                return k;
        if (k == 0 && probe_redis_parse(b.data, b.len, &r) == 0 && r.type == RESP_BULK) {
                probe_redis_info_field(r.data, r.len, "redis_version", res.version,
                                       sizeof(res.version));
                probe_redis_info_field(r.data, r.len, "config_file", res.config_file,
                                       sizeof(res.config_file));
                char mode[32];
                if (probe_redis_info_field(r.data, r.len, "redis_mode", mode, sizeof(mode)))
                        snprintf(res.info, sizeof(res.info), "PING answered PONG; redis_mode %s",
                                 mode);
        }
out:
        *ret = res;
        return 0;
}

/* ---- HTTP --------------------------------------------------------------- */

void probe_http_resp_done(probe_http_resp_t *r)
{
        if (!r)
                return;
        free(r->body);
        r->body = NULL;
        r->body_len = 0;
}

static bool header_is(const char *line, size_t len, const char *name, const char **ret_val,
                      size_t *ret_vlen)
{
        size_t nlen = strlen(name);
        const char *v;
        size_t vlen;

        if (len <= nlen || line[nlen] != ':' || strncasecmp(line, name, nlen) != 0)
                return false;
        v = line + nlen + 1;
        vlen = len - nlen - 1;
        while (vlen > 0 && (*v == ' ' || *v == '\t'))
                v++, vlen--;
        while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                vlen--;
        *ret_val = v;
        *ret_vlen = vlen;
        return true;
}

/* Decode a chunked body from P (N bytes) into OUT. Returns 0 when the last
 * chunk and the trailer were seen, -EAGAIN, -EINVAL or -E2BIG. */
static int http_dechunk(const char *p, size_t n, buf_t *out)
{
        size_t i = 0;

        for (;;) {
                const char *nl = memchr(p + i, '\n', n - i);
                unsigned long long size = 0;
                size_t j = i, digits = 0;

                if (!nl)
                        return n - i > 1024 ? -EINVAL : -EAGAIN;
                while (j < (size_t)(nl - p) && digits < 16) {
                        int h = p[j] >= '0' && p[j] <= '9'   ? p[j] - '0'
                                : p[j] >= 'a' && p[j] <= 'f' ? p[j] - 'a' + 10
                                : p[j] >= 'A' && p[j] <= 'F' ? p[j] - 'A' + 10
                                                             : -1;
                        if (h < 0)
                                break;
                        size = size * 16 + (unsigned long long)h;
                        j++;
                        digits++;
                }
                if (digits == 0 || digits >= 16)
                        return -EINVAL;
                /* after the size: optional extensions, then (CR)LF */
                if (j < (size_t)(nl - p) && p[j] != ';' && p[j] != '\r' && p[j] != ' ')
                        return -EINVAL;
                i = (size_t)(nl - p) + 1;
                if (size == 0) {
                        /* trailer lines until an empty line */
                        for (;;) {
                                const char *e = memchr(p + i, '\n', n - i);
                                size_t len;
                                if (!e)
                                        return n - i > 8 * KiB ? -EINVAL : -EAGAIN;
                                len = (size_t)(e - (p + i));
                                i += len + 1;
                                if (len == 0 || (len == 1 && p[i - 2] == '\r'))
                                        return 0;
                        }
                }
                if (size > PROBE_MAX_HTTP_BODY)
                        return -E2BIG;
                if (n - i < size)
                        return -EAGAIN;
                {
                        int r = buf_append(out, p + i, (size_t)size);
                        if (r < 0)
                                return r;
                }
                i += (size_t)size;
                /* the chunk's (CR)LF */
                if (i < n && p[i] == '\r')
                        i++;
                if (i >= n)
                        return -EAGAIN;
                if (p[i] != '\n')
                        return -EINVAL;
                i++;
        }
}

int probe_http_parse(const char *data, size_t n, bool eof, probe_http_resp_t *ret)
{
        _cleanup_buf_ buf_t body;
        probe_http_resp_t h = { 0 };
        const char *end_head = NULL, *p;
        unsigned long long clen = 0;
        bool have_clen = false;
        size_t head_len, i, lines = 0;
        int r;

        buf_init(&body, PROBE_MAX_HTTP_BODY);
        if (n < 5)
                return eof ? -EINVAL : (n > 0 && memcmp(data, "HTTP/", n) != 0 ? -EINVAL : -EAGAIN);
        if (memcmp(data, "HTTP/", 5) != 0)
                return -EINVAL;
        /* The head ends with an empty line (CRLF CRLF, or bare LFs). */
        for (i = 0; i + 1 < n && i < PROBE_MAX_HTTP_HEAD; i++) {
                if (data[i] == '\n' && data[i + 1] == '\n') {
                        end_head = data + i + 2;
                        break;
                }
                if (data[i] == '\n' && data[i + 1] == '\r' && i + 2 < n && data[i + 2] == '\n') {
                        end_head = data + i + 3;
                        break;
                }
        }
        if (!end_head)
                return n >= PROBE_MAX_HTTP_HEAD ? -E2BIG : eof ? -EINVAL : -EAGAIN;
        head_len = (size_t)(end_head - data);

        /* Status line: HTTP/1.x NNN [reason] */
        p = data;
        {
                const char *nl = memchr(p, '\n', head_len);
                size_t len = (size_t)(nl - p);
                if (len > 0 && p[len - 1] == '\r')
                        len--;
                if (len < 12 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') ||
                    p[8] != ' ' || p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' ||
                    p[11] < '0' || p[11] > '9' || (len > 12 && p[12] != ' '))
                        return -EINVAL;
                h.status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
                p = nl + 1;
        }
        while (p < end_head) {
                const char *nl = memchr(p, '\n', (size_t)(end_head - p));
                size_t len = (size_t)(nl - p);
                const char *v;
                size_t vlen;

                if (len > 0 && p[len - 1] == '\r')
                        len--;
                if (len == 0)
                        break;
                if (++lines > 200)
                        return -E2BIG;
                if (header_is(p, len, "Content-Length", &v, &vlen)) {
                        if (have_clen || vlen == 0 || vlen > 12)
                                return -EINVAL;
                        clen = 0;
                        for (size_t k = 0; k < vlen; k++) {
                                if (v[k] < '0' || v[k] > '9')
                                        return -EINVAL;
                                clen = clen * 10 + (unsigned long long)(v[k] - '0');
                        }
                        have_clen = true;
                } else if (header_is(p, len, "Transfer-Encoding", &v, &vlen)) {
                        if (vlen >= 7 && strncasecmp(v + vlen - 7, "chunked", 7) == 0)
                                h.chunked = true;
                } else if (header_is(p, len, "Server", &v, &vlen))
                        probe_printable(h.server, sizeof(h.server), v, vlen);
                else if (header_is(p, len, "Location", &v, &vlen))
                        probe_printable(h.location, sizeof(h.location), v, vlen);
                else if (header_is(p, len, "Content-Type", &v, &vlen))
                        probe_printable(h.content_type, sizeof(h.content_type), v, vlen);
                else if (header_is(p, len, "WWW-Authenticate", &v, &vlen))
                        h.www_authenticate = true;
                p = nl + 1;
        }

        /* Body */
        if (h.chunked) {
                r = http_dechunk(end_head, n - head_len, &body);
                if (r == -EAGAIN && eof)
                        return -EINVAL;
                if (r < 0)
                        return r;
        } else if (have_clen) {
                if (clen > PROBE_MAX_HTTP_BODY)
                        return -E2BIG;
                if (n - head_len < clen)
                        return eof ? -EINVAL : -EAGAIN;
                if ((r = buf_append(&body, end_head, (size_t)clen)) < 0)
                        return r;
        } else if (h.status == 204 || h.status == 304 || h.status < 200) {
                /* no body */
        } else {
                if (!eof)
                        return n - head_len > PROBE_MAX_HTTP_BODY ? -E2BIG : -EAGAIN;
                if ((r = buf_append(&body, end_head, n - head_len)) < 0)
                        return r;
        }
        h.body_len = body.len;
        h.body = buf_take(&body);
        if (!h.body)
                return -ENOMEM;
        *ret = h;
        return 0;
}

static int http_complete(const buf_t *b, bool eof, void *ud)
{
        probe_http_resp_t h;
        int r = probe_http_parse(b->data ? b->data : "", b->len, eof, &h);

        (void)ud;
        if (r == 0)
                probe_http_resp_done(&h);
        if (r == -EAGAIN && eof)
                return b->len ? -EINVAL : -ECONNRESET;
        return r;
}

/* GET PATH from T; on success *RET holds the parsed response. Returns 0,
 * -ENOMEM, or another negative errno with *RET_VERDICT saying what was
 * seen. */
static int http_get(const probe_target_t *t, const char *path, probe_http_resp_t *ret,
                    probe_verdict_t *ret_verdict)
{
        _cleanup_close_ int fd = -1;
        _cleanup_buf_ buf_t b;
        char req[512];
        int k, len;

        *ret_verdict = PROBE_NO_ANSWER;
        buf_init(&b, PROBE_MAX_HTTP_HEAD + PROBE_MAX_HTTP_BODY + 64 * KiB);
        fd = net_connect(t);
        if (fd < 0)
                return fd;
        /* HTTP/1.0 so the answer is never chunked by an HTTP/1.1 server
         * that honours the version, and ends with the connection. */
        len = snprintf(req, sizeof(req),
                       "GET %s HTTP/1.0\r\nHost: localhost\r\nUser-Agent: vigil/%s\r\n"
                       "Accept: */*\r\nConnection: close\r\n\r\n",
                       path, VIGIL_VERSION);
        if (len < 0 || (size_t)len >= sizeof(req))
                return -EINVAL;
        k = net_ask(fd, t, req, (size_t)len, &b, http_complete, NULL);
        if (k == -ENOMEM)
                return k;
        if (k < 0) {
                *ret_verdict = b.len ? PROBE_OTHER : PROBE_NO_ANSWER;
                return k;
        }
        k = probe_http_parse(b.data, b.len, true, ret);
        if (k < 0) {
                /* The complete test passed before EOF; parse again as such. */
                k = probe_http_parse(b.data, b.len, false, ret);
                if (k < 0) {
                        *ret_verdict = PROBE_OTHER;
                        return k;
                }
        }
        *ret_verdict = PROBE_OPEN;
        return 0;
}

int probe_http(const probe_target_t *t, probe_result_t *ret, bool *ret_https_redirect)
{
        probe_http_resp_t h = { 0 };
        probe_result_t res = { .verdict = PROBE_NO_ANSWER };
        probe_verdict_t v;
        int k;

        if (ret_https_redirect)
                *ret_https_redirect = false;
        k = http_get(t, "/", &h, &v);
        if (k == -ENOMEM)
                return k;
        res.verdict = v;
        if (k == 0) {
                snprintf(res.info, sizeof(res.info), "HTTP %d%s%.120s", h.status,
                         h.location[0] ? " -> " : "", h.location);
                probe_printable(res.version, sizeof(res.version), h.server, strlen(h.server));
                if (ret_https_redirect && h.status >= 300 && h.status < 400 &&
                    strncasecmp(h.location, "https://", 8) == 0)
                        *ret_https_redirect = true;
                probe_http_resp_done(&h);
        }
        *ret = res;
        return 0;
}

/* Parse a JSON body (capped by the HTTP parser) into an object. */
static json_t *json_body(const probe_http_resp_t *h)
{
        json_t *j = json_loadb(h->body, h->body_len, 0, NULL);

        if (j && !json_is_object(j)) {
                json_decref(j);
                return NULL;
        }
        return j;
}

static void json_str_into(json_t *o, const char *key, char *out, size_t size)
{
        const char *s = json_string_value(json_object_get(o, key));

        if (s)
                probe_printable(out, size, s, strlen(s));
}

int probe_docker(const probe_target_t *t, probe_result_t *ret)
{
        probe_http_resp_t h = { 0 };
        probe_result_t res = { .verdict = PROBE_NO_ANSWER };
        probe_verdict_t v;
        json_t *j;
        int k;

        k = http_get(t, "/version", &h, &v);
        if (k == -ENOMEM)
                return k;
        res.verdict = v == PROBE_OPEN ? PROBE_OTHER : v;
        if (k == 0) {
                j = h.status == 200 ? json_body(&h) : NULL;
                if (j && json_is_string(json_object_get(j, "ApiVersion"))) {
                        res.verdict = PROBE_OPEN;
                        json_str_into(j, "Version", res.version, sizeof(res.version));
                        snprintf(res.info, sizeof(res.info), "API version %.20s, %.40s/%.20s",
                                 json_string_value(json_object_get(j, "ApiVersion")),
                                 json_string_value(json_object_get(j, "Os"))
                                         ? json_string_value(json_object_get(j, "Os"))
                                         : "?",
                                 json_string_value(json_object_get(j, "Arch"))
                                         ? json_string_value(json_object_get(j, "Arch"))
                                         : "?");
                        probe_printable(res.info, sizeof(res.info), res.info, strlen(res.info));
                } else if (h.status == 401 || h.status == 403) {
                        res.verdict = PROBE_PROTECTED;
                        snprintf(res.info, sizeof(res.info), "HTTP %d", h.status);
                }
                json_decref(j);
                probe_http_resp_done(&h);
        }
        *ret = res;
        return 0;
}

int probe_elasticsearch(const probe_target_t *t, probe_result_t *ret)
{
        probe_http_resp_t h = { 0 };
        probe_result_t res = { .verdict = PROBE_NO_ANSWER };
        probe_verdict_t v;
        json_t *j;
        int k;

        k = http_get(t, "/", &h, &v);
        if (k == -ENOMEM)
                return k;
        res.verdict = v == PROBE_OPEN ? PROBE_OTHER : v;
        if (k == 0) {
                j = json_body(&h);
                if (h.status == 200 && j && json_is_string(json_object_get(j, "cluster_name")) &&
                    json_is_object(json_object_get(j, "version"))) {
                        json_t *ver = json_object_get(j, "version");
                        res.verdict = PROBE_OPEN;
                        json_str_into(ver, "number", res.version, sizeof(res.version));
                        snprintf(res.info, sizeof(res.info), "cluster %s",
                                 json_string_value(json_object_get(j, "cluster_name")));
                        probe_printable(res.info, sizeof(res.info), res.info, strlen(res.info));
                } else if (h.status == 401 || h.status == 403) {
                        /* Security on: "missing authentication credentials". */
                        res.verdict = PROBE_PROTECTED;
                        snprintf(res.info, sizeof(res.info), "HTTP %d%s", h.status,
                                 h.www_authenticate ? " with WWW-Authenticate" : "");
                }
                json_decref(j);
                probe_http_resp_done(&h);
        }
        *ret = res;
        return 0;
}

/* ---- TLS ---------------------------------------------------------------- */

int probe_tls(const probe_target_t *t, probe_result_t *ret)
{
        probe_result_t res = { .verdict = PROBE_NO_ANSWER };
        char host[INET6_ADDRSTRLEN], url[INET6_ADDRSTRLEN + 32];
        uint16_t port;
        CURL *c;
        CURLcode cc;

        if (t->addr.ss_family == AF_INET) {
                const struct sockaddr_in *a = (const struct sockaddr_in *)&t->addr;
                inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
                port = ntohs(a->sin_port);
                snprintf(url, sizeof(url), "https://%s:%u/", host, port);
        } else {
                const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&t->addr;
                inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
                port = ntohs(a->sin6_port);
                snprintf(url, sizeof(url), "https://[%s]:%u/", host, port);
        }
        c = curl_easy_init();
        if (!c)
                return -ENOMEM;
        /* Only the handshake: CONNECT_ONLY stops after it. The certificate
         * is not checked because the question is "is TLS spoken here", not
         * "is it trusted". */
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(
                c, CURLOPT_CONNECTTIMEOUT_MS,
                (long)(t->connect_timeout_ms > 0 ? t->connect_timeout_ms : DEFAULT_CONNECT_MS));
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                         (long)(t->io_timeout_ms > 0 ? t->io_timeout_ms : DEFAULT_IO_MS) +
                                 (long)(t->connect_timeout_ms > 0 ? t->connect_timeout_ms
                                                                  : DEFAULT_CONNECT_MS));
        cc = curl_easy_perform(c);
        if (cc == CURLE_OK)
                res.verdict = PROBE_OPEN;
        else if (cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_RECV_ERROR ||
                 cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_GOT_NOTHING)
                res.verdict = PROBE_OTHER;
        if (cc != CURLE_OK)
                set_info(&res, curl_easy_strerror(cc));
        curl_easy_cleanup(c);
        *ret = res;
        return 0;
}

/* ---- MySQL / MariaDB ---------------------------------------------------- */

#define MYSQL_CLIENT_LONG_PASSWORD     0x00000001u
#define MYSQL_CLIENT_PROTOCOL_41       0x00000200u
#define MYSQL_CLIENT_SECURE_CONNECTION 0x00008000u
#define MYSQL_CLIENT_PLUGIN_AUTH       0x00080000u

int probe_mysql_packet(const uint8_t *data, size_t n, probe_mysql_packet_t *ret)
{
        size_t len;

        if (n < 4)
                return -EAGAIN;
        len = (size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16;
        if (len > PROBE_MAX_MYSQL)
                return -E2BIG;
        if (n - 4 < len)
                return -EAGAIN;
        *ret = (probe_mysql_packet_t){ data + 4, len, data[3], len + 4 };
        return 0;
}

/* A NUL-terminated string at P[*I] within N into OUT; *I moves past it.
 * Without a NUL the string runs to the end when TO_END, else -EINVAL. */
static int mysql_cstr(const uint8_t *p, size_t n, size_t *i, char *out, size_t size, bool to_end)
{
        const uint8_t *z = *i < n ? memchr(p + *i, 0, n - *i) : NULL;
        size_t len;

        if (!z) {
                if (!to_end)
                        return -EINVAL;
                len = n - *i;
                probe_printable(out, size, (const char *)p + *i, len);
                *i = n;
                return 0;
        }
        len = (size_t)(z - (p + *i));
        probe_printable(out, size, (const char *)p + *i, len);
        *i += len + 1;
        return 0;
}

static void mysql_err(const uint8_t *p, size_t n, uint16_t *ret_code, char *msg, size_t size)
{
        size_t i = 3;

        *ret_code = n >= 3 ? (uint16_t)(p[1] | p[2] << 8) : 0;
        if (i < n && p[i] == '#' && n - i >= 6)
                i += 6;
        probe_printable(msg, size, (const char *)p + MIN(i, n), n - MIN(i, n));
}

int probe_mysql_parse_greeting(const uint8_t *p, size_t n, probe_mysql_greeting_t *ret)
{
        probe_mysql_greeting_t g = { 0 };
        size_t i = 1;

        if (n < 1)
                return -EINVAL;
        if (p[0] == 0xff) {
                uint16_t code;
                mysql_err(p, n, &code, g.version, sizeof(g.version));
                *ret = g;
                return -EPERM;
        }
        g.protocol = p[0];
        if (g.protocol != 10)
                return -EINVAL;
        if (mysql_cstr(p, n, &i, g.version, sizeof(g.version), false) < 0)
                return -EINVAL;
        /* connection id (4), auth data part 1 (8), filler (1), caps low (2) */
        if (n - i < 4 + 8 + 1 + 2)
                return -EINVAL;
        i += 4 + 8;
        if (p[i] != 0)
                return -EINVAL;
        i++;
        g.caps = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8;
        i += 2;
        if (n - i >= 1 + 2 + 2 + 1 + 10) {
                uint8_t auth_len;
                i += 1 + 2; /* charset, status */
                g.caps |= ((uint32_t)p[i] | (uint32_t)p[i + 1] << 8) << 16;
                i += 2;
                auth_len = p[i];
                i += 1 + 10;
                if (g.caps & MYSQL_CLIENT_SECURE_CONNECTION) {
                        size_t part2 = auth_len > 8 ? (size_t)auth_len - 8 : 0;
                        part2 = MAX(part2, (size_t)13);
                        if (n - i < part2)
                                return -EINVAL;
                        i += part2;
                }
                if ((g.caps & MYSQL_CLIENT_PLUGIN_AUTH) && i < n &&
                    mysql_cstr(p, n, &i, g.plugin, sizeof(g.plugin), true) < 0)
                        return -EINVAL;
        }
        *ret = g;
        return 0;
}

int probe_mysql_parse_reply(const uint8_t *p, size_t n, probe_mysql_reply_t *ret)
{
        probe_mysql_reply_t r = { .kind = MYSQL_REPLY_OTHER };
        size_t i = 1;

        if (n < 1)
                return -EINVAL;
        switch (p[0]) {
        case 0x00:
                if (n < 3)
                        return -EINVAL;
                r.kind = MYSQL_REPLY_OK;
                break;
        case 0xff:
                if (n < 3)
                        return -EINVAL;
                r.kind = MYSQL_REPLY_ERR;
                mysql_err(p, n, &r.error, r.message, sizeof(r.message));
                break;
        case 0xfe:
                r.kind = MYSQL_REPLY_SWITCH;
                /* A bare 0xfe is the pre-4.1 "old password" switch. */
                if (n > 1 && mysql_cstr(p, n, &i, r.plugin, sizeof(r.plugin), true) < 0)
                        return -EINVAL;
                if (n == 1)
                        snprintf(r.plugin, sizeof(r.plugin), "mysql_old_password");
                break;
        case 0x01:
                if (n < 2)
                        return -EINVAL;
                r.kind = MYSQL_REPLY_MORE;
                r.more = p[1];
                break;
        default:
                break;
        }
        *ret = r;
        return 0;
}

static int mysql_complete(const buf_t *b, bool eof, void *ud)
{
        probe_mysql_packet_t pk;
        int r = probe_mysql_packet((const uint8_t *)(b->data ? b->data : ""), b->len, &pk);

        (void)ud;
        if (r == -EAGAIN && eof)
                return b->len ? -EINVAL : -ECONNRESET;
        return r;
}

/* Send one packet with sequence SEQ. */
static int mysql_send(int fd, const probe_target_t *t, uint8_t seq, const void *payload, size_t len)
{
        uint8_t pkt[512];
        long long deadline = now_ms() + (t->io_timeout_ms > 0 ? t->io_timeout_ms : DEFAULT_IO_MS);

        if (len > sizeof(pkt) - 4)
                return -EINVAL;
        pkt[0] = (uint8_t)(len & 0xff);
        pkt[1] = (uint8_t)((len >> 8) & 0xff);
        pkt[2] = (uint8_t)((len >> 16) & 0xff);
        pkt[3] = seq;
        memcpy(pkt + 4, payload, len);
        return net_send(fd, pkt, len + 4, deadline);
}

/* Plugins for which an empty password is an empty response. ed25519 signs
 * a nonce with a key derived from the password, so an empty password is not
 * an empty response there; such accounts are not tested. */
static bool mysql_empty_ok(const char *plugin)
{
        return strcmp(plugin, "mysql_native_password") == 0 ||
               strcmp(plugin, "caching_sha2_password") == 0 ||
               strcmp(plugin, "sha256_password") == 0;
}

int probe_mysql(const probe_target_t *t, probe_result_t *ret)
{
        _cleanup_close_ int fd = -1;
        _cleanup_buf_ buf_t b;
        probe_result_t res = { .verdict = PROBE_NO_ANSWER };
        probe_mysql_greeting_t g;
        probe_mysql_packet_t pk;
        probe_mysql_reply_t rep;
        uint8_t resp[256];
        size_t len = 0;
        uint32_t caps;
        uint8_t seq;
        int k, switches = 0;

        buf_init(&b, PROBE_MAX_MYSQL + 4);
        fd = net_connect(t);
        if (fd < 0)
                goto out;
        k = net_ask(fd, t, NULL, 0, &b, mysql_complete, NULL);
        if (k == -ENOMEM)
                return k;
        if (k < 0 || probe_mysql_packet((const uint8_t *)b.data, b.len, &pk) < 0) {
                res.verdict = b.len ? PROBE_OTHER : PROBE_NO_ANSWER;
                goto out;
        }
        k = probe_mysql_parse_greeting(pk.payload, pk.len, &g);
        if (k == -EPERM) {
                /* e.g. "Host '...' is not allowed to connect" */
                res.verdict = PROBE_PROTECTED;
                set_info(&res, g.version);
                goto out;
        }
        if (k < 0 || !(g.caps & MYSQL_CLIENT_PROTOCOL_41)) {
                res.verdict = PROBE_OTHER;
                goto out;
        }
        /* MariaDB prefixes its version with "5.5.5-" for old replicas. */
        {
                const char *v = g.version;
                if (str_startswith(v, "5.5.5-") && strstr(v, "MariaDB"))
                        v += 6;
                probe_printable(res.version, sizeof(res.version), v, strlen(v));
        }

        /* HandshakeResponse41 for user "root" with an empty auth response. */
        caps = MYSQL_CLIENT_LONG_PASSWORD | MYSQL_CLIENT_PROTOCOL_41 |
               MYSQL_CLIENT_SECURE_CONNECTION | (g.caps & MYSQL_CLIENT_PLUGIN_AUTH);
        memset(resp, 0, sizeof(resp));
        resp[len++] = (uint8_t)(caps & 0xff);
        resp[len++] = (uint8_t)((caps >> 8) & 0xff);
        resp[len++] = (uint8_t)((caps >> 16) & 0xff);
        resp[len++] = (uint8_t)((caps >> 24) & 0xff);
        resp[len++] = 0x00; /* max packet: 16 MiB */
        resp[len++] = 0x00;
        resp[len++] = 0x00;
        resp[len++] = 0x01;
        resp[len++] = 33; /* utf8_general_ci */
        len += 23;        /* filler */
        memcpy(resp + len, "root", 5);
        len += 5;
        resp[len++] = 0; /* auth response length: empty */
        if (caps & MYSQL_CLIENT_PLUGIN_AUTH) {
                const char *plugin = mysql_empty_ok(g.plugin) ? g.plugin : "mysql_native_password";
                size_t pl = strlen(plugin) + 1;
                memcpy(resp + len, plugin, pl);
                len += pl;
        }
        seq = (uint8_t)(pk.seq + 1);
        if (mysql_send(fd, t, seq, resp, len) < 0) {
                res.verdict = PROBE_OTHER;
                goto out;
        }
        buf_consume(&b, pk.consumed);
        for (;;) {
                /* Packets may come together (caching_sha2's "fast auth ok"
                 * and the OK after it): use what is buffered first. */
                if (probe_mysql_packet((const uint8_t *)(b.data ? b.data : ""), b.len, &pk) < 0) {
                        k = net_ask(fd, t, NULL, 0, &b, mysql_complete, NULL);
                        if (k == -ENOMEM)
                                return k;
                        if (k < 0 || probe_mysql_packet((const uint8_t *)b.data, b.len, &pk) < 0) {
                                res.verdict = PROBE_OTHER;
                                goto out;
                        }
                }
                if (probe_mysql_parse_reply(pk.payload, pk.len, &rep) < 0) {
                        res.verdict = PROBE_OTHER;
                        goto out;
                }
                buf_consume(&b, pk.consumed);
                seq = (uint8_t)(pk.seq + 1);
                if (rep.kind == MYSQL_REPLY_OK) {
                        static const uint8_t quit = 0x01; /* COM_QUIT */
                        res.verdict = PROBE_OPEN;
                        set_info(&res, "root logged in with an empty password");
                        (void)mysql_send(fd, t, 0, &quit, 1);
                        goto out;
                }
                if (rep.kind == MYSQL_REPLY_ERR) {
                        res.verdict = PROBE_PROTECTED;
                        set_info(&res, rep.message);
                        goto out;
                }
                if (rep.kind == MYSQL_REPLY_SWITCH) {
                        /* The account uses another plugin; for those where
                         * an empty password is an empty response, answer
                         * once with nothing. */
                        if (switches++ > 0 || !mysql_empty_ok(rep.plugin)) {
                                res.verdict = PROBE_PROTECTED;
                                snprintf(res.info, sizeof(res.info),
                                         "account uses %.60s; not tested", rep.plugin);
                                goto out;
                        }
                        if (mysql_send(fd, t, seq, "", 0) < 0) {
                                res.verdict = PROBE_OTHER;
                                goto out;
                        }
                        continue;
                }
                if (rep.kind == MYSQL_REPLY_MORE && rep.more == 3)
                        continue; /* caching_sha2 fast path: an OK follows */
                /* Full authentication wanted (a password is set), or
                 * something else: never send more. */
                res.verdict = PROBE_PROTECTED;
                set_info(&res, "server asked for more authentication");
                goto out;
        }
out:
        *ret = res;
        return 0;
}

/* ---- Memcached ---------------------------------------------------------- */

int probe_memcached_parse(const char *data, size_t n, probe_result_t *ret)
{
        size_t i = 0;
        bool any_stat = false;

        if (n > PROBE_MAX_MEMCACHED)
                return -E2BIG;
        while (i < n) {
                const char *line = data + i;
                ssize_t len = crlf_line(line, n - i, 4 * KiB);

                if (len == -EAGAIN)
                        return -EAGAIN;
                if (len < 0)
                        return -EINVAL;
                if (len == 3 && memcmp(line, "END", 3) == 0) {
                        if (!any_stat)
                                return -EINVAL;
                        ret->verdict = PROBE_OPEN;
                        return 0;
                }
                if (!any_stat && (str_startswith(line, "ERROR") ||
                                  (len >= 12 && memcmp(line, "CLIENT_ERROR", 12) == 0) ||
                                  (len >= 12 && memcmp(line, "SERVER_ERROR", 12) == 0))) {
                        probe_printable(ret->info, sizeof(ret->info), line, (size_t)len);
                        return -EPERM;
                }
                if (len < 5 || memcmp(line, "STAT ", 5) != 0)
                        return -EINVAL;
                any_stat = true;
                if (len > 13 && memcmp(line, "STAT version ", 13) == 0)
                        probe_printable(ret->version, sizeof(ret->version), line + 13,
                                        (size_t)len - 13);
                i += (size_t)len + 2;
        }
        return -EAGAIN;
}

static int memcached_complete(const buf_t *b, bool eof, void *ud)
{
        probe_result_t tmp = { 0 };
        int r = probe_memcached_parse(b->data ? b->data : "", b->len, &tmp);

        (void)ud;
        if (r == -EPERM)
                return 0;
        if (r == -EAGAIN && eof)
                return b->len ? -EINVAL : -ECONNRESET;
        return r;
}

int probe_memcached(const probe_target_t *t, probe_result_t *ret)
{
        static const char stats[] = "stats\r\n";
        _cleanup_close_ int fd = -1;
        _cleanup_buf_ buf_t b;
        probe_result_t res = { .verdict = PROBE_NO_ANSWER };
        int k;

        buf_init(&b, PROBE_MAX_MEMCACHED);
        fd = net_connect(t);
        if (fd < 0)
                goto out;
        k = net_ask(fd, t, stats, STRLEN(stats), &b, memcached_complete, NULL);
        if (k == -ENOMEM)
                return k;
        if (k < 0) {
                res.verdict = b.len ? PROBE_OTHER : PROBE_NO_ANSWER;
                goto out;
        }
        k = probe_memcached_parse(b.data, b.len, &res);
        if (k == -EPERM)
                res.verdict = PROBE_PROTECTED;
        else if (k < 0)
                res.verdict = PROBE_OTHER;
out:
        *ret = res;
        return 0;
}

/* ---- MongoDB ------------------------------------------------------------ */

#define MONGO_OP_MSG 2013

static uint32_t le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

typedef struct bson_elem {
        uint8_t type;
        const char *name;
        const uint8_t *value;
        size_t len; /* bytes of the value */
} bson_elem_t;

/* The size of a value of TYPE at P (N bytes available), or -EINVAL. */
static ssize_t bson_value_len(uint8_t type, const uint8_t *p, size_t n)
{
        uint32_t l;

        switch (type) {
        case 0x01: /* double */
        case 0x09: /* datetime */
        case 0x11: /* timestamp */
        case 0x12: /* int64 */
                return n >= 8 ? 8 : -EINVAL;
        case 0x10: /* int32 */
                return n >= 4 ? 4 : -EINVAL;
        case 0x13: /* decimal128 */
                return n >= 16 ? 16 : -EINVAL;
        case 0x07: /* ObjectId */
                return n >= 12 ? 12 : -EINVAL;
        case 0x08: /* bool */
                return n >= 1 ? 1 : -EINVAL;
        case 0x06: /* undefined */
        case 0x0A: /* null */
        case 0xFF: /* min key */
        case 0x7F: /* max key */
                return 0;
        case 0x02: /* string */
        case 0x0D: /* JavaScript */
        case 0x0E: /* symbol */
                if (n < 4)
                        return -EINVAL;
                l = le32(p);
                if (l < 1 || l > n - 4 || p[4 + l - 1] != 0)
                        return -EINVAL;
                return 4 + (ssize_t)l;
        case 0x03: /* document */
        case 0x04: /* array */
        case 0x0F: /* code with scope */
                if (n < 5)
                        return -EINVAL;
                l = le32(p);
                if (l < 5 || l > n)
                        return -EINVAL;
                return (ssize_t)l;
        case 0x05: /* binary */
                if (n < 5)
                        return -EINVAL;
                l = le32(p);
                if (l > n - 5)
                        return -EINVAL;
                return 5 + (ssize_t)l;
        case 0x0B: { /* regex: two C strings */
                const uint8_t *z1 = memchr(p, 0, n), *z2;
                if (!z1)
                        return -EINVAL;
                z2 = memchr(z1 + 1, 0, n - (size_t)(z1 + 1 - p));
                if (!z2)
                        return -EINVAL;
                return z2 + 1 - p;
        }
        case 0x0C: { /* DBPointer: string + 12 */
                ssize_t s = bson_value_len(0x02, p, n);
                if (s < 0 || (size_t)s + 12 > n)
                        return -EINVAL;
                return s + 12;
        }
        default:
                return -EINVAL;
        }
}

/* The next element of a document body at *POS (END is where the body's
 * terminating NUL sits). Returns 1 with *RET, 0 at the end, -EINVAL. */
static int bson_next(const uint8_t *doc, size_t *pos, size_t end, bson_elem_t *ret)
{
        const uint8_t *z;
        ssize_t vl;
        size_t i = *pos;

        if (i >= end)
                return i == end ? 0 : -EINVAL;
        ret->type = doc[i++];
        z = memchr(doc + i, 0, end - i);
        if (!z)
                return -EINVAL;
        ret->name = (const char *)doc + i;
        i = (size_t)(z - doc) + 1;
        vl = bson_value_len(ret->type, doc + i, end - i);
        if (vl < 0)
                return -EINVAL;
        ret->value = doc + i;
        ret->len = (size_t)vl;
        *pos = i + (size_t)vl;
        return 1;
}

/* Check the frame of a document: length prefix, terminating NUL. Returns
 * the index of the terminating NUL, or -EINVAL. */
static ssize_t bson_frame(const uint8_t *doc, size_t n)
{
        uint32_t l;

        if (n < 5)
                return -EINVAL;
        l = le32(doc);
        if (l < 5 || l > n || doc[l - 1] != 0)
                return -EINVAL;
        return (ssize_t)l - 1;
}

static int bson_validate_depth(const uint8_t *doc, size_t n, unsigned depth)
{
        ssize_t end = bson_frame(doc, n);
        size_t pos = 4;
        bson_elem_t e;
        int r;

        if (end < 0 || depth > 32)
                return -EINVAL;
        while ((r = bson_next(doc, &pos, (size_t)end, &e)) > 0)
                if ((e.type == 0x03 || e.type == 0x04) &&
                    bson_validate_depth(e.value, e.len, depth + 1) < 0)
                        return -EINVAL;
        return r;
}

int probe_bson_validate(const uint8_t *doc, size_t n)
{
        return bson_validate_depth(doc, n, 0);
}

static bool bson_number_is_one(const bson_elem_t *e, bool *ret_known)
{
        *ret_known = true;
        switch (e->type) {
        case 0x01: {
                double d;
                memcpy(&d, e->value, 8); /* little-endian hosts only */
                return d == 1.0;
        }
        case 0x10:
                return le32(e->value) == 1;
        case 0x12:
                return le32(e->value) == 1 && le32(e->value + 4) == 0;
        case 0x08:
                return e->value[0] == 1;
        default:
                *ret_known = false;
                return false;
        }
}

int probe_mongo_parse(const uint8_t *data, size_t n, probe_mongo_reply_t *ret, size_t *ret_consumed)
{
        probe_mongo_reply_t r = { .n_databases = -1 };
        uint32_t len, flags;
        const uint8_t *body = NULL;
        size_t body_len = 0, i, end;
        ssize_t dend;
        size_t pos = 4;
        bson_elem_t e;
        int k;

        if (n < 16)
                return -EAGAIN;
        len = le32(data);
        if (len < 21)
                return -EINVAL;
        if (len > PROBE_MAX_MONGO)
                return -E2BIG;
        if (n < len)
                return -EAGAIN;
        if (le32(data + 12) != MONGO_OP_MSG)
                return -EINVAL;
        flags = le32(data + 16);
        end = len;
        if (flags & 1) { /* checksumPresent: a CRC-32C trails the sections */
                if (end < 25)
                        return -EINVAL;
                end -= 4;
        }
        /* Sections: kind 0 is the body; kind 1 a sequence, skipped. */
        for (i = 20; i < end;) {
                uint8_t kind = data[i++];
                if (kind == 0) {
                        ssize_t f;
                        if (body)
                                return -EINVAL;
                        f = bson_frame(data + i, end - i);
                        if (f < 0)
                                return -EINVAL;
                        body = data + i;
                        body_len = (size_t)f + 1;
                        i += body_len;
                } else if (kind == 1) {
                        uint32_t sl;
                        if (end - i < 4)
                                return -EINVAL;
                        sl = le32(data + i);
                        if (sl < 4 || sl > end - i)
                                return -EINVAL;
                        i += sl;
                } else
                        return -EINVAL;
        }
        if (!body || probe_bson_validate(body, body_len) < 0)
                return -EINVAL;

        dend = bson_frame(body, body_len);
        while ((k = bson_next(body, &pos, (size_t)dend, &e)) > 0) {
                bool known;
                if (strcmp(e.name, "ok") == 0) {
                        r.ok = bson_number_is_one(&e, &known);
                        r.has_ok = known;
                } else if (strcmp(e.name, "errmsg") == 0 && e.type == 0x02)
                        probe_printable(r.errmsg, sizeof(r.errmsg), (const char *)e.value + 4,
                                        le32(e.value) - 1);
                else if (strcmp(e.name, "code") == 0 && e.type == 0x10)
                        r.code = (int32_t)le32(e.value);
                else if (strcmp(e.name, "maxWireVersion") == 0 ||
                         strcmp(e.name, "isWritablePrimary") == 0 ||
                         strcmp(e.name, "ismaster") == 0)
                        r.is_mongo = true;
                else if (strcmp(e.name, "databases") == 0 && e.type == 0x04) {
                        ssize_t aend = bson_frame(e.value, e.len);
                        size_t apos = 4;
                        bson_elem_t a;
                        long long count = 0;
                        while (aend >= 0 && bson_next(e.value, &apos, (size_t)aend, &a) > 0)
                                count++;
                        r.n_databases = count;
                }
        }
        if (k < 0)
                return -EINVAL;
        *ret = r;
        if (ret_consumed)
                *ret_consumed = len;
        return 0;
}

/* Build an OP_MSG with one body { COMMAND: 1, [nameOnly: true,] $db: "admin" }. */
static size_t mongo_build(uint8_t *out, size_t size, int32_t request_id, const char *command,
                          bool name_only)
{
        uint8_t doc[128];
        size_t d = 4, clen = strlen(command), total;

        if (clen > 40 || size < 128 + 21)
                return 0;
        doc[d++] = 0x10; /* int32 */
        memcpy(doc + d, command, clen + 1);
        d += clen + 1;
        doc[d++] = 1, doc[d++] = 0, doc[d++] = 0, doc[d++] = 0;
        if (name_only) {
                doc[d++] = 0x08; /* bool */
                memcpy(doc + d, "nameOnly", 9);
                d += 9;
                doc[d++] = 1;
        }
        doc[d++] = 0x02; /* string */
        memcpy(doc + d, "$db", 4);
        d += 4;
        doc[d++] = 6, doc[d++] = 0, doc[d++] = 0, doc[d++] = 0;
        memcpy(doc + d, "admin", 6);
        d += 6;
        doc[d++] = 0; /* end of document */
        doc[0] = (uint8_t)d, doc[1] = doc[2] = doc[3] = 0;

        total = 16 + 4 + 1 + d;
        memset(out, 0, 21);
        out[0] = (uint8_t)total;
        out[1] = (uint8_t)(total >> 8);
        out[4] = (uint8_t)request_id;
        out[12] = MONGO_OP_MSG & 0xff;
        out[13] = MONGO_OP_MSG >> 8;
        /* flagBits 0; section kind 0 */
        out[20] = 0;
        memcpy(out + 21, doc, d);
        return total;
}

static int mongo_complete(const buf_t *b, bool eof, void *ud)
{
        probe_mongo_reply_t r;
        int k = probe_mongo_parse((const uint8_t *)(b->data ? b->data : ""), b->len, &r, NULL);

        (void)ud;
        if (k == -EAGAIN && eof)
                return b->len ? -EINVAL : -ECONNRESET;
        return k;
}

static int mongo_ask(int fd, const probe_target_t *t, buf_t *b, int32_t id, const char *command,
                     bool name_only, probe_mongo_reply_t *ret)
{
        uint8_t msg[256];
        size_t len = mongo_build(msg, sizeof(msg), id, command, name_only);
        int k;

        buf_reset(b);
        k = net_ask(fd, t, msg, len, b, mongo_complete, NULL);
        if (k < 0)
                return k;
        return probe_mongo_parse((const uint8_t *)b->data, b->len, ret, NULL);
}

int probe_mongodb(const probe_target_t *t, probe_result_t *ret)
{
        _cleanup_close_ int fd = -1;
        _cleanup_buf_ buf_t b;
        probe_result_t res = { .verdict = PROBE_NO_ANSWER };
        probe_mongo_reply_t r;
        int k;

        buf_init(&b, PROBE_MAX_MONGO);
        fd = net_connect(t);
        if (fd < 0)
                goto out;
        /* hello needs no login on any server; servers before 4.4.2 do not
         * know it and answer CommandNotFound, so ask isMaster then. */
        k = mongo_ask(fd, t, &b, 1, "hello", false, &r);
        if (k == -ENOMEM)
                return k;
        if (k == 0 && r.has_ok && !r.ok && r.code == 59)
                k = mongo_ask(fd, t, &b, 2, "isMaster", false, &r);
        if (k == -ENOMEM)
                return k;
        if (k < 0 || !r.has_ok || !r.ok || !r.is_mongo) {
                res.verdict = b.len ? PROBE_OTHER : PROBE_NO_ANSWER;
                goto out;
        }
        k = mongo_ask(fd, t, &b, 3, "listDatabases", true, &r);
        if (k == -ENOMEM)
                return k;
        if (k < 0 || !r.has_ok) {
                res.verdict = PROBE_OTHER;
                goto out;
        }
        if (r.ok) {
                res.verdict = PROBE_OPEN;
                if (r.n_databases >= 0)
                        snprintf(res.info, sizeof(res.info),
                                 "listDatabases answered: %lld databases", r.n_databases);
        } else {
                /* code 13 Unauthorized: "requires authentication" */
                res.verdict = PROBE_PROTECTED;
                snprintf(res.info, sizeof(res.info), "code %d: %s", (int)r.code, r.errmsg);
        }
out:
        *ret = res;
        return 0;
}
