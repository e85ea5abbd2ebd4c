/* Listening sockets of the host (TCP and UDP, IPv4 and IPv6) from
 * /proc/net/{tcp,tcp6,udp,udp6}, mapped to the processes that own them
 * through /proc/PID/fd. Only meaningful for the running host.
 *
 * The tables are written by the kernel, but they are parsed as if they were
 * not: a line that does not have the expected shape is counted and skipped,
 * and no length in them is trusted. The addresses are printed by the kernel
 * as 32-bit words in the host's byte order, so the parser reads them back the
 * same way (a table saved on a machine of the other endianness reads wrong). */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* At most this many listening sockets are read; a host with more gives
 * -E2BIG rather than a partial list that looks complete. */
#define SOCK_MAX_LISTENING (256 * 1024)
/* A table line longer than this is malformed (real lines are < 200 bytes). */
#define SOCK_MAX_LINE 1024

typedef struct sock_info {
        int proto;                       /* IPPROTO_TCP or IPPROTO_UDP */
        int family;                      /* AF_INET or AF_INET6 */
        struct in6_addr addr;            /* IPv4 as ::ffff:a.b.c.d */
        char addr_str[INET6_ADDRSTRLEN]; /* "0.0.0.0", "::", "127.0.0.1" */
        uint16_t port;
        bool any_address; /* bound to 0.0.0.0 or :: */
        bool loopback;    /* bound to 127.0.0.0/8 or ::1 (also ::ffff:127.x.y.z) */
        uid_t uid;        /* owner uid of the socket as the table shows it */
        unsigned long inode;
        pid_t pid;  /* 0 when no process could be found */
        char *comm; /* owning process name, or NULL */
        char *exe;  /* owning process executable, or NULL */
} sock_info_t;

typedef struct sock_list {
        sock_info_t *v;
        size_t n;
        size_t cap;
} sock_list_t;

/* What reading the tables could not do, for notes in a report. */
typedef struct sock_stats {
        size_t bad_lines;      /* table lines that did not parse */
        size_t unmapped;       /* listening sockets whose process was not found */
        size_t fd_dirs_denied; /* /proc/PID/fd directories that could not be read */
        unsigned tables_read;  /* how many of the four tables were present */
} sock_stats_t;

/* Read listening TCP sockets and bound UDP sockets. Returns 0, -ENOENT when
 * /proc/net is missing, -ENOMEM. */
int sock_list_listening(sock_list_t *out);
void sock_list_clear(sock_list_t *l);

/* Same as sock_list_listening, reading PROC_PATH/net/... and PROC_PATH/PID/fd
 * instead of /proc. STATS may be NULL. Returns 0, -ENOENT when none of the
 * four tables exists, -E2BIG over SOCK_MAX_LISTENING, -ENOMEM. */
int sock_list_listening_at(const char *proc_path, sock_list_t *out, sock_stats_t *stats);

/* Parse one /proc/net/tcp-style table (N bytes) for FAMILY/PROTO, appending
 * listening entries (TCP state 0A; UDP state 07). Lines that do not parse are
 * skipped and counted in *RET_BAD (may be NULL). Returns 0 or -ENOMEM
 * (-E2BIG when OUT would pass SOCK_MAX_LISTENING). */
int sock_parse_table(const char *data, size_t n, int family, int proto, sock_list_t *out,
                     size_t *ret_bad);

/* "tcp" or "udp" for PROTO. */
const char *sock_proto_name(int proto);
