/* The addresses a blocker must never block because they are the host
 * itself or its way out: the addresses of its own interfaces (getifaddrs)
 * and its default gateways (/proc/net/route for IPv4, /proc/net/ipv6_route
 * for IPv6), as seen from the network namespace of the caller.
 *
 * The route tables are kernel text but parsed as untrusted bytes: fixed
 * field shapes, a line cap, bad lines counted and skipped. /proc/net/route
 * prints IPv4 addresses as a 32-bit word in the host's byte order (read back
 * the same way); ipv6_route prints plain hex in network order. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/ipaddr.h"

/* At most this many addresses are collected (a list that would grow past
 * it gives -E2BIG). */
#define HOSTADDR_MAX      4096
#define HOSTADDR_MAX_LINE 1024
#define HOSTADDR_MAX_FILE (4 * 1024 * 1024)

typedef struct hostaddr_list {
        ipaddr_t *v;
        size_t n;
        size_t cap;
} hostaddr_list_t;

/* Append A unless it is already there. Returns 0, -E2BIG, -ENOMEM. */
int hostaddr_list_add(hostaddr_list_t *l, const ipaddr_t *a);
bool hostaddr_list_contains(const hostaddr_list_t *l, const ipaddr_t *a);
void hostaddr_list_clear(hostaddr_list_t *l);

/* Append the gateways of IPv4 default routes (destination and mask 0,
 * gateway not 0) found in N bytes of /proc/net/route text. Bad lines are
 * added to *RET_BAD (may be NULL). Returns 0, -E2BIG, -ENOMEM. */
int hostaddr_parse_route(const char *data, size_t n, hostaddr_list_t *out, size_t *ret_bad);

/* The same for IPv6 default routes (prefix length 0, next hop not ::) in
 * /proc/net/ipv6_route text. */
int hostaddr_parse_ipv6_route(const char *data, size_t n, hostaddr_list_t *out, size_t *ret_bad);

/* Append the addresses of every interface. Returns 0, -E2BIG, -ENOMEM or
 * the errno of getifaddrs. */
int hostaddr_local(hostaddr_list_t *out);

/* Append the default gateways read from PROC_DIR/net/route and
 * PROC_DIR/net/ipv6_route (PROC_DIR normally "/proc"); a missing table adds
 * nothing. Returns 0, -EFBIG over HOSTADDR_MAX_FILE, -E2BIG, -ENOMEM, or
 * the errno of a failed read. */
int hostaddr_gateways(const char *proc_dir, hostaddr_list_t *out);
