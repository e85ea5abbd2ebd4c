#include "scan/weakpass/mysqlauth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/macro.h"

/* Capability flags of the protocol that matter here. */
#define CLIENT_LONG_PASSWORD     0x00000001u
#define CLIENT_LONG_FLAG         0x00000004u
#define CLIENT_PROTOCOL_41       0x00000200u
#define CLIENT_TRANSACTIONS      0x00002000u
#define CLIENT_SECURE_CONNECTION 0x00008000u
#define CLIENT_PLUGIN_AUTH       0x00080000u

/* Server errors with a meaning for the login. */
#define ER_MUST_CHANGE_PASSWORD_LOGIN 1862 /* right password, but it has expired */

#define NATIVE   "mysql_native_password"
#define SHA2     "caching_sha2_password"
#define USER_MAX 128

/* Copy N bytes of untrusted text into OUT keeping printable ASCII only. */
static void copy_text(char *out, size_t outlen, const uint8_t *p, size_t n)
{
        size_t j = 0;

        for (size_t i = 0; i < n && j + 1 < outlen; i++)
                if (p[i] >= 0x20 && p[i] < 0x7f)
                        out[j++] = (char)p[i];
        out[j] = 0;
}

static void parse_error(const uint8_t *p, size_t n, unsigned *code, char *msg, size_t msglen)
{
        size_t off = 3;

        *code = n >= 3 ? (unsigned)(p[1] | (p[2] << 8)) : 0;
        /* Protocol 4.1 errors carry '#' and a five-character SQLSTATE. */
        if (n >= 9 && p[3] == '#')
                off = 9;
        copy_text(msg, msglen, p + MIN(off, n), n - MIN(off, n));
}

int mysqlauth_parse_handshake(const uint8_t *p, size_t n, mysqlauth_handshake_t *ret)
{
        mysqlauth_handshake_t hs = { 0 };
        const uint8_t *nul, *end;
        size_t part2;
        uint8_t data_len = 0;

        if (!p || n < 1)
                return -EPROTO;
        end = p + n;
        hs.protocol = p[0];
        if (p[0] == 0xff) {
                parse_error(p, n, &hs.error_code, hs.message, sizeof(hs.message));
                *ret = hs;
                return 0;
        }
        if (p[0] != 10)
                return -EPROTO;
        p++;
        nul = memchr(p, 0, (size_t)(end - p));
        if (!nul)
                return -EPROTO;
        copy_text(hs.server_version, sizeof(hs.server_version), p, (size_t)(nul - p));
        p = nul + 1;
        /* thread id (4), scramble part 1 (8), filler (1), capabilities (2) */
        if (end - p < 15)
                return -EPROTO;
        memcpy(hs.scramble, p + 4, 8);
        hs.scramble_len = 8;
        hs.capabilities = (uint32_t)p[13] | ((uint32_t)p[14] << 8);
        p += 15;
        if (end - p >= 16) {
                /* charset (1), status (2), capabilities high (2),
                 * scramble length (1), reserved (10) */
                hs.capabilities |= ((uint32_t)p[3] << 16) | ((uint32_t)p[4] << 24);
                data_len = p[5];
                p += 16;
        } else {
                *ret = hs;
                return 0;
        }
        if (hs.capabilities & CLIENT_SECURE_CONNECTION) {
                part2 = data_len > 8 ? (size_t)data_len - 8 : 0;
                if (part2 < 13)
                        part2 = 13;
                part2 = MIN(part2, (size_t)(end - p));
                {
                        size_t take = part2;
                        /* The part ends with a NUL that is not scramble. */
                        if (take > 0 && p[take - 1] == 0)
                                take--;
                        take = MIN(take, sizeof(hs.scramble) - hs.scramble_len);
                        memcpy(hs.scramble + hs.scramble_len, p, take);
                        hs.scramble_len += take;
                }
                p += part2;
        }
        if ((hs.capabilities & CLIENT_PLUGIN_AUTH) && p < end) {
                nul = memchr(p, 0, (size_t)(end - p));
                copy_text(hs.plugin, sizeof(hs.plugin), p,
                          nul ? (size_t)(nul - p) : (size_t)(end - p));
        }
        *ret = hs;
        return 0;
}

