/* Unit tests for scan/process/sockmap: the /proc/net/tcp parser on lines of
 * every state, IPv4 and IPv6, UDP, and broken lines; the fd link parser;
 * and real sockets of this process (a loopback listener and a connection
 * to it) found in the kernel's tables by their inode with the right
 * endpoints and states, and through /proc/self/fd. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "pstest.h"
#include "scan/process/sockmap.h"

static const char tcp4[] =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
        "timeout inode\n"
        "   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0  "
        "      0 1001 1 0000000000000000 100 0 0 10 0\n"
        "   1: 0100007F:9C40 0100007F:0D05 01 00000000:00000000 00:00000000 00000000  1000  "
        "      0 1002 1 0000000000000000 20 4 30 10 -1\n"
        "   2: 0A000001:A000 CB007109:115C 02 00000000:00000000 01:00000064 00000002     0  "
        "      0 1003 1 0000000000000000 1000 0 0 1 7\n"
        "   3: 0100007F:9C41 0100007F:0D05 06 00000000:00000000 03:00001770 00000000     0  "
        "      0 0 3 0000000000000000\n"
        "   4: nothex!!:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0  "
        "      0 1004\n"
        "   5: 0100007F:0CEA\n"
        "garbage\n";

static const char tcp6[] =
        "  sl  local_address                         remote_address                        st "
        "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A "
        "00000000:00000000 00:00000000 00000000     0        0 2001 1 0000000000000000 100 0 "
        "0 10 0\n"
        "   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000200007F:D431 01 "
        "00000000:00000000 00:00000000 00000000    33        0 2002 1 0000000000000000 20 4 "
        "30 10 -1\n";

static void test_parse(void **state)
{
        sockmap_t m = { 0 };
        const sockmap_entry_t *e;
        char a[INET6_ADDRSTRLEN];
        size_t bad = 0;

        (void)state;
        assert_int_equal(sockmap_parse_table(&m, tcp4, strlen(tcp4), AF_INET, IPPROTO_TCP, 7, &bad),
                         0);
        assert_int_equal(bad, 3);
        assert_int_equal(m.n, 3); /* inode 0 (time-wait) left out */
        assert_int_equal(
                sockmap_parse_table(&m, tcp6, strlen(tcp6), AF_INET6, IPPROTO_TCP, 7, &bad), 0);
        assert_int_equal(m.n, 5);
        sockmap_finish(&m);

        e = sockmap_find(&m, 1001);
        assert_non_null(e);
        assert_int_equal(e->state, SOCKMAP_TCP_LISTEN);
        assert_string_equal(sockmap_addr_str(&e->local, a), "127.0.0.1");
        assert_int_equal(e->lport, 3306);
        assert_string_equal(sockmap_state_name(e), "listen");
        assert_int_equal(e->netns, 7);

        e = sockmap_find(&m, 1002);
        assert_non_null(e);
        assert_int_equal(e->state, SOCKMAP_TCP_ESTABLISHED);
        assert_int_equal(e->lport, 40000);
        assert_int_equal(e->rport, 3333);
        assert_int_equal(e->uid, 1000);
        assert_true(sockmap_addr_is_loopback(&e->remote));

        e = sockmap_find(&m, 1003);
        assert_non_null(e);
        assert_string_equal(sockmap_addr_str(&e->remote, a), "9.113.0.203");
        assert_string_equal(sockmap_addr_str(&e->local, a), "1.0.0.10");
        assert_string_equal(sockmap_state_name(e), "syn_sent");
        assert_false(sockmap_addr_is_loopback(&e->remote));

        e = sockmap_find(&m, 2001);
        assert_non_null(e);
        assert_string_equal(sockmap_addr_str(&e->local, a), "::1");
        assert_true(sockmap_addr_is_loopback(&e->local));
        assert_int_equal(e->lport, 8080);
        e = sockmap_find(&m, 2002);
        assert_non_null(e);
        assert_string_equal(sockmap_addr_str(&e->remote, a), "127.0.0.2");
        assert_int_equal(e->family, AF_INET6);

        assert_null(sockmap_find(&m, 1004));
        assert_null(sockmap_find(&m, 0));
        assert_int_equal(sockmap_parse_table(&m, tcp4, 10, AF_UNIX, IPPROTO_TCP, 0, NULL), -EINVAL);
        sockmap_clear(&m);
        sockmap_clear(&m);

        /* UDP uses the same shape */
        {
                static const char udp[] = "   12: 00000000:0035 00000000:0000 07 00000000:00000000 "
                                          "00:00000000 00000000   101        0 3001 2 "
                                          "0000000000000000 0\n";
                assert_int_equal(
                        sockmap_parse_table(&m, udp, strlen(udp), AF_INET, IPPROTO_UDP, 0, NULL),
                        0);
                sockmap_finish(&m);
                e = sockmap_find(&m, 3001);
                assert_non_null(e);
                assert_int_equal(e->lport, 53);
                assert_string_equal(sockmap_state_name(e), "udp");
                sockmap_clear(&m);
        }
}

