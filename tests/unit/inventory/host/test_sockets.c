/* Unit tests for inventory/host/sockets: the /proc/net table parser on
 * tables captured from a real kernel (tests/fixtures/exposure/proc_net, from
 * a network namespace with known listeners), malformed lines, the mapping of
 * socket inodes to processes on a /proc-shaped tree, and the live host with
 * sockets this test opens itself. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/macro.h"
#include "inventory/host/sockets.h"

static char *read_fixture(const char *name, size_t *ret_len)
{
        const char *dir = getenv("VIGIL_FIXTURES");
        char path[4096];
        FILE *f;
        char *data;
        long n;

        assert_non_null(dir);
        snprintf(path, sizeof(path), "%s/exposure/proc_net/%s", dir, name);
        f = fopen(path, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        data = malloc((size_t)n + 1);
        assert_non_null(data);
        assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
        data[n] = 0;
        fclose(f);
        *ret_len = (size_t)n;
        return data;
}

static const sock_info_t *find(const sock_list_t *l, int proto, uint16_t port)
{
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].proto == proto && l->v[i].port == port)
                        return &l->v[i];
        return NULL;
}

static void parse_fixture(const char *name, int family, int proto, sock_list_t *l, size_t *bad)
{
        size_t len;
        char *data = read_fixture(name, &len);

        assert_int_equal(sock_parse_table(data, len, family, proto, l, bad), 0);
        free(data);
}

static void test_tcp4(void **state)
{
        sock_list_t l = { 0 };
        size_t bad = 0;
        const sock_info_t *s;
        (void)state;

        parse_fixture("tcp", AF_INET, IPPROTO_TCP, &l, &bad);
        assert_int_equal(bad, 0);
        /* Five listeners; the established and time-wait lines are not. */
        assert_int_equal(l.n, 5);
        s = find(&l, IPPROTO_TCP, 6380);
        assert_non_null(s);
        assert_string_equal(s->addr_str, "127.0.0.1");
        assert_true(s->loopback);
        assert_false(s->any_address);
        assert_int_equal(s->inode, 34661);
        assert_int_equal(s->family, AF_INET);
        assert_true(IN6_IS_ADDR_V4MAPPED(&s->addr));
        s = find(&l, IPPROTO_TCP, 8080);
        assert_non_null(s);
        assert_string_equal(s->addr_str, "0.0.0.0");
        assert_true(s->any_address);
        assert_false(s->loopback);
        assert_int_equal(s->inode, 38501);
        assert_int_equal(s->pid, 0);
        sock_list_clear(&l);
}

static void test_tcp6(void **state)
{
        sock_list_t l = { 0 };
        size_t bad = 0;
        const sock_info_t *s;
        (void)state;

        parse_fixture("tcp6", AF_INET6, IPPROTO_TCP, &l, &bad);
        assert_int_equal(bad, 0);
        assert_int_equal(l.n, 3);
        s = find(&l, IPPROTO_TCP, 2222);
        assert_non_null(s);
        assert_string_equal(s->addr_str, "::");
        assert_true(s->any_address);
        s = find(&l, IPPROTO_TCP, 2223); /* bound to ::ffff:127.0.0.1 */
        assert_non_null(s);
        assert_string_equal(s->addr_str, "::ffff:127.0.0.1");
        assert_true(s->loopback);
        assert_false(s->any_address);
        assert_int_equal(s->family, AF_INET6);
        s = find(&l, IPPROTO_TCP, 2224);
        assert_non_null(s);
        assert_string_equal(s->addr_str, "::1");
        assert_true(s->loopback);
        sock_list_clear(&l);
}

static void test_udp(void **state)
{
        sock_list_t l = { 0 };
        size_t bad = 0;
        const sock_info_t *s;
        (void)state;

        parse_fixture("udp", AF_INET, IPPROTO_UDP, &l, &bad);
        parse_fixture("udp6", AF_INET6, IPPROTO_UDP, &l, &bad);
        assert_int_equal(bad, 0);
        assert_int_equal(l.n, 2);
        s = find(&l, IPPROTO_UDP, 5353);
        assert_non_null(s);
        assert_true(s->any_address);
        assert_string_equal(sock_proto_name(s->proto), "udp");
        s = find(&l, IPPROTO_UDP, 161);
        assert_non_null(s);
        assert_string_equal(s->addr_str, "::1");
        /* The TCP table read as UDP has no bound-UDP state (07) lines. */
        sock_list_clear(&l);
        parse_fixture("tcp", AF_INET, IPPROTO_UDP, &l, &bad);
        assert_int_equal(l.n, 0);
        sock_list_clear(&l);
}

