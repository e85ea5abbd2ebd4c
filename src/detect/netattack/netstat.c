#include "detect/netattack/netstat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/macro.h"

/* Where each counter is found: the line-pair prefix (TcpExt, Udp) or the
 * snmp6 table (prefix NULL), and its name there. */
static const struct {
        const char *prefix;
        const char *name;
} counters[NETSTAT_COUNTER__MAX] = {
        [NETSTAT_LISTEN_OVERFLOWS] = { "TcpExt", "ListenOverflows" },
        [NETSTAT_LISTEN_DROPS] = { "TcpExt", "ListenDrops" },
        [NETSTAT_REQQ_FULL_DROP] = { "TcpExt", "TCPReqQFullDrop" },
        [NETSTAT_SYNCOOKIES_SENT] = { "TcpExt", "SyncookiesSent" },
        [NETSTAT_SYNCOOKIES_FAILED] = { "TcpExt", "SyncookiesFailed" },
        [NETSTAT_UDP_IN] = { "Udp", "InDatagrams" },
        [NETSTAT_UDP_NOPORTS] = { "Udp", "NoPorts" },
        [NETSTAT_UDP_IN_ERRORS] = { "Udp", "InErrors" },
        [NETSTAT_UDP_RCVBUF_ERRORS] = { "Udp", "RcvbufErrors" },
        [NETSTAT_UDP6_IN] = { NULL, "Udp6InDatagrams" },
        [NETSTAT_UDP6_NOPORTS] = { NULL, "Udp6NoPorts" },
        [NETSTAT_UDP6_IN_ERRORS] = { NULL, "Udp6InErrors" },
        [NETSTAT_UDP6_RCVBUF_ERRORS] = { NULL, "Udp6RcvbufErrors" },
};

const char *netstat_counter_name(netstat_counter_t c)
{
        return (unsigned)c < NETSTAT_COUNTER__MAX ? counters[c].name : "unknown";
}

/* A byte range of the input; never NUL-terminated. */
typedef struct span {
        const char *p;
        size_t n;
} span_t;

static bool span_eq(span_t s, const char *lit)
{
        size_t n = strlen(lit);
        return s.n == n && memcmp(s.p, lit, n) == 0;
}

static bool is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r';
}

/* The next field of LINE at *POS, separated by blanks; false at the end. */
static bool next_field(span_t line, size_t *pos, span_t *ret)
{
        size_t i = *pos, start;

        while (i < line.n && is_blank(line.p[i]))
                i++;
        if (i >= line.n)
                return false;
        start = i;
        while (i < line.n && !is_blank(line.p[i]))
                i++;
        *ret = (span_t){ line.p + start, i - start };
        *pos = i;
        return true;
}

/* A decimal unsigned number filling the whole span. */
static bool parse_u64(span_t s, uint64_t *ret)
{
        uint64_t v = 0;

        if (s.n == 0 || s.n > 20)
                return false;
        for (size_t i = 0; i < s.n; i++) {
                unsigned d = (unsigned char)s.p[i] - '0';
                if (d > 9 || v > (UINT64_MAX - d) / 10)
                        return false;
                v = v * 10 + d;
        }
        *ret = v;
        return true;
}

/* Split DATA into lines and call FN for each. The kernel ends every line
 * with a newline, so a last line without one was cut off (a read that
 * raced a change, a truncated copy) and is counted as bad, like a line
 * over the cap. */
typedef void (*line_fn)(span_t line, void *userdata);

static void for_each_line(const char *data, size_t n, line_fn fn, void *ud, size_t *bad)
{
        size_t pos = 0;

        while (pos < n) {
                const char *nl = memchr(data + pos, '\n', n - pos);
                size_t len = nl ? (size_t)(nl - (data + pos)) : n - pos;

                if (!nl || len > NETSTAT_MAX_LINE)
                        (*bad)++;
                else if (len > 0)
                        fn((span_t){ data + pos, len }, ud);
                pos += len + (nl ? 1 : 0);
        }
}

/* The prefix of a pair line: the first field, which ends in ':'. */
static bool line_prefix(span_t line, span_t *ret, size_t *ret_pos)
{
        size_t pos = 0;
        span_t f;

        if (!next_field(line, &pos, &f) || f.n < 2 || f.p[f.n - 1] != ':')
                return false;
        *ret = (span_t){ f.p, f.n - 1 };
        *ret_pos = pos;
        return true;
}

typedef struct pairs_state {
        netstat_sample_t *s;
        span_t header; /* the pending header line, n == 0 when none */
} pairs_state_t;

