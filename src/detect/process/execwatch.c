#include "detect/process/execwatch.h"

#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A recheck waiting in the queue. */
typedef struct pending {
        pid_t pid, tgid;
        uint64_t due_ms;
} pending_t;

struct execwatch {
        int fd;
        unsigned recheck_ms; /* 0: no rechecks */
        /* Ring of rechecks in due order (all wait the same time, so the
         * order of arrival is the order of due time). */
        pending_t *ring;
        size_t cap, head, n;
        bool lost; /* ENOBUFS seen since the last dispatch returned */
        execwatch_stats_t st;
};

/* The subscription message: a netlink header, a connector header and the
 * operation, laid out as the kernel reads them. */
static int send_op(int fd, enum proc_cn_mcast_op op)
{
        char buf[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(enum proc_cn_mcast_op))];
        struct nlmsghdr nh = { 0 };
        struct cn_msg cn = { 0 };
        struct sockaddr_nl to = { .nl_family = AF_NETLINK };

        memset(buf, 0, sizeof(buf));
        nh.nlmsg_len = NLMSG_LENGTH(sizeof(cn) + sizeof(op));
        nh.nlmsg_type = NLMSG_DONE;
        nh.nlmsg_pid = 0; /* let the kernel fill in our port */
        cn.id.idx = CN_IDX_PROC;
        cn.id.val = CN_VAL_PROC;
        cn.len = sizeof(op);
        memcpy(buf, &nh, sizeof(nh));
        memcpy(buf + NLMSG_HDRLEN, &cn, sizeof(cn));
        memcpy(buf + NLMSG_HDRLEN + sizeof(cn), &op, sizeof(op));
        if (sendto(fd, buf, nh.nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
                return -errno;
        return 0;
}

int execwatch_open(const execwatch_opts_t *o, execwatch_t **ret)
{
        execwatch_t *w = calloc(1, sizeof(*w));
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC };
        int rcvbuf = o && o->rcvbuf > 0 ? o->rcvbuf : EXECWATCH_RCVBUF;
        int r;

        if (!w)
                return -ENOMEM;
        w->recheck_ms = !o || o->recheck_ms == 0      ? EXECWATCH_RECHECK_MS
                        : o->recheck_ms == UINT32_MAX ? 0
                                                      : o->recheck_ms;
        w->cap = o && o->max_pending ? o->max_pending : EXECWATCH_MAX_PENDING;
        w->ring = calloc(w->cap, sizeof(*w->ring));
        if (!w->ring) {
                free(w);
                return -ENOMEM;
        }
        w->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
        if (w->fd < 0) {
                r = errno == EAFNOSUPPORT ? -EPROTONOSUPPORT : -errno;
                goto fail;
        }
        /* A big buffer rides out bursts of execs (a build, a shell loop);
         * SO_RCVBUFFORCE goes past rmem_max for root, SO_RCVBUF is the
         * fallback. */
        if (setsockopt(w->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
                (void)setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
        if (bind(w->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                r = -errno;
                goto fail;
        }
        if ((r = send_op(w->fd, PROC_CN_MCAST_LISTEN)) < 0)
                goto fail;
        *ret = w;
        return 0;
fail:
        execwatch_free(w);
        return r;
}

void execwatch_free(execwatch_t *w)
{
        if (!w)
                return;
        if (w->fd >= 0) {
                (void)send_op(w->fd, PROC_CN_MCAST_IGNORE);
                close(w->fd);
        }
        free(w->ring);
        free(w);
}

int execwatch_fd(const execwatch_t *w)
{
        return w->fd;
}

int execwatch_parse(const void *buf, size_t n, execwatch_record_fn fn, void *userdata,
                    execwatch_stats_t *stats)
{
        const unsigned char *p = buf;
        size_t off = 0;
        int r;

        while (off + NLMSG_HDRLEN <= n) {
                struct nlmsghdr nh;
                struct cn_msg cn;
                struct proc_event ev;
                execwatch_record_t rec = { 0 };
                size_t plen, elen;

                memcpy(&nh, p + off, sizeof(nh));
                if (nh.nlmsg_len < NLMSG_HDRLEN || nh.nlmsg_len > n - off) {
                        if (stats)
                                stats->malformed++;
                        return 0; /* the rest cannot be framed */
                }
                plen = nh.nlmsg_len - NLMSG_HDRLEN;
                if (nh.nlmsg_type == NLMSG_NOOP || nh.nlmsg_type == NLMSG_ERROR ||
                    nh.nlmsg_type == NLMSG_OVERRUN)
                        goto next;
                if (plen < sizeof(cn)) {
                        if (stats)
                                stats->malformed++;
                        goto next;
                }
                memcpy(&cn, p + off + NLMSG_HDRLEN, sizeof(cn));
                if (cn.id.idx != CN_IDX_PROC || cn.id.val != CN_VAL_PROC ||
                    cn.len > plen - sizeof(cn) ||
                    cn.len < offsetof(struct proc_event, event_data)) {
                        if (stats)
                                stats->malformed++;
                        goto next;
                }
                /* Copy what was sent, zero the rest: a short event leaves
                 * the fields it did not carry at 0. */
                elen = cn.len < sizeof(ev) ? cn.len : sizeof(ev);
                memset(&ev, 0, sizeof(ev));
                memcpy(&ev, p + off + NLMSG_HDRLEN + sizeof(cn), elen);
                rec.what = ev.what;
                rec.timestamp_ns = ev.timestamp_ns;
                switch (ev.what) {
                case PROC_EVENT_EXEC:
                        if (cn.len <
                            offsetof(struct proc_event, event_data) + sizeof(ev.event_data.exec)) {
                                if (stats)
                                        stats->malformed++;
                                goto next;
                        }
                        rec.pid = ev.event_data.exec.process_pid;
                        rec.tgid = ev.event_data.exec.process_tgid;
                        if (rec.pid <= 0 || rec.tgid <= 0) {
                                if (stats)
                                        stats->malformed++;
                                goto next;
                        }
                        break;
                case PROC_EVENT_EXIT:
                        if (cn.len <
                            offsetof(struct proc_event, event_data) + sizeof(ev.event_data.exit)) {
                                if (stats)
                                        stats->malformed++;
                                goto next;
                        }
                        rec.pid = ev.event_data.exit.process_pid;
                        rec.tgid = ev.event_data.exit.process_tgid;
                        break;
                default:
                        break;
                }
                if (fn && (r = fn(&rec, userdata)) < 0)
                        return r;
        next:
                off += NLMSG_ALIGN(nh.nlmsg_len);
        }
        return 0;
}

typedef struct dispatch_ctx {
        execwatch_t *w;
        uint64_t now_ms;
        execwatch_fn fn;
        void *userdata;
} dispatch_ctx_t;

static void queue_recheck(execwatch_t *w, pid_t pid, pid_t tgid, uint64_t due)
{
        if (!w->recheck_ms)
                return;
        if (w->n == w->cap) {
                w->st.recheck_dropped++;
                return;
        }
        w->ring[(w->head + w->n) % w->cap] = (pending_t){ pid, tgid, due };
        w->n++;
}

static int on_record(const execwatch_record_t *rec, void *userdata)
{
        dispatch_ctx_t *c = userdata;
        execwatch_event_t ev;
        int r;

        switch (rec->what) {
        case PROC_EVENT_EXEC:
                c->w->st.exec_events++;
                ev = (execwatch_event_t){ EXECWATCH_EXEC, rec->pid, rec->tgid, rec->timestamp_ns };
                if (c->fn && (r = c->fn(&ev, c->userdata)) < 0)
                        return r;
                queue_recheck(c->w, rec->pid, rec->tgid, c->now_ms + c->w->recheck_ms);
                return 0;
        case PROC_EVENT_EXIT:
                c->w->st.exit_events++;
                return 0;
        default:
                c->w->st.other_events++;
                return 0;
        }
}

int execwatch_dispatch(execwatch_t *w, uint64_t now_ms, execwatch_fn fn, void *userdata)
{
        dispatch_ctx_t c = { w, now_ms, fn, userdata };
        /* Aligned for the netlink headers; events are small, but a
         * datagram may carry several. */
        union {
                struct nlmsghdr nh;
                char bytes[16384];
        } buf;

        for (unsigned i = 0; i < EXECWATCH_MAX_BATCH; i++) {
                struct sockaddr_nl from = { 0 };
                socklen_t fl = sizeof(from);
                ssize_t k = recvfrom(w->fd, buf.bytes, sizeof(buf.bytes), 0,
                                     (struct sockaddr *)&from, &fl);
                int r;

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == ENOBUFS) {
                                /* The kernel dropped events; the socket goes
                                 * on working. */
                                w->st.overruns++;
                                w->lost = true;
                                continue;
                        }
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                                break;
                        return -errno;
                }
                w->st.datagrams++;
                if (fl < sizeof(from) || from.nl_family != AF_NETLINK || from.nl_pid != 0) {
                        w->st.foreign++;
                        continue;
                }
                if ((r = execwatch_parse(buf.bytes, (size_t)k, on_record, &c, &w->st)) < 0)
                        return r;
        }
        if (w->lost) {
                w->lost = false;
                return -ENOBUFS;
        }
        return 0;
}

int execwatch_tick(execwatch_t *w, uint64_t now_ms, execwatch_fn fn, void *userdata)
{
        while (w->n > 0 && w->ring[w->head].due_ms <= now_ms) {
                pending_t p = w->ring[w->head];
                execwatch_event_t ev = { EXECWATCH_RECHECK, p.pid, p.tgid, 0 };
                int r;

                if (fn && (r = fn(&ev, userdata)) < 0)
                        return r;
                w->head = (w->head + 1) % w->cap;
                w->n--;
                w->st.rechecks++;
        }
        return 0;
}

uint64_t execwatch_next_due(const execwatch_t *w)
{
        return w->n ? w->ring[w->head].due_ms : 0;
}

void execwatch_get_stats(const execwatch_t *w, execwatch_stats_t *ret)
{
        *ret = w->st;
}