static void test_bad_lines(void **state)
{
        static const char *const bad_lines[] = {
                "garbage\n",
                "   0: 0100007F:18EC 00000000:0000 0A\n",                           /* cut short */
                "   0: 0100007G:18EC 00000000:0000 0A 0:0 0:0 0 0 0 1\n",           /* bad hex */
                "   0: 0100007F:18E 00000000:0000 0A 0:0 0:0 0 0 0 1\n",            /* short port */
                "   x: 0100007F:18EC 00000000:0000 0A 0:0 0:0 0 0 0 1\n",           /* slot */
                "   0: 0100007F:18EC 00000000:0000 0A 0:0 0:0 0 0 0 -1\n",          /* inode */
                "   0: 0100007F:18EC 00000000:0000 0A 0:0 0:0 0 99999999999 0 1\n", /* uid */
                "   0: 0100007F:18EC 00000000:0000 A 0:0 0:0 0 0 0 1\n",            /* state */
        };
        static const char nul_line[] = "   0: 01000\0"
                                       "7F:18EC 00000000:0000 0A 0:0 0:0 0 0 0 1\n";
        static const char good[] = "   0: 0100007F:18EC 00000000:0000 0A 0:0 0:0 0 0 0 77\n";
        sock_list_t l = { 0 };
        size_t bad = 0;
        char *longline;
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(bad_lines); i++) {
                size_t len = strlen(bad_lines[i]);
                bad = 0;
                assert_int_equal(
                        sock_parse_table(bad_lines[i], len, AF_INET, IPPROTO_TCP, &l, &bad), 0);
                if (bad != 1)
                        fail_msg("line %zu: bad=%zu", i, bad);
        }
        bad = 0;
        assert_int_equal(
                sock_parse_table(nul_line, sizeof(nul_line) - 1, AF_INET, IPPROTO_TCP, &l, &bad),
                0);
        assert_int_equal(bad, 1);
        assert_int_equal(l.n, 0);
        /* An IPv4 line in an IPv6 table is malformed too. */
        bad = 0;
        assert_int_equal(sock_parse_table(good, strlen(good), AF_INET6, IPPROTO_TCP, &l, &bad), 0);
        assert_int_equal(bad, 1);
        /* An over-long line, then a good one without a final newline. */
        longline = malloc(SOCK_MAX_LINE + 200);
        assert_non_null(longline);
        memset(longline, ' ', SOCK_MAX_LINE + 100);
        memcpy(longline + SOCK_MAX_LINE + 100 - strlen(good), good, strlen(good));
        bad = 0;
        assert_int_equal(
                sock_parse_table(longline, SOCK_MAX_LINE + 100, AF_INET, IPPROTO_TCP, &l, &bad), 0);
        assert_int_equal(bad, 1);
        free(longline);
        assert_int_equal(sock_parse_table(good, strlen(good) - 1, AF_INET, IPPROTO_TCP, &l, NULL),
                         0);
        assert_int_equal(l.n, 1);
        assert_int_equal(l.v[0].inode, 77);
        assert_int_equal(sock_parse_table(good, strlen(good), 99, IPPROTO_TCP, &l, NULL), -EINVAL);
        sock_list_clear(&l);
}

/* A /proc-shaped tree: net tables from the fixtures, and processes whose
 * fd links point at the sockets' inodes. */
static void write_file(const char *path, const char *data, size_t len)
{
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        fclose(f);
}

static void make_proc(const char *root, int pid, const char *comm, const char *exe,
                      const char *const *links)
{
        char path[4096], stat[256];

        snprintf(path, sizeof(path), "%s/%d", root, pid);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/%d/fd", root, pid);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/%d/stat", root, pid);
        snprintf(stat, sizeof(stat),
                 "%d (%s) S 1 %d %d 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 12345 1 1\n", pid, comm,
                 pid, pid);
        write_file(path, stat, strlen(stat));
        snprintf(path, sizeof(path), "%s/%d/status", root, pid);
        write_file(path, "Name:\tx\nUid:\t0\t0\t0\t0\n", 21);
        snprintf(path, sizeof(path), "%s/%d/comm", root, pid);
        snprintf(stat, sizeof(stat), "%s\n", comm);
        write_file(path, stat, strlen(stat));
        snprintf(path, sizeof(path), "%s/%d/cmdline", root, pid);
        write_file(path, comm, strlen(comm) + 1);
        snprintf(path, sizeof(path), "%s/%d/exe", root, pid);
        assert_int_equal(symlink(exe, path), 0);
        for (int i = 0; links[i]; i++) {
                snprintf(path, sizeof(path), "%s/%d/fd/%d", root, pid, i + 3);
                assert_int_equal(symlink(links[i], path), 0);
        }
}