int mysqlauth_parse_reply(const uint8_t *p, size_t n, mysqlauth_reply_t *ret)
{
        mysqlauth_reply_t rep = { 0 };
        const uint8_t *nul;

        if (n < 1)
                return -EPROTO;
        switch (p[0]) {
        case 0x00:
                rep.kind = MYSQLAUTH_REPLY_OK;
                break;
        case 0xff:
                rep.kind = MYSQLAUTH_REPLY_ERR;
                parse_error(p, n, &rep.error_code, rep.message, sizeof(rep.message));
                break;
        case 0xfe:
                rep.kind = MYSQLAUTH_REPLY_SWITCH;
                if (n == 1) {
                        /* The pre-4.1 "old password" switch. */
                        snprintf(rep.plugin, sizeof(rep.plugin), "mysql_old_password");
                        break;
                }
                nul = memchr(p + 1, 0, n - 1);
                if (!nul)
                        return -EPROTO;
                copy_text(rep.plugin, sizeof(rep.plugin), p + 1, (size_t)(nul - (p + 1)));
                {
                        size_t dn = n - (size_t)(nul + 1 - p);
                        if (dn > 0 && nul[dn] == 0)
                                dn--;
                        rep.data_len = MIN(dn, sizeof(rep.data));
                        memcpy(rep.data, nul + 1, rep.data_len);
                }
                break;
        case 0x01:
                rep.kind = MYSQLAUTH_REPLY_MORE_DATA;
                rep.data_len = MIN(n - 1, sizeof(rep.data));
                memcpy(rep.data, p + 1, rep.data_len);
                break;
        default:
                return -EPROTO;
        }
        *ret = rep;
        return 0;
}

/* A length-encoded integer at *P (advanced past it). */
static int lenenc(const uint8_t **p, const uint8_t *end, uint64_t *ret)
{
        const uint8_t *q = *p;
        size_t bytes;
        uint64_t v = 0;

        if (q >= end)
                return -EPROTO;
        if (*q < 0xfb) {
                *ret = *q;
                *p = q + 1;
                return 0;
        }
        if (*q == 0xfb)
                return -ENODATA;
        bytes = *q == 0xfc ? 2 : *q == 0xfd ? 3 : *q == 0xfe ? 8 : 0;
        if (bytes == 0 || (size_t)(end - q) < bytes + 1)
                return -EPROTO;
        for (size_t i = 0; i < bytes; i++)
                v |= (uint64_t)q[1 + i] << (8 * i);
        *ret = v;
        *p = q + 1 + bytes;
        return 0;
}

int mysqlauth_parse_row(const uint8_t *p, size_t n, char *out, size_t outlen)
{
        const uint8_t *end;
        uint64_t len;
        int r;

        if (!p || n == 0 || p[0] == 0xff || (p[0] == 0xfe && n < 9))
                return -EPROTO;
        end = p + n;
        if ((r = lenenc(&p, end, &len)) < 0)
                return r;
        if (len > (uint64_t)(end - p))
                return -EPROTO;
        copy_text(out, outlen, p, (size_t)len);
        return 0;
}

static int digest(const EVP_MD *md, const void *a, size_t an, const void *b, size_t bn,
                  uint8_t *out)
{
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        int ok;

        if (!ctx)
                return -ENOMEM;
        ok = EVP_DigestInit_ex(ctx, md, NULL) && EVP_DigestUpdate(ctx, a, an) &&
             (!bn || EVP_DigestUpdate(ctx, b, bn)) && EVP_DigestFinal_ex(ctx, out, NULL);
        EVP_MD_CTX_free(ctx);
        return ok ? 0 : -EIO;
}

int mysqlauth_scramble(const char *plugin, const char *password, const uint8_t *scramble,
                       size_t scramble_len, uint8_t *out, size_t *ret_len)
{
        uint8_t h1[32], h2[32], h3[32];
        size_t pn = strlen(password), dl;
        const EVP_MD *md;
        int r;

        if (strcmp(plugin, NATIVE) == 0) {
                md = EVP_sha1();
                dl = 20;
        } else if (strcmp(plugin, SHA2) == 0) {
                md = EVP_sha256();
                dl = 32;
        } else
                return -EOPNOTSUPP;
        if (pn == 0) {
                *ret_len = 0;
                return 0;
        }
        if (scramble_len < 20)
                return -EPROTO;
        /* native:  SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw)))
         * sha2:    SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + scramble) */
        if ((r = digest(md, password, pn, NULL, 0, h1)) < 0 ||
            (r = digest(md, h1, dl, NULL, 0, h2)) < 0)
                goto out;
        if (dl == 20)
                r = digest(md, scramble, 20, h2, dl, h3);
        else
                r = digest(md, h2, dl, scramble, 20, h3);
        if (r < 0)
                goto out;
        for (size_t i = 0; i < dl; i++)
                out[i] = h1[i] ^ h3[i];
        *ret_len = dl;
out:
        explicit_bzero(h1, sizeof(h1));
        explicit_bzero(h2, sizeof(h2));
        explicit_bzero(h3, sizeof(h3));
        return r;
}

