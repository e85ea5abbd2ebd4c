#include "agent/jsource.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/login/logparse.h"

#if __has_include(<systemd/sd-journal.h>)
#include <dlfcn.h>
#include <systemd/sd-journal.h>

typedef struct sdj_api {
        __typeof__(sd_journal_open) *open;
        __typeof__(sd_journal_open_directory) *open_directory;
        __typeof__(sd_journal_close) *close;
        __typeof__(sd_journal_next) *next;
        __typeof__(sd_journal_previous) *previous;
        __typeof__(sd_journal_get_data) *get_data;
        __typeof__(sd_journal_get_realtime_usec) *get_realtime_usec;
        __typeof__(sd_journal_get_cursor) *get_cursor;
        __typeof__(sd_journal_seek_cursor) *seek_cursor;
        __typeof__(sd_journal_test_cursor) *test_cursor;
        __typeof__(sd_journal_seek_head) *seek_head;
        __typeof__(sd_journal_seek_tail) *seek_tail;
        __typeof__(sd_journal_add_match) *add_match;
        __typeof__(sd_journal_set_data_threshold) *set_data_threshold;
        __typeof__(sd_journal_get_fd) *get_fd;
        __typeof__(sd_journal_process) *process;
} sdj_api_t;

struct jsource {
        void *handle;
        sdj_api_t a;
        sd_journal *j;
        char *cursor; /* of the last entry handed out */
};

/* The programs whose entries are read (the same list as the offline
 * reader's: the login programs the parsers know). */
static const char *const progs[] = {
        "sshd",   "sshd-session", "sshd-auth", "su",     "sudo",     "login",
        "vsftpd", "proftpd",      "pure-ftpd", "mysqld", "mariadbd", "postgres",
};

static int load_api(sdj_api_t *a, void **ret_handle)
{
        void *h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);

        if (!h)
                return -EOPNOTSUPP;
#define SYM(field, name)                                                                           \
        do {                                                                                       \
                *(void **)&a->field = dlsym(h, name);                                              \
                if (!a->field) {                                                                   \
                        dlclose(h);                                                                \
                        return -EOPNOTSUPP;                                                        \
                }                                                                                  \
        } while (0)
        SYM(open, "sd_journal_open");
        SYM(open_directory, "sd_journal_open_directory");
        SYM(close, "sd_journal_close");
        SYM(next, "sd_journal_next");
        SYM(previous, "sd_journal_previous");
        SYM(get_data, "sd_journal_get_data");
        SYM(get_realtime_usec, "sd_journal_get_realtime_usec");
        SYM(get_cursor, "sd_journal_get_cursor");
        SYM(seek_cursor, "sd_journal_seek_cursor");
        SYM(test_cursor, "sd_journal_test_cursor");
        SYM(seek_head, "sd_journal_seek_head");
        SYM(seek_tail, "sd_journal_seek_tail");
        SYM(add_match, "sd_journal_add_match");
        SYM(set_data_threshold, "sd_journal_set_data_threshold");
        SYM(get_fd, "sd_journal_get_fd");
        SYM(process, "sd_journal_process");
#undef SYM
        *ret_handle = h;
        return 0;
}

void jsource_free(jsource_t *j)
{
        if (!j)
                return;
        if (j->j)
                j->a.close(j->j);
        if (j->handle)
                dlclose(j->handle);
        free(j->cursor);
        free(j);
}

