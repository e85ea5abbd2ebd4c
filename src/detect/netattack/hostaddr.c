#include "detect/netattack/hostaddr.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/macro.h"
#include "core/rootfs.h"

int hostaddr_list_add(hostaddr_list_t *l, const ipaddr_t *a)
{
        if (hostaddr_list_contains(l, a))
                return 0;
        if (l->n >= HOSTADDR_MAX)
                return -E2BIG;
        if (l->n == l->cap) {
                size_t ncap = l->cap ? l->cap * 2 : 16;
                ipaddr_t *nv = reallocarray(l->v, ncap, sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                l->v = nv;
                l->cap = ncap;
        }
        l->v[l->n++] = *a;
        return 0;
}

bool hostaddr_list_contains(const hostaddr_list_t *l, const ipaddr_t *a)
{
        for (size_t i = 0; i < l->n; i++)
                if (ipaddr_equal(&l->v[i], a))
                        return true;
        return false;
}

void hostaddr_list_clear(hostaddr_list_t *l)
{
        free(l->v);
        *l = (hostaddr_list_t){ 0 };
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r';
}

/* Split LINE (LEN bytes) into at most MAX fields; returns the count, or
 * MAX + 1 when there are more. */
static size_t split(const char *line, size_t len, const char **f, size_t *flen, size_t max)
{
        size_t n = 0, i = 0;

        while (i < len) {
                size_t start;

                while (i < len && is_space(line[i]))
                        i++;
                if (i >= len)
                        break;
                if (n == max)
                        return max + 1;
                start = i;
                while (i < len && !is_space(line[i]))
                        i++;
                f[n] = line + start;
                flen[n] = i - start;
                n++;
        }
        return n;
}

/* Exactly N hex digits into bytes, most significant first. */
static bool hex_bytes(const char *s, size_t n, uint8_t *out)
{
        if (n % 2)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                unsigned v;

                if (c >= '0' && c <= '9')
                        v = (unsigned)(c - '0');
                else if (c >= 'a' && c <= 'f')
                        v = (unsigned)(c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v = (unsigned)(c - 'A' + 10);
                else
                        return false;
                if (i % 2 == 0)
                        out[i / 2] = (uint8_t)(v << 4);
                else
                        out[i / 2] |= (uint8_t)v;
        }
        return true;
}

/* A 32-bit word printed with %08X from a value in network byte order: read
 * the number, then its bytes as they lie in memory. */
static bool hex_word_ipv4(const char *s, size_t n, uint8_t out[4])
{
        uint8_t be[4];
        uint32_t v;

        if (n != 8 || !hex_bytes(s, 8, be))
                return false;
        v = (uint32_t)be[0] << 24 | (uint32_t)be[1] << 16 | (uint32_t)be[2] << 8 | be[3];
        memcpy(out, &v, 4);
        return true;
}

typedef int (*route_line_fn)(const char *line, size_t len, hostaddr_list_t *out, size_t *bad);

static int for_each_line(const char *data, size_t n, route_line_fn fn, hostaddr_list_t *out,
                         size_t *bad)
{
        size_t pos = 0;

        while (pos < n) {
                const char *nl = memchr(data + pos, '\n', n - pos);
                size_t len = nl ? (size_t)(nl - (data + pos)) : n - pos;
                int r;

                if (len > HOSTADDR_MAX_LINE)
                        (*bad)++;
                else if (len > 0 && (r = fn(data + pos, len, out, bad)) < 0)
                        return r;
                pos += len + (nl ? 1 : 0);
        }
        return 0;
}

static int route_line(const char *line, size_t len, hostaddr_list_t *out, size_t *bad)
{
        const char *f[12];
        size_t fl[12], nf;
        uint8_t dst[4], gw[4], mask[4];
        ipaddr_t a = { .family = AF_INET };

        nf = split(line, len, f, fl, 11);
        if (nf >= 1 && fl[0] == 5 && memcmp(f[0], "Iface", 5) == 0)
                return 0; /* the header */
        if (nf != 11 || !hex_word_ipv4(f[1], fl[1], dst) || !hex_word_ipv4(f[2], fl[2], gw) ||
            !hex_word_ipv4(f[7], fl[7], mask)) {
                (*bad)++;
                return 0;
        }
        if (memcmp(dst, "\0\0\0\0", 4) != 0 || memcmp(mask, "\0\0\0\0", 4) != 0 ||
            memcmp(gw, "\0\0\0\0", 4) == 0)
                return 0;
        memcpy(a.bytes, gw, 4);
        return hostaddr_list_add(out, &a);
}

static int ipv6_route_line(const char *line, size_t len, hostaddr_list_t *out, size_t *bad)
{
        static const uint8_t zero[16] = { 0 };
        const char *f[11];
        size_t fl[11], nf;
        uint8_t plen[1];
        ipaddr_t a = { .family = AF_INET6 };

        nf = split(line, len, f, fl, 10);
        if (nf != 10 || fl[0] != 32 || fl[1] != 2 || fl[4] != 32 || !hex_bytes(f[1], 2, plen) ||
            !hex_bytes(f[4], 32, a.bytes)) {
                (*bad)++;
                return 0;
        }
        if (plen[0] != 0 || memcmp(a.bytes, zero, 16) == 0)
                return 0;
        return hostaddr_list_add(out, &a);
}

int hostaddr_parse_route(const char *data, size_t n, hostaddr_list_t *out, size_t *ret_bad)
{
        size_t bad = 0;
        int r = for_each_line(data, n, route_line, out, &bad);

        if (ret_bad)
                *ret_bad += bad;
        return r;
}

int hostaddr_parse_ipv6_route(const char *data, size_t n, hostaddr_list_t *out, size_t *ret_bad)
{
        size_t bad = 0;
        int r = for_each_line(data, n, ipv6_route_line, out, &bad);

        if (ret_bad)
                *ret_bad += bad;
        return r;
}

int hostaddr_local(hostaddr_list_t *out)
{
        struct ifaddrs *ifa, *i;
        int r = 0;

        if (getifaddrs(&ifa) < 0)
                return -errno;
        for (i = ifa; i; i = i->ifa_next) {
                ipaddr_t a = { 0 };

                if (!i->ifa_addr)
                        continue;
                if (i->ifa_addr->sa_family == AF_INET) {
                        const struct sockaddr_in *sin = (const void *)i->ifa_addr;
                        a.family = AF_INET;
                        memcpy(a.bytes, &sin->sin_addr, 4);
                } else if (i->ifa_addr->sa_family == AF_INET6) {
                        const struct sockaddr_in6 *sin6 = (const void *)i->ifa_addr;
                        a.family = AF_INET6;
                        memcpy(a.bytes, &sin6->sin6_addr, 16);
                } else
                        continue;
                r = hostaddr_list_add(out, &a);
                if (r < 0)
                        break;
        }
        freeifaddrs(ifa);
        return r;
}

static int read_table(const char *proc_dir, const char *name, char **ret, size_t *ret_len)
{
        char path[4096];
        _cleanup_close_ int fd = -1;

        if (snprintf(path, sizeof(path), "%s/%s", proc_dir, name) >= (int)sizeof(path))
                return -ENAMETOOLONG;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return rootfs_read_fd(fd, HOSTADDR_MAX_FILE, ret, ret_len);
}

int hostaddr_gateways(const char *proc_dir, hostaddr_list_t *out)
{
        _cleanup_free_ char *v4 = NULL, *v6 = NULL;
        size_t n4 = 0, n6 = 0;
        int r;

        r = read_table(proc_dir, "net/route", &v4, &n4);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r == 0 && (r = hostaddr_parse_route(v4, n4, out, NULL)) < 0)
                return r;
        r = read_table(proc_dir, "net/ipv6_route", &v6, &n6);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r == 0 && (r = hostaddr_parse_ipv6_route(v6, n6, out, NULL)) < 0)
                return r;
        return 0;
}
