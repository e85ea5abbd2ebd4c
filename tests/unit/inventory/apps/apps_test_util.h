/* Helpers shared by the application inventory tests: temporary trees, real
 * programs run as oracles (never through a shell), and lookups in package
 * lists and report notes. Header-only so each test stays one file. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/report.h"
#include "core/text.h"
#include "inventory/pkg.h"

/* The fixtures of this area: $VIGIL_FIXTURES/apps. Caller frees. */
static inline char *tu_fixtures(void)
{
        const char *f = getenv("VIGIL_FIXTURES");
        char *p = str_printf("%s/apps", f ? f : "fixtures");
        assert_non_null(p);
        return p;
}

static inline char *tu_mkdtemp(void)
{
        const char *t = getenv("TMPDIR");
        char *p = str_printf("%s/vigil-apps-XXXXXX", t && *t ? t : "/tmp");
        assert_non_null(p);
        assert_non_null(mkdtemp(p));
        return p;
}

static inline int tu_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        if (flag == FTW_DP)
                rmdir(path);
        else
                unlink(path);
        return 0;
}

static inline void tu_rmrf(const char *path)
{
        if (path)
                nftw(path, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Whether PROG is an executable in PATH (or a path to one). */
static inline bool tu_have(const char *prog)
{
        const char *path = getenv("PATH");
        strv_t dirs = { 0 };
        bool found = false;

        if (strchr(prog, '/'))
                return access(prog, X_OK) == 0;
        if (!path || strv_split(&dirs, path, ":") < 0)
                return false;
        for (size_t i = 0; i < dirs.n && !found; i++) {
                char *p = str_printf("%s/%s", dirs.v[i], prog);
                found = p && access(p, X_OK) == 0;
                free(p);
        }
        strv_clear(&dirs);
        return found;
}

/* The Python the oracles use: the system's, whose importlib reads the
 * system's packages. */
static inline const char *tu_python(void)
{
        return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

/* Run ARGV (NULL-terminated) in CWD (may be NULL) with stdout to OUT_PATH
 * (may be NULL: /dev/null) and stderr to /dev/null. Returns the exit status,
 * or -1 when it could not run. */
static inline int tu_run(const char *const *argv, const char *cwd, const char *out_path)
{
        pid_t pid;
        int status;

        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                int out = open(out_path ? out_path : "/dev/null",
                               O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (out < 0 || null < 0 || dup2(out, 1) < 0 || dup2(null, 2) < 0)
                        _exit(126);
                if (cwd && chdir(cwd) < 0)
                        _exit(126);
                execvp(argv[0], (char *const *)argv);
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Read a whole file; fails the test when it cannot. Caller frees. */
static inline char *tu_read(const char *path, size_t *ret_len)
{
        FILE *f = fopen(path, "rb");
        char *data = NULL;
        size_t cap = 0, len = 0;

        assert_non_null(f);
        for (;;) {
                size_t n;
                if (len + 4096 + 1 > cap) {
                        cap = (len + 4096 + 1) * 2;
                        data = realloc(data, cap);
                        assert_non_null(data);
                }
                n = fread(data + len, 1, cap - len - 1, f);
                len += n;
                if (n == 0)
                        break;
        }
        fclose(f);
        data[len] = 0;
        if (ret_len)
                *ret_len = len;
        return data;
}

static inline void tu_write(const char *path, const char *text)
{
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
        assert_int_equal(fclose(f), 0);
}

/* mkdir -p */
static inline void tu_mkdirs(const char *path)
{
        char *p = strdup(path);
        assert_non_null(p);
        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        mkdir(p, 0755);
                        *s = '/';
                }
        mkdir(p, 0755);
        free(p);
}

/* The component KIND NAME VERSION in L whose location ends with LOC_SUFFIX
 * (NULL: any), or NULL. */
static inline const pkg_t *tu_find(const pkg_list_t *l, pkg_kind_t kind, const char *name,
                                   const char *version, const char *loc_suffix)
{
        for (size_t i = 0; i < l->n; i++) {
                const pkg_t *p = &l->v[i];
                if (p->kind == kind && strcmp(p->name, name) == 0 &&
                    (!version || strcmp(p->version, version) == 0) &&
                    (!loc_suffix || str_endswith(p->location, loc_suffix)))
                        return p;
        }
        return NULL;
}

static inline size_t tu_count(const pkg_list_t *l, pkg_kind_t kind, const char *name)
{
        size_t n = 0;
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].kind == kind && (!name || strcmp(l->v[i].name, name) == 0))
                        n++;
        return n;
}

/* A warning note whose source contains SOURCE and message contains MESSAGE
 * (either may be NULL). */
static inline bool tu_note(const report_t *r, const char *source, const char *message)
{
        for (size_t i = 0; i < r->n_notes; i++) {
                const report_note_t *n = &r->notes[i];
                if ((!source || strstr(n->source, source)) &&
                    (!message || strstr(n->message, message)))
                        return true;
        }
        return false;
}

static inline void tu_dump(const pkg_list_t *l, const report_t *r)
{
        for (size_t i = 0; i < l->n; i++)
                fprintf(stderr, "  %s %s %s @ %s [%s]\n", pkg_kind_name(l->v[i].kind), l->v[i].name,
                        l->v[i].version, l->v[i].location,
                        l->v[i].manifest ? l->v[i].manifest : "-");
        for (size_t i = 0; r && i < r->n_notes; i++)
                fprintf(stderr, "  note %s: %s\n", r->notes[i].source, r->notes[i].message);
}

/* "name version" lines of L's components of KIND, sorted and unique, as one
 * string. Caller frees. */
static inline int tu_cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline char *tu_name_versions(const pkg_list_t *l, pkg_kind_t kind, const char *prefix)
{
        strv_t lines = { 0 };
        buf_t out;
        char *ret;

        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].kind == kind) {
                        char *s = str_printf("%s%s %s", prefix ? prefix : "", l->v[i].name,
                                             l->v[i].version);
                        assert_non_null(s);
                        assert_int_equal(strv_push_take(&lines, s), 0);
                }
        if (lines.n)
                qsort(lines.v, lines.n, sizeof(char *), tu_cmp_str);
        buf_init(&out, 64 * 1024 * 1024);
        for (size_t i = 0; i < lines.n; i++) {
                if (i > 0 && strcmp(lines.v[i], lines.v[i - 1]) == 0)
                        continue;
                assert_int_equal(buf_printf(&out, "%s\n", lines.v[i]), 0);
        }
        strv_clear(&lines);
        ret = buf_take(&out);
        assert_non_null(ret);
        return ret;
}
