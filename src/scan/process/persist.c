#include "scan/process/persist.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/hash.h"
#include "core/store.h"
#include "core/timeutil.h"
#include "scan/process/psrules.h"

/* Sudoers include files followed, at most, and how deep. */
#define SUDOERS_MAX_FILES 128
#define SUDOERS_MAX_DEPTH 8

static const char *const kind_names[PERSIST_KIND__MAX] = {
        [PERSIST_UID0] = "uid0",       [PERSIST_SUDOERS] = "sudoers", [PERSIST_CRON] = "cron",
        [PERSIST_SYSTEMD] = "systemd", [PERSIST_LISTEN] = "listen",
};

const char *persist_kind_name(persist_kind_t k)
{
        return k < PERSIST_KIND__MAX ? kind_names[k] : "unknown";
}

static int cmp_key(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_item(const void *a, const void *b)
{
        const persist_item_t *x = *(const persist_item_t *const *)a;
        const persist_item_t *y = *(const persist_item_t *const *)b;
        int c = strcmp(x->key, y->key);
        return c ? c : (x > y) - (x < y);
}

int persist_set_add(persist_set_t *s, const char *key, const char *path, unsigned line,
                    const char *text, const char *name, int port)
{
        persist_item_t it = { .line = line, .port = port };

        /* Duplicates are dropped when the set is compared (sorted), not
         * here, so adding stays linear. */
        if (s->n >= PERSIST_MAX_ITEMS)
                return -E2BIG;
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 32;
                persist_item_t *v = realloc(s->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                s->v = v;
                s->cap = cap;
        }
        it.key = strdup(key);
        it.path = path ? strdup(path) : NULL;
        it.text = text ? strdup(text) : NULL;
        it.name = name ? strdup(name) : NULL;
        if (!it.key || (path && !it.path) || (text && !it.text) || (name && !it.name)) {
                free(it.key);
                free(it.path);
                free(it.text);
                free(it.name);
                return -ENOMEM;
        }
        s->v[s->n++] = it;
        return 0;
}

void persist_set_clear(persist_set_t *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->n; i++) {
                free(s->v[i].key);
                free(s->v[i].path);
                free(s->v[i].text);
                free(s->v[i].name);
        }
        free(s->v);
        *s = (persist_set_t){ 0 };
}

/* Iterate over the lines of DATA: *LINE and *LEN get the next line (without
 * its newline), *NO its 1-based number. */
typedef struct lines {
        const char *data;
        size_t n, pos;
        unsigned no;
} lines_t;

static bool lines_next(lines_t *l, const char **ret, size_t *ret_len)
{
        const char *nl;
        size_t len;

        if (l->pos >= l->n)
                return false;
        nl = memchr(l->data + l->pos, '\n', l->n - l->pos);
        len = nl ? (size_t)(nl - (l->data + l->pos)) : l->n - l->pos;
        *ret = l->data + l->pos;
        *ret_len = len;
        l->pos += len + (nl ? 1 : 0);
        l->no++;
        return true;
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* LINE with runs of white space made one space and both ends trimmed, then
 * escaped and capped for keeping (a longer line keeps the SHA-256 of its
 * whole text, so two long lines that differ only late still differ).
 * Caller frees; NULL when out of memory. */
static char *normalise(const char *line, size_t len)
{
        _cleanup_free_ char *tmp = malloc(len + 1), *esc = NULL;
        size_t j = 0;
        bool sp = false;

        if (!tmp)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                if (is_space(line[i]) || line[i] == '\n') {
                        sp = j > 0;
                        continue;
                }
                if (sp)
                        tmp[j++] = ' ';
                sp = false;
                tmp[j++] = line[i];
        }
        tmp[j] = 0;
        esc = psrules_escape(tmp, j, PERSIST_MAX_TEXT);
        if (!esc)
                return NULL;
        if (j > PERSIST_MAX_TEXT) {
                uint8_t d[HASH_SHA256_LEN];
                char hex[HASH_SHA256_HEX];
                hash_sha256(tmp, j, d);
                hash_hex(d, sizeof(d), hex);
                return str_printf("%s sha256:%s", esc, hex);
        }
        return TAKE_PTR(esc);
}

