#include "detect/fim/pkgverify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hash.h"
#include "core/text.h"
#include "inventory/os/ospkg.h"
#include "inventory/os/rpmdb.h"

/* ---- line parsing helpers ---- */

typedef struct line_iter {
        const char *p, *end;
        size_t no;
} line_iter_t;

static bool next_line(line_iter_t *it, const char **ret, size_t *ret_len)
{
        const char *nl;

        if (it->p >= it->end)
                return false;
        nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
        *ret = it->p;
        *ret_len = nl ? (size_t)(nl - it->p) : (size_t)(it->end - it->p);
        it->p = nl ? nl + 1 : it->end;
        it->no++;
        return true;
}

/* report_note wants a source; the message carries "FILE:LINE" already, so
 * give the source separately here. */
#define bad_line(report, display, line, bad, why)                                                  \
        do {                                                                                       \
                if (*(bad) < PKGVERIFY_NOTES_PER_FILE && (report)) {                               \
                        char src_[PKGVERIFY_PATH_MAX + 32];                                        \
                        snprintf(src_, sizeof(src_), "%s:%zu", (display), (size_t)(line));         \
                        (void)report_note((report), REPORT_NOTE_WARNING, src_, "%s", (why));       \
                }                                                                                  \
                (*(bad))++;                                                                        \
        } while (0)