/* ------------------------------------------------------------------ */
/* Connection */

static int wait_fd(int fd, short events, int timeout_ms)
{
        struct pollfd pfd = { .fd = fd, .events = events };
        int r;

        do
                r = poll(&pfd, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return -errno;
        if (r == 0)
                return -ETIMEDOUT;
        return 0;
}

static int open_conn(const mysqlauth_endpoint_t *ep, int timeout_ms, int *ret_fd, bool *ret_unix)
{
        struct sockaddr_storage ss = { 0 };
        socklen_t slen;
        int fd, r, err = 0;
        socklen_t elen = sizeof(err);
        struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

        if (ep->unix_path) {
                struct sockaddr_un *un = (struct sockaddr_un *)&ss;
                size_t n = strlen(ep->unix_path);
                if (n == 0 || n >= sizeof(un->sun_path))
                        return -EINVAL;
                un->sun_family = AF_UNIX;
                memcpy(un->sun_path, ep->unix_path, n);
                slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
        } else {
                struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
                struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
                if (!ep->host)
                        return -EINVAL;
                if (inet_pton(AF_INET, ep->host, &in4->sin_addr) == 1) {
                        in4->sin_family = AF_INET;
                        in4->sin_port = htons(ep->port);
                        slen = sizeof(*in4);
                } else if (inet_pton(AF_INET6, ep->host, &in6->sin6_addr) == 1) {
                        in6->sin6_family = AF_INET6;
                        in6->sin6_port = htons(ep->port);
                        slen = sizeof(*in6);
                } else
                        return -EINVAL;
        }
        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&ss, slen) < 0) {
                if (errno != EINPROGRESS && errno != EAGAIN) {
                        r = -errno;
                        close(fd);
                        return r;
                }
                if ((r = wait_fd(fd, POLLOUT, timeout_ms)) < 0) {
                        close(fd);
                        return r;
                }
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err) {
                        close(fd);
                        return err ? -err : -EIO;
                }
        }
        /* From here on plain blocking I/O bounded by socket timeouts. */
        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        *ret_fd = fd;
        *ret_unix = ep->unix_path != NULL;
        return 0;
}

static int read_full(int fd, uint8_t *p, size_t n)
{
        while (n > 0) {
                ssize_t got = recv(fd, p, n, 0);
                if (got < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
                }
                if (got == 0)
                        return -EPROTO;
                p += got;
                n -= (size_t)got;
        }
        return 0;
}

/* Read one packet into BUF (MYSQLAUTH_PACKET_MAX bytes). */
static int read_packet(int fd, uint8_t *buf, size_t *ret_len, uint8_t *ret_seq)
{
        uint8_t h[4];
        size_t len;
        int r;

        if ((r = read_full(fd, h, 4)) < 0)
                return r;
        len = (size_t)h[0] | ((size_t)h[1] << 8) | ((size_t)h[2] << 16);
        if (len > MYSQLAUTH_PACKET_MAX)
                return -EPROTO;
        if ((r = read_full(fd, buf, len)) < 0)
                return r;
        *ret_len = len;
        *ret_seq = h[3];
        return 0;
}

static int write_packet(int fd, uint8_t seq, const uint8_t *p, size_t n)
{
        uint8_t h[4] = { (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), seq };
        struct iovec iov[2] = { { h, 4 }, { (void *)p, n } };
        struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
        size_t want = n + 4;
        ssize_t sent;

        do
                sent = sendmsg(fd, &msg, MSG_NOSIGNAL);
        while (sent < 0 && errno == EINTR);
        if (sent < 0)
                return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
        /* Login packets are small; a short write means the peer is gone. */
        return (size_t)sent == want ? 0 : -EIO;
}