static int add_line_item(persist_set_t *s, const char *path, unsigned no, const char *line,
                         size_t len)
{
        _cleanup_free_ char *text = normalise(line, len), *key = NULL;

        if (!text)
                return -ENOMEM;
        if (!*text)
                return 0;
        key = str_printf("%s\n%s", path, text);
        if (!key)
                return -ENOMEM;
        return persist_set_add(s, key, path, no, text, NULL, 0);
}

int persist_parse_passwd(const char *data, size_t n, const char *path, persist_set_t *s,
                         size_t *ret_bad)
{
        lines_t l = { .data = data, .n = n };
        const char *line;
        size_t len, bad = 0;
        int r = 0;

        while (r == 0 && lines_next(&l, &line, &len)) {
                const char *f[7];
                size_t fl[7], k = 0, start = 0;
                _cleanup_free_ char *name = NULL, *text = NULL;
                bool zero = true;

                if (len == 0 || line[0] == '#')
                        continue;
                /* Seven fields separated by ':' (the last may be empty). */
                for (size_t i = 0; i <= len && k < 7; i++)
                        if (i == len || line[i] == ':') {
                                f[k] = line + start;
                                fl[k] = i - start;
                                k++;
                                start = i + 1;
                        }
                if (k < 7 || fl[0] == 0 || fl[0] > 256 || fl[2] == 0 || fl[2] > 10 ||
                    memchr(line, 0, len)) {
                        /* NIS compat lines ("+", "-user", "+@group") are not
                         * accounts. */
                        if (!(len > 0 && (line[0] == '+' || line[0] == '-')))
                                bad++;
                        continue;
                }
                for (size_t i = 0; i < fl[2]; i++) {
                        if (f[2][i] < '0' || f[2][i] > '9') {
                                zero = false;
                                bad++;
                                break;
                        }
                        if (f[2][i] != '0')
                                zero = false;
                }
                if (!zero)
                        continue;
                name = psrules_escape(f[0], fl[0], 256);
                text = psrules_escape(line, len, PERSIST_MAX_TEXT);
                if (!name || !text)
                        return -ENOMEM;
                r = persist_set_add(s, name, path, l.no, text, name, 0);
        }
        if (ret_bad)
                *ret_bad += bad;
        return r;
}

/* The argument of an include directive: the rest of the line, with
 * surrounding blanks and quotes removed. */
static char *directive_arg(const char *p, size_t len)
{
        while (len > 0 && is_space(*p)) {
                p++;
                len--;
        }
        while (len > 0 && is_space(p[len - 1]))
                len--;
        if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
                p++;
                len -= 2;
        }
        if (len == 0 || len > PATH_MAX || memchr(p, 0, len))
                return NULL;
        return str_ndup(p, len);
}

int persist_parse_sudoers(const char *data, size_t n, const char *path, persist_set_t *s,
                          strv_t *includes, strv_t *includedirs, size_t *ret_bad)
{
        lines_t l = { .data = data, .n = n };
        const char *line;
        size_t len, bad = 0;
        buf_t joined;
        unsigned first_no = 0;
        int r = 0;

        buf_init(&joined, PERSIST_MAX_FILE);
        while (r == 0 && lines_next(&l, &line, &len)) {
                const char *p = line;
                size_t plen = len;
                bool cont;

                while (plen > 0 && (p[plen - 1] == '\r' || p[plen - 1] == ' '))
                        plen--;
                cont = plen > 0 && p[plen - 1] == '\\';
                if (cont)
                        plen--;
                if (joined.len == 0)
                        first_no = l.no;
                if ((r = buf_append(&joined, p, plen)) < 0)
                        break;
                if (cont) {
                        if ((r = buf_append(&joined, " ", 1)) < 0)
                                break;
                        continue;
                }
                {
                        const char *q = joined.data ? joined.data : "";
                        size_t qlen = joined.len;
                        while (qlen > 0 && is_space(*q)) {
                                q++;
                                qlen--;
                        }
                        if (qlen == 0)
                                goto next;
                        if (memchr(q, 0, qlen)) {
                                bad++;
                                goto next;
                        }
                        /* Directives: "#include" and "#includedir" look like
                         * comments but are not; "#1000" is a uid. */
                        if (q[0] == '#' || q[0] == '@') {
                                bool dir = false, inc = false;
                                size_t skip = 0;
                                if (qlen > 11 && memcmp(q + 1, "includedir", 10) == 0 &&
                                    is_space(q[11])) {
                                        dir = inc = true;
                                        skip = 11;
                                } else if (qlen > 8 && memcmp(q + 1, "include", 7) == 0 &&
                                           is_space(q[8])) {
                                        inc = true;
                                        skip = 8;
                                }
                                if (inc) {
                                        _cleanup_free_ char *arg =
                                                directive_arg(q + skip, qlen - skip);
                                        strv_t *to = dir ? includedirs : includes;
                                        if (!arg)
                                                bad++;
                                        else if (to && to->n < SUDOERS_MAX_FILES &&
                                                 !strv_contains(to, arg))
                                                r = strv_push(to, arg);
                                        if (r == 0)
                                                r = add_line_item(s, path, first_no, q, qlen);
                                        goto next;
                                }
                                if (q[0] == '#' && !(qlen > 1 && q[1] >= '0' && q[1] <= '9'))
                                        goto next; /* a comment */
                        }
                        r = add_line_item(s, path, first_no, q, qlen);
                }
        next:
                buf_reset(&joined);
        }
        if (r == 0 && joined.len > 0)
                r = add_line_item(s, path, first_no, joined.data, joined.len);
        buf_free(&joined);
        if (ret_bad)
                *ret_bad += bad;
        return r;
}