static void take_pair(netstat_sample_t *s, span_t prefix, span_t names, size_t npos, span_t values,
                      size_t vpos)
{
        uint64_t got[NETSTAT_COUNTER__MAX] = { 0 };
        uint32_t have = 0;
        bool bad = false;
        span_t name, val;

        for (;;) {
                bool more_n = next_field(names, &npos, &name);
                bool more_v = next_field(values, &vpos, &val);

                if (!more_n && !more_v)
                        break;
                if (more_n != more_v) {
                        /* Header and values disagree on the number of
                         * fields: nothing in the pair can be placed. */
                        s->bad_lines++;
                        return;
                }
                for (int c = 0; c < NETSTAT_COUNTER__MAX; c++) {
                        if (!counters[c].prefix || !span_eq(prefix, counters[c].prefix) ||
                            !span_eq(name, counters[c].name))
                                continue;
                        if (parse_u64(val, &got[c]))
                                have |= 1u << c;
                        else
                                bad = true;
                }
        }
        for (int c = 0; c < NETSTAT_COUNTER__MAX; c++)
                if (have & (1u << c)) {
                        s->v[c] = got[c];
                        s->have |= 1u << c;
                }
        if (bad)
                s->bad_lines++;
}

static void pairs_line(span_t line, void *userdata)
{
        pairs_state_t *st = userdata;
        span_t prefix, hprefix;
        size_t pos, hpos;

        if (!line_prefix(line, &prefix, &pos)) {
                /* Neither a header nor values; a header waiting for its
                 * values is lost with it. */
                st->s->bad_lines += st->header.n > 0 ? 2 : 1;
                st->header.n = 0;
                return;
        }
        if (st->header.n > 0 && line_prefix(st->header, &hprefix, &hpos) && hprefix.n == prefix.n &&
            memcmp(hprefix.p, prefix.p, prefix.n) == 0) {
                take_pair(st->s, prefix, st->header, hpos, line, pos);
                st->header.n = 0;
                return;
        }
        if (st->header.n > 0)
                st->s->bad_lines++; /* a header without its values */
        st->header = line;
}

int netstat_parse_pairs(const char *data, size_t n, netstat_sample_t *s)
{
        pairs_state_t st = { .s = s };

        for_each_line(data, n, pairs_line, &st, &s->bad_lines);
        if (st.header.n > 0)
                s->bad_lines++;
        return 0;
}

static void snmp6_line(span_t line, void *userdata)
{
        netstat_sample_t *s = userdata;
        span_t name, val, extra;
        size_t pos = 0;
        uint64_t v;

        if (!next_field(line, &pos, &name))
                return;
        if (!next_field(line, &pos, &val) || next_field(line, &pos, &extra)) {
                s->bad_lines++;
                return;
        }
        for (int c = 0; c < NETSTAT_COUNTER__MAX; c++) {
                if (counters[c].prefix || !span_eq(name, counters[c].name))
                        continue;
                if (parse_u64(val, &v)) {
                        s->v[c] = v;
                        s->have |= 1u << c;
                } else
                        s->bad_lines++;
        }
}

int netstat_parse_snmp6(const char *data, size_t n, netstat_sample_t *s)
{
        for_each_line(data, n, snmp6_line, s, &s->bad_lines);
        return 0;
}

static bool is_hex(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool all_hex(const char *p, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_hex(p[i]))
                        return false;
        return true;
}

/* "0100007F:DC59" or the 32-hex-digit IPv6 form, then a port. */
static bool is_addr_port(span_t f)
{
        const char *colon = memchr(f.p, ':', f.n);
        size_t a, p;

        if (!colon)
                return false;
        a = (size_t)(colon - f.p);
        p = f.n - a - 1;
        return (a == 8 || a == 32) && all_hex(f.p, a) && p == 4 && all_hex(colon + 1, p);
}

typedef struct synrecv_state {
        uint64_t count;
        uint64_t lines;
        size_t bad;
} synrecv_state_t;

static void synrecv_line(span_t line, void *userdata)
{
        synrecv_state_t *st = userdata;
        span_t sl, local, remote, state;
        size_t pos = 0;

        if (!next_field(line, &pos, &sl))
                return;
        if (span_eq(sl, "sl"))
                return; /* the header */
        if (sl.n < 2 || sl.p[sl.n - 1] != ':' || !next_field(line, &pos, &local) ||
            !next_field(line, &pos, &remote) || !next_field(line, &pos, &state) ||
            !is_addr_port(local) || !is_addr_port(remote) || state.n != 2 || !all_hex(state.p, 2)) {
                st->bad++;
                return;
        }
        for (size_t i = 0; i + 1 < sl.n; i++)
                if (sl.p[i] < '0' || sl.p[i] > '9') {
                        st->bad++;
                        return;
                }
        st->lines++;
        if (state.p[0] == '0' && state.p[1] == '3')
                st->count++;
}

