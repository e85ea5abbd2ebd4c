#include "scan/baseline/sshdcfg.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Defaults of OpenSSH 9.x's sshd (sshd_config(5)), for the keywords vigil's
 * checks look at. Debian's packaged sshd_config overrides some of them
 * (UsePAM yes, X11Forwarding yes); those come from the file. */
static const struct {
        const char *keyword;
        const char *value;
} defaults[] = {
        { "permitrootlogin", "prohibit-password" },
        { "passwordauthentication", "yes" },
        { "permitemptypasswords", "no" },
        { "maxauthtries", "6" },
        { "x11forwarding", "no" },
        { "clientaliveinterval", "0" },
        { "clientalivecountmax", "3" },
        { "protocol", "2" },
        { "ciphers", "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
                     "aes128-gcm@openssh.com,aes256-gcm@openssh.com" },
        { "macs", "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
                  "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,"
                  "umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1" },
        { "kexalgorithms", "sntrup761x25519-sha512@openssh.com,curve25519-sha256,"
                           "curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
                           "ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,"
                           "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
                           "diffie-hellman-group14-sha256" },
        { "authenticationmethods", "any" },
        { "usepam", "no" },
        { "kbdinteractiveauthentication", "yes" },
        { "pubkeyauthentication", "yes" },
        { "hostbasedauthentication", "no" },
        { "ignorerhosts", "yes" },
        { "permituserenvironment", "no" },
        { "logingracetime", "120" },
        { "loglevel", "INFO" },
        { "maxsessions", "10" },
        { "maxstartups", "10:30:100" },
        { "allowtcpforwarding", "yes" },
        { "banner", "none" },
};

const char *sshdcfg_default(const char *keyword)
{
        for (size_t i = 0; i < ELEMENTSOF(defaults); i++)
                if (strcasecmp(defaults[i].keyword, keyword) == 0)
                        return defaults[i].value;
        return NULL;
}

void sshdcfg_clear(sshdcfg_t *cfg)
{
        for (size_t i = 0; i < cfg->n; i++) {
                free(cfg->v[i].keyword);
                free(cfg->v[i].value);
                free(cfg->v[i].file);
        }
        free(cfg->v);
        strv_clear(&cfg->problems);
        memset(cfg, 0, sizeof(*cfg));
}

const sshdcfg_entry_t *sshdcfg_get(const sshdcfg_t *cfg, const char *keyword)
{
        for (size_t i = 0; i < cfg->n; i++)
                if (strcasecmp(cfg->v[i].keyword, keyword) == 0)
                        return &cfg->v[i];
        return NULL;
}

struct reader {
        const rootfs_t *root;
        sshdcfg_t *cfg;
        unsigned files;
};

static int add_problem(struct reader *rd, const char *path, const char *why)
{
        char *p = str_printf("%s: %s", path, why);
        return p ? strv_push_take(&rd->cfg->problems, p) : -ENOMEM;
}

