/* Unit tests for agent/tail: following a file across rotations (rename and
 * copytruncate), restarts, partial and oversized lines, binary records. All
 * on real files in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/tail.h"
#include "core/buf.h"
#include "core/text.h"

typedef struct got {
        strv_t lines;   /* "TEXT" or "TEXT|flags" */
        strv_t linenos; /* "FILE:N" */
        unsigned notes[TAIL_NOTE_ERROR + 1];
        int fail_at; /* on_record returns -EIO for this record number (1-based), 0 never */
        int seen;
} got_t;

static int on_record(const char *file, const char *data, size_t n, uint64_t lineno, unsigned flags,
                     void *userdata)
{
        got_t *g = userdata;
        char *s;

        g->seen++;
        if (g->fail_at && g->seen == g->fail_at)
                return -EIO;
        if (flags)
                s = str_printf("%.*s|%s%s", (int)n, data, flags & TAIL_REC_OVERSIZED ? "O" : "",
                               flags & TAIL_REC_UNTERMINATED ? "U" : "");
        else
                s = str_ndup(data, n);
        assert_non_null(s);
        assert_int_equal(strv_push_take(&g->lines, s), 0);
        s = str_printf("%s:%llu", strrchr(file, '/') + 1, (unsigned long long)lineno);
        assert_int_equal(strv_push_take(&g->linenos, s), 0);
        return 0;
}

static void on_note(tail_note_t note, const char *file, int err, void *userdata)
{
        got_t *g = userdata;

        (void)file;
        (void)err;
        g->notes[note]++;
}

static char dir[64];

static char *path(const char *name)
{
        static char p[4][128];
        static int k;

        k = (k + 1) % 4;
        snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
        return p[k];
}

static void append(const char *name, const char *text)
{
        int fd = open(path(name), O_WRONLY | O_APPEND | O_CREAT, 0600);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
}

static void poll_all(tail_t *t, got_t *g, int64_t now)
{
        tail_cb_t cb = { .on_record = on_record, .on_note = on_note, .userdata = g };
        bool more;

        do
                assert_int_equal(tail_poll(t, now, 0, &cb, &more), 0);
        while (more);
}

static void expect(got_t *g, const char *want)
{
        strv_t w = { 0 };

        assert_int_equal(strv_split(&w, want, ","), 0);
        if (w.n != g->lines.n) {
                for (size_t i = 0; i < g->lines.n; i++)
                        fprintf(stderr, "got[%zu] = %s\n", i, g->lines.v[i]);
        }
        assert_int_equal(w.n, g->lines.n);
        for (size_t i = 0; i < w.n; i++)
                assert_string_equal(w.v[i], g->lines.v[i]);
        strv_clear(&w);
        strv_clear(&g->lines);
        strv_clear(&g->linenos);
}

static tail_t *new_tail(const char *name, tail_start_t start, const tail_pos_t *cur,
                        const tail_pos_t *prev)
{
        tail_opts_t o = { .path = path(name), .start = start, .grace_us = 1000000 };
        tail_t *t;

        assert_int_equal(tail_new(&o, cur, prev, &t), 0);
        return t;
}

static int setup(void **state)
{
        (void)state;
        snprintf(dir, sizeof(dir), "/tmp/vigil-tail.XXXXXX");
        assert_non_null(mkdtemp(dir));
        return 0;
}