/* NAME=value (a crontab variable) */
static bool is_assignment(const char *p, size_t len)
{
        size_t i = 0;

        while (i < len && (p[i] == '_' || (p[i] >= 'A' && p[i] <= 'Z') ||
                           (p[i] >= 'a' && p[i] <= 'z') || (i > 0 && p[i] >= '0' && p[i] <= '9')))
                i++;
        while (i < len && is_space(p[i]))
                i++;
        return i > 0 && i < len && p[i] == '=';
}

int persist_parse_crontab(const char *data, size_t n, const char *path, bool system,
                          persist_set_t *s, size_t *ret_bad)
{
        lines_t l = { .data = data, .n = n };
        const char *line;
        size_t len, bad = 0;
        int r = 0;

        while (r == 0 && lines_next(&l, &line, &len)) {
                const char *p = line;
                size_t plen = len, words = 0;
                bool in_word = false;

                while (plen > 0 && is_space(*p)) {
                        p++;
                        plen--;
                }
                while (plen > 0 && is_space(p[plen - 1]))
                        plen--;
                if (plen == 0 || p[0] == '#')
                        continue;
                if (memchr(p, 0, plen)) {
                        bad++;
                        continue;
                }
                if (is_assignment(p, plen))
                        continue;
                /* A job has five time fields (or one @keyword), the user in
                 * a system crontab, and a command. */
                for (size_t i = 0; i < plen; i++) {
                        bool sp = is_space(p[i]);
                        if (!sp && !in_word)
                                words++;
                        in_word = !sp;
                }
                if (words < (p[0] == '@' ? 2u : 6u) + (system ? 1u : 0u)) {
                        bad++;
                        continue;
                }
                r = add_line_item(s, path, l.no, p, plen);
        }
        if (ret_bad)
                *ret_bad += bad;
        return r;
}

/* ---- collection from the root ------------------------------------------ */

typedef struct collector {
        const rootfs_t *root;
        report_t *report;
        persist_set_t *s;
} collector_t;

static void note_unreadable(collector_t *c, const char *path, int err)
{
        _cleanup_free_ char *shown = rootfs_display_path(c->root, path);

        c->s->incomplete = true;
        if (c->report)
                report_note(c->report, REPORT_NOTE_WARNING, shown ? shown : path,
                            "not read (%s); new persistence of this kind is not reported this "
                            "time",
                            strerror(-err));
}

static void note_bad(collector_t *c, const char *path, size_t bad)
{
        _cleanup_free_ char *shown = NULL;

        if (!bad || !c->report)
                return;
        shown = rootfs_display_path(c->root, path);
        report_note(c->report, REPORT_NOTE_WARNING, shown ? shown : path,
                    "%zu line(s) of an unexpected shape were skipped", bad);
}

