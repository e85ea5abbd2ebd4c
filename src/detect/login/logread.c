#include "detect/login/logread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "detect/login/journal.h"
#include "detect/login/utmp.h"

/* Read size: large enough that framing cost is per line, not per read. */
#define CHUNK (4 * MiB)

static const char *const input_names[] = {
        [LOGREAD_AUTO] = "auto", [LOGREAD_TEXT] = "text", [LOGREAD_EXPORT] = "export",
        [LOGREAD_JSON] = "json", [LOGREAD_WTMP] = "wtmp", [LOGREAD_BTMP] = "btmp",
};

const char *logread_input_name(logread_input_t in)
{
        return (size_t)in < ELEMENTSOF(input_names) ? input_names[in] : "?";
}

int logread_input_from_name(const char *s, logread_input_t *ret)
{
        for (size_t i = 0; i < ELEMENTSOF(input_names); i++)
                if (strcmp(s, input_names[i]) == 0) {
                        *ret = (logread_input_t)i;
                        return 0;
                }
        return -EINVAL;
}

logread_input_t logread_input_for_path(const char *path)
{
        const char *base = strrchr(path, '/');

        base = base ? base + 1 : path;
        if (strncmp(base, "btmp", 4) == 0)
                return LOGREAD_BTMP;
        if (strncmp(base, "wtmp", 4) == 0 || strncmp(base, "utmp", 4) == 0)
                return LOGREAD_WTMP;
        return LOGREAD_AUTO;
}

/* A byte source: the descriptor, or a gzip stream over it. */
typedef struct source {
        int fd;
        z_stream z;
        bool gz, z_init, z_end;
        unsigned char *in;
        size_t in_len;
        bool eof;
} source_t;

static ssize_t raw_read(int fd, void *p, size_t n)
{
        ssize_t k;

        do
                k = read(fd, p, n);
        while (k < 0 && errno == EINTR);
        return k < 0 ? -errno : k;
}

/* Read up to N bytes; 0 at the end. */
static ssize_t source_read(source_t *s, char *p, size_t n)
{
        if (!s->gz)
                return raw_read(s->fd, p, n);
        s->z.next_out = (unsigned char *)p;
        s->z.avail_out = (uInt)MIN(n, (size_t)UINT32_MAX);
        while (s->z.avail_out == (uInt)MIN(n, (size_t)UINT32_MAX)) {
                int zr;

                if (s->z_end) {
                        /* Concatenated gzip members (gzip a b > c) follow. */
                        if (s->z.avail_in == 0 && !s->eof) {
                                ssize_t k = raw_read(s->fd, s->in, CHUNK);
                                if (k < 0)
                                        return k;
                                if (k == 0)
                                        s->eof = true;
                                s->z.next_in = s->in;
                                s->z.avail_in = (uInt)k;
                        }
                        if (s->z.avail_in == 0)
                                break;
                        if (inflateReset(&s->z) != Z_OK)
                                return -EBADMSG;
                        s->z_end = false;
                }
                if (s->z.avail_in == 0) {
                        ssize_t k;
                        if (s->eof)
                                return -EBADMSG; /* cut off inside a member */
                        k = raw_read(s->fd, s->in, CHUNK);
                        if (k < 0)
                                return k;
                        if (k == 0) {
                                s->eof = true;
                                return -EBADMSG;
                        }
                        s->z.next_in = s->in;
                        s->z.avail_in = (uInt)k;
                }
                zr = inflate(&s->z, Z_NO_FLUSH);
                if (zr == Z_STREAM_END)
                        s->z_end = true;
                else if (zr == Z_MEM_ERROR)
                        return -ENOMEM;
                else if (zr != Z_OK && zr != Z_BUF_ERROR)
                        return -EBADMSG;
        }
        return (ssize_t)(MIN(n, (size_t)UINT32_MAX) - s->z.avail_out);
}

static void source_close(source_t *s)
{
        if (s->z_init)
                inflateEnd(&s->z);
        free(s->in);
}

/* Fill BUF (capacity CAP) with the first bytes, and switch S to gzip when
 * they are its magic. Returns the bytes now in BUF or a negative errno. */
