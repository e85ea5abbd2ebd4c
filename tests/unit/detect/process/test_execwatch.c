/* Unit tests for detect/process/execwatch: the datagram parser on
 * messages built here the way the kernel lays them out (several in one
 * datagram, cut short, from another connector, with lengths that lie);
 * and, as root, the real connector: an exec of /bin/true by a child is
 * delivered with its pid, and its recheck comes when its time is due. */
#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "detect/process/execwatch.h"

/* Append one netlink+connector+event message to BUF at *OFF. */
static void put_event(unsigned char *buf, size_t *off, unsigned what, pid_t pid, pid_t tgid,
                      unsigned idx, size_t cut)
{
        struct nlmsghdr nh = { 0 };
        struct cn_msg cn = { 0 };
        struct proc_event ev;
        size_t len;

        memset(&ev, 0, sizeof(ev));
        ev.what = what;
        ev.timestamp_ns = 123456789;
        if (what == PROC_EVENT_EXEC) {
                ev.event_data.exec.process_pid = pid;
                ev.event_data.exec.process_tgid = tgid;
        } else if (what == PROC_EVENT_EXIT) {
                ev.event_data.exit.process_pid = pid;
                ev.event_data.exit.process_tgid = tgid;
        }
        cn.id.idx = idx;
        cn.id.val = CN_VAL_PROC;
        cn.len = (uint16_t)(sizeof(ev) - cut);
        len = NLMSG_LENGTH(sizeof(cn) + cn.len);
        nh.nlmsg_len = (uint32_t)len;
        nh.nlmsg_type = NLMSG_DONE;
        memcpy(buf + *off, &nh, sizeof(nh));
        memcpy(buf + *off + NLMSG_HDRLEN, &cn, sizeof(cn));
        memcpy(buf + *off + NLMSG_HDRLEN + sizeof(cn), &ev, cn.len);
        *off += NLMSG_ALIGN(len);
}

typedef struct recs {
        execwatch_record_t v[16];
        int n;
} recs_t;

static int on_rec(const execwatch_record_t *r, void *userdata)
{
        recs_t *rs = userdata;
        if (rs->n < 16)
                rs->v[rs->n++] = *r;
        return 0;
}

static void test_parse(void **state)
{
        unsigned char buf[4096];
        size_t off = 0;
        recs_t rs = { .n = 0 };
        execwatch_stats_t st = { 0 };

        (void)state;
        memset(buf, 0, sizeof(buf));
        put_event(buf, &off, PROC_EVENT_EXEC, 101, 100, CN_IDX_PROC, 0);
        put_event(buf, &off, PROC_EVENT_FORK, 5, 5, CN_IDX_PROC, 0);
        put_event(buf, &off, PROC_EVENT_EXIT, 7, 7, CN_IDX_PROC, 0);
        put_event(buf, &off, PROC_EVENT_EXEC, 9, 9, CN_IDX_PROC + 1, 0); /* other connector */
        put_event(buf, &off, PROC_EVENT_EXEC, 11, 11, CN_IDX_PROC,
                  sizeof(struct proc_event) - offsetof(struct proc_event, event_data) - 4);
        put_event(buf, &off, PROC_EVENT_EXEC, 0, 0, CN_IDX_PROC, 0); /* pid 0 */
        put_event(buf, &off, PROC_EVENT_EXEC, 42, 42, CN_IDX_PROC, 0);
        assert_int_equal(execwatch_parse(buf, off, on_rec, &rs, &st), 0);
        assert_int_equal(rs.n, 4);
        assert_int_equal(rs.v[0].what, PROC_EVENT_EXEC);
        assert_int_equal(rs.v[0].pid, 101);
        assert_int_equal(rs.v[0].tgid, 100);
        assert_int_equal(rs.v[0].timestamp_ns, 123456789);
        assert_int_equal(rs.v[1].what, PROC_EVENT_FORK);
        assert_int_equal(rs.v[2].what, PROC_EVENT_EXIT);
        assert_int_equal(rs.v[2].pid, 7);
        assert_int_equal(rs.v[3].pid, 42);
        assert_int_equal(st.malformed, 3);

        /* a length beyond what was received stops the framing */
        rs.n = 0;
        st.malformed = 0;
        {
                uint32_t big = 100000;
                memcpy(buf, &big, sizeof(big));
                assert_int_equal(execwatch_parse(buf, off, on_rec, &rs, &st), 0);
                assert_int_equal(rs.n, 0);
                assert_int_equal(st.malformed, 1);
        }
        /* cut in the middle of the header, empty */
        assert_int_equal(execwatch_parse(buf, 7, on_rec, &rs, &st), 0);
        assert_int_equal(execwatch_parse(buf, 0, on_rec, &rs, NULL), 0);
        assert_int_equal(rs.n, 0);
}

static uint64_t now_ms(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

typedef struct evs {
        pid_t want;
        int execs, rechecks;
} evs_t;

static int on_ev(const execwatch_event_t *ev, void *userdata)
{
        evs_t *e = userdata;
        if (ev->tgid != e->want)
                return 0;
        if (ev->kind == EXECWATCH_EXEC)
                e->execs++;
        else
                e->rechecks++;
        return 0;
}

static void test_live(void **state)
{
        execwatch_opts_t o = { .recheck_ms = 50 };
        execwatch_t *w = NULL;
        execwatch_stats_t st;
        evs_t e = { 0 };
        int r;

        (void)state;
        r = execwatch_open(&o, &w);
        if (r == -EPERM || r == -EACCES || r == -EPROTONOSUPPORT) {
                skip(); /* not root, or no process connector here */
                return;
        }
        assert_int_equal(r, 0);
        assert_true(execwatch_fd(w) >= 0);
        assert_int_equal(execwatch_next_due(w), 0);

        e.want = fork();
        if (e.want == 0) {
                execl("/bin/true", "true", (char *)NULL);
                _exit(127);
        }
        /* Wait for the event itself; the limit only guards a broken
         * kernel. */
        for (int i = 0; i < 600 && e.execs == 0; i++) {
                struct pollfd p = { .fd = execwatch_fd(w), .events = POLLIN };
                if (poll(&p, 1, 100) > 0) {
                        r = execwatch_dispatch(w, now_ms(), on_ev, &e);
                        assert_true(r == 0 || r == -ENOBUFS);
                }
        }
        waitpid(e.want, NULL, 0);
        assert_int_equal(e.execs, 1);
        assert_true(execwatch_next_due(w) > 0);
        /* not due yet at the time of the exec, due after */
        assert_int_equal(execwatch_tick(w, 0, on_ev, &e), 0);
        assert_int_equal(e.rechecks, 0);
        assert_int_equal(execwatch_tick(w, execwatch_next_due(w) + 100000, on_ev, &e), 0);
        assert_int_equal(e.rechecks, 1);
        execwatch_get_stats(w, &st);
        assert_true(st.exec_events >= 1);
        assert_true(st.rechecks >= 1);
        assert_int_equal(st.foreign, 0);
        execwatch_free(w);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_live),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