/* Read PATH; a missing file is not an error (returns 1). */
static int read_file(collector_t *c, const char *path, char **ret, size_t *ret_len)
{
        int r = rootfs_read_file(c->root, path, PERSIST_MAX_FILE, ret, ret_len);

        if (r == -ENOENT || r == -ENOTDIR)
                return 1;
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                note_unreadable(c, path, r);
                return 1;
        }
        return 0;
}

typedef struct dir_entry {
        char *name;
        bool is_dir, is_link, is_file;
        char *target; /* symlink target, or NULL */
} dir_entry_t;

static void dir_entries_free(dir_entry_t *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].name);
                free(v[i].target);
        }
        free(v);
}

static int cmp_entry_name(const void *a, const void *b)
{
        return strcmp(((const dir_entry_t *)a)->name, ((const dir_entry_t *)b)->name);
}

/* The entries of directory PATH (sorted; "." and ".." left out). A missing
 * directory gives 0 entries. RET_ST (may be NULL) identifies it. */
static int list_dir(collector_t *c, const char *path, dir_entry_t **ret, size_t *ret_n,
                    struct stat *ret_st)
{
        dir_entry_t *v = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        DIR *d;
        int fd, r = 0;

        *ret = NULL;
        *ret_n = 0;
        fd = rootfs_openat(c->root, path, O_RDONLY | O_DIRECTORY);
        if (fd == -ENOENT || fd == -ENOTDIR)
                return 0;
        if (fd < 0) {
                if (fd == -ENOMEM)
                        return fd;
                note_unreadable(c, path, fd);
                return 0;
        }
        if (ret_st && fstat(fd, ret_st) < 0) {
                r = -errno;
                close(fd);
                note_unreadable(c, path, r);
                return 0;
        }
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -ENOMEM;
        }
        while ((de = readdir(d))) {
                struct stat st;
                dir_entry_t e = { 0 };

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (n >= PERSIST_MAX_DIR_FILES) {
                        if (c->report)
                                report_note(c->report, REPORT_NOTE_WARNING, path,
                                            "more than %d entries; the rest are not looked at",
                                            PERSIST_MAX_DIR_FILES);
                        break;
                }
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                e.is_dir = S_ISDIR(st.st_mode);
                e.is_link = S_ISLNK(st.st_mode);
                e.is_file = S_ISREG(st.st_mode);
                e.name = strdup(de->d_name);
                if (!e.name) {
                        r = -ENOMEM;
                        break;
                }
                if (e.is_link) {
                        char tgt[PATH_MAX];
                        ssize_t k = readlinkat(dirfd(d), de->d_name, tgt, sizeof(tgt) - 1);
                        if (k >= 0) {
                                e.target = psrules_escape(tgt, (size_t)k, 512);
                                if (!e.target) {
                                        free(e.name);
                                        r = -ENOMEM;
                                        break;
                                }
                        }
                }
                if (n == cap) {
                        size_t nc = cap ? cap * 2 : 32;
                        dir_entry_t *nv = realloc(v, nc * sizeof(*nv));
                        if (!nv) {
                                free(e.name);
                                free(e.target);
                                r = -ENOMEM;
                                break;
                        }
                        v = nv;
                        cap = nc;
                }
                v[n++] = e;
        }
        closedir(d);
        if (r < 0) {
                dir_entries_free(v, n);
                return r;
        }
        if (n > 1)
                qsort(v, n, sizeof(*v), cmp_entry_name);
        *ret = v;
        *ret_n = n;
        return 0;
}

static char *join(const char *dir, const char *name)
{
        size_t dl = strlen(dir);
        return str_printf("%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", name);
}

static int collect_uid0(collector_t *c)
{
        _cleanup_free_ char *data = NULL;
        size_t len, bad = 0;
        int r;

        r = read_file(c, "/etc/passwd", &data, &len);
        if (r != 0)
                return r < 0 ? r : 0;
        r = persist_parse_passwd(data, len, "/etc/passwd", c->s, &bad);
        note_bad(c, "/etc/passwd", bad);
        return r;
}

/* sudo's rule for #includedir: file names ending in '~' or holding a '.'
 * are skipped. */
static bool sudoers_dir_name_ok(const char *name)
{
        size_t n = strlen(name);
        return n > 0 && name[n - 1] != '~' && !strchr(name, '.');
}

