#include "scan/process/sockmap.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/macro.h"
#include "core/text.h"

static int parse_hex(const char *p, size_t n, uint32_t *ret)
{
        uint32_t v = 0;

        for (size_t i = 0; i < n; i++) {
                int h = str_hexval(p[i]);
                if (h < 0)
                        return -EINVAL;
                v = (v << 4) | (uint32_t)h;
        }
        *ret = v;
        return 0;
}

static bool next_token(const char **p, const char *end, const char **ret_tok, size_t *ret_len)
{
        const char *s = *p;

        while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
                s++;
        if (s == end)
                return false;
        *ret_tok = s;
        while (s < end && *s != ' ' && *s != '\t' && *s != '\r')
                s++;
        *ret_len = (size_t)(s - *ret_tok);
        *p = s;
        return true;
}

/* "HEXADDR:HEXPORT": each 32-bit word of the address is printed from its
 * in-memory value, so storing the parsed word back restores the bytes. */
static int parse_endpoint(const char *tok, size_t len, int family, struct in6_addr *ret_addr,
                          uint16_t *ret_port)
{
        size_t alen = family == AF_INET ? 8 : 32;
        struct in6_addr a = { 0 };
        uint32_t port;

        if (len != alen + 5 || tok[alen] != ':' || parse_hex(tok + alen + 1, 4, &port) < 0)
                return -EINVAL;
        if (family == AF_INET) {
                uint32_t w;
                if (parse_hex(tok, 8, &w) < 0)
                        return -EINVAL;
                a.s6_addr[10] = 0xff;
                a.s6_addr[11] = 0xff;
                memcpy(&a.s6_addr[12], &w, 4);
        } else {
                for (int i = 0; i < 4; i++) {
                        uint32_t w;
                        if (parse_hex(tok + 8 * i, 8, &w) < 0)
                                return -EINVAL;
                        memcpy(&a.s6_addr[4 * i], &w, 4);
                }
        }
        *ret_addr = a;
        *ret_port = (uint16_t)port;
        return 0;
}

static int parse_dec_tok(const char *tok, size_t len, unsigned long long *ret)
{
        char num[24];

        if (len == 0 || len >= sizeof(num))
                return -EINVAL;
        memcpy(num, tok, len);
        num[len] = 0;
        return str_to_u64(num, ret);
}

/* One line: 1 with *RET filled, 0 to ignore (header, blank, inode 0),
 * -EINVAL for a line without the table's shape. */
static int parse_line(const char *line, size_t len, int family, int proto, sockmap_entry_t *ret)
{
        const char *p = line, *end = line + len, *tok;
        sockmap_entry_t e = { .proto = proto, .family = family };
        unsigned long long v;
        uint32_t state;
        size_t tlen;

        if (len > SOCKMAP_MAX_LINE)
                return -EINVAL;
        if (!next_token(&p, end, &tok, &tlen))
                return 0;
        if (tlen == 2 && memcmp(tok, "sl", 2) == 0)
                return 0;
        if (tlen < 2 || tok[tlen - 1] != ':')
                return -EINVAL;
        for (size_t i = 0; i + 1 < tlen; i++)
                if (tok[i] < '0' || tok[i] > '9')
                        return -EINVAL;
        if (!next_token(&p, end, &tok, &tlen) ||
            parse_endpoint(tok, tlen, family, &e.local, &e.lport) < 0)
                return -EINVAL;
        if (!next_token(&p, end, &tok, &tlen) ||
            parse_endpoint(tok, tlen, family, &e.remote, &e.rport) < 0)
                return -EINVAL;
        if (!next_token(&p, end, &tok, &tlen) || tlen != 2 || parse_hex(tok, 2, &state) < 0)
                return -EINVAL;
        e.state = (uint8_t)state;
        /* tx_queue:rx_queue, tr:tm->when, retrnsmt */
        for (int i = 0; i < 3; i++)
                if (!next_token(&p, end, &tok, &tlen))
                        return -EINVAL;
        /* uid, timeout, inode */
        for (int i = 0; i < 3; i++) {
                if (!next_token(&p, end, &tok, &tlen) || parse_dec_tok(tok, tlen, &v) < 0)
                        return -EINVAL;
                if (i == 0) {
                        if (v > UINT32_MAX)
                                return -EINVAL;
                        e.uid = (uid_t)v;
                } else if (i == 2) {
                        if (v > (unsigned long long)(unsigned long)-1)
                                return -EINVAL;
                        e.inode = (unsigned long)v;
                }
        }
        if (e.inode == 0)
                return 0;
        *ret = e;
        return 1;
}