static int teardown(void **state)
{
        char cmd[128];

        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_lines_and_partial(void **state)
{
        got_t g = { 0 };
        tail_t *t;

        (void)state;
        append("a.log", "one\ntwo\nthr");
        t = new_tail("a.log", TAIL_START_BEGINNING, NULL, NULL);
        poll_all(t, &g, 0);
        assert_string_equal(g.linenos.v[1], "a.log:2");
        expect(&g, "one,two");
        append("a.log", "ee\r\nfour\n");
        poll_all(t, &g, 0);
        expect(&g, "three\r,four");
        /* A file that does not exist yet is read from its start when it
         * appears. */
        tail_free(t);
        t = new_tail("later.log", TAIL_START_END, NULL, NULL);
        poll_all(t, &g, 0);
        expect(&g, "");
        append("later.log", "x\ny\n");
        poll_all(t, &g, 0);
        expect(&g, "x,y");
        tail_free(t);
}

static void test_start_at_end(void **state)
{
        got_t g = { 0 };
        tail_pos_t cur, prev;
        bool hc, hp;
        tail_t *t;

        (void)state;
        append("e.log", "old1\nold2\npart");
        t = new_tail("e.log", TAIL_START_END, NULL, NULL);
        poll_all(t, &g, 0);
        expect(&g, "");
        append("e.log", "ial\nnew\n");
        poll_all(t, &g, 0);
        /* The partial line at the end when it started is handed out whole;
         * line numbers count the lines that were skipped. */
        assert_string_equal(g.linenos.v[0], "e.log:3");
        expect(&g, "partial,new");
        tail_positions(t, &cur, &hc, &prev, &hp);
        assert_true(hc);
        assert_false(hp);
        assert_int_equal(cur.lineno, 4);
        assert_int_equal(cur.offset, strlen("old1\nold2\npartial\nnew\n"));
        tail_free(t);
}

static void test_rename_rotation(void **state)
{
        got_t g = { 0 };
        tail_t *t;

        (void)state;
        append("r.log", "a1\na2\n");
        t = new_tail("r.log", TAIL_START_BEGINNING, NULL, NULL);
        poll_all(t, &g, 0);
        expect(&g, "a1,a2");
        /* logrotate "create": rename, new file; the writer appends to the
         * old file until it reopens its log. */
        append("r.log", "a3\n");
        assert_int_equal(rename(path("r.log"), path("r.log.1")), 0);
        append("r.log.1", "a4\na5-no-newline");
        append("r.log", "b1\n");
        poll_all(t, &g, 0);
        expect(&g, "a3,a4,b1");
        assert_int_equal(g.notes[TAIL_NOTE_ROTATED], 1);
        assert_true(tail_has_prev(t));
        /* A late write to the old file within the grace is read. */
        append("r.log.1", "-end\n");
        append("r.log", "b2\n");
        poll_all(t, &g, 100);
        expect(&g, "a5-no-newline-end,b2");
        /* After the grace the old file is closed; its unterminated last
         * line is handed out flagged. */
        append("r.log.1", "a6");
        poll_all(t, &g, 200);
        expect(&g, "");
        assert_true(tail_has_prev(t));
        poll_all(t, &g, 200 + 2000000);
        expect(&g, "a6|U");
        assert_false(tail_has_prev(t));
        assert_int_equal(g.notes[TAIL_NOTE_CLOSED_PREV], 1);
        tail_free(t);
}

static void test_copytruncate(void **state)
{
        got_t g = { 0 };
        tail_t *t;
        char cmd[256];

        (void)state;
        append("c.log", "c1\nc2\n");
        t = new_tail("c.log", TAIL_START_BEGINNING, NULL, NULL);
        poll_all(t, &g, 0);
        expect(&g, "c1,c2");
        /* Lines written before the copy, not read yet: found in the copy. */
        append("c.log", "c3\nc4\n");
        snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", path("c.log"), path("c.log.1"));
        assert_int_equal(system(cmd), 0);
        assert_int_equal(truncate(path("c.log"), 0), 0);
        append("c.log", "d1\n");
        poll_all(t, &g, 0);
        expect(&g, "c3,c4,d1");
        assert_int_equal(g.notes[TAIL_NOTE_FROM_COPY], 1);
        assert_int_equal(g.notes[TAIL_NOTE_TRUNCATED], 1);
        /* Truncated without a copy, and regrown past the old size before
         * the next look: told by its first bytes. */
        append("c.log", "d2\n");
        poll_all(t, &g, 0);
        expect(&g, "d2");
        assert_int_equal(truncate(path("c.log"), 0), 0);
        append("c.log", "e1-longer-than-before\ne2\n");
        poll_all(t, &g, 0);
        expect(&g, "e1-longer-than-before,e2");
        assert_int_equal(g.notes[TAIL_NOTE_TRUNCATED], 2);
        tail_free(t);
}

static void test_restart(void **state)
{
        got_t g = { 0 };
        tail_pos_t cur, prev;
        bool hc, hp;
        tail_t *t;

        (void)state;
        append("s.log", "s1\ns2\ns");
        t = new_tail("s.log", TAIL_START_BEGINNING, NULL, NULL);
        poll_all(t, &g, 0);
        expect(&g, "s1,s2");
        tail_positions(t, &cur, &hc, &prev, &hp);
        tail_free(t);
        /* The partial line is not in the position: read again. */
        append("s.log", "3\ns4\n");
        t = new_tail("s.log", TAIL_START_END, &cur, NULL);
        poll_all(t, &g, 0);
        assert_string_equal(g.linenos.v[0], "s.log:3");
        expect(&g, "s3,s4");
        assert_int_equal(g.notes[TAIL_NOTE_RESUMED], 1);
        tail_positions(t, &cur, &hc, &prev, &hp);
        tail_free(t);

        /* Rotated by rename while down, more written to the old file. */
        append("s.log", "s5\n");
        assert_int_equal(rename(path("s.log"), path("s.log.1")), 0);
        append("s.log.1", "s6\n");
        append("s.log", "n1\n");
        t = new_tail("s.log", TAIL_START_END, &cur, NULL);
        poll_all(t, &g, 0);
        expect(&g, "s5,s6,n1");
        /* Stopped while the rotated file was still open: both positions
         * come back. */
        tail_positions(t, &cur, &hc, &prev, &hp);
        assert_true(hp);
        tail_free(t);
        append("s.log.1", "s7\n");
        append("s.log", "n2\n");
        t = new_tail("s.log", TAIL_START_END, &cur, &prev);
        poll_all(t, &g, 0);
        expect(&g, "s7,n2");
        tail_positions(t, &cur, &hc, &prev, &hp);
        tail_free(t);

        /* copytruncate while down. */
        {
                char cmd[256];
                append("s.log", "n3\n");
                snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", path("s.log"), path("s.log-20261126"));
                assert_int_equal(system(cmd), 0);
                assert_int_equal(truncate(path("s.log"), 0), 0);
                append("s.log", "m1\n");
        }
        t = new_tail("s.log", TAIL_START_END, &cur, NULL);
        poll_all(t, &g, 0);
        expect(&g, "n3,m1");
        tail_positions(t, &cur, &hc, &prev, &hp);
        tail_free(t);

        /* Replaced while down and the old file gone: its end is lost, the
         * new file is read from its start. */
        unlink(path("s.log"));
        unlink(path("s.log-20261126"));
        append("s.log", "z1\n");
        t = new_tail("s.log", TAIL_START_END, &cur, NULL);
        poll_all(t, &g, 0);
        expect(&g, "z1");
        assert_int_equal(g.notes[TAIL_NOTE_LOST], 1);
        tail_free(t);
}

static void test_oversized(void **state)
{
        tail_opts_t o = { .path = path("o.log"), .start = TAIL_START_BEGINNING, .line_max = 10 };
        got_t g = { 0 };
        tail_t *t;

        (void)state;
        append("o.log", "short\n0123456789ABCDEF\nok\n0123456");
        assert_int_equal(tail_new(&o, NULL, NULL, &t), 0);
        poll_all(t, &g, 0);
        expect(&g, "short,|O,ok");
        append("o.log", "789abc");
        poll_all(t, &g, 0);
        append("o.log", "\nlast\n");
        poll_all(t, &g, 0);
        assert_string_equal(g.linenos.v[1], "o.log:5");
        expect(&g, "|O,last");
        tail_free(t);
}

static void test_records(void **state)
{
        tail_opts_t o = { .path = path("b.tmp"), .start = TAIL_START_BEGINNING, .record_size = 4 };
        got_t g = { 0 };
        tail_t *t;

        (void)state;
        append("b.tmp", "AAAABBBBCC");
        assert_int_equal(tail_new(&o, NULL, NULL, &t), 0);
        poll_all(t, &g, 0);
        expect(&g, "AAAA,BBBB");
        append("b.tmp", "CCDDDD");
        poll_all(t, &g, 0);
        expect(&g, "CCCC,DDDD");
        tail_free(t);
        /* Starting at the end skips whole records only. */
        o.start = TAIL_START_END;
        assert_int_equal(tail_new(&o, NULL, NULL, &t), 0);
        poll_all(t, &g, 0);
        append("b.tmp", "EEEE");
        poll_all(t, &g, 0);
        assert_string_equal(g.linenos.v[0], "b.tmp:5");
        expect(&g, "EEEE");
        tail_free(t);
}

static void test_budget_and_errors(void **state)
{
        tail_cb_t cb = { .on_record = on_record, .on_note = on_note };
        got_t g = { .fail_at = 3 };
        tail_pos_t cur, prev;
        bool hc, hp, more;
        tail_t *t;
        buf_t b;

        (void)state;
        cb.userdata = &g;
        buf_init(&b, 1 * MiB);
        for (int i = 0; i < 20000; i++)
                assert_int_equal(buf_printf(&b, "line %05d\n", i), 0);
        append("big.log", b.data);
        t = new_tail("big.log", TAIL_START_BEGINNING, NULL, NULL);
        /* A callback error stops the poll before that record. */
        assert_int_equal(tail_poll(t, 0, 0, &cb, &more), -EIO);
        tail_positions(t, &cur, &hc, &prev, &hp);
        assert_int_equal(cur.lineno, 2);
        assert_int_equal(cur.offset, 22);
        /* A budget stops early and says there is more. */
        assert_int_equal(tail_poll(t, 0, 4096, &cb, &more), 0);
        assert_true(more);
        poll_all(t, &g, 0);
        assert_int_equal(g.lines.n, 20000);
        assert_string_equal(g.lines.v[2], "line 00002");
        assert_string_equal(g.lines.v[19999], "line 19999");
        tail_positions(t, &cur, &hc, &prev, &hp);
        assert_int_equal(cur.offset, b.len);
        assert_int_equal(cur.head_len, TAIL_HEAD_MAX);
        strv_clear(&g.lines);
        strv_clear(&g.linenos);
        buf_free(&b);
        tail_free(t);
}

static void test_sibling_names(void **state)
{
        (void)state;
        assert_true(tail_is_sibling_name("auth.log", "auth.log.1"));
        assert_true(tail_is_sibling_name("auth.log", "auth.log-20261126"));
        assert_true(tail_is_sibling_name("secure", "secure-20261126"));
        assert_false(tail_is_sibling_name("auth.log", "auth.log"));
        assert_false(tail_is_sibling_name("auth.log", "auth.log."));
        assert_false(tail_is_sibling_name("auth.log", "auth.log.2.gz"));
        assert_false(tail_is_sibling_name("auth.log", "auth.log-20261126.xz"));
        assert_false(tail_is_sibling_name("auth.log", "auth.logx"));
        assert_false(tail_is_sibling_name("auth.log", "kern.log.1"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lines_and_partial), cmocka_unit_test(test_start_at_end),
                cmocka_unit_test(test_rename_rotation),   cmocka_unit_test(test_copytruncate),
                cmocka_unit_test(test_restart),           cmocka_unit_test(test_oversized),
                cmocka_unit_test(test_records),           cmocka_unit_test(test_budget_and_errors),
                cmocka_unit_test(test_sibling_names),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
