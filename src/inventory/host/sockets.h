/* Listening sockets of the host (TCP and UDP, IPv4 and IPv6) from
 * /proc/net/{tcp,tcp6,udp,udp6}, mapped to the processes that own them
 * through /proc/PID/fd. Only meaningful for the running host. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct sock_info {
        int proto;                 /* IPPROTO_TCP or IPPROTO_UDP */
        int family;                /* AF_INET or AF_INET6 */
        struct in6_addr addr;      /* IPv4 as ::ffff:a.b.c.d */
        char addr_str[INET6_ADDRSTRLEN]; /* "0.0.0.0", "::", "127.0.0.1" */
        uint16_t port;
        bool any_address;          /* bound to 0.0.0.0 or :: */
        bool loopback;             /* bound to 127.0.0.0/8 or ::1 */
        unsigned long inode;
        pid_t pid;                 /* 0 when no process could be found */
        char *comm;                /* owning process name, or NULL */
        char *exe;                 /* owning process executable, or NULL */
} sock_info_t;

typedef struct sock_list {
        sock_info_t *v;
        size_t n;
        size_t cap;
} sock_list_t;

/* Read listening TCP sockets and bound UDP sockets. Returns 0, -ENOENT when
 * /proc/net is missing, -ENOMEM. */
int sock_list_listening(sock_list_t *out);
void sock_list_clear(sock_list_t *l);

/* Parse one /proc/net/tcp-style table (N bytes) for FAMILY/PROTO, appending
 * listening entries (TCP state 0A; UDP state 07). Lines that do not parse are
 * skipped and counted in *RET_BAD (may be NULL). Returns 0 or -ENOMEM. */
int sock_parse_table(const char *data, size_t n, int family, int proto, sock_list_t *out,
                     size_t *ret_bad);