static int collect_sudoers(collector_t *c)
{
        _cleanup_(strv_clear) strv_t todo = { 0 }, done = { 0 };
        int r;

        if ((r = strv_push(&todo, "/etc/sudoers")) < 0)
                return r;
        for (size_t i = 0; i < todo.n && i < SUDOERS_MAX_FILES; i++) {
                _cleanup_(strv_clear) strv_t inc = { 0 }, incdir = { 0 };
                _cleanup_free_ char *data = NULL, *base = NULL;
                const char *path = todo.v[i];
                const char *slash;
                size_t len, bad = 0;

                if (strv_contains(&done, path))
                        continue;
                if ((r = strv_push(&done, path)) < 0)
                        return r;
                r = read_file(c, path, &data, &len);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                r = persist_parse_sudoers(data, len, path, c->s, &inc, &incdir, &bad);
                if (r < 0)
                        return r;
                note_bad(c, path, bad);
                /* Relative includes are taken from the including file's
                 * directory, as sudo does. */
                slash = strrchr(path, '/');
                base = str_ndup(path, slash ? (size_t)(slash - path) : 0);
                if (!base)
                        return -ENOMEM;
                for (size_t k = 0; k < inc.n; k++) {
                        _cleanup_free_ char *p =
                                inc.v[k][0] == '/' ? strdup(inc.v[k]) : join(base, inc.v[k]);
                        if (!p)
                                return -ENOMEM;
                        if (todo.n < SUDOERS_MAX_FILES && !strv_contains(&todo, p) &&
                            (r = strv_push(&todo, p)) < 0)
                                return r;
                }
                for (size_t k = 0; k < incdir.n; k++) {
                        _cleanup_free_ char *dir = incdir.v[k][0] == '/' ? strdup(incdir.v[k])
                                                                         : join(base, incdir.v[k]);
                        dir_entry_t *ents;
                        size_t ne;
                        if (!dir)
                                return -ENOMEM;
                        if ((r = list_dir(c, dir, &ents, &ne, NULL)) < 0)
                                return r;
                        for (size_t j = 0; j < ne && r == 0; j++) {
                                _cleanup_free_ char *p = NULL;
                                if (ents[j].is_dir || !sudoers_dir_name_ok(ents[j].name))
                                        continue;
                                p = join(dir, ents[j].name);
                                if (!p)
                                        r = -ENOMEM;
                                else if (todo.n < SUDOERS_MAX_FILES && !strv_contains(&todo, p))
                                        r = strv_push(&todo, p);
                        }
                        dir_entries_free(ents, ne);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int collect_crontab_file(collector_t *c, const char *path, bool system)
{
        _cleanup_free_ char *data = NULL;
        size_t len, bad = 0;
        int r = read_file(c, path, &data, &len);

        if (r != 0)
                return r < 0 ? r : 0;
        r = persist_parse_crontab(data, len, path, system, c->s, &bad);
        note_bad(c, path, bad);
        return r;
}

/* Every regular file (or link) of DIR as a crontab. */
static int collect_crontab_dir(collector_t *c, const char *dir, bool system)
{
        dir_entry_t *ents;
        size_t n;
        int r = list_dir(c, dir, &ents, &n, NULL);

        if (r < 0)
                return r;
        for (size_t i = 0; i < n && r == 0; i++) {
                _cleanup_free_ char *p = NULL;
                if (ents[i].is_dir || ents[i].name[0] == '.')
                        continue;
                /* cron ignores files with these endings (Debian's rule). */
                if (str_endswith(ents[i].name, "~") || str_endswith(ents[i].name, ".dpkg-dist") ||
                    str_endswith(ents[i].name, ".dpkg-old") ||
                    str_endswith(ents[i].name, ".dpkg-new"))
                        continue;
                p = join(dir, ents[i].name);
                r = p ? collect_crontab_file(c, p, system) : -ENOMEM;
        }
        dir_entries_free(ents, n);
        return r;
}

/* The names in DIR as items (scripts run by run-parts, init.d scripts). */
static int collect_names(collector_t *c, const char *dir, const char *what)
{
        dir_entry_t *ents;
        size_t n;
        int r = list_dir(c, dir, &ents, &n, NULL);

        if (r < 0)
                return r;
        for (size_t i = 0; i < n && r == 0; i++) {
                _cleanup_free_ char *p = NULL, *key = NULL, *text = NULL;
                if (ents[i].is_dir || ents[i].name[0] == '.')
                        continue;
                p = join(dir, ents[i].name);
                text = p ? psrules_escape(p, strlen(p), PERSIST_MAX_TEXT) : NULL;
                key = text ? str_printf("%s %s", what, text) : NULL;
                if (!key)
                        r = -ENOMEM;
                else
                        r = persist_set_add(c->s, key, p, 0, text, ents[i].name, 0);
        }
        dir_entries_free(ents, n);
        return r;
}

static int collect_cron(collector_t *c)
{
        static const char *const script_dirs[] = {
                "/etc/cron.hourly",  "/etc/cron.daily",  "/etc/cron.weekly",
                "/etc/cron.monthly", "/etc/cron.yearly",
        };
        int r;

        if ((r = collect_crontab_file(c, "/etc/crontab", true)) < 0 ||
            (r = collect_crontab_dir(c, "/etc/cron.d", true)) < 0 ||
            (r = collect_crontab_file(c, "/etc/anacrontab", false)) < 0 ||
            (r = collect_crontab_dir(c, "/var/spool/cron/crontabs", false)) < 0 ||
            (r = collect_crontab_dir(c, "/var/spool/cron/tabs", false)) < 0 ||
            (r = collect_crontab_dir(c, "/var/spool/cron", false)) < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(script_dirs); i++)
                if ((r = collect_names(c, script_dirs[i], "script")) < 0)
                        return r;
        return 0;
}

/* The unit files, links and drop-ins of one systemd unit directory. */
static int collect_unit_dir(collector_t *c, const char *dir, struct stat *seen, size_t *n_seen)
{
        dir_entry_t *ents;
        struct stat st = { 0 };
        size_t n;
        int r = list_dir(c, dir, &ents, &n, &st);

        if (r < 0)
                return r;
        if (n == 0) {
                dir_entries_free(ents, n);
                return 0;
        }
        /* /lib and /usr/lib are often one directory (merged /usr). */
        for (size_t i = 0; i < *n_seen; i++)
                if (seen[i].st_dev == st.st_dev && seen[i].st_ino == st.st_ino) {
                        dir_entries_free(ents, n);
                        return 0;
                }
        if (*n_seen < 16)
                seen[(*n_seen)++] = st;
        for (size_t i = 0; i < n && r == 0; i++) {
                _cleanup_free_ char *p = join(dir, ents[i].name);
                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                if (ents[i].is_dir) {
                        /* foo.wants/, foo.requires/, foo.service.d/ */
                        dir_entry_t *sub;
                        size_t ns;
                        if (!str_endswith(ents[i].name, ".wants") &&
                            !str_endswith(ents[i].name, ".requires") &&
                            !str_endswith(ents[i].name, ".d"))
                                continue;
                        if ((r = list_dir(c, p, &sub, &ns, NULL)) < 0)
                                break;
                        for (size_t j = 0; j < ns && r == 0; j++) {
                                _cleanup_free_ char *sp = join(p, sub[j].name), *key = NULL,
                                                    *text = NULL;
                                if (!sp || sub[j].is_dir) {
                                        r = sp ? 0 : -ENOMEM;
                                        continue;
                                }
                                text = psrules_escape(sp, strlen(sp), PERSIST_MAX_TEXT);
                                key = text ? str_printf("unit %s%s%s", text,
                                                        sub[j].target ? " -> " : "",
                                                        sub[j].target ? sub[j].target : "")
                                           : NULL;
                                r = key ? persist_set_add(c->s, key, sp, 0, key + 5, sub[j].name, 0)
                                        : -ENOMEM;
                        }
                        dir_entries_free(sub, ns);
                        continue;
                }
                {
                        _cleanup_free_ char *text = psrules_escape(p, strlen(p), PERSIST_MAX_TEXT);
                        _cleanup_free_ char *key =
                                text ? str_printf("unit %s%s%s", text, ents[i].target ? " -> " : "",
                                                  ents[i].target ? ents[i].target : "")
                                     : NULL;
                        r = key ? persist_set_add(c->s, key, p, 0, key + 5, ents[i].name, 0)
                                : -ENOMEM;
                }
        }
        dir_entries_free(ents, n);
        return r;
}

static int collect_systemd(collector_t *c)
{
        static const char *const unit_dirs[] = {
                "/etc/systemd/system",     "/etc/systemd/user",   "/usr/local/lib/systemd/system",
                "/usr/lib/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/user",
        };
        struct stat seen[16];
        size_t n_seen = 0;
        dir_entry_t *homes;
        size_t n_homes;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(unit_dirs); i++)
                if ((r = collect_unit_dir(c, unit_dirs[i], seen, &n_seen)) < 0)
                        return r;
        if ((r = collect_unit_dir(c, "/root/.config/systemd/user", seen, &n_seen)) < 0)
                return r;
        if ((r = list_dir(c, "/home", &homes, &n_homes, NULL)) < 0)
                return r;
        for (size_t i = 0; i < n_homes && r == 0; i++) {
                _cleanup_free_ char *p = NULL;
                if (!homes[i].is_dir)
                        continue;
                p = str_printf("/home/%s/.config/systemd/user", homes[i].name);
                r = p ? collect_unit_dir(c, p, seen, &n_seen) : -ENOMEM;
        }
        dir_entries_free(homes, n_homes);
        if (r < 0)
                return r;
        if ((r = collect_names(c, "/etc/init.d", "init.d")) < 0)
                return r;
        /* rc.local: its commands, like a user crontab without time fields. */
        {
                _cleanup_free_ char *data = NULL;
                lines_t l;
                const char *line;
                size_t len;

                r = read_file(c, "/etc/rc.local", &data, &len);
                if (r < 0)
                        return r;
                if (r > 0)
                        return 0;
                l = (lines_t){ .data = data, .n = len };
                r = 0;
                while (r == 0 && lines_next(&l, &line, &len)) {
                        size_t k = 0;
                        while (k < len && is_space(line[k]))
                                k++;
                        if (k == len || line[k] == '#' || memchr(line, 0, len))
                                continue;
                        if (len - k == 6 && memcmp(line + k, "exit 0", 6) == 0)
                                continue;
                        r = add_line_item(c->s, "/etc/rc.local", l.no, line + k, len - k);
                }
        }
        return r;
}

int persist_collect(const rootfs_t *root, persist_kind_t k, report_t *report, persist_set_t *s)
{
        collector_t c = { .root = root, .report = report, .s = s };

        switch (k) {
        case PERSIST_UID0:
                return collect_uid0(&c);
        case PERSIST_SUDOERS:
                return collect_sudoers(&c);
        case PERSIST_CRON:
                return collect_cron(&c);
        case PERSIST_SYSTEMD:
                return collect_systemd(&c);
        default:
                return -EINVAL;
        }
}

/* ---- state --------------------------------------------------------------- */

static const char *const migrations[] = {
        "CREATE TABLE persist_item ("
        "  scope TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,"
        "  first_seen INTEGER NOT NULL,"
        "  PRIMARY KEY (scope, kind, key)) WITHOUT ROWID;"
        "CREATE TABLE persist_learnt ("
        "  scope TEXT NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL,"
        "  PRIMARY KEY (scope, kind)) WITHOUT ROWID;",
};

int persist_db_open(const char *state_dir, sqlite3 **ret, char **ret_error)
{
        _cleanup_free_ char *path = NULL;
        int r;

        if ((r = store_mkdir_p(state_dir)) < 0) {
                *ret_error = str_printf("cannot create the state directory %s: %s", state_dir,
                                        strerror(-r));
                return r;
        }
        path = str_printf("%s/process.db", state_dir);
        if (!path)
                return -ENOMEM;
        return store_open(path, true, migrations, ELEMENTSOF(migrations), ret, ret_error);
}

static int step_done(sqlite3_stmt *st)
{
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : -EIO;
}

int persist_diff(sqlite3 *db, const char *scope, persist_kind_t k, const persist_set_t *s,
                 persist_new_fn fn, void *userdata, bool *ret_learnt)
{
        sqlite3_stmt *sel = NULL, *ins = NULL, *del = NULL, *learn = NULL, *isl = NULL;
        _cleanup_(strv_clear) strv_t old = { 0 };
        _cleanup_free_ const char **cur = NULL;
        _cleanup_free_ const persist_item_t **items = NULL;
        const char *kind = persist_kind_name(k);
        int64_t now = timeutil_now_us() / 1000000;
        bool learnt = false, in_tx = false;
        int r = 0, rc;

        if (ret_learnt)
                *ret_learnt = false;
        if (s->incomplete)
                return 0;
        if (sqlite3_prepare_v2(db, "SELECT 1 FROM persist_learnt WHERE scope = ?1 AND kind = ?2",
                               -1, &isl, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db, "SELECT key FROM persist_item WHERE scope = ?1 AND kind = ?2",
                               -1, &sel, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db,
                               "INSERT OR IGNORE INTO persist_item (scope, kind, key, first_seen) "
                               "VALUES (?1, ?2, ?3, ?4)",
                               -1, &ins, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db,
                               "DELETE FROM persist_item WHERE scope = ?1 AND kind = ?2 AND "
                               "key = ?3",
                               -1, &del, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db,
                               "INSERT OR REPLACE INTO persist_learnt (scope, kind, at) "
                               "VALUES (?1, ?2, ?3)",
                               -1, &learn, NULL) != SQLITE_OK) {
                r = -EIO;
                goto out;
        }
        if (store_exec(db, "BEGIN IMMEDIATE", NULL) < 0) {
                r = -EIO;
                goto out;
        }
        in_tx = true;
        sqlite3_bind_text(isl, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_text(isl, 2, kind, -1, SQLITE_STATIC);
        rc = sqlite3_step(isl);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
                r = -EIO;
                goto out;
        }
        learnt = rc == SQLITE_ROW;

        sqlite3_bind_text(sel, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_text(sel, 2, kind, -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
                const char *key = (const char *)sqlite3_column_text(sel, 0);
                if (key && (r = strv_push(&old, key)) < 0)
                        goto out;
        }
        if (rc != SQLITE_DONE) {
                r = -EIO;
                goto out;
        }
        if (old.n > 1)
                qsort(old.v, old.n, sizeof(*old.v), cmp_key);

        cur = malloc((s->n ? s->n : 1) * sizeof(*cur));
        items = malloc((s->n ? s->n : 1) * sizeof(*items));
        if (!cur || !items) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < s->n; i++)
                items[i] = &s->v[i];
        /* In key order, first occurrence first, so a key seen twice is
         * reported once, with its first place. */
        if (s->n > 1)
                qsort(items, s->n, sizeof(*items), cmp_item);
        for (size_t i = 0; i < s->n; i++)
                cur[i] = items[i]->key;

        sqlite3_bind_text(ins, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, kind, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 4, now);
        for (size_t i = 0; i < s->n; i++) {
                const persist_item_t *it = items[i];
                if (i > 0 && strcmp(cur[i - 1], it->key) == 0)
                        continue;
                if (old.n && bsearch(&it->key, old.v, old.n, sizeof(*old.v), cmp_key))
                        continue;
                if (learnt && fn && (r = fn(k, it, userdata)) < 0)
                        goto out;
                sqlite3_bind_text(ins, 3, it->key, -1, SQLITE_STATIC);
                if (step_done(ins) < 0) {
                        r = -EIO;
                        goto out;
                }
        }
        sqlite3_bind_text(del, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_text(del, 2, kind, -1, SQLITE_STATIC);
        for (size_t i = 0; i < old.n; i++) {
                if (s->n && bsearch(&old.v[i], cur, s->n, sizeof(*cur), cmp_key))
                        continue;
                sqlite3_bind_text(del, 3, old.v[i], -1, SQLITE_STATIC);
                if (step_done(del) < 0) {
                        r = -EIO;
                        goto out;
                }
        }
        if (!learnt) {
                sqlite3_bind_text(learn, 1, scope, -1, SQLITE_STATIC);
                sqlite3_bind_text(learn, 2, kind, -1, SQLITE_STATIC);
                sqlite3_bind_int64(learn, 3, now);
                if (step_done(learn) < 0) {
                        r = -EIO;
                        goto out;
                }
        }
        if (store_exec(db, "COMMIT", NULL) < 0) {
                r = -EIO;
                goto out;
        }
        in_tx = false;
        if (ret_learnt)
                *ret_learnt = !learnt;
out:
        if (in_tx)
                store_exec(db, "ROLLBACK", NULL);
        sqlite3_finalize(isl);
        sqlite3_finalize(sel);
        sqlite3_finalize(ins);
        sqlite3_finalize(del);
        sqlite3_finalize(learn);
        return r;
}