int jsource_open(const jsource_opts_t *o, jsource_t **ret)
{
        jsource_t *j = calloc(1, sizeof(*j));
        int r;

        if (!j)
                return -ENOMEM;
        if ((r = load_api(&j->a, &j->handle)) < 0) {
                free(j);
                return r;
        }
        r = o->directory ? j->a.open_directory(&j->j, o->directory, 0)
                         : j->a.open(&j->j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                goto fail;
        j->a.set_data_threshold(j->j, LOGPARSE_LINE_MAX);
        for (size_t i = 0; i < ELEMENTSOF(progs); i++) {
                char match[64];
                snprintf(match, sizeof(match), "_COMM=%s", progs[i]);
                if ((r = j->a.add_match(j->j, match, 0)) < 0)
                        goto fail;
        }
        if (o->after_cursor) {
                r = j->a.seek_cursor(j->j, o->after_cursor);
                if (r < 0)
                        goto fail;
                /* Step onto the entry; when it is the saved one itself
                 * (the usual case), the next read starts after it. */
                r = j->a.next(j->j);
                if (r > 0 && j->a.test_cursor(j->j, o->after_cursor) <= 0)
                        r = j->a.previous(j->j);
                if (r < 0)
                        goto fail;
                j->cursor = strdup(o->after_cursor);
                if (!j->cursor) {
                        r = -ENOMEM;
                        goto fail;
                }
        } else if (o->from_start)
                r = j->a.seek_head(j->j);
        else {
                /* The end: step back onto the last entry so the next read
                 * starts after it. */
                r = j->a.seek_tail(j->j);
                if (r >= 0)
                        r = j->a.previous(j->j);
                /* Remember where that is, for the caller to save. */
                if (r > 0 && j->a.get_cursor(j->j, &j->cursor) < 0)
                        j->cursor = NULL;
        }
        if (r < 0)
                goto fail;
        /* Get the descriptor now, so the inotify watches exist before the
         * first entry is read and nothing written in between is missed. */
        if ((r = j->a.get_fd(j->j)) < 0)
                goto fail;
        *ret = j;
        return 0;
fail:
        jsource_free(j);
        return r;
}

int jsource_fd(jsource_t *j)
{
        return j->a.get_fd(j->j);
}

int jsource_process(jsource_t *j)
{
        return j->a.process(j->j);
}

const char *jsource_cursor(const jsource_t *j)
{
        return j->cursor;
}

static void get_field(jsource_t *j, const char *field, const char **v, size_t *vl)
{
        const void *d;
        size_t l, fl = strlen(field);

        *v = "";
        *vl = 0;
        if (j->a.get_data(j->j, field, &d, &l) >= 0 && l > fl && memcmp(d, field, fl) == 0 &&
            ((const char *)d)[fl] == '=') {
                *v = (const char *)d + fl + 1;
                *vl = l - fl - 1;
        }
}

int jsource_read(jsource_t *j, unsigned max, jsource_fn fn, void *userdata, bool *ret_more)
{
        unsigned n = 0;
        int r;

        if (ret_more)
                *ret_more = false;
        for (;;) {
                logmsg_t m = { .file = "journal" };
                const char *pid;
                size_t pl;
                uint64_t t = 0;
                char *cursor = NULL;

                if (max && n >= max) {
                        if (ret_more)
                                *ret_more = true;
                        break;
                }
                r = j->a.next(j->j);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                get_field(j, "MESSAGE", &m.msg, &m.len);
                get_field(j, "_COMM", &m.prog, &m.prog_len);
                get_field(j, "_HOSTNAME", &m.host, &m.host_len);
                get_field(j, "_PID", &pid, &pl);
                if (!logmsg_parse_pid(pid, pl, &m.pid))
                        m.pid = 0;
                if (j->a.get_realtime_usec(j->j, &t) >= 0 && t < (uint64_t)INT64_MAX)
                        m.time_us = (int64_t)t;
                if (j->a.get_cursor(j->j, &cursor) < 0)
                        cursor = NULL;
                r = fn(&m, userdata);
                if (r < 0) {
                        free(cursor);
                        /* Hand this entry out again next time. */
                        (void)j->a.previous(j->j);
                        return r;
                }
                if (cursor) {
                        free(j->cursor);
                        j->cursor = cursor;
                }
                n++;
        }
        return (int)n;
}

#else

struct jsource {
        int unused;
};

int jsource_open(const jsource_opts_t *o, jsource_t **ret)
{
        (void)o;
        (void)ret;
        return -EOPNOTSUPP;
}

void jsource_free(jsource_t *j)
{
        free(j);
}

int jsource_fd(jsource_t *j)
{
        (void)j;
        return -EOPNOTSUPP;
}

int jsource_process(jsource_t *j)
{
        (void)j;
        return -EOPNOTSUPP;
}

int jsource_read(jsource_t *j, unsigned max, jsource_fn fn, void *userdata, bool *ret_more)
{
        (void)j;
        (void)max;
        (void)fn;
        (void)userdata;
        if (ret_more)
                *ret_more = false;
        return -EOPNOTSUPP;
}

const char *jsource_cursor(const jsource_t *j)
{
        (void)j;
        return NULL;
}

#endif
