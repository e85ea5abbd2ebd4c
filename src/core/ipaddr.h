/* IP addresses: parsing (IPv4, IPv6, IPv4-mapped IPv6 folded to IPv4),
 * formatting, CIDR networks and the public/private test that login
 * baselines use ("only public source addresses are judged"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#define IPADDR_STR_MAX 46 /* INET6_ADDRSTRLEN */

typedef struct ipaddr {
        int family;        /* AF_INET or AF_INET6 */
        uint8_t bytes[16]; /* IPv4 in the first 4 bytes */
} ipaddr_t;

typedef struct ipnet {
        ipaddr_t addr;   /* host bits cleared */
        unsigned prefix; /* 0..32 or 0..128 */
} ipnet_t;

/* Parse S (N bytes, no NUL needed) as an address. "::ffff:1.2.3.4" becomes
 * the IPv4 address 1.2.3.4; a zone suffix ("fe80::1%eth0") is refused.
 * Returns 0 or -EINVAL. */
int ipaddr_parse_n(const char *s, size_t n, ipaddr_t *ret);
int ipaddr_parse(const char *s, ipaddr_t *ret);

/* Format into OUT (at least IPADDR_STR_MAX bytes). Returns OUT. */
char *ipaddr_format(const ipaddr_t *a, char *out);

bool ipaddr_equal(const ipaddr_t *a, const ipaddr_t *b);

/* Parse "1.2.3.0/24", "2001:db8::/32" or a bare address (a host network).
 * Returns 0 or -EINVAL. */
int ipnet_parse(const char *s, ipnet_t *ret);
bool ipnet_contains(const ipnet_t *net, const ipaddr_t *a);
/* The network of A with PREFIX bits (e.g. the /24 or /64 a login came from). */
void ipnet_of(const ipaddr_t *a, unsigned prefix, ipnet_t *ret);
/* "1.2.3.0/24" into OUT (at least IPADDR_STR_MAX + 4 bytes). */
char *ipnet_format(const ipnet_t *net, char *out);

/* Loopback, private (RFC 1918, fc00::/7), link-local, CGNAT (100.64/10),
 * documentation and other special-purpose ranges are not public. */
bool ipaddr_is_public(const ipaddr_t *a);
bool ipaddr_is_loopback(const ipaddr_t *a);