static int parse_hex(const char *s, size_t n, uint8_t *out)
{
        for (size_t i = 0; i < n / 2; i++) {
                int hi = str_hexval(s[2 * i]), lo = str_hexval(s[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                out[i] = (uint8_t)(hi << 4 | lo);
        }
        return 0;
}

static int b64val(char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

/* Decode exactly WANT bytes of padded base64 from N chars at S. */
static int parse_b64(const char *s, size_t n, uint8_t *out, size_t want)
{
        size_t o = 0;

        if (n % 4 || n != (want + 2) / 3 * 4)
                return -EINVAL;
        for (size_t i = 0; i < n; i += 4) {
                int v[4];
                for (size_t k = 0; k < 4; k++) {
                        v[k] = s[i + k] == '=' ? -2 : b64val(s[i + k]);
                        if (v[k] == -1)
                                return -EINVAL;
                }
                if (v[0] < 0 || v[1] < 0)
                        return -EINVAL;
                /* Padding only at the very end. */
                if ((v[2] == -2 || v[3] == -2) && i + 4 != n)
                        return -EINVAL;
                if (v[2] == -2 && v[3] != -2)
                        return -EINVAL;
                if (o < want)
                        out[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
                if (v[2] >= 0 && o < want)
                        out[o++] = (uint8_t)((v[1] & 15) << 4 | v[2] >> 2);
                if (v[3] >= 0 && v[2] >= 0 && o < want)
                        out[o++] = (uint8_t)((v[2] & 3) << 6 | v[3]);
        }
        return o == want ? 0 : -EINVAL;
}

int pkgverify_apk_checksum(const char *s, size_t n, fimhash_algo_t *ret_algo, uint8_t *ret)
{
        uint8_t d[FIMHASH_MAX_LEN];

        if (n > 2 && s[0] == 'Q' && s[1] == '1') {
                if (parse_b64(s + 2, n - 2, d, FIMHASH_SHA1_LEN) < 0)
                        return -EINVAL;
                *ret_algo = FIMHASH_SHA1;
                memcpy(ret, d, FIMHASH_SHA1_LEN);
                return 0;
        }
        if (n > 2 && s[0] == 'Q' && s[1] == '2') {
                if (parse_b64(s + 2, n - 2, d, HASH_SHA256_LEN) < 0)
                        return -EINVAL;
                *ret_algo = FIMHASH_SHA256;
                memcpy(ret, d, HASH_SHA256_LEN);
                return 0;
        }
        if (n == 2 * FIMHASH_MD5_LEN || n == 2 * FIMHASH_SHA1_LEN) {
                if (parse_hex(s, n, d) < 0)
                        return -EINVAL;
                *ret_algo = n == 2 * FIMHASH_MD5_LEN ? FIMHASH_MD5 : FIMHASH_SHA1;
                memcpy(ret, d, n / 2);
                return 0;
        }
        return -EINVAL;
}

int pkgverify_parse_md5sums(const char *data, size_t n, const char *display, report_t *report,
                            pkgverify_md5sums_fn fn, void *userdata, size_t *ret_bad)
{
        line_iter_t it = { data, data + n, 0 };
        char path[PKGVERIFY_PATH_MAX + 1];
        size_t bad = 0, len;
        const char *s;
        int r = 0;

        while (r == 0 && next_line(&it, &s, &len)) {
                uint8_t md5[FIMHASH_MD5_LEN];
                size_t plen;
                if (len == 0)
                        continue;
                if (len < 2 * FIMHASH_MD5_LEN + 3 || parse_hex(s, 2 * FIMHASH_MD5_LEN, md5) < 0) {
                        bad_line(report, display, it.no, &bad, "not an MD5 digest and a path");
                        continue;
                }
                if (s[32] != ' ' || (s[33] != ' ' && s[33] != '*')) {
                        bad_line(report, display, it.no, &bad,
                                 "digest and path must be separated by two spaces");
                        continue;
                }
                plen = len - 34;
                if (plen == 0 || plen > PKGVERIFY_PATH_MAX || memchr(s + 34, 0, plen)) {
                        bad_line(report, display, it.no, &bad, "empty, long or binary path");
                        continue;
                }
                memcpy(path, s + 34, plen);
                path[plen] = 0;
                r = fn(path, md5, userdata);
        }
        if (ret_bad)
                *ret_bad += bad;
        return r;
}

int pkgverify_parse_conffiles(const char *data, size_t n, const char *display, report_t *report,
                              pkgverify_path_fn fn, void *userdata, size_t *ret_bad)
{
        line_iter_t it = { data, data + n, 0 };
        char path[PKGVERIFY_PATH_MAX + 1];
        size_t bad = 0, len;
        const char *s;
        int r = 0;

        while (r == 0 && next_line(&it, &s, &len)) {
                const char *p = s, *sp;
                size_t plen;
                if (len == 0)
                        continue;
                /* Newer dpkg puts flags before the path ("remove-on-upgrade
                 * /etc/x"); the path is the part from the first "/". */
                if (*p != '/') {
                        sp = memchr(s, ' ', len);
                        if (!sp || sp + 1 >= s + len || sp[1] != '/') {
                                bad_line(report, display, it.no, &bad, "not an absolute path");
                                continue;
                        }
                        p = sp + 1;
                }
                plen = len - (size_t)(p - s);
                if (plen > PKGVERIFY_PATH_MAX || memchr(p, 0, plen)) {
                        bad_line(report, display, it.no, &bad, "long or binary path");
                        continue;
                }
                memcpy(path, p, plen);
                path[plen] = 0;
                r = fn(path, userdata);
        }
        if (ret_bad)
                *ret_bad += bad;
        return r;
}

int pkgverify_parse_diversions(const char *data, size_t n, const char *display, report_t *report,
                               pkgverify_diversion_fn fn, void *userdata, size_t *ret_bad)
{
        line_iter_t it = { data, data + n, 0 };
        char field[3][PKGVERIFY_PATH_MAX + 1];
        size_t bad = 0, len, k = 0, first = 1;
        bool broken = false;
        const char *s;
        int r = 0;

        while (r == 0 && next_line(&it, &s, &len)) {
                if (k == 0)
                        first = it.no;
                if (len == 0 || len > PKGVERIFY_PATH_MAX || memchr(s, 0, len))
                        broken = true;
                else {
                        memcpy(field[k], s, len);
                        field[k][len] = 0;
                }
                if (++k < 3)
                        continue;
                k = 0;
                if (broken || field[0][0] != '/' || field[1][0] != '/') {
                        bad_line(report, display, first, &bad, "not a diversion record");
                        broken = false;
                        continue;
                }
                r = fn(field[0], field[1], field[2], userdata);
        }
        if (r == 0 && k != 0)
                bad_line(report, display, first, &bad, "truncated diversion record");
        if (ret_bad)
                *ret_bad += bad;
        return r;
}

int pkgverify_parse_apk(const char *data, size_t n, const char *display, report_t *report,
                        pkgverify_apk_fn fn, void *userdata, size_t *ret_bad)
{
        line_iter_t it = { data, data + n, 0 };
        char pkg[256] = "", version[256] = "", dir[PKGVERIFY_PATH_MAX + 1] = "";
        char path[2 * PKGVERIFY_PATH_MAX + 2];
        char file[PKGVERIFY_PATH_MAX + 1] = "";
        bool have_file = false;
        size_t bad = 0, len;
        const char *s;
        int r = 0;

        while (r == 0 && next_line(&it, &s, &len)) {
                const char *v;
                size_t vlen;
                if (len == 0) {
                        pkg[0] = version[0] = dir[0] = 0;
                        have_file = false;
                        continue;
                }
                if (len < 2 || s[1] != ':' || memchr(s, 0, len)) {
                        bad_line(report, display, it.no, &bad, "not a \"X:value\" line");
                        continue;
                }
                v = s + 2;
                vlen = len - 2;
                switch (s[0]) {
                case 'P':
                        have_file = false;
                        dir[0] = 0;
                        version[0] = 0;
                        if (vlen == 0 || vlen >= sizeof(pkg) || memchr(v, '/', vlen)) {
                                pkg[0] = 0;
                                bad_line(report, display, it.no, &bad, "bad package name");
                                break;
                        }
                        memcpy(pkg, v, vlen);
                        pkg[vlen] = 0;
                        break;
                case 'V':
                        if (vlen >= sizeof(version)) {
                                bad_line(report, display, it.no, &bad, "version too long");
                                break;
                        }
                        memcpy(version, v, vlen);
                        version[vlen] = 0;
                        break;
                case 'F':
                        have_file = false;
                        if (vlen > PKGVERIFY_PATH_MAX) {
                                dir[0] = 0;
                                bad_line(report, display, it.no, &bad, "directory too long");
                                break;
                        }
                        memcpy(dir, v, vlen);
                        dir[vlen] = 0;
                        break;
                case 'R':
                        if (vlen == 0 || vlen > PKGVERIFY_PATH_MAX) {
                                have_file = false;
                                bad_line(report, display, it.no, &bad, "bad file name");
                                break;
                        }
                        memcpy(file, v, vlen);
                        file[vlen] = 0;
                        have_file = true;
                        break;
                case 'Z': {
                        uint8_t digest[FIMHASH_MAX_LEN];
                        fimhash_algo_t algo;
                        if (!have_file || !pkg[0]) {
                                bad_line(report, display, it.no, &bad,
                                         "checksum without a package file");
                                break;
                        }
                        if (pkgverify_apk_checksum(v, vlen, &algo, digest) < 0) {
                                bad_line(report, display, it.no, &bad, "bad checksum");
                                have_file = false;
                                break;
                        }
                        snprintf(path, sizeof(path), "%s%s%s", dir, dir[0] ? "/" : "", file);
                        have_file = false;
                        r = fn(&(pkgverify_apk_file_t){ pkg, version, path, algo, digest },
                               userdata);
                        break;
                }
                default:
                        break;
                }
        }
        if (ret_bad)
                *ret_bad += bad;
        return r;
}

/* ---- the table ---- */

static size_t slot_of(const pkgverify_t *pv, const char *path)
{
        return (size_t)hash_fnv1a(path, strlen(path)) & (pv->index_cap - 1);
}

const pkgverify_file_t *pkgverify_lookup(const pkgverify_t *pv, const char *path)
{
        if (!pv || !pv->index_cap)
                return NULL;
        for (size_t i = slot_of(pv, path);; i = (i + 1) & (pv->index_cap - 1)) {
                size_t v = pv->index[i];
                if (!v)
                        return NULL;
                if (strcmp(pv->files[v - 1].path, path) == 0)
                        return &pv->files[v - 1];
        }
}

static int index_grow(pkgverify_t *pv)
{
        size_t cap = pv->index_cap ? pv->index_cap * 2 : 1024;
        size_t *v = calloc(cap, sizeof(*v));

        if (!v)
                return -ENOMEM;
        free(pv->index);
        pv->index = v;
        pv->index_cap = cap;
        for (size_t k = 0; k < pv->n_files; k++) {
                size_t i = slot_of(pv, pv->files[k].path);
                while (pv->index[i])
                        i = (i + 1) & (cap - 1);
                pv->index[i] = k + 1;
        }
        return 0;
}

/* Add the file at canonical PATH (taken over) unless it is already there. */
static int add_file(pkgverify_t *pv, char *path, uint32_t pkg, fimhash_algo_t algo,
                    const uint8_t *digest)
{
        pkgverify_file_t *f;
        size_t i;

        if (pkgverify_lookup(pv, path)) {
                pv->duplicates++;
                free(path);
                return 0;
        }
        if (pv->n_files == pv->cap_files) {
                size_t cap = pv->cap_files ? pv->cap_files * 2 : 1024;
                pkgverify_file_t *v = realloc(pv->files, cap * sizeof(*v));
                if (!v) {
                        free(path);
                        return -ENOMEM;
                }
                pv->files = v;
                pv->cap_files = cap;
        }
        if ((pv->n_files + 1) * 2 > pv->index_cap && index_grow(pv) < 0) {
                free(path);
                return -ENOMEM;
        }
        f = &pv->files[pv->n_files];
        *f = (pkgverify_file_t){ .path = path, .pkg = pkg, .algo = algo };
        memcpy(f->digest, digest, fimhash_algo_len(algo));
        for (i = slot_of(pv, path); pv->index[i]; i = (i + 1) & (pv->index_cap - 1))
                ;
        pv->index[i] = ++pv->n_files;
        return 0;
}

int pkgverify_add_file(pkgverify_t *pv, const char *path, uint32_t pkg, fimhash_algo_t algo,
                       const uint8_t *digest)
{
        char *p;

        if (pkg >= pv->n_pkgs || fimhash_algo_len(algo) == 0)
                return -EINVAL;
        p = strdup(path);
        if (!p)
                return -ENOMEM;
        return add_file(pv, p, pkg, algo, digest);
}

static void free_files(pkgverify_t *pv)
{
        for (size_t i = 0; i < pv->n_files; i++)
                free(pv->files[i].path);
        free(pv->files);
        free(pv->index);
        pv->files = NULL;
        pv->index = NULL;
        pv->n_files = pv->cap_files = pv->index_cap = 0;
}

/* Move the package names and versions into one block. They were allocated
 * between the file paths; left where they are, a few thousand small strings
 * would keep most pages of the freed paths resident. */
static void compact_pkgs(pkgverify_t *pv)
{
        size_t total = 0, at = 0;
        char *block;

        if (pv->strings || !pv->n_pkgs)
                return;
        for (size_t i = 0; i < pv->n_pkgs; i++)
                total += strlen(pv->pkgs[i].name) + 1 +
                         (pv->pkgs[i].version ? strlen(pv->pkgs[i].version) + 1 : 0);
        block = malloc(total);
        if (!block)
                return; /* they stay where they are */
        for (size_t i = 0; i < pv->n_pkgs; i++) {
                char **s[2] = { &pv->pkgs[i].name, &pv->pkgs[i].version };
                for (size_t k = 0; k < 2; k++) {
                        size_t n;
                        if (!*s[k])
                                continue;
                        n = strlen(*s[k]) + 1;
                        memcpy(block + at, *s[k], n);
                        free(*s[k]);
                        *s[k] = block + at;
                        at += n;
                }
        }
        pv->strings = block;
}

void pkgverify_drop_files(pkgverify_t *pv)
{
        if (!pv)
                return;
        free_files(pv);
        compact_pkgs(pv);
}

static int add_pkg(pkgverify_t *pv, pkg_kind_t kind, const char *name, const char *version,
                   uint32_t *ret)
{
        pkgverify_pkg_t *p;

        if (pv->strings)
                return -EINVAL; /* compacted: see pkgverify_drop_files */
        if (pv->n_pkgs >= UINT32_MAX)
                return -E2BIG;
        if (pv->n_pkgs == pv->cap_pkgs) {
                size_t cap = pv->cap_pkgs ? pv->cap_pkgs * 2 : 256;
                pkgverify_pkg_t *v = realloc(pv->pkgs, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                pv->pkgs = v;
                pv->cap_pkgs = cap;
        }
        p = &pv->pkgs[pv->n_pkgs];
        *p = (pkgverify_pkg_t){ .kind = kind, .name = strdup(name) };
        if (!p->name || (version && *version && !(p->version = strdup(version)))) {
                free(p->name);
                return -ENOMEM;
        }
        *ret = (uint32_t)pv->n_pkgs++;
        return 0;
}

void pkgverify_free(pkgverify_t *pv)
{
        if (!pv)
                return;
        if (!pv->strings)
                for (size_t i = 0; i < pv->n_pkgs; i++) {
                        free(pv->pkgs[i].name);
                        free(pv->pkgs[i].version);
                }
        free(pv->strings);
        free_files(pv);
        free(pv->pkgs);
        free(pv);
}

bool pkgverify_matches(const pkgverify_file_t *f, const fimhash_digests_t *d)
{
        size_t n;
        const uint8_t *got = fimhash_get(d, f->algo, &n);

        return got && memcmp(got, f->digest, n) == 0;
}

void pkgverify_digest_str(const pkgverify_file_t *f, char *out, size_t n)
{
        char hex[2 * FIMHASH_MAX_LEN + 1];

        hash_hex(f->digest, fimhash_algo_len(f->algo), hex);
        snprintf(out, n, "%s:%s", fimhash_algo_name(f->algo), hex);
}

char *pkgverify_reinstall_hint(const pkgverify_t *pv, const pkgverify_file_t *f)
{
        const pkgverify_pkg_t *p = pkgverify_pkg_of(pv, f);

        if (p->kind == PKG_APK)
                return str_printf("apk fix --reinstall %s", p->name);
        if (p->kind == PKG_RPM)
                return str_printf("dnf reinstall %s", p->name);
        return str_printf("apt-get install --reinstall %s", p->name);
}

/* ---- loading ---- */

typedef struct diversion {
        char *from, *to, *pkg;
} diversion_t;

struct loader {
        const rootfs_t *root;
        fimpath_t *canon;
        pkgverify_scope_fn scope;
        void *userdata;
        report_t *report;
        pkgverify_t *pv;
        diversion_t *div;
        size_t n_div, cap_div;
        strv_t conffiles; /* of the package being read */
        pkg_kind_t kind;  /* of the package being read */
        uint32_t pkg;
        const char *pkg_name;
        size_t bad;
};

static int div_cmp(const void *a, const void *b)
{
        return strcmp(((const diversion_t *)a)->from, ((const diversion_t *)b)->from);
}

static int on_diversion(const char *from, const char *to, const char *pkg, void *userdata)
{
        struct loader *l = userdata;
        diversion_t *d;

        if (l->n_div == l->cap_div) {
                size_t cap = l->cap_div ? l->cap_div * 2 : 32;
                diversion_t *v = realloc(l->div, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                l->div = v;
                l->cap_div = cap;
        }
        d = &l->div[l->n_div];
        d->from = strdup(from);
        d->to = strdup(to);
        d->pkg = strdup(pkg);
        if (!d->from || !d->to || !d->pkg) {
                free(d->from);
                free(d->to);
                free(d->pkg);
                return -ENOMEM;
        }
        l->n_div++;
        return 0;
}

/* Where dpkg put the file PATH of the package being read. */
static const char *diverted(const struct loader *l, const char *path)
{
        diversion_t key = { .from = (char *)path }, *d;

        /* Diversions are dpkg's; they say nothing about rpm's files. */
        if (!l->n_div || l->kind != PKG_DPKG)
                return path;
        d = bsearch(&key, l->div, l->n_div, sizeof(*l->div), div_cmp);
        if (!d)
                return path;
        /* The diverting package's own file stays; everyone else's, and for a
         * local diversion (":") every package's, went to TO. */
        if (strcmp(d->pkg, ":") != 0 && strcmp(d->pkg, l->pkg_name) == 0)
                return path;
        return d->to;
}

static int add_listed(struct loader *l, const char *raw, fimhash_algo_t algo, const uint8_t *digest)
{
        _cleanup_free_ char *tidy = NULL;
        char *canon = NULL;
        const char *where;
        int r;

        r = fimpath_tidy(raw, strlen(raw), &tidy);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                l->pv->bad_lines++;
                return 0;
        }
        if (strv_contains(&l->conffiles, tidy)) {
                l->pv->conffiles_skipped++;
                return 0;
        }
        where = diverted(l, tidy);
        r = fimpath_canonical(l->canon, where, &canon);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        if (l->scope && !l->scope(canon, l->userdata)) {
                free(canon);
                return 0;
        }
        return add_file(l->pv, canon, l->pkg, algo, digest);
}

static int on_md5sum(const char *path, const uint8_t md5[FIMHASH_MD5_LEN], void *userdata)
{
        return add_listed(userdata, path, FIMHASH_MD5, md5);
}

static int on_conffile(const char *path, void *userdata)
{
        struct loader *l = userdata;
        _cleanup_free_ char *tidy = NULL;
        int r = fimpath_tidy(path, strlen(path), &tidy);

        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        return strv_contains(&l->conffiles, tidy) ? 0 : strv_push(&l->conffiles, tidy);
}

/* Read var/lib/dpkg/info/NAME[:ARCH].EXT into *RET; tries the multi-arch
 * name first. *RET_DISPLAY names the file read. */
static int read_info(const struct loader *l, const char *name, const char *arch, const char *ext,
                     char **ret, size_t *ret_len, char **ret_display)
{
        char path[512];
        int r = -ENOENT;

        for (int k = arch ? 0 : 1; k < 2; k++) {
                if (k == 0)
                        snprintf(path, sizeof(path), "/var/lib/dpkg/info/%s:%s.%s", name, arch,
                                 ext);
                else
                        snprintf(path, sizeof(path), "/var/lib/dpkg/info/%s.%s", name, ext);
                r = rootfs_read_file(l->root, path, PKGVERIFY_MAX_LIST_SIZE, ret, ret_len);
                if (r == 0) {
                        *ret_display = rootfs_display_path(l->root, path);
                        if (!*ret_display) {
                                free(*ret);
                                return -ENOMEM;
                        }
                        return 0;
                }
                if (r != -ENOENT)
                        break;
        }
        if (r != -ENOENT && r != -ENOMEM && l->report) {
                _cleanup_free_ char *d = rootfs_display_path(l->root, path);
                (void)report_note(l->report, REPORT_NOTE_WARNING, d ? d : path,
                                  "cannot read the package file list: %s", strerror(-r));
        }
        return r;
}

static int load_dpkg_pkg(struct loader *l, const char *name, const char *arch, const char *version)
{
        _cleanup_free_ char *data = NULL, *display = NULL, *cdata = NULL, *cdisplay = NULL;
        size_t len = 0, clen = 0;
        int r;

        /* Names end up in file names: refuse anything path-like. */
        if (!*name || strchr(name, '/') || name[0] == '.' || strlen(name) > 200 ||
            (arch && (strchr(arch, '/') || strlen(arch) > 64)))
                return 0;
        r = read_info(l, name, arch, "md5sums", &data, &len, &display);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        strv_clear(&l->conffiles);
        r = read_info(l, name, arch, "conffiles", &cdata, &clen, &cdisplay);
        if (r == -ENOMEM)
                return r;
        if (r == 0 && (r = pkgverify_parse_conffiles(cdata, clen, cdisplay, l->report, on_conffile,
                                                     l, &l->bad)) < 0)
                return r;
        if ((r = add_pkg(l->pv, PKG_DPKG, name, version, &l->pkg)) < 0)
                return r;
        l->kind = PKG_DPKG;
        l->pkg_name = name;
        l->pv->lists_read++;
        return pkgverify_parse_md5sums(data, len, display, l->report, on_md5sum, l, &l->bad);
}

static int load_dpkg(struct loader *l)
{
        _cleanup_pkg_list_ pkg_list_t pkgs = { 0 };
        _cleanup_free_ char *div = NULL;
        size_t div_len = 0;
        int r;

        r = rootfs_read_file(l->root, "/var/lib/dpkg/diversions", PKGVERIFY_MAX_LIST_SIZE, &div,
                             &div_len);
        if (r == 0) {
                _cleanup_free_ char *d = rootfs_display_path(l->root, "/var/lib/dpkg/diversions");
                if (!d)
                        return -ENOMEM;
                if ((r = pkgverify_parse_diversions(div, div_len, d, l->report, on_diversion, l,
                                                    &l->bad)) < 0)
                        return r;
                qsort(l->div, l->n_div, sizeof(*l->div), div_cmp);
        } else if (r == -ENOMEM)
                return r;

        r = dpkg_read_status(l->root, &pkgs, l->report);
        if (r == -ENOMEM)
                return r;
        if (r == 0) {
                l->pv->have_dpkg = true;
                for (size_t i = 0; i < pkgs.n; i++)
                        if ((r = load_dpkg_pkg(l, pkgs.v[i].name, pkgs.v[i].arch,
                                               pkgs.v[i].version)) < 0)
                                return r;
                return 0;
        }
        /* No readable status: take every md5sums file of the info folder,
         * so a damaged status file does not switch verification off. */
        {
                int dfd = rootfs_openat(l->root, "/var/lib/dpkg/info", O_RDONLY | O_DIRECTORY);
                DIR *d;
                struct dirent *de;
                if (dfd < 0)
                        return 0;
                d = fdopendir(dfd);
                if (!d) {
                        close(dfd);
                        return 0;
                }
                l->pv->have_dpkg = true;
                while ((de = readdir(d))) {
                        char name[256];
                        size_t n = strlen(de->d_name);
                        char *colon;
                        if (n <= 8 || n - 8 >= sizeof(name) ||
                            strcmp(de->d_name + n - 8, ".md5sums") != 0)
                                continue;
                        memcpy(name, de->d_name, n - 8);
                        name[n - 8] = 0;
                        colon = strchr(name, ':');
                        if (colon)
                                *colon = 0;
                        if ((r = load_dpkg_pkg(l, name, colon ? colon + 1 : NULL, NULL)) < 0)
                                break;
                }
                closedir(d);
                return r < 0 ? r : 0;
        }
}

struct apk_state {
        struct loader *l;
        char last[256];
        char last_version[256];
};

static int on_apk_file(const pkgverify_apk_file_t *f, void *userdata)
{
        struct apk_state *a = userdata;
        int r;

        if (strcmp(a->last, f->pkg) != 0 || strcmp(a->last_version, f->version) != 0) {
                if ((r = add_pkg(a->l->pv, PKG_APK, f->pkg, f->version, &a->l->pkg)) < 0)
                        return r;
                snprintf(a->last, sizeof(a->last), "%s", f->pkg);
                snprintf(a->last_version, sizeof(a->last_version), "%s", f->version);
        }
        a->l->kind = PKG_APK;
        a->l->pkg_name = a->last;
        return add_listed(a->l, f->path, f->algo, f->digest);
}

static int load_apk(struct loader *l)
{
        static const char *const paths[] = { "/lib/apk/db/installed", "/usr/lib/apk/db/installed" };

        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                _cleanup_free_ char *data = NULL, *display = NULL;
                struct apk_state a = { .l = l };
                size_t len = 0;
                int r = rootfs_read_file(l->root, paths[i], PKGVERIFY_MAX_APKDB_SIZE, &data, &len);
                if (r == -ENOENT)
                        continue;
                display = rootfs_display_path(l->root, paths[i]);
                if (!display || r == -ENOMEM)
                        return -ENOMEM;
                if (r < 0) {
                        if (l->report)
                                (void)report_note(l->report, REPORT_NOTE_WARNING, display,
                                                  "cannot read the apk database: %s", strerror(-r));
                        return 0;
                }
                l->pv->have_apk = true;
                l->pv->lists_read++;
                strv_clear(&l->conffiles);
                return pkgverify_parse_apk(data, len, display, l->report, on_apk_file, &a, &l->bad);
        }
        return 0;
}

int pkgverify_rpm_algo(unsigned rpm_algo, size_t digest_len, fimhash_algo_t *ret)
{
        fimhash_algo_t a;

        switch (rpm_algo) {
        case RPMDB_DIGEST_MD5:
                a = FIMHASH_MD5;
                break;
        case RPMDB_DIGEST_SHA1:
                a = FIMHASH_SHA1;
                break;
        case RPMDB_DIGEST_SHA256:
                a = FIMHASH_SHA256;
                break;
        default:
                return -EOPNOTSUPP;
        }
        if (digest_len != fimhash_algo_len(a))
                return -EINVAL;
        *ret = a;
        return 0;
}

struct rpm_state {
        struct loader *l;
        char last[RPMDB_WORD_MAX + 1];
        char last_evr[3 * RPMDB_WORD_MAX + 32];
        size_t unsupported; /* files whose digest algorithm vigil does not compute */
        unsigned unsupported_algo;
};

static int on_rpm_file(const rpmdb_file_t *f, void *userdata)
{
        struct rpm_state *a = userdata;
        fimhash_algo_t algo;
        int r;

        /* The same policy as for dpkg: %config files belong to the admin
         * (dpkg's conffiles); a %ghost file is not in the package, so rpm
         * has no content for it; a file rpm did not install as shipped
         * (excluded docs, another architecture's copy, replaced by another
         * package) cannot be compared; and a directory, a symlink or a
         * device has no digest. */
        if (f->flags & RPMDB_FILE_CONFIG) {
                a->l->pv->conffiles_skipped++;
                return 0;
        }
        if ((f->flags & RPMDB_FILE_GHOST) || f->state != RPMDB_STATE_NORMAL || !f->digest ||
            (f->mode & S_IFMT) != S_IFREG)
                return 0;
        r = pkgverify_rpm_algo(f->algo, f->digest_len, &algo);
        if (r == -EOPNOTSUPP) {
                a->unsupported++;
                a->unsupported_algo = f->algo;
                return 0;
        }
        if (r < 0) {
                a->l->pv->bad_lines++;
                return 0;
        }
        if (strcmp(a->last, f->pkg) != 0 || strcmp(a->last_evr, f->evr) != 0) {
                if ((r = add_pkg(a->l->pv, PKG_RPM, f->pkg, f->evr, &a->l->pkg)) < 0)
                        return r;
                snprintf(a->last, sizeof(a->last), "%s", f->pkg);
                snprintf(a->last_evr, sizeof(a->last_evr), "%s", f->evr);
                a->l->pv->lists_read++;
        }
        a->l->kind = PKG_RPM;
        a->l->pkg_name = a->last;
        return add_listed(a->l, f->path, algo, f->digest);
}

static int load_rpm(struct loader *l)
{
        struct rpm_state a = { .l = l };
        size_t bad = 0;
        int r;

        strv_clear(&l->conffiles);
        r = rpmdb_read_files(l->root, on_rpm_file, &a, l->report, &bad);
        l->pv->bad_lines += bad;
        if (r == -ENOENT)
                return 0;
        /* The database exists even when it could not be read (noted). */
        l->pv->have_rpm = true;
        if (r == -ENOMEM || r == -E2BIG)
                return r;
        if (a.unsupported && l->report)
                (void)report_note(l->report, REPORT_NOTE_INFO, "fim",
                                  "rpm packages: %zu files have digests of an algorithm vigil "
                                  "does not compute (rpm digest algorithm %u); the baseline "
                                  "covers them",
                                  a.unsupported, a.unsupported_algo);
        return 0;
}

int pkgverify_load(const rootfs_t *root, fimpath_t *canon, pkgverify_scope_fn scope, void *userdata,
                   report_t *report, pkgverify_t **ret)
{
        struct loader l = {
                .root = root, .canon = canon, .scope = scope, .userdata = userdata, .report = report
        };
        int r;

        l.pv = calloc(1, sizeof(*l.pv));
        if (!l.pv)
                return -ENOMEM;
        r = load_dpkg(&l);
        if (r == 0)
                r = load_apk(&l);
        if (r == 0)
                r = load_rpm(&l);
        l.pv->bad_lines += l.bad;
        for (size_t i = 0; i < l.n_div; i++) {
                free(l.div[i].from);
                free(l.div[i].to);
                free(l.div[i].pkg);
        }
        free(l.div);
        strv_clear(&l.conffiles);
        if (r < 0) {
                pkgverify_free(l.pv);
                return r == -E2BIG ? -ENOMEM : r;
        }
        if (report) {
                (void)report_count(report, "fim", "package_lists", (long long)l.pv->lists_read);
                (void)report_count(report, "fim", "package_files", (long long)l.pv->n_files);
                if (l.pv->bad_lines)
                        (void)report_count(report, "fim", "package_bad_lines",
                                           (long long)l.pv->bad_lines);
        }
        *ret = l.pv;
        return 0;
}