static void test_fd_link(void **state)
{
        unsigned long ino = 0;

        (void)state;
        assert_int_equal(sockmap_parse_fd_link("socket:[12345]", 14, &ino), 0);
        assert_int_equal(ino, 12345);
        assert_int_equal(sockmap_parse_fd_link("socket:[]", 9, &ino), -EINVAL);
        assert_int_equal(sockmap_parse_fd_link("socket:[0]", 10, &ino), -EINVAL);
        assert_int_equal(sockmap_parse_fd_link("socket:[12a]", 12, &ino), -EINVAL);
        assert_int_equal(sockmap_parse_fd_link("socket:[1", 9, &ino), -EINVAL);
        assert_int_equal(sockmap_parse_fd_link("pipe:[12345]", 12, &ino), -EINVAL);
        assert_int_equal(sockmap_parse_fd_link("/dev/null", 9, &ino), -EINVAL);
        assert_int_equal(sockmap_parse_fd_link("socket:[99999999999999999999999]", 32, &ino),
                         -EINVAL);
}

typedef struct found {
        unsigned long want[2];
        int fds[2];
} found_t;

static int on_fd(int fd, unsigned long inode, void *userdata)
{
        found_t *f = userdata;
        for (int i = 0; i < 2; i++)
                if (inode == f->want[i])
                        f->fds[i] = fd;
        return 0;
}

static void test_real_sockets(void **state)
{
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t sl = sizeof(sa);
        int lfd, cfd, pfd, sfd;
        struct stat lst, cst;
        sockmap_t m = { 0 };
        sockmap_stats_t st = { 0 };
        const sockmap_entry_t *e;
        unsigned long ino;
        found_t f = { .fds = { -1, -1 } };
        uint16_t port;

        (void)state;
        lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(lfd >= 0);
        assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(listen(lfd, 4), 0);
        assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
        port = ntohs(sa.sin_port);
        cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_int_equal(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        sfd = accept(lfd, NULL, NULL);
        assert_true(sfd >= 0);
        assert_int_equal(fstat(lfd, &lst), 0);
        assert_int_equal(fstat(cfd, &cst), 0);

        pfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_int_equal(sockmap_read_ns(&m, pfd, "self", 42, true, &st), 0);
        assert_int_equal(st.tables_read, 4);
        sockmap_finish(&m);
        e = sockmap_find(&m, (unsigned long)lst.st_ino);
        assert_non_null(e);
        assert_int_equal(e->state, SOCKMAP_TCP_LISTEN);
        assert_int_equal(e->lport, port);
        assert_int_equal(e->netns, 42);
        e = sockmap_find(&m, (unsigned long)cst.st_ino);
        assert_non_null(e);
        assert_int_equal(e->state, SOCKMAP_TCP_ESTABLISHED);
        assert_int_equal(e->rport, port);
        assert_true(sockmap_addr_is_loopback(&e->remote));

        {
                int self = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                assert_int_equal(sockmap_fd_inode(self, cfd, &ino), 0);
                assert_int_equal(ino, (unsigned long)cst.st_ino);
                assert_int_equal(sockmap_fd_inode(self, pfd, &ino), -ENOTSOCK);
                assert_int_equal(sockmap_fd_inode(self, 9999, &ino), -ENOENT);
                f.want[0] = (unsigned long)lst.st_ino;
                f.want[1] = (unsigned long)cst.st_ino;
                assert_int_equal(sockmap_walk_fds(self, 0, on_fd, &f), 0);
                assert_int_equal(f.fds[0], lfd);
                assert_int_equal(f.fds[1], cfd);
                close(self);
        }
        assert_int_equal(sockmap_read_ns(&m, pfd, "does-not-exist", 1, false, NULL), -ENOENT);
        sockmap_clear(&m);
        close(pfd);
        close(sfd);
        close(cfd);
        close(lfd);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_fd_link),
                cmocka_unit_test(test_real_sockets),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