static ssize_t source_open(source_t *s, char *buf, size_t cap)
{
        ssize_t k = 0, r;

        /* Enough bytes to tell the format, even from a pipe. */
        while ((size_t)k < 2 && (r = raw_read(s->fd, buf + k, cap - (size_t)k)) > 0)
                k += r;
        if (k < 0)
                return k;
        if (r < 0)
                return r;
        if (k >= 2 && (unsigned char)buf[0] == 0x1f && (unsigned char)buf[1] == 0x8b) {
                s->in = malloc(CHUNK);
                if (!s->in)
                        return -ENOMEM;
                memcpy(s->in, buf, (size_t)k);
                s->z.next_in = s->in;
                s->z.avail_in = (uInt)k;
                if (inflateInit2(&s->z, 15 + 16) != Z_OK)
                        return -ENOMEM;
                s->z_init = true;
                s->gz = true;
                return source_read(s, buf, cap);
        }
        return k;
}

static logread_input_t sniff(const char *p, size_t n)
{
        size_t i = 0;

        if (n && p[0] == '{')
                return LOGREAD_JSON;
        /* Export format: FIELD=value lines with journald's field names. */
        while (i < n &&
               ((p[i] >= 'A' && p[i] <= 'Z') || p[i] == '_' || (p[i] >= '0' && p[i] <= '9')))
                i++;
        if (i > 0 && i < n && (p[i] == '=' || p[i] == '\n') && p[0] != '0' &&
            (logmsg_find(p, MIN(n, (size_t)4096), LIT("__REALTIME_TIMESTAMP=")) ||
             logmsg_find(p, MIN(n, (size_t)4096), LIT("__CURSOR=")) ||
             logmsg_find(p, MIN(n, (size_t)4096), LIT("\nMESSAGE=")) ||
             logmsg_starts(p, n, LIT("MESSAGE="))))
                return LOGREAD_EXPORT;
        return LOGREAD_TEXT;
}

typedef struct reader {
        const char *name;
        logparse_ctx_t *ctx;
        const logread_cb_t *cb;
        logread_stats_t *st;
} reader_t;

static int emit(reader_t *rd, const logevent_t *e)
{
        rd->st->events++;
        return rd->cb->on_event ? rd->cb->on_event(e, rd->cb->userdata) : 0;
}

static int text_line(reader_t *rd, const char *line, size_t n)
{
        logevent_t ev;
        size_t k = 0;
        int r;

        rd->st->records++;
        r = logparse_line(rd->ctx, line, n, rd->name, rd->st->records, &ev, 1, &k);
        if (r == -E2BIG) {
                rd->st->oversized++;
                return 0;
        }
        if (r == LOGPARSE_EVENT && k)
                return emit(rd, &ev);
        if (r == LOGPARSE_UNMATCHED && rd->cb->on_unmatched) {
                while (n && (line[n - 1] == '\r'))
                        n--;
                return rd->cb->on_unmatched(rd->name, rd->st->records, line, n, rd->cb->userdata);
        }
        return 0;
}

static int journal_entry(reader_t *rd, const journal_entry_t *je)
{
        logmsg_t m = { .file = rd->name, .line = ++rd->st->records };
        logevent_t ev;
        size_t k = 0;
        int r;

        if (!journal_entry_to_msg(je, &m))
                return 0;
        r = logparse_message(rd->ctx, &m, &ev, 1, &k);
        if (r == -E2BIG) {
                rd->st->oversized++;
                return 0;
        }
        if (r == LOGPARSE_EVENT && k)
                return emit(rd, &ev);
        if (r == LOGPARSE_UNMATCHED && rd->cb->on_unmatched)
                return rd->cb->on_unmatched(rd->name, m.line, m.msg, m.len, rd->cb->userdata);
        return 0;
}

static int export_entry(const journal_entry_t *je, void *userdata)
{
        return journal_entry(userdata, je);
}

/* One `journalctl -o json` line; a malformed one is counted and skipped. */
static int json_line(reader_t *rd, journal_entry_t *je, const char *p, size_t n)
{
        int r = journal_json_line(p, n, je);

        if (r == 0)
                return journal_entry(rd, je);
        rd->st->records++;
        rd->st->bad++;
        return r == -ENOMEM ? r : 0;
}