static int add_entry(struct reader *rd, const char *kw, size_t kwlen, const char *val,
                     const char *file, unsigned line)
{
        sshdcfg_t *c = rd->cfg;
        sshdcfg_entry_t *e;

        if (c->n >= SSHDCFG_MAX_ENTRIES)
                return 0;
        if (c->n == c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 64;
                sshdcfg_entry_t *v = realloc(c->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                c->v = v;
                c->cap = cap;
        }
        e = &c->v[c->n];
        e->keyword = str_ndup(kw, kwlen);
        e->value = strdup(val);
        e->file = strdup(file);
        e->line = line;
        if (!e->keyword || !e->value || !e->file) {
                free(e->keyword);
                free(e->value);
                free(e->file);
                return -ENOMEM;
        }
        c->n++;
        return 0;
}

static int read_file(struct reader *rd, const char *path, unsigned depth);

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expand one Include argument (a path or a glob in its last component) and
 * read the files it names, in sorted order. */
static int include(struct reader *rd, const char *arg, const char *from, unsigned depth)
{
        _cleanup_free_ char *full = NULL, *dir = NULL;
        _cleanup_(strv_clear) strv_t names = { 0 };
        const char *base, *slash;
        DIR *d;
        int fd, r;

        full = arg[0] == '/' ? strdup(arg) : str_printf("/etc/ssh/%s", arg);
        if (!full)
                return -ENOMEM;
        slash = strrchr(full, '/');
        base = slash + 1;
        if (!(dir = str_ndup(full, (size_t)(slash - full) ? (size_t)(slash - full) : 1)))
                return -ENOMEM;
        if (strpbrk(dir, "*?[")) {
                return add_problem(rd, from,
                                   "Include with a wildcard in a directory name is not "
                                   "followed");
        }
        if (!strpbrk(base, "*?["))
                return read_file(rd, full, depth + 1);
        fd = rootfs_openat(rd->root, dir, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return fd == -ENOENT ? 0 : add_problem(rd, dir, strerror(-fd));
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -ENOMEM;
        }
        for (struct dirent *de; (de = readdir(d));) {
                if (fnmatch(base, de->d_name, FNM_PERIOD) != 0)
                        continue;
                if (names.n >= SSHDCFG_MAX_FILES)
                        break;
                if ((r = strv_push(&names, de->d_name)) < 0) {
                        closedir(d);
                        return r;
                }
        }
        closedir(d);
        if (names.n)
                qsort(names.v, names.n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < names.n; i++) {
                _cleanup_free_ char *p =
                        str_printf("%s/%s", strcmp(dir, "/") ? dir : "", names.v[i]);
                if (!p)
                        return -ENOMEM;
                if ((r = read_file(rd, p, depth + 1)) < 0 && r == -ENOMEM)
                        return r;
        }
        return 0;
}

static int read_file(struct reader *rd, const char *path, unsigned depth)
{
        _cleanup_free_ char *data = NULL;
        size_t len, pos = 0;
        unsigned lineno = 0;
        bool in_match = false;
        int r;

        if (depth > SSHDCFG_MAX_DEPTH)
                return add_problem(rd, path, "Include nesting too deep");
        if (++rd->files > SSHDCFG_MAX_FILES)
                return add_problem(rd, path, "too many included files");
        r = rootfs_read_file(rd->root, path, SSHDCFG_MAX_FILE, &data, &len);
        if (r < 0) {
                if (depth == 0)
                        return r;
                if (r == -ENOENT) /* sshd globs Include paths: no match is fine */
                        return 0;
                return r == -ENOMEM ? r : add_problem(rd, path, strerror(-r));
        }
        while (pos < len) {
                const char *line = data + pos, *nl = memchr(line, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - line) : len - pos;
                const char *p = line, *end = line + n, *kw, *val;
                size_t kwlen;
                _cleanup_free_ char *value = NULL;

                pos += n + 1;
                lineno++;
                while (end > p && (end[-1] == '\r' || isspace((unsigned char)end[-1])))
                        end--;
                while (p < end && isspace((unsigned char)*p))
                        p++;
                if (p == end || *p == '#' || memchr(p, 0, (size_t)(end - p)))
                        continue;
                kw = p;
                while (p < end && !isspace((unsigned char)*p) && *p != '=')
                        p++;
                kwlen = (size_t)(p - kw);
                while (p < end && isspace((unsigned char)*p))
                        p++;
                if (p < end && *p == '=') {
                        p++;
                        while (p < end && isspace((unsigned char)*p))
                                p++;
                }
                val = p;
                if (!(value = str_ndup(val, (size_t)(end - val))))
                        return -ENOMEM;
                if (kwlen == 5 && strncasecmp(kw, "match", 5) == 0) {
                        in_match = strcasecmp(value, "all") != 0;
                        continue;
                }
                if (in_match)
                        continue;
                if (kwlen == 7 && strncasecmp(kw, "include", 7) == 0) {
                        _cleanup_(strv_clear) strv_t args = { 0 };
                        if ((r = strv_split(&args, value, " \t")) < 0)
                                return r;
                        for (size_t i = 0; i < args.n; i++)
                                if ((r = include(rd, args.v[i], path, depth)) < 0)
                                        return r;
                        continue;
                }
                if ((r = add_entry(rd, kw, kwlen, value, path, lineno)) < 0)
                        return r;
        }
        return 0;
}

int sshdcfg_read(const rootfs_t *root, const char *path, sshdcfg_t *cfg)
{
        struct reader rd = { .root = root, .cfg = cfg };
        int r = read_file(&rd, path ? path : SSHDCFG_PATH, 0);

        if (r < 0)
                sshdcfg_clear(cfg);
        return r;
}