static bool supported(const char *plugin)
{
        return strcmp(plugin, NATIVE) == 0 || strcmp(plugin, SHA2) == 0;
}

/* After a successful login: SELECT CURRENT_USER(), read with the classic
 * text protocol (no CLIENT_DEPRECATE_EOF was asked for): column count,
 * column definitions, EOF, one row, EOF. Fills RES->current_user; a server
 * that answers anything else leaves it empty. */
static int ask_current_user(int fd, uint8_t *buf, mysqlauth_result_t *res)
{
        static const char q[] = "\x03SELECT CURRENT_USER()";
        const uint8_t *p;
        uint64_t columns;
        size_t len;
        uint8_t seq;
        int r;

        if ((r = write_packet(fd, 0, (const uint8_t *)q, sizeof(q) - 1)) < 0)
                return r;
        if ((r = read_packet(fd, buf, &len, &seq)) < 0)
                return r;
        if (len == 0 || buf[0] == 0xff || buf[0] == 0x00)
                return 0;
        p = buf;
        if (lenenc(&p, buf + len, &columns) < 0 || columns != 1)
                return 0;
        /* one column definition, then EOF */
        for (int i = 0; i < 2; i++)
                if ((r = read_packet(fd, buf, &len, &seq)) < 0)
                        return r;
        if (len == 0 || buf[0] != 0xfe)
                return 0;
        if ((r = read_packet(fd, buf, &len, &seq)) < 0)
                return r;
        if (mysqlauth_parse_row(buf, len, res->current_user, sizeof(res->current_user)) < 0)
                res->current_user[0] = 0;
        return 0;
}

typedef struct conn {
        int fd;
        bool is_unix;
        uint8_t buf[MYSQLAUTH_PACKET_MAX];
        uint8_t out[512 + USER_MAX];
} conn_t;

