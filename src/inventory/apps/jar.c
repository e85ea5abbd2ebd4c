#include "inventory/apps/jar.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/text.h"

/* A member chain ("a.ear!/b.war!/WEB-INF/lib/c.jar") longer than this is not
 * followed; real chains are a few hundred bytes. */
#define JAR_CHAIN_MAX (64 * KiB)
/* Bytes asked from libarchive per read, so the inflated-byte cap is checked
 * often. */
#define JAR_READ_CHUNK (256 * KiB)
/* Coordinates longer than this are not names a registry would accept. */
#define JAR_FIELD_MAX 512
/* The end-of-central-directory record: 22 bytes plus a comment of up to
 * 65535 bytes, so it is found within the last 65557 bytes. */
#define EOCD_LEN    22
#define EOCD_SEARCH (EOCD_LEN + 65535)
/* The smallest central directory entry. */
#define CDIR_ENTRY_MIN 46

/* Where the bytes of one archive come from: memory, or a descriptor. */
struct zsrc {
        const unsigned char *mem;
        int fd;
        uint64_t size;
};

struct jar_ctx {
        const jar_limits_t *lim;
        pkg_list_t *out;
        appnote_t *notes;
        jar_stats_t stats;
        /* Spent from the caps of the whole tree under one outer archive. */
        unsigned long long inflated;
        size_t members;
        /* A cap of the whole tree was reached: every level stops reading. */
        bool stop;
        /* The chain of the archive being read, without a trailing "!/". */
        buf_t chain;
        /* Set when the archive being read had a problem; collected into
         * stats.bad per archive. */
        bool bad;
};

void jar_limits_default(jar_limits_t *l)
{
        *l = (jar_limits_t){
                .max_depth = 4,
                .max_inflated = 1ULL * GiB,
                .max_members = 1000000,
                .max_nested_size = 128 * MiB,
                .max_text_size = 1 * MiB,
        };
}

static void problem(struct jar_ctx *c, const char *member, const char *fmt, ...) _printf_(3, 4);

static void problem(struct jar_ctx *c, const char *member, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL, *src = NULL;
        va_list ap;
        int r;

        c->bad = true;
        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0) {
                msg = NULL;
                c->notes->oom = true;
                c->notes->problems++;
                return;
        }
        src = member ? str_printf("%s!/%s", c->chain.data, member) : strdup(c->chain.data);
        if (!src) {
                c->notes->oom = true;
                c->notes->problems++;
                return;
        }
        appnote_warn(c->notes, src, "%s", msg);
}

static const char *archive_err(struct archive *a)
{
        const char *s = archive_error_string(a);
        return s ? s : "unknown error";
}

/* ---- small string helpers ---------------------------------------------- */

static bool is_token(const char *s)
{
        size_t n = 0;

        if (!s || !*s)
                return false;
        for (; *s; s++, n++) {
                if (n >= JAR_FIELD_MAX)
                        return false;
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' || *s == '_'))
                        return false;
        }
        return true;
}

/* A field value usable as a name or version: not empty, not too long, no
 * control characters (which no registry allows and which only serve to
 * confuse a reader). */
static bool is_field(const char *s)
{
        size_t n = 0;

        if (!s || !*s)
                return false;
        for (; *s; s++, n++)
                if (n >= JAR_FIELD_MAX || (unsigned char)*s < 0x20 || *s == 0x7f)
                        return false;
        return true;
}

static bool has_archive_ext(const char *name)
{
        static const char *const exts[] = { ".jar", ".war", ".ear", ".hpi", ".jpi" };
        size_t n = strlen(name);

        for (size_t i = 0; i < ELEMENTSOF(exts); i++)
                if (n > 4 && strcasecmp(name + n - 4, exts[i]) == 0)
                        return true;
        return false;
}

static const char *base_name(const char *path)
{
        const char *s = strrchr(path, '/');
        return s ? s + 1 : path;
}

static int set_str(char **dst, const char *s, size_t n)
{
        char *v = str_ndup(s, n);
        if (!v)
                return -ENOMEM;
        free(*dst);
        *dst = v;
        return 0;
}

/* ---- MANIFEST.MF ------------------------------------------------------- */

void jar_manifest_clear(jar_manifest_t *m)
{
        if (!m)
                return;
        free(m->impl_title);
        free(m->impl_vendor_id);
        free(m->impl_version);
        free(m->bundle_name);
        free(m->bundle_title);
        free(m->bundle_version);
        *m = (jar_manifest_t){ 0 };
}