static void test_fake_proc(void **state)
{
        char root[] = "/tmp/vigil-test-sockets.XXXXXX", path[4096], cmd[4200];
        static const char *const none[] = { NULL };
        static const char *const p100[] = { "pipe:[5]", "socket:[34661]", "/dev/null", NULL };
        static const char *const p90[] = { "socket:[34661]", "socket:[38501]", NULL };
        static const char *const p300[] = { "socket:[99999999]", "socket:[]", "socket:[38497",
                                            NULL };
        const char *tables[] = { "tcp", "tcp6", "udp", "udp6" };
        sock_list_t l = { 0 };
        sock_stats_t st;
        const sock_info_t *s;
        (void)state;

        assert_non_null(mkdtemp(root));
        snprintf(path, sizeof(path), "%s/net", root);
        assert_int_equal(mkdir(path, 0755), 0);
        for (size_t i = 0; i < ELEMENTSOF(tables); i++) {
                size_t len;
                char *data = read_fixture(tables[i], &len);
                snprintf(path, sizeof(path), "%s/net/%s", root, tables[i]);
                write_file(path, data, len);
                free(data);
        }
        /* Two processes share inode 34661 (a master and a worker): the lower
         * pid is the owner. */
        make_proc(root, 100, "redis-server", "/usr/bin/redis-server", p100);
        make_proc(root, 90, "nginx", "/usr/sbin/nginx (deleted)", p90);
        make_proc(root, 300, "odd) S 1 (x", "/bin/odd", p300);
        make_proc(root, 400, "idle", "/bin/idle", none);

        assert_int_equal(sock_list_listening_at(root, &l, &st), 0);
        assert_int_equal(st.tables_read, 4);
        assert_int_equal(st.bad_lines, 0);
        assert_int_equal(l.n, 10);
        s = find(&l, IPPROTO_TCP, 6380);
        assert_non_null(s);
        assert_int_equal(s->pid, 90);
        assert_string_equal(s->comm, "nginx");
        assert_string_equal(s->exe, "/usr/sbin/nginx");
        s = find(&l, IPPROTO_TCP, 8080);
        assert_int_equal(s->pid, 90);
        s = find(&l, IPPROTO_TCP, 2222);
        assert_int_equal(s->pid, 0);
        assert_null(s->comm);
        assert_int_equal(st.unmapped, 8);
        sock_list_clear(&l);

        /* IPv6 disabled: the other tables still count. */
        snprintf(path, sizeof(path), "%s/net/tcp6", root);
        unlink(path);
        snprintf(path, sizeof(path), "%s/net/udp6", root);
        unlink(path);
        assert_int_equal(sock_list_listening_at(root, &l, &st), 0);
        assert_int_equal(st.tables_read, 2);
        assert_int_equal(l.n, 6);
        sock_list_clear(&l);

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(sock_list_listening_at(root, &l, NULL), -ENOENT);
}

/* The running host: sockets this test opens are found with this process
 * as the owner. */
static void test_live(void **state)
{
        int t4 = socket(AF_INET, SOCK_STREAM, 0), u6 = socket(AF_INET6, SOCK_DGRAM, 0);
        struct sockaddr_in a4 = { .sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
        socklen_t len4 = sizeof(a4), len6 = sizeof(a6);
        sock_list_t l = { 0 };
        const sock_info_t *s;
        char comm[64] = "";
        FILE *f;
        (void)state;

        assert_true(t4 >= 0);
        assert_int_equal(bind(t4, (struct sockaddr *)&a4, sizeof(a4)), 0);
        assert_int_equal(listen(t4, 1), 0);
        assert_int_equal(getsockname(t4, (struct sockaddr *)&a4, &len4), 0);
        if (u6 >= 0 && bind(u6, (struct sockaddr *)&a6, sizeof(a6)) == 0)
                assert_int_equal(getsockname(u6, (struct sockaddr *)&a6, &len6), 0);
        else
                a6.sin6_port = 0; /* no IPv6 on this machine */

        f = fopen("/proc/self/comm", "r");
        assert_non_null(f);
        assert_non_null(fgets(comm, sizeof(comm), f));
        fclose(f);
        comm[strcspn(comm, "\n")] = 0;

        assert_int_equal(sock_list_listening(&l), 0);
        s = find(&l, IPPROTO_TCP, ntohs(a4.sin_port));
        assert_non_null(s);
        assert_string_equal(s->addr_str, "127.0.0.1");
        assert_int_equal(s->pid, getpid());
        assert_string_equal(s->comm, comm);
        assert_non_null(s->exe);
        assert_int_equal(s->uid, getuid());
        if (a6.sin6_port) {
                s = find(&l, IPPROTO_UDP, ntohs(a6.sin6_port));
                assert_non_null(s);
                assert_string_equal(s->addr_str, "::1");
                assert_int_equal(s->pid, getpid());
        }
        sock_list_clear(&l);
        close(t4);
        if (u6 >= 0)
                close(u6);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tcp4),      cmocka_unit_test(test_tcp6),
                cmocka_unit_test(test_udp),       cmocka_unit_test(test_bad_lines),
                cmocka_unit_test(test_fake_proc), cmocka_unit_test(test_live),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