static int login(conn_t *c, const char *user, const char *password, mysqlauth_result_t *res)
{
        mysqlauth_handshake_t hs;
        mysqlauth_reply_t rep;
        char plugin[64];
        uint8_t auth[32], seq;
        size_t len, auth_len, o = 0, ulen = strlen(user);
        uint32_t caps;
        int r;

        if ((r = read_packet(c->fd, c->buf, &len, &seq)) < 0)
                return r;
        if ((r = mysqlauth_parse_handshake(c->buf, len, &hs)) < 0)
                return r;
        snprintf(res->server_version, sizeof(res->server_version), "%s", hs.server_version);
        if (hs.protocol == 0xff) {
                res->outcome = MYSQLAUTH_REFUSED;
                res->error_code = hs.error_code;
                snprintf(res->message, sizeof(res->message), "%s", hs.message);
                return 0;
        }
        if (!(hs.capabilities & CLIENT_PROTOCOL_41) ||
            !(hs.capabilities & CLIENT_SECURE_CONNECTION)) {
                res->outcome = MYSQLAUTH_UNSUPPORTED;
                snprintf(res->plugin, sizeof(res->plugin), "pre-4.1 protocol");
                return 0;
        }
        snprintf(plugin, sizeof(plugin), "%s", supported(hs.plugin) ? hs.plugin : NATIVE);
        if ((r = mysqlauth_scramble(plugin, password, hs.scramble, hs.scramble_len, auth,
                                    &auth_len)) < 0)
                return r;

        caps = (CLIENT_LONG_PASSWORD | CLIENT_LONG_FLAG | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS |
                CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH) &
               (hs.capabilities | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION);
        /* HandshakeResponse41 */
        c->out[o++] = (uint8_t)caps;
        c->out[o++] = (uint8_t)(caps >> 8);
        c->out[o++] = (uint8_t)(caps >> 16);
        c->out[o++] = (uint8_t)(caps >> 24);
        c->out[o++] = 0xff; /* max packet 16 MiB - 1 */
        c->out[o++] = 0xff;
        c->out[o++] = 0xff;
        c->out[o++] = 0x00;
        c->out[o++] = 33; /* utf8_general_ci */
        memset(c->out + o, 0, 23);
        o += 23;
        memcpy(c->out + o, user, ulen + 1);
        o += ulen + 1;
        c->out[o++] = (uint8_t)auth_len;
        memcpy(c->out + o, auth, auth_len);
        o += auth_len;
        if (caps & CLIENT_PLUGIN_AUTH) {
                size_t pl = strlen(plugin) + 1;
                memcpy(c->out + o, plugin, pl);
                o += pl;
        }
        r = write_packet(c->fd, (uint8_t)(seq + 1), c->out, o);
        explicit_bzero(c->out, o);
        if (r < 0)
                return r;

        /* A login takes at most a switch and a round of extra data. */
        for (int round = 0; round < 4; round++) {
                if ((r = read_packet(c->fd, c->buf, &len, &seq)) < 0)
                        return r;
                if ((r = mysqlauth_parse_reply(c->buf, len, &rep)) < 0)
                        return r;
                switch (rep.kind) {
                case MYSQLAUTH_REPLY_OK:
                        res->outcome = MYSQLAUTH_ACCEPTED;
                        return 0;
                case MYSQLAUTH_REPLY_ERR:
                        res->error_code = rep.error_code;
                        snprintf(res->message, sizeof(res->message), "%s", rep.message);
                        res->outcome = rep.error_code == ER_MUST_CHANGE_PASSWORD_LOGIN
                                               ? MYSQLAUTH_ACCEPTED
                                               : MYSQLAUTH_DENIED;
                        return 0;
                case MYSQLAUTH_REPLY_SWITCH:
                        if (!supported(rep.plugin)) {
                                res->outcome = MYSQLAUTH_UNSUPPORTED;
                                snprintf(res->plugin, sizeof(res->plugin), "%s", rep.plugin);
                                return 0;
                        }
                        snprintf(plugin, sizeof(plugin), "%s", rep.plugin);
                        if ((r = mysqlauth_scramble(plugin, password, rep.data, rep.data_len, auth,
                                                    &auth_len)) < 0)
                                return r;
                        r = write_packet(c->fd, (uint8_t)(seq + 1), auth, auth_len);
                        explicit_bzero(auth, sizeof(auth));
                        if (r < 0)
                                return r;
                        break;
                case MYSQLAUTH_REPLY_MORE_DATA:
                        if (strcmp(plugin, SHA2) != 0 || rep.data_len < 1) {
                                res->outcome = MYSQLAUTH_UNSUPPORTED;
                                snprintf(res->plugin, sizeof(res->plugin), "%s", plugin);
                                return 0;
                        }
                        if (rep.data[0] == 3) /* fast authentication succeeded; OK follows */
                                break;
                        if (rep.data[0] == 4 && c->is_unix) {
                                /* Full authentication: the password in clear, which
                                 * the server only takes over a secure transport such
                                 * as this local socket. */
                                size_t pn = strlen(password) + 1;
                                if (pn > sizeof(c->out))
                                        return -EINVAL;
                                memcpy(c->out, password, pn);
                                r = write_packet(c->fd, (uint8_t)(seq + 1), c->out, pn);
                                explicit_bzero(c->out, pn);
                                if (r < 0)
                                        return r;
                                break;
                        }
                        res->outcome = MYSQLAUTH_UNSUPPORTED;
                        snprintf(res->plugin, sizeof(res->plugin),
                                 "caching_sha2_password full authentication over TCP");
                        return 0;
                }
        }
        return -EPROTO;
}

int mysqlauth_try(const mysqlauth_endpoint_t *ep, const char *user, const char *password,
                  int timeout_ms, mysqlauth_result_t *ret)
{
        mysqlauth_result_t res = { .outcome = MYSQLAUTH_DENIED };
        conn_t *c;
        int r;

        if (strlen(user) > USER_MAX || strlen(password) > 256 || timeout_ms <= 0)
                return -EINVAL;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        r = open_conn(ep, timeout_ms, &c->fd, &c->is_unix);
        if (r == 0) {
                r = login(c, user, password, &res);
                if (r == 0 && res.outcome == MYSQLAUTH_ACCEPTED) {
                        /* COM_QUIT after the one question. A password that
                         * has expired (error 1862) allows no query. */
                        static const uint8_t quit = 0x01;
                        if (res.error_code == 0)
                                (void)ask_current_user(c->fd, c->buf, &res);
                        (void)write_packet(c->fd, 0, &quit, 1);
                }
                close(c->fd);
        }
        explicit_bzero(c, sizeof(*c));
        free(c);
        if (r < 0)
                return r;
        *ret = res;
        return 0;
}