static char **manifest_slot(jar_manifest_t *m, const char *name, size_t n)
{
        static const struct {
                const char *name;
                size_t off;
        } keys[] = {
                { "Implementation-Title", offsetof(jar_manifest_t, impl_title) },
                { "Implementation-Vendor-Id", offsetof(jar_manifest_t, impl_vendor_id) },
                { "Implementation-Version", offsetof(jar_manifest_t, impl_version) },
                { "Bundle-SymbolicName", offsetof(jar_manifest_t, bundle_name) },
                { "Bundle-Name", offsetof(jar_manifest_t, bundle_title) },
                { "Bundle-Version", offsetof(jar_manifest_t, bundle_version) },
        };

        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (strlen(keys[i].name) == n && strncasecmp(keys[i].name, name, n) == 0)
                        return (char **)((char *)m + keys[i].off);
        return NULL;
}

int jar_parse_manifest(const char *data, size_t len, jar_manifest_t *ret)
{
        jar_manifest_t m = { 0 };
        _cleanup_buf_ buf_t val = { 0 };
        char **slot = NULL; /* the attribute the current value belongs to */
        size_t pos = 0;
        int r;

        buf_init(&val, len + 1);
        jar_manifest_clear(ret);
        for (;;) {
                size_t start = pos, end, n;
                bool at_end = pos >= len;

                while (pos < len && data[pos] != '\n' && data[pos] != '\r')
                        pos++;
                end = pos;
                if (pos < len && data[pos] == '\r')
                        pos++;
                if (pos < len && data[pos] == '\n' && (pos == end || data[pos - 1] == '\r'))
                        pos++;
                n = end - start;
                /* A continuation line adds to the value being read. */
                if (!at_end && n > 0 && data[start] == ' ') {
                        if (slot && buf_append(&val, data + start + 1, n - 1) < 0)
                                goto oom;
                        continue;
                }
                /* Any other line ends the value being read. */
                if (slot) {
                        if (set_str(slot, val.data ? val.data : "", val.len) < 0)
                                goto oom;
                        slot = NULL;
                }
                /* An empty line ends the main section. */
                if (at_end || n == 0)
                        break;
                {
                        const char *colon = memchr(data + start, ':', n);
                        size_t vstart;

                        if (!colon || colon == data + start)
                                continue;
                        slot = manifest_slot(&m, data + start, (size_t)(colon - (data + start)));
                        if (!slot)
                                continue;
                        vstart = (size_t)(colon - data) + 1;
                        if (vstart < end && data[vstart] == ' ')
                                vstart++;
                        buf_reset(&val);
                        if (buf_append(&val, data + vstart, end - vstart) < 0)
                                goto oom;
                }
        }
        /* "org.example.bundle;singleton:=true" names the bundle
         * "org.example.bundle". */
        if (m.bundle_name) {
                char *semi = strchr(m.bundle_name, ';');
                if (semi)
                        *semi = 0;
        }
        {
                char *fields[] = { m.impl_title,  m.impl_vendor_id, m.impl_version,
                                   m.bundle_name, m.bundle_title,   m.bundle_version };
                for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                        if (fields[i])
                                str_strip(fields[i]);
        }
        *ret = m;
        return 0;
oom:
        r = -ENOMEM;
        jar_manifest_clear(&m);
        return r;
}

/* ---- pom.properties ---------------------------------------------------- */

void jar_pom_clear(jar_pom_t *p)
{
        if (!p)
                return;
        free(p->group_id);
        free(p->artifact_id);
        free(p->version);
        *p = (jar_pom_t){ 0 };
}

static bool props_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\f';
}

static int append_utf8(buf_t *b, unsigned cp)
{
        char u[3];
        size_t n;

        if (cp < 0x80) {
                u[0] = (char)cp;
                n = 1;
        } else if (cp < 0x800) {
                u[0] = (char)(0xc0 | (cp >> 6));
                u[1] = (char)(0x80 | (cp & 0x3f));
                n = 2;
        } else {
                u[0] = (char)(0xe0 | (cp >> 12));
                u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                u[2] = (char)(0x80 | (cp & 0x3f));
                n = 3;
        }
        return buf_append(b, u, n);
}