static int push(sockmap_t *m, const sockmap_entry_t *e)
{
        if (m->n >= SOCKMAP_MAX_ENTRIES)
                return -E2BIG;
        if (m->n == m->cap) {
                size_t cap = m->cap ? m->cap * 2 : 128;
                sockmap_entry_t *v = realloc(m->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                m->v = v;
                m->cap = cap;
        }
        m->v[m->n++] = *e;
        m->sorted = false;
        return 0;
}

int sockmap_parse_table(sockmap_t *m, const char *data, size_t n, int family, int proto,
                        uint64_t netns, size_t *ret_bad)
{
        size_t bad = 0, i = 0;
        int r = 0;

        if ((family != AF_INET && family != AF_INET6) ||
            (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
                return -EINVAL;
        while (i < n) {
                const char *nl = memchr(data + i, '\n', n - i);
                size_t len = nl ? (size_t)(nl - (data + i)) : n - i;
                sockmap_entry_t e;
                int k;

                k = memchr(data + i, 0, len) ? -EINVAL
                                             : parse_line(data + i, len, family, proto, &e);
                if (k < 0)
                        bad++;
                else if (k > 0) {
                        e.netns = netns;
                        if ((r = push(m, &e)) < 0)
                                break;
                }
                i += len + (nl ? 1 : 0);
        }
        if (ret_bad)
                *ret_bad += bad;
        return r;
}

/* Read one table in chunks of whole lines, so a table of a busy server is
 * never held in memory at once. */
static int read_table(sockmap_t *m, int dirfd, const char *name, int family, int proto,
                      uint64_t netns, size_t *bad)
{
        enum { CHUNK = 64 * 1024, BUFSZ = CHUNK + SOCKMAP_MAX_LINE + 1 };
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t have = 0;
        bool skipping = false; /* inside an over-long line */

        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        buf = malloc(BUFSZ);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf + have, BUFSZ - have);
                char *last;
                size_t done, skip = 0;
                int r;

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                have += (size_t)n;
                last = memrchr(buf, '\n', have);
                if (!last) {
                        if (have > SOCKMAP_MAX_LINE) {
                                if (!skipping)
                                        (*bad)++;
                                skipping = true;
                                have = 0;
                        }
                        continue;
                }
                done = (size_t)(last - buf) + 1;
                if (skipping) {
                        skip = (size_t)((char *)memchr(buf, '\n', have) - buf) + 1;
                        skipping = false;
                }
                r = sockmap_parse_table(m, buf + skip, done - skip, family, proto, netns, bad);
                if (r < 0)
                        return r;
                memmove(buf, buf + done, have - done);
                have -= done;
                if (have > SOCKMAP_MAX_LINE) {
                        (*bad)++;
                        skipping = true;
                        have = 0;
                }
        }
        if (have > 0 && !skipping)
                return sockmap_parse_table(m, buf, have, family, proto, netns, bad);
        return 0;
}

int sockmap_read_ns(sockmap_t *m, int proc_dirfd, const char *pid_dir, uint64_t netns,
                    bool with_udp, sockmap_stats_t *stats)
{
        static const struct {
                const char *name;
                int family, proto;
        } tables[] = {
                { "tcp", AF_INET, IPPROTO_TCP },
                { "tcp6", AF_INET6, IPPROTO_TCP },
                { "udp", AF_INET, IPPROTO_UDP },
                { "udp6", AF_INET6, IPPROTO_UDP },
        };
        _cleanup_close_ int nfd = -1;
        char path[48];
        unsigned read_ok = 0;
        size_t bad = 0;

        snprintf(path, sizeof(path), "%s/net", pid_dir);
        nfd = openat(proc_dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (nfd < 0)
                return errno == ENOMEM ? -ENOMEM : -ENOENT;
        for (size_t i = 0; i < ELEMENTSOF(tables); i++) {
                int r;
                if (!with_udp && tables[i].proto == IPPROTO_UDP)
                        continue;
                r = read_table(m, nfd, tables[i].name, tables[i].family, tables[i].proto, netns,
                               &bad);
                if (r == -ENOMEM || r == -E2BIG)
                        return r;
                if (r == 0)
                        read_ok++;
        }
        if (stats) {
                stats->bad_lines += bad;
                stats->tables_read += read_ok;
        }
        m->sorted = false;
        return read_ok ? 0 : -ENOENT;
}

static int cmp_inode(const void *a, const void *b)
{
        const sockmap_entry_t *x = a, *y = b;
        return (x->inode > y->inode) - (x->inode < y->inode);
}

void sockmap_finish(sockmap_t *m)
{
        if (m->n > 1)
                qsort(m->v, m->n, sizeof(*m->v), cmp_inode);
        m->sorted = true;
}

const sockmap_entry_t *sockmap_find(const sockmap_t *m, unsigned long inode)
{
        size_t lo = 0, hi = m->n;

        if (!m->sorted)
                return NULL;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (m->v[mid].inode == inode)
                        return &m->v[mid];
                if (m->v[mid].inode < inode)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

void sockmap_clear(sockmap_t *m)
{
        if (!m)
                return;
        free(m->v);
        *m = (sockmap_t){ 0 };
}

int sockmap_parse_fd_link(const char *s, size_t n, unsigned long *ret_inode)
{
        static const char prefix[] = "socket:[";
        unsigned long long v;

        if (n < STRLEN(prefix) + 2 || memcmp(s, prefix, STRLEN(prefix)) != 0 || s[n - 1] != ']')
                return -EINVAL;
        for (size_t i = STRLEN(prefix); i < n - 1; i++)
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
        if (parse_dec_tok(s + STRLEN(prefix), n - 1 - STRLEN(prefix), &v) < 0 ||
            v > (unsigned long long)(unsigned long)-1 || v == 0)
                return -EINVAL;
        *ret_inode = (unsigned long)v;
        return 0;
}

int sockmap_fd_inode(int pid_dirfd, int fd, unsigned long *ret_inode)
{
        char name[32], link[64];
        ssize_t n;

        snprintf(name, sizeof(name), "fd/%d", fd);
        n = readlinkat(pid_dirfd, name, link, sizeof(link));
        if (n < 0)
                return -errno;
        if ((size_t)n >= sizeof(link))
                return -ENOTSOCK;
        return sockmap_parse_fd_link(link, (size_t)n, ret_inode) == 0 ? 0 : -ENOTSOCK;
}

int sockmap_walk_fds(int pid_dirfd, size_t max_fds, sockmap_fd_fn fn, void *userdata)
{
        struct dirent *de;
        size_t seen = 0;
        DIR *d;
        int fd, r = 0;

        fd = openat(pid_dirfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        while ((de = readdir(d))) {
                unsigned long long v;
                unsigned long inode;
                char link[64];
                ssize_t n;

                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                if (str_to_u64(de->d_name, &v) < 0 || v > INT32_MAX)
                        continue;
                if (max_fds && ++seen > max_fds)
                        break;
                n = readlinkat(dirfd(d), de->d_name, link, sizeof(link));
                if (n <= 0 || (size_t)n >= sizeof(link))
                        continue;
                if (sockmap_parse_fd_link(link, (size_t)n, &inode) < 0)
                        continue;
                r = fn((int)v, inode, userdata);
                if (r != 0)
                        break;
        }
        closedir(d);
        return r < 0 ? r : 0;
}

char *sockmap_addr_str(const struct in6_addr *a, char *out)
{
        if (IN6_IS_ADDR_V4MAPPED(a))
                inet_ntop(AF_INET, &a->s6_addr[12], out, INET6_ADDRSTRLEN);
        else
                inet_ntop(AF_INET6, a, out, INET6_ADDRSTRLEN);
        return out;
}

bool sockmap_addr_is_loopback(const struct in6_addr *a)
{
        if (IN6_IS_ADDR_V4MAPPED(a))
                return a->s6_addr[12] == 127;
        return IN6_IS_ADDR_LOOPBACK(a);
}

const char *sockmap_state_name(const sockmap_entry_t *e)
{
        static const char *const names[] = {
                [1] = "established", [2] = "syn_sent",  [3] = "syn_recv", [4] = "fin_wait1",
                [5] = "fin_wait2",   [6] = "time_wait", [7] = "close",    [8] = "close_wait",
                [9] = "last_ack",    [10] = "listen",   [11] = "closing", [12] = "new_syn_recv",
        };

        if (e->proto == IPPROTO_UDP)
                return "udp";
        if (e->state < ELEMENTSOF(names) && names[e->state])
                return names[e->state];
        return "unknown";
}
