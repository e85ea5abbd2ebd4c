#include "detect/login/sdjournal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if __has_include(<systemd/sd-journal.h>)
#include <dlfcn.h>
#include <systemd/sd-journal.h>

#include "detect/login/logmsg.h"

/* The functions used, resolved from libsystemd.so.0. */
typedef struct sdj_api {
        __typeof__(sd_journal_open) *open;
        __typeof__(sd_journal_open_directory) *open_directory;
        __typeof__(sd_journal_open_files) *open_files;
        __typeof__(sd_journal_close) *close;
        __typeof__(sd_journal_next) *next;
        __typeof__(sd_journal_get_data) *get_data;
        __typeof__(sd_journal_get_realtime_usec) *get_realtime_usec;
        __typeof__(sd_journal_get_cursor) *get_cursor;
        __typeof__(sd_journal_seek_cursor) *seek_cursor;
        __typeof__(sd_journal_seek_realtime_usec) *seek_realtime_usec;
        __typeof__(sd_journal_add_match) *add_match;
        __typeof__(sd_journal_add_disjunction) *add_disjunction;
        __typeof__(sd_journal_set_data_threshold) *set_data_threshold;
} sdj_api_t;

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
        SYM(open_files, "sd_journal_open_files");
        SYM(close, "sd_journal_close");
        SYM(next, "sd_journal_next");
        SYM(get_data, "sd_journal_get_data");
        SYM(get_realtime_usec, "sd_journal_get_realtime_usec");
        SYM(get_cursor, "sd_journal_get_cursor");
        SYM(seek_cursor, "sd_journal_seek_cursor");
        SYM(seek_realtime_usec, "sd_journal_seek_realtime_usec");
        SYM(add_match, "sd_journal_add_match");
        SYM(add_disjunction, "sd_journal_add_disjunction");
        SYM(set_data_threshold, "sd_journal_set_data_threshold");
#undef SYM
        *ret_handle = h;
        return 0;
}

/* The programs whose entries are read (matched on _COMM). */
static const char *const progs[] = {
        "sshd",   "sshd-session", "sshd-auth", "su",     "sudo",     "login",
        "vsftpd", "proftpd",      "pure-ftpd", "mysqld", "mariadbd", "postgres",
};

/* FIELD's value (after "FIELD=") or an empty range. */
static void get_field(const sdj_api_t *a, sd_journal *j, const char *field, const char **v,
                      size_t *vl)
{
        const void *d;
        size_t l, fl = strlen(field);

        *v = "";
        *vl = 0;
        if (a->get_data(j, field, &d, &l) >= 0 && l > fl && memcmp(d, field, fl) == 0 &&
            ((const char *)d)[fl] == '=') {
                *v = (const char *)d + fl + 1;
                *vl = l - fl - 1;
        }
}

int sdjournal_read(const sdjournal_opts_t *o, const char *name, logparse_ctx_t *ctx,
                   const logread_cb_t *cb, logread_stats_t *stats, char **ret_cursor)
{
        logread_stats_t st_local = { 0 };
        logread_stats_t *st = stats ? stats : &st_local;
        sdj_api_t a;
        sd_journal *j = NULL;
        void *h = NULL;
        char *cursor = NULL;
        int r;

        memset(st, 0, sizeof(*st));
        st->input = LOGREAD_EXPORT;
        r = load_api(&a, &h);
        if (r < 0)
                return r;
        if (o->directory)
                r = a.open_directory(&j, o->directory, 0);
        else if (o->files)
                r = a.open_files(&j, (const char **)o->files, 0);
        else
                r = a.open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                goto out;
        a.set_data_threshold(j, LOGPARSE_LINE_MAX);
        for (size_t i = 0; i < ELEMENTSOF(progs); i++) {
                char match[64];
                snprintf(match, sizeof(match), "_COMM=%s", progs[i]);
                if ((r = a.add_match(j, match, 0)) < 0)
                        goto out;
        }
        if (o->after_cursor) {
                r = a.seek_cursor(j, o->after_cursor);
                if (r < 0)
                        goto out;
                /* seek_cursor lands on the entry itself when it exists. */
                r = a.next(j);
                if (r < 0)
                        goto out;
        } else if (o->since_us > 0) {
                r = a.seek_realtime_usec(j, (uint64_t)o->since_us);
                if (r < 0)
                        goto out;
        }
        while ((r = a.next(j)) > 0) {
                logmsg_t m = { .file = name, .line = ++st->records };
                logevent_t ev;
                uint64_t t = 0;
                size_t k = 0;
                const char *pid;
                size_t pl;

                get_field(&a, j, "MESSAGE", &m.msg, &m.len);
                get_field(&a, j, "_COMM", &m.prog, &m.prog_len);
                get_field(&a, j, "_HOSTNAME", &m.host, &m.host_len);
                get_field(&a, j, "_PID", &pid, &pl);
                if (!logmsg_parse_pid(pid, pl, &m.pid))
                        m.pid = 0;
                if (a.get_realtime_usec(j, &t) >= 0 && t < (uint64_t)INT64_MAX)
                        m.time_us = (int64_t)t;
                st->bytes += m.len;
                r = logparse_message(ctx, &m, &ev, 1, &k);
                if (r == -E2BIG) {
                        st->oversized++;
                        continue;
                }
                if (r == LOGPARSE_EVENT && k) {
                        st->events++;
                        r = cb->on_event ? cb->on_event(&ev, cb->userdata) : 0;
                } else if (r == LOGPARSE_UNMATCHED && cb->on_unmatched)
                        r = cb->on_unmatched(name, m.line, m.msg, m.len, cb->userdata);
                else
                        r = 0;
                if (r < 0)
                        goto out;
                free(cursor);
                cursor = NULL;
                if (ret_cursor && a.get_cursor(j, &cursor) < 0)
                        cursor = NULL;
        }
out:
        if (j)
                a.close(j);
        dlclose(h);
        if (r >= 0 && ret_cursor)
                *ret_cursor = cursor;
        else
                free(cursor);
        return r < 0 ? r : 0;
}

#else

int sdjournal_read(const sdjournal_opts_t *o, const char *name, logparse_ctx_t *ctx,
                   const logread_cb_t *cb, logread_stats_t *stats, char **ret_cursor)
{
        (void)o;
        (void)name;
        (void)ctx;
        (void)cb;
        if (stats)
                memset(stats, 0, sizeof(*stats));
        if (ret_cursor)
                *ret_cursor = NULL;
        return -EOPNOTSUPP;
}

#endif