static void pom_store(jar_pom_t *p, buf_t *key, buf_t *val, int *err)
{
        char **slot = NULL;

        if (!key->data)
                return;
        if (strcmp(key->data, "groupId") == 0)
                slot = &p->group_id;
        else if (strcmp(key->data, "artifactId") == 0)
                slot = &p->artifact_id;
        else if (strcmp(key->data, "version") == 0)
                slot = &p->version;
        /* A later line replaces an earlier one, as java.util.Properties does. */
        if (slot && set_str(slot, val->data ? val->data : "", val->len) < 0)
                *err = -ENOMEM;
}

int jar_parse_pom_properties(const char *data, size_t len, jar_pom_t *ret)
{
        jar_pom_t p = { 0 };
        _cleanup_buf_ buf_t key = { 0 }, val = { 0 };
        size_t pos = 0;
        int err = 0;

        jar_pom_clear(ret);
        /* Unescaping never makes text longer, so the input size is a safe cap. */
        buf_init(&key, len + 1);
        buf_init(&val, len + 1);
        while (pos < len && !err) {
                buf_t *cur = &key;
                bool in_key = true;

                while (pos < len && props_blank(data[pos]))
                        pos++;
                if (pos >= len)
                        break;
                if (data[pos] == '\n' || data[pos] == '\r') {
                        pos++;
                        continue;
                }
                if (data[pos] == '#' || data[pos] == '!') {
                        while (pos < len && data[pos] != '\n' && data[pos] != '\r')
                                pos++;
                        continue;
                }
                buf_reset(&key);
                buf_reset(&val);
                while (pos < len) {
                        char ch = data[pos];
                        int r = 0;

                        if (ch == '\n' || ch == '\r') {
                                pos++;
                                if (ch == '\r' && pos < len && data[pos] == '\n')
                                        pos++;
                                break;
                        }
                        if (ch == '\\') {
                                char e;
                                if (++pos >= len)
                                        break;
                                e = data[pos++];
                                if (e == '\n' || e == '\r') {
                                        /* A continuation: the next natural
                                         * line goes on without its indent. */
                                        if (e == '\r' && pos < len && data[pos] == '\n')
                                                pos++;
                                        while (pos < len && props_blank(data[pos]))
                                                pos++;
                                        continue;
                                }
                                switch (e) {
                                case 't':
                                        r = buf_append(cur, "\t", 1);
                                        break;
                                case 'n':
                                        r = buf_append(cur, "\n", 1);
                                        break;
                                case 'r':
                                        r = buf_append(cur, "\r", 1);
                                        break;
                                case 'f':
                                        r = buf_append(cur, "\f", 1);
                                        break;
                                case 'u': {
                                        unsigned cp = 0;
                                        int i;
                                        for (i = 0; i < 4 && pos < len; i++, pos++) {
                                                int h = str_hexval(data[pos]);
                                                if (h < 0)
                                                        break;
                                                cp = cp << 4 | (unsigned)h;
                                        }
                                        /* A malformed \u escape is kept as
                                         * written; Java would refuse the
                                         * whole file. */
                                        r = i == 4 ? append_utf8(cur, cp)
                                                   : buf_append(cur, data + pos - i - 2,
                                                                (size_t)i + 2);
                                        break;
                                }
                                default:
                                        r = buf_append(cur, &e, 1);
                                        break;
                                }
                                if (r < 0)
                                        err = r;
                                continue;
                        }
                        if (in_key && (ch == '=' || ch == ':' || props_blank(ch))) {
                                in_key = false;
                                cur = &val;
                                pos++;
                                while (pos < len && props_blank(data[pos]))
                                        pos++;
                                if (props_blank(ch) && pos < len &&
                                    (data[pos] == '=' || data[pos] == ':')) {
                                        pos++;
                                        while (pos < len && props_blank(data[pos]))
                                                pos++;
                                }
                                continue;
                        }
                        r = buf_append(cur, &ch, 1);
                        if (r < 0)
                                err = r;
                        pos++;
                }
                if (!err && key.data)
                        pom_store(&p, &key, &val, &err);
        }
        if (err) {
                jar_pom_clear(&p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}

/* ---- identification ---------------------------------------------------- */

int jar_name_from_filename(const char *filename, char **ret_artifact, char **ret_version)
{
        const char *name = base_name(filename);
        size_t n = strlen(name), i;
        char *a, *v;

        if (has_archive_ext(name))
                n -= 4;
        for (i = 1; i + 1 < n; i++)
                if (name[i] == '-' && name[i + 1] >= '0' && name[i + 1] <= '9')
                        break;
        if (i + 1 >= n || i >= JAR_FIELD_MAX || n - i - 1 >= JAR_FIELD_MAX)
                return -EINVAL;
        a = str_ndup(name, i);
        v = str_ndup(name + i + 1, n - i - 1);
        if (!a || !v) {
                free(a);
                free(v);
                return -ENOMEM;
        }
        if (!is_field(a) || !is_field(v)) {
                free(a);
                free(v);
                return -EINVAL;
        }
        *ret_artifact = a;
        *ret_version = v;
        return 0;
}

int jar_identify_manifest(const jar_manifest_t *m, const char *filename, char **ret_name,
                          char **ret_version)
{
        _cleanup_free_ char *file_art = NULL, *file_ver = NULL;
        const char *version, *group = NULL, *artifact = NULL;
        char *name, *v;
        int r;

        version = is_field(m->impl_version)     ? m->impl_version
                  : is_field(m->bundle_version) ? m->bundle_version
                                                : NULL;
        if (!version)
                return -ENOENT;
        if (is_token(m->impl_vendor_id))
                group = m->impl_vendor_id;
        if (filename) {
                r = jar_name_from_filename(filename, &file_art, &file_ver);
                if (r == -ENOMEM)
                        return r;
        }
        /* The file name Maven gave the archive is the best evidence of the
         * artifactId when its version agrees with the manifest; then a title
         * that looks like an artifactId ("jackson-databind", not "Apache
         * Log4j Core"), which is what Maven writes when a project has no
         * <name>. */
        if (file_art && strcmp(file_ver, version) == 0)
                artifact = file_art;
        else if (is_token(m->impl_title))
                artifact = m->impl_title;
        else if (is_token(m->bundle_title))
                artifact = m->bundle_title;
        if (artifact) {
                name = group ? str_printf("%s:%s", group, artifact) : strdup(artifact);
        } else {
                /* Weaker evidence gives a name without a groupId. */
                const char *bsn = is_token(m->bundle_name) ? m->bundle_name : NULL;
                size_t gl = group ? strlen(group) : 0;

                if (file_art)
                        artifact = file_art;
                else if (bsn && group && strncmp(bsn, group, gl) == 0 && bsn[gl] == '.' &&
                         bsn[gl + 1])
                        artifact = bsn + gl + 1;
                else if (bsn)
                        artifact = bsn;
                else
                        return -ENOENT;
                name = strdup(artifact);
        }
        v = strdup(version);
        if (!name || !v) {
                free(name);
                free(v);
                return -ENOMEM;
        }
        *ret_name = name;
        *ret_version = v;
        return 0;
}

/* ---- reading archives -------------------------------------------------- */

static int zsrc_read(const struct zsrc *s, uint64_t off, void *buf, size_t n)
{
        if (off > s->size || n > s->size - off)
                return -EINVAL;
        if (s->mem) {
                memcpy(buf, s->mem + off, n);
                return 0;
        }
        while (n > 0) {
                ssize_t k = pread(s->fd, buf, n, (off_t)off);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return -EIO;
                buf = (char *)buf + k;
                n -= (size_t)k;
                off += (uint64_t)k;
        }
        return 0;
}

static uint16_t le16(const unsigned char *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
        return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* An upper bound of the central directory entries libarchive would load up
 * front for this archive. Its seekable reader takes the last end-of-central-
 * directory record near the end of the file and then reads directory entries
 * until it meets the end record, whatever count the record states; so the
 * bound is the directory's span divided by the smallest entry, or the stated
 * count when that is larger. 0 when there is no record (the archive is then
 * read as a stream, which loads nothing up front). */
static uint64_t zip_entries_bound(const struct zsrc *s)
{
        size_t n = (size_t)MIN(s->size, (uint64_t)EOCD_SEARCH);
        uint64_t tail_off = s->size - n, pos, count, cd_off, cd_size, start;
        _cleanup_free_ unsigned char *tail = malloc(n ? n : 1);
        const unsigned char *p = NULL;
        size_t i;

        if (!tail || n < EOCD_LEN || zsrc_read(s, tail_off, tail, n) < 0)
                return 0;
        for (i = n - EOCD_LEN + 1; i-- > 0;)
                if (le32(tail + i) == 0x06054b50) {
                        p = tail + i;
                        break;
                }
        if (!p)
                return 0;
        pos = tail_off + i;
        count = MAX(le16(p + 8), le16(p + 10));
        cd_size = le32(p + 12);
        cd_off = le32(p + 16);
        /* A zip64 locator just before the record points to the zip64 record
         * with the real figures. */
        if (i >= 20 && le32(p - 20) == 0x07064b50) {
                unsigned char z[56];
                if (zsrc_read(s, le64(p - 20 + 8), z, sizeof(z)) == 0 && le32(z) == 0x06064b50) {
                        count = MAX(count, MAX(le64(z + 24), le64(z + 32)));
                        cd_size = MAX(cd_size, le64(z + 40));
                        cd_off = MIN(cd_off, le64(z + 48));
                }
        }
        /* The directory starts at its stated offset, or where its stated size
         * puts it before the end record; take the earlier. */
        start = MIN(MIN(cd_off, pos), pos - MIN(cd_size, pos));
        return MAX(count, (pos - start) / CDIR_ENTRY_MIN);
}

static struct archive *reader_new(void)
{
        struct archive *a = archive_read_new();

        if (!a)
                return NULL;
        if (archive_read_support_format_zip(a) != ARCHIVE_OK) {
                archive_read_free(a);
                return NULL;
        }
        return a;
}

static void reader_freep(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
}

/* Read the current member into memory, at most CAP bytes. Returns 0 with
 * *RET (NUL-terminated, caller frees) and *RET_LEN, -EFBIG when the member is
 * larger than CAP, -EDQUOT when the inflated-byte cap of the tree is reached
 * (C->stop is set), -EIO when libarchive failed (its error string says why),
 * or -ENOMEM. */
static int read_member(struct jar_ctx *c, struct archive *a, struct archive_entry *e, size_t cap,
                       char **ret, size_t *ret_len)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0, alloc;

        if (archive_entry_size_is_set(e) && archive_entry_size(e) >= 0 &&
            (uint64_t)archive_entry_size(e) > cap)
                return -EFBIG;
        /* Trust a stated size only as a first guess, never as a bound. */
        alloc = archive_entry_size_is_set(e) && archive_entry_size(e) > 0
                        ? (size_t)archive_entry_size(e) + 1
                        : 64 * KiB;
        alloc = MIN(alloc, cap + 1);
        data = malloc(alloc + 1);
        if (!data)
                return -ENOMEM;
        for (;;) {
                unsigned long long left =
                        c->lim->max_inflated - MIN(c->inflated, c->lim->max_inflated);
                size_t want;
                la_ssize_t k;

                if (len == alloc) {
                        size_t na = MIN(alloc * 2, cap + 1);
                        char *p = realloc(data, na + 1);
                        if (!p)
                                return -ENOMEM;
                        data = p;
                        alloc = na;
                }
                want = MIN(alloc - len, JAR_READ_CHUNK);
                /* One byte past the budget is enough to know it is spent. */
                if (left < want)
                        want = (size_t)left + 1;
                k = archive_read_data(a, data + len, want);
                if (k < 0)
                        return -EIO;
                if (k == 0)
                        break;
                len += (size_t)k;
                c->inflated += (unsigned long long)k;
                c->stats.inflated += (unsigned long long)k;
                if (c->inflated > c->lim->max_inflated) {
                        c->stop = true;
                        return -EDQUOT;
                }
                if (len > cap)
                        return -EFBIG;
        }
        data[len] = 0;
        *ret = TAKE_PTR(data);
        *ret_len = len;
        return 0;
}

typedef enum member_kind {
        MEMBER_OTHER,
        MEMBER_POM,
        MEMBER_MANIFEST,
        MEMBER_ARCHIVE,
} member_kind_t;

/* What a member is, from its name. For pom.properties the groupId and
 * artifactId directories are returned as spans of NAME. */
static member_kind_t classify(const char *name, const char **g, size_t *gl, const char **art,
                              size_t *al)
{
        const char *p, *s1, *s2;

        /* Leading "/" and "./" do not change what a member is, only how
         * carefully it was written. */
        for (;;) {
                if (name[0] == '/')
                        name++;
                else if (name[0] == '.' && name[1] == '/')
                        name += 2;
                else
                        break;
        }
        if (strcasecmp(name, "META-INF/MANIFEST.MF") == 0)
                return MEMBER_MANIFEST;
        if (str_startswith(name, "META-INF/maven/") && str_endswith(name, "/pom.properties")) {
                p = name + STRLEN("META-INF/maven/");
                s1 = strchr(p, '/');
                if (!s1 || s1 == p)
                        return MEMBER_OTHER;
                s2 = strchr(s1 + 1, '/');
                if (!s2 || s2 == s1 + 1 || strcmp(s2, "/pom.properties") != 0)
                        return MEMBER_OTHER;
                *g = p;
                *gl = (size_t)(s1 - p);
                *art = s1 + 1;
                *al = (size_t)(s2 - s1 - 1);
                return MEMBER_POM;
        }
        if (has_archive_ext(name) && base_name(name)[0] && name[strlen(name) - 1] != '/')
                return MEMBER_ARCHIVE;
        return MEMBER_OTHER;
}

static int add_component(struct jar_ctx *c, const char *name, const char *version,
                         const char *member)
{
        _cleanup_free_ char *loc = NULL;

        if (member) {
                loc = str_printf("%s!/%s", c->chain.data, member);
                if (!loc)
                        return -ENOMEM;
        }
        return pkg_list_add(c->out, PKG_MAVEN, name, NULL, version, NULL, NULL,
                            loc ? loc : c->chain.data, c->chain.data);
}

/* Add the component a pom.properties names; its artifactId and version are
 * pushed to SEEN. */
static int handle_pom(struct jar_ctx *c, const char *member, const char *data, size_t len,
                      const char *g, size_t gl, const char *art, size_t al, strv_t *seen)
{
        _cleanup_(jar_pom_clear) jar_pom_t pom = { 0 };
        _cleanup_free_ char *dir_g = NULL, *dir_a = NULL, *name = NULL;
        const char *group, *artifact;
        int r;

        r = jar_parse_pom_properties(data, len, &pom);
        if (r < 0)
                return r;
        dir_g = str_ndup(g, gl);
        dir_a = str_ndup(art, al);
        if (!dir_g || !dir_a)
                return -ENOMEM;
        /* The directories name the coordinates too; the file wins when it
         * has them. */
        group = is_field(pom.group_id) ? pom.group_id : dir_g;
        artifact = is_field(pom.artifact_id) ? pom.artifact_id : dir_a;
        if (!is_field(group) || !is_field(artifact)) {
                problem(c, member, "pom.properties without a usable groupId or artifactId");
                return 0;
        }
        if (!is_field(pom.version)) {
                problem(c, member, "pom.properties without a usable version");
                return 0;
        }
        name = str_printf("%s:%s", group, artifact);
        if (!name)
                return -ENOMEM;
        r = add_component(c, name, pom.version, member);
        if (r < 0 || (r = strv_push(seen, artifact)) < 0 || (r = strv_push(seen, pom.version)) < 0)
                return r;
        return 0;
}

/* Whether the identity NAME, VERSION found for an archive is one of the
 * pom.properties in it (SEEN: artifactId, version pairs): same artifactId or
 * same version. */
static bool among_poms(const strv_t *seen, const char *name, const char *version)
{
        const char *colon = strrchr(name, ':');
        const char *artifact = colon ? colon + 1 : name;

        for (size_t i = 0; i + 1 < seen->n; i += 2)
                if (strcmp(seen->v[i], artifact) == 0 || strcmp(seen->v[i + 1], version) == 0)
                        return true;
        return false;
}

static int scan_archive(struct jar_ctx *c, struct archive *a, unsigned level, const char *base);

/* Read the nested archive at the current member and scan it. */
static int handle_nested(struct jar_ctx *c, struct archive *a, struct archive_entry *e,
                         const char *member, unsigned level)
{
        /* DATA is declared first so it is freed last, after the reader
         * that reads it. */
        _cleanup_free_ char *data = NULL;
        _cleanup_(reader_freep) struct archive *na = NULL;
        size_t len, saved = c->chain.len;
        struct zsrc src;
        uint64_t bound;
        int r;

        if (level + 1 > c->lim->max_depth) {
                problem(c, member, "nested archive not read: deeper than %u levels",
                        c->lim->max_depth);
                return 0;
        }
        r = read_member(c, a, e, c->lim->max_nested_size, &data, &len);
        switch (r) {
        case 0:
                break;
        case -ENOMEM:
                return r;
        case -EFBIG:
                problem(c, member, "nested archive not read: larger than %zu bytes",
                        c->lim->max_nested_size);
                return 0;
        case -EDQUOT:
                problem(c, member, "stopped: more than %llu bytes inflated from this archive",
                        c->lim->max_inflated);
                return 0;
        default:
                problem(c, member, "nested archive not read: %s", archive_err(a));
                return 0;
        }
        if (buf_append(&c->chain, "!/", 2) < 0 || buf_append_str(&c->chain, member) < 0) {
                c->chain.len = saved;
                c->chain.data[saved] = 0;
                problem(c, member, "nested archive not read: member path too long");
                return 0;
        }
        src = (struct zsrc){ .mem = (const unsigned char *)data, .fd = -1, .size = len };
        bound = zip_entries_bound(&src);
        if (bound > c->lim->max_members - MIN(c->members, c->lim->max_members)) {
                problem(c, NULL, "archive not read: up to %llu members, over the cap of %zu",
                        (unsigned long long)bound, c->lim->max_members);
                r = 0;
                goto out;
        }
        na = reader_new();
        if (!na) {
                r = -ENOMEM;
                goto out;
        }
        if (archive_read_open_memory(na, data, len) != ARCHIVE_OK) {
                problem(c, NULL, "not a readable zip archive: %s", archive_err(na));
                r = 0;
                goto out;
        }
        r = scan_archive(c, na, level + 1, base_name(member));
out:
        c->chain.len = saved;
        c->chain.data[saved] = 0;
        return r;
}

/* Scan the open archive A at nesting LEVEL (1 for the outer one) whose own
 * base name is BASE: nested archives first, as they come, then this
 * archive's own identity. */
static int scan_archive(struct jar_ctx *c, struct archive *a, unsigned level, const char *base)
{
        _cleanup_(jar_manifest_clear) jar_manifest_t mf = { 0 };
        _cleanup_free_ char *mf_member = NULL, *base_copy = strdup(base);
        bool have_mf = false, was_bad = c->bad;
        _cleanup_(strv_clear) strv_t seen = { 0 };
        size_t listed = 0;
        int r = 0;

        if (!base_copy)
                return -ENOMEM;
        c->bad = false;
        c->stats.archives++;
        while (!c->stop) {
                struct archive_entry *e;
                const char *name, *g = NULL, *art = NULL;
                size_t gl = 0, al = 0, len;
                _cleanup_free_ char *data = NULL;
                member_kind_t kind;
                int h;

                h = archive_read_next_header(a, &e);
                if (h == ARCHIVE_EOF)
                        break;
                if (h != ARCHIVE_OK && h != ARCHIVE_WARN) {
                        if (listed == 0)
                                problem(c, NULL, "not a readable zip archive: %s", archive_err(a));
                        else
                                problem(c, NULL, "archive damaged after %zu members: %s", listed,
                                        archive_err(a));
                        break;
                }
                listed++;
                c->stats.members++;
                if (++c->members > c->lim->max_members) {
                        problem(c, NULL, "stopped: more than %zu members in this archive",
                                c->lim->max_members);
                        c->stop = true;
                        break;
                }
                if (archive_entry_filetype(e) != AE_IFREG)
                        continue;
                name = archive_entry_pathname(e);
                if (!name) {
                        /* libarchive gives no name when a name flagged as
                         * UTF-8 is not valid UTF-8. */
                        problem(c, NULL, "member %zu not read: its name is not valid UTF-8",
                                listed);
                        continue;
                }
                kind = classify(name, &g, &gl, &art, &al);
                if (kind == MEMBER_OTHER)
                        continue;
                if (kind == MEMBER_MANIFEST && have_mf)
                        continue;
                if (archive_entry_is_encrypted(e)) {
                        problem(c, name, "encrypted member not read");
                        continue;
                }
                if (kind == MEMBER_ARCHIVE) {
                        r = handle_nested(c, a, e, name, level);
                        if (r < 0)
                                break;
                        continue;
                }
                r = read_member(c, a, e, c->lim->max_text_size, &data, &len);
                if (r == -ENOMEM)
                        break;
                if (r == -EFBIG) {
                        problem(c, name, "member not read: larger than %zu bytes",
                                c->lim->max_text_size);
                        r = 0;
                        continue;
                }
                if (r == -EDQUOT) {
                        problem(c, name, "stopped: more than %llu bytes inflated from this archive",
                                c->lim->max_inflated);
                        r = 0;
                        break;
                }
                if (r < 0) {
                        problem(c, name, "member not read: %s", archive_err(a));
                        r = 0;
                        continue;
                }
                if (kind == MEMBER_POM) {
                        r = handle_pom(c, name, data, len, g, gl, art, al, &seen);
                        if (r < 0)
                                break;
                } else {
                        r = jar_parse_manifest(data, len, &mf);
                        if (r < 0)
                                break;
                        mf_member = strdup(name);
                        if (!mf_member) {
                                r = -ENOMEM;
                                break;
                        }
                        have_mf = true;
                }
        }
        /* What this archive itself is: its pom.properties were added as they
         * came. The manifest, or else the file name, says it too; that is
         * added when there was no pom.properties, or when it names something
         * none of them is (a jar that shades others' pom.properties but has
         * none of its own). */
        if (r >= 0) {
                _cleanup_free_ char *name = NULL, *version = NULL;
                const char *member = mf_member;
                int k = have_mf ? jar_identify_manifest(&mf, base_copy, &name, &version) : -ENOENT;

                if (k == -ENOENT) {
                        member = NULL;
                        k = jar_name_from_filename(base_copy, &name, &version);
                }
                if (k == -ENOMEM)
                        r = k;
                else if (k == 0 && (seen.n == 0 || !among_poms(&seen, name, version)))
                        r = add_component(c, name, version, member);
        }
        if (c->bad)
                c->stats.bad++;
        c->bad = was_bad || c->bad;
        return r < 0 ? r : 0;
}

static void stats_add(jar_stats_t *to, const jar_stats_t *from)
{
        if (!to)
                return;
        to->archives += from->archives;
        to->members += from->members;
        to->inflated += from->inflated;
        to->bad += from->bad;
}

static int scan_outer(struct zsrc *src, const char *location, const jar_limits_t *lim,
                      pkg_list_t *out, appnote_t *notes, jar_stats_t *stats)
{
        _cleanup_(reader_freep) struct archive *a = NULL;
        jar_limits_t defaults;
        struct jar_ctx c = { 0 };
        locale_t utf8, old = (locale_t)0;
        uint64_t bound;
        int r;

        if (!lim) {
                jar_limits_default(&defaults);
                lim = &defaults;
        }
        c = (struct jar_ctx){ .lim = lim, .out = out, .notes = notes };
        buf_init(&c.chain, JAR_CHAIN_MAX);
        if (buf_append_str(&c.chain, location) < 0) {
                buf_free(&c.chain);
                c.stats.bad++;
                appnote_warn(notes, "apps", "archive path too long");
                stats_add(stats, &c.stats);
                return 0;
        }
        bound = zip_entries_bound(src);
        if (bound > lim->max_members) {
                problem(&c, NULL, "archive not read: up to %llu members, over the cap of %zu",
                        (unsigned long long)bound, lim->max_members);
                c.stats.bad++;
                r = 0;
                goto out;
        }
        a = reader_new();
        if (!a) {
                r = -ENOMEM;
                goto out;
        }
        if (src->mem)
                r = archive_read_open_memory(a, src->mem, (size_t)src->size);
        else
                r = archive_read_open_fd(a, src->fd, 64 * KiB);
        if (r != ARCHIVE_OK) {
                problem(&c, NULL, "not a readable zip archive: %s", archive_err(a));
                c.stats.bad++;
                r = 0;
                goto out;
        }
        /* Member names flagged as UTF-8 are converted to the current
         * locale's charset, which fails for every non-ASCII name in the C
         * locale; read them in C.UTF-8 (for this thread only), so the names
         * come through as the bytes the archive holds. */
        utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
        if (utf8)
                old = uselocale(utf8);
        r = scan_archive(&c, a, 1, base_name(location));
        if (utf8) {
                uselocale(old);
                freelocale(utf8);
        }
out:
        buf_free(&c.chain);
        stats_add(stats, &c.stats);
        return r;
}

int jar_scan_fd(int fd, const char *location, const jar_limits_t *lim, pkg_list_t *out,
                appnote_t *notes, jar_stats_t *stats)
{
        struct zsrc src = { .fd = fd };
        struct stat st;

        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || lseek(fd, 0, SEEK_SET) < 0) {
                appnote_warn(notes, location, "archive not read: not a regular file");
                if (stats)
                        stats->bad++;
                return 0;
        }
        src.size = (uint64_t)st.st_size;
        return scan_outer(&src, location, lim, out, notes, stats);
}

int jar_scan_buffer(const void *data, size_t len, const char *location, const jar_limits_t *lim,
                    pkg_list_t *out, appnote_t *notes, jar_stats_t *stats)
{
        struct zsrc src = { .mem = data, .fd = -1, .size = len };

        return scan_outer(&src, location, lim, out, notes, stats);
}
