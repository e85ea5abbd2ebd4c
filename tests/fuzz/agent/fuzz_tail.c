/* Fuzz target for agent/tail's framing of attacker-written log bytes: the
 * input is appended to a real file in pieces (the first two bytes choose
 * the piece size and the line cap), with a poll after each piece and a
 * rename rotation when a piece starts with 0xff. Checks that every record
 * handed out is a run of the input without a newline (nothing invented or
 * joined) and that each newline written ends exactly one record (nothing
 * lost, nothing twice), oversized lines included. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/tail.h"

typedef struct st {
        const uint8_t *input; /* the bytes written (after the two control bytes) */
        size_t input_len;
        uint64_t terminated; /* records that ended with a newline */
} st_t;

static int on_record(const char *file, const char *data, size_t n, uint64_t lineno, unsigned flags,
                     void *userdata)
{
        st_t *s = userdata;

        (void)file;
        if (lineno == 0)
                abort();
        if (!(flags & TAIL_REC_UNTERMINATED))
                s->terminated++;
        if (flags & TAIL_REC_OVERSIZED) {
                if (n != 0)
                        abort();
                return 0;
        }
        /* A record is a line of one file, so a contiguous run of the
         * input: nothing invented, nothing joined across lines. */
        if (n && (memchr(data, '\n', n) || !memmem(s->input, s->input_len, data, n)))
                abort();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char dir[64];
        char path[128], rot[160];
        tail_opts_t o = { .path = path, .start = TAIL_START_BEGINNING };
        tail_cb_t cb = { .on_record = on_record };
        st_t s;
        tail_t *t = NULL;
        size_t piece, pos = 2;
        int64_t now = 0;
        int fd;

        if (size < 2 || size > 65536)
                return 0;
        if (!dir[0]) {
                snprintf(dir, sizeof(dir), "/tmp/vigil-fuzz-tail.XXXXXX");
                if (!mkdtemp(dir))
                        abort();
        }
        snprintf(path, sizeof(path), "%s/f.log", dir);
        snprintf(rot, sizeof(rot), "%s/f.log.1", dir);
        unlink(path);
        unlink(rot);
        piece = (size_t)data[0] % 64 + 1;
        o.line_max = (size_t)data[1] % 200 + 1;
        s.input = data + 2;
        s.input_len = size - 2;
        s.terminated = 0;
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd < 0 || tail_new(&o, NULL, NULL, &t) < 0)
                abort();
        cb.userdata = &s;
        while (pos < size) {
                size_t n = size - pos < piece ? size - pos : piece;
                if (data[pos] == 0xff && n > 1) {
                        /* A rotation: rename, then a new file; the rest of
                         * the piece goes to the new file. */
                        close(fd);
                        if (rename(path, rot) < 0)
                                abort();
                        fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
                        if (fd < 0)
                                abort();
                        pos++;
                        n--;
                }
                if (write(fd, data + pos, n) != (ssize_t)n)
                        abort();
                pos += n;
                if (tail_poll(t, now, 0, &cb, NULL) < 0)
                        abort();
                now += 1000;
        }
        /* Past the grace: a rotated file's unterminated line comes out. */
        if (tail_poll(t, now + 60 * 1000000LL, 0, &cb, NULL) < 0 ||
            tail_poll(t, now + 120 * 1000000LL, 0, &cb, NULL) < 0)
                abort();
        close(fd);
        tail_free(t);
        /* Every newline written ended exactly one record: nothing lost,
         * nothing handed out twice. */
        {
                uint64_t newlines = 0;
                for (size_t i = 2; i < size; i++)
                        newlines += data[i] == '\n';
                if (newlines != s.terminated)
                        abort();
        }
        return 0;
}