/* Lines: frame with memchr; a partial line moves to the front of BUF. */
static int read_lines(reader_t *rd, source_t *src, char *buf, size_t have, bool json)
{
        size_t start = 0;
        bool skipping = false; /* inside a line over the cap */
        journal_entry_t je;
        int r = 0;

        if (json)
                journal_entry_init(&je);
        for (;;) {
                char *p = buf + start, *end = buf + have, *nl;
                ssize_t k;

                while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
                        if (skipping) {
                                skipping = false;
                        } else if (json) {
                                r = json_line(rd, &je, p, (size_t)(nl - p));
                        } else
                                r = text_line(rd, p, (size_t)(nl - p));
                        if (r < 0)
                                goto out;
                        p = nl + 1;
                }
                start = (size_t)(p - buf);
                if (have - start > LOGPARSE_LINE_MAX) {
                        /* Too long to be a line: drop what there is and
                         * the rest up to the next newline. */
                        if (!skipping) {
                                rd->st->records++;
                                rd->st->oversized++;
                        }
                        skipping = true;
                        start = have;
                }
                memmove(buf, buf + start, have - start);
                have -= start;
                start = 0;
                k = source_read(src, buf + have, CHUNK - have);
                if (k < 0) {
                        r = (int)k;
                        goto out;
                }
                if (k == 0)
                        break;
                rd->st->bytes += (uint64_t)k;
                have += (size_t)k;
        }
        if (have && !skipping) {
                if (json)
                        r = json_line(rd, &je, buf, have);
                else
                        r = text_line(rd, buf, have);
        }
out:
        if (json)
                journal_entry_free(&je);
        return r;
}

static int read_export(reader_t *rd, source_t *src, char *buf, size_t have)
{
        journal_export_t *jx = journal_export_new(export_entry, rd);
        int r;

        if (!jx)
                return -ENOMEM;
        for (;;) {
                ssize_t k;

                r = journal_export_feed(jx, buf, have);
                if (r < 0)
                        goto out;
                k = source_read(src, buf, CHUNK);
                if (k < 0) {
                        r = (int)k;
                        goto out;
                }
                if (k == 0)
                        break;
                rd->st->bytes += (uint64_t)k;
                have = (size_t)k;
        }
        r = journal_export_finish(jx);
out:
        rd->st->bad += journal_export_errors(jx);
        journal_export_free(jx);
        return r;
}

static int read_utmp(reader_t *rd, source_t *src, char *buf, size_t have, bool btmp)
{
        for (;;) {
                size_t off = 0;
                ssize_t k;

                while (have - off >= UTMP_RECORD_SIZE) {
                        logevent_t ev;
                        int r;

                        rd->st->records++;
                        r = utmp_parse_record((const uint8_t *)buf + off, UTMP_RECORD_SIZE, btmp,
                                              rd->name, rd->st->records, &ev);
                        if (r < 0)
                                rd->st->bad++;
                        else if (r > 0 && (r = emit(rd, &ev)) < 0)
                                return r;
                        off += UTMP_RECORD_SIZE;
                }
                memmove(buf, buf + off, have - off);
                have -= off;
                k = source_read(src, buf + have, CHUNK - have);
                if (k < 0)
                        return (int)k;
                if (k == 0)
                        break;
                rd->st->bytes += (uint64_t)k;
                have += (size_t)k;
        }
        if (have)
                rd->st->bad++; /* a record cut short */
        return 0;
}

int logread_fd(int fd, const char *name, logread_input_t input, logparse_ctx_t *ctx,
               const logread_cb_t *cb, logread_stats_t *stats)
{
        logread_stats_t st_local = { 0 };
        logread_stats_t *st = stats ? stats : &st_local;
        source_t src = { .fd = fd };
        reader_t rd = { .name = name, .ctx = ctx, .cb = cb, .st = st };
        char *buf;
        ssize_t have;
        int r;

        memset(st, 0, sizeof(*st));
        buf = malloc(CHUNK);
        if (!buf)
                return -ENOMEM;
        have = source_open(&src, buf, CHUNK);
        if (have < 0) {
                r = (int)have;
                goto out;
        }
        st->bytes = (uint64_t)have;
        st->compressed = src.gz;
        if (input == LOGREAD_AUTO)
                input = sniff(buf, (size_t)have);
        st->input = input;
        switch (input) {
        case LOGREAD_WTMP:
        case LOGREAD_BTMP:
                r = read_utmp(&rd, &src, buf, (size_t)have, input == LOGREAD_BTMP);
                break;
        case LOGREAD_EXPORT:
                r = read_export(&rd, &src, buf, (size_t)have);
                break;
        case LOGREAD_JSON:
                r = read_lines(&rd, &src, buf, (size_t)have, true);
                break;
        default:
                r = read_lines(&rd, &src, buf, (size_t)have, false);
                break;
        }
out:
        source_close(&src);
        free(buf);
        return r;
}
