#include "core/ipaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/text.h"

int ipaddr_parse_n(const char *s, size_t n, ipaddr_t *ret)
{
        char tmp[IPADDR_STR_MAX];
        ipaddr_t a = { 0 };

        if (n == 0 || n >= sizeof(tmp) || memchr(s, 0, n))
                return -EINVAL;
        memcpy(tmp, s, n);
        tmp[n] = 0;
        if (inet_pton(AF_INET, tmp, a.bytes) == 1) {
                a.family = AF_INET;
        } else if (inet_pton(AF_INET6, tmp, a.bytes) == 1) {
                static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
                a.family = AF_INET6;
                if (memcmp(a.bytes, mapped, 12) == 0) {
                        memmove(a.bytes, a.bytes + 12, 4);
                        memset(a.bytes + 4, 0, 12);
                        a.family = AF_INET;
                }
        } else
                return -EINVAL;
        *ret = a;
        return 0;
}

int ipaddr_parse(const char *s, ipaddr_t *ret)
{
        return ipaddr_parse_n(s, strlen(s), ret);
}

char *ipaddr_format(const ipaddr_t *a, char *out)
{
        if (!inet_ntop(a->family, a->bytes, out, IPADDR_STR_MAX))
                snprintf(out, IPADDR_STR_MAX, "?");
        return out;
}

static size_t addr_len(const ipaddr_t *a)
{
        return a->family == AF_INET ? 4 : 16;
}

bool ipaddr_equal(const ipaddr_t *a, const ipaddr_t *b)
{
        return a->family == b->family && memcmp(a->bytes, b->bytes, addr_len(a)) == 0;
}

void ipnet_of(const ipaddr_t *a, unsigned prefix, ipnet_t *ret)
{
        unsigned max = a->family == AF_INET ? 32 : 128;
        ipnet_t n = { .addr = *a, .prefix = prefix > max ? max : prefix };

        for (unsigned bit = n.prefix; bit < max; bit++)
                n.addr.bytes[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
        *ret = n;
}

int ipnet_parse(const char *s, ipnet_t *ret)
{
        const char *slash = strchr(s, '/');
        unsigned long long prefix;
        ipaddr_t a;
        int r;

        r = ipaddr_parse_n(s, slash ? (size_t)(slash - s) : strlen(s), &a);
        if (r < 0)
                return r;
        if (!slash) {
                ipnet_of(&a, a.family == AF_INET ? 32 : 128, ret);
                return 0;
        }
        if (str_to_u64(slash + 1, &prefix) < 0)
                return -EINVAL;
        /* "::ffff:10.0.0.0/104" names an IPv4 network once folded. */
        if (a.family == AF_INET && memchr(s, ':', (size_t)(slash - s))) {
                if (prefix < 96 || prefix > 128)
                        return -EINVAL;
                prefix -= 96;
        }
        if (prefix > (a.family == AF_INET ? 32u : 128u))
                return -EINVAL;
        ipnet_of(&a, (unsigned)prefix, ret);
        return 0;
}

bool ipnet_contains(const ipnet_t *net, const ipaddr_t *a)
{
        ipnet_t n;

        if (net->addr.family != a->family)
                return false;
        ipnet_of(a, net->prefix, &n);
        return ipaddr_equal(&n.addr, &net->addr);
}

char *ipnet_format(const ipnet_t *net, char *out)
{
        char a[IPADDR_STR_MAX];
        snprintf(out, IPADDR_STR_MAX + 4, "%s/%u", ipaddr_format(&net->addr, a), net->prefix);
        return out;
}

bool ipaddr_is_loopback(const ipaddr_t *a)
{
        static const uint8_t v6_loop[16] = { [15] = 1 };
        if (a->family == AF_INET)
                return a->bytes[0] == 127;
        return memcmp(a->bytes, v6_loop, 16) == 0;
}

bool ipaddr_is_public(const ipaddr_t *a)
{
        /* Special-purpose ranges (IANA registries for IPv4 and IPv6). */
        static const char *const special[] = {
                "0.0.0.0/8",      "10.0.0.0/8",     "100.64.0.0/10", "127.0.0.0/8",
                "169.254.0.0/16", "172.16.0.0/12",  "192.0.0.0/24",  "192.0.2.0/24",
                "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
                "203.0.113.0/24", "224.0.0.0/4",    "240.0.0.0/4",   "::/128",
                "::1/128",        "64:ff9b:1::/48", "100::/64",      "2001::/23",
                "2001:db8::/32",  "fc00::/7",       "fe80::/10",     "ff00::/8",
        };
        for (size_t i = 0; i < ELEMENTSOF(special); i++) {
                ipnet_t n;
                if (ipnet_parse(special[i], &n) == 0 && ipnet_contains(&n, a))
                        return false;
        }
        return true;
}