int netstat_count_synrecv(const char *data, size_t n, uint64_t *ret_count, size_t *ret_bad,
                          uint64_t *ret_lines)
{
        synrecv_state_t st = { 0 };

        for_each_line(data, n, synrecv_line, &st, &st.bad);
        *ret_count += st.count;
        *ret_bad += st.bad;
        if (ret_lines)
                *ret_lines += st.lines;
        return 0;
}

/* Open a /proc file for reading; refuse anything but a regular file, so a
 * test tree with a FIFO in it cannot block the reader. */
static int open_proc(const char *dir, const char *name)
{
        char path[4096];
        struct stat st;
        int fd, r;

        if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
                return -ENAMETOOLONG;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                close(fd);
                return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
        }
        return fd;
}

static int read_all(const char *dir, const char *name, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = open_proc(dir, name);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;

        if (fd < 0)
                return fd;
        for (;;) {
                ssize_t k;

                if (cap - len < 4096) {
                        size_t ncap = cap ? cap * 2 : 16384;
                        char *nb;

                        if (ncap > NETSTAT_MAX_FILE + 4096)
                                ncap = NETSTAT_MAX_FILE + 4096;
                        if (ncap <= cap)
                                return -EFBIG;
                        nb = realloc(buf, ncap);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                        cap = ncap;
                }
                k = read(fd, buf + len, cap - len - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t)k;
                if (len > NETSTAT_MAX_FILE)
                        return -EFBIG;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

/* Count SYN_RECV sockets of a tcp table, in chunks so that a host with a
 * million sockets costs a fixed buffer, not a copy of the table. */
static int read_synrecv(const char *dir, const char *name, netstat_sample_t *s, uint64_t *lines)
{
        enum { CHUNK = 64 * 1024 };
        _cleanup_close_ int fd = open_proc(dir, name);
        _cleanup_free_ char *buf = NULL;
        size_t have = 0;
        bool skipping = false; /* inside a line longer than the buffer */

        if (fd < 0)
                return fd;
        buf = malloc(CHUNK);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k = read(fd, buf + have, CHUNK - have);
                const char *last_nl;
                size_t done;

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0) {
                        if (have > 0 && !skipping)
                                s->bad_lines++; /* a last line without its newline */
                        break;
                }
                have += (size_t)k;
                last_nl = memrchr(buf, '\n', have);
                if (!last_nl) {
                        if (have == CHUNK) {
                                /* One line fills the buffer: drop it. */
                                if (!skipping)
                                        s->bad_lines++;
                                skipping = true;
                                have = 0;
                        }
                        continue;
                }
                done = (size_t)(last_nl - buf) + 1;
                if (skipping) {
                        const char *nl = memchr(buf, '\n', have);
                        size_t skip = (size_t)(nl - buf) + 1;
                        netstat_count_synrecv(buf + skip, done - skip, &s->synrecv, &s->bad_lines,
                                              lines);
                        skipping = false;
                } else
                        netstat_count_synrecv(buf, done, &s->synrecv, &s->bad_lines, lines);
                memmove(buf, buf + done, have - done);
                have -= done;
                if (*lines >= NETSTAT_MAX_SOCKETS) {
                        s->synrecv_capped = true;
                        break;
                }
        }
        s->have_synrecv = true;
        return 0;
}

int netstat_read_synrecv(const char *proc_dir, netstat_sample_t *s)
{
        uint64_t lines = 0;
        int r4, r6 = -ENOENT;

        s->synrecv = 0;
        s->synrecv_capped = false;
        s->have_synrecv = false;
        r4 = read_synrecv(proc_dir, "net/tcp", s, &lines);
        if (r4 < 0 && r4 != -ENOENT)
                return r4;
        if (!s->synrecv_capped) {
                r6 = read_synrecv(proc_dir, "net/tcp6", s, &lines);
                if (r6 < 0 && r6 != -ENOENT)
                        return r6;
        }
        return r4 == 0 || r6 == 0 ? 0 : -ENOENT;
}

int netstat_read(const char *proc_dir, bool with_synrecv, netstat_sample_t *ret)
{
        static const char *const pair_files[] = { "net/netstat", "net/snmp" };
        netstat_sample_t s = { 0 };
        bool any = false;
        char *data = NULL;
        size_t len = 0;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(pair_files) + 1; i++) {
                const char *name = i < ELEMENTSOF(pair_files) ? pair_files[i] : "net/snmp6";

                r = read_all(proc_dir, name, &data, &len);
                if (r == -ENOENT)
                        continue; /* e.g. no IPv6 */
                if (r < 0)
                        return r;
                if (i < ELEMENTSOF(pair_files))
                        netstat_parse_pairs(data, len, &s);
                else
                        netstat_parse_snmp6(data, len, &s);
                free(data);
                any = true;
        }
        if (!any)
                return -ENOENT;
        if (with_synrecv) {
                r = netstat_read_synrecv(proc_dir, &s);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        *ret = s;
        return 0;
}
