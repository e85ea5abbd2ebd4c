/* TCP and UDP sockets of every state, by inode, for the process sweep: the
 * connections a process holds (is its stdin a connection to a remote
 * shell listener? is it connected to a mining pool port?).
 *
 * inventory/host/sockets.h reads only listening sockets and maps them to
 * their owners by reading every descriptor of every process; the sweep
 * needs connections too and must stay cheap, so this module reads the
 * tables of all states into one map from socket inode to endpoints, and
 * leaves the mapping to the caller, which looks only at the descriptors it
 * cares about (fd 0, 1 and 2 of a shell, or every descriptor only when a
 * pool connection is known to exist).
 *
 * The tables are per network namespace (/proc/PID/net/tcp shows the
 * namespace of PID). Socket inodes are unique across namespaces, so one map
 * can hold the tables of several namespaces; each entry remembers its
 * namespace.
 *
 * The tables come from the kernel but are parsed as untrusted text: a line
 * of the wrong shape is counted and skipped, and the number of entries is
 * capped. Addresses are 32-bit words in host byte order, as the kernel
 * prints them. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* At most this many sockets are kept; more gives -E2BIG. */
#define SOCKMAP_MAX_ENTRIES (1024 * 1024)
/* A table line longer than this is malformed. */
#define SOCKMAP_MAX_LINE 1024

/* TCP states as the kernel numbers them (include/net/tcp_states.h). */
enum {
        SOCKMAP_TCP_ESTABLISHED = 1,
        SOCKMAP_TCP_SYN_SENT = 2,
        SOCKMAP_TCP_LISTEN = 10,
        SOCKMAP_UDP_UNCONNECTED = 7, /* TCP_CLOSE as UDP shows a bound socket */
};

typedef struct sockmap_entry {
        unsigned long inode;
        uint64_t netns; /* the namespace whose table listed it; 0 unknown */
        int proto;      /* IPPROTO_TCP or IPPROTO_UDP */
        int family;     /* AF_INET or AF_INET6 */
        uint8_t state;
        struct in6_addr local, remote; /* IPv4 as ::ffff:a.b.c.d */
        uint16_t lport, rport;
        uid_t uid;
} sockmap_entry_t;

typedef struct sockmap {
        sockmap_entry_t *v;
        size_t n, cap;
        bool sorted; /* by inode; set by sockmap_finish */
} sockmap_t;

typedef struct sockmap_stats {
        size_t bad_lines;
        unsigned tables_read;
} sockmap_stats_t;

/* Parse one /proc/net/{tcp,tcp6,udp,udp6} table of N bytes, appending every
 * socket (inode 0, a socket in TIME_WAIT, is skipped: it belongs to no
 * process). Bad lines are counted in *RET_BAD (may be NULL). Returns 0,
 * -EINVAL for a bad FAMILY/PROTO, -E2BIG over SOCKMAP_MAX_ENTRIES, -ENOMEM. */
int sockmap_parse_table(sockmap_t *m, const char *data, size_t n, int family, int proto,
                        uint64_t netns, size_t *ret_bad);

/* Read the four tables of the namespace seen by process PID_DIR under
 * PROC_DIRFD ("self", or a pid as text, e.g. "1234"); only tcp and tcp6 when
 * !WITH_UDP. A missing table is skipped. Returns 0 (STATS updated; may be
 * NULL), -ENOENT when no table could be read, -E2BIG, -ENOMEM. */
int sockmap_read_ns(sockmap_t *m, int proc_dirfd, const char *pid_dir, uint64_t netns,
                    bool with_udp, sockmap_stats_t *stats);

/* Sort for lookups. Call after the last parse or read, and again after
 * adding more. */
void sockmap_finish(sockmap_t *m);
/* The entry for INODE, or NULL. */
const sockmap_entry_t *sockmap_find(const sockmap_t *m, unsigned long inode);
void sockmap_clear(sockmap_t *m);

/* "socket:[12345]" (N bytes, no NUL needed) → 12345. Returns 0, or
 * -EINVAL for anything else (a file, a pipe, an anonymous inode). */
int sockmap_parse_fd_link(const char *s, size_t n, unsigned long *ret_inode);

/* The socket inode behind descriptor FD of the process whose /proc
 * directory is PID_DIRFD. Returns 0, -ENOTSOCK when it is not a socket,
 * or the negative errno of readlinkat (-ENOENT: no such descriptor). */
int sockmap_fd_inode(int pid_dirfd, int fd, unsigned long *ret_inode);

/* Called for each socket descriptor of a process; return 0 to go on, 1 to
 * stop, or a negative errno to stop with that error. */
typedef int (*sockmap_fd_fn)(int fd, unsigned long inode, void *userdata);

/* Call FN for every socket descriptor in PID_DIRFD/fd. At most MAX_FDS
 * descriptors are looked at (0: no limit). Returns 0, the error FN
 * returned, or the negative errno of opening the fd directory. */
int sockmap_walk_fds(int pid_dirfd, size_t max_fds, sockmap_fd_fn fn, void *userdata);

/* "10.0.0.1" or "2001:db8::1" for an entry's address (IPv4-mapped shown as
 * IPv4) into OUT (at least INET6_ADDRSTRLEN bytes). Returns OUT. */
char *sockmap_addr_str(const struct in6_addr *a, char *out);
bool sockmap_addr_is_loopback(const struct in6_addr *a);
/* "established", "syn_sent", "listen", …, or "udp" for UDP sockets. */
const char *sockmap_state_name(const sockmap_entry_t *e);
