#include "detect/netattack/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "core/text.h"

struct capture {
        pcap_t *p;
        int linktype;
        int fd;
        bool live;
        unsigned max_per_dispatch;
        capture_stats_t stats;
};

/* What the per-packet handler needs; lives on the dispatcher's stack. */
typedef struct dispatch_ctx {
        capture_t *c;
        capture_syn_fn fn;
        void *userdata;
        int err;
} dispatch_ctx_t;

void capture_opts_default(capture_opts_t *o)
{
        *o = (capture_opts_t){
                .device = "any",
                .buffer_bytes = 2 * 1024 * 1024,
                .timeout_ms = 500,
                .immediate = false,
                .max_per_dispatch = 4096,
        };
}

static void set_error(char **ret_error, const char *what, const char *msg)
{
        if (ret_error)
                *ret_error = str_printf("%s: %s", what, msg && *msg ? msg : "unknown error");
}

void capture_free(capture_t *c)
{
        if (!c)
                return;
        if (c->p)
                pcap_close(c->p);
        free(c);
}

static int activate_error(int status)
{
        switch (status) {
        case PCAP_ERROR_PERM_DENIED:
        case PCAP_ERROR_PROMISC_PERM_DENIED:
                return -EPERM;
        case PCAP_ERROR_NO_SUCH_DEVICE:
                return -ENODEV;
        case PCAP_ERROR_IFACE_NOT_UP:
                return -ENETDOWN;
        default:
                return -EIO;
        }
}

static int set_filter(capture_t *c, char **ret_error)
{
        struct bpf_program prog;

        if (pcap_compile(c->p, &prog, CAPTURE_FILTER, 1, PCAP_NETMASK_UNKNOWN) < 0) {
                set_error(ret_error, "compiling the capture filter", pcap_geterr(c->p));
                return -EINVAL;
        }
        if (pcap_setfilter(c->p, &prog) < 0) {
                pcap_freecode(&prog);
                set_error(ret_error, "setting the capture filter", pcap_geterr(c->p));
                return -EINVAL;
        }
        pcap_freecode(&prog);
        return 0;
}

int capture_open(const capture_opts_t *o, capture_t **ret, char **ret_error)
{
        char errbuf[PCAP_ERRBUF_SIZE] = "";
        capture_t *c;
        int r;

        if (!o->device || !*o->device || o->buffer_bytes < CAPTURE_MIN_BUFFER ||
            o->buffer_bytes > CAPTURE_MAX_BUFFER || o->timeout_ms < 1 || o->timeout_ms > 60000 ||
            o->max_per_dispatch < 1) {
                set_error(ret_error, "capture options", "out of range");
                return -EINVAL;
        }
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->live = true;
        c->max_per_dispatch = o->max_per_dispatch;
        c->p = pcap_create(o->device, errbuf);
        if (!c->p) {
                set_error(ret_error, o->device, errbuf);
                capture_free(c);
                return -EIO;
        }
        if (pcap_set_snaplen(c->p, CAPTURE_SNAPLEN) < 0 || pcap_set_promisc(c->p, 0) < 0 ||
            pcap_set_timeout(c->p, o->timeout_ms) < 0 ||
            pcap_set_immediate_mode(c->p, o->immediate ? 1 : 0) < 0 ||
            pcap_set_buffer_size(c->p, (int)o->buffer_bytes) < 0) {
                set_error(ret_error, o->device, "cannot set the capture options");
                capture_free(c);
                return -EIO;
        }
        r = pcap_activate(c->p);
        if (r < 0) {
                /* pcap_geterr holds the detail for most errors. */
                set_error(ret_error, o->device,
                          r == PCAP_ERROR ? pcap_geterr(c->p) : pcap_statustostr(r));
                capture_free(c);
                return activate_error(r);
        }
        /* Only what arrives: what this host sends is not an attack on it.
         * The parser drops outgoing frames of the cooked headers too, so a
         * kernel that refuses the direction filter loses nothing. */
        (void)pcap_setdirection(c->p, PCAP_D_IN);
        r = set_filter(c, ret_error);
        if (r < 0) {
                capture_free(c);
                return r;
        }
        if (pcap_setnonblock(c->p, 1, errbuf) < 0) {
                set_error(ret_error, o->device, errbuf);
                capture_free(c);
                return -EIO;
        }
        c->linktype = pcap_datalink(c->p);
        c->fd = pcap_get_selectable_fd(c->p);
        if (c->fd < 0) {
                set_error(ret_error, o->device, "no selectable descriptor");
                capture_free(c);
                return -EIO;
        }
        *ret = c;
        return 0;
}

int capture_open_file(const char *path, capture_t **ret, char **ret_error)
{
        char errbuf[PCAP_ERRBUF_SIZE] = "";
        capture_t *c;
        FILE *f;
        int r;

        f = fopen(path, "rbe");
        if (!f) {
                r = -errno;
                set_error(ret_error, path, strerror(errno));
                return r;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                fclose(f);
                return -ENOMEM;
        }
        c->max_per_dispatch = 4096;
        c->fd = -1;
        /* On success libpcap owns F and closes it with the handle. */
        c->p = pcap_fopen_offline(f, errbuf);
        if (!c->p) {
                fclose(f);
                set_error(ret_error, path, errbuf);
                capture_free(c);
                return -EBADMSG;
        }
        r = set_filter(c, ret_error);
        if (r < 0) {
                capture_free(c);
                return r;
        }
        c->linktype = pcap_datalink(c->p);
        *ret = c;
        return 0;
}

int capture_fd(const capture_t *c)
{
        return c->fd;
}

int capture_linktype(const capture_t *c)
{
        return c->linktype;
}

static void handle(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
        dispatch_ctx_t *ctx = (dispatch_ctx_t *)user;
        capture_t *c = ctx->c;
        netpkt_syn_t syn;
        int64_t t;
        int r;

        if (ctx->err < 0)
                return;
        c->stats.frames++;
        /* caplen never exceeds what libpcap handed over, but it is checked
         * against the snapshot length all the same. */
        r = netpkt_parse_syn(c->linktype, bytes, MIN((size_t)h->caplen, (size_t)h->len), &syn);
        switch (r) {
        case 0:
                break;
        case -ENOMSG:
                c->stats.not_syn++;
                return;
        case -EPROTONOSUPPORT:
                c->stats.unsupported++;
                return;
        default:
                c->stats.malformed++;
                return;
        }
        c->stats.syns++;
        t = (int64_t)h->ts.tv_sec * 1000000 + (int64_t)h->ts.tv_usec;
        r = ctx->fn(&syn, t, ctx->userdata);
        if (r < 0) {
                ctx->err = r;
                pcap_breakloop(c->p);
        }
}

int capture_dispatch(capture_t *c, capture_syn_fn fn, void *userdata, size_t *ret_frames)
{
        dispatch_ctx_t ctx = { .c = c, .fn = fn, .userdata = userdata };
        uint64_t before = c->stats.frames;
        int n;

        n = pcap_dispatch(c->p, (int)MIN(c->max_per_dispatch, (unsigned)INT32_MAX), handle,
                          (u_char *)&ctx);
        if (ret_frames)
                *ret_frames = (size_t)(c->stats.frames - before);
        if (ctx.err < 0)
                return ctx.err;
        if (n == PCAP_ERROR)
                return -EIO;
        return 0;
}

void capture_get_stats(capture_t *c, capture_stats_t *ret)
{
        struct pcap_stat ps;

        if (c->live && pcap_stats(c->p, &ps) == 0)
                c->stats.kernel_drops = ps.ps_drop;
        *ret = c->stats;
}
