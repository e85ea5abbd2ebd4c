#include "inventory/host/sockets.h"

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
#include "inventory/host/proc.h"

#define TCP_STATE_LISTEN 0x0A
#define UDP_STATE_CLOSE  0x07 /* an unconnected, bound UDP socket */

const char *sock_proto_name(int proto)
{
        return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* Exactly N hex digits at P as a number. */
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

/* The next space-separated token of [*P, END): its start and length. */
static bool next_token(const char **p, const char *end, const char **ret_tok, size_t *ret_len)
{
        const char *s = *p;

        while (s < end && (*s == ' ' || *s == '\t'))
                s++;
        if (s == end)
                return false;
        *ret_tok = s;
        while (s < end && *s != ' ' && *s != '\t')
                s++;
        *ret_len = (size_t)(s - *ret_tok);
        *p = s;
        return true;
}

/* "HEXADDR:HEXPORT" for FAMILY into ADDR/PORT. The kernel prints each
 * 32-bit word of the address with %08X of its in-memory value, so copying
 * the parsed word back into memory restores the bytes. */
static int parse_endpoint(const char *tok, size_t len, int family, struct in6_addr *ret_addr,
                          uint16_t *ret_port)
{
        size_t alen = family == AF_INET ? 8 : 32;
        struct in6_addr a = { 0 };
        uint32_t port;

        if (len != alen + 5 || tok[alen] != ':')
                return -EINVAL;
        if (parse_hex(tok + alen + 1, 4, &port) < 0)
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

static void classify(sock_info_t *s)
{
        const uint8_t *b = s->addr.s6_addr;
        bool mapped = IN6_IS_ADDR_V4MAPPED(&s->addr);

        if (mapped) {
                s->any_address = b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] == 0;
                s->loopback = b[12] == 127;
        } else {
                s->any_address = IN6_IS_ADDR_UNSPECIFIED(&s->addr);
                s->loopback = IN6_IS_ADDR_LOOPBACK(&s->addr);
        }
        /* An IPv4 socket is shown as "a.b.c.d"; an IPv6 socket bound to a
         * mapped address keeps its "::ffff:a.b.c.d" form so the two differ. */
        if (s->family == AF_INET)
                inet_ntop(AF_INET, &b[12], s->addr_str, sizeof(s->addr_str));
        else
                inet_ntop(AF_INET6, &s->addr, s->addr_str, sizeof(s->addr_str));
}

/* One line of a table. Returns 1 with *RET filled for a listening socket,
 * 0 for a line to ignore (header, other states, blank), -EINVAL when the
 * line does not have the table's shape. */
static int parse_line(const char *line, size_t len, int family, int proto, sock_info_t *ret)
{
        const char *p = line, *end = line + len, *tok;
        size_t tlen;
        sock_info_t s = { .proto = proto, .family = family };
        uint32_t state;
        unsigned long long v;
        char num[24];

        if (len > SOCK_MAX_LINE)
                return -EINVAL;
        if (!next_token(&p, end, &tok, &tlen))
                return 0;
        if (tlen == 2 && memcmp(tok, "sl", 2) == 0)
                return 0;
        /* "N:" slot number */
        if (tlen < 2 || tok[tlen - 1] != ':')
                return -EINVAL;
        for (size_t i = 0; i + 1 < tlen; i++)
                if (tok[i] < '0' || tok[i] > '9')
                        return -EINVAL;
        if (!next_token(&p, end, &tok, &tlen) ||
            parse_endpoint(tok, tlen, family, &s.addr, &s.port) < 0)
                return -EINVAL;
        /* remote address: same shape, value unused */
        {
                struct in6_addr ra;
                uint16_t rp;
                if (!next_token(&p, end, &tok, &tlen) ||
                    parse_endpoint(tok, tlen, family, &ra, &rp) < 0)
                        return -EINVAL;
        }
        if (!next_token(&p, end, &tok, &tlen) || tlen != 2 || parse_hex(tok, 2, &state) < 0)
                return -EINVAL;
        /* tx_queue:rx_queue, tr:tm->when, retrnsmt */
        for (int i = 0; i < 3; i++)
                if (!next_token(&p, end, &tok, &tlen))
                        return -EINVAL;
        /* uid, timeout, inode: decimal */
        for (int i = 0; i < 3; i++) {
                if (!next_token(&p, end, &tok, &tlen) || tlen >= sizeof(num))
                        return -EINVAL;
                memcpy(num, tok, tlen);
                num[tlen] = 0;
                if (str_to_u64(num, &v) < 0)
                        return -EINVAL;
                if (i == 0) {
                        if (v > UINT32_MAX)
                                return -EINVAL;
                        s.uid = (uid_t)v;
                }
                if (i == 2) {
                        if (v > (unsigned long long)(unsigned long)-1)
                                return -EINVAL;
                        s.inode = (unsigned long)v;
                }
        }
        if (proto == IPPROTO_TCP ? state != TCP_STATE_LISTEN : state != UDP_STATE_CLOSE)
                return 0;
        classify(&s);
        *ret = s;
        return 1;
}

static int list_push(sock_list_t *l, const sock_info_t *s)
{
        if (l->n >= SOCK_MAX_LISTENING)
                return -E2BIG;
        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 64;
                sock_info_t *v = realloc(l->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                l->v = v;
                l->cap = cap;
        }
        l->v[l->n++] = *s;
        return 0;
}

int sock_parse_table(const char *data, size_t n, int family, int proto, sock_list_t *out,
                     size_t *ret_bad)
{
        size_t bad = 0, i = 0;

        if (family != AF_INET && family != AF_INET6)
                return -EINVAL;
        if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
                return -EINVAL;
        while (i < n) {
                const char *nl = memchr(data + i, '\n', n - i);
                size_t len = nl ? (size_t)(nl - (data + i)) : n - i;
                sock_info_t s;
                int r;

                r = memchr(data + i, 0, len) ? -EINVAL
                                             : parse_line(data + i, len, family, proto, &s);
                if (r < 0)
                        bad++;
                else if (r > 0) {
                        int k = list_push(out, &s);
                        if (k < 0) {
                                if (ret_bad)
                                        *ret_bad += bad;
                                return k;
                        }
                }
                i += len + (nl ? 1 : 0);
        }
        if (ret_bad)
                *ret_bad += bad;
        return 0;
}

/* Read one table in chunks and parse whole lines as they come, so a table
 * of a busy server (hundreds of thousands of connections) is never held in
 * memory at once. */
static int read_table(int dirfd, const char *name, int family, int proto, sock_list_t *out,
                      size_t *bad)
{
        enum { CHUNK = 64 * 1024 };
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t have = 0;
        bool skipping = false; /* inside an over-long line */

        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        buf = malloc(CHUNK + SOCK_MAX_LINE + 2);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf + have, CHUNK + SOCK_MAX_LINE + 1 - have);
                char *last;
                size_t done;
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
                        if (have > SOCK_MAX_LINE) {
                                /* One line longer than any real one: count
                                 * it once and drop bytes to its end. */
                                if (!skipping)
                                        (*bad)++;
                                skipping = true;
                                have = 0;
                        }
                        continue;
                }
                done = (size_t)(last - buf) + 1;
                if (skipping) {
                        char *nl = memchr(buf, '\n', have);
                        size_t skip = (size_t)(nl - buf) + 1;
                        memmove(buf, buf + skip, have - skip);
                        have -= skip;
                        done -= skip;
                        skipping = false;
                }
                r = sock_parse_table(buf, done, family, proto, out, bad);
                if (r < 0)
                        return r;
                memmove(buf, buf + done, have - done);
                have -= done;
                if (have > SOCK_MAX_LINE) {
                        (*bad)++;
                        skipping = true;
                        have = 0;
                }
        }
        if (have > 0 && !skipping) {
                int r = sock_parse_table(buf, have, family, proto, out, bad);
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct inode_ref {
        unsigned long inode;
        size_t idx; /* position in the socket list */
} inode_ref_t;

static int cmp_inode(const void *a, const void *b)
{
        const inode_ref_t *x = a, *y = b;
        return (x->inode > y->inode) - (x->inode < y->inode);
}

/* "socket:[12345]" → 12345 */
static bool parse_socket_link(const char *s, unsigned long *ret)
{
        unsigned long long v;
        char num[24];
        size_t n;

        if (!str_startswith(s, "socket:["))
                return false;
        s += STRLEN("socket:[");
        n = strlen(s);
        if (n < 2 || n - 1 >= sizeof(num) || s[n - 1] != ']')
                return false;
        memcpy(num, s, n - 1);
        num[n - 1] = 0;
        if (str_to_u64(num, &v) < 0 || v > (unsigned long long)(unsigned long)-1)
                return false;
        *ret = (unsigned long)v;
        return true;
}

/* Set the owner pid of every socket in L whose inode is held open by a
 * process under PFD; when several processes share one socket (a master and
 * its forked workers), the lowest pid wins so the result is stable. */
static int map_owners(int pfd, sock_list_t *l, sock_stats_t *st)
{
        _cleanup_free_ inode_ref_t *refs = NULL;
        DIR *d;
        struct dirent *de;
        int dupfd;

        if (l->n == 0)
                return 0;
        refs = malloc(l->n * sizeof(*refs));
        if (!refs)
                return -ENOMEM;
        for (size_t i = 0; i < l->n; i++)
                refs[i] = (inode_ref_t){ l->v[i].inode, i };
        qsort(refs, l->n, sizeof(*refs), cmp_inode);

        dupfd = fcntl(pfd, F_DUPFD_CLOEXEC, 3);
        if (dupfd < 0)
                return -errno;
        d = fdopendir(dupfd);
        if (!d) {
                close(dupfd);
                return -ENOMEM;
        }
        while ((de = readdir(d))) {
                _cleanup_close_ int fdd = -1;
                unsigned long long pidv;
                char path[48];
                DIR *fdir;
                struct dirent *fe;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                if (str_to_u64(de->d_name, &pidv) < 0 || pidv > INT32_MAX)
                        continue;
                snprintf(path, sizeof(path), "%d/fd", (int)pidv);
                fdd = openat(pfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (fdd < 0) {
                        if (errno == EACCES || errno == EPERM)
                                st->fd_dirs_denied++;
                        continue;
                }
                fdir = fdopendir(fdd);
                if (!fdir)
                        continue;
                fdd = -1; /* owned by fdir now */
                while ((fe = readdir(fdir))) {
                        char link[64];
                        ssize_t n;
                        inode_ref_t key, *hit;

                        if (fe->d_name[0] == '.')
                                continue;
                        n = readlinkat(dirfd(fdir), fe->d_name, link, sizeof(link) - 1);
                        if (n <= 0)
                                continue;
                        link[n] = 0;
                        if (!parse_socket_link(link, &key.inode))
                                continue;
                        hit = bsearch(&key, refs, l->n, sizeof(*refs), cmp_inode);
                        if (!hit)
                                continue;
                        /* Equal inodes sit side by side (IPv4 and IPv6
                         * tables never share one, but stay general). */
                        while (hit > refs && hit[-1].inode == key.inode)
                                hit--;
                        for (; hit < refs + l->n && hit->inode == key.inode; hit++) {
                                sock_info_t *s = &l->v[hit->idx];
                                if (s->pid == 0 || (pid_t)pidv < s->pid)
                                        s->pid = (pid_t)pidv;
                        }
                }
                closedir(fdir);
        }
        closedir(d);

        /* Names of the owners, read once per process. */
        for (size_t i = 0; i < l->n; i++) {
                sock_info_t *s = &l->v[i];
                proc_info_t p;
                int r;

                if (s->pid == 0) {
                        st->unmapped++;
                        continue;
                }
                if (s->comm || s->exe)
                        continue;
                r = proc_read_pid(pfd, s->pid, &p);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        continue;
                for (size_t k = i; k < l->n; k++) {
                        sock_info_t *o = &l->v[k];
                        if (o->pid != s->pid)
                                continue;
                        if ((p.comm && !(o->comm = strdup(p.comm))) ||
                            (p.exe && !(o->exe = strdup(p.exe)))) {
                                proc_info_done(&p);
                                return -ENOMEM;
                        }
                }
                proc_info_done(&p);
        }
        return 0;
}

int sock_list_listening_at(const char *proc_path, sock_list_t *out, sock_stats_t *stats)
{
        static const struct {
                const char *name;
                int family, proto;
        } tables[] = {
                { "net/tcp", AF_INET, IPPROTO_TCP },
                { "net/tcp6", AF_INET6, IPPROTO_TCP },
                { "net/udp", AF_INET, IPPROTO_UDP },
                { "net/udp6", AF_INET6, IPPROTO_UDP },
        };
        _cleanup_close_ int pfd = -1;
        sock_list_t l = { 0 };
        sock_stats_t st = { 0 };
        int r;

        pfd = open(proc_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return errno == ENOMEM ? -ENOMEM : -ENOENT;
        for (size_t i = 0; i < ELEMENTSOF(tables); i++) {
                r = read_table(pfd, tables[i].name, tables[i].family, tables[i].proto, &l,
                               &st.bad_lines);
                if (r == -ENOENT)
                        continue; /* e.g. IPv6 disabled */
                if (r == -ENOMEM || r == -E2BIG)
                        goto fail;
                if (r < 0)
                        continue;
                st.tables_read++;
        }
        if (st.tables_read == 0) {
                r = -ENOENT;
                goto fail;
        }
        r = map_owners(pfd, &l, &st);
        if (r < 0)
                goto fail;
        sock_list_clear(out);
        *out = l;
        if (stats)
                *stats = st;
        return 0;
fail:
        sock_list_clear(&l);
        return r;
}

int sock_list_listening(sock_list_t *out)
{
        return sock_list_listening_at("/proc", out, NULL);
}

void sock_list_clear(sock_list_t *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].comm);
                free(l->v[i].exe);
        }
        free(l->v);
        *l = (sock_list_t){ 0 };
}
